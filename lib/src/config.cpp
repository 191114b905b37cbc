// The text side of a Config: strict parsing in, Go's exact encoding out (go_json.h).
#include <hookwire/config.h>

#include "config_json.h"
#include "go_json.h"
#include "json_util.h"

namespace hookwire {

Config parse_config(std::string_view json) {
  return config_from_json(parse_json_strict(json, "config"), JsonPath("config"));
}

std::string to_json(const Config& config) {
  return dump_like_go(config_to_json(config));
}

}  // namespace hookwire
