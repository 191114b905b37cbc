#!/usr/bin/env bash
# Names: hookwire-dns, the resolver the hooks start for profiles with
# "dns": {"names": true}, checked with real queries from the containers.
#
# Each case runs in a throwaway "host" netns with a private mount namespace
# (lib.sh): there /etc/resolv.conf is a bind mount of $WORK/resolv.conf, so the
# resolver, which the hooks start in this netns and mount namespace, forwards to
# what a case chooses: by default 127.0.0.1, where nothing listens (a forwarded
# question gets SERVFAIL at once), or stub upstreams on 127.0.0.x that a case
# starts. The real /etc/resolv.conf is never touched.
#
# Networks: "dnsa" (br-dnsa, 10.71.0.0/24, fd00:71::/64) and "dnsb" (br-dnsb,
# 10.72.0.0/24, fd00:72::/64), both serving names in the domain "hookwire".
# Each container has a bundle of its own (its config.json names its hostname).
# Questions are asked with tests/tools/dnsq.py, whose one line of output is
# "RCODE [aa] [tc] [ra] answers...", or TIMEOUT.
STAGE_PRIVATE_MOUNTS=1
. "$(dirname "$0")/lib.sh"

for tool in python3 jq ss flock; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "the dns tests need $tool: skipped" >&2
    exit 77
  fi
done

# The interpreter itself, not a wrapper (a pyenv shim costs a second a start).
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
DNSQ=$(cd "$(dirname "$0")/../../tools" && pwd)/dnsq.py

STUBS=()
# Stubs and the outside client's netns go with the test, even when it fails;
# cleanup (lib.sh) kills the sleepers and the resolver of $STATE_DIR.
stop_stubs() {
  local stub
  for stub in "${STUBS[@]}"; do kill -9 "$stub" 2>/dev/null || true; done
}
trap 'stop_stubs; cleanup' EXIT

ip link set lo up
printf 'nameserver 127.0.0.1\n' >"$WORK/resolv.conf"
mount --bind "$WORK/resolv.conf" /etc/resolv.conf

# names_profile NAME BRIDGE N [EXTRA-JSON]: a profile serving names, pools
# 10.N.0.0/24 and fd00:N::/64, gateways .1 and ::1; EXTRA-JSON is merged into "dns".
names_profile() {
  write_profile "$1" "$(jq -cn --arg bridge "$2" --arg n "$3" --argjson extra "${4:-{\}}" '
    {networks: [{type: "loopback"}, {type: "veth", name: "eth0", bridge: $bridge}],
     ipam: {ipv4: {subnet: "10.\($n).0.0/24", gateway: "10.\($n).0.1"},
            ipv6: {subnet: "fd00:\($n)::/64", gateway: "fd00:\($n)::1"}},
     dns: ({names: true} + $extra)}')"
}

# bundle ID HOSTNAME: the bundle dir of container ID, whose config.json names
# HOSTNAME (none when empty), with an empty rootfs/etc.
bundle() {
  local dir=$WORK/bundles/$1
  mkdir -p "$dir/rootfs/etc"
  jq -n --arg h "$2" '{ociVersion: "1.0.2", root: {path: "rootfs"}} + (if $h == "" then {} else {hostname: $h} end)' \
    >"$dir/config.json"
  printf '%s' "$dir"
}

# dns_state ID PID STATUS [PROFILE [ALIASES]]: a State with the container's own
# bundle; PID "none" for none; annotations for PROFILE and ALIASES when given.
dns_state() {
  local id=$1 pid=$2 status=$3 profile=${4:-} aliases=${5:-}
  jq -cn --arg id "$id" --arg pid "$pid" --arg status "$status" --arg bundle "$WORK/bundles/$id" \
    --arg profile "$profile" --arg aliases "$aliases" '
    {ociVersion: "1.0.2-dev", id: $id, status: $status, bundle: $bundle,
     annotations: ((if $profile == "" then {} else {"io.hookwire.network": $profile} end)
                   + (if $aliases == "" then {} else {"io.hookwire.aliases": $aliases} end))}
    + (if $pid == "none" then {} else {pid: ($pid | tonumber)} end)'
}

# wire ID PROFILE HOSTNAME [ALIASES]: a new container with its bundle, wired by
# createRuntime; sets CONTAINER_PID.
wire() {
  local id=$1 profile=$2 hostname=$3 aliases=${4:-}
  new_container
  bundle "$id" "$hostname" >/dev/null
  dns_state "$id" "$CONTAINER_PID" creating "$profile" "$aliases" | hook create-runtime 2>>"$WORK/hooks.err" ||
    fail "wiring $id: $(tail -n 1 "$WORK/hooks.err")"
}

# poststart ID PID: the poststart hook of a running container.
poststart() {
  dns_state "$1" "$2" running | hook poststart 2>>"$WORK/hooks.err" || fail "poststart of $1: $(tail -n 1 "$WORK/hooks.err")"
}

unwire() { dns_state "$1" none stopped | hook poststop 2>>"$WORK/hooks.err" || fail "poststop of $1"; }

# q WHERE SERVER NAME [TYPE] [DNSQ-OPTIONS...]: dnsq's line, asked once (no
# retry) from the netns of pid WHERE, or from the host netns (WHERE=host).
q() {
  local where=$1
  shift
  if [ "$where" = host ]; then
    "$PYTHON" -I "$DNSQ" "$@" 2>&1 || true
  else
    in_container "$where" "$PYTHON" -I "$DNSQ" "$@" 2>&1 || true
  fi
}

# expect_q WHAT EXPECTED WHERE SERVER NAME [TYPE] [OPTIONS...]: dnsq prints EXPECTED.
expect_q() {
  local what=$1 expected=$2
  shift 2
  expect_eq "$what" "$(q "$@")" "$expected"
}

# expect_refused_or_nothing WHAT WHERE SERVER NAME [...]: REFUSED, or no reply at
# all; never an answer.
expect_refused_or_nothing() {
  local what=$1 got
  shift
  got=$(q "$@" --timeout 1)
  case "$got" in
    "REFUSED ra" | TIMEOUT) ;;
    *) fail "$what: got '$got', expected REFUSED or no reply" ;;
  esac
}

