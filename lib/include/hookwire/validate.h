// Validation of a Config before anything touches the system: every problem is one
// line naming the field and the bad value ("networks[0].name: ...").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <hookwire/config.h>
#include <hookwire/export.h>

namespace hookwire {

/// Every problem with `config`, one line each ("networks[0].name: ..."); empty when valid.
HOOKWIRE_EXPORT std::vector<std::string> validate(const Config& config);
/// Throws Error::input with the first problem, if any.
HOOKWIRE_EXPORT void validate_or_throw(const Config& config);

/// Problems with one network or route, each prefixed with `where` ("networks[0]").
HOOKWIRE_EXPORT std::vector<std::string> validate(const Network& network, const std::string& where);
HOOKWIRE_EXPORT std::vector<std::string> validate(const Route& route, const std::string& where);
/// Whether `name` is a valid Linux interface name: 1-15 bytes, no '/', ':'
/// or whitespace, not "." or "..".
HOOKWIRE_EXPORT bool is_valid_ifname(std::string_view name);

}  // namespace hookwire
