// hookwire ls, check and gc: what is wired, whether it still is, and the repair.
#include "commands.h"

#include <hookwire/admin.h>
#include <hookwire/error.h>
#include <hookwire/stage.h>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

namespace hookwire::cli {

namespace po = boost::program_options;

namespace {

// Parses ARGS with `extra` options plus --state-dir and --help. Returns an exit
// code when the command should stop at once.
std::optional<int> parse(const Args& args, po::options_description& described, po::variables_map& vm,
                         std::string& state_dir, const char* usage,
                         const po::positional_options_description* positional = nullptr) {
  state_dir = default_options().state_dir;
  described.add_options()
      ("state-dir", po::value(&state_dir)->value_name("DIR"),
       "the state dir (default /run/hookwire, or $HOOKWIRE_STATE_DIR)")
      ("help,h", "show this help and exit");
  try {
    po::command_line_parser parser(std::vector<std::string>(args.begin() + 1, args.end()));
    parser.options(described);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return fail(args[0] + ": " + e.what(), 2);
  }
  if (vm.count("help")) {
    std::cout << usage << "\n" << described;
    return 0;
  }
  return std::nullopt;
}

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

}  // namespace

int run_ls(const Args& args) {
  po::options_description described("Options");
  described.add_options()("json", "print the records as a JSON array");
  po::variables_map vm;
  std::string state_dir;
  if (auto code = parse(args, described, vm, state_dir,
                        "Usage: hookwire ls [--json] [--state-dir DIR]\n\nLists the wired containers.\n"))
    return *code;
  try {
    auto entries = list_entries(state_dir);
    if (vm.count("json")) {
      auto out = nlohmann::ordered_json::array();
      for (const auto& e : entries) {
        auto links = nlohmann::ordered_json::array();
        for (const auto& l : e.links) links.push_back({{"host", l.host}, {"container", l.container}, {"bridge", l.bridge}});
        auto addresses = nlohmann::ordered_json::array();
        for (const auto& a : e.addresses) addresses.push_back(a.cidr);
        out.push_back({{"id", e.id}, {"profile", e.profile}, {"status", e.status}, {"links", links},
                       {"addresses", addresses}, {"pid", e.pid}, {"created", e.created}, {"updated", e.updated}});
      }
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    std::cout << std::left << std::setw(20) << "ID" << std::setw(12) << "PROFILE" << std::setw(17) << "HOST LINK"
              << std::setw(36) << "ADDRESSES" << std::setw(9) << "STATUS" << "SINCE\n";
    for (const auto& e : entries) {
      std::string id = e.id.size() > 19 ? e.id.substr(0, 12) : e.id;
      std::cout << std::setw(20) << id << std::setw(12) << e.profile << std::setw(17) << host_links_of(e)
                << std::setw(36) << addresses_of(e) << std::setw(9) << e.status << e.created << "\n";
    }
    return 0;
  } catch (const Error& e) {
    return fail(e.what(), e.exit_code());
  }
}

int run_check(const Args& args) {
  po::options_description described("Options");
  std::string id;
  described.add_options()("id", po::value(&id)->value_name("ID"), "the container");
  po::positional_options_description positional;
  positional.add("id", 1);
  po::variables_map vm;
  std::string state_dir;
  if (auto code = parse(args, described, vm, state_dir,
                        "Usage: hookwire check ID [--state-dir DIR]\n\n"
                        "Compares the container's links, addresses and default routes with its record.\n"
                        "Exit status: 0 as recorded, 1 something differs (printed), 2 bad input.\n",
                        &positional))
    return *code;
  if (id.empty()) return fail("check: which container? (hookwire check ID)", 2);
  try {
    auto differences = check_container(state_dir, id);
    for (const auto& line : differences) std::cout << id << ": " << line << "\n";
    return differences.empty() ? 0 : 1;
  } catch (const Error& e) {
    return fail(std::string("check: ") + e.what(), e.exit_code());
  }
}

int run_gc(const Args& args) {
  po::options_description described("Options");
  po::variables_map vm;
  std::string state_dir;
  if (auto code = parse(args, described, vm, state_dir,
                        "Usage: hookwire gc [--state-dir DIR]\n\n"
                        "Releases the links, leases and records of containers whose network namespace\n"
                        "is gone (a runtime that never ran poststop), unreadable records, leases without\n"
                        "a record, and leftovers of interrupted writes. Prints what it released.\n"))
    return *code;
  try {
    for (const auto& line : collect_garbage(state_dir)) std::cout << line << "\n";
    return 0;
  } catch (const Error& e) {
    return fail(std::string("gc: ") + e.what(), e.exit_code());
  }
}

}  // namespace hookwire::cli
