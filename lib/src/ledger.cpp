#include <hookwire/ledger.h>

#include <hookwire/error.h>
#include <hookwire/state.h>

#include "dir_util.h"
#include "fs_util.h"
#include "json_util.h"
#include "timestamp.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace hookwire {

namespace {

constexpr std::size_t kMaxEntryBytes = 256 * 1024;
constexpr std::string_view kSuffix = ".json";

nlohmann::ordered_json to_json(const LedgerEntry& e) {
  nlohmann::ordered_json links = nlohmann::ordered_json::array();
  for (const auto& l : e.links) links.push_back({{"host", l.host}, {"container", l.container}, {"bridge", l.bridge}});
  nlohmann::ordered_json addresses = nlohmann::ordered_json::array();
  for (const auto& a : e.addresses) addresses.push_back({{"cidr", a.cidr}, {"pool", a.pool}});
  nlohmann::ordered_json routes = nlohmann::ordered_json::array();
  for (const auto& r : e.routes)
    routes.push_back({{"destination", r.destination},
                      {"gateway", r.gateway},
                      {"source", r.source},
                      {"interface_name", r.interface_name}});
  return {
      {"id", e.id},
      {"profile", e.profile},
      {"status", e.status},
      {"netns",
       {{"dev", e.netns.dev}, {"ino", e.netns.ino}, {"cookie", e.netns_cookie}, {"path", e.netns_path}, {"pid", e.pid}}},
      {"links", links},
      {"addresses", addresses},
      {"routes", routes},
      {"pools", e.pools},
      {"created", e.created},
      {"updated", e.updated},
  };
}

LedgerEntry from_json(const nlohmann::json& j) {
  LedgerEntry e;
  e.id = j.at("id").get<std::string>();
  e.profile = j.at("profile").get<std::string>();
  e.status = j.at("status").get<std::string>();
  const auto& netns = j.at("netns");
  e.netns.dev = netns.at("dev").get<dev_t>();
  e.netns.ino = netns.at("ino").get<ino_t>();
  e.netns_cookie = netns.value("cookie", std::uint64_t{0});
  e.netns_path = netns.at("path").get<std::string>();
  e.pid = netns.at("pid").get<int>();
  for (const auto& l : j.at("links"))
    e.links.push_back({l.at("host").get<std::string>(), l.at("container").get<std::string>(),
                       l.at("bridge").get<std::string>()});
  for (const auto& a : j.at("addresses"))
    e.addresses.push_back({a.at("cidr").get<std::string>(), a.at("pool").get<std::string>()});
  // Records written before routes were recorded have none.
  if (j.contains("routes"))
    for (const auto& r : j.at("routes"))
      e.routes.push_back({r.at("destination").get<std::string>(), r.at("gateway").get<std::string>(),
                          r.at("source").get<std::string>(), r.at("interface_name").get<std::string>()});
  e.pools = j.at("pools").get<std::vector<std::string>>();
  e.created = j.at("created").get<std::string>();
  e.updated = j.at("updated").get<std::string>();
  return e;
}

}  // namespace

Ledger::Ledger(const std::string& state_dir) : dir_(state_dir + "/ledger") {}

std::optional<LedgerEntry> Ledger::find(std::string_view id) const {
  std::string path = dir_ + "/" + std::string(id) + std::string(kSuffix);
  std::optional<std::string> text;
  try {
    text = read_file(path, kMaxEntryBytes);
  } catch (const Error& e) {
    // A symlink or a directory where the record belongs is as corrupt as bad JSON
    // there: an input error, so that unwire_id and gc get to repair it.
    int err = e.code().value();
    if (e.kind() == Error::Kind::system && (err == ELOOP || err == EISDIR))
      throw Error::input("ledger entry " + path + ": corrupt: " + std::strerror(err));
    throw;
  }
  if (!text) return std::nullopt;
  try {
    auto entry = from_json(parse_json_strict(*text, "ledger entry " + path));
    if (entry.id != id) throw Error::input("ledger entry " + path + ": records id " + quote_for_message(entry.id));
    return entry;
  } catch (const nlohmann::json::exception& e) {
    throw Error::input("ledger entry " + path + ": corrupt: " + std::string(e.what()));
  }
}

void Ledger::write(LedgerEntry& entry) const {
  make_dirs(dir_, 0700);
  entry.updated = now_rfc3339();
  if (entry.created.empty()) entry.created = entry.updated;
  write_file_atomic(dir_, entry.id + std::string(kSuffix), to_json(entry).dump() + "\n");
}

bool Ledger::remove(std::string_view id) const {
  std::string path = dir_ + "/" + std::string(id) + std::string(kSuffix);
  if (unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_errno("remove ledger entry " + path);
}

std::vector<std::string> Ledger::ids() const {
  std::vector<std::string> out;
  for (const auto& name : list_dir(dir_)) {
    std::string_view view = name;
    if (view.size() <= kSuffix.size() || !view.ends_with(kSuffix)) continue;
    auto id = view.substr(0, view.size() - kSuffix.size());
    if (is_valid_container_id(id)) out.emplace_back(id);
  }
  return out;
}

}  // namespace hookwire
