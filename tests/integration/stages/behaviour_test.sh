#!/usr/bin/env bash
# Chaining, the readiness gate, createContainer's settings, and the hookwire
# command's ls, check and gc, all against the real binaries.
. "$(dirname "$0")/lib.sh"

case_chained_hooks_run_in_order() {
  new_container
  local pid=$CONTAINER_PID
  write_profile chain "{\"networks\":[{\"type\":\"loopback\"},{\"type\":\"veth\",\"name\":\"eth0\",\"bridge\":\"hookwire0\"}],
    \"ipam\":{\"ipv4\":{\"subnet\":\"10.213.0.0/16\",\"gateway\":\"10.213.0.1\"}},
    \"Hooks\":{\"createRuntime\":[
      {\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo first >> $WORK/order\"]},
      {\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > $WORK/stdin; echo second >> $WORK/order\"],\"timeout\":5000000000}],
     \"poststop\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo stopped >> $WORK/order\"]}]}}"
  local json
  json=$(state chained "$pid" creating '{"io.hookwire.network":"chain"}')
  printf '%s' "$json" | hook create-runtime
  expect_eq "order" "$(tr '\n' ' ' <"$WORK/order")" "first second "
  expect_eq "the State reached the chained hook byte for byte" "$(cat "$WORK/stdin")" "$json"
  state chained none stopped '{"io.hookwire.network":"chain"}' | hook poststop
  expect_eq "poststop chain" "$(tr '\n' ' ' <"$WORK/order")" "first second stopped "
  expect_nothing_left
}

case_failing_chained_hook_rolls_back() {
  new_container
  local pid=$CONTAINER_PID code=0
  write_profile failing "{\"networks\":[{\"type\":\"loopback\"},{\"type\":\"veth\",\"name\":\"eth0\",\"bridge\":\"hookwire0\"}],
    \"ipam\":{\"ipv4\":{\"subnet\":\"10.213.0.0/16\",\"gateway\":\"10.213.0.1\"}},
    \"Hooks\":{\"createRuntime\":[
      {\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo first >> $WORK/order\"]},
      {\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo out; echo err >&2; exit 3\"]},
      {\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo never >> $WORK/order\"]}]}}"
  state failing "$pid" creating '{"io.hookwire.network":"failing"}' | hook create-runtime 2>"$WORK/err" || code=$?
  expect_eq "exit" "$code" 1
  grep -qF 'error running createRuntime hook #1: error running hook: exit status 3, stdout: out' "$WORK/err" ||
    fail "message: $(cat "$WORK/err")"
  expect_eq "hooks after the failure did not run" "$(cat "$WORK/order")" first
  expect_nothing_left
  expect_eq "no eth0 left in the container" \
    "$(in_container "$pid" ip -j link show | jq '[.[] | select(.ifname == "eth0")] | length')" 0
}

case_gate_ready_at_once() {
  new_container
  local pid=$CONTAINER_PID
  state g "$pid" creating | hook create-runtime
  local start end
  start=$(date +%s%N)
  state g 1 created | in_container "$pid" "$HOOKS/hookwire-start-container" --timeout 5
  end=$(date +%s%N)
  echo "gate answered in $(((end - start) / 1000000)) ms"
  # Well under its 5 s bound: nothing was tentative, nothing was waited for.
  [ $(((end - start) / 1000000)) -lt 2500 ] || fail "the gate waited for a network that was ready"
}

case_gate_times_out_when_down() {
  new_container
  local pid=$CONTAINER_PID code=0
  state g "$pid" creating | hook create-runtime
  in_container "$pid" ip link set eth0 down
  state g 1 created | in_container "$pid" "$HOOKS/hookwire-start-container" --timeout 0.3 2>"$WORK/err" || code=$?
  expect_eq "exit" "$code" 1
  grep -q "network not ready after 0.3s: eth0 is down" "$WORK/err" || fail "message: $(cat "$WORK/err")"
}

case_gate_is_static() {
  if [ "${HOOKWIRE_SANITIZE:-none}" != none ]; then
    echo "sanitizer builds link the gate dynamically; skipping"
    exit 77
  fi
  file -L "$HOOKS/hookwire-start-container" | grep -q "statically linked" ||
    fail "not static: $(file -L "$HOOKS/hookwire-start-container")"
}

case_create_container_settings() {
  new_container
  local pid=$CONTAINER_PID
  mkdir -p "$WORK/bundle/rootfs/etc"
  echo '{"root":{"path":"rootfs"},"hostname":"web"}' >"$WORK/bundle/config.json"
  echo "outside" >"$WORK/outside"
  # An image whose /etc/resolv.conf points outside the rootfs must not reach it:
  # the link resolves inside the rootfs instead.
  ln -s "$WORK/outside" "$WORK/bundle/rootfs/etc/resolv.conf"
  mkdir -p "$WORK/bundle/rootfs$WORK"
  write_profile settings '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"hookwire0"}],
    "ipam":{"ipv4":{"subnet":"10.213.0.0/16","gateway":"10.213.0.1"}},
    "sysctls":{"net.ipv4.ip_unprivileged_port_start":"80"},
    "dns":{"nameservers":["10.213.0.1"],"search":["svc.local"]},"etc_hosts":true}'
  local ann='{"io.hookwire.network":"settings"}'
  local json="{\"ociVersion\":\"1.0.2-dev\",\"id\":\"s\",\"status\":\"creating\",\"pid\":%s,\"bundle\":\"$WORK/bundle\",\"annotations\":$ann}"
  printf "$json" "$pid" | hook create-runtime
  local before
  before=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
  # In the runtime's netns, createContainer must not touch anything.
  printf "$json" 1 | hook create-container 2>"$WORK/err"
  grep -q "not running in the container's network namespace" "$WORK/err" || fail "no refusal: $(cat "$WORK/err")"
  [ ! -e "$WORK/bundle/rootfs/etc/hosts" ] || fail "hosts written from the wrong netns"
  printf "$json" 1 | in_container "$pid" "$HOOKS/hookwire-create-container" --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR"
  expect_eq "sysctl inside" "$(in_container "$pid" cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" 80
  expect_eq "sysctl of the runtime's netns untouched" "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" "$before"
  grep -qP '^10\.213\.0\.2\tweb$' "$WORK/bundle/rootfs/etc/hosts" || fail "hosts: $(cat "$WORK/bundle/rootfs/etc/hosts")"
  expect_eq "file outside the rootfs untouched" "$(cat "$WORK/outside")" outside
  grep -q '^nameserver 10.213.0.1$' "$WORK/bundle/rootfs$WORK/outside" ||
    fail "resolv.conf was not written inside the rootfs"
}

case_ls_check_gc() {
  new_container
  local a=$CONTAINER_PID
  new_container
  local b=$CONTAINER_PID
  state alive "$a" creating | hook create-runtime
  state dead "$b" creating | hook create-runtime
  "$HOOKWIRE" ls --state-dir "$STATE_DIR" >"$WORK/ls"
  grep -qE '^alive +default +hw[0-9a-f]{13} +10\.213\.0\.[0-9]+/16,fd00:213::[0-9a-f]+/64 +wired ' "$WORK/ls" ||
    fail "ls: $(cat "$WORK/ls")"
  expect_eq "ls --json" "$("$HOOKWIRE" ls --json --state-dir "$STATE_DIR" | jq -r '[.[].id] | join(",")')" alive,dead
  "$HOOKWIRE" check alive --state-dir "$STATE_DIR" || fail "check of an intact container"
  local address code=0
  address=$(container_addresses "$a" eth0 | cut -d' ' -f1)
  in_container "$a" ip addr del "$address" dev eth0
  "$HOOKWIRE" check alive --state-dir "$STATE_DIR" >"$WORK/check" || code=$?
  expect_eq "check exit after a change" "$code" 1
  grep -q "address $address is missing" "$WORK/check" || fail "check: $(cat "$WORK/check")"
  code=0
  "$HOOKWIRE" check nosuch --state-dir "$STATE_DIR" 2>/dev/null || code=$?
  expect_eq "check of an unknown id" "$code" 2
  # A runtime that never runs poststop: the process is gone, the record stays.
  kill_container "$b"
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  grep -q "^released dead: .*leases .*record (network namespace gone)" "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  expect_eq "gc keeps the live one" "$("$HOOKWIRE" ls --json --state-dir "$STATE_DIR" | jq -r '.[].id')" alive
  expect_eq "leases after gc" "$(lease_count)" 2
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc2"
  expect_eq "a second gc has nothing to do" "$(cat "$WORK/gc2")" ""
  state alive none stopped | hook poststop
  expect_nothing_left
}

# check compares what the README says it compares: the profile's extra routes
# too, which the record now holds.
case_check_reports_a_missing_route() {
  new_container
  local pid=$CONTAINER_PID code=0
  write_profile routed '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"hookwire0"}],
    "ipam":{"ipv4":{"subnet":"10.213.0.0/16","gateway":"10.213.0.1"}},
    "routes":[{"destination":"10.99.0.0/16","gateway":"10.213.0.254"}]}'
  state routed "$pid" creating '{"io.hookwire.network":"routed"}' | hook create-runtime
  expect_eq "recorded routes" "$(jq -c '[.routes[] | .destination, .gateway]' "$STATE_DIR/ledger/routed.json")" \
    '["10.99.0.0/16","10.213.0.254"]'
  "$HOOKWIRE" check routed --state-dir "$STATE_DIR" || fail "check of an intact container"
  in_container "$pid" ip route del 10.99.0.0/16
  "$HOOKWIRE" check routed --state-dir "$STATE_DIR" >"$WORK/check" || code=$?
  expect_eq "check exit without the route" "$code" 1
  grep -q "route 10.99.0.0/16 via 10.213.0.254 is missing$" "$WORK/check" || fail "check: $(cat "$WORK/check")"
  state routed none stopped '{"io.hookwire.network":"routed"}' | hook poststop
  expect_nothing_left
}

case_gc_repairs_corruption() {
  new_container
  local pid=$CONTAINER_PID
  state broken "$pid" creating | hook create-runtime
  echo '{"id": "broken", "trunc' >"$STATE_DIR/ledger/broken.json"
  ln -s nobody "$STATE_DIR/ipam/10.213.0.0-16/10.213.9.9"
  echo junk >"$STATE_DIR/ipam/10.213.0.0-16/garbage"
  local code=0
  "$HOOKWIRE" ls --state-dir "$STATE_DIR" >/dev/null || code=$?
  expect_eq "ls survives a corrupt record" "$code" 0
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  grep -q "^released broken: links hw.*(unreadable record)" "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  grep -q "released lease 10.213.9.9 of nobody (no record)" "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  grep -q "garbage (not a lease hookwire wrote)" "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  expect_nothing_left
  # And the id can be wired again.
  state broken "$pid" creating | hook create-runtime
  state broken none stopped | hook poststop
  expect_nothing_left
}

case_gc_not_fooled_by_a_reused_inode() {
  # The kernel hands nsfs inode numbers out again once a netns is gone; the
  # record's netns cookie tells a newcomer with the old number apart.
  new_container
  local pid=$CONTAINER_PID
  state reused "$pid" creating | hook create-runtime
  local record=$STATE_DIR/ledger/reused.json
  [ "$(jq '.netns.cookie' "$record")" -gt 0 ] || fail "no cookie recorded: $(cat "$record")"
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  expect_eq "gc leaves the live container alone" "$(cat "$WORK/gc")" ""
  jq '.netns.cookie += 1' "$record" >"$record.new" && mv "$record.new" "$record"
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  grep -q "^released reused: .*(network namespace gone)" "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  expect_nothing_left
}

case_corrupt_record_at_hook_time() {
  new_container
  local pid=$CONTAINER_PID
  state c "$pid" creating | hook create-runtime
  printf '\x00\x01garbage' >"$STATE_DIR/ledger/c.json"
  # poststop recovers from the id alone.
  state c none stopped | hook poststop 2>"$WORK/err"
  grep -q "unwiring by id" "$WORK/err" || fail "no warning: $(cat "$WORK/err")"
  expect_nothing_left
}

run_case "$@"
