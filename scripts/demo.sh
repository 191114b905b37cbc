#!/usr/bin/env bash
# hookwire in one command: builds hookwire, starts three busybox containers under
# runc with hookwire's hooks, shows their network and lets them ping each other
# over IPv4 and IPv6, then deletes them and shows that nothing is left.
#
# Run it as root on Debian 12:  scripts/demo.sh
# It installs what it needs (apt, only what is missing) and builds in build-demo/.
# Your own network is never touched: the demo runs in a throwaway network
# namespace that plays the host, and everything it makes dies with it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${HOOKWIRE_DEMO_BUILD:-$ROOT/build-demo}
WORK=/run/hookwire-demo
NAMES=(one two three)

if [ -t 1 ]; then BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' OFF=$'\e[0m'; else BOLD='' DIM='' RED='' OFF=''; fi
STEP=${HOOKWIRE_DEMO_STEP:-0}  # carried across the re-exec below
step() {  # step TITLE: a numbered heading, so the user can follow along
  STEP=$((STEP + 1))
  printf '\n%s==> %d. %s%s\n' "$BOLD" "$STEP" "$*" "$OFF"
}
say() { printf '    %s\n' "$*"; }
indent() { sed 's/^/      /'; }
die() {
  printf '%sdemo failed: %s%s\n' "$RED" "$*" "$OFF" >&2
  exit 1
}
# on_exit: says where a failed demo stopped (set -e ends it at the first
# failing command), after the cleanup that the namespace part adds.
CLEANUP=:
on_exit() {
  local status=$?
  trap - EXIT
  set +e
  "$CLEANUP"
  [ "$status" = 0 ] || printf '%sdemo failed at step %d%s\n' "$RED" "$STEP" "$OFF" >&2
  exit "$status"
}
trap on_exit EXIT

[ "$(id -u)" = 0 ] || die "run it as root (it creates network namespaces and runs runc)"

# --- Outside the throwaway namespace: packages need the network, and the build
# --- is kept for the next run.
if [ -z "${HOOKWIRE_DEMO_THROWAWAY:-}" ]; then
  step "Installing what the demo needs (only what is missing)"
  . "$ROOT/scripts/deps.sh"
  install_deps build runtime
  say "compiler, meson, libnl, Boost; runc, busybox-static, iproute2, jq: ok"

  step "Building hookwire in ${BUILD#"$ROOT"/}"
  if [ ! -f "$BUILD/build.ninja" ]; then
    say "first build: this takes a few minutes"
    setup_log=$(mktemp /tmp/hookwire-demo-setup.XXXXXX)
    meson setup "$BUILD" "$ROOT" -Dtests=false >"$setup_log" 2>&1 ||
      { tail -20 "$setup_log" >&2; die "meson setup failed (log: $setup_log)"; }
    rm -f "$setup_log"
  fi
  ninja -C "$BUILD" >"$BUILD/demo-build.log" 2>&1 ||
    { tail -30 "$BUILD/demo-build.log" >&2; die "the build failed (log: $BUILD/demo-build.log)"; }
  say "hook binaries in ${BUILD#"$ROOT"/}/hooks, the hookwire command in ${BUILD#"$ROOT"/}/cli"

  step "Entering a throwaway network namespace: it plays the host"
  say "hookwire's bridge and the host ends of the veth pairs will live there;"
  say "your network is untouched, and all of it goes away with the demo."
  HOOKWIRE_DEMO_THROWAWAY=1 HOOKWIRE_DEMO_STEP=$STEP exec unshare -n -m --propagation private -- "$0" "$@"
fi

# --- Inside: this netns is the host, the runtime's netns. ---
SECONDS=0
HOOKS=$BUILD/hooks
HOOKWIRE=$BUILD/cli/hookwire
. "$ROOT/tests/e2e/bundle.sh"

# One demo at a time: they share $WORK and runc's container names.
exec 9>"$WORK.lock"
flock -n 9 || die "another demo is running"

# runc keeps its containers apart from the machine's (--root); hookwire keeps its
# leases and records in the demo's own state dir, and looks for profiles in an
# empty dir, so the built-in default profile applies (bridge hookwire0,
# 10.213.0.0/16, fd00:213::/64).
runc_() { runc --root "$WORK/runc" "$@"; }
hookwire_() { "$HOOKWIRE" "$@"; }
STATE_DIR=$WORK/state
id_of() { echo "demo-$1"; }

# remove_containers: deletes the demo's containers (runc runs hookwire's
# poststop for each); also what a killed earlier run left.
remove_containers() {
  local id
  [ -d "$WORK/runc" ] || return 0
  for id in $(runc_ list -q 2>/dev/null); do runc_ delete -f "$id" >/dev/null 2>&1 || true; done
}
cleanup() {
  remove_containers
  rm -rf "$WORK"
}
cleanup
mkdir -p "$WORK/networks" "$WORK/bundles"
CLEANUP=cleanup

step "Starting three busybox containers under runc, wired by hookwire"
for name in "${NAMES[@]}"; do
  bundle=$WORK/bundles/$name
  busybox_bundle "$bundle" "$name" sleep 600 >/dev/null
  # Adds the six hooks (with absolute paths) and the read-only bind mount the
  # startContainer gate needs, to the bundle's config.json.
  install=(install --bundle "$bundle" --libexec "$HOOKS" --state-dir "$STATE_DIR" --config-dir "$WORK/networks"
           --log-file "$WORK/hookwire.log")
  [ "$name" = one ] && say "hookwire ${install[*]}" | sed "s|$ROOT/||g; s|$WORK|\$DEMO|g"
  hookwire_ "${install[@]}"
  # The container's output goes to a file: a pipe would stay open while it runs.
  runc_ run -d --bundle "$bundle" "$(id_of "$name")" </dev/null >"$WORK/$name.out" 2>&1 ||
    die "runc could not start $name: $(cat "$WORK/$name.out")"
  # runc run -d exits 0 even when the startContainer gate fails: the container
  # then just stops. So look.
  [ "$(runc_ state "$(id_of "$name")" | jq -r .status)" = running ] ||
    die "$name does not run: $(cat "$WORK/$name.out")"
  say "started $name (runc run -d $(id_of "$name"))"
done

step "What each container sees: its eth0"
declare -A ADDRESS4 ADDRESS6
for name in "${NAMES[@]}"; do
  printf '    %s%s:%s\n' "$BOLD" "$name" "$OFF"
  runc_ exec "$(id_of "$name")" ip addr show dev eth0 </dev/null | indent
  # The addresses hookwire recorded for it, for the pings.
  record=$(hookwire_ ls --json --state-dir "$STATE_DIR" | jq -c --arg id "$(id_of "$name")" '.[] | select(.id == $id)')
  ADDRESS4[$name]=$(jq -r '.addresses[] | select(contains(".")) | sub("/.*"; "")' <<<"$record")
  ADDRESS6[$name]=$(jq -r '.addresses[] | select(contains(":")) | sub("/.*"; "")' <<<"$record")
  [ -n "${ADDRESS4[$name]}" ] || die "$name has no IPv4 address in hookwire's record"
  [ -n "${ADDRESS6[$name]}" ] || die "$name has no IPv6 address in hookwire's record"
done
say "${DIM}and on the host side, the bridge and one veth end per container:${OFF}"
ip -j link show | jq -r '.[] | select(.ifname | test("^(hookwire0|hw)"))
  | "\(.ifname)\t\(.operstate)\t\(if .master then "on " + .master else "the bridge" end)"' |
  awk -F'\t' '{printf "%-16s %-5s %s\n", $1, $2, $3}' | indent

step "The containers ping each other, over IPv4 and IPv6"
for from in "${NAMES[@]}"; do
  for to in "${NAMES[@]}"; do
    [ "$from" = "$to" ] && continue
    for address in "${ADDRESS4[$to]}" "${ADDRESS6[$to]}"; do
      reply=$(runc_ exec "$(id_of "$from")" ping -c1 -W2 "$address" </dev/null | grep 'bytes from') ||
        die "$from cannot ping $to at $address"
      printf '    %-5s -> %-5s  %s\n' "$from" "$to" "$reply"
    done
  done
done

step "hookwire ls: what hookwire wired"
hookwire_ ls --state-dir "$STATE_DIR" | indent

step "Stopping and deleting the containers (runc runs hookwire's poststop at delete)"
for name in "${NAMES[@]}"; do
  runc_ kill "$(id_of "$name")" KILL  # sleep, as pid 1, ignores SIGTERM
done
for name in "${NAMES[@]}"; do
  for _ in $(seq 100); do
    [ "$(runc_ state "$(id_of "$name")" | jq -r .status)" = stopped ] && break
    sleep 0.05
  done
  runc_ delete "$(id_of "$name")"
  say "stopped and deleted $name"
done

step "Nothing is left"
say "hookwire ls:"
hookwire_ ls --state-dir "$STATE_DIR" | indent
listed=$(hookwire_ ls --json --state-dir "$STATE_DIR" | jq length)
[ "$listed" = 0 ] || die "hookwire ls still lists $listed container(s)"
links=$(ip -br link | awk '$1 ~ /^hw/ {print $1}')
[ -z "$links" ] || die "host links left: $links"
say "host links named hw*: none (the bridge hookwire0 stays, for the next container)"
leftovers=$(find "$STATE_DIR" -type f -not -name '.*' | sed "s|$STATE_DIR/||")
[ -z "$leftovers" ] || die "left in the state dir: $leftovers"
say "state dir: no leases, no records (only hookwire's empty ledger/ and ipam/ dirs)"
say "${DIM}what the hooks logged, stage by stage:${OFF}"
sed -E 's/^[^ ]+ [a-z]+ //' "$WORK/hookwire.log" | indent

printf '\n%sDone in %ds.%s Three containers were wired, talked to each other, and were unwired\n' \
  "$BOLD" "$SECONDS" "$OFF"
printf 'without a trace. Next: hookwire --help, and docs/configuration.md for your own profiles.\n'
