#!/usr/bin/env bash
# Regression tests for the second hardening review (issue 10), one case per
# finding and named after it. Each failed on the code the review read.
# The rootfs cases mount /proc and bind mounts under a rootfs, so they run in a
# private mount namespace; what the hook could have written to is the
# hostname of a throwaway UTS namespace, never the host's.
STAGE_PRIVATE_MOUNTS=1
. "$(dirname "$0")/lib.sh"

# files_profile: a profile asking for /etc/hosts and /etc/resolv.conf.
files_profile() {
  write_profile files '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"hookwire0"}],
    "ipam":{"ipv4":{"subnet":"10.213.0.0/16","gateway":"10.213.0.1"}},
    "dns":{"nameservers":["10.213.0.1"]},"etc_hosts":true}'
}

# new_rootfs_container: a wired container whose bundle is $WORK/bundle, with an
# empty rootfs/etc. Sets CONTAINER_PID, ROOTFS and STATE_JSON (a printf format
# taking the pid).
new_rootfs_container() {
  new_container
  ROOTFS=$WORK/bundle/rootfs
  mkdir -p "$ROOTFS/etc" "$ROOTFS/proc"
  echo '{"root":{"path":"rootfs"},"hostname":"web"}' >"$WORK/bundle/config.json"
  files_profile
  STATE_JSON="{\"ociVersion\":\"1.0.2-dev\",\"id\":\"f\",\"status\":\"creating\",\"pid\":%s,\"bundle\":\"$WORK/bundle\",\"annotations\":{\"io.hookwire.network\":\"files\"}}"
  printf "$STATE_JSON" "$CONTAINER_PID" | hook create-runtime
  # The mounts a case makes under the rootfs go before lib.sh's cleanup removes
  # the work dir, even when the case fails.
  trap 'umount -l "$ROOTFS/proc" 2>/dev/null || true; umount -l "$ROOTFS/etc/resolv.conf" 2>/dev/null || true; cleanup' EXIT
}

# create_container_in_own_uts: runs createContainer as runc does (in the
# container's netns, cwd = rootfs), inside a fresh UTS namespace whose hostname
# is "canary". Prints that hostname after the hook; the hook's stderr goes to
# $WORK/err and its exit code to $WORK/code.
create_container_in_own_uts() {
  printf "$STATE_JSON" 1 >"$WORK/state.json"
  in_container "$CONTAINER_PID" unshare -u -- sh -c '
    hostname canary
    cd "$1" && "$2" --state-dir "$3" --config-dir "$4" <"$5" 2>"$6"
    echo $? >"$7"
    hostname' sh "$ROOTFS" "$HOOKS/hookwire-create-container" "$STATE_DIR" "$CONFIG_DIR" "$WORK/state.json" \
    "$WORK/err" "$WORK/code"
}

finish_rootfs_container() {
  printf "$STATE_JSON" 1 | sed 's/"creating"/"stopped"/' | hook poststop
  expect_nothing_left
}

# Finding 1: RESOLVE_IN_ROOT kept the path in the rootfs tree but crossed mount
# points: an image's etc/hosts -> /proc/sys/kernel/hostname reached the proc
# mount the runtime made under the rootfs, and the hook wrote its text there.
case_rootfs_write_crosses_into_procfs() {
  new_rootfs_container
  mount -t proc proc "$ROOTFS/proc"
  ln -s /proc/sys/kernel/hostname "$ROOTFS/etc/hosts"
  ln -s ../proc/sys/kernel/domainname "$ROOTFS/etc/resolv.conf"
  local after
  after=$(create_container_in_own_uts)
  expect_eq "createContainer exit" "$(cat "$WORK/code")" 0
  expect_eq "the UTS namespace's hostname" "$after" canary
  grep -q "etc/hosts in the rootfs: it leads out of the rootfs's filesystem" "$WORK/err" ||
    fail "hosts: $(cat "$WORK/err")"
  grep -q "etc/resolv.conf in the rootfs: it leads out of the rootfs's filesystem" "$WORK/err" ||
    fail "resolv.conf: $(cat "$WORK/err")"
  umount "$ROOTFS/proc"
  finish_rootfs_container
}

