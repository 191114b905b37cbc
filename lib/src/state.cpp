#include <hookwire/state.h>

#include <hookwire/error.h>

#include "json_util.h"

#include <cerrno>
#include <limits>
#include <unistd.h>

namespace hookwire {

namespace {

constexpr std::size_t kMaxIdBytes = 128;

const nlohmann::json* find(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto* value = find(object, key);
  if (!value) return {};
  if (!value->is_string())
    throw Error::input(std::string("state: ") + key + ": expected a string, got " + json_type_name(*value));
  return value->get<std::string>();
}

std::optional<int> pid_field(const nlohmann::json& object) {
  const auto* value = find(object, "pid");
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_number_integer())
    throw Error::input("state: pid: expected an integer, got " + json_type_name(*value));
  if (value->is_number_unsigned()) {
    auto pid = value->get<std::uint64_t>();
    if (pid > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
      throw Error::input("state: pid: out of range (" + std::to_string(pid) + ")");
    if (pid == 0) return std::nullopt;
    return static_cast<int>(pid);
  }
  auto pid = value->get<std::int64_t>();
  if (pid < 0) throw Error::input("state: pid: negative (" + std::to_string(pid) + ")");
  if (pid > std::numeric_limits<int>::max())
    throw Error::input("state: pid: out of range (" + std::to_string(pid) + ")");
  if (pid == 0) return std::nullopt;
  return static_cast<int>(pid);
}

std::map<std::string, std::string> annotations_field(const nlohmann::json& object) {
  std::map<std::string, std::string> out;
  const auto* value = find(object, "annotations");
  if (!value || value->is_null()) return out;
  if (!value->is_object())
    throw Error::input("state: annotations: expected an object of strings, got " + json_type_name(*value));
  for (const auto& [key, item] : value->items()) {
    if (!item.is_string())
      throw Error::input("state: annotations[" + quote_for_message(key) + "]: expected a string, got " +
                         json_type_name(item));
    out.emplace(key, item.get<std::string>());
  }
  return out;
}

bool is_known_status(const std::string& status) {
  // OCI's four, crun's "starting", and runc's "paused".
  for (const char* known : {"creating", "created", "starting", "running", "stopped", "paused"})
    if (status == known) return true;
  return false;
}

}  // namespace

std::optional<std::string> State::annotation(std::string_view key) const {
  auto it = annotations.find(std::string(key));
  if (it == annotations.end()) return std::nullopt;
  return it->second;
}

bool is_valid_container_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes || id[0] == '.') return false;
  for (unsigned char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '+' || c == ',' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string short_id(std::string_view id) {
  if (id.size() <= 16) return std::string(id);
  return std::string(id.substr(0, 12)) + "\u2026";
}

State parse_state(std::string_view json) {
  if (json.size() > kMaxStateBytes) throw Error::input("state: larger than 1 MiB");
  auto document = parse_json_strict(json, "state");
  if (!document.is_object()) throw Error::input("state: expected a JSON object, got " + json_type_name(document));

  State state;
  state.oci_version = string_field(document, "ociVersion");
  if (!find(document, "id")) throw Error::input("state: id: missing");
  state.id = string_field(document, "id");
  if (state.id.empty()) throw Error::input("state: id: empty");
  if (!is_valid_container_id(state.id))
    throw Error::input("state: id: " + quote_for_message(state.id) +
                       " is not a valid container id (1-128 of A-Z a-z 0-9 _ + , . -, not starting with '.')");
  state.status = string_field(document, "status");
  if (!state.status.empty() && !is_known_status(state.status))
    throw Error::input("state: status: unknown status " + quote_for_message(state.status));
  state.pid = pid_field(document);
  state.bundle = string_field(document, "bundle");
  if (!state.bundle.empty() && state.bundle[0] != '/')
    throw Error::input("state: bundle: not an absolute path: " + quote_for_message(state.bundle));
  state.annotations = annotations_field(document);
  state.raw = std::string(json);
  return state;
}

State read_state(int fd) {
  std::string input;
  char buffer[16384];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read state from stdin");
    }
    if (n == 0) break;
    input.append(buffer, static_cast<std::size_t>(n));
    // Stop at once rather than drain: the input may never end (/dev/zero).
    if (input.size() > kMaxStateBytes) throw Error::input("state: larger than 1 MiB");
  }
  return parse_state(input);
}

}  // namespace hookwire