ipv4_of() { in_container "$1" ip -j -4 addr show dev eth0 | jq -r '.[0].addr_info[0].local'; }
ipv6_of() { in_container "$1" ip -j -6 addr show dev eth0 scope global | jq -r '.[0].addr_info[0].local'; }
reverse() { "$PYTHON" -I -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer)' "$1"; }

# resolver_pids: the pids of every hookwire-dns serving this test's state dir
# (bash builtins only: a fork per process of the machine costs seconds).
resolver_pids() {
  local dir
  local -a argv
  for dir in /proc/[0-9]*; do
    argv=()
    mapfile -d '' argv 2>/dev/null <"$dir/cmdline" || continue
    [ "${#argv[@]}" -ge 3 ] && [ "${argv[0]##*/}" = hookwire-dns ] && [ "${argv[1]:-}" = --state-dir ] && [ "${argv[2]:-}" = "$STATE_DIR" ] &&
      printf '%s\n' "${dir#/proc/}"
  done
  return 0
}

# resolver_pid: the pid dns.pid names, after checking that exactly that one
# process serves the state dir and that it holds the lock on dns.pid.
resolver_pid() {
  local pid all
  pid=$(tr -d '\n' <"$STATE_DIR/dns.pid" 2>/dev/null || true)
  all=$(resolver_pids | tr '\n' ' ')
  expect_eq "the resolvers of the state dir (dns.pid says '$pid')" "$all" "$pid "
  expect_exit 99 "the lock on dns.pid is held" flock -n -E 99 "$STATE_DIR/dns.pid" true
  printf '%s' "$pid"
}

# wait_resolver_gone PID SECONDS: the process exits within SECONDS. A zombie
# counts as gone: the resolver's parent, the hook, has exited, and whoever
# inherits it (init, a subreaper) may reap it only later.
wait_resolver_gone() {
  local i state
  for i in $(seq $(($2 * 50))); do
    state=$({ read -r _ _ state _ <"/proc/$1/stat" && printf '%s' "$state"; } 2>/dev/null) || return 0
    [ "$state" = Z ] && return 0
    sleep 0.02
  done
  fail "resolver $1 still runs after $2 s: $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)"
}

# A stub upstream (python3, UDP and TCP on ADDRESS port 53): MODE answer (A
# questions get ADDRESS-ANSWER, other types none), refused, servfail, silent
# (never replies), tc (UDP replies are truncated, TCP has the answer). Each
# question it gets is logged to $WORK/stub.ADDRESS.log as "udp|tcp NAME TYPE".
STUB_PY=$WORK/stub.py
cat >"$STUB_PY" <<'PY'
import socket, struct, sys, threading

address, mode, answer, log = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
lock = threading.Lock()

def name_of(q):
    at, labels = 12, []
    while q[at]:
        labels.append(q[at + 1:at + 1 + q[at]].decode("ascii", "replace"))
        at += q[at] + 1
    return ".".join(labels), at + 5

def reply(q, transport):
    name, end = name_of(q)
    qid, flags = struct.unpack("!HH", q[:4])
    qtype = struct.unpack("!H", q[end - 4:end - 2])[0]
    with lock, open(log, "a") as f:
        f.write("%s %s %d\n" % (transport, name, qtype))
    rd = flags & 0x0100
    question = q[12:end]
    if mode == "silent":
        return None
    if mode in ("refused", "servfail"):
        return struct.pack("!HHHHHH", qid, 0x8080 | rd | (5 if mode == "refused" else 2), 1, 0, 0, 0) + question
    if mode == "tc" and transport == "udp":
        return struct.pack("!HHHHHH", qid, 0x8280 | rd, 1, 0, 0, 0) + question
    records = b""
    if qtype == 1:
        records = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(answer)
    return struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 1 if records else 0, 0, 0) + question + records

def serve_udp(s):
    while True:
        q, peer = s.recvfrom(65535)
        r = reply(q, "udp")
        if r:
            s.sendto(r, peer)

def serve_tcp(s):
    while True:
        conn, _ = s.accept()
        try:
            size = struct.unpack("!H", conn.recv(2, socket.MSG_WAITALL))[0]
            r = reply(conn.recv(size, socket.MSG_WAITALL), "tcp")
            if r:
                conn.sendall(struct.pack("!H", len(r)) + r)
        except Exception:
            pass
        conn.close()

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((address, 53))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((address, 53))
t.listen(16)
threading.Thread(target=serve_tcp, args=(t,), daemon=True).start()
print("ready", flush=True)
serve_udp(u)
PY

# stub ADDRESS MODE [ANSWER]: a stub upstream in the host netns, ready when this
# returns; STUB_PID is its pid.
stub() {
  local out=$WORK/stub.$1.out
  : >"$WORK/stub.$1.log"
  "$PYTHON" -I "$STUB_PY" "$1" "$2" "${3:-198.51.100.7}" "$WORK/stub.$1.log" </dev/null >"$out" 2>&1 &
  STUB_PID=$!
  STUBS+=("$STUB_PID")
  disown "$STUB_PID"
  for _ in $(seq 250); do
    grep -q '^ready' "$out" && return 0
    kill -0 "$STUB_PID" 2>/dev/null || break
    sleep 0.02
  done
  fail "stub $1 ($2) did not start: $(cat "$out")"
}

stub_stop() { kill -9 "$1" 2>/dev/null || true; while kill -0 "$1" 2>/dev/null; do sleep 0.01; done; }
stub_log() { tr '\n' ';' <"$WORK/stub.$1.log"; }

# use_upstreams ADDRESS...: the resolv.conf the resolver reads, rewritten in place.
use_upstreams() {
  local server
  for server in "$@"; do printf 'nameserver %s\n' "$server"; done >"$WORK/resolv.conf"
}

# wait_answered WHERE SERVER NAME: the resolver answers NAME within 5 s (for the
# cases where freshness is not what is checked).
wait_answered() {
  local got
  got=$(q "$1" "$2" "$3" --until-answered 5 --timeout 0.5)
  case "$got" in NOERROR*) ;; *) fail "no answer for $3 from $2 within 5 s: $got" ;; esac
}