# Finding 1, the same hole through a hard link: an image's etc/hosts that is a
# second name of a file outside the rootfs.
case_rootfs_hard_link_to_a_host_file() {
  new_rootfs_container
  echo "host file" >"$WORK/host-file"
  ln "$WORK/host-file" "$ROOTFS/etc/hosts"
  create_container_in_own_uts >/dev/null
  expect_eq "createContainer exit" "$(cat "$WORK/code")" 0
  expect_eq "the host file" "$(cat "$WORK/host-file")" "host file"
  grep -q "etc/hosts in the rootfs: a hard link (2 names); skipping it" "$WORK/err" || fail "$(cat "$WORK/err")"
  grep -q "^# Written by hookwire" "$ROOTFS/etc/resolv.conf" || fail "resolv.conf was not written"
  finish_rootfs_container
}

# Finding 1, any mount that is not the rootfs's own: a file bind-mounted over
# etc/resolv.conf is another filesystem's file.
case_rootfs_write_through_a_bind_mount() {
  new_rootfs_container
  echo "host resolv" >"$WORK/host-resolv"
  : >"$ROOTFS/etc/resolv.conf"
  mount --bind "$WORK/host-resolv" "$ROOTFS/etc/resolv.conf"
  create_container_in_own_uts >/dev/null
  expect_eq "createContainer exit" "$(cat "$WORK/code")" 0
  expect_eq "the bind-mounted file" "$(cat "$WORK/host-resolv")" "host resolv"
  grep -q "etc/resolv.conf in the rootfs: it leads out of the rootfs's filesystem" "$WORK/err" ||
    fail "$(cat "$WORK/err")"
  grep -q "^# Written by hookwire" "$ROOTFS/etc/hosts" || fail "hosts was not written"
  umount "$ROOTFS/etc/resolv.conf"
  finish_rootfs_container
}

# Finding 7: etc/hosts as a directory or as a symlink loop made createContainer
# exit 1, and an error on hosts skipped resolv.conf too.
case_rootfs_shapes_judged_file_by_file() {
  new_rootfs_container
  mkdir "$ROOTFS/etc/hosts"
  create_container_in_own_uts >/dev/null
  expect_eq "hosts a directory: exit" "$(cat "$WORK/code")" 0
  grep -q "etc/hosts in the rootfs: a directory; skipping it" "$WORK/err" || fail "$(cat "$WORK/err")"
  grep -q "^# Written by hookwire" "$ROOTFS/etc/resolv.conf" || fail "resolv.conf skipped with hosts"
  rmdir "$ROOTFS/etc/hosts"
  rm "$ROOTFS/etc/resolv.conf"
  ln -s loop-b "$ROOTFS/etc/hosts"
  ln -s hosts "$ROOTFS/etc/loop-b"
  create_container_in_own_uts >/dev/null
  expect_eq "hosts a symlink loop: exit" "$(cat "$WORK/code")" 0
  grep -q "etc/hosts in the rootfs: a symlink loop; skipping it" "$WORK/err" || fail "$(cat "$WORK/err")"
  grep -q "^# Written by hookwire" "$ROOTFS/etc/resolv.conf" || fail "resolv.conf skipped with hosts"
  finish_rootfs_container
}

# Finding 2: gc read a record, scanned /proc, then unwired from what it had
# read, while the same id was being wired again. gc now works on an id only
# under that id's lock, and skips an id whose lock a hook holds.
case_gc_skips_an_id_a_hook_holds() {
  new_container
  local pid=$CONTAINER_PID
  state held "$pid" creating | hook create-runtime
  kill_container "$pid"
  # A hook at work on the id: it holds the lock.
  flock "$STATE_DIR/locks/held" sleep 3 &
  local holder=$!
  sleep 0.3
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  grep -q "^skipped held: a hook holds it" "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  expect_eq "the record is still there" "$(record_count)" 1
  wait "$holder"
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  grep -q "^released held: .*(network namespace gone)" "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  expect_nothing_left
  expect_eq "lock files left" "$(find "$STATE_DIR/locks" -type f | wc -l)" 0
}

