#!/usr/bin/env bash
# Bad input of every kind: exit 2, one line on stderr, and nothing changed.
. "$(dirname "$0")/lib.sh"

case_state() {
  new_container
  local pid=$CONTAINER_PID
  echo 'not json' | refused "not JSON" "state: not valid JSON" create-runtime
  echo '[]' | refused "not an object" "state: expected a JSON object, got an array" create-runtime
  echo '{"pid":1}' | refused "no id" "state: id: missing" create-runtime
  echo '{"id":""}' | refused "empty id" "state: id: empty" create-runtime
  echo '{"id":"../../etc"}' | refused "id escaping the state dir" "is not a valid container id" create-runtime
  echo '{"id":"a","pid":"1"}' | refused "pid a string" "state: pid: expected an integer, got a string" create-runtime
  echo '{"id":"a","pid":-3}' | refused "negative pid" "state: pid: negative (-3)" create-runtime
  echo '{"id":"a","pid":99999999999}' | refused "pid overflowing int" "state: pid: out of range" create-runtime
  echo '{"id":"a","bundle":"relative/dir"}' | refused "relative bundle" "state: bundle: not an absolute path" create-runtime
  echo '{"id":"a","annotations":["x"]}' | refused "annotations a list" "state: annotations: expected an object" create-runtime
  echo '{"id":"a","annotations":{"k":1}}' | refused "annotation not a string" "expected a string, got a number" create-runtime
  echo '{"id":"a","id":"b"}' | refused "duplicate keys" 'state: duplicate key "id"' create-runtime
  # From a file: the hook stops reading at 1 MiB, which would kill a pipe's writer.
  head -c 2097152 /dev/zero | tr '\0' ' ' >"$WORK/big"
  refused "2 MiB of input" "state: larger than 1 MiB" create-runtime <"$WORK/big"
  printf '{"id":"a\0b"}' | refused "NUL byte" "state: not valid JSON" create-runtime
  printf '{"id":"\xff"}' | refused "invalid UTF-8" "state: not valid JSON" create-runtime
  head -c 8000 /dev/zero | tr '\0' '[' | refused "deep nesting" "nested deeper than" create-runtime
  state a 2147483000 creating | refused "pid of no process" "state: pid 2147483000: no such process" create-runtime
  # The same refusals hold at every stage that reads the State.
  echo '{"id":5}' | refused "poststop, bad id type" "state: id: expected a string" poststop
  echo '{"id":5}' | refused "poststart, bad id type" "state: id: expected a string" poststart
}

case_options() {
  new_container
  state a "$CONTAINER_PID" creating | refused "unknown option" "unrecognised option '--bogus'" create-runtime --bogus
  state a "$CONTAINER_PID" creating | refused "bad log level" "--log-level" create-runtime --log-level loud
  state a "$CONTAINER_PID" creating | refused "unknown profile" 'profile "nosuch" not found' create-runtime --network nosuch
  local help
  help=$("$HOOKS/hookwire-create-runtime" --help)
  [[ "$help" == Usage:\ hookwire-create-runtime* ]] || fail "--help: $help"
  [[ "$("$HOOKS/hookwire-poststop" --version)" =~ ^hookwire-poststop\ [0-9] ]] || fail "--version"
}

case_annotations() {
  new_container
  local pid=$CONTAINER_PID
  state a "$pid" creating '{"io.hookwire.network":"../../etc/passwd"}' |
    refused "profile name with ../" "not a profile name" create-runtime
  state a "$pid" creating '{"io.hookwire.network":"d\u0435fault"}' |
    refused "Unicode look-alike profile name" "not a profile name" create-runtime
  state a "$pid" creating '{"io.hookwire.ip":"10.99.0.5"}' |
    refused "address outside the pool" "10.99.0.5 is outside the pool 10.213.0.0/16" create-runtime
  state a "$pid" creating '{"io.hookwire.ip":"10.213.0.1"}' |
    refused "the gateway's address" "reserved in the pool" create-runtime
  state a "$pid" creating '{"io.hookwire.ip6":"fd00:999::5"}' |
    refused "IPv6 outside the pool" "is outside the pool fd00:213::/64" create-runtime
  state a "$pid" creating '{"io.hookwire.mac":"01:00:5e:00:00:01"}' |
    refused "multicast MAC" "not a unicast MAC address" create-runtime
  state a "$pid" creating "{\"io.hookwire.network\":\"$(printf 'a%.0s' $(seq 300))\"}" |
    refused "overlong value" "longer than 256 bytes" create-runtime
  state a "$pid" creating '{"io.hookwire.bridge":"eth0"}' |
    refused "an annotation naming a host interface" "unknown io.hookwire annotation" create-runtime
}

case_address_in_use() {
  new_container
  local first=$CONTAINER_PID
  state first "$first" creating '{"io.hookwire.ip":"10.213.0.50"}' | hook create-runtime
  expect_eq "requested address applied" "$(container_addresses "$first" eth0 | cut -d' ' -f1)" 10.213.0.50/16
  new_container
  local second=$CONTAINER_PID code=0
  state second "$second" creating '{"io.hookwire.ip":"10.213.0.50"}' | hook create-runtime 2>"$WORK/err" || code=$?
  expect_eq "address in use: exit" "$code" 2
  grep -q "address 10.213.0.50 is in use" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  expect_eq "second container not wired" "$(in_container "$second" ip -j link show | jq '[.[] | select(.ifname == "eth0")] | length')" 0
  expect_eq "first container untouched" "$(container_addresses "$first" eth0 | cut -d' ' -f1)" 10.213.0.50/16
  expect_eq "only the first's leases" "$(lease_count)" 2
  expect_eq "only the first's record" "$(record_count)" 1
  state first none stopped | hook poststop
  expect_nothing_left
}

