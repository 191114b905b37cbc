#include "dns_name.h"

#include <algorithm>

namespace hookwire {

namespace {

constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxName = 253;
constexpr std::size_t kShortId = 12;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_valid_dns_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabel) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) return false;
  for (;;) {
    auto dot = name.find('.');
    if (!is_valid_dns_label(name.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

std::string lowercase_name(std::string_view name) {
  std::string out(name);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string> container_names(std::string_view id, std::string_view hostname,
                                         const std::vector<std::string>& aliases) {
  std::vector<std::string> names;
  auto add = [&](std::string_view name) {
    auto lower = lowercase_name(name);
    if (std::find(names.begin(), names.end(), lower) == names.end()) names.push_back(std::move(lower));
  };
  if (is_valid_dns_name(hostname)) add(hostname);
  if (is_valid_dns_label(id)) {
    add(id);
  } else if (id.size() > kShortId && is_valid_dns_label(id.substr(0, kShortId))) {
    add(id.substr(0, kShortId));
  }
  for (const auto& alias : aliases) add(alias);
  return names;
}

}  // namespace hookwire