# 1. Containers on one network resolve each other by hostname, id and alias,
# bare and in the domain, A and AAAA, over UDP and TCP, on the IPv4 and the IPv6
# gateway; PTR of their addresses; NXDOMAIN for unknown names and addresses.
case_names_resolve_by_hostname_id_and_alias() {
  names_profile dnsa br-dnsa 71
  wire client1 dnsa client
  local client=$CONTAINER_PID
  wire target1 dnsa web "www,Front"
  local target=$CONTAINER_PID
  # A long id (not a label): its first 12 characters; no hostname in its bundle.
  local long=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  wire "$long" dnsa ""
  local anon=$CONTAINER_PID
  local t4 t6 a4
  t4=$(ipv4_of "$target")
  t6=$(ipv6_of "$target")
  a4=$(ipv4_of "$anon")
  wait_answered "$client" 10.71.0.1 web

  local server transport name
  for server in 10.71.0.1 fd00:71::1; do
    for transport in "" --tcp; do
      local how="via $server ${transport:-udp}"
      for name in web target1 www front web.hookwire target1.hookwire www.hookwire front.hookwire WEB.HookWire; do
        expect_q "$name A $how" "NOERROR aa ra $t4" "$client" "$server" "$name" A $transport
        expect_q "$name AAAA $how" "NOERROR aa ra $t6" "$client" "$server" "$name" AAAA $transport
      done
      expect_q "PTR of $t4 $how" "NOERROR aa ra web.hookwire" "$client" "$server" "$(reverse "$t4")" PTR $transport
      expect_q "PTR of $t6 $how" "NOERROR aa ra web.hookwire" "$client" "$server" "$(reverse "$t6")" PTR $transport
      expect_q "unknown.hookwire $how" "NXDOMAIN aa ra" "$client" "$server" unknown.hookwire A $transport
      expect_q "an unknown address of the pool $how" "NXDOMAIN aa ra" \
        "$client" "$server" "$(reverse 10.71.0.200)" PTR $transport
      expect_q "an unknown IPv6 address of the pool $how" "NXDOMAIN aa ra" \
        "$client" "$server" "$(reverse fd00:71::dead)" PTR $transport
    done
  done
  expect_q "the short id of a long one" "NOERROR aa ra $a4" "$client" 10.71.0.1 0123456789ab
  expect_q "the short id in the domain" "NOERROR aa ra $a4" "$client" 10.71.0.1 0123456789ab.hookwire
  expect_q "PTR of a container without hostname" "NOERROR aa ra 0123456789ab.hookwire" \
    "$client" 10.71.0.1 "$(reverse "$a4")" PTR
  expect_q "only the first 12 characters" "NXDOMAIN aa ra" "$client" 10.71.0.1 0123456789abc.hookwire
  # A name with no data of the type asked, and the domain itself: NODATA.
  expect_q "MX of web" "NOERROR aa ra" "$client" 10.71.0.1 web MX
  expect_q "the domain itself" "NOERROR aa ra" "$client" 10.71.0.1 hookwire
  # The other way round, and a container's own name.
  expect_q "client from the target" "NOERROR aa ra $(ipv4_of "$client")" "$target" 10.71.0.1 client.hookwire
  expect_q "its own name" "NOERROR aa ra $t4" "$target" fd00:71::1 web
  # Not a name of the network: forwarded (to nothing here).
  expect_q "a name not in the domain" "SERVFAIL ra" "$client" 10.71.0.1 web.example
  unwire target1
  unwire client1
  unwire "$long"
  expect_nothing_left
}

# An asker: a python3 process in a container's netns that asks one question
# per line it reads ("SERVER NAME TYPE udp|tcp") and prints dnsq's line for it
# (TIMEOUT after a second). Started before it is needed, so that the question
# leaves within a millisecond or so of the hook's return, not after an
# interpreter's start (which would give a resolver 50 ms or more of slack).
ASKER_PY=$WORK/asker.py
cat >"$ASKER_PY" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import dnsq

print("ready", flush=True)
for line in sys.stdin:
    server, name, qtype, transport = line.split()
    qid, payload = dnsq.question(name, dnsq.TYPES[qtype])
    reply = dnsq.exchange(server, payload, transport == "tcp", None, 1.0)
    if reply is None:
        print("TIMEOUT", flush=True)
        continue
    rid, rcode, tags, answers = dnsq.parse(reply)
    print("BADID" if rid != qid else " ".join([rcode] + tags + answers), flush=True)
PY
declare -A ASK_IN ASK_OUT

# asker_start PID: an asker in the netns of PID, ready when this returns.
asker_start() {
  local pid=$1 fifo=$WORK/asker.$1 line in out
  mkfifo "$fifo.in" "$fifo.out"
  nsenter --net="/proc/$pid/ns/net" -- "$PYTHON" -I "$ASKER_PY" "$(dirname "$DNSQ")" \
    <"$fifo.in" >"$fifo.out" 2>"$fifo.err" &
  STUBS+=("$!")
  disown "$!"
  exec {in}>"$fifo.in"
  exec {out}<"$fifo.out"
  ASK_IN[$pid]=$in
  ASK_OUT[$pid]=$out
  read -r -t 10 line <&"$out" || true
  [ "$line" = ready ] || fail "the asker in $pid did not start: $(cat "$fifo.err")"
}

# asker_stop PID: its asker reads the end of its input and exits.
asker_stop() {
  exec {ASK_IN[$1]}>&- {ASK_OUT[$1]}<&-
  unset "ASK_IN[$1]" "ASK_OUT[$1]"
}

# ask PID SERVER NAME [TYPE [udp|tcp]]: the asker of PID asks now; its line.
ask() {
  local line
  printf '%s %s %s %s\n' "$2" "$3" "${4:-A}" "${5:-udp}" >&"${ASK_IN[$1]}"
  read -r -t 5 line <&"${ASK_OUT[$1]}" || line="no line from the asker"
  printf '%s' "$line"
}

