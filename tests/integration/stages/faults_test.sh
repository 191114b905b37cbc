#!/usr/bin/env bash
# Faults from outside: a full disk under the state dir, a container process that
# vanishes while its hook runs, and a kill at every step of a wiring with several
# veths and a route. Each ends with exit 1 (rolled back) or exit 2 (nothing done),
# never a crash, and with nothing left behind.
#
# The script runs in a throwaway netns and a private mount namespace of its own,
# so the tiny tmpfs that plays the full disk is never seen outside.
STAGE_PRIVATE_MOUNTS=1
. "$(dirname "$0")/lib.sh"

DISK=$WORK/disk
trap 'umount "$DISK" 2>/dev/null || true; cleanup' EXIT

# bridge_ports BRIDGE: the links enslaved to BRIDGE.
bridge_ports() { ip -j link show master "$1" 2>/dev/null | jq -r '.[].ifname' | tr '\n' ' '; }
temp_files() { find "$STATE_DIR" -name '.tmp.*' 2>/dev/null | wc -l; }

# fill_disk FREE: fills the tmpfs at $DISK with one-page files, then frees FREE pages.
fill_disk() {
  local i=0
  while dd if=/dev/zero of="$DISK/pad.$i" bs=4096 count=1 status=none 2>/dev/null; do i=$((i + 1)); done
  rm -f "$DISK/pad.$i"
  for ((j = 0; j < $1 && j < i; j++)); do rm -f "$DISK/pad.$j"; done
}

case_full_disk() {
  mkdir -p "$DISK"
  mount -t tmpfs -o size=64k,mode=0755 hookwire-full-disk "$DISK"
  STATE_DIR=$DISK/state
  new_container
  local pid=$CONTAINER_PID free code failed_late=0 failures=0
  # Every amount of free space, from none to enough: each write of the wiring
  # (the record of intent, the pool hints, the completed record) fails in turn.
  for free in 0 1 2 3 4 5 6 8; do
    rm -rf "$STATE_DIR" "$DISK"/pad.*
    mkdir -m 0700 "$STATE_DIR"
    fill_disk "$free"
    ip -o monitor link >"$WORK/monitor" 2>/dev/null &
    local monitor=$!
    sleep 0.05
    code=0
    state d "$pid" creating | hook create-runtime 2>"$WORK/err" >/dev/null || code=$?
    sleep 0.05
    kill "$monitor" 2>/dev/null
    wait "$monitor" 2>/dev/null || true
    case "$code" in
      0)
        state d none stopped | hook poststop
        ;;
      1)
        failures=$((failures + 1))
        [ "$(wc -l <"$WORK/err")" = 1 ] || fail "$free pages free: stderr is not one line: $(cat "$WORK/err")"
        grep -q "No space left on device" "$WORK/err" || fail "$free pages free: message: $(cat "$WORK/err")"
        # The links were made before the failing write: they were rolled back.
        if grep -q ' hw' "$WORK/monitor"; then
          failed_late=$((failed_late + 1))
          echo "$free pages free: failed after its links were made, rolled back: $(cat "$WORK/err")"
        fi
        ;;
      *) fail "$free pages free: exit $code (stderr: $(cat "$WORK/err"))" ;;
    esac
    expect_nothing_left
    expect_eq "$free pages free: bridge ports" "$(bridge_ports hookwire0)" ""
    expect_eq "$free pages free: temp files" "$(temp_files)" 0
    echo "$free pages free: exit $code"
  done
  [ "$failures" -gt 0 ] || fail "the disk was never full enough to fail a wiring"
  [ "$failed_late" -gt 0 ] || fail "no wiring failed after its links were made (no rollback seen)"
  [ "$code" = 0 ] || fail "enough space: exit $code"
  # Once there is room again, the same container wires.
  rm -f "$DISK"/pad.*
  state d "$pid" creating | hook create-runtime
  [ -n "$(container_addresses "$pid" eth0)" ] || fail "wiring after the disk was freed"
  state d none stopped | hook poststop
  expect_nothing_left
  umount "$DISK"
}

