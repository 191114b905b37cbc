#!/usr/bin/env bash
# Many hooks at once, and hooks killed at every step of the wiring.
. "$(dirname "$0")/lib.sh"

case_fifty_concurrent() {
  local pids=() i
  for i in $(seq 50); do
    new_container
    pids+=("$CONTAINER_PID")
  done
  for i in $(seq 50); do
    state "c$i" "${pids[$((i - 1))]}" creating | hook create-runtime 2>>"$WORK/err" &
  done
  wait
  [ ! -s "$WORK/err" ] || fail "errors: $(head -5 "$WORK/err")"
  local v4 v6
  v4=$(for pid in "${pids[@]}"; do container_addresses "$pid" eth0 | cut -d' ' -f1; done | sort -u | wc -l)
  v6=$(for pid in "${pids[@]}"; do container_addresses "$pid" eth0 | cut -d' ' -f2; done | sort -u | wc -l)
  expect_eq "distinct IPv4 addresses" "$v4" 50
  expect_eq "distinct IPv6 addresses" "$v6" 50
  expect_eq "host links" "$(host_links | wc -l)" 50
  expect_eq "one bridge" "$(ip -j link show type bridge | jq length)" 1
  for i in $(seq 50); do state "c$i" none stopped | hook poststop 2>>"$WORK/err" & done
  wait
  [ ! -s "$WORK/err" ] || fail "errors: $(head -5 "$WORK/err")"
  expect_nothing_left
}

# fault_steps: how many fault points a default wiring passes (0 when this build
# has no fault injection compiled in).
fault_steps() {
  new_container
  local n=1 code
  while :; do
    code=0
    state probe "$CONTAINER_PID" creating | HOOKWIRE_FAULT_AFTER=$n hook create-runtime 2>/dev/null || code=$?
    [ "$code" = 137 ] || break
    state probe none stopped | hook poststop
    n=$((n + 1))
  done
  state probe none stopped | hook poststop
  kill_container "$CONTAINER_PID"
  echo $((n - 1))
}

case_killed_at_every_step() {
  local steps n
  steps=$(fault_steps)
  if [ "$steps" = 0 ]; then
    echo "this build has no fault injection (-Dtest_hooks=true); skipping"
    exit 77
  fi
  echo "the wiring has $steps fault points"
  for n in $(seq "$steps"); do
    new_container
    local pid=$CONTAINER_PID code=0
    state "k$n" "$pid" creating | HOOKWIRE_FAULT_AFTER=$n hook create-runtime 2>/dev/null || code=$?
    expect_eq "step $n: killed" "$code" 137
    if [ $((n % 2)) = 0 ]; then
      # The runtime runs poststop...
      state "k$n" none stopped | hook poststop
    else
      # ...or it never does, the container goes, and gc repairs.
      kill_container "$pid"
      "$HOOKWIRE" gc --state-dir "$STATE_DIR" >/dev/null
    fi
    expect_nothing_left
    if [ $((n % 2)) = 0 ]; then
      state "k$n" "$pid" creating | hook create-runtime
      [ -n "$(container_addresses "$pid" eth0)" ] || fail "step $n: rewiring after the crash failed"
      state "k$n" none stopped | hook poststop
      expect_nothing_left
    fi
  done
}

case_killed_then_rewired_without_poststop() {
  # A crashed createRuntime followed by a second one for the same id (the runtime
  # retried): the stale half-wiring is cleaned up first.
  local steps
  steps=$(fault_steps)
  [ "$steps" != 0 ] || exit 77
  new_container
  state r "$CONTAINER_PID" creating | HOOKWIRE_FAULT_AFTER=$((steps - 1)) hook create-runtime 2>/dev/null || true
  state r "$CONTAINER_PID" creating | hook create-runtime
  expect_eq "one host link" "$(host_links | wc -l)" 1
  expect_eq "two leases" "$(lease_count)" 2
  state r none stopped | hook poststop
  expect_nothing_left
}

run_case "$@"
