#!/usr/bin/env bash
# Hostile and broken input that input_test.sh does not already cover: States cut
# short, ids built to escape the state dir, pids of processes that just exited,
# every class of profile type error, odd profile files and state dirs, and
# records and leases corrupted by hand. Bad input exits 2 with one short line and
# changes nothing; a corrupted state dir gives a clear error or is recovered, and
# `hookwire gc` repairs it.
. "$(dirname "$0")/lib.sh"

# rejected WHAT EXPECTED-TEXT STAGE [OPTIONS...] < INPUT: the same as refused
# without looking at the system, for loops of many inputs that end with a
# refused (or expect_nothing_left) which would see anything they left.
rejected() {
  local what=$1 expected=$2 stage=$3 code=0
  shift 3
  hook "$stage" "$@" 2>"$WORK/stderr" >/dev/null || code=$?
  [ "$code" = 2 ] || fail "$what: exit $code, expected 2 (stderr: $(head -c 500 "$WORK/stderr"))"
  [ "$(wc -l <"$WORK/stderr")" = 1 ] || fail "$what: stderr is not one line: $(head -c 500 "$WORK/stderr")"
  [ "$(wc -c <"$WORK/stderr")" -le 1024 ] || fail "$what: stderr is $(wc -c <"$WORK/stderr") bytes long"
  grep -qF -- "$expected" "$WORK/stderr" || fail "$what: stderr '$(head -c 500 "$WORK/stderr")' lacks '$expected'"
}

# files_outside_state_dir: files under $WORK newer than $WORK/marker, outside the
# state dir and this script's own scratch files.
files_outside_state_dir() {
  find "$WORK" -mindepth 1 -newer "$WORK/marker" -not -path "$STATE_DIR" -not -path "$STATE_DIR/*" \
    -not -name stderr -not -name err -not -name marker -print
}

