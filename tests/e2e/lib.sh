# Shared by the end-to-end tests: the real runc, crun and podman start busybox
# containers whose network hookwire wires through its installed hooks.
#
# Each test runs in a throwaway network and mount namespace. That netns is the
# "host" (the runtime's netns): hookwire's bridge and the host veth ends live in
# it and die with it, so the machine's own network is never touched. Each test
# has its own state dir, profile dir, log file and runtime state root, and
# removes its containers, bundles and temp dirs on exit, even when it fails.
#
# A script sets RUNTIME (runc, crun or podman), sources this file, defines its
# cases as functions case_NAME and ends with `run_case "$@"`; each case is one
# meson test. The cases every runtime shares are defined here.
#
# A test installs nothing: scripts/test.sh installs what the cases run
# (scripts/deps.sh, group runtime), and a missing tool fails the test, saying so.
set -euo pipefail

# Without root no runtime can start a container: the test is skipped (77 is
# meson's SKIP), not failed.
if [ "$(id -u)" != 0 ]; then
  echo "e2e tests need root (they run runc, crun and podman in throwaway namespaces): skipped" >&2
  exit 77
fi

: "${RUNTIME:?the script sets RUNTIME (runc, crun or podman) before sourcing lib.sh}"
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$E2E_DIR/bundle.sh"

if [ -z "${HOOKWIRE_E2E_THROWAWAY:-}" ]; then
  # A runtime that cannot run fails the test: a silently skipped runtime proves
  # nothing. busybox must be the static one: it is all a container's rootfs holds.
  missing=()
  for tool in "$RUNTIME" runc jq ip nsenter unshare nft timeout; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" = "install ok installed" ] || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "FAIL: not installed: ${missing[*]}; scripts/test.sh installs them," \
      "or: bash -c '. scripts/deps.sh && install_deps runtime'" >&2
    exit 1
  fi
  HOOKWIRE_E2E_THROWAWAY=1 exec unshare -n -m --propagation private -- "$0" "$@"
fi

fail() {
  echo "FAIL: $*" >&2
  # What the hooks said is the first thing one wants to see.
  if [ -s "${LOG_FILE:-}" ]; then
    echo "--- hookwire log ---" >&2
    cat "$LOG_FILE" >&2
  fi
  exit 1
}

: "${HOOKWIRE_BUILD:?HOOKWIRE_BUILD must name the build dir}"
HOOKS=$HOOKWIRE_BUILD/hooks
HOOKWIRE=$HOOKWIRE_BUILD/cli/hookwire
if [ ! -x "$HOOKWIRE" ] || [ ! -x "$HOOKS/hookwire-start-container" ]; then
  fail "no hookwire build in $HOOKWIRE_BUILD"
fi

# The built-in default profile, which the checks expect unless a case says otherwise.
BRIDGE=hookwire0
GATEWAY4=10.213.0.1
GATEWAY6=fd00:213::1

WORK=$(mktemp -d /tmp/hookwire-e2e.XXXXXX)
chmod 0755 "$WORK"
STATE_DIR=$WORK/state
CONFIG_DIR=$WORK/networks
# The log has a dir of its own, so a container can have it bind-mounted at the
# same path and the startContainer gate, which runs inside, can write to it too.
LOG_DIR=$WORK/log
LOG_FILE=$LOG_DIR/hookwire.log
mkdir -p "$CONFIG_DIR" "$LOG_DIR" "$WORK/bundles"
chmod 0755 "$CONFIG_DIR"
# runc and crun name the container's cgroups after its id, in the machine's
# shared hierarchy: ids carry the pid so concurrent runs never collide.
ID_PREFIX=e2e$$
# The io.hookwire.network annotation the next containers get; empty: none (runc
# and crun then use the built-in default profile; podman's hooks.d files do not
# match, so the container is not wired).
PROFILE=
STARTED=()
declare -A ADDRESS4 ADDRESS6

# More to undo at exit, set by a case (e.g. purging a package it installed).
EXTRA_CLEANUP=:

cleanup() {
  local name
  set +e
  for name in "${STARTED[@]}"; do delete_container "$name" >/dev/null 2>&1; done
  "$EXTRA_CLEANUP"
  if [ "$RUNTIME" = podman ]; then
    rt rm -a -f -t 0 >/dev/null 2>&1
    # podman's overlay and shm mounts under $WORK would keep rm from removing them.
    grep -F " $WORK/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# rt ARGS...: the runtime, with this test's own state root (and, for podman,
# its own storage, containers.conf and hooks dir), apart from anything else on
# the machine.
rt() {
  case "$RUNTIME" in
    runc | crun) "$RUNTIME" --root "$WORK/$RUNTIME-root" "$@" ;;
    podman) CONTAINERS_CONF=$WORK/containers.conf podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" \
              --tmpdir "$WORK/podman/tmp" --hooks-dir "$WORK/hooks.d" "$@" ;;
  esac
}

