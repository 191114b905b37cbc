#!/usr/bin/env bash
# Real State sequences, shaped as runc, crun and podman send them, through the
# six hook binaries; the kernel checked with iproute2 after each step.
. "$(dirname "$0")/lib.sh"

# wired_ok PID ID: the container's eth0 has one IPv4 and one IPv6 address from the
# default pools, both default routes, and its host end sits on hookwire0.
wired_ok() {
  local pid=$1 id=$2 addresses
  addresses=$(container_addresses "$pid" eth0)
  [[ "$addresses" =~ ^10\.213\.[0-9]+\.[0-9]+/16\ fd00:213::[0-9a-f:]+/64$ ]] ||
    fail "$id: eth0 addresses: '$addresses'"
  expect_eq "$id: IPv4 default route" "$(in_container "$pid" ip -j route show default | jq -r '.[0].gateway')" 10.213.0.1
  expect_eq "$id: IPv6 default route" "$(in_container "$pid" ip -j -6 route show default | jq -r '.[0].gateway')" fd00:213::1
  expect_eq "$id: lo up" "$(in_container "$pid" ip -j link show lo | jq -r '.[0].operstate')" UNKNOWN
  local host
  host=$("$HOOKWIRE" ls --json --state-dir "$STATE_DIR" | jq -r --arg id "$id" '.[] | select(.id == $id) | .links[0].host')
  expect_eq "$id: host end on the bridge" "$(ip -j link show "$host" | jq -r '.[0].master')" hookwire0
  expect_eq "$id: no tentative address" \
    "$(in_container "$pid" ip -j addr show | jq '[.[].addr_info[] | select(.tentative == true)] | length')" 0
}

case_runc() {
  local pid
  new_container; pid=$CONTAINER_PID
  state t1 "$pid" creating | hook prestart
  state t1 "$pid" creating | hook create-runtime
  state t1 1 creating | in_container "$pid" "$HOOKS/hookwire-create-container" --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR"
  state t1 "$pid" created | hook poststart
  state t1 1 created | in_container "$pid" "$HOOKS/hookwire-start-container" --timeout 2
  wired_ok "$pid" t1
  expect_eq "status after poststart" "$("$HOOKWIRE" ls --json --state-dir "$STATE_DIR" | jq -r '.[0].status')" running
  expect_eq "one container wired" "$(host_links | wc -l)" 1
  kill_container "$pid"
  state t1 none stopped | hook poststop
  expect_nothing_left
}

case_crun() {
  local pid
  new_container; pid=$CONTAINER_PID
  local crun='{"ociVersion":"1.0","id":"c1","pid":%s,"root":"rootfs","bundle":"%s","status":"%s","annotations":{}}'
  printf "$crun" "$pid" "$WORK" created | hook prestart
  printf "$crun" "$pid" "$WORK" created | hook create-runtime
  printf "$crun" 0 "$WORK" created | in_container "$pid" "$HOOKS/hookwire-create-container" --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR"
  printf "$crun" 0 / starting | in_container "$pid" "$HOOKS/hookwire-start-container" --timeout 2
  printf "$crun" "$pid" "$WORK" running | hook poststart
  wired_ok "$pid" c1
  printf "$crun" 0 "$WORK" stopped | hook poststop
  expect_nothing_left
}