# fresh_rounds WHERE SERVER ROUNDS PREFIX PROFILE: ROUNDS containers wired one
# after the other; the first question after createRuntime returns must get the
# new container's address, and (when WHERE is a pid with an asker) the first
# after its poststop returns NXDOMAIN. With WHERE "self", the new container asks
# (it is the first of its network: after its poststop no one serves there).
# Prints the failures, one a line.
fresh_rounds() {
  local where=$1 server=$2 rounds=$3 prefix=$4 profile=$5 i got addr asker
  for i in $(seq "$rounds"); do
    new_container
    local pid=$CONTAINER_PID
    asker=$where
    if [ "$where" = self ]; then
      asker=$pid
      asker_start "$pid"
    fi
    bundle "$prefix$i" "$prefix-host$i" >/dev/null
    dns_state "$prefix$i" "$pid" creating "$profile" >"$WORK/state.json"
    hook create-runtime <"$WORK/state.json" 2>>"$WORK/hooks.err" || fail "wiring $prefix$i"
    got=$(ask "$asker" "$server" "$prefix-host$i.hookwire")
    addr=$(ipv4_of "$pid")
    [ "$got" = "NOERROR aa ra $addr" ] || echo "round $i: after createRuntime: '$got' (expected $addr)"
    if [ "$where" = self ]; then
      asker_stop "$pid"
      unwire "$prefix$i"
    else
      unwire "$prefix$i"
      got=$(ask "$asker" "$server" "$prefix-host$i.hookwire")
      [ "$got" = "NXDOMAIN aa ra" ] || echo "round $i: after poststop: '$got'"
    fi
    kill_container "$pid"
  done
}

# 2. Freshness, with a resolver already running (an anchor container keeps it):
# 50 rounds on the anchor's network, then 10 rounds where the new container is
# the first of a second network (the resolver must serve a new gateway address).
case_fresh_after_create_runtime() {
  names_profile dnsa br-dnsa 71
  names_profile dnsb br-dnsb 72
  wire anchor dnsa anchor
  local anchor=$CONTAINER_PID
  wait_answered "$anchor" 10.71.0.1 anchor
  asker_start "$anchor"
  local pid
  pid=$(resolver_pid)
  fresh_rounds "$anchor" 10.71.0.1 50 f dnsa >"$WORK/failures"
  expect_eq "failed rounds on a served network" "$(wc -l <"$WORK/failures") $(head -n 3 "$WORK/failures" | tr '\n' ' ')" "0 "
  fresh_rounds self 10.72.0.1 10 n dnsb >"$WORK/failures"
  expect_eq "failed rounds as the first of a new network" \
    "$(wc -l <"$WORK/failures") $(head -n 3 "$WORK/failures" | tr '\n' ' ')" "0 "
  expect_eq "one resolver all along" "$(resolver_pid)" "$pid"
  asker_stop "$anchor"
  unwire anchor
  wait_resolver_gone "$pid" 2
  expect_nothing_left
}

# 2b. Freshness when no resolver runs yet: the createRuntime that starts it
# returns when the name already resolves. Each round waits for the resolver of
# the round before to exit (its last container went).
case_fresh_when_the_resolver_starts() {
  names_profile dnsa br-dnsa 71
  local i pid got addr resolver
  : >"$WORK/failures"
  for i in $(seq 10); do
    new_container
    pid=$CONTAINER_PID
    asker_start "$pid"
    bundle "c$i" "cold$i" >/dev/null
    dns_state "c$i" "$pid" creating dnsa >"$WORK/state.json"
    hook create-runtime <"$WORK/state.json" 2>>"$WORK/hooks.err" || fail "wiring c$i"
    got=$(ask "$pid" 10.71.0.1 "cold$i.hookwire")
    addr=$(ipv4_of "$pid")
    [ "$got" = "NOERROR aa ra $addr" ] || echo "round $i: '$got' (expected $addr)" >>"$WORK/failures"
    asker_stop "$pid"
    resolver=$(resolver_pid)
    unwire "c$i"
    wait_resolver_gone "$resolver" 2
    kill_container "$pid"
  done
  expect_eq "failed rounds" "$(wc -l <"$WORK/failures") $(head -n 3 "$WORK/failures" | tr '\n' ' ')" "0 "
  expect_nothing_left
}

case_isolation_between_networks() {
  names_profile dnsa br-dnsa 71
  names_profile dnsb br-dnsb 72
  wire a1 dnsa alpha
  local a1=$CONTAINER_PID
  wire a2 dnsa same
  local a2=$CONTAINER_PID
  wire b1 dnsb bravo
  local b1=$CONTAINER_PID
  wire b2 dnsb same
  local b2=$CONTAINER_PID
  wait_answered "$a1" 10.71.0.1 alpha
  wait_answered "$b1" 10.72.0.1 bravo
  local b1_4 b1_6
  b1_4=$(ipv4_of "$b1")
  b1_6=$(ipv6_of "$b1")

  local server
  for server in 10.71.0.1 fd00:71::1; do
    expect_q "B's hostname in the domain, on A ($server)" "NXDOMAIN aa ra" "$a1" "$server" bravo.hookwire
    expect_q "B's id in the domain, on A ($server)" "NXDOMAIN aa ra" "$a1" "$server" b1.hookwire AAAA
    expect_q "B's bare hostname on A, forwarded ($server)" "SERVFAIL ra" "$a1" "$server" bravo
    expect_q "B's bare id on A, forwarded ($server)" "SERVFAIL ra" "$a1" "$server" b1 AAAA
    # B's addresses are outside A's pools: forwarded too.
    expect_q "PTR of B's IPv4 on A ($server)" "SERVFAIL ra" "$a1" "$server" "$(reverse "$b1_4")" PTR
    expect_q "PTR of B's IPv6 on A ($server)" "SERVFAIL ra" "$a1" "$server" "$(reverse "$b1_6")" PTR
  done
  # One hostname on both networks: each network sees its own.
  expect_q "'same' on A" "NOERROR aa ra $(ipv4_of "$a2")" "$a1" 10.71.0.1 same
  expect_q "'same' on B" "NOERROR aa ra $(ipv4_of "$b2")" "$b1" 10.72.0.1 same.hookwire
  expect_q "'same' AAAA on B" "NOERROR aa ra $(ipv6_of "$b2")" "$b1" fd00:72::1 same AAAA
  # The other network's gateway: not for A's containers, whatever they ask.
  local name
  for server in 10.72.0.1 fd00:72::1; do
    for name in bravo bravo.hookwire alpha example.org; do
      expect_refused_or_nothing "A asks B's gateway $server for $name" "$a1" "$server" "$name"
      expect_refused_or_nothing "A asks B's gateway $server for $name over TCP" "$a1" "$server" "$name" A --tcp
    done
  done
  expect_refused_or_nothing "B asks A's gateway for alpha" "$b1" 10.71.0.1 alpha
  expect_refused_or_nothing "B asks A's gateway for same" "$b1" fd00:71::1 same AAAA
  # B's network gone: its gateway serves nothing, A's still answers.
  unwire b1
  unwire b2
  expect_q "alpha after B is gone" "NOERROR aa ra $(ipv4_of "$a1")" "$a2" 10.71.0.1 alpha
  expect_refused_or_nothing "A asks B's gateway after B is gone" "$a1" 10.72.0.1 alpha
  unwire a1
  unwire a2
  expect_nothing_left
}

