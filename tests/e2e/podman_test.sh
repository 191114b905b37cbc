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
# hookwire's .deb (HOOKWIRE_DEB, as scripts/test.sh builds it with
# packaging/build-deb.sh) installed on this machine, and podman run with no
# --hooks-dir: the package's hooks.d files in /usr/share/containers/oci/hooks.d,
# its binaries in /usr/libexec/hookwire, its state dir /run/hookwire. Purged
# again at the end. The test builds nothing: building installs packages.
purge_package() { dpkg --purge hookwire >/dev/null 2>&1; }

case_installed_package() {
  local deb=${HOOKWIRE_DEB:-}
  [ -n "$deb" ] || fail "HOOKWIRE_DEB is unset: scripts/test.sh builds the package and sets it," \
    'or: HOOKWIRE_DEB=$(packaging/build-deb.sh | tail -1)'
  [ -f "$deb" ] || fail "no package at '$deb'"
  command -v file >/dev/null || fail "file is not installed: bash -c '. scripts/deps.sh && install_deps test'"
  EXTRA_CLEANUP=purge_package
  dpkg -i "$deb" >"$WORK/dpkg.out" 2>&1 || fail "dpkg -i: $(cat "$WORK/dpkg.out")"
  local hooksd=/usr/share/containers/oci/hooks.d
  [ -f "$hooksd/hookwire-create-runtime.json" ] || fail "no hooks.d file in $hooksd"
  expect_eq "installed gate is static" \
    "$(file -L /usr/libexec/hookwire/hookwire-start-container | grep -c 'statically linked')" 1
  new_bundle installed sh -c 'ip addr show dev eth0; ip -6 route'
  CONTAINERS_CONF=$WORK/containers.conf podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" \
    --tmpdir "$WORK/podman/tmp" run --rm --network none --cidfile "$WORK/installed.cid" \
    --annotation io.hookwire.network=default --rootfs "$(bundle_of installed)/rootfs" \
    sh -c 'ip addr show dev eth0; ip -6 route' </dev/null >"$WORK/installed.out" 2>&1 ||
    fail "podman run with the installed hooks: $(cat "$WORK/installed.out")"
  expect_output installed "inet 10.213."
  expect_output installed "inet6 fd00:213::"
  expect_output installed "default via fd00:213::1 dev eth0"
  # podman ran poststop itself: nothing of this container is left in the
  # package's state dir, and no host link in this test's netns.
  local id
  id=$(cat "$WORK/installed.cid")
  [ ! -e "/run/hookwire/ledger/$id.json" ] || fail "record left: /run/hookwire/ledger/$id.json"
  expect_eq "leases left" "$(find /run/hookwire/ipam -type l -lname "$id" 2>/dev/null | wc -l)" 0
  expect_eq "host links left" "$(host_links | wc -l)" 0
  purge_package
  [ ! -e "$hooksd/hookwire-create-runtime.json" ] || fail "purge left the hooks.d files"
}

run_case "$@"
