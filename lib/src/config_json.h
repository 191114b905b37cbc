// JSON conversion for the libcontainer data model, shaped exactly as runc 1.1's Go
// encoding/json writes it (go_json.h spells the text). Internal: the config and
// profile readers share it.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <hookwire/config.h>

#include "json_util.h"

namespace hookwire {

// Readers. Each takes the value and where it sits, ignores unknown keys, reads
// `null` as the zero value (as Go does) and throws Error::input naming the path.

/// {"type":"NEWNET","path":""}
Namespace namespace_from_json(const nlohmann::json& value, const JsonPath& at);
/// A list of namespaces, in order, duplicates kept.
Namespaces namespaces_from_json(const nlohmann::json& value, const JsonPath& at);
/// A configs.Network object.
Network network_from_json(const nlohmann::json& value, const JsonPath& at);
/// A configs.Route object.
Route route_from_json(const nlohmann::json& value, const JsonPath& at);
/// A configs.Command; "timeout" is null or integer nanoseconds (Go's *time.Duration).
Command command_from_json(const nlohmann::json& value, const JsonPath& at);
/// The "Hooks" object: OCI stage names to lists of commands. Unknown stage names throw.
Hooks hooks_from_json(const nlohmann::json& value, const JsonPath& at);
/// A whole Config object; everything it does not model (mounts, cgroups, ...) is ignored.
Config config_from_json(const nlohmann::json& object, const JsonPath& at);

// Writers, keys in Go's field order, empty lists as null (Go's nil slice).

nlohmann::ordered_json namespace_to_json(const Namespace& ns);
nlohmann::ordered_json namespaces_to_json(const Namespaces& namespaces);
nlohmann::ordered_json network_to_json(const Network& network);
nlohmann::ordered_json route_to_json(const Route& route);
nlohmann::ordered_json command_to_json(const Command& command);
/// All six stages, alphabetically (Go sorts map keys); only CommandHooks are written.
nlohmann::ordered_json hooks_to_json(const Hooks& hooks);
/// The modelled fields of `config`; apparmor_profile and process_label only when set.
nlohmann::ordered_json config_to_json(const Config& config);

}  // namespace hookwire
