#include <hookwire/ledger.h>

#include <hookwire/error.h>
#include <hookwire/state.h>

#include "dir_util.h"
#include "fs_util.h"
#include "json_util.h"
#include "ledger_record.h"
#include "timestamp.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace hookwire {

namespace {

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
  nlohmann::ordered_json members = nlohmann::ordered_json::array();
  for (const auto& m : e.firewall.members) members.push_back({{"address", m.address}, {"bridge", m.bridge}});
  nlohmann::ordered_json ports = nlohmann::ordered_json::array();
  for (const auto& p : e.firewall.ports)
    ports.push_back({{"host_address", p.host_address},
                     {"protocol", p.protocol},
                     {"host_port", p.host_port},
                     {"address", p.address},
                     {"port", p.port}});
  nlohmann::ordered_json firewall = {{"members", members},
                                     {"nat4", e.firewall.nat4},
                                     {"nat6", e.firewall.nat6},
                                     {"isolate", e.firewall.isolate},
                                     {"ports", ports}};
  nlohmann::ordered_json dns = {{"bridge", e.dns.bridge},
                                {"domain", e.dns.domain},
                                {"names", e.dns.names},
                                {"servers", e.dns.servers},
                                {"clients", e.dns.clients}};
  return {
      {"id", e.id},
      {"profile", e.profile},
      {"status", e.status},
      {"netns",
       {{"dev", e.netns.dev},
        {"ino", e.netns.ino},
        {"cookie", e.netns_cookie},
        {"path", e.netns_path},
        {"pid", e.pid}}},
      {"links", links},
      {"addresses", addresses},
      {"routes", routes},
      {"pools", e.pools},
      {"firewall", firewall},
      {"dns", dns},
      {"created", e.created},
      {"updated", e.updated},
  };
}

LedgerEntry from_json(const nlohmann::json& j, const JsonPath& at) {
  expect_object(j, at);
  LedgerEntry e;
  e.id = read_string(require_member(j, "id", at), at.key("id"));
  e.profile = read_string(require_member(j, "profile", at), at.key("profile"));
  e.status = read_string(require_member(j, "status", at), at.key("status"));
  auto nat = at.key("netns");
  const auto& netns = require_member(j, "netns", at);
  expect_object(netns, nat);
  e.netns.dev = read_integer<dev_t>(require_member(netns, "dev", nat), nat.key("dev"));
  e.netns.ino = read_integer<ino_t>(require_member(netns, "ino", nat), nat.key("ino"));
  e.netns_cookie = integer_field<std::uint64_t>(netns, "cookie", nat);
  e.netns_path = read_string(require_member(netns, "path", nat), nat.key("path"));
  e.pid = read_integer<int>(require_member(netns, "pid", nat), nat.key("pid"));
  read_array(require_member(j, "links", at), at.key("links"), [&](const nlohmann::json& l, const JsonPath& w) {
    e.links.push_back({read_string(require_member(l, "host", w), w.key("host")),
                       read_string(require_member(l, "container", w), w.key("container")),
                       read_string(require_member(l, "bridge", w), w.key("bridge"))});
  });
  read_array(require_member(j, "addresses", at), at.key("addresses"), [&](const nlohmann::json& a, const JsonPath& w) {
    e.addresses.push_back({read_string(require_member(a, "cidr", w), w.key("cidr")),
                           read_string(require_member(a, "pool", w), w.key("pool"))});
  });
  // Records written before routes were recorded have none.
  if (const auto* routes = find_member(j, "routes"))
    read_array(*routes, at.key("routes"), [&](const nlohmann::json& r, const JsonPath& w) {
      e.routes.push_back({string_field(r, "destination", w), string_field(r, "gateway", w),
                          string_field(r, "source", w), string_field(r, "interface_name", w)});
    });
  e.pools = read_strings(require_member(j, "pools", at), at.key("pools"));
  // Records written before the firewall was recorded have none.
  if (const auto* firewall = find_member(j, "firewall")) {
    auto fat = at.key("firewall");
    expect_object(*firewall, fat);
    if (const auto* members = find_member(*firewall, "members"))
      read_array(*members, fat.key("members"), [&](const nlohmann::json& m, const JsonPath& w) {
        e.firewall.members.push_back({read_string(require_member(m, "address", w), w.key("address")),
                                      read_string(require_member(m, "bridge", w), w.key("bridge"))});
      });
    e.firewall.nat4 = bool_field(*firewall, "nat4", fat);
    e.firewall.nat6 = bool_field(*firewall, "nat6", fat);
    e.firewall.isolate = bool_field(*firewall, "isolate", fat);
    if (const auto* ports = find_member(*firewall, "ports"))
      read_array(*ports, fat.key("ports"), [&](const nlohmann::json& p, const JsonPath& w) {
        e.firewall.ports.push_back({read_string(require_member(p, "host_address", w), w.key("host_address")),
                                    read_string(require_member(p, "protocol", w), w.key("protocol")),
                                    read_integer<std::uint16_t>(require_member(p, "host_port", w), w.key("host_port")),
                                    read_string(require_member(p, "address", w), w.key("address")),
                                    read_integer<std::uint16_t>(require_member(p, "port", w), w.key("port"))});
      });
  }
  // Records written before names were served have none.
  if (const auto* dns = find_member(j, "dns")) {
    auto dat = at.key("dns");
    expect_object(*dns, dat);
    e.dns.bridge = string_field(*dns, "bridge", dat);
    e.dns.domain = string_field(*dns, "domain", dat);
    auto strings = [&](const char* key) {
      const auto* list = find_member(*dns, key);
      return list ? read_strings(*list, dat.key(key)) : std::vector<std::string>{};
    };
    e.dns.names = strings("names");
    e.dns.servers = strings("servers");
    e.dns.clients = strings("clients");
  }
  e.created = read_string(require_member(j, "created", at), at.key("created"));
  e.updated = read_string(require_member(j, "updated", at), at.key("updated"));
  return e;
}

}  // namespace

