// Go's encoding/json text, byte for byte (see go_json.h).
#include "go_json.h"

#include <string_view>

namespace hookwire {

namespace {

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not
// one. Same accept ranges as Go's utf8.DecodeRuneInString: no overlongs, no
// surrogates, nothing above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view s, char32_t& rune) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    rune = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    rune = lead & 0x0f;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    rune = lead & 0x07;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    unsigned char c = byte(i);
    if (c < (i == 1 ? low : 0x80) || c > (i == 1 ? high : 0xbf)) return 0;
    rune = (rune << 6) | (c & 0x3f);
  }
  return length;
}

// A string as Go's encodeState.string writes it with HTML escaping on (go1.19).
void append_go_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    char32_t rune = 0;
    std::size_t length = utf8_sequence_length(s.substr(i), rune);
    if (length == 0) {
      out += "\\ufffd";
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      out += rune == 0x2028 ? "\\u2028" : "\\u2029";
      i += length;
    } else {
      out.append(s.substr(i, length));
      i += length;
    }
  }
  out += '"';
}

void append_go(std::string& out, const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ',';
        first = false;
        append_go_string(out, key);
        out += ':';
        append_go(out, item);
      }
      out += '}';
      break;
    }
    case nlohmann::ordered_json::value_t::array: {
      out += '[';
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (i) out += ',';
        append_go(out, value[i]);
      }
      out += ']';
      break;
    }
    case nlohmann::ordered_json::value_t::string:
      append_go_string(out, value.get_ref<const std::string&>());
      break;
    default:
      // null, booleans and integers are spelled the same in both; the model has no floats.
      out += value.dump();
      break;
  }
}

}  // namespace

std::string dump_like_go(const nlohmann::ordered_json& value) {
  std::string out;
  append_go(out, value);
  return out;
}

}  // namespace hookwire
