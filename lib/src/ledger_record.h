// One ledger record's text, parsed: for readers that open records themselves
// (the resolver reads them through a directory descriptor).
#pragma once

#include <string>
#include <string_view>

#include <hookwire/ledger.h>

namespace hookwire {

/// The most bytes a record may have.
inline constexpr std::size_t kMaxLedgerRecordBytes = 256 * 1024;
/// The suffix of a record's file name: ID.json.
inline constexpr std::string_view kLedgerRecordSuffix = ".json";

/// Parses a record's JSON text; throws Error::input naming `what`.
LedgerEntry parse_ledger_record(std::string_view text, const std::string& what);

}  // namespace hookwire