# 4. Forwarding: other names go to the upstreams of resolv.conf (re-read when it
# changes), UDP with a TCP retry on truncation, the next upstream after a
# refusal; SERVFAIL when none answers, quickly when one is down.
case_forwarded_through_stub_upstream() {
  names_profile dnsa br-dnsa 71
  local addr
  for addr in 127.0.0.2 127.0.0.3 127.0.0.4; do ip addr add "$addr/32" dev lo; done
  stub 127.0.0.1 answer 198.51.100.7
  local first=$STUB_PID
  wire c1 dnsa client
  local c1=$CONTAINER_PID
  wait_answered "$c1" 10.71.0.1 client
  expect_q "example.org A" "NOERROR ra 198.51.100.7" "$c1" 10.71.0.1 example.org
  expect_q "example.org A over TCP" "NOERROR ra 198.51.100.7" "$c1" 10.71.0.1 example.org A --tcp
  expect_q "example.org A via IPv6" "NOERROR ra 198.51.100.7" "$c1" fd00:71::1 example.org
  expect_q "example.org AAAA" "NOERROR ra" "$c1" 10.71.0.1 example.org AAAA
  # Bare names that are not the network's are forwarded as they are.
  expect_q "a bare unknown name" "NOERROR ra 198.51.100.7" "$c1" 10.71.0.1 nosuchhost
  expect_eq "what the stub was asked" "$(stub_log 127.0.0.1)" \
    "udp example.org 1;udp example.org 1;udp example.org 1;udp example.org 28;udp nosuchhost 1;"
  # The network's own names never reach the upstream.
  expect_q "a local name" "NOERROR aa ra $(ipv4_of "$c1")" "$c1" 10.71.0.1 client.hookwire
  expect_eq "the stub after a local name" "$(grep -c client "$WORK/stub.127.0.0.1.log")" 0

  # Truncated over UDP: asked again over TCP.
  stub 127.0.0.2 tc 198.51.100.8
  use_upstreams 127.0.0.2
  expect_q "a truncated answer, asked again over TCP" "NOERROR ra 198.51.100.8" "$c1" 10.71.0.1 big.example
  expect_eq "the truncating stub's questions" "$(stub_log 127.0.0.2)" "udp big.example 1;tcp big.example 1;"

  # Refused by the first upstream: the second answers; refused by all: SERVFAIL.
  stub 127.0.0.3 refused
  local refusing=$STUB_PID
  stub 127.0.0.4 answer 198.51.100.9
  use_upstreams 127.0.0.3 127.0.0.4
  expect_q "refused by the first, answered by the second" "NOERROR ra 198.51.100.9" "$c1" 10.71.0.1 two.example
  use_upstreams 127.0.0.3
  expect_q "refused by the only upstream" "SERVFAIL ra" "$c1" 10.71.0.1 example.org
  stub_stop "$refusing"
  stub 127.0.0.3 servfail
  expect_q "SERVFAIL from the only upstream" "SERVFAIL ra" "$c1" 10.71.0.1 example.org

  # An upstream down (its port closed): SERVFAIL at once; one that never
  # answers: SERVFAIL after the resolver's timeout, within a few seconds.
  use_upstreams 127.0.0.1
  stub_stop "$first"
  local start elapsed
  start=$(date +%s%N)
  expect_q "the upstream is down" "SERVFAIL ra" "$c1" 10.71.0.1 example.org A --timeout 5
  elapsed=$((($(date +%s%N) - start) / 1000000))
  [ "$elapsed" -lt 1000 ] || fail "SERVFAIL for a closed upstream took $elapsed ms"
  stub 127.0.0.1 silent
  start=$(date +%s%N)
  expect_q "the upstream is silent" "SERVFAIL ra" "$c1" 10.71.0.1 example.org A --timeout 8
  elapsed=$((($(date +%s%N) - start) / 1000000))
  [ "$elapsed" -lt 4000 ] || fail "SERVFAIL for a silent upstream took $elapsed ms"
  # The file changed: the new upstream answers at once.
  use_upstreams 127.0.0.4
  expect_q "after resolv.conf changed" "NOERROR ra 198.51.100.9" "$c1" 10.71.0.1 example.org
  # Replaced by another file (a new inode, as a rename would give): read too.
  printf 'nameserver 127.0.0.2\n' >"$WORK/resolv.conf.2"
  mount --bind "$WORK/resolv.conf.2" /etc/resolv.conf
  expect_q "after resolv.conf was replaced" "NOERROR ra 198.51.100.8" "$c1" 10.71.0.1 example.org A --tcp
  umount /etc/resolv.conf
  # No upstream at all: SERVFAIL.
  : >"$WORK/resolv.conf"
  expect_q "no nameserver line" "SERVFAIL ra" "$c1" 10.71.0.1 example.org
  unwire c1
  expect_nothing_left
}