case_podman() {
  local pid id
  new_container; pid=$CONTAINER_PID
  id=$(printf 'ab%.0s' $(seq 32))
  local annotations='{"io.container.manager":"libpod","io.hookwire.network":"default","io.podman.annotations.autoremove":"TRUE"}'
  state "$id" "$pid" creating "$annotations" | hook create-runtime
  state "$id" "$pid" created "$annotations" | hook poststart
  wired_ok "$pid" "$id"
  local host
  host=$(host_links)
  [ ${#host} -le 15 ] || fail "host link name '$host' is longer than 15 bytes"
  # podman runs poststop itself: no pid.
  state "$id" none stopped "$annotations" | hook poststop
  expect_nothing_left
}

case_prestart_then_create_runtime() {
  local pid
  new_container; pid=$CONTAINER_PID
  state once "$pid" creating | hook prestart
  local first
  first=$(container_addresses "$pid" eth0)
  state once "$pid" creating | hook create-runtime
  expect_eq "addresses unchanged" "$(container_addresses "$pid" eth0)" "$first"
  expect_eq "one host link" "$(host_links | wc -l)" 1
  expect_eq "two leases (v4, v6)" "$(lease_count)" 2
  state once none stopped | hook poststop
  expect_nothing_left
}

case_poststop_twice_and_unknown() {
  local pid
  new_container; pid=$CONTAINER_PID
  state twice "$pid" creating | hook create-runtime
  state twice none stopped | hook poststop
  state twice none stopped | hook poststop
  expect_nothing_left
  state never-wired none stopped | hook poststop
  printf '{"ociVersion":"1.0","id":"never-wired","pid":0,"bundle":"/x","status":"stopped"}' | hook poststop
}

case_poststop_after_netns_gone() {
  local pid
  new_container; pid=$CONTAINER_PID
  state gone "$pid" creating | hook create-runtime
  kill_container "$pid"
  state gone none stopped | hook poststop
  expect_nothing_left
}

case_recycled_id() {
  local a b
  new_container; a=$CONTAINER_PID
  new_container; b=$CONTAINER_PID
  state same "$a" creating | hook create-runtime
  local old_host
  old_host=$(host_links)
  state same "$b" creating | hook create-runtime
  expect_eq "one host link after the id moved" "$(host_links | wc -l)" 1
  expect_eq "the old container lost its eth0" "$(in_container "$a" ip -j link show | jq '[.[] | select(.ifname == "eth0")] | length')" 0
  wired_ok "$b" same
  expect_eq "two leases" "$(lease_count)" 2
  state same none stopped | hook poststop
  expect_nothing_left
  [ -n "$old_host" ] || fail "no host link was made the first time"
}

case_skips_runtime_netns() {
  # A pid in the runtime's own netns must never be configured.
  sleep 600 </dev/null >/dev/null 2>&1 &
  local pid=$!
  disown "$pid"
  SLEEPERS+=("$pid")
  local out
  out=$(state host "$pid" creating | hook create-runtime 2>&1)
  [[ "$out" == *"shares the runtime's network namespace"* ]] || fail "no warning: $out"
  expect_nothing_left
  expect_eq "no bridge made" "$(ip -j link show | jq '[.[] | select(.ifname == "hookwire0")] | length')" 0
}

case_no_netns() {
  # No pid and no namespace path in the bundle: nothing to wire, exit 0.
  local out
  out=$(state nonet none creating | hook create-runtime 2>&1)
  [[ "$out" == *"no network namespace"* ]] || fail "no warning: $out"
  expect_nothing_left
}

case_two_veths_on_one_pool() {
  # Both veths lease from the pools; only the first gets the default routes
  # (a second default route via the same gateway would collide).
  new_container
  local pid=$CONTAINER_PID
  write_profile twin '{"networks":[{"type":"loopback"},
      {"type":"veth","name":"eth0","bridge":"hookwire0"},{"type":"veth","name":"eth1","bridge":"hookwire0"}],
    "ipam":{"ipv4":{"subnet":"10.213.0.0/16","gateway":"10.213.0.1"},"ipv6":{"subnet":"fd00:213::/64","gateway":"fd00:213::1"}}}'
  state twin "$pid" creating '{"io.hookwire.network":"twin"}' | hook create-runtime
  [[ "$(container_addresses "$pid" eth0)" =~ ^10\.213\..*\ fd00:213:: ]] || fail "eth0: $(container_addresses "$pid" eth0)"
  [[ "$(container_addresses "$pid" eth1)" =~ ^10\.213\..*\ fd00:213:: ]] || fail "eth1: $(container_addresses "$pid" eth1)"
  expect_eq "IPv4 default routes" "$(in_container "$pid" ip -j route show default | jq -r '[.[].dev] | join(",")')" eth0
  expect_eq "IPv6 default routes" "$(in_container "$pid" ip -j -6 route show default | jq -r '[.[].dev] | join(",")')" eth0
  expect_eq "two host links" "$(host_links | wc -l)" 2
  state twin none stopped '{"io.hookwire.network":"twin"}' | hook poststop
  expect_nothing_left
}

case_disabled() {
  local pid
  new_container; pid=$CONTAINER_PID
  state off "$pid" creating '{"io.hookwire.disable":"true"}' | hook create-runtime
  expect_nothing_left
}

run_case "$@"