case_profile_files() {
  new_container
  local pid=$CONTAINER_PID
  write_profile web '{"networks":[{"type":"veth","name":"eth0","bridge":"br-web"}],
                      "ipam":{"ipv4":{"subnet":"10.77.0.0/24","gateway":"10.77.0.1"}}}'
  chmod 0666 "$CONFIG_DIR/web.json"
  state a "$pid" creating '{"io.hookwire.network":"web"}' |
    refused "profile writable by others" "writable by group or others" create-runtime
  chmod 0644 "$CONFIG_DIR/web.json"
  chown nobody "$CONFIG_DIR/web.json"
  state a "$pid" creating '{"io.hookwire.network":"web"}' | refused "profile not owned by root" "not owned by root" create-runtime
  chown root "$CONFIG_DIR/web.json"
  mv "$CONFIG_DIR/web.json" "$WORK/real.json"
  ln -s "$WORK/real.json" "$CONFIG_DIR/web.json"
  state a "$pid" creating '{"io.hookwire.network":"web"}' | refused "symlinked profile" "is a symlink" create-runtime
  rm "$CONFIG_DIR/web.json"
  mv "$WORK/real.json" "$CONFIG_DIR/web.json"
  chmod 0777 "$CONFIG_DIR"
  state a "$pid" creating '{"io.hookwire.network":"web"}' |
    refused "profile in a world-writable dir" "is writable by others" create-runtime
  chmod 0755 "$CONFIG_DIR"
  { printf '{"labels":["'; head -c 2000000 /dev/zero | tr '\0' 'x'; printf '"]}'; } >"$CONFIG_DIR/huge.json"
  chmod 0644 "$CONFIG_DIR/huge.json"
  state a "$pid" creating '{"io.hookwire.network":"huge"}' | refused "huge profile" "larger than 1 MiB" create-runtime
  write_profile typo '{"networks":[{"type":"veth","name":"eth0","bridge":"br0","mtu":"big"}],"ipam":{"ipv4":{"subnet":"10.7.0.0/24","gateway":"10.7.0.1"}}}'
  state a "$pid" creating '{"io.hookwire.network":"typo"}' |
    refused "profile type error" "profile typo: networks[0].mtu: expected an integer" create-runtime
  # The profile itself works once it is safe.
  state a "$pid" creating '{"io.hookwire.network":"web"}' | hook create-runtime
  expect_eq "web profile applied" "$(container_addresses "$pid" eth0)" 10.77.0.2/24
  state a none stopped '{"io.hookwire.network":"web"}' | hook poststop
  expect_nothing_left
}

case_bridge_not_a_bridge() {
  new_container
  ip link add hookwire0 type veth peer name notours0
  local code=0
  state a "$CONTAINER_PID" creating | hook create-runtime 2>"$WORK/err" || code=$?
  expect_eq "exit" "$code" 2
  grep -q "not a bridge" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  expect_eq "leases" "$(lease_count)" 0
  expect_eq "records" "$(record_count)" 0
  expect_eq "host links" "$(host_links | wc -l)" 0
  expect_eq "the veth is still a veth" "$(ip -j -d link show hookwire0 | jq -r '.[0].linkinfo.info_kind')" veth
}

case_state_dir() {
  new_container
  local pid=$CONTAINER_PID code=0
  mkdir -p "$WORK/real-state"
  ln -s "$WORK/real-state" "$WORK/linked-state"
  state a "$pid" creating | "$HOOKS/hookwire-create-runtime" --state-dir "$WORK/linked-state" 2>"$WORK/err" || code=$?
  expect_eq "symlinked state dir: exit" "$code" 2
  grep -q "is a symlink" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  mkdir -p "$WORK/open-state"
  chmod 0777 "$WORK/open-state"
  code=0
  state a "$pid" creating | "$HOOKS/hookwire-create-runtime" --state-dir "$WORK/open-state" 2>"$WORK/err" || code=$?
  expect_eq "world-writable state dir: exit" "$code" 2
  grep -q "writable by group or others" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  expect_eq "nothing in it" "$(find "$WORK/open-state" "$WORK/real-state" -mindepth 1 | wc -l)" 0
  expect_eq "no host link" "$(host_links | wc -l)" 0
  # HOOKWIRE_STATE_DIR sets the default.
  state env "$pid" creating | HOOKWIRE_STATE_DIR="$WORK/env-state" "$HOOKS/hookwire-create-runtime" --config-dir "$CONFIG_DIR"
  expect_eq "record under HOOKWIRE_STATE_DIR" "$(ls "$WORK/env-state/ledger")" env.json
  state env none stopped | HOOKWIRE_STATE_DIR="$WORK/env-state" "$HOOKS/hookwire-poststop" --config-dir "$CONFIG_DIR"
}

run_case "$@"
