#!/usr/bin/env bash
# The end-to-end cases under crun: `hookwire install` puts the six hooks into
# each bundle's config.json, as for runc, but crun sends other States (pid 0,
# status "created" and "starting", bundle "/" at startContainer), throws the
# hooks' output away (the cases read hookwire's log file instead), and skips
# poststop after a failed createRuntime. lib.sh hides cgroup2's controller list
# from crun, which refuses hybrid cgroups otherwise. The cases are in lib.sh.
RUNTIME=crun
. "$(dirname "$0")/lib.sh"

run_case "$@"
