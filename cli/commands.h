// The verbs of the `hookwire` command, one function each.
#pragma once

#include <string>
#include <vector>

namespace hookwire::cli {

/// Arguments after the verb; args[0] is the verb itself (Boost's parsers skip it).
using Args = std::vector<std::string>;

int run_hook(const Args& args);
int run_validate(const Args& args);
int run_ls(const Args& args);
int run_check(const Args& args);
int run_gc(const Args& args);
int run_install(const Args& args);
int run_hooks_dir(const Args& args);

/// Prints "hookwire: MESSAGE" on stderr and returns `code`.
int fail(const std::string& message, int code);

}  // namespace hookwire::cli