LedgerEntry parse_ledger_record(std::string_view text, const std::string& what) {
  return from_json(parse_json_strict(text, what), JsonPath(what));
}

Ledger::Ledger(const std::string& state_dir) : dir_(state_dir + "/ledger") {}

std::optional<LedgerEntry> Ledger::find(std::string_view id) const {
  std::string path = dir_ + "/" + std::string(id) + std::string(kLedgerRecordSuffix);
  std::optional<std::string> text;
  try {
    text = read_file(path, kMaxLedgerRecordBytes);
  } catch (const Error& e) {
    // A symlink or a directory where the record belongs is as corrupt as bad JSON
    // there: an input error, so that unwire_id and gc get to repair it.
    int err = e.code().value();
    if (e.kind() == Error::Kind::system && (err == ELOOP || err == EISDIR))
      throw Error::input("ledger entry " + path + ": corrupt: " + std::strerror(err));
    throw;
  }
  if (!text) return std::nullopt;
  std::string what = "ledger entry " + path;
  auto entry = from_json(parse_json_strict(*text, what), JsonPath(what));
  if (entry.id != id) throw Error::input(what + ": records id " + quote_for_message(entry.id));
  return entry;
}

void Ledger::write(LedgerEntry& entry) const {
  // Searchable and readable by the resolver once it has dropped root (it reads
  // through a directory descriptor opened before): the state dir above stays
  // 0700, so no one else reaches them (docs/dns.md, "Privileges").
  make_dirs(dir_, kLedgerDirMode);
  entry.updated = now_rfc3339();
  if (entry.created.empty()) entry.created = entry.updated;
  write_file_atomic(dir_, entry.id + std::string(kLedgerRecordSuffix), to_json(entry).dump() + "\n", kLedgerRecordMode);
}

bool Ledger::remove(std::string_view id) const {
  std::string path = dir_ + "/" + std::string(id) + std::string(kLedgerRecordSuffix);
  if (unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_errno("remove ledger entry " + path);
}

bool Ledger::holds(std::string_view id) const {
  std::string path = dir_ + "/" + std::string(id) + std::string(kLedgerRecordSuffix);
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  throw_errno("stat ledger entry " + path);
}

std::vector<std::string> Ledger::ids() const {
  std::vector<std::string> out;
  for (const auto& name : list_dir(dir_)) {
    std::string_view view = name;
    if (view.size() <= kLedgerRecordSuffix.size() || !view.ends_with(kLedgerRecordSuffix)) continue;
    auto id = view.substr(0, view.size() - kLedgerRecordSuffix.size());
    if (is_valid_container_id(id)) out.emplace_back(id);
  }
  return out;
}

}  // namespace hookwire