# podman here needs runc and lower rlimits than its defaults (docs/runtimes.md), and
# hookwire's hooks.d files, pointing at this build and this test's dirs.
setup_podman() {
  cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
events_logger = "file"
cgroup_manager = "cgroupfs"
EOF
  "$HOOKWIRE" hooks-dir "$WORK/hooks.d" --libexec "$HOOKS" --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR" \
    --log-file "$LOG_FILE"
}

# crun refuses hybrid cgroups while cgroup2's controller list is not empty
# (docs/runtimes.md). An empty file bound over it, in this test's private mount
# namespace only, leaves the host as it is.
hide_cgroup2_controllers() {
  local controllers=/sys/fs/cgroup/unified/cgroup.controllers
  [ -e "$controllers" ] || return 0  # not hybrid: nothing to hide
  : >"$WORK/empty"
  mount --bind "$WORK/empty" "$controllers"
}

case "$RUNTIME" in
  podman) setup_podman ;;
  crun) hide_cgroup2_controllers ;;
esac

expect_eq() {  # expect_eq WHAT ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
}

expect_contains() {  # expect_contains WHAT TEXT NEEDLE
  [[ "$2" == *"$3"* ]] || fail "$1: no '$3' in: $2"
}

bundle_of() { echo "$WORK/bundles/$1"; }

# new_bundle NAME CMD...: a busybox bundle whose process runs CMD, with
# hookwire installed into its config.json for this test's dirs and $PROFILE
# (runc, crun; podman only uses its rootfs).
new_bundle() {
  local name=$1 bundle
  shift
  bundle=$(bundle_of "$name")
  busybox_bundle "$bundle" "$name" "$@"
  [ "$RUNTIME" = podman ] && return 0
  local network=()
  [ -n "$PROFILE" ] && network=(--network "$PROFILE")
  "$HOOKWIRE" install --bundle "$bundle" --libexec "$HOOKS" --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR" \
    --log-file "$LOG_FILE" "${network[@]}"
}

# runtime_name NAME: what the runtime calls the test's container NAME.
runtime_name() { echo "$ID_PREFIX-$1"; }

# container_id NAME: the id the hooks see in the State. podman makes up its own
# (64 hex digits) and writes it to a file that outlives the container.
container_id() {
  if [ "$RUNTIME" = podman ]; then
    cat "$WORK/$1.cid"
  else
    runtime_name "$1"
  fi
}

# podman_run NAME [PODMAN RUN OPTIONS...]: `podman run` of NAME's rootfs and
# command, without a network of podman's, annotated with $PROFILE (if any). The
# bind mounts and annotations a case added to NAME's config.json become -v and
# --annotation, and every container carries its NAME in an annotation, so a
# hooks.d file of a case's own (add_hook) can apply to it alone.
podman_run() {
  local name=$1 bundle args=() options=()
  shift
  bundle=$(bundle_of "$name")
  mapfile -t args < <(jq -r '.process.args[]' "$bundle/config.json")
  mapfile -t options < <(jq -r '
    (.mounts[] | select(.type == "bind")
      | "-v", "\(.source):\(.destination)\(if any((.options // [])[]; . == "ro") then ":ro" else "" end)"),
    (.annotations // {} | to_entries[] | "--annotation", "\(.key)=\(.value)")' "$bundle/config.json")
  [ -n "$PROFILE" ] && options+=(--annotation "io.hookwire.network=$PROFILE")
  rm -f "$WORK/$name.cid"
  rt run "$@" --name "$(runtime_name "$name")" --cidfile "$WORK/$name.cid" --network none --cap-add NET_RAW \
    --hostname "$name" --annotation "$E2E_NAME_ANNOTATION=$name" "${options[@]}" --rootfs "$bundle/rootfs" "${args[@]}"
}
E2E_NAME_ANNOTATION=org.hookwire-e2e.name

# launch NAME: starts NAME's bundle detached, and returns the runtime's status;
# its output (and the runtime's) in $WORK/NAME.out. The container's stdio go to
# that file: a pipe would stay open for as long as the container runs.
launch() {
  local name=$1
  STARTED+=("$name")
  case "$RUNTIME" in
    runc | crun) rt run -d --bundle "$(bundle_of "$name")" "$(runtime_name "$name")" ;;
    podman) podman_run "$name" -d ;;
  esac </dev/null >"$WORK/$name.out" 2>&1
}

start_container() {  # start_container NAME: launch that must succeed
  launch "$1" || fail "$RUNTIME could not start $1: $(cat "$WORK/$1.out")"
}