# Finding 2 and 3, for real: gc in a tight loop while the same few ids are
# wired, their containers killed, and wired again into new containers. No live
# container may lose its link, record or lease, and no address may be leased
# twice.
case_gc_races_rewiring_of_the_same_ids() {
  ( while [ ! -e "$WORK/stop" ]; do "$HOOKWIRE" gc --state-dir "$STATE_DIR" >/dev/null 2>&1 || true; done ) &
  GC_LOOP=$!
  local round id pid
  # The loop goes with the test, even when the test fails half-way.
  trap 'kill "$GC_LOOP" 2>/dev/null || true; cleanup' EXIT
  declare -A live
  for round in $(seq 1 "${GC_RACE_ROUNDS:-40}"); do
    id=re$((round % 3))
    if [ -n "${live[$id]:-}" ]; then kill_container "${live[$id]}"; fi
    new_container
    pid=$CONTAINER_PID
    live[$id]=$pid
    state "$id" "$pid" creating | hook create-runtime
  done
  touch "$WORK/stop"
  wait "$GC_LOOP"
  for id in "${!live[@]}"; do
    pid=${live[$id]}
    [ -f "$STATE_DIR/ledger/$id.json" ] || fail "$id: record lost"
    [ -n "$(container_addresses "$pid" eth0)" ] || fail "$id: its address is gone"
    local host
    host=$(jq -r '.links[0].host' "$STATE_DIR/ledger/$id.json")
    ip link show "$host" >/dev/null 2>&1 || fail "$id: host link $host is gone"
  done
  local pool
  for pool in "$STATE_DIR"/ipam/*; do
    expect_eq "an owner with two leases in $pool" \
      "$(find "$pool" -mindepth 1 -not -name '.*' -printf '%l\n' | sort | uniq -d)" ""
  done
  for id in "${!live[@]}"; do state "$id" none stopped | hook poststop; done
  expect_nothing_left
}

# Finding 5: host link names are a 52-bit hash of the id, and these two ids share
# one. B's hook dies after recording its intent; B's poststop must not take A's
# link, which carries A's name but not B's alias.
case_colliding_host_link_names() {
  new_container
  local a=$CONTAINER_PID
  state c6267bb249d2c8 "$a" creating | hook create-runtime
  local host
  host=$(jq -r '.links[0].host' "$STATE_DIR/ledger/c6267bb249d2c8.json")
  expect_eq "A's host link" "$host" hw58f175052e813
  new_container
  local b=$CONTAINER_PID code=0
  state ca0265ab6fd88b "$b" creating | HOOKWIRE_FAULT_AFTER=1 hook create-runtime 2>/dev/null || code=$?
  if [ "$code" != 137 ]; then
    echo "this build has no fault injection (-Dtest_hooks=true); skipping"
    exit 77
  fi
  expect_eq "B's record names the same link" \
    "$(jq -r '.links[0].host' "$STATE_DIR/ledger/ca0265ab6fd88b.json")" "$host"
  state ca0265ab6fd88b none stopped | hook poststop
  ip link show "$host" >/dev/null 2>&1 || fail "B's poststop deleted A's link $host"
  [ -n "$(container_addresses "$a" eth0)" ] || fail "A lost its address"
  state c6267bb249d2c8 none stopped | hook poststop
  expect_nothing_left
}

# Finding 6: gc read the mount points of bind-mounted namespaces from mountinfo
# without decoding its \040 escapes, so a netns pinned at a path with a space
# looked gone, and gc unwired a live container.
case_netns_pinned_at_a_path_with_a_space() {
  new_container
  local pid=$CONTAINER_PID
  state pinned "$pid" creating | hook create-runtime
  # Pinned afterwards, as `ip netns attach` or a runtime's holder would: only
  # mountinfo knows where.
  mkdir -p "$WORK/net ns"
  touch "$WORK/net ns/pinned"
  mount --bind "/proc/$pid/ns/net" "$WORK/net ns/pinned"
  trap 'umount -l "$WORK/net ns/pinned" 2>/dev/null || true; cleanup' EXIT
  kill_container "$pid"  # the bind mount keeps the netns alive
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  expect_eq "gc leaves the pinned container alone" "$(cat "$WORK/gc")" ""
  expect_eq "its record" "$(record_count)" 1
  umount "$WORK/net ns/pinned"
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  grep -q "^released pinned: .*(network namespace gone)" "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  expect_nothing_left
}

# Finding 8: with its profile gone, poststop unwired and then exited 2, which
# means "bad input, nothing changed".
case_poststop_without_its_profile() {
  new_container
  local pid=$CONTAINER_PID code=0
  write_profile brief '{"networks":[{"type":"veth","name":"eth0","bridge":"br-brief"}],
                        "ipam":{"ipv4":{"subnet":"10.78.0.0/24","gateway":"10.78.0.1"}}}'
  state brief "$pid" creating '{"io.hookwire.network":"brief"}' | hook create-runtime
  rm "$CONFIG_DIR/brief.json"
  state brief none stopped '{"io.hookwire.network":"brief"}' | hook poststop 2>"$WORK/err" || code=$?
  expect_eq "exit" "$code" 0
  grep -q 'unwired, but the profile.s poststop hooks cannot run: .*profile "brief" not found' "$WORK/err" ||
    fail "message: $(cat "$WORK/err")"
  expect_nothing_left
  # A second poststop, with the record gone too, is still success.
  state brief none stopped '{"io.hookwire.network":"brief"}' | hook poststop 2>/dev/null
}

# Finding 2's sibling: poststart read the record and wrote it back marked
# running without any lock, so a teardown between its read and its write had its
# removal undone. It now waits for the id's lock like every other operation.
case_poststart_waits_for_the_id_lock() {
  new_container
  local pid=$CONTAINER_PID
  state late "$pid" creating | hook create-runtime
  flock "$STATE_DIR/locks/late" sleep 1.5 &
  local holder=$!
  sleep 0.3
  state late "$pid" created | hook poststart &
  local poststart=$!
  sleep 0.5
  kill -0 "$poststart" 2>/dev/null || fail "poststart did not wait for the lock"
  expect_eq "status while poststart waits" "$(jq -r .status "$STATE_DIR/ledger/late.json")" wired
  wait "$holder"
  wait "$poststart"
  expect_eq "status after" "$(jq -r .status "$STATE_DIR/ledger/late.json")" running
  state late none stopped | hook poststop
  expect_nothing_left
}

# Finding 8's sibling: with two bridges in a profile, the first was created before
# the second was found to be no bridge, and the hook then exited 2, "nothing
# changed", leaving the first bridge behind.
case_refused_second_bridge_creates_no_first() {
  new_container
  write_profile twobridges '{"networks":[{"type":"veth","name":"eth0","bridge":"br-one"},
      {"type":"veth","name":"eth1","bridge":"br-two"}],
    "ipam":{"ipv4":{"subnet":"10.79.0.0/24","gateway":"10.79.0.1"}}}'
  ip link add br-two type veth peer name notours0
  refused "second bridge not a bridge" "not a bridge" create-runtime \
    < <(state two "$CONTAINER_PID" creating '{"io.hookwire.network":"twobridges"}')
  expect_eq "br-one" "$(ip -j link show | jq '[.[] | select(.ifname == "br-one")] | length')" 0
}

run_case "$@"