# 5. A killed resolver comes back with the next hook: poststart, or the
# createRuntime of another container; the old names answer at the first
# question, asked at once (through askers started beforehand).
case_killed_resolver_comes_back() {
  names_profile dnsa br-dnsa 71
  wire k1 dnsa kone kalias
  local k1=$CONTAINER_PID k1_4
  poststart k1 "$k1"
  wire k2 dnsa ktwo
  local k2=$CONTAINER_PID
  poststart k2 "$k2"
  wait_answered "$k2" 10.71.0.1 kone
  asker_start "$k1"
  asker_start "$k2"
  k1_4=$(ipv4_of "$k1")
  local first
  first=$(resolver_pid)
  kill -9 "$first"
  wait_resolver_gone "$first" 2
  expect_eq "nothing answers while the resolver is dead" "$(ask "$k2" 10.71.0.1 kone)" TIMEOUT
  # A runtime runs poststart for a container started now: the resolver is back.
  poststart k2 "$k2"
  expect_eq "kone right after poststart" "$(ask "$k2" 10.71.0.1 kone)" "NOERROR aa ra $k1_4"
  expect_eq "kalias over TCP after poststart" "$(ask "$k2" fd00:71::1 kalias.hookwire A tcp)" "NOERROR aa ra $k1_4"
  local second
  second=$(resolver_pid)
  [ "$second" != "$first" ] || fail "dns.pid still names the killed resolver $first"
  # poststart again while it runs: no second resolver.
  poststart k1 "$k1"
  expect_eq "after another poststart" "$(resolver_pid)" "$second"

  kill -9 "$second"
  wait_resolver_gone "$second" 2
  wire k3 dnsa kthree
  local k3=$CONTAINER_PID
  expect_eq "kthree right after its createRuntime" "$(ask "$k1" 10.71.0.1 kthree)" "NOERROR aa ra $(ipv4_of "$k3")"
  expect_eq "ktwo after the next createRuntime" "$(ask "$k1" 10.71.0.1 ktwo)" "NOERROR aa ra $(ipv4_of "$k2")"
  local third
  third=$(resolver_pid)
  [ "$third" != "$second" ] || fail "dns.pid still names the killed resolver $second"
  # SIGTERM: it exits and empties dns.pid; the next hook brings it back too.
  kill -TERM "$third"
  wait_resolver_gone "$third" 2
  expect_eq "dns.pid after SIGTERM" "$(cat "$STATE_DIR/dns.pid")" ""
  poststart k3 "$k3"
  expect_eq "kthree after SIGTERM and poststart" "$(ask "$k2" 10.71.0.1 kthree)" "NOERROR aa ra $(ipv4_of "$k3")"
  resolver_pid >/dev/null
  asker_stop "$k1"
  asker_stop "$k2"
  unwire k1
  unwire k2
  unwire k3
  expect_nothing_left
}

# hostile_q EXPECTED WHAT HEX [DNSQ-OPTIONS...]: a raw message sent to
# 10.71.0.1 from container $HOSTILE_FROM; dnsq prints EXPECTED (the rcode, or
# TIMEOUT for no reply).
hostile_q() {
  local expected=$1 what=$2 hex=$3
  shift 3
  expect_q "$what" "$expected" "$HOSTILE_FROM" 10.71.0.1 --raw "$hex" --timeout 1 "$@"
}

