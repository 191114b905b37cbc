#include <hookwire/state.h>

#include <hookwire/error.h>

#include "json_util.h"

#include <cerrno>
#include <limits>
#include <unistd.h>

namespace hookwire {

namespace {

constexpr std::size_t kMaxIdBytes = 128;

std::optional<int> pid_field(const nlohmann::json& object, const JsonPath& at) {
  const auto* value = find_member(object, "pid");
  if (!value) return std::nullopt;
  // Read wide, so that a negative pid is named as one however far below zero it is.
  auto pid = read_integer<std::int64_t>(*value, at.key("pid"));
  if (pid < 0) at.key("pid").fail("negative (" + std::to_string(pid) + ")");
  if (pid > std::numeric_limits<int>::max()) at.key("pid").fail("out of range (" + std::to_string(pid) + ")");
  if (pid == 0) return std::nullopt;
  return static_cast<int>(pid);
}

std::map<std::string, std::string> annotations_field(const nlohmann::json& object, const JsonPath& at) {
  std::map<std::string, std::string> out;
  const auto* value = find_member(object, "annotations");
  if (!value) return out;
  expect_object(*value, at.key("annotations"), "an object of strings");
  for (const auto& [key, item] : value->items()) out.emplace(key, read_string(item, at.key("annotations").entry(key)));
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
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
              c == ',' || c == '.' || c == '-';
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
  const JsonPath at("state");
  expect_object(document, at, "a JSON object");

  State state;
  state.oci_version = string_field(document, "ociVersion", at);
  state.id = read_string(require_member(document, "id", at), at.key("id"));
  if (state.id.empty()) at.key("id").fail("empty");
  if (!is_valid_container_id(state.id))
    at.key("id").fail(quote_for_message(state.id) +
                      " is not a valid container id (1-128 of A-Z a-z 0-9 _ + , . -, not starting with '.')");
  state.status = string_field(document, "status", at);
  if (!state.status.empty() && !is_known_status(state.status))
    at.key("status").fail("unknown status " + quote_for_message(state.status));
  state.pid = pid_field(document, at);
  state.bundle = string_field(document, "bundle", at);
  if (!state.bundle.empty() && state.bundle[0] != '/')
    at.key("bundle").fail("not an absolute path: " + quote_for_message(state.bundle));
  state.annotations = annotations_field(document, at);
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
