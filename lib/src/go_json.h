// Go's encoding/json text: what json.Marshal writes for a value, byte for byte, so
// that a config hookwire writes is one runc could have written. Internal.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace hookwire {

/// Compact text as Go's json.Marshal writes it: "<>&", U+2028 and U+2029 escaped as
/// \u00XX / \u20XX, \b and \f as \u0008 / \u000c, invalid UTF-8 bytes as \ufffd.
std::string dump_like_go(const nlohmann::ordered_json& value);

}  // namespace hookwire
