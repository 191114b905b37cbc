// Wall-clock timestamps for what hookwire writes down (ledger records, log files).
// Internal.
#pragma once

#include <string>

namespace hookwire {

/// The current time as RFC 3339 UTC, to the second ("2026-11-28T08:13:56Z").
std::string now_rfc3339();

}  // namespace hookwire
