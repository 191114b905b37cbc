#!/usr/bin/env bash
# The end-to-end cases under podman (with runc): hookwire's hooks.d files from
# `hookwire hooks-dir`, containers from a busybox rootfs (--rootfs) with
# --network none, wired when annotated io.hookwire.network. podman runs
# poststop itself.
RUNTIME=podman
. "$(dirname "$0")/lib.sh"

# hooks.d files match the annotation only: the shared cases get the default profile.
PROFILE=default

# A container without the io.hookwire.network annotation is none of hookwire's
# business: no hook runs, it has no eth0, and the state dir stays empty.
case_not_annotated() {
  PROFILE=
  new_bundle plain ip link show
  run_container plain || fail "podman run plain: $(cat "$WORK/plain.out")"
  expect_output plain "lo:"
  [[ "$(cat "$WORK/plain.out")" != *eth0* ]] || fail "plain has an eth0: $(cat "$WORK/plain.out")"
  expect_eq "files in the state dir" "$(find "$STATE_DIR" -type f 2>/dev/null | wc -l)" 0
  [ ! -s "$LOG_FILE" ] || fail "a hook ran for plain"
}

# --- The installed package ----------------------------------------------------
# Reserved for the lead: a case that installs hookwire's .deb and runs podman
# with the hooks.d files the package installs (not --hooks-dir "$WORK/hooks.d").

run_case "$@"