case_state_truncated() {
  new_container
  local full n
  full=$(state t "$CONTAINER_PID" creating '{"io.hookwire.network":"default","io.hookwire.ip":"10.213.0.9"}')
  # Every prefix of a State is invalid JSON: cut it everywhere, 7 bytes apart
  # (the refused below would see anything one of them left).
  for ((n = 0; n < ${#full}; n += 7)); do
    printf '%s' "${full:0:n}" | rejected "State cut at $n bytes" "state: not valid JSON" create-runtime
  done
  # Cut mid-way through a multi-byte character.
  printf '{"id":"t","annotations":{"k":"\xc3' | refused "State cut inside UTF-8" "state: not valid JSON" create-runtime
  # Cut short at the stages that read the State to unwire or mark.
  printf '%s' "${full:0:40}" | refused "poststop, State cut short" "state: not valid JSON" poststop
  printf '%s' "${full:0:40}" | refused "poststart, State cut short" "state: not valid JSON" poststart
  # Trailing garbage after a whole State is no State either.
  printf '%s}' "$full" | refused "State with trailing garbage" "state: not valid JSON" create-runtime
  # The whole State wires.
  printf '%s' "$full" | hook create-runtime
  state t none stopped | hook poststop
  expect_nothing_left
}

case_state_hostile_ids() {
  new_container
  local pid=$CONTAINER_PID id
  # Canaries where an escaping id would point: STATE_DIR/ledger/ID.json.
  mkdir -p "$STATE_DIR/ledger"
  chmod 0700 "$STATE_DIR"
  echo canary >"$STATE_DIR/canary.json"
  echo canary >"$WORK/canary.json"
  sleep 0.01
  touch "$WORK/marker"
  printf '{"id":"a\\nb","pid":%s}' "$pid" | refused "id with a newline" 'state: id: "a\x0ab" is not a valid container id' create-runtime
  printf '{"id":"%s","pid":%s}' "$(head -c 10240 /dev/zero | tr '\0' x)" "$pid" |
    refused "id of 10 KiB" "is not a valid container id" create-runtime
  printf '{"id":"%s","pid":%s}' "$(head -c 129 /dev/zero | tr '\0' x)" "$pid" |
    refused "id of 129 bytes" "is not a valid container id" create-runtime
  for id in '..\/canary' '..\/..\/canary' '.' '..' '\u002e\u002e' 'a\/b' '\u0000' 'a\u0000b' '.hidden' 'a b' 'tab\t' \
            'd\u0435fault' '*' '~root' '$(reboot)'; do
    printf '{"id":"%s","pid":%s}' "$id" "$pid" | rejected "id '$id'" "is not a valid container id" create-runtime
  done
  # Unwiring or marking by an id that names a path must not reach a file either.
  for id in '..\/canary' '..\/..\/canary' '..' 'a\/b'; do
    printf '{"id":"%s","status":"stopped"}' "$id" | rejected "poststop, id '$id'" "is not a valid container id" poststop
    printf '{"id":"%s","status":"running"}' "$id" | rejected "poststart, id '$id'" "is not a valid container id" poststart
  done
  expect_nothing_left
  expect_eq "canary in the state dir" "$(cat "$STATE_DIR/canary.json")" canary
  expect_eq "canary beside the state dir" "$(cat "$WORK/canary.json")" canary
  # Odd but valid ids stay one file name inside the state dir.
  for id in '-..' 'x..y' '+' ',' 'A_B-c.d+e,f' "$(head -c 128 /dev/zero | tr '\0' 7)"; do
    state "$id" "$pid" creating | hook create-runtime
    [ -f "$STATE_DIR/ledger/$id.json" ] || fail "id '$id': no record at ledger/$id.json"
    state "$id" none stopped | hook poststop
    expect_nothing_left
  done
  expect_eq "files made outside the state dir" "$(files_outside_state_dir)" ""
}

case_state_pid_exited() {
  # A zombie: the container's process exited and its parent has not reaped it.
  # Its netns is gone already; the hook must say so, not wire anything.
  sh -c 'unshare -n sleep 0.2 & echo $! >"$1"; exec sleep 600' sh "$WORK/zombie" </dev/null >/dev/null 2>&1 &
  SLEEPERS+=("$!")
  disown "$!"
  local zombie i
  for i in $(seq 100); do
    zombie=$(cat "$WORK/zombie" 2>/dev/null || true)
    [ -n "$zombie" ] && grep -q '^State:.*zombie' "/proc/$zombie/status" 2>/dev/null && break
    sleep 0.05
  done
  grep -q '^State:.*zombie' "/proc/$zombie/status" || fail "no zombie to test with"
  state z "$zombie" creating | refused "pid of a zombie" "state: pid $zombie: no such process" create-runtime
  state z "$zombie" created | refused "prestart, pid of a zombie" "state: pid $zombie: no such process" prestart
  # A process that exited and was reaped a moment ago.
  unshare -n true &
  local reaped=$!
  wait "$reaped"
  state r "$reaped" creating | refused "pid just reaped" "state: pid $reaped: no such process" create-runtime
  # A process that is not a container at all, but a thread id: still one of ours? No:
  # /proc/TID/ns/net of a thread is its process's netns, the runtime's own here.
  local code=0
  state own $$ creating | hook create-runtime 2>"$WORK/err" || code=$?
  expect_eq "the test's own pid (the runtime's netns): exit" "$code" 0
  grep -q "shares the runtime's network namespace; not wiring it" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  expect_nothing_left
}

case_profile_type_errors() {
  new_container
  local pid=$CONTAINER_PID json expected
  # One of each class of type error, each in a different place of a profile.
  while IFS='|' read -r json expected; do
    [ -n "$json" ] || continue
    printf '%s\n' "$json" >"$CONFIG_DIR/p.json"
    chmod 0644 "$CONFIG_DIR/p.json"
    state a "$pid" creating | rejected "profile $json" "profile p: $expected" create-runtime --network p
  done <<'EOF'
[]|expected a JSON object, got an array
null|expected a JSON object, got null
"default"|expected a JSON object, got a string
{"networks":{"type":"veth"}}|networks: expected an array, got an object
{"networks":["veth"]}|networks[0]: expected an object, got a string
{"networks":[{"type":1}]}|networks[0].type: expected a string, got a number
{"networks":[{"type":"veth","name":"eth0","bridge":"b","mtu":1500.5}]}|networks[0].mtu: expected an integer, got a fraction
{"networks":[{"type":"veth","name":"eth0","bridge":"b","mtu":4294967296}]}|networks[0].mtu: out of range (4294967296)
{"networks":[{"type":"veth","name":"eth0","bridge":"b","txqueuelen":-2147483649}]}|networks[0].txqueuelen: out of range (-2147483649)
{"networks":[{"type":"veth","name":"eth0","bridge":"b","hairpin_mode":"yes"}]}|networks[0].hairpin_mode: expected a boolean, got a string
{"routes":[{"destination":["10.0.0.0/8"]}]}|routes[0].destination: expected a string, got an array
{"routes":{}}|routes: expected an array, got an object
{"Hooks":[]}|Hooks: expected an object, got an array
{"Hooks":{"create-runtime":[]}}|Hooks: unknown hook name "create-runtime"
{"Hooks":{"createRuntime":{}}}|Hooks.createRuntime: expected an array, got an object
{"Hooks":{"createRuntime":[{"path":"/bin/true","args":"x"}]}}|Hooks.createRuntime[0].args: expected an array, got a string
{"Hooks":{"createRuntime":[{"path":"/bin/true","env":[1]}]}}|Hooks.createRuntime[0].env[0]: expected a string, got a number
{"Hooks":{"createRuntime":[{"path":"/bin/true","timeout":1.5}]}}|Hooks.createRuntime[0].timeout: expected an integer (nanoseconds) or null, got a fraction
{"Hooks":{"createRuntime":[{"path":"/bin/true","timeout":-1}]}}|Hooks.createRuntime[0].timeout: negative (-1)
{"Hooks":{"createRuntime":[{"path":"/bin/true","timeout":18446744073709551615}]}}|Hooks.createRuntime[0].timeout: out of range
{"labels":[1]}|labels[0]: expected a string, got a number
{"namespaces":{"type":"NEWNET"}}|namespaces: expected an array, got an object
{"namespaces":[{"type":"NEWBOGUS"}]}|namespaces[0].type: unknown namespace type "NEWBOGUS"
{"parent_death_signal":"9"}|parent_death_signal: expected an integer, got a string
{"rootfs":false}|rootfs: expected a string, got a boolean
{"ipam":"10.0.0.0/24"}|ipam: expected an object, got a string
{"ipam":{"ipv4":"10.0.0.0/24"}}|ipam.ipv4: expected an object, got a string
{"ipam":{"ipv6":{"subnet":64,"gateway":"fd00::1"}}}|ipam.ipv6.subnet: expected a string, got a number
{"ipam":{"ipv4":{"subnet":"10.0.0.0/24"}}}|ipam.ipv4.gateway: missing
{"dns":[]}|dns: expected an object, got an array
{"dns":{"nameservers":"1.1.1.1"}}|dns.nameservers: expected an array, got a string
{"dns":{"search":[true]}}|dns.search[0]: expected a string, got a boolean
{"etc_hosts":1}|etc_hosts: expected a boolean, got a number
{"sysctls":[]}|sysctls: expected an object of strings, got an array
{"sysctls":{"net.ipv4.ip_forward":true}}|sysctls["net.ipv4.ip_forward"]: expected a string, got a boolean
{"networks":[],"networks":[]}|duplicate key "networks"
{"networks":[]} {}|not valid JSON
{"labels":["\u0000"],"x":"\ud800"}|not valid JSON
EOF
  # Empty, invalid UTF-8 and too deeply nested files.
  : >"$CONFIG_DIR/p.json"
  state a "$pid" creating | refused "empty profile" "profile p: not valid JSON" create-runtime --network p
  printf '{"labels":["\xff"]}' >"$CONFIG_DIR/p.json"
  state a "$pid" creating | refused "profile with invalid UTF-8" "profile p: not valid JSON" create-runtime --network p
  { printf '{"labels":'; head -c 100 /dev/zero | tr '\0' '['; } >"$CONFIG_DIR/p.json"
  state a "$pid" creating | refused "deeply nested profile" "profile p: nested deeper than" create-runtime --network p
}

case_profile_odd_files() {
  new_container
  local pid=$CONTAINER_PID
  mkdir "$CONFIG_DIR/dir.json"
  state a "$pid" creating '{"io.hookwire.network":"dir"}' | refused "profile that is a directory" "not a regular file" create-runtime
  mkfifo -m 0644 "$CONFIG_DIR/fifo.json"
  # A FIFO must not hang the hook waiting for a writer.
  state a "$pid" creating '{"io.hookwire.network":"fifo"}' |
    refused "profile that is a FIFO" "not a regular file" timeout 10 "$HOOKS/hookwire-create-runtime" \
      --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR" 2>/dev/null || true
  state a "$pid" creating | refused "--config a device" "not a regular file" create-runtime --config /dev/zero
  state a "$pid" creating | refused "--config missing" "No such file or directory" create-runtime --config "$WORK/none.json"
  state a "$pid" creating | refused "--network with a path" "not a valid name" create-runtime --network ../networks/x
  write_profile g '{"networks":[{"type":"loopback"}]}'
  chmod 0664 "$CONFIG_DIR/g.json"
  state a "$pid" creating '{"io.hookwire.network":"g"}' |
    refused "profile writable by its group" "writable by group or others" create-runtime
  # A hard link to a root-owned file elsewhere is still parsed as a profile, and refused as one.
  ln /etc/passwd "$CONFIG_DIR/passwd.json" 2>/dev/null || cp /etc/passwd "$CONFIG_DIR/passwd.json"
  state a "$pid" creating '{"io.hookwire.network":"passwd"}' |
    refused "profile linked to /etc/passwd" "profile passwd: not valid JSON" create-runtime
  rm -f "$CONFIG_DIR/passwd.json"
}

case_state_dir_odd() {
  new_container
  local pid=$CONTAINER_PID code
  mkdir -m 0700 "$WORK/nobody-state"
  chown nobody "$WORK/nobody-state"
  code=0
  state a "$pid" creating | "$HOOKS/hookwire-create-runtime" --state-dir "$WORK/nobody-state" 2>"$WORK/err" || code=$?
  expect_eq "state dir not owned by root: exit" "$code" 2
  grep -q "not owned by root; refusing to use it" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  mkdir -m 0770 "$WORK/group-state"
  code=0
  state a "$pid" creating | "$HOOKS/hookwire-create-runtime" --state-dir "$WORK/group-state" 2>"$WORK/err" || code=$?
  expect_eq "group-writable state dir: exit" "$code" 2
  grep -q "writable by group or others" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  echo x >"$WORK/file-state"
  code=0
  state a "$pid" creating | "$HOOKS/hookwire-create-runtime" --state-dir "$WORK/file-state" 2>"$WORK/err" || code=$?
  expect_eq "state dir that is a file: exit" "$code" 2
  grep -q "not a directory" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  expect_eq "no host link" "$(host_links | wc -l)" 0
  # gc and ls refuse an unsafe state dir the same way.
  code=0
  "$HOOKWIRE" gc --state-dir "$WORK/group-state" 2>"$WORK/err" || code=$?
  expect_eq "gc in a group-writable state dir: exit" "$code" 2
  # A missing state dir is created 0700, parents too.
  state a "$pid" creating | "$HOOKS/hookwire-create-runtime" --state-dir "$WORK/new/deeper/state" --config-dir "$CONFIG_DIR"
  expect_eq "new state dir mode" "$(stat -c %a "$WORK/new/deeper/state")" 700
  state a none stopped | "$HOOKS/hookwire-poststop" --state-dir "$WORK/new/deeper/state" --config-dir "$CONFIG_DIR"
}

# wire_then ID: wires container ID in a new container (pid in $CONTAINER_PID).
wire_then() {
  new_container
  state "$1" "$CONTAINER_PID" creating | hook create-runtime
}

# repaired WHAT: `ls` survives, `gc` leaves nothing behind, and no temp file.
repaired() {
  local code=0
  "$HOOKWIRE" ls --state-dir "$STATE_DIR" >/dev/null 2>"$WORK/err" || code=$?
  expect_eq "$1: ls exit" "$code" 0
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >/dev/null
  expect_nothing_left
}

case_ledger_corruption() {
  local record=$STATE_DIR/ledger/c.json code sum
  sum=$(sha256sum /etc/passwd)
  # Each corruption, then a retried createRuntime for the same container: the
  # unreadable record is cleaned up by id and the container wired afresh.
  local kind
  for kind in wrong-types other-id empty oversized symlink; do
    wire_then c
    case "$kind" in
      wrong-types) printf '{"id":"c","profile":1,"status":[],"netns":"x","links":{},"addresses":0}' >"$record" ;;
      other-id) sed 's/"id":"c"/"id":"d"/' "$record" >"$record.new" && mv "$record.new" "$record" ;;
      empty) : >"$record" ;;
      oversized) { printf '{"id":"c","x":"'; head -c 300000 /dev/zero | tr '\0' x; printf '"}'; } >"$record" ;;
      symlink) ln -sf /etc/passwd "$record" ;;
    esac
    code=0
    state c "$CONTAINER_PID" creating | hook create-runtime 2>"$WORK/err" || code=$?
    expect_eq "$kind: rewired over the corrupt record" "$code" 0
    grep -q "unreadable record, cleaning it up" "$WORK/err" || fail "$kind: no warning: $(cat "$WORK/err")"
    expect_eq "$kind: one host link" "$(host_links | wc -l)" 1
    expect_eq "$kind: two leases" "$(lease_count)" 2
    [ -n "$(container_addresses "$CONTAINER_PID" eth0)" ] || fail "$kind: not wired"
    state c none stopped | hook poststop
    expect_nothing_left
    # The same corruption met by poststop alone, then by gc alone.
    wire_then c
    ln -sf /etc/passwd "$record"
    state c none stopped | hook poststop 2>"$WORK/err"
    grep -q "unwiring by id" "$WORK/err" || fail "$kind: poststop: $(cat "$WORK/err")"
    expect_nothing_left
    wire_then c
    ln -sf /etc/passwd "$record"
    kill_container "$CONTAINER_PID"
    repaired "$kind"
  done
  expect_eq "/etc/passwd untouched" "$(sha256sum /etc/passwd)" "$sum"
  # A directory where the record belongs cannot be repaired by hookwire (it
  # removes files only): every command says so in one line, and nothing crashes.
  wire_then c
  rm "$record"
  mkdir "$record"
  # (Before the error come the warnings of what was tried.)
  for stage in create-runtime poststop; do
    code=0
    state c "$CONTAINER_PID" creating | hook "$stage" 2>"$WORK/err" || code=$?
    expect_eq "directory record, $stage: exit" "$code" 1
    tail -1 "$WORK/err" | grep -q "^hookwire-$stage: container c: remove ledger entry .*/c.json: Is a directory$" ||
      fail "directory record, $stage: $(cat "$WORK/err")"
  done
  rmdir "$record"
  state c none stopped | hook poststop
  expect_nothing_left
}

