# Shared by the stage tests: each test runs in a throwaway "host" netns, with
# containers that are `sleep` processes in netns of their own, and a state dir
# and profile dir of its own. Everything goes away when the test ends, even when
# it fails.
#
# A script that also needs a private mount namespace (its mounts never seen
# outside) sets STAGE_PRIVATE_MOUNTS=1 before sourcing this file.
set -euo pipefail

# Without root there are no namespaces to make: the test is skipped (77 is
# meson's SKIP), not failed.
if [ "$(id -u)" != 0 ]; then
  echo "stage tests need root (they make throwaway network namespaces): skipped" >&2
  exit 77
fi

if [ -z "${HOOKWIRE_IN_THROWAWAY_NETNS:-}" ]; then
  HOOKWIRE_IN_THROWAWAY_NETNS=1 exec unshare -n ${STAGE_PRIVATE_MOUNTS:+-m --propagation private} -- "$0" "$@"
fi

: "${HOOKWIRE_BUILD:?HOOKWIRE_BUILD must name the build dir}"
HOOKS=$HOOKWIRE_BUILD/hooks
HOOKWIRE=$HOOKWIRE_BUILD/cli/hookwire
WORK=$(mktemp -d /tmp/hookwire-stage-test.XXXXXX)
STATE_DIR=$WORK/state
CONFIG_DIR=$WORK/networks
mkdir -p "$CONFIG_DIR"
chmod 0755 "$WORK" "$CONFIG_DIR"
SLEEPERS=()

cleanup() {
  local pid
  for pid in "${SLEEPERS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  # A resolver the hooks started for this state dir (it would keep this netns alive).
  pkill -9 -f -- "hookwire-dns --state-dir $STATE_DIR( |\$)" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# new_container: starts a process in a new netns and sets CONTAINER_PID once the
# namespace is really its own (unshare execs sleep only after unshare(2)). Not
# called in $(...): the sleeper would hold the substitution's pipe open.
new_container() {
  unshare -n -- sleep 600 </dev/null >/dev/null 2>&1 &
  CONTAINER_PID=$!
  disown "$CONTAINER_PID"  # no "Killed" job notices when tests kill it
  SLEEPERS+=("$CONTAINER_PID")
  local self
  self=$(readlink /proc/self/ns/net)
  for _ in $(seq 200); do
    [ "$(readlink /proc/$CONTAINER_PID/ns/net 2>/dev/null)" != "$self" ] && return 0
    sleep 0.01
  done
  fail "container $CONTAINER_PID never got a netns of its own"
}

# state ID PID STATUS [ANNOTATIONS-JSON] [EXTRA-JSON-FIELDS]: a State as runc sends it.
state() {
  local id=$1 pid=$2 status=$3 annotations=${4:-'{}'}
  if [ "$pid" = none ]; then
    printf '{"ociVersion":"1.0.2-dev","id":"%s","status":"%s","bundle":"%s","annotations":%s}' \
      "$id" "$status" "$WORK" "$annotations"
  else
    printf '{"ociVersion":"1.0.2-dev","id":"%s","status":"%s","pid":%s,"bundle":"%s","annotations":%s}' \
      "$id" "$status" "$pid" "$WORK" "$annotations"
  fi
}

# hook STAGE [OPTIONS...] < STATE: runs a hook binary with this test's dirs.
hook() {
  local stage=$1
  shift
  "$HOOKS/hookwire-$stage" --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR" "$@"
}

# in_container PID CMD...: runs CMD in the container's netns.
in_container() {
  local pid=$1
  shift
  nsenter --net="/proc/$pid/ns/net" -- "$@"
}

# kill_container PID: the container's process exits, and with it its netns.
kill_container() {
  kill -9 "$1" 2>/dev/null || true
  for _ in $(seq 200); do
    [ -e "/proc/$1/ns/net" ] || return 0
    sleep 0.01
  done
  fail "container $1 did not exit"
}

expect_eq() {  # expect_eq WHAT ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
}

expect_exit() {  # expect_exit CODE WHAT CMD...: runs CMD, checks its exit code
  local want=$1 what=$2 got=0
  shift 2
  "$@" || got=$?
  [ "$got" = "$want" ] || fail "$what: exit $got, expected $want"
}

. "$(dirname "${BASH_SOURCE[0]}")/../../leftovers.sh"

# refused WHAT EXPECTED-TEXT STAGE [OPTIONS...] < INPUT: exit 2, one short line
# naming the problem, and no link, lease, record, bridge or temp file made.
refused() {
  local what=$1 expected=$2 stage=$3 code=0
  shift 3
  local err=$WORK/stderr
  hook "$stage" "$@" 2>"$err" >/dev/null || code=$?
  [ "$code" = 2 ] || fail "$what: exit $code, expected 2 (stderr: $(head -c 500 "$err"))"
  [ "$(wc -l <"$err")" = 1 ] || fail "$what: stderr is not one line: $(head -c 500 "$err")"
  [ "$(wc -c <"$err")" -le 1024 ] || fail "$what: stderr is $(wc -c <"$err") bytes long"
  grep -qF -- "$expected" "$err" || fail "$what: stderr '$(head -c 500 "$err")' lacks '$expected'"
  expect_nothing_left
  expect_eq "$what: no bridge" "$(ip -j link show | jq '[.[] | select(.ifname == "hookwire0")] | length')" 0
  expect_eq "$what: no temp file" "$(find "$STATE_DIR" -name '.tmp.*' 2>/dev/null | wc -l)" 0
}

# container_addresses PID IFNAME: the global addresses of IFNAME, space separated.
container_addresses() {
  in_container "$1" ip -j addr show dev "$2" |
    jq -r '[.[0].addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"] | join(" ")'
}

# write_profile NAME JSON: a profile file owned by root, mode 0644.
write_profile() {
  printf '%s\n' "$2" >"$CONFIG_DIR/$1.json"
  chmod 0644 "$CONFIG_DIR/$1.json"
}

# run_case NAME: runs the function case_NAME, so one script holds many cases.
run_case() {
  local name=${1:?which case?}
  declare -F "case_$name" >/dev/null || fail "no such case: $name"
  "case_$name"
  echo "ok: $name"
}
