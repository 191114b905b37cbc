#include "hook_run.h"

#include <hookwire/error.h>

#include <exception>
#include <unistd.h>

namespace hookwire {

int run_hook(HookName stage, int argc, char** argv, const StageBody& body) {
  auto parsed = parse_hook_options(stage, argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const auto& options = std::get<Options>(parsed);
  Logger log(tool_name(stage), *log_level_from(options.log_level), options.log_file);
  try {
    State state = read_state(STDIN_FILENO);
    log.set_container(state.id);
    return body(options, state, log);
  } catch (const Error& e) {
    log.error(e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    // Not ours (std::bad_alloc, a library's): still one line, and a failure.
    log.error(e.what());
    return 1;
  }
}

}  // namespace hookwire