case_lease_corruption() {
  local pool=$STATE_DIR/ipam/10.213.0.0-16 lease code
  # A lease replaced by a regular file, and one pointed at another owner: poststop
  # releases only what is provably the container's, gc the rest.
  wire_then c
  lease=$(find "$pool" -mindepth 1 -not -name '.*' | head -1)
  rm "$lease"
  echo c >"$lease"
  state c none stopped | hook poststop
  repaired "lease that is a file"
  wire_then c
  lease=$(find "$pool" -mindepth 1 -not -name '.*' | head -1)
  ln -sfn someone-else "$lease"
  state c none stopped | hook poststop
  repaired "lease of another owner"
  # The hint damaged every way: garbage, out of the pool, a symlink, a directory.
  # It only speeds up the scan, so allocation carries on.
  local hint
  for hint in garbage 192.168.1.1 symlink directory; do
    rm -rf "$pool/.next"
    case "$hint" in
      symlink) ln -s /etc/passwd "$pool/.next" ;;
      directory) mkdir -p "$pool/.next/.x" ;;
      *) echo "$hint" >"$pool/.next" ;;
    esac
    wire_then "h-$hint"
    [ -n "$(container_addresses "$CONTAINER_PID" eth0)" ] || fail "hint $hint: not wired"
    state "h-$hint" none stopped | hook poststop
    expect_nothing_left
  done
  rm -rf "$pool/.next"
  # A lease dir that is a file: a clear error, the wiring rolled back.
  rm -rf "$STATE_DIR/ipam/fd00:213::-64"
  echo junk >"$STATE_DIR/ipam/fd00:213::-64"
  new_container
  code=0
  state p "$CONTAINER_PID" creating | hook create-runtime 2>"$WORK/err" || code=$?
  expect_eq "pool dir that is a file: exit" "$code" 1
  expect_eq "pool dir that is a file: one line" "$(wc -l <"$WORK/err")" 1
  grep -q "Not a directory" "$WORK/err" || fail "message: $(cat "$WORK/err")"
  rm "$STATE_DIR/ipam/fd00:213::-64"
  expect_nothing_left
}