# expect_no_start NAME: launch that must fail, and leave no container running.
expect_no_start() {
  ! launch "$1" || fail "$RUNTIME started $1"
  # runc and crun forget a container that failed to start; podman keeps it (created).
  [ "$(container_status "$1" 2>/dev/null)" != running ] || fail "$1 runs"
}

# run_container NAME: runs NAME in the foreground until its process exits; its
# output (and the runtime's) in $WORK/NAME.out. Returns the runtime's status.
run_container() {
  local name=$1
  STARTED+=("$name")
  case "$RUNTIME" in
    runc | crun) rt run --bundle "$(bundle_of "$name")" "$(runtime_name "$name")" ;;
    podman) podman_run "$name" --rm ;;
  esac </dev/null >"$WORK/$name.out" 2>&1
}

# create_container NAME / start_created NAME: the two halves of `run -d` (runc, crun).
create_container() {
  local name=$1
  STARTED+=("$name")
  rt create --bundle "$(bundle_of "$name")" "$(runtime_name "$name")" </dev/null >"$WORK/$name.out" 2>&1 ||
    fail "$RUNTIME create $name: $(cat "$WORK/$name.out")"
}
start_created() { rt start "$(runtime_name "$1")" || fail "$RUNTIME start $1 failed"; }

# container_status NAME: created, running, stopped... as the runtime says.
container_status() {
  case "$RUNTIME" in
    runc | crun) rt state "$(runtime_name "$1")" | jq -r .status ;;
    podman) rt inspect --format '{{.State.Status}}' "$(runtime_name "$1")" ;;
  esac
}

wait_for_status() {  # wait_for_status NAME STATUS
  for _ in $(seq 200); do
    [ "$(container_status "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  fail "$1 never reached status $2 (it is $(container_status "$1"))"
}

exec_in() {  # exec_in NAME CMD...: runs CMD in the running container NAME
  local name=$1
  shift
  rt exec "$(runtime_name "$name")" "$@" </dev/null
}

# delete_container NAME: stops NAME at once and deletes it; the runtime runs poststop.
delete_container() {
  case "$RUNTIME" in
    runc | crun) rt delete -f "$(runtime_name "$1")" ;;
    podman) rt rm -f -t 0 "$(runtime_name "$1")" >/dev/null ;;
  esac
}

# record_of ID: the container's entry in `hookwire ls --json`, or nothing.
record_of() {
  "$HOOKWIRE" ls --json --state-dir "$STATE_DIR" | jq -c --arg id "$1" '.[] | select(.id == $id)'
}

