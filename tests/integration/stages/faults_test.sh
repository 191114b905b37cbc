#!/usr/bin/env bash
# Faults from outside: a full disk under the state dir, a container process that
# vanishes while its hook runs, and a kill at every step of a wiring with several
# veths and a route, and of one with NAT and published ports. Each ends with
# exit 1 (rolled back) or exit 2 (nothing done), never a crash, and with nothing
# left behind (links, leases, host ports, records, firewall elements).
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

# monitor_sync MONITOR NAME: adds and deletes a bridge NAME until the link
# monitor MONITOR (writing $WORK/monitor) shows it: it is listening, and every
# earlier change of links is in its output. No sleep to guess how long it takes.
monitor_sync() {
  for _ in $(seq 300); do
    ip link add "$2" type bridge
    ip link del "$2"
    sleep 0.02
    grep -q " $2[:@]" "$WORK/monitor" && return 0
    kill -0 "$1" 2>/dev/null || break
  done
  fail "ip monitor never showed $2"
}

# wire_on_full_disk PID WHAT: one createRuntime with the state dir on the full
# disk; exit 0 (then unwired), or 1 with one line naming the full disk and all
# rolled back. Counts FAILURES, and FAILED_LATE for those after links were made;
# LAST_CODE is its exit code.
wire_on_full_disk() {
  local pid=$1 what=$2 code=0
  ip -o monitor link >"$WORK/monitor" 2>/dev/null &
  local monitor=$!
  monitor_sync "$monitor" sync-start
  state d "$pid" creating | hook create-runtime 2>"$WORK/err" >/dev/null || code=$?
  monitor_sync "$monitor" sync-end
  kill "$monitor" 2>/dev/null
  wait "$monitor" 2>/dev/null || true
  case "$code" in
    0)
      state d none stopped | hook poststop
      ;;
    1)
      FAILURES=$((FAILURES + 1))
      [ "$(wc -l <"$WORK/err")" = 1 ] || fail "$what: stderr is not one line: $(cat "$WORK/err")"
      grep -q "No space left on device" "$WORK/err" || fail "$what: message: $(cat "$WORK/err")"
      # The links were made before the failing write: they were rolled back.
      if grep -q ' hw' "$WORK/monitor"; then
        FAILED_LATE=$((FAILED_LATE + 1))
        echo "$what: failed after its links were made, rolled back: $(cat "$WORK/err")"
      fi
      ;;
    *) fail "$what: exit $code (stderr: $(cat "$WORK/err"))" ;;
  esac
  expect_nothing_left
  expect_eq "$what: bridge ports" "$(bridge_ports hookwire0)" ""
  expect_eq "$what: temp files" "$(temp_files)" 0
  echo "$what: exit $code"
  LAST_CODE=$code
}