# 6. Hostile queries get a refusal, FORMERR, NOTIMP or nothing, and the resolver
# stays up; recursion is refused to clients outside the pools and to questions
# without RD.
case_hostile_queries() {
  names_profile dnsa br-dnsa 71
  stub 127.0.0.1 answer 198.51.100.7
  wire h1 dnsa hweb
  local h1=$CONTAINER_PID
  HOSTILE_FROM=$h1
  wait_answered "$h1" 10.71.0.1 hweb
  local pid
  pid=$(resolver_pid)
  local web="0468776562" header="abcd01000001000000000000"  # "hweb", id abcd, RD, QDCOUNT 1
  local inet="00010001"                                     # type A, class IN
  local long_name                                           # five labels of 63 bytes: 321 bytes
  long_name=$("$PYTHON" -c 'print(("3f" + "61" * 63) * 5 + "00")')
  hostile_q NOERROR "a well-formed raw question" "$header${web}00$inet"
  local proto
  for proto in "" --tcp; do
    hostile_q TIMEOUT "a 5-byte header ${proto:-udp}" abcd010000 $proto
    hostile_q TIMEOUT "an 11-byte header ${proto:-udp}" abcd0100000100000000 $proto
    hostile_q TIMEOUT "a response (QR=1) ${proto:-udp}" "abcd81000001000000000000${web}00$inet" $proto
    hostile_q FORMERR "QDCOUNT 2 ${proto:-udp}" "abcd01000002000000000000${web}00$inet${web}00$inet" $proto
    hostile_q FORMERR "QDCOUNT 0 ${proto:-udp}" abcd01000000000000000000 $proto
    hostile_q FORMERR "an answer record in a question ${proto:-udp}" "abcd01000001000100000000${web}00$inet" $proto
    hostile_q FORMERR "a compression pointer to itself ${proto:-udp}" "${header}c00c$inet" $proto
    hostile_q FORMERR "a compression pointer loop ${proto:-udp}" "${header}${web}c011$inet" $proto
    hostile_q FORMERR "a pointer forward, past the end ${proto:-udp}" "${header}c0ff$inet" $proto
    hostile_q FORMERR "a label running past the end ${proto:-udp}" "${header}3f616263" $proto
    hostile_q FORMERR "a name without its end ${proto:-udp}" "${header}${web}" $proto
    hostile_q FORMERR "no type and class ${proto:-udp}" "${header}${web}00" $proto
    hostile_q FORMERR "a reserved label type (0x40) ${proto:-udp}" "${header}41${web}00$inet" $proto
    hostile_q FORMERR "a name longer than 255 bytes ${proto:-udp}" "$header$long_name$inet" $proto
    hostile_q NOTIMP "opcode 2 (STATUS) ${proto:-udp}" "abcd11000001000000000000${web}00$inet" $proto
    hostile_q NOTIMP "opcode 5 (UPDATE) ${proto:-udp}" "abcd29000001000000000000${web}00$inet" $proto
    hostile_q NOTIMP "version.bind CH TXT ${proto:-udp}" "${header}0776657273696f6e0462696e640000100003" $proto
  done
  expect_q "ANY" "NOTIMP ra" "$h1" 10.71.0.1 hweb ANY
  expect_q "ANY over TCP" "NOTIMP ra" "$h1" 10.71.0.1 hweb ANY --tcp
  expect_q "ANY of a forwarded name" "NOTIMP ra" "$h1" 10.71.0.1 example.org ANY
  # 3000 bytes of garbage: FORMERR or nothing, over both transports.
  local garbage got
  garbage=$("$PYTHON" -c 'import random; r = random.Random(7); print(bytes(r.randrange(256) for _ in range(3000)).hex())')
  for proto in "" --tcp; do
    got=$(q "$h1" 10.71.0.1 --raw "$garbage" --timeout 1 $proto)
    case "$got" in FORMERR | TIMEOUT) ;; *) fail "3000 bytes of garbage ${proto:-udp}: $got" ;; esac
    got=$(q "$h1" 10.71.0.1 --raw "${header}$(printf '41%.0s' $(seq 2988))" --timeout 1 $proto)
    case "$got" in FORMERR | TIMEOUT) ;; *) fail "a question and 2988 bytes more ${proto:-udp}: $got" ;; esac
  done
  # EDNS: a good OPT is answered; a second additional record or version 1 is not.
  local opt="0000291000000000000000"  # root, OPT, 4096, rcode 0, version 0, flags 0, rdlen 0
  hostile_q NOERROR "a question with EDNS" "abcd01000001000000000001${web}00$inet$opt"
  hostile_q FORMERR "two OPT records" "abcd01000001000000000002${web}00$inet$opt$opt"
  hostile_q FORMERR "an OPT record cut short" "abcd01000001000000000001${web}00${inet}00291000"

  # Recursion without RD: refused; a local name without RD: answered.
  expect_q "RD=0 for a forwarded name" "REFUSED ra" "$h1" 10.71.0.1 example.org A --no-rd
  expect_q "RD=0 for a local name" "NOERROR aa ra $(ipv4_of "$h1")" "$h1" 10.71.0.1 hweb A --no-rd
  # Clients outside the pools: refused, whatever they ask. From the host with
  # an address outside the pools, and from an outside netns routed to the host.
  ip addr add 192.0.2.99/32 dev lo
  expect_q "recursion from outside the pools (host)" "REFUSED ra" host 10.71.0.1 example.org A --source 192.0.2.99
  expect_q "a local name from outside the pools (host)" "REFUSED ra" host 10.71.0.1 hweb A --source 192.0.2.99
  expect_q "recursion from outside the pools over TCP" "REFUSED ra" \
    host 10.71.0.1 example.org A --source 192.0.2.99 --tcp
  new_container
  local outside=$CONTAINER_PID
  ip link add dnsup type veth peer name dnsdown netns "$outside"
  ip addr add 192.0.2.1/24 dev dnsup
  ip addr add 2001:db8::1/64 dev dnsup nodad
  ip link set dnsup up
  in_container "$outside" sh -ec 'ip link set lo up; ip addr add 192.0.2.2/24 dev dnsdown
    ip addr add 2001:db8::2/64 dev dnsdown nodad; ip link set dnsdown up
    ip route add 10.71.0.0/24 via 192.0.2.1; ip -6 route add fd00:71::/64 via 2001:db8::1'
  expect_q "recursion from an outside netns" "REFUSED ra" "$outside" 10.71.0.1 example.org
  expect_q "a local name from an outside netns" "REFUSED ra" "$outside" 10.71.0.1 hweb
  expect_q "recursion from an outside netns over IPv6" "REFUSED ra" "$outside" fd00:71::1 example.org AAAA
  expect_q "recursion from an outside netns over TCP" "REFUSED ra" "$outside" 10.71.0.1 example.org A --tcp
  expect_eq "what the stub was asked (nothing)" "$(stub_log 127.0.0.1)" ""

  # Still the same resolver, and it still answers.
  expect_eq "the resolver after all that" "$(resolver_pid)" "$pid"
  expect_q "a good question after all that" "NOERROR aa ra $(ipv4_of "$h1")" "$h1" 10.71.0.1 hweb.hookwire
  expect_q "a forwarded question after all that" "NOERROR ra 198.51.100.7" "$h1" 10.71.0.1 example.org
  unwire h1
  wait_resolver_gone "$pid" 2
  expect_nothing_left
}