# expect_wired NAME: what the container itself sees: eth0 with the IPv4 and IPv6
# addresses its record holds and both default routes; its host end on the
# bridge; its record marked running by poststart. Remembers its addresses in
# ADDRESS4 / ADDRESS6 for the pings.
expect_wired() {
  local name=$1 id record v4 v6 host
  id=$(container_id "$name")
  record=$(record_of "$id")
  [ -n "$record" ] || fail "$name: no ledger record for $id"
  expect_eq "$name: status after poststart" "$(jq -r .status <<<"$record")" running
  v4=$(jq -r '.addresses[] | select(contains("."))' <<<"$record")
  v6=$(jq -r '.addresses[] | select(contains(":"))' <<<"$record")
  [[ "$v4" == 10.213.* && "$v6" == fd00:213:* ]] || fail "$name: addresses '$v4' '$v6' are not from the pools"
  local eth0
  eth0=$(exec_in "$name" ip addr show dev eth0) || fail "$name: no eth0 inside"
  expect_contains "$name: eth0 up" "$eth0" ",UP"
  expect_contains "$name: eth0 IPv4" "$eth0" "inet $v4 "
  expect_contains "$name: eth0 IPv6" "$eth0" "inet6 $v6 "
  expect_contains "$name: IPv4 default route" "$(exec_in "$name" ip route)" "default via $GATEWAY4 dev eth0"
  expect_contains "$name: IPv6 default route" "$(exec_in "$name" ip -6 route)" "default via $GATEWAY6 dev eth0"
  host=$(jq -r '.links[0].host' <<<"$record")
  expect_eq "$name: host end $host on the bridge" "$(ip -j link show "$host" | jq -r '.[0].master')" "$BRIDGE"
  ADDRESS4[$name]=${v4%/*}
  ADDRESS6[$name]=${v6%/*}
}

# expect_ping FROM TO: FROM reaches TO over IPv4 and over IPv6, across the bridge.
expect_ping() {
  local from=$1 to=$2
  exec_in "$from" ping -c1 -W2 "${ADDRESS4[$to]}" >/dev/null || fail "$from cannot ping $to at ${ADDRESS4[$to]}"
  exec_in "$from" ping -6 -c1 -W2 "${ADDRESS6[$to]}" >/dev/null || fail "$from cannot ping $to at ${ADDRESS6[$to]}"
}

# expect_logged STAGE NAME TEXT: the hook of STAGE (kebab-case) logged TEXT for NAME.
expect_logged() {
  local tool=hookwire-$1 id
  id=$(container_id "$2")
  # Log lines name a long id by its first 12 characters.
  [ ${#id} -gt 16 ] && id="${id:0:12}…"
  grep -qF "$tool: container $id: $3" "$LOG_FILE" || fail "$2: $tool did not log '$3'"
}

. "$E2E_DIR/../leftovers.sh"

# write_profile NAME JSON: a profile file as hookwire accepts them: owned by
# root, mode 0644.
write_profile() {
  printf '%s\n' "$2" >"$CONFIG_DIR/$1.json"
  chmod 0644 "$CONFIG_DIR/$1.json"
}

# The built-in default profile, spelled out, for profiles that add to it.
DEFAULT_PROFILE='{
  "networks": [{"type": "loopback"}, {"type": "veth", "name": "eth0", "bridge": "hookwire0"}],
  "ipam": {"ipv4": {"subnet": "10.213.0.0/16", "gateway": "10.213.0.1"},
           "ipv6": {"subnet": "fd00:213::/64", "gateway": "fd00:213::1"}}
}'

# use_profile NAME JQ-FILTER: writes profile NAME, the default one changed by
# JQ-FILTER, and annotates the next containers with it.
use_profile() {
  write_profile "$1" "$(jq "$2" <<<"$DEFAULT_PROFILE")"
  PROFILE=$1
}

# add_mount NAME DIR [ro]: NAME's container sees the host's DIR at the same path.
add_mount() {
  local mode=${3:-rw}
  edit_spec "$(bundle_of "$1")" --arg dir "$2" --argjson options "[\"rbind\", \"$mode\"]" \
    '.mounts += [{"destination": $dir, "type": "bind", "source": $dir, "options": $options}]'
}

# add_hook NAME STAGE PATH ARG0 ARGS...: a hook of the test's own for NAME's
# container, after hookwire's: in its config.json (runc, crun), or in a hooks.d
# file that matches NAME's annotation alone (podman).
add_hook() {
  local name=$1 stage=$2 path=$3 hook
  shift 3
  hook=$(jq -cn --arg path "$path" --argjson args "$(json_array "$@")" '{path: $path, args: $args, timeout: 10}')
  if [ "$RUNTIME" = podman ]; then
    jq -n --argjson hook "$hook" --arg stage "$stage" --arg key "^${E2E_NAME_ANNOTATION//./\\.}\$" --arg name "^$name\$" \
      '{version: "1.0.0", hook: $hook, when: {annotations: {($key): $name}}, stages: [$stage]}' \
      >"$WORK/hooks.d/zz-e2e-$name-$stage.json"
  else
    edit_spec "$(bundle_of "$name")" --arg stage "$stage" --argjson hook "$hook" '.hooks[$stage] += [$hook]'
  fi
}

# use_gate NAME: NAME's startContainer gate waits at most 1 s and logs to the
# test's log file, whose dir the container gets at the same path: the gate runs
# inside the container and sees only its files. podman's hooks.d files leave
# the gate out (it must be found inside the rootfs); the test adds it with the
# bind mount that `hookwire install` gives runc and crun.
use_gate() {
  local name=$1 gate=$HOOKS/hookwire-start-container
  add_mount "$name" "$LOG_DIR"
  if [ "$RUNTIME" = podman ]; then
    add_mount "$name" "$HOOKS" ro
    add_hook "$name" startContainer "$gate" hookwire-start-container --log-file "$LOG_FILE" --timeout 1
  else
    edit_spec "$(bundle_of "$name")" --arg gate "$gate" --arg log "$LOG_FILE" \
      '(.hooks.startContainer[] | select(.path == $gate) | .args) += ["--log-file", $log, "--timeout", "1"]'
  fi
}

# expect_container_settings NAME: createContainer ran in NAME's namespaces: the
# sysctl of the e2e profile is set in its netns, and /etc/hosts names its address.
# Under podman, /etc/hosts is podman's own file bind-mounted over the rootfs's:
# hookwire writes nothing through a mount (docs/security.md) and says so.
expect_container_settings() {
  local name=$1
  expect_eq "$name: net.ipv4.ping_group_range" \
    "$(exec_in "$name" cat /proc/sys/net/ipv4/ping_group_range | tr -s '\t ' ' ')" "0 2147483647"
  if [ "$RUNTIME" = podman ]; then
    expect_logged create-container "$name" "etc/hosts in the rootfs: it leads out of the rootfs's filesystem"
  else
    expect_contains "$name: /etc/hosts" "$(exec_in "$name" cat /etc/hosts)" "${ADDRESS4[$name]}"
  fi
}

# expect_stages_ran NAME: every stage the runtime runs on the host logged its
# work for NAME: the wiring (prestart, then createRuntime finding it done; podman
# runs only createRuntime) and poststart's marking it running.
expect_stages_ran() {
  local name=$1
  if [ "$RUNTIME" = podman ]; then
    expect_logged create-runtime "$name" "wired eth0<->"
  else
    expect_logged prestart "$name" "wired eth0<->"
    expect_logged create-runtime "$name" "already wired; nothing to do"
  fi
  expect_logged poststart "$name" "running with ${ADDRESS4[$name]}/"
}

# expect_output NAME TEXT: NAME's output (the runtime's and its process's) has TEXT.
expect_output() { expect_contains "$1: output" "$(cat "$WORK/$1.out")" "$2"; }

# --- Cases every runtime runs -------------------------------------------------

# Names (dns.names): with "dns": {"names": true}, hookwire-dns answers on the
# gateways for the containers' names (hostname, id, aliases), and createContainer
# writes the container's /etc/resolv.conf (nameserver GATEWAY4 and GATEWAY6,
# search hookwire). busybox ping resolves through the static glibc's built-in
# files and dns lookups: the rootfs needs no nsswitch.conf. podman 4.3 with
# --network none leaves /etc/resolv.conf to the rootfs (it bind-mounts only
# /etc/hosts and /etc/hostname then), so hookwire's file is the one the
# container reads there too, with no flag (podman refuses --dns with --network
# none anyway; docs/runtimes.md).

# stop_resolver: at exit, a resolver the test's hooks left running (a failed
# case, even one stopped) is killed: it must not outlive the test's netns.
stop_resolver() {
  local pid
  for pid in $(resolver_pids); do kill -KILL "$pid" 2>/dev/null; done
}

# expect_resolved FROM NAME TO [-4|-6]: FROM pings NAME, which its resolver
# turned into an address of TO's (either family without -4 or -6; plain ping
# prefers IPv6 here).
expect_resolved() {
  local from=$1 name=$2 to=$3 family=${4:-} out
  out=$(exec_in "$from" ping ${family:+"$family"} -c1 -W2 "$name" 2>&1) ||
    fail "$from cannot ping ${family:+$family }$name: $out; nslookup: $(exec_in "$from" busybox nslookup "$name" "$GATEWAY4" 2>&1)"
  case "$family" in
    -4) expect_contains "$from: ping -4 $name" "$out" "PING $name (${ADDRESS4[$to]})" ;;
    -6) expect_contains "$from: ping -6 $name" "$out" "PING $name (${ADDRESS6[$to]})" ;;
    *) [[ "$out" == *"PING $name (${ADDRESS4[$to]})"* || "$out" == *"PING $name (${ADDRESS6[$to]})"* ]] ||
         fail "$from: ping $name reached none of $to's addresses: $out" ;;
  esac
}

# expect_nxdomain FROM NAME: the resolver on the gateway says NAME does not exist.
expect_nxdomain() {
  local out
  out=$(exec_in "$1" busybox nslookup "$2" "$GATEWAY4" 2>&1) && fail "$1: nslookup $2 succeeded: $out"
  expect_contains "$1: nslookup $2" "$out" "NXDOMAIN"
}

# Containers a and b, on a profile that serves names, ping each other by name
# and by NAME.hookwire, over IPv4 and IPv6, and a by its id; c, started later,
# is pingable at once by its name and its alias (io.hookwire.aliases); once b
# is deleted its name is gone (NXDOMAIN). When all are deleted, nothing is left,
# and the resolver has exited.
case_names() {
  use_profile names '.dns = {"names": true}'
  EXTRA_CLEANUP=stop_resolver
  local name
  for name in a b; do
    new_bundle "$name" sleep 600
    start_container "$name"
  done
  for name in a b; do
    expect_wired "$name"
    local resolv
    resolv=$(exec_in "$name" cat /etc/resolv.conf) || fail "$name: no /etc/resolv.conf"
    expect_contains "$name: resolv.conf" "$resolv" "# Written by hookwire."
    expect_contains "$name: resolv.conf" "$resolv" "nameserver $GATEWAY4"
    expect_contains "$name: resolv.conf" "$resolv" "nameserver $GATEWAY6"
    expect_contains "$name: resolv.conf" "$resolv" "search hookwire"
  done
  [ -n "$(resolver_pids)" ] || fail "no hookwire-dns serves $STATE_DIR"
  local from to
  for from in a b; do
    to=$([ "$from" = a ] && echo b || echo a)
    expect_resolved "$from" "$to" "$to"
    expect_resolved "$from" "$to" "$to" -4
    expect_resolved "$from" "$to" "$to" -6
    expect_resolved "$from" "$to.hookwire" "$to" -4
    expect_resolved "$from" "$to.hookwire" "$to" -6
  done
  # The id is a name when it is a DNS label; podman's 64 hex digits are not, and
  # their first 12 are.
  local id
  id=$(container_id a)
  [ ${#id} -le 63 ] || id=${id:0:12}
  expect_resolved b "$id" a -4

  # A container started later is a name as soon as its start returns.
  new_bundle c sleep 600
  edit_spec "$(bundle_of c)" '.annotations["io.hookwire.aliases"] = "web"'
  start_container c
  local out
  out=$(exec_in a ping -c1 -W2 c 2>&1) || fail "a cannot ping c right after its start: $out"
  expect_wired c
  expect_resolved a c c -4
  expect_resolved a web c -6
  expect_resolved c a a

  delete_container b
  expect_logged poststop b "unwired"
  expect_nxdomain a b.hookwire
  ! exec_in a ping -c1 -W2 b >/dev/null 2>&1 || fail "a still pings b after b is gone"
  expect_resolved a c c

  for name in a c; do delete_container "$name"; done
  # Nothing left, and no hookwire-dns for this state dir (leftovers.sh waits up
  # to 2 s for it to exit).
  expect_nothing_left
}

# Two containers on one bridge: both wired at every stage (createContainer's
# settings seen inside), they reach each other over IPv4 and IPv6, and deleting
# them leaves nothing behind.
case_two_containers() {
  use_profile e2e '.sysctls = {"net.ipv4.ping_group_range": "0 2147483647"} | .etc_hosts = true'
  local name
  for name in a b; do
    new_bundle "$name" sleep 600
    start_container "$name"
  done
  for name in a b; do
    expect_wired "$name"
    expect_container_settings "$name"
    expect_stages_ran "$name"
  done
  expect_eq "host links while both run" "$(host_links | wc -l)" 2
  expect_ping a b
  expect_ping b a
  for name in a b; do
    delete_container "$name"
    expect_logged poststop "$name" "unwired"
  done
  expect_nothing_left
}

# The static gate runs in a real container: it passes when the network is
# ready, and when a link inside is left down (by a createContainer hook of the
# test's, after hookwire's), it waits, names that link, which only the
# container's netns has, and the container does not run. In the foreground:
# `runc run -d` and `runc start` exit 0 when startContainer fails (the container
# just stops), so only `run` can report it.
case_gate() {
  PROFILE=${PROFILE:-default}
  local name
  for name in ready down; do
    new_bundle "$name" ip addr show dev eth0
    use_gate "$name"
  done
  add_hook down createContainer "$(command -v ip)" ip link add e2edown0 type veth peer name e2edown1
  run_container ready || fail "$RUNTIME run ready: $(cat "$WORK/ready.out")"
  expect_output ready "inet 10.213."
  ! run_container down || fail "$RUNTIME ran down: $(cat "$WORK/down.out")"
  expect_logged start-container down "network not ready after 1.0s: "
  grep -qF "e2edown0 is down" "$LOG_FILE" || fail "the gate did not name e2edown0"
  # crun throws hook output away; runc, and podman through it, report it.
  [ "$RUNTIME" = crun ] || expect_output down "e2edown0 is down"
  expect_nothing_left
}

# A profile whose route cannot be added (its gateway is unreachable): the
# container does not start, hookwire says why (in the runtime's error, or only
# in the log under crun), and nothing is left, though crun and podman skip
# poststop after a failed createRuntime: hookwire's own rollback must clean up.
case_route_failure() {
  use_profile unreachable '.routes = [{"destination": "10.99.0.0/16", "gateway": "192.0.2.1"}]'
  new_bundle f sleep 600
  expect_no_start f
  local message="add route 10.99.0.0/16 via 192.0.2.1"
  grep -qF "$message" "$LOG_FILE" || fail "no '$message' in the log"
  [ "$RUNTIME" = crun ] || expect_output f "$message"
  expect_nothing_left
}

# --- The world ----------------------------------------------------------------
# A network namespace beyond the host, reached through an uplink veth:
# 192.0.2.1/24 on the host's end (this test's throwaway netns), 192.0.2.2/24 on
# the world's, 198.51.100.1 on the world's lo, and the host's default route
# through the world. The world has no route back to the
# containers' pool: only what the host masquerades can reach it, and it reaches
# a container only through a port the host publishes. Its web server (busybox
# httpd, the world's only process: killing it ends the world) serves a page, and
# /cgi-bin/whoami says whom it saw. Neither end's name starts with hw, which
# host_links counts.
WORLD_PID=
start_world() {
  local www=$WORK/world
  mkdir -p "$www/cgi-bin"
  echo "a page from the world" >"$www/index.html"
  cat >"$www/cgi-bin/whoami" <<'EOF'
#!/bin/sh
echo "Content-Type: text/plain"
echo
echo "you came from $REMOTE_ADDR"
EOF
  chmod 0755 "$www/cgi-bin/whoami"
  unshare -n busybox httpd -f -p 80 -h "$www" </dev/null >"$WORK/world.out" 2>&1 &
  WORLD_PID=$!
  EXTRA_CLEANUP=stop_world
  local ours
  ours=$(readlink /proc/self/ns/net)
  for _ in $(seq 100); do
    [ "$(readlink "/proc/$WORLD_PID/ns/net" 2>/dev/null)" != "$ours" ] && break
    sleep 0.02
  done
  [ "$(readlink "/proc/$WORLD_PID/ns/net" 2>/dev/null)" != "$ours" ] || fail "the world's netns did not come up"
  ip link add uplink type veth peer name wan netns "$WORLD_PID" || fail "no uplink to the world"
  ip addr add 192.0.2.1/24 dev uplink
  ip link set uplink up
  in_world ip link set lo up
  in_world ip addr add 198.51.100.1/32 dev lo
  in_world ip addr add 192.0.2.2/24 dev wan
  in_world ip link set wan up
  ip route add default via 192.0.2.2
  expect_page "the world's server, from the host" "a page from the world" fetch http://198.51.100.1/
}
stop_world() { [ -z "$WORLD_PID" ] || kill "$WORLD_PID" 2>/dev/null; }
in_world() { nsenter -t "$WORLD_PID" -n "$@"; }

# fetch URL: the page at URL, by busybox wget (whose -T crashes the static
# busybox 1.35 of Debian 12: timeout bounds it instead), from the host;
# world_fetch URL from the world; fetch_in NAME URL from container NAME.
fetch() { timeout 5 busybox wget -q -O - "$1"; }
world_fetch() { in_world timeout 5 busybox wget -q -O - "$1"; }
fetch_in() { exec_in "$1" busybox timeout 5 busybox wget -q -O - "$2"; }

# expect_page WHAT EXPECTED CMD...: CMD prints EXPECTED, within about 5 s (a
# server in a container just started may not listen yet).
expect_page() {
  local what=$1 expected=$2 page=
  shift 2
  for _ in $(seq 25); do
    page=$("$@" 2>&1) && [ "$page" = "$expected" ] && return 0
    sleep 0.2
  done
  fail "$what: expected '$expected', got '$page'"
}

# expect_refused WHAT URL: nothing listens at URL, seen from the world.
expect_refused() {
  local out
  out=$(world_fetch "$2" 2>&1) && fail "$1: $2 answers: $out"
  expect_contains "$1" "$out" "Connection refused"
}

# element_count: the elements of hookwire's table outside @bridges (the bridges
# outlive their containers), 0 without the table.
element_count() {
  nft -j list table inet hookwire 2>/dev/null |
    jq '[.nftables[] | (.set // .map // empty) | select(.name != "bridges") | (.elem // []) | length] | add // 0' ||
    echo 0
}
host_port_count() { find "$STATE_DIR/ports" -mindepth 1 -not -name '.*' 2>/dev/null | wc -l; }

# A container of a profile with outbound NAT and published ports, annotated
# io.hookwire.ports=8080:80/tcp, runs busybox httpd on port 80: the world gets
# its page from the host's 192.0.2.1:8080, and the container gets the world's
# page from 198.51.100.1, where the world sees the host's address, not the
# container's. Once it is deleted, its elements and its host port lease are
# gone, and so is the published port.
case_world() {
  use_profile world '.nat = {"outbound": true} | .ports = {"ranges": ["8000-8999"]}'
  start_world
  new_bundle w busybox httpd -f -p 80 -h /www
  mkdir -p "$(bundle_of w)/rootfs/www"
  echo "served by container w" >"$(bundle_of w)/rootfs/www/index.html"
  edit_spec "$(bundle_of w)" '.annotations["io.hookwire.ports"] = "8080:80/tcp"'
  expect_refused "192.0.2.1:8080 before w" http://192.0.2.1:8080/
  expect_eq "elements before w" "$(element_count)" 0

  start_container w
  expect_wired w
  grep -qF "publishing 0.0.0.0:8080->80/tcp" "$LOG_FILE" || fail "w: no 'publishing 0.0.0.0:8080->80/tcp' in the log"
  expect_contains "w: the published port in the table" "$(nft list map inet hookwire wild4)" \
    "tcp . 8080 : ${ADDRESS4[w]} . 80"
  expect_contains "w: its address in the NAT set" "$(nft list set inet hookwire nat4)" "${ADDRESS4[w]}"
  expect_eq "w: lease of host port 8080/tcp" "$(readlink "$STATE_DIR/ports/tcp-8080")" "$(container_id w)"
  "$HOOKWIRE" check "$(container_id w)" --state-dir "$STATE_DIR" >"$WORK/check.out" 2>&1 ||
    fail "hookwire check w: $(cat "$WORK/check.out")"

  expect_page "the world fetching 192.0.2.1:8080" "served by container w" world_fetch http://192.0.2.1:8080/
  expect_page "w fetching the world's page" "a page from the world" fetch_in w http://198.51.100.1/
  # httpd listens on IPv6 too, so it names an IPv4 peer in its mapped form.
  expect_page "whom the world saw" "you came from [::ffff:192.0.2.1]" fetch_in w http://198.51.100.1/cgi-bin/whoami

  delete_container w
  expect_logged poststop w "unwired"
  expect_nothing_left
  expect_eq "elements left in table inet hookwire" "$(element_count)" 0
  expect_eq "host port leases left" "$(host_port_count)" 0
  expect_refused "192.0.2.1:8080 after w is gone" http://192.0.2.1:8080/
}

# --- Cases of runc and crun ---------------------------------------------------

# expect_wired_by_create NAME: `create` alone wired NAME (the runtime ran
# prestart and createRuntime), checked from its netns: the process does not run yet.
expect_wired_by_create() {
  local name=$1 pid
  expect_eq "$name: status after create" "$(container_status "$name")" created
  pid=$(rt state "$(runtime_name "$name")" | jq -r .pid)
  nsenter --net="/proc/$pid/ns/net" ip -j addr show dev eth0 >/dev/null || fail "$name: no eth0 after create"
  expect_eq "$name: one record after create" "$(record_count)" 1
}

# create, start and delete, the steps of `run -d`, each doing its part.
case_create_start_delete() {
  new_bundle c sleep 600
  create_container c
  expect_wired_by_create c
  start_created c
  wait_for_status c running
  expect_wired c
  expect_stages_ran c
  delete_container c
  expect_logged poststop c "unwired"
  expect_nothing_left
}

# `run` in the foreground: the process sees its network, and when it exits the
# runtime runs poststop.
case_run() {
  new_bundle r sh -c 'ip addr show dev eth0; ip -6 route'
  run_container r || fail "$RUNTIME run r: $(cat "$WORK/r.out")"
  expect_output r "inet 10.213."
  expect_output r "default via $GATEWAY6 dev eth0"
  expect_logged poststop r "unwired"
  expect_nothing_left
}

# A container whose process exited and that nobody deletes keeps its record
# (no poststop ran); `hookwire gc` releases it once its netns is gone, and a
# late `delete` (poststop) still succeeds, with nothing to do.
case_never_poststop() {
  new_bundle z true
  create_container z
  start_created z
  wait_for_status z stopped
  expect_eq "records while nobody deleted z" "$(record_count)" 1
  local released
  released=$("$HOOKWIRE" gc --state-dir "$STATE_DIR") || fail "hookwire gc failed"
  expect_contains "gc" "$released" "$(container_id z)"
  expect_contains "gc" "$released" "network namespace gone"
  expect_nothing_left
  rt delete "$(runtime_name z)" || fail "$RUNTIME delete after gc failed"
  expect_nothing_left
}

# A hostile image (issue 10, finding 1): its etc/hosts and etc/resolv.conf are
# symlinks into /proc/sys, which the runtime has mounted under the rootfs by the
# time createContainer runs. hookwire must refuse both (they lead out of the
# rootfs's filesystem), the container must start, and its hostname and
# domainname (its own UTS namespace's) must be what the bundle says.
case_hostile_image() {
  use_profile files '.etc_hosts = true | .dns = {"nameservers": ["10.213.0.1"]}'
  new_bundle h sleep 600
  ln -sf /proc/sys/kernel/hostname "$(bundle_of h)/rootfs/etc/hosts"
  ln -sf /proc/sys/kernel/domainname "$(bundle_of h)/rootfs/etc/resolv.conf"
  start_container h
  expect_wired h
  expect_eq "h: hostname" "$(exec_in h cat /proc/sys/kernel/hostname)" h
  expect_eq "h: domainname" "$(exec_in h cat /proc/sys/kernel/domainname)" "(none)"
  expect_logged create-container h "etc/hosts in the rootfs: it leads out of the rootfs's filesystem"
  expect_logged create-container h "etc/resolv.conf in the rootfs: it leads out of the rootfs's filesystem"
  delete_container h
  expect_nothing_left
}

# run_case NAME: runs the function case_NAME, so one script holds many cases.
run_case() {
  local name=${1:?which case?}
  declare -F "case_$name" >/dev/null || fail "no such case: $name"
  "case_$name"
  echo "ok: $RUNTIME $name"
}
