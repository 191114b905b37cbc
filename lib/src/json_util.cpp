#include "json_util.h"

#include <hookwire/error.h>

#include <cstdio>
#include <set>
#include <vector>

namespace hookwire {

namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] "; the reader
// wants only what follows.
std::string strip_exception_prefix(const std::string& message) {
  if (!message.empty() && message[0] == '[') {
    auto end = message.find("] ");
    if (end != std::string::npos) return message.substr(end + 2);
  }
  return message;
}

// nlohmann quotes the text it choked on as is and whole ("...; last read: '<token>'
// [; expected ...]", "number overflow parsing '<token>'"), DEL included: it escapes
// only bytes below 0x20. A message must stay one short line, so the token is cut
// like any quoted input, and the whole message is bounded and escaped too.
std::string tidy_parse_message(const std::string& message) {
  constexpr std::size_t kMaxToken = 64, kMaxMessage = 512;
  static constexpr std::string_view kLastRead = "; last read: '";
  std::string out = message;
  if (auto start = message.find(kLastRead); start != std::string::npos) {
    start += kLastRead.size();
    auto end = message.rfind("'; expected ");
    if (end == std::string::npos) end = message.ends_with('\'') ? message.size() - 1 : start;
    if (end > start && end - start > kMaxToken)
      out = message.substr(0, start + kMaxToken) + "..." + message.substr(end);
  }
  std::string clean;
  for (unsigned char c : out) {
    if (clean.size() >= kMaxMessage) {
      clean += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      clean += buffer;
    } else {
      clean += static_cast<char>(c);
    }
  }
  return clean;
}

}  // namespace

nlohmann::json parse_json_strict(std::string_view text, std::string_view what) {
  std::vector<std::set<std::string>> keys_by_depth;
  std::string prefix(what);
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth > kMaxJsonDepth)
      throw Error::input(prefix + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    switch (event) {
      case Event::object_start:
        keys_by_depth.emplace_back();
        break;
      case Event::object_end:
        if (!keys_by_depth.empty()) keys_by_depth.pop_back();
        break;
      case Event::key:
        if (!keys_by_depth.empty() && !keys_by_depth.back().insert(parsed.get<std::string>()).second)
          throw Error::input(prefix + ": duplicate key " + quote_for_message(parsed.get<std::string>()));
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback);
  } catch (const nlohmann::json::exception& e) {
    throw Error::input(prefix + ": not valid JSON: " + tidy_parse_message(strip_exception_prefix(e.what())));
  }
}

std::string json_type_name(const nlohmann::json& value) {
  if (value.is_number_float()) return "a fraction";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return value.type_name();
}

std::string quote_for_message(std::string_view text, std::size_t max) {
  std::string out = "\"";
  std::size_t n = 0;
  for (unsigned char c : text) {
    if (n++ == max) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

JsonPath JsonPath::key(std::string_view name) const {
  JsonPath out = *this;
  if (!out.path_.empty()) out.path_ += '.';
  out.path_ += name;
  return out;
}

JsonPath JsonPath::entry(std::string_view key) const {
  JsonPath out = *this;
  out.path_.append("[").append(quote_for_message(key)).append("]");  // not "[" + ...: a false -Wrestrict in GCC 12 -O3
  return out;
}

JsonPath JsonPath::index(std::size_t index) const {
  JsonPath out = *this;
  out.path_.append("[").append(std::to_string(index)).append("]");
  return out;
}

std::string JsonPath::str() const {
  return path_.empty() ? document_ : document_ + ": " + path_;
}

void JsonPath::fail(const std::string& problem) const {
  throw Error::input(str() + ": " + problem);
}

const nlohmann::json* find_member(const nlohmann::json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

const nlohmann::json& require_member(const nlohmann::json& object, std::string_view key, const JsonPath& at) {
  const auto* value = find_member(object, key);
  if (!value) at.key(key).fail("missing");
  return *value;
}

void expect_object(const nlohmann::json& value, const JsonPath& at, std::string_view expected) {
  if (!value.is_object()) at.fail("expected " + std::string(expected) + ", got " + json_type_name(value));
}

std::string read_string(const nlohmann::json& value, const JsonPath& at) {
  if (!value.is_string()) at.fail("expected a string, got " + json_type_name(value));
  return value.get<std::string>();
}

bool read_bool(const nlohmann::json& value, const JsonPath& at) {
  if (!value.is_boolean()) at.fail("expected a boolean, got " + json_type_name(value));
  return value.get<bool>();
}

std::vector<std::string> read_strings(const nlohmann::json& value, const JsonPath& at) {
  std::vector<std::string> out;
  read_array(value, at,
             [&](const nlohmann::json& item, const JsonPath& where) { out.push_back(read_string(item, where)); });
  return out;
}

std::string string_field(const nlohmann::json& object, std::string_view key, const JsonPath& at) {
  const auto* value = find_member(object, key);
  return value ? read_string(*value, at.key(key)) : std::string();
}

bool bool_field(const nlohmann::json& object, std::string_view key, const JsonPath& at) {
  const auto* value = find_member(object, key);
  return value ? read_bool(*value, at.key(key)) : false;
}

std::vector<std::string> strings_field(const nlohmann::json& object, std::string_view key, const JsonPath& at) {
  const auto* value = find_member(object, key);
  return value ? read_strings(*value, at.key(key)) : std::vector<std::string>();
}

}  // namespace hookwire