case_full_disk() {
  mkdir -p "$DISK"
  STATE_DIR=$DISK/state
  new_container
  local pid=$CONTAINER_PID free inodes
  FAILURES=0
  FAILED_LATE=0
  # Out of pages, from none free to enough: each write of the wiring (the record
  # of intent, the pool hints, the record with its firewall facts) fails in turn.
  # All of them come before the links.
  mount -t tmpfs -o size=64k,mode=0755 hookwire-full-disk "$DISK"
  for free in 0 1 2 3 4 5 6 8; do
    rm -rf "$STATE_DIR" "$DISK"/pad.*
    mkdir -m 0700 "$STATE_DIR"
    fill_disk "$free"
    wire_on_full_disk "$pid" "$free pages free"
  done
  [ "$FAILURES" -gt 0 ] || fail "the disk was never full enough to fail a wiring"
  [ "$LAST_CODE" = 0 ] || fail "enough space: exit $LAST_CODE"
  umount "$DISK"
  # Out of inodes, from one to enough: each file, directory, symlink (leases)
  # and lock file of a first wiring fails in turn, its nftables table missing.
  for inodes in $(seq 1 40); do
    mount -t tmpfs -o size=1m,nr_inodes="$inodes",mode=0755 hookwire-full-disk "$DISK"
    nft delete table inet hookwire 2>/dev/null || true
    wire_on_full_disk "$pid" "$inodes inodes"
    umount "$DISK"
    [ "$LAST_CODE" != 0 ] || break
  done
  [ "$LAST_CODE" = 0 ] || fail "enough inodes: exit $LAST_CODE"
  # Every write before the links is at least as large as the one after them
  # (the record with its firewall facts, then the completed record), so a full
  # disk now fails a wiring before its links are made; should one fail after
  # them, its rollback was checked above all the same.
  echo "failures after the links were made: $FAILED_LATE"
  # Once there is room again, the same container wires.
  mount -t tmpfs -o size=64k,mode=0755 hookwire-full-disk "$DISK"
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
  # intent, addresses, host ports (none here), bridges, lo, eth0, eth1, the route,
  # the firewall elements, the completed record.
  expect_eq "fault points of a two-veth profile with a route" "$steps" 10
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

# A profile with outbound NAT (both families) and published ports: the
# host port leases and the firewall elements are steps of their own.
write_world_profile() {
  write_profile world '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"br-world"}],
    "ipam":{"ipv4":{"subnet":"10.81.0.0/24","gateway":"10.81.0.1"},
            "ipv6":{"subnet":"fd00:81::/64","gateway":"fd00:81::1"}},
    "nat":{"outbound":true,"ipv6":true},"ports":{"ranges":["8000-8999"]}}'
}
WORLD_ANNOTATIONS='{"io.hookwire.network":"world","io.hookwire.ports":"8080:80,8053:53/udp,127.0.0.1:8081:81"}'

case_killed_at_every_step_of_a_world_profile() {
  ip link set lo up  # 127.0.0.1 is a host address only with lo up
  write_world_profile
  new_container
  local probe=$CONTAINER_PID n=1 code steps
  while :; do
    code=0
    state probe "$probe" creating "$WORLD_ANNOTATIONS" | HOOKWIRE_FAULT_AFTER=$n hook create-runtime 2>/dev/null ||
      code=$?
    state probe none stopped | hook poststop
    [ "$code" = 137 ] || break
    n=$((n + 1))
  done
  expect_eq "the probe's last run" "$code" 0
  steps=$((n - 1))
  if [ "$steps" = 0 ]; then
    echo "this build has no fault injection (-Dtest_hooks=true); skipping"
    exit 77
  fi
  # intent, addresses, host ports, the bridge, lo, eth0, the firewall elements,
  # the completed record.
  expect_eq "fault points of a profile with NAT and published ports" "$steps" 8
  expect_nothing_left
  for n in $(seq "$steps"); do
    new_container
    local pid=$CONTAINER_PID
    code=0
    state "w$n" "$pid" creating "$WORLD_ANNOTATIONS" |
      HOOKWIRE_FAULT_AFTER=$n hook create-runtime 2>"$WORK/err" || code=$?
    expect_eq "step $n: killed" "$code" 137
    echo "step $n: $(grep -o 'after step .*' "$WORK/err")"
    # Each way back: poststop, gc once the container is gone, and poststop after
    # its container is gone (the runtime's usual order). The next step's
    # container asks for the same host ports: they must be free again.
    case $((n % 3)) in
      0) state "w$n" none stopped | hook poststop ;;
      1)
        kill_container "$pid"
        "$HOOKWIRE" gc --state-dir "$STATE_DIR" >/dev/null
        ;;
      2)
        kill_container "$pid"
        state "w$n" none stopped | hook poststop
        ;;
    esac
    expect_nothing_left
    expect_eq "step $n: ports on br-world" "$(bridge_ports br-world)" ""
  done
  # And the profile wires in full once nothing interrupts it, its ports free.
  new_container
  state full "$CONTAINER_PID" creating "$WORLD_ANNOTATIONS" | hook create-runtime
  expect_eq "host ports of the full wiring" "$(host_port_leases)" "tcp-8080->full tcp-8081->full udp-8053->full "
  [ "$(firewall_elements | wc -l)" -gt 0 ] || fail "the full wiring has no firewall element"
  "$HOOKWIRE" check full --state-dir "$STATE_DIR" || fail "check full"
  state full none stopped | hook poststop
  expect_nothing_left
}

run_case "$@"
