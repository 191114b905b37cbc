// hookwire ls, check and gc: what is wired, whether it still is, and the repair.
#include "commands.h"

#include <hookwire/admin.h>
#include <hookwire/error.h>
#include <hookwire/state.h>

#include "src/json_util.h"

#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

namespace hookwire::cli {

namespace {

std::string addresses_of(const LedgerEntry& entry) {
  std::string out;
  for (const auto& address : entry.addresses) out += (out.empty() ? "" : ",") + address.cidr;
  return out.empty() ? "-" : out;
}

std::string host_links_of(const LedgerEntry& entry) {
  std::string out;
  for (const auto& link : entry.links) out += (out.empty() ? "" : ",") + link.host;
  return out.empty() ? "-" : out;
}

// "web,web.hookwire" style would double the column: the names alone, the domain once.
std::string names_of(const LedgerEntry& entry) {
  std::string out;
  for (const auto& name : entry.dns.names) out += (out.empty() ? "" : ",") + name;
  return out.empty() ? "-" : out + " (." + entry.dns.domain + ")";
}

}  // namespace

int run_ls(const Args& args) {
  CommandLine line("ls",
                   "Usage: hookwire ls [--json] [--state-dir DIR]\n\nLists the wired containers, with the names the "
                   "resolver answers for them.\n");
  std::string state_dir;
  line.options.add_options()("json", "print the records as a JSON array");
  add_state_dir(line, state_dir);
  po::variables_map vm;
  if (auto code = parse(args, line, vm)) return *code;
  try {
    auto entries = list_entries(state_dir);
    if (vm.count("json")) {
      auto out = nlohmann::ordered_json::array();
      for (const auto& e : entries) {
        auto links = nlohmann::ordered_json::array();
        for (const auto& l : e.links)
          links.push_back({{"host", l.host}, {"container", l.container}, {"bridge", l.bridge}});
        auto addresses = nlohmann::ordered_json::array();
        for (const auto& a : e.addresses) addresses.push_back(a.cidr);
        out.push_back({{"id", e.id},
                       {"profile", e.profile},
                       {"status", e.status},
                       {"links", links},
                       {"addresses", addresses},
                       {"names", e.dns.names},
                       {"domain", e.dns.domain},
                       {"pid", e.pid},
                       {"created", e.created},
                       {"updated", e.updated}});
      }
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    std::cout << std::left << std::setw(20) << "ID" << std::setw(12) << "PROFILE" << std::setw(17) << "HOST LINK"
              << std::setw(36) << "ADDRESSES" << std::setw(9) << "STATUS" << std::setw(21) << "SINCE"
              << "NAMES\n";
    for (const auto& e : entries) {
      std::string id = e.id.size() > 19 ? e.id.substr(0, 12) : e.id;
      std::cout << std::setw(20) << id << std::setw(12) << e.profile << std::setw(17) << host_links_of(e)
                << std::setw(36) << addresses_of(e) << std::setw(9) << e.status << std::setw(21) << e.created
                << names_of(e) << "\n";
    }
    return 0;
  } catch (const Error& e) {
    return fail(e.what(), e.exit_code());
  }
}

// Every recorded container, then the elements of hookwire's table no record holds.
int check_everything(const std::string& state_dir) {
  bool differ = false;
  for (const auto& entry : list_entries(state_dir)) {
    try {
      for (const auto& line : check_container(state_dir, entry.id)) {
        std::cout << entry.id << ": " << line << "\n";
        differ = true;
      }
    } catch (const Error& e) {
      if (e.kind() != Error::Kind::input) throw;  // unwired meanwhile: nothing to compare
    }
  }
  for (const auto& line : firewall_extra_elements(state_dir)) {
    std::cout << line << "\n";
    differ = true;
  }
  return differ ? 1 : 0;
}

int run_check(const Args& args) {
  CommandLine line("check",
                   "Usage: hookwire check [ID] [--state-dir DIR]\n\n"
                   "Compares the container's links, addresses, routes, host ports and firewall\n"
                   "elements with its record. Without ID: every recorded container, and the\n"
                   "elements of hookwire's nftables table that no record holds.\n"
                   "Exit status: 0 as recorded, 1 something differs (printed), 2 bad input.\n");
  std::string id, state_dir;
  line.options.add_options()("id", po::value(&id)->value_name("ID"), "the container (or give ID as the operand)");
  add_state_dir(line, state_dir);
  line.positional.add("id", 1);
  po::variables_map vm;
  if (auto code = parse(args, line, vm)) return *code;
  if (id.empty()) {
    try {
      return check_everything(state_dir);
    } catch (const Error& e) {
      return fail(std::string("check: ") + e.what(), e.exit_code());
    }
  }
  // The id names the record's file, so it is held to the hooks' rule before any
  // path is built from it: "../../etc/passwd" is refused, not read.
  if (!is_valid_container_id(id))
    return fail("check: " + quote_for_message(id) +
                    " is not a valid container id (1-128 of A-Z a-z 0-9 _ + , . -, not starting with '.')",
                2);
  try {
    auto differences = check_container(state_dir, id);
    for (const auto& line : differences) std::cout << id << ": " << line << "\n";
    return differences.empty() ? 0 : 1;
  } catch (const Error& e) {
    return fail(std::string("check: ") + e.what(), e.exit_code());
  }
}

int run_reload(const Args& args) {
  CommandLine line("reload",
                   "Usage: hookwire reload [--state-dir DIR]\n\n"
                   "Rebuilds hookwire's nftables table (inet hookwire) from the ledger: a fresh\n"
                   "skeleton, then the NAT, isolation and published-port elements of every\n"
                   "recorded container. Run it after `nft flush ruleset` or a firewalld reload.\n"
                   "Touches no other table.\n");
  std::string state_dir;
  add_state_dir(line, state_dir);
  po::variables_map vm;
  if (auto code = parse(args, line, vm)) return *code;
  try {
    auto restored = reload_firewall(state_dir);
    std::cout << "rebuilt table inet hookwire: " << restored << " container(s)\n";
    return 0;
  } catch (const Error& e) {
    return fail(std::string("reload: ") + e.what(), e.exit_code());
  }
}

int run_gc(const Args& args) {
  CommandLine line("gc",
                   "Usage: hookwire gc [--state-dir DIR]\n\n"
                   "Releases the links, leases and records of containers whose network namespace\n"
                   "is gone (a runtime that never ran poststop), unreadable records, leases without\n"
                   "a record, host ports and firewall elements without a record, leftovers of\n"
                   "interrupted writes, and stale lock files. Prints what it released. A container\n"
                   "a hook holds at that moment is skipped.\n");
  std::string state_dir;
  add_state_dir(line, state_dir);
  po::variables_map vm;
  if (auto code = parse(args, line, vm)) return *code;
  try {
    for (const auto& line : collect_garbage(state_dir)) std::cout << line << "\n";
    return 0;
  } catch (const Error& e) {
    return fail(std::string("gc: ") + e.what(), e.exit_code());
  }
}

}  // namespace hookwire::cli
