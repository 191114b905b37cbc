// The one way the library reads JSON: strict parsing (one-line errors, duplicate
// keys refused, nesting bounded), and typed readers for fields that name where a
// bad value sits ("config: networks[1].mtu: expected an integer, got a string").
// The State, config and profile readers use these, and every other JSON reader of
// the library should. Internal.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hookwire {

/// How deep any document hookwire reads may nest.
inline constexpr int kMaxJsonDepth = 32;

/// Parses `text` strictly: invalid JSON, duplicate keys and nesting deeper than
/// kMaxJsonDepth throw Error::input("<what>: ...") with a one-line message.
nlohmann::json parse_json_strict(std::string_view text, std::string_view what);

/// The JSON type name of `value` for messages: "a string", "a number", "a fraction", ...
std::string json_type_name(const nlohmann::json& value);

/// `text` quoted for a one-line message, cut at `max` bytes, control bytes escaped.
std::string quote_for_message(std::string_view text, std::size_t max = 64);

/// Where a value sits in a document, for one-line messages: "config: networks[1].mtu".
/// Every reader below takes one, so every message names the document and the field
/// the same way and no caller patches a prefix onto a message afterwards.
class JsonPath {
 public:
  /// The root of a document ("state", "config", "profile web", "ledger entry PATH").
  explicit JsonPath(std::string document) : document_(std::move(document)) {}

  /// The member `name` of the object here: "networks" then "networks.mtu".
  JsonPath key(std::string_view name) const;
  /// The member `key` of an object used as a map, whose keys are data rather than
  /// field names, quoted: `annotations["k"]`, `sysctls["net.ipv4.ip_forward"]`.
  JsonPath entry(std::string_view key) const;
  /// The element `index` of the array here: "networks[1]".
  JsonPath index(std::size_t index) const;
  /// "config: networks[1].mtu", or just "config" at the root.
  std::string str() const;
  /// Throws Error::input("<str()>: <problem>").
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  std::string document_;
  std::string path_;
};

// Finding members. As Go's encoding/json does, hookwire reads null as "not given":
// a null member is absent, and a field reader gives its zero value for it.

/// The member `key` of `object`, or nullptr when it is absent or null.
const nlohmann::json* find_member(const nlohmann::json& object, std::string_view key);
/// The member `key` of `object` (at `at`); absent or null throws "<at>.<key>: missing".
const nlohmann::json& require_member(const nlohmann::json& object, std::string_view key, const JsonPath& at);

// Reading one value that sits at `at`. A value of the wrong type throws
// Error::input("<at>: expected <what>, got <its type>").

/// Checks that `value` is an object; `expected` words the message ("an object of strings").
void expect_object(const nlohmann::json& value, const JsonPath& at, std::string_view expected = "an object");
std::string read_string(const nlohmann::json& value, const JsonPath& at);
bool read_bool(const nlohmann::json& value, const JsonPath& at);
/// An integer that fits `Int`, as Go refuses to decode 1.5 or 2^40 into an int:
/// "expected an integer, got a fraction", "out of range (4294967296)".
template <typename Int>
Int read_integer(const nlohmann::json& value, const JsonPath& at, std::string_view expected = "an integer");
/// An array of strings.
std::vector<std::string> read_strings(const nlohmann::json& value, const JsonPath& at);
/// Calls `read(element, path)` for each element of the array `value`.
template <typename Read>
void read_array(const nlohmann::json& value, const JsonPath& at, Read read) {
  if (!value.is_array()) at.fail("expected an array, got " + json_type_name(value));
  for (std::size_t i = 0; i < value.size(); ++i) read(value[i], at.index(i));
}

// Reading the member `key` of `object`, which sits at `at`: absent or null gives the
// zero value (empty string, false, 0, empty list), anything else must have the type.

std::string string_field(const nlohmann::json& object, std::string_view key, const JsonPath& at);
bool bool_field(const nlohmann::json& object, std::string_view key, const JsonPath& at);
template <typename Int>
Int integer_field(const nlohmann::json& object, std::string_view key, const JsonPath& at) {
  const auto* value = find_member(object, key);
  return value ? read_integer<Int>(*value, at.key(key)) : Int{0};
}
std::vector<std::string> strings_field(const nlohmann::json& object, std::string_view key, const JsonPath& at);

template <typename Int>
Int read_integer(const nlohmann::json& value, const JsonPath& at, std::string_view expected) {
  using Limits = std::numeric_limits<Int>;
  if (value.is_number_float()) {
    // nlohmann reads an integer too long for 64 bits (99999999999999999999999, 1e30)
    // as a double: that is a number out of range, not a fraction.
    double magnitude = std::fabs(value.get<double>());
    if (!(magnitude < std::ldexp(1.0, Limits::digits))) at.fail("out of range (" + value.dump() + ")");
  }
  if (!value.is_number_integer()) at.fail("expected " + std::string(expected) + ", got " + json_type_name(value));
  if (value.is_number_unsigned()) {
    auto n = value.get<std::uint64_t>();
    if (n > static_cast<std::uint64_t>(Limits::max())) at.fail("out of range (" + std::to_string(n) + ")");
    return static_cast<Int>(n);
  }
  auto n = value.get<std::int64_t>();
  bool fits = n < 0 ? Limits::is_signed && n >= static_cast<std::int64_t>(Limits::min())
                    : static_cast<std::uint64_t>(n) <= static_cast<std::uint64_t>(Limits::max());
  if (!fits) at.fail("out of range (" + std::to_string(n) + ")");
  return static_cast<Int>(n);
}

}  // namespace hookwire
