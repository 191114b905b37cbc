// JSON parsing shared by the State, profile and ledger readers: one-line errors,
// duplicate keys refused, nesting bounded.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hookwire {

/// How deep any document hookwire reads may nest.
inline constexpr int kMaxJsonDepth = 32;

/// Parses `text` strictly: invalid JSON, duplicate keys and nesting deeper than
/// kMaxJsonDepth throw Error::input("<what>: ...") with a one-line message.
nlohmann::json parse_json_strict(std::string_view text, std::string_view what);

/// The JSON type name of `value` for messages: "string", "number", "array", ...
std::string json_type_name(const nlohmann::json& value);

/// `text` quoted for a one-line message, cut at `max` bytes, control bytes escaped.
std::string quote_for_message(std::string_view text, std::size_t max = 64);

}  // namespace hookwire
