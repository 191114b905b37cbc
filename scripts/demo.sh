#!/usr/bin/env bash
# hookwire in one command: builds hookwire, starts three busybox containers under
# runc with hookwire's hooks, shows their network and lets them ping each other
# over IPv4 and IPv6. Then "the world", a network beyond the host with a web
# server: a container fetches a page from it (outbound NAT), and the world
# fetches a page from a container through a published host port. Last, it
# deletes the containers and shows that nothing is left.
#
# Run it as root on Debian 12:  scripts/demo.sh
# It installs what it needs (apt, only what is missing) and builds in build-demo/.
# Your own network is never touched: the demo runs in a throwaway network
# namespace that plays the host, and everything it makes dies with it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${HOOKWIRE_DEMO_BUILD:-$ROOT/build-demo}
WORK=/run/hookwire-demo
NAMES=(one two three)

if [ -t 1 ]; then BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' OFF=$'\e[0m'; else BOLD='' DIM='' RED='' OFF=''; fi
STEP=${HOOKWIRE_DEMO_STEP:-0}  # carried across the re-exec below
step() {  # step TITLE: a numbered heading, so the user can follow along
  STEP=$((STEP + 1))
  printf '\n%s==> %d. %s%s\n' "$BOLD" "$STEP" "$*" "$OFF"
}
say() { printf '    %s\n' "$*"; }
indent() { sed 's/^/      /'; }
die() {
  printf '%sdemo failed: %s%s\n' "$RED" "$*" "$OFF" >&2
  exit 1
}
# on_exit: says where a failed demo stopped (set -e ends it at the first
# failing command), after the cleanup that the namespace part adds.
CLEANUP=:
on_exit() {
  local status=$?
  trap - EXIT
  set +e
  "$CLEANUP"
  [ "$status" = 0 ] || printf '%sdemo failed at step %d%s\n' "$RED" "$STEP" "$OFF" >&2
  exit "$status"
}
trap on_exit EXIT

[ "$(id -u)" = 0 ] || die "run it as root (it creates network namespaces and runs runc)"

# --- Outside the throwaway namespace: packages need the network, and the build
# --- is kept for the next run.
if [ -z "${HOOKWIRE_DEMO_THROWAWAY:-}" ]; then
  step "Installing what the demo needs (only what is missing)"
  . "$ROOT/scripts/deps.sh"
  install_deps build runtime
  say "compiler, meson, libnl, Boost; runc, busybox-static, iproute2, jq, nftables: ok"

  step "Building hookwire in ${BUILD#"$ROOT"/}"
  if [ ! -f "$BUILD/build.ninja" ]; then
    say "first build: this takes a few minutes"
    setup_log=$(mktemp /tmp/hookwire-demo-setup.XXXXXX)
    meson setup "$BUILD" "$ROOT" -Dtests=false >"$setup_log" 2>&1 ||
      { tail -20 "$setup_log" >&2; die "meson setup failed (log: $setup_log)"; }
    rm -f "$setup_log"
  fi
  ninja -C "$BUILD" >"$BUILD/demo-build.log" 2>&1 ||
    { tail -30 "$BUILD/demo-build.log" >&2; die "the build failed (log: $BUILD/demo-build.log)"; }
  say "hook binaries in ${BUILD#"$ROOT"/}/hooks, the hookwire command in ${BUILD#"$ROOT"/}/cli"

  step "Entering a throwaway network namespace: it plays the host"
  say "hookwire's bridge, the host ends of the veth pairs and hookwire's nftables"
  say "table will live there; your network is untouched, and all of it goes away"
  say "with the demo."
  HOOKWIRE_DEMO_THROWAWAY=1 HOOKWIRE_DEMO_STEP=$STEP exec unshare -n -m --propagation private -- "$0" "$@"
fi

# --- Inside: this netns is the host, the runtime's netns. ---
SECONDS=0
HOOKS=$BUILD/hooks
HOOKWIRE=$BUILD/cli/hookwire
. "$ROOT/tests/e2e/bundle.sh"

# One demo at a time: they share $WORK and runc's container names.
exec 9>"$WORK.lock"
flock -n 9 || die "another demo is running"

# runc keeps its containers apart from the machine's (--root); hookwire keeps its
# leases and records in the demo's own state dir, and finds the profile "demo"
# in the demo's own profile dir.
runc_() { runc --root "$WORK/runc" "$@"; }
hookwire_() { "$HOOKWIRE" "$@"; }
STATE_DIR=$WORK/state
id_of() { echo "demo-$1"; }
# The world's web server: its only process; killing it ends the world's netns.
# Pages are fetched by busybox wget bounded by timeout (wget's own -T crashes
# Debian 12's static busybox).
WORLD_PID=
in_world() { nsenter -t "$WORLD_PID" -n "$@"; }

# remove_containers: deletes the demo's containers (runc runs hookwire's
# poststop for each); also what a killed earlier run left.
remove_containers() {
  local id
  [ -d "$WORK/runc" ] || return 0
  for id in $(runc_ list -q 2>/dev/null); do runc_ delete -f "$id" >/dev/null 2>&1 || true; done
}
cleanup() {
  remove_containers
  [ -z "$WORLD_PID" ] || kill "$WORLD_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
cleanup
mkdir -p "$WORK/networks" "$WORK/bundles"
CLEANUP=cleanup

step "The profile: hookwire's built-in default, plus outbound NAT and published ports"
# Profiles must be owned by root and not writable by others.
cat >"$WORK/networks/demo.json" <<'EOF'
{
  "networks": [{"type": "loopback"}, {"type": "veth", "name": "eth0", "bridge": "hookwire0"}],
  "ipam": {"ipv4": {"subnet": "10.213.0.0/16", "gateway": "10.213.0.1"},
           "ipv6": {"subnet": "fd00:213::/64", "gateway": "fd00:213::1"}},
  "nat": {"outbound": true},
  "ports": {"ranges": ["8000-8999"]}
}
EOF
chmod 0644 "$WORK/networks/demo.json"
say "\$DEMO/networks/demo.json:"
indent <"$WORK/networks/demo.json"
say "${DIM}bridge hookwire0, addresses from 10.213.0.0/16 and fd00:213::/64; the containers'"
say "traffic out is masqueraded, and a container may publish host ports 8000-8999.${OFF}"

step "Starting three busybox containers under runc, wired by hookwire"
for name in "${NAMES[@]}"; do
  bundle=$WORK/bundles/$name
  if [ "$name" = one ]; then
    # one serves a web page, and asks for it to be published on host port 8080.
    busybox_bundle "$bundle" "$name" busybox httpd -f -p 80 -h /www >/dev/null
    mkdir -p "$bundle/rootfs/www"
    echo "Hello from container one, served by busybox httpd on its port 80" >"$bundle/rootfs/www/index.html"
    edit_spec "$bundle" '.annotations["io.hookwire.ports"] = "8080:80/tcp"'
  else
    busybox_bundle "$bundle" "$name" sleep 600 >/dev/null
  fi
  # Adds the six hooks (with absolute paths) and the read-only bind mount the
  # startContainer gate needs, to the bundle's config.json; --network names the
  # profile (the annotation io.hookwire.network).
  install=(install --bundle "$bundle" --libexec "$HOOKS" --state-dir "$STATE_DIR" --config-dir "$WORK/networks"
           --log-file "$WORK/hookwire.log" --network demo)
  [ "$name" = one ] && say "hookwire ${install[*]}" | sed "s|$ROOT/||g; s|$WORK|\$DEMO|g"
  hookwire_ "${install[@]}"
  # The container's output goes to a file: a pipe would stay open while it runs.
  runc_ run -d --bundle "$bundle" "$(id_of "$name")" </dev/null >"$WORK/$name.out" 2>&1 ||
    die "runc could not start $name: $(cat "$WORK/$name.out")"
  # runc run -d exits 0 even when the startContainer gate fails: the container
  # then just stops. So look.
  [ "$(runc_ state "$(id_of "$name")" | jq -r .status)" = running ] ||
    die "$name does not run: $(cat "$WORK/$name.out")"
  if [ "$name" = one ]; then
    say "started one (runc run -d $(id_of one)): busybox httpd on port 80, annotated io.hookwire.ports=8080:80/tcp"
  else
    say "started $name (runc run -d $(id_of "$name")): sleep 600"
  fi
done

step "What each container sees: its eth0"
declare -A ADDRESS4 ADDRESS6
for name in "${NAMES[@]}"; do
  printf '    %s%s:%s\n' "$BOLD" "$name" "$OFF"
  runc_ exec "$(id_of "$name")" ip addr show dev eth0 </dev/null | indent
  # The addresses hookwire recorded for it, for the pings.
  record=$(hookwire_ ls --json --state-dir "$STATE_DIR" | jq -c --arg id "$(id_of "$name")" '.[] | select(.id == $id)')
  ADDRESS4[$name]=$(jq -r '.addresses[] | select(contains(".")) | sub("/.*"; "")' <<<"$record")
  ADDRESS6[$name]=$(jq -r '.addresses[] | select(contains(":")) | sub("/.*"; "")' <<<"$record")
  [ -n "${ADDRESS4[$name]}" ] || die "$name has no IPv4 address in hookwire's record"
  [ -n "${ADDRESS6[$name]}" ] || die "$name has no IPv6 address in hookwire's record"
done
say "${DIM}and on the host side, the bridge and one veth end per container:${OFF}"
ip -j link show | jq -r '.[] | select(.ifname | test("^(hookwire0|hw)"))
  | "\(.ifname)\t\(.operstate)\t\(if .master then "on " + .master else "the bridge" end)"' |
  awk -F'\t' '{printf "%-16s %-5s %s\n", $1, $2, $3}' | indent

step "The containers ping each other, over IPv4 and IPv6"
for from in "${NAMES[@]}"; do
  for to in "${NAMES[@]}"; do
    [ "$from" = "$to" ] && continue
    for address in "${ADDRESS4[$to]}" "${ADDRESS6[$to]}"; do
      reply=$(runc_ exec "$(id_of "$from")" ping -c1 -W2 "$address" </dev/null | grep 'bytes from') ||
        die "$from cannot ping $to at $address"
      printf '    %-5s -> %-5s  %s\n' "$from" "$to" "$reply"
    done
  done
done

step "The world: a network beyond the host, with a web server"
# The world is a netns of its own; its only process is its web server, which
# serves a page, and /cgi-bin/whoami: the address it saw the request come from.
mkdir -p "$WORK/world/cgi-bin"
echo "Hello from the world, 198.51.100.1" >"$WORK/world/index.html"
cat >"$WORK/world/cgi-bin/whoami" <<'EOF'
#!/bin/sh
# httpd listens on IPv6 too: an IPv4 peer comes as [::ffff:a.b.c.d].
peer=${REMOTE_ADDR#"[::ffff:"}
echo "Content-Type: text/plain"
echo
echo "${peer%"]"}"
EOF
chmod 0755 "$WORK/world/cgi-bin/whoami"
unshare -n busybox httpd -f -p 80 -h "$WORK/world" </dev/null >"$WORK/world.out" 2>&1 &
WORLD_PID=$!
for _ in $(seq 100); do
  [ "$(readlink "/proc/$WORLD_PID/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
  sleep 0.02
done
# The uplink: a veth from the host (this netns) to the world. The host's default
# route leads to the world; the world has no route to 10.213.0.0/16, so only what
# the host masquerades can reach it.
ip link add uplink type veth peer name wan netns "$WORLD_PID"
ip addr add 192.0.2.1/24 dev uplink
ip link set uplink up
in_world ip link set lo up
in_world ip addr add 198.51.100.1/32 dev lo
in_world ip addr add 192.0.2.2/24 dev wan
in_world ip link set wan up
ip route add default via 192.0.2.2
say "world netns: a web server at 198.51.100.1 (busybox httpd)"
say "uplink:      host 192.0.2.1/24 (uplink) <-> world 192.0.2.2/24 (wan)"
say "host:        default via 192.0.2.2; the world knows no route to the containers"

step "two fetches a page from the world (outbound NAT)"
page=$(runc_ exec "$(id_of two)" busybox timeout 5 busybox wget -q -O - http://198.51.100.1/ </dev/null) ||
  die "two cannot fetch http://198.51.100.1/"
printf '    %-5s -> %-28s %s\n' two "http://198.51.100.1/" "$page"
seen=$(runc_ exec "$(id_of two)" busybox timeout 5 busybox wget -q -O - http://198.51.100.1/cgi-bin/whoami </dev/null) ||
  die "two cannot fetch http://198.51.100.1/cgi-bin/whoami"
[ "$seen" = 192.0.2.1 ] || die "the world saw two as '$seen', not as the host's 192.0.2.1"
say "the world saw the request come from $seen: the host's address, not two's ${ADDRESS4[two]}"
say "${DIM}(the host masqueraded it: two's address is in hookwire's nat4 set)${OFF}"

step "The world fetches a page from one, through published host port 8080"
page=
for _ in $(seq 25); do  # httpd in one may still be starting
  page=$(in_world timeout 5 busybox wget -q -O - http://192.0.2.1:8080/ 2>/dev/null) && break
  sleep 0.2
done
[ -n "$page" ] || die "the world cannot fetch http://192.0.2.1:8080/"
printf '    %-5s -> %-28s %s\n' world "http://192.0.2.1:8080/" "$page"
say "the host forwarded its port 8080 to one at ${ADDRESS4[one]}:80 (DNAT)"
say "${DIM}hookwire's nftables table inet hookwire: a fixed skeleton of chains, and each"
say "container's facts as set and map elements, added and deleted by its hooks:${OFF}"
for set in members4 nat4 isolated4 wild4 wild6; do
  kind=set
  [[ "$set" == wild* ]] && kind=map
  elements=$(nft list "$kind" inet hookwire "$set" | tr '\n\t' '  ' | tr -s ' ' | grep -o 'elements = {[^}]*}' || true)
  printf '    %-10s %s\n' "$set" "${elements:-(none)}"
done | sed 's/elements = //'
say "${DIM}(members: address . bridge; nat: masqueraded on the way out; isolated: kept"
say "apart from other networks; wild: published on every host address)${OFF}"

step "hookwire ls: what hookwire wired"
hookwire_ ls --state-dir "$STATE_DIR" | indent

step "Stopping and deleting the containers (runc runs hookwire's poststop at delete)"
for name in "${NAMES[@]}"; do
  runc_ kill "$(id_of "$name")" KILL  # sleep, as pid 1, ignores SIGTERM
done
for name in "${NAMES[@]}"; do
  for _ in $(seq 100); do
    [ "$(runc_ state "$(id_of "$name")" | jq -r .status)" = stopped ] && break
    sleep 0.05
  done
  runc_ delete "$(id_of "$name")"
  say "stopped and deleted $name"
done

step "Nothing is left"
say "hookwire ls:"
hookwire_ ls --state-dir "$STATE_DIR" | indent
listed=$(hookwire_ ls --json --state-dir "$STATE_DIR" | jq length)
[ "$listed" = 0 ] || die "hookwire ls still lists $listed container(s)"
links=$(ip -br link | awk '$1 ~ /^hw/ {print $1}')
[ -z "$links" ] || die "host links left: $links"
say "host links named hw*: none (the bridge hookwire0 stays, for the next container)"
# firewall.lock stays: hookwire's lock for building its nftables table.
leftovers=$(find "$STATE_DIR" \( -type f -o -type l \) -not -name '.*' -not -path "$STATE_DIR/firewall.lock" |
  sed "s|$STATE_DIR/||")
[ -z "$leftovers" ] || die "left in the state dir: $leftovers"
say "state dir: no leases, no host port leases, no records (only hookwire's empty"
say "ledger/, ipam/ and ports/ dirs, and its firewall.lock)"
elements=$(nft -j list table inet hookwire | jq '[.nftables[] | (.set // .map // empty)
  | select(.name != "bridges") | (.elem // []) | length] | add // 0')
[ "$elements" = 0 ] || die "$elements element(s) left in nftables table inet hookwire"
say "nftables table inet hookwire: no element of any container (the skeleton stays,"
say "with hookwire0 in its bridges set)"
refused=$(in_world timeout 5 busybox wget -q -O - http://192.0.2.1:8080/ 2>&1) &&
  die "the world still gets a page from 192.0.2.1:8080: $refused"
say "the world asking 192.0.2.1:8080 again: ${refused#wget: }"
say "${DIM}what the hooks logged, stage by stage:${OFF}"
sed -E 's/^[^ ]+ [a-z]+ //' "$WORK/hookwire.log" | indent

printf '\n%sDone in %ds.%s Three containers were wired, talked to each other and to the world,\n' \
  "$BOLD" "$SECONDS" "$OFF"
printf 'served it a page through a published port, and were unwired without a trace.\n'
printf 'Next: hookwire --help, and docs/configuration.md for your own profiles.\n'
