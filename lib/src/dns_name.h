// Container names for the resolver (hookwire-dns): what may be a name, and which
// names a container answers to. Plain C++, so the hooks use it without ldns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hookwire {

/// Whether `label` is a host name label: 1-63 of [A-Za-z0-9-], not starting or
/// ending with '-' (RFC 1123).
bool is_valid_dns_label(std::string_view label);

/// Whether `name` is a host name: valid labels joined by '.', 253 bytes at most,
/// no leading, trailing or doubled dot.
bool is_valid_dns_name(std::string_view name);

/// `name` in lowercase (ASCII): DNS compares names without case.
std::string lowercase_name(std::string_view name);

/// The names container `id` answers to, lowercase, without duplicates: its
/// hostname (when it is a host name), its id (when it is a label; else its first
/// 12 characters, when those are, as podman and Docker show short ids), and its
/// aliases (already checked labels).
std::vector<std::string> container_names(std::string_view id, std::string_view hostname,
                                         const std::vector<std::string>& aliases);

}  // namespace hookwire