# 7. One resolver for all containers, unprivileged but for
# CAP_NET_BIND_SERVICE, listening on the gateways only; `ls` shows the names;
# createContainer points resolv.conf at the gateways; gone with the last
# container, leaving nothing.
case_resolver_lifecycle_and_privileges() {
  names_profile dnsa br-dnsa 71 '{"search": ["corp.example"], "options": ["ndots:2"]}'
  local i
  local -a pids=()
  for i in 1 2 3; do
    wire "life$i" dnsa "host$i" "alias$i"
    pids+=("$CONTAINER_PID")
  done
  wait_answered "${pids[0]}" 10.71.0.1 host3
  local pid
  pid=$(resolver_pid)
  # Unprivileged, with CAP_NET_BIND_SERVICE (bit 10) and nothing else, for good.
  local status=/proc/$pid/status
  expect_eq "Uid" "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "$status")" "65534 65534 65534 65534"
  expect_eq "Gid" "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "$status")" "65534 65534 65534 65534"
  expect_eq "Groups" "$(awk '$1 == "Groups:" { print $2 }' "$status")" ""
  expect_eq "CapEff" "$(awk '$1 == "CapEff:" { print $2 }' "$status")" 0000000000000400
  expect_eq "CapPrm" "$(awk '$1 == "CapPrm:" { print $2 }' "$status")" 0000000000000400
  expect_eq "CapBnd" "$(awk '$1 == "CapBnd:" { print $2 }' "$status")" 0000000000000400
  expect_eq "CapInh" "$(awk '$1 == "CapInh:" { print $2 }' "$status")" 0000000000000000
  expect_eq "CapAmb" "$(awk '$1 == "CapAmb:" { print $2 }' "$status")" 0000000000000000
  expect_eq "NoNewPrivs" "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$status")" 1
  # A daemon: its own session, stdio on /dev/null.
  expect_eq "its session" "$(ps -o sid= -p "$pid" | tr -d ' ')" "$pid"
  expect_eq "its stdio" "$(readlink "/proc/$pid/fd/0") $(readlink "/proc/$pid/fd/1") $(readlink "/proc/$pid/fd/2")" \
    "/dev/null /dev/null /dev/null"
  # Port 53 on the gateway addresses, UDP and TCP, and nothing else.
  expect_eq "its sockets" "$(ss -Hlnutp | grep -F "pid=$pid," | awk '{ print $1, $5 }' | sort | tr '\n' ' ')" \
    "tcp 10.71.0.1:53 tcp [fd00:71::1]:53 udp 10.71.0.1:53 udp [fd00:71::1]:53 "

  "$HOOKWIRE" ls --state-dir "$STATE_DIR" >"$WORK/ls"
  grep -qE '^life2 +dnsa +.* +wired +[^ ]+ +host2,life2,alias2 \(\.hookwire\)$' "$WORK/ls" || fail "ls: $(cat "$WORK/ls")"
  head -n 1 "$WORK/ls" | grep -qE ' NAMES$' || fail "ls header: $(head -n 1 "$WORK/ls")"
  expect_eq "ls --json" "$("$HOOKWIRE" ls --json --state-dir "$STATE_DIR" |
    jq -c '[.[] | select(.id == "life1") | .names, .domain]')" '[["host1","life1","alias1"],"hookwire"]'

  # createContainer, in the container's netns, writes the container's resolv.conf.
  dns_state life1 "${pids[0]}" created dnsa | in_container "${pids[0]}" "$HOOKS/hookwire-create-container" \
    --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR" 2>>"$WORK/hooks.err" || fail "createContainer failed"
  expect_eq "the container's resolv.conf" "$(cat "$WORK/bundles/life1/rootfs/etc/resolv.conf")" \
    "$(printf '# Written by hookwire.\nnameserver 10.71.0.1\nnameserver fd00:71::1\nsearch hookwire corp.example\noptions ndots:2')"

  # Still one resolver, through poststop of all but the last.
  unwire life1
  unwire life2
  expect_eq "after two poststops" "$(resolver_pid)" "$pid"
  expect_q "host3 after two poststops" "NOERROR aa ra $(ipv4_of "${pids[2]}")" "${pids[2]}" 10.71.0.1 alias3
  unwire life3
  wait_resolver_gone "$pid" 2
  expect_eq "dns.pid after the last poststop" "$(cat "$STATE_DIR/dns.pid")" ""
  expect_eq "resolvers after the last poststop" "$(resolver_pids)" ""
  expect_exit 0 "the lock on dns.pid is free" flock -n "$STATE_DIR/dns.pid" true
  expect_nothing_left
}

# 8. Refusals: aliases need a profile serving names, and must be labels; a
# refused hook changes nothing and starts no resolver.
case_refusals() {
  write_profile plain '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"hookwire0"}],
    "ipam":{"ipv4":{"subnet":"10.73.0.0/24","gateway":"10.73.0.1"}}}'
  names_profile dnsa hookwire0 71
  new_container
  local pid=$CONTAINER_PID
  mkdir -p "$WORK/rootfs/etc"
  printf '{"ociVersion":"1.0.2","hostname":"web","root":{"path":"rootfs"}}\n' >"$WORK/config.json"
  # plain_state PROFILE ALIASES: a State with these annotations, bundle $WORK.
  ann() { jq -cn --arg p "$1" --arg a "$2" '{"io.hookwire.network": $p, "io.hookwire.aliases": $a}'; }
  state r "$pid" creating "$(ann plain web)" |
    refused "aliases without dns.names" "io.hookwire.aliases" create-runtime
  local bad
  local many
  many=$(seq -s, -f 'a%g' 17)
  for bad in a_b -x x- "" "a,,b" "web,web" "a b" "a.b" "$(printf 'a%.0s' $(seq 64))" "$many" "web," ",web" "wéb"; do
    state r "$pid" creating "$(ann dnsa "$bad")" |
      refused "alias '$bad'" "io.hookwire.aliases" create-runtime
  done
  expect_eq "no resolver after refusals" "$(resolver_pids)" ""
  expect_eq "no pid in dns.pid after refusals" "$(cat "$STATE_DIR/dns.pid" 2>/dev/null)" ""
  # 16 aliases are fine, and so is one written in capitals (served in lowercase).
  state r "$pid" creating "$(ann dnsa "$(seq -s, -f 'a%g' 15),UPPER")" | hook create-runtime ||
    fail "16 aliases were refused"
  wait_answered "$pid" 10.71.0.1 upper
  expect_q "alias a15" "NOERROR aa ra $(ipv4_of "$pid")" "$pid" 10.71.0.1 a15.hookwire
  state r none stopped | hook poststop
  expect_nothing_left
  # Bridges outlive their containers; the refusals below check that none is made.
  ip link del hookwire0

  # Profiles: names need a veth with a pool, and exclude dns.nameservers; a
  # domain must be a lowercase name, and needs names.
  write_profile bad1 '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"hookwire0"}],
    "ipam":{"ipv4":{"subnet":"10.74.0.0/24","gateway":"10.74.0.1"}},"dns":{"names":true,"nameservers":["9.9.9.9"]}}'
  state r "$pid" creating '{"io.hookwire.network":"bad1"}' | refused "names and nameservers" "dns.names" create-runtime
  write_profile bad2 '{"networks":[{"type":"loopback"}],"dns":{"names":true}}'
  state r "$pid" creating '{"io.hookwire.network":"bad2"}' | refused "names without a veth" "dns.names" create-runtime
  write_profile bad3 '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"hookwire0"}],
    "ipam":{"ipv4":{"subnet":"10.74.0.0/24","gateway":"10.74.0.1"}},"dns":{"names":true,"domain":"Bad_Domain"}}'
  state r "$pid" creating '{"io.hookwire.network":"bad3"}' | refused "a bad domain" "dns.domain" create-runtime
  write_profile bad4 '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"hookwire0"}],
    "ipam":{"ipv4":{"subnet":"10.74.0.0/24","gateway":"10.74.0.1"}},"dns":{"domain":"corp"}}'
  state r "$pid" creating '{"io.hookwire.network":"bad4"}' | refused "a domain without names" "dns.domain" create-runtime
  expect_eq "no resolver after the profile refusals" "$(resolver_pids)" ""
}

run_case "$@"