# The rootfs comes from the container's creator. An image with a FIFO at
# /etc/hosts hung createContainer for ever (opened O_WRONLY, waiting for a
# reader), and one with a device node at /etc/resolv.conf had the write go to the
# device: only regular files are written now, the rest skipped with a warning.
case_rootfs_fifo_or_device_not_written() {
  new_container
  local pid=$CONTAINER_PID rootfs=$WORK/bundle/rootfs code=0
  mkdir -p "$rootfs/etc" "$rootfs/dir"
  echo '{"root":{"path":"rootfs"},"hostname":"web"}' >"$WORK/bundle/config.json"
  mkfifo "$rootfs/etc/hosts"
  mknod "$rootfs/etc/resolv.conf" c 1 7  # /dev/full: a write to it would fail with ENOSPC
  write_profile files '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"hookwire0"}],
    "ipam":{"ipv4":{"subnet":"10.213.0.0/16","gateway":"10.213.0.1"}},
    "dns":{"nameservers":["10.213.0.1"]},"etc_hosts":true}'
  local json="{\"ociVersion\":\"1.0.2-dev\",\"id\":\"f\",\"status\":\"creating\",\"pid\":%s,\"bundle\":\"$WORK/bundle\",\"annotations\":{\"io.hookwire.network\":\"files\"}}"
  printf "$json" "$pid" | hook create-runtime
  printf "$json" 1 | in_container "$pid" timeout 10 "$HOOKS/hookwire-create-container" --state-dir "$STATE_DIR" \
    --config-dir "$CONFIG_DIR" 2>"$WORK/err" || code=$?
  expect_eq "create-container with a FIFO and a device: exit" "$code" 0
  grep -q "etc/hosts in the rootfs: a FIFO without a reader, or a device without its driver; skipping it" "$WORK/err" || fail "hosts: $(cat "$WORK/err")"
  grep -q "etc/resolv.conf in the rootfs: .*; skipping it" "$WORK/err" ||
    fail "resolv.conf: $(cat "$WORK/err")"
  [ -p "$rootfs/etc/hosts" ] || fail "the FIFO was replaced"
  [ -c "$rootfs/etc/resolv.conf" ] || fail "the device node was replaced"
  # /etc itself a symlink out of the rootfs: it resolves inside the rootfs.
  rm -rf "$rootfs/etc"
  ln -s / "$rootfs/etc"
  printf "$json" 1 | in_container "$pid" "$HOOKS/hookwire-create-container" --state-dir "$STATE_DIR" \
    --config-dir "$CONFIG_DIR" 2>"$WORK/err"
  grep -q "^# Written by hookwire for container f" "$rootfs/hosts" || fail "hosts not written inside the rootfs"
  ! grep -q "hookwire" /hosts 2>/dev/null || fail "/hosts written on the host"
  state f none stopped | hook poststop
  expect_nothing_left
}

run_case "$@"
