#!/usr/bin/env bash
# The end-to-end cases under runc: `hookwire install` puts the six hooks into
# each bundle's config.json. runc runs all six stages: prestart, createRuntime
# and poststart on the host (poststart already at `create`), createContainer and
# the startContainer gate in the container, and poststop at `delete` or at the
# end of `run`. The cases are in lib.sh.
RUNTIME=runc
. "$(dirname "$0")/lib.sh"

run_case "$@"