case_vanishing_process() {
  # The container dies after the runtime wrote the State and before the hook read
  # it (the pipe closes only once it is dead): a clear input error, nothing done.
  new_container
  local pid=$CONTAINER_PID code=0
  { state v "$pid" creating; kill_container "$pid"; } | hook create-runtime 2>"$WORK/err" || code=$?
  expect_eq "gone before the read: exit" "$code" 2
  grep -q "state: pid $pid: no such process" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  expect_eq "one line" "$(wc -l <"$WORK/err")" 1
  expect_nothing_left
  # The container dies at any moment while the hook runs: the hook either wired a
  # netns it holds open (poststop, or gc once the netns is gone, undoes it) or
  # failed cleanly. Never a crash, never anything left.
  local i delay outcomes=""
  for i in $(seq 20); do
    new_container
    pid=$CONTAINER_PID
    delay=$(printf '0.%03d' $(((i * 7) % 40)))
    code=0
    (sleep "$delay"; kill -9 "$pid") &
    state "v$i" "$pid" creating | hook create-runtime 2>"$WORK/err" >/dev/null || code=$?
    wait
    case "$code" in
      0 | 2) ;;
      1) [ "$(wc -l <"$WORK/err")" = 1 ] || fail "run $i: stderr: $(cat "$WORK/err")" ;;
      *) fail "run $i: exit $code (stderr: $(cat "$WORK/err"))" ;;
    esac
    outcomes+="$code"
    kill_container "$pid"
    if [ $((i % 2)) = 0 ]; then
      state "v$i" none stopped | hook poststop
    else
      "$HOOKWIRE" gc --state-dir "$STATE_DIR" >/dev/null
    fi
    expect_nothing_left
  done
  echo "exit codes by delay: $outcomes"
}

# A profile with two veths on two bridges and a route: every kind of fault point.
# (eth1 is static: two veths drawing on one pool would both get its default route.)
write_two_veth_profile() {
  write_profile twoveth '{"networks":[{"type":"loopback"},
      {"type":"veth","name":"eth0","bridge":"br-a"},
      {"type":"veth","name":"eth1","bridge":"br-b","address":"192.168.77.2/24","ipv6_address":"fd00:77::2/64"}],
    "routes":[{"destination":"10.99.0.0/16","gateway":"10.80.0.254"}],
    "ipam":{"ipv4":{"subnet":"10.80.0.0/24","gateway":"10.80.0.1"},
            "ipv6":{"subnet":"fd00:80::/64","gateway":"fd00:80::1"}}}'
}

case_killed_at_every_step_of_a_full_profile() {
  write_two_veth_profile
  new_container
  local probe=$CONTAINER_PID n=1 code steps
  while :; do
    code=0
    state probe "$probe" creating | HOOKWIRE_FAULT_AFTER=$n hook create-runtime --network twoveth 2>/dev/null ||
      code=$?
    state probe none stopped | hook poststop --network twoveth
    [ "$code" = 137 ] || break
    n=$((n + 1))
  done
  steps=$((n - 1))
  if [ "$steps" = 0 ]; then
    echo "this build has no fault injection (-Dtest_hooks=true); skipping"
    exit 77
  fi
  # intent, leases, bridges, lo, eth0, eth1, the route, the completed record.
  expect_eq "fault points of a two-veth profile with a route" "$steps" 8
  for n in $(seq "$steps"); do
    new_container
    local pid=$CONTAINER_PID
    code=0
    state "f$n" "$pid" creating | HOOKWIRE_FAULT_AFTER=$n hook create-runtime --network twoveth 2>/dev/null || code=$?
    expect_eq "step $n: killed" "$code" 137
    if [ $((n % 2)) = 0 ]; then
      state "f$n" none stopped | hook poststop --network twoveth
    else
      kill_container "$pid"
      "$HOOKWIRE" gc --state-dir "$STATE_DIR" >/dev/null
    fi
    expect_nothing_left
    expect_eq "step $n: ports on br-a" "$(bridge_ports br-a)" ""
    expect_eq "step $n: ports on br-b" "$(bridge_ports br-b)" ""
  done
  # And the profile wires in full once nothing interrupts it.
  new_container
  state full "$CONTAINER_PID" creating | hook create-runtime --network twoveth
  expect_eq "route in the container" \
    "$(in_container "$CONTAINER_PID" ip -j route show 10.99.0.0/16 | jq -r '.[0].gateway')" 10.80.0.254
  state full none stopped | hook poststop --network twoveth
  expect_nothing_left
}

run_case "$@"
