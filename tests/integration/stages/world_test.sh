#!/usr/bin/env bash
# The world: outbound NAT, published ports and isolation between networks, as
# elements of hookwire's nftables table (inet hookwire), driven by the hook
# binaries and checked with real traffic.
#
# Each case runs in a throwaway "host" netns (lib.sh) with an uplink to a "world"
# netns: host 192.0.2.1/24 (2001:db8::1/64) <-> world 192.0.2.2/24 (2001:db8::2/64),
# the host's default routes via the world, and world addresses 198.51.100.1 and
# 2001:db8:100::1 on the world's lo. The world has no route to any container
# pool: only what the host masquerades ever gets an answer. Servers and clients
# are a small python3 program (tcp and udp, both families) that answers with its
# text and the peer address it sees, so a reply says who served it and which
# source address reached the server.
. "$(dirname "$0")/lib.sh"

for tool in nft conntrack python3 busybox; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "the world tests need $tool: skipped" >&2
    exit 77
  fi
done

SERVERS=()
SERVED=0
# The servers go with the test, even when it fails (before the sleepers: they
# hold netns too).
stop_servers() {
  local server
  for server in "${SERVERS[@]}"; do kill -9 "$server" 2>/dev/null || true; done
}
trap 'stop_servers; cleanup' EXIT

# The interpreter itself, not a wrapper (a pyenv shim costs a second a start).
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
NET_PY=$WORK/net.py
cat >"$NET_PY" <<'PY'
# serve PROTO PORT TEXT [ADDRESS]: answers every connection or datagram with
# "TEXT PEER", on ADDRESS or on every address of both families.
# ask PROTO HOST PORT TIMEOUT [SOURCE [SOURCE_PORT]]: prints the answer; exit 1
# when none comes in time.
import socket, sys, time

def peer(address):
    host = address[0]
    return host[7:] if host.startswith("::ffff:") else host

def kind(proto):
    return socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM

def listener(proto, port, address):
    """A socket bound to ADDRESS, or to every address of both families; and
    whether it reports where each datagram came to (IPV6_RECVPKTINFO)."""
    if address:
        s = socket.socket(socket.getaddrinfo(address, port)[0][0], kind(proto))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
        return s, False
    try:
        s = socket.socket(socket.AF_INET6, kind(proto))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", port))
    except OSError:  # no IPv6 here
        s = socket.socket(socket.AF_INET, kind(proto))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        return s, False
    if proto != "udp":
        return s, False
    # A UDP answer leaves from the address the question came to (the world has
    # several): else NAT would not match it to its flow.
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    return s, True

def serve(proto, port, text, address=None):
    s, pktinfo = listener(proto, port, address)
    if proto == "tcp":
        s.listen(128)
    print("ready", flush=True)
    while True:
        if proto == "tcp":
            conn, address = s.accept()
            try:
                conn.sendall(("%s %s\n" % (text, peer(address))).encode())
            except OSError:
                pass
            conn.close()
        else:
            data, ancillary, _, address = s.recvmsg(4096, socket.CMSG_SPACE(64))
            answer = ("%s %s\n" % (text, peer(address))).encode()
            if pktinfo:
                info = [(level, kind_, data_) for level, kind_, data_ in ancillary
                        if level == socket.IPPROTO_IPV6 and kind_ == socket.IPV6_PKTINFO]
                s.sendmsg([answer], info, 0, address)
            else:
                s.sendto(answer, address)

def ask(proto, host, port, timeout, source="", source_port=0):
    family, _, _, _, address = socket.getaddrinfo(host, port, type=kind(proto))[0]
    s = socket.socket(family, kind(proto))
    deadline = time.monotonic() + timeout
    try:
        if source or source_port:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((source or ("::" if family == socket.AF_INET6 else "0.0.0.0"), source_port))
        if proto == "tcp":
            s.settimeout(timeout)
            s.connect(address)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        else:
            data = b""
            while not data and time.monotonic() < deadline:
                s.sendto(b"hello", address)
                s.settimeout(min(0.3, max(0.01, deadline - time.monotonic())))
                try:
                    data = s.recv(4096)
                except socket.timeout:
                    pass
    except OSError as e:
        print("%s %s:%s: %s" % (proto, host, port, e), file=sys.stderr)
        return 1
    text = data.decode(errors="replace").strip()
    if not text:
        print("%s %s:%s: no answer" % (proto, host, port), file=sys.stderr)
        return 1
    print(text)
    return 0

if sys.argv[1] == "serve":
    serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], *sys.argv[5:6])
else:
    extra = sys.argv[6:8]
    sys.exit(ask(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]),
                 extra[0] if extra else "", int(extra[1]) if len(extra) > 1 else 0))
PY

# in_ns WHERE CMD...: CMD in the host netns (WHERE=host) or in the netns of pid WHERE.
in_ns() {
  local where=$1
  shift
  if [ "$where" = host ]; then "$@"; else in_container "$where" "$@"; fi
}

# serve WHERE PROTO PORT TEXT [ADDRESS]: a server that answers "TEXT PEER", on
# ADDRESS or on every address, ready when this returns; SERVER_PID is its pid (it
# holds the netns it runs in).
serve() {
  SERVED=$((SERVED + 1))
  local out=$WORK/serve.$SERVED
  # A simple command, so that $! is the server itself (nsenter execs it): a
  # function or subshell in between would be killed and leave it running.
  if [ "$1" = host ]; then
    "$PYTHON" -I "$NET_PY" serve "${@:2}" </dev/null >"$out" 2>&1 &
  else
    nsenter --net="/proc/$1/ns/net" -- "$PYTHON" -I "$NET_PY" serve "${@:2}" </dev/null >"$out" 2>&1 &
  fi
  local pid=$!
  SERVERS+=("$pid")
  SERVER_PID=$pid
  disown "$pid"  # no "Killed" job notices at the end
  for _ in $(seq 500); do
    grep -q '^ready' "$out" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  fail "server $4 on $2/$3 did not start: $(cat "$out")"
}

# ask WHERE PROTO HOST PORT [TIMEOUT [SOURCE [SOURCE_PORT]]]: prints the answer,
# fails without one. SOURCE "" is any.
ask() { in_ns "$1" "$PYTHON" -I "$NET_PY" ask "$2" "$3" "$4" "${5:-3}" "${@:6}" 2>>"$WORK/ask.err"; }

# expect_reply WHAT EXPECTED WHERE PROTO HOST PORT [SOURCE [SOURCE_PORT]]: the
# answer is EXPECTED (the server's text, then the peer address it saw when
# EXPECTED names one).
expect_reply() {
  local what=$1 expected=$2 got
  shift 2
  got=$(ask "$1" "$2" "$3" "$4" 3 "${@:5}") || fail "$what: no answer ($*: $(tail -n 1 "$WORK/ask.err"))"
  case "$expected" in
    *" "*) expect_eq "$what" "$got" "$expected" ;;
    *) expect_eq "$what" "${got%% *}" "$expected" ;;
  esac
}

# expect_no_reply WHAT WHERE PROTO HOST PORT [SOURCE [SOURCE_PORT]]: nothing
# answers within a second.
expect_no_reply() {
  local what=$1 got
  shift
  if got=$(ask "$1" "$2" "$3" "$4" 1 "${@:5}"); then fail "$what: answered '$got' ($*)"; fi
  return 0
}

# annotations PROFILE [PORTS]: the annotations JSON (io.hookwire.ports only when given).
annotations() {
  if [ $# -ge 2 ]; then
    jq -cn --arg n "$1" --arg p "$2" '{"io.hookwire.network": $n, "io.hookwire.ports": $p}'
  else
    jq -cn --arg n "$1" '{"io.hookwire.network": $n}'
  fi
}

# wire ID PROFILE [PORTS]: a new container wired by createRuntime; sets CONTAINER_PID.
wire() {
  local id=$1
  shift
  new_container
  state "$id" "$CONTAINER_PID" creating "$(annotations "$@")" | hook create-runtime 2>>"$WORK/hooks.err" ||
    fail "wiring $id: $(tail -n 1 "$WORK/hooks.err")"
}

unwire() { state "$1" none stopped | hook poststop; }

# ipv4_of PID / ipv6_of PID: the container's address on eth0.
ipv4_of() { in_container "$1" ip -j -4 addr show dev eth0 | jq -r '.[0].addr_info[0].local'; }
ipv6_of() {
  in_container "$1" ip -j -6 addr show dev eth0 scope global | jq -r '.[0].addr_info[0].local'
}

# element_count SET: how many elements a set or map of table inet hookwire holds.
element_count() { firewall_elements "$1" | wc -l; }

# expect_firewall_empty WHAT: no per-container element, no host port lease.
expect_firewall_empty() {
  expect_eq "$1: firewall elements" "$(firewall_elements | tr '\n' ' ')" ""
  expect_eq "$1: host port leases" "$(host_port_leases)" ""
}

# make_world [v6]: the uplink and the world netns (WORLD is its pid), with
# counters in the world of what arrives from a container pool unmasqueraded.
make_world() {
  ip link set lo up
  new_container
  WORLD=$CONTAINER_PID
  ip link add uplink type veth peer name wan netns "$WORLD"
  ip addr add 192.0.2.1/24 dev uplink
  ip link set uplink up
  in_container "$WORLD" sh -ec 'ip link set lo up; ip addr add 192.0.2.2/24 dev wan; ip link set wan up
    ip addr add 198.51.100.1/32 dev lo'
  ip route add default via 192.0.2.2
  if [ "${1:-}" = v6 ]; then
    ip addr add 2001:db8::1/64 dev uplink nodad
    in_container "$WORLD" sh -ec 'ip addr add 2001:db8::2/64 dev wan nodad; ip addr add 2001:db8:100::1/128 dev lo'
    ip -6 route add default via 2001:db8::2
  fi
  in_container "$WORLD" nft -f - <<'NFT'
table inet seen {
  counter private4 {}
  counter private6 {}
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr 10.0.0.0/8 counter name private4
    ip6 saddr fc00::/7 counter name private6
  }
}
NFT
}

# unmasqueraded 4|6: packets the world received from a container pool's address.
unmasqueraded() {
  in_container "$WORLD" nft -j list counter inet seen "private$1" | jq '.nftables[] | .counter.packets // empty'
}

# The profiles. web: NAT, ports 8000-9999, IPv4. plain: neither.
web_profile() {
  write_profile web '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"br-web"}],
    "ipam":{"ipv4":{"subnet":"10.77.0.0/24","gateway":"10.77.0.1"}},
    "nat":{"outbound":true},"ports":{"ranges":["8000-9999"]}}'
}
plain_profile() {
  write_profile plain '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"br-plain"}],
    "ipam":{"ipv4":{"subnet":"10.78.0.0/24","gateway":"10.78.0.1"}}}'
}
# dual: both families, NAT44 and NAT66 (a ULA pool), ports.
dual_profile() {
  write_profile dual '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"br-dual"}],
    "ipam":{"ipv4":{"subnet":"10.79.0.0/24","gateway":"10.79.0.1"},
            "ipv6":{"subnet":"fd00:79::/64","gateway":"fd00:79::1"}},
    "nat":{"outbound":true,"ipv6":true},"ports":{"ranges":["8000-9999"]}}'
}

# 1. A NAT container reaches the world as the host's uplink address; a container
# of a profile without NAT reaches it with its own address, and gets no answer.
case_outbound_nat() {
  make_world
  web_profile
  plain_profile
  serve "$WORLD" tcp 7000 world
  wire out web
  local nat=$CONTAINER_PID
  in_container "$nat" busybox ping -c 1 -W 2 198.51.100.1 >/dev/null || fail "ping from a NAT container"
  expect_reply "TCP from a NAT container, as the world sees it" "world 192.0.2.1" "$nat" tcp 198.51.100.1 7000
  expect_eq "packets that reached the world unmasqueraded" "$(unmasqueraded 4)" 0
  expect_eq "NAT switched on forwarding" "$(cat /proc/sys/net/ipv4/ip_forward)" 1
  # A source address no record gives the container is not masqueraded, nor
  # forwarded at all.
  in_container "$nat" ip addr add 10.77.0.200/32 dev eth0
  expect_no_reply "TCP from a forged source" "$nat" tcp 198.51.100.1 7000 10.77.0.200
  expect_eq "forged packets that reached the world" "$(unmasqueraded 4)" 0
  in_container "$nat" ip addr del 10.77.0.200/32 dev eth0
  wire closed plain
  local plain=$CONTAINER_PID
  if in_container "$plain" busybox ping -c 1 -W 1 198.51.100.1 >/dev/null 2>&1; then
    fail "ping from a container without NAT got an answer"
  fi
  expect_no_reply "TCP from a container without NAT" "$plain" tcp 198.51.100.1 7000
  # Not a routing or forwarding failure: its packets did reach the world, with
  # the container's own source address.
  [ "$(unmasqueraded 4)" -gt 0 ] || fail "the container without NAT never reached the world"
  expect_eq "nat4 holds the NAT container only" "$(firewall_elements nat4)" "nat4 \"$(ipv4_of "$nat")\""
  unwire out
  unwire closed
  expect_nothing_left
}

# 2. Published ports, reached from the world, from the host on 127.0.0.1 and on
# its uplink address, from a neighbour on the same bridge and from the container
# itself through the host's address (hairpin); UDP, a range, and a port
# published on one host address only.
case_published_ports() {
  make_world
  web_profile
  wire pub web "8080:80,8053:53/udp,9000-9002:7000-7002,127.0.0.1:8081:81"
  local pub=$CONTAINER_PID addr
  addr=$(ipv4_of "$pub")
  serve "$pub" tcp 80 pub-80
  serve "$pub" udp 53 pub-53
  serve "$pub" tcp 81 pub-81
  local i
  for i in 0 1 2; do serve "$pub" tcp $((7000 + i)) "pub-700$i"; done
  wire neighbour web
  local neighbour=$CONTAINER_PID

  # From outside the source address is kept: the server sees the world's.
  expect_reply "from the world" "pub-80 192.0.2.2" "$WORLD" tcp 192.0.2.1 8080
  expect_reply "from the host on 127.0.0.1" pub-80 host tcp 127.0.0.1 8080
  expect_reply "from the host on its uplink address" pub-80 host tcp 192.0.2.1 8080
  expect_reply "from the host on the bridge's address" pub-80 host tcp 10.77.0.1 8080
  expect_reply "from a neighbour via 192.0.2.1 (hairpin)" pub-80 "$neighbour" tcp 192.0.2.1 8080
  expect_reply "from a neighbour via its gateway" pub-80 "$neighbour" tcp 10.77.0.1 8080
  expect_reply "from the container itself via 192.0.2.1" pub-80 "$pub" tcp 192.0.2.1 8080
  expect_reply "UDP from the world" "pub-53 192.0.2.2" "$WORLD" udp 192.0.2.1 8053
  expect_reply "UDP from the host" pub-53 host udp 127.0.0.1 8053
  expect_reply "UDP from a neighbour (hairpin)" pub-53 "$neighbour" udp 192.0.2.1 8053
  for i in 0 1 2; do
    expect_reply "range, port $((9000 + i)), from the world" "pub-700$i" "$WORLD" tcp 192.0.2.1 $((9000 + i))
  done
  expect_no_reply "a port after the range" "$WORLD" tcp 192.0.2.1 9003
  expect_no_reply "8053 is UDP only" "$WORLD" tcp 192.0.2.1 8053
  expect_no_reply "8080 is TCP only" "$WORLD" udp 192.0.2.1 8080
  expect_reply "127.0.0.1:8081 from the host" pub-81 host tcp 127.0.0.1 8081
  expect_no_reply "127.0.0.1:8081 is not on 192.0.2.1 (host)" host tcp 192.0.2.1 8081
  expect_no_reply "127.0.0.1:8081 is not on 192.0.2.1 (world)" "$WORLD" tcp 192.0.2.1 8081
  expect_no_reply "an unpublished port" "$WORLD" tcp 192.0.2.1 8082
  # The elements say the same.
  expect_eq "ports4" "$(firewall_elements ports4)" \
    "ports4 [{\"concat\":[\"127.0.0.1\",\"tcp\",8081]},{\"concat\":[\"$addr\",81]}]"
  expect_eq "wild4 elements" "$(element_count wild4)" 5
  expect_eq "host port leases" "$(host_port_leases)" \
    "tcp-8080->pub tcp-8081->pub tcp-9000->pub tcp-9001->pub tcp-9002->pub udp-8053->pub "
  "$HOOKWIRE" check pub --state-dir "$STATE_DIR" || fail "check pub"

  unwire pub
  expect_no_reply "8080 after poststop" "$WORLD" tcp 192.0.2.1 8080
  expect_no_reply "127.0.0.1:8081 after poststop" host tcp 127.0.0.1 8081
  unwire neighbour
  expect_nothing_left
}

# 3. IPv6: NAT66 for a ULA pool, a port published on [::] reached from the world
# over IPv6, and a profile without nat.ipv6 whose IPv6 is not masqueraded.
case_ipv6_nat_and_ports() {
  make_world v6
  dual_profile
  write_profile v4nat '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"br-v4nat"}],
    "ipam":{"ipv4":{"subnet":"10.80.0.0/24","gateway":"10.80.0.1"},
            "ipv6":{"subnet":"fd00:80::/64","gateway":"fd00:80::1"}},
    "nat":{"outbound":true}}'
  serve "$WORLD" tcp 7000 world
  wire six dual "[::]:8086:80,8087:80"
  local six=$CONTAINER_PID
  serve "$six" tcp 80 six-80
  expect_eq "IPv6 forwarding" "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" 1
  in_container "$six" busybox ping -6 -c 1 -W 2 2001:db8:100::1 >/dev/null || fail "ping6 from a NAT66 container"
  expect_reply "TCP over IPv6 from a NAT66 container" "world 2001:db8::1" "$six" tcp 2001:db8:100::1 7000
  expect_reply "TCP over IPv4 from the same container" "world 192.0.2.1" "$six" tcp 198.51.100.1 7000
  expect_eq "unmasqueraded IPv6 packets" "$(unmasqueraded 6)" 0
  expect_reply "[::]:8086 from the world over IPv6" "six-80 2001:db8::2" "$WORLD" tcp 2001:db8::1 8086
  expect_reply "[::]:8086 from the host over IPv6" six-80 host tcp 2001:db8::1 8086
  expect_no_reply "[::]:8086 is not published on IPv4" "$WORLD" tcp 192.0.2.1 8086
  expect_reply "8087 (every address) from the world over IPv6" "six-80 2001:db8::2" "$WORLD" tcp 2001:db8::1 8087
  expect_reply "8087 (every address) from the world over IPv4" "six-80 192.0.2.2" "$WORLD" tcp 192.0.2.1 8087
  # The host's own [::1] is never forwarded: a host service there keeps its port.
  serve host tcp 8087 host-local ::1
  expect_reply "[::1]:8087 on the host" host-local host tcp ::1 8087
  expect_eq "wild6" "$(firewall_elements wild6 | wc -l)" 2
  expect_eq "wild4" "$(firewall_elements wild4 | wc -l)" 1
  expect_eq "nat6" "$(firewall_elements nat6)" "nat6 \"$(ipv6_of "$six")\""

  wire four v4nat
  local four=$CONTAINER_PID
  expect_reply "IPv4 of a profile without nat.ipv6" "world 192.0.2.1" "$four" tcp 198.51.100.1 7000
  expect_no_reply "IPv6 of a profile without nat.ipv6" "$four" tcp 2001:db8:100::1 7000
  [ "$(unmasqueraded 6)" -gt 0 ] || fail "the IPv6 of a profile without nat.ipv6 never reached the world"
  unwire six
  unwire four
  expect_no_reply "[::]:8086 after poststop" "$WORLD" tcp 2001:db8::1 8086
  expect_nothing_left
}

# isolation_profiles A B: networks a (br-isoa, 10.81.0.0/24) and b (br-isob,
# 10.82.0.0/24), both NAT, with "isolate" true, false, or "default" (no key).
isolation_profiles() {
  local which isolate subnet
  for which in a b; do
    if [ "$which" = a ]; then isolate=$1 subnet=10.81.0; else isolate=$2 subnet=10.82.0; fi
    jq -n --arg bridge "br-iso$which" --arg subnet "$subnet.0/24" --arg gateway "$subnet.1" --arg isolate "$isolate" '
      {networks: [{type: "loopback"}, {type: "veth", name: "eth0", bridge: $bridge}],
       ipam: {ipv4: {subnet: $subnet, gateway: $gateway}},
       nat: {outbound: true}, ports: {ranges: ["8000-8999"]}}
      + (if $isolate == "default" then {} else {isolate: ($isolate == "true")} end)' >"$WORK/profile.json"
    write_profile "iso$which" "$(cat "$WORK/profile.json")"
  done
}

# wire_isolation_set SUFFIX [B-PORTS]: a1, a2 on network a and b1 on network b,
# each serving tcp/80; sets A1, A2, B1 (pids) and A1_IP, A2_IP, B1_IP.
wire_isolation_set() {
  wire "a1$1" isoa
  A1=$CONTAINER_PID
  wire "a2$1" isoa
  A2=$CONTAINER_PID
  wire "b1$1" isob "${@:2}"
  B1=$CONTAINER_PID
  A1_IP=$(ipv4_of "$A1")
  A2_IP=$(ipv4_of "$A2")
  B1_IP=$(ipv4_of "$B1")
  serve "$A1" tcp 80 a1
  serve "$A2" tcp 80 a2
  serve "$B1" tcp 80 b1
}

unwire_isolation_set() { unwire "a1$1"; unwire "a2$1"; unwire "b1$1"; }

# 4. Isolation: two networks cannot reach each other's containers, in either
# direction, unless both say "isolate": false; within a network nothing changes;
# a published port stays reachable through the host's address.
case_isolation_between_networks() {
  ip link set lo up
  isolation_profiles default default
  wire_isolation_set "" 8080:80
  expect_eq "forwarding is on (NAT)" "$(cat /proc/sys/net/ipv4/ip_forward)" 1
  expect_no_reply "A reaches B" "$A1" tcp "$B1_IP" 80
  expect_no_reply "B reaches A" "$B1" tcp "$A1_IP" 80
  expect_reply "within A, a1 to a2" "a2 $A1_IP" "$A1" tcp "$A2_IP" 80
  expect_reply "within A, a2 to a1" "a1 $A2_IP" "$A2" tcp "$A1_IP" 80
  expect_reply "A reaches B's published port through the host" b1 "$A1" tcp 10.81.0.1 8080
  expect_reply "A reaches B's published port through B's gateway address" b1 "$A1" tcp 10.82.0.1 8080
  expect_eq "isolated4" "$(element_count isolated4)" 3
  unwire_isolation_set ""

  isolation_profiles false false
  wire_isolation_set 2
  expect_reply "not isolated: A reaches B" "b1 $A1_IP" "$A1" tcp "$B1_IP" 80
  expect_reply "not isolated: B reaches A" "a1 $B1_IP" "$B1" tcp "$A1_IP" 80
  expect_reply "not isolated: within A" "a2 $A1_IP" "$A1" tcp "$A2_IP" 80
  expect_eq "isolated4" "$(element_count isolated4)" 0
  unwire_isolation_set 2

  # One side isolated is enough to keep the two apart, both ways.
  isolation_profiles false true
  wire_isolation_set 3
  expect_no_reply "A (open) reaches isolated B" "$A1" tcp "$B1_IP" 80
  expect_no_reply "isolated B reaches A (open)" "$B1" tcp "$A1_IP" 80
  expect_reply "within A" "a2 $A1_IP" "$A1" tcp "$A2_IP" 80
  unwire_isolation_set 3

  # An isolated container that takes an address no record gives it (one of its
  # own pool's, not isolated) does not get through to an open network either.
  isolation_profiles true false
  wire_isolation_set 4 8080:80
  expect_no_reply "isolated A reaches open B" "$A1" tcp "$B1_IP" 80
  in_container "$A1" ip addr add 10.81.0.201/32 dev eth0
  # The forgery works as such: the host answers it.
  serve host tcp 7100 host
  expect_reply "a forged source reaches the host" "host 10.81.0.201" "$A1" tcp 10.81.0.1 7100 10.81.0.201
  expect_no_reply "isolated A, from a forged source, reaches open B" "$A1" tcp "$B1_IP" 80 10.81.0.201
  expect_no_reply "isolated A, from a forged source, reaches open B's published port" \
    "$A1" tcp 10.81.0.1 8080 10.81.0.201
  unwire_isolation_set 4
  expect_nothing_left
}

# snapshot: what a refused hook must leave as it was: links, state files (but
# dot files, directories and the firewall lock), and the table's elements.
snapshot() {
  ip -o link show | cut -d' ' -f2 | sort
  find "$STATE_DIR" -mindepth 1 -not -type d -not -name '.*' -not -name firewall.lock -printf '%P %l\n' 2>/dev/null |
    sort
  nft list table inet hookwire 2>/dev/null || true
}

# refused_ports WHAT EXPECTED PROFILE [PORTS]: container "late" (REFUSED_PID)
# asking for PORTS is refused with exit 2 and one line holding EXPECTED, and
# nothing at all changed.
refused_ports() {
  local what=$1 expected=$2 before code=0 err=$WORK/refused.err
  shift 2
  before=$(snapshot)
  state late "$REFUSED_PID" creating "$(annotations "$@")" | hook create-runtime 2>"$err" >/dev/null || code=$?
  [ "$code" = 2 ] || fail "$what: exit $code, expected 2 (stderr: $(head -c 500 "$err"))"
  [ "$(wc -l <"$err")" = 1 ] || fail "$what: stderr is not one line: $(head -c 500 "$err")"
  [ "$(wc -c <"$err")" -le 1024 ] || fail "$what: stderr is $(wc -c <"$err") bytes long"
  grep -qF -- "$expected" "$err" || fail "$what: stderr '$(head -c 500 "$err")' lacks '$expected'"
  local after
  after=$(snapshot)
  [ "$after" = "$before" ] || fail "$what: something changed: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
  [ ! -e "$STATE_DIR/ledger/late.json" ] || fail "$what: a record of the refused container"
  [ "$(in_container "$REFUSED_PID" ip -o link show | cut -d' ' -f2)" = "lo:" ] ||
    fail "$what: the refused container got a link: $(in_container "$REFUSED_PID" ip -o link show)"
}

# 5. Refusals: a held host port (naming its holder), a port outside the ranges,
# a profile that publishes nothing, more than max, a host address the host does
# not have or the profile does not allow. Exit 2, one line, nothing changed.
case_port_refusals() {
  make_world v6
  write_profile web '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"br-web"}],
    "ipam":{"ipv4":{"subnet":"10.77.0.0/24","gateway":"10.77.0.1"}},
    "nat":{"outbound":true},"ports":{"ranges":["8000-8999"],"max":4}}'
  write_profile other '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"br-other"}],
    "ipam":{"ipv4":{"subnet":"10.76.0.0/24","gateway":"10.76.0.1"}},"ports":{"ranges":["8000-8999"]}}'
  write_profile pinned '{"networks":[{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"br-web"}],
    "ipam":{"ipv4":{"subnet":"10.77.0.0/24","gateway":"10.77.0.1"}},
    "ports":{"ranges":["8000-8999"],"addresses":["192.0.2.1"]}}'
  dual_profile
  plain_profile
  wire holder web "8080:80,8081:81/udp"
  new_container
  REFUSED_PID=$CONTAINER_PID

  refused_ports "a held host port" "host port 8080/tcp is held by container \"holder\"" web 8080:80
  refused_ports "a held host port, second entry" "host port 8081/udp is held by container \"holder\"" \
    web "8090:80,8081:81/udp"
  refused_ports "a held host port, in a range" "host port 8081/udp is held by container \"holder\"" \
    web "8079-8082:79-82/udp"
  # From another profile: its bridge is never made.
  refused_ports "a held host port, another profile" "host port 8080/tcp is held by container \"holder\"" other 8080:80
  expect_eq "br-other" "$(ip -j link show | jq '[.[] | select(.ifname == "br-other")] | length')" 0
  refused_ports "outside the ranges" "host port 9000 is outside the ranges profile web allows" web 9000:80
  refused_ports "outside the ranges, in a range" "host port 9000 is outside the ranges profile web allows" \
    web 8998-9000:8998-9000
  refused_ports "below the ranges" "host port 80 is outside the ranges" web 80:80
  refused_ports "a profile without ports" "profile plain publishes no ports" plain 8090:80
  refused_ports "more than max" "5 host ports, profile web allows 4" web 8090-8094:90-94
  refused_ports "more than max, over entries" "5 host ports, profile web allows 4" web "8090-8092:90-92,8093-8094:93-94/udp"
  refused_ports "not a host address" "203.0.113.9 is not an address of this host" web 203.0.113.9:8090:80
  refused_ports "not a host address, IPv6" "2001:db8::99 is not an address of this host" dual "[2001:db8::99]:8090:80"
  refused_ports "an address the profile does not allow" "does not allow host address 127.0.0.1" pinned 127.0.0.1:8090:80
  refused_ports "every address, the profile names one" "does not allow every host IPv4 address" pinned 8090:80
  refused_ports "IPv6 for an IPv4-only profile" "gives its containers no IPv6 address" web "[::]:8090:80"
  refused_ports "[::1]" "::1 cannot be forwarded to a container" dual "[::1]:8090:80"

  # Not a conflict: the same number for the other protocol, and a port once
  # its holder is gone.
  wire udp web 8080:80/udp
  unwire udp
  unwire holder
  wire again web 8080:80
  expect_eq "the port's new holder" "$(readlink "$STATE_DIR/ports/tcp-8080")" again
  unwire again
  expect_nothing_left
}

# 5b. Hostile annotations: refused by the parser whatever the profile allows,
# with exit 2, one line, and nothing changed beside a container holding ports.
case_hostile_port_annotations() {
  ip link set lo up
  web_profile
  wire holder web "8080:80,8081:81/udp"
  new_container
  REFUSED_PID=$CONTAINER_PID
  local long
  long=$(printf '8%.0s' $(seq 5000))
  local -a hostile=(
    "0:80|host port 0 is not a port"
    "8090:0|container port 0 is not a port"
    "65536:80|host port is above 65535"
    "8090:65536|container port is above 65535"
    "99999999999999999999:80|host port is above 65535"
    "9009-9000:9009-9000|host range 9009-9000 is reversed"
    "9000-9001:80|the host range has 2 ports, the container range 1"
    "8090:80/icmp|unknown protocol"
    "8090:80/TCP|unknown protocol"
    "8090:80/|empty protocol"
    "8090:80/udp/tcp|unknown protocol"
    "8090:80,8090:81|duplicate host port 8090/tcp"
    "8090-8092:90-92/udp,8091:91/udp|duplicate host port 8091/udp"
    "0.0.0.0:8090:80,127.0.0.1:8090:81|duplicate host port 8090/tcp"
    "|empty entry"
    "8090:80,|empty entry"
    ",8090:80|empty entry"
    "8090|expected [HOST_ADDRESS:]HOST_PORT:CONTAINER_PORT"
    "8090:80:70|host address is not an IPv4 address"
    "-1:80|host port has a sign"
    "+8090:80|host port has a sign"
    "08090:80|host port has a leading zero"
    "0x1f9a:80|host port is not a decimal number"
    "8090-:80|missing host port"
    ":80|missing host port"
    "8090:80 |spaces are not allowed"
    $'8090:80\n8091:81|spaces are not allowed'
    "::1:8090:80|an IPv6 host address goes in brackets"
    "[::1:8090:80|'[' without ']'"
    "[127.0.0.1]:8090:80|brackets are only for an IPv6 host address"
    "1.2.3.4.5:8090:80|the host address is not an IPv4 address"
    "localhost:8090:80|the host address is not an IPv4 address"
    "$long|longer than 4096 bytes"
  )
  local many="" i
  for i in $(seq 8100 8164); do many+="${many:+,}$i:80"; done
  hostile+=("$many|more than 64 entries" "1-2000:1-2000|more than 1024 ports in all")
  local entry
  for entry in "${hostile[@]}"; do
    refused_ports "hostile $(printf '%q' "${entry%|*}" | head -c 60)" "${entry##*|}" web "${entry%|*}"
    # The message quotes the value: one line even when it holds a newline.
  done
  # A NUL byte, through JSON's escape.
  local before code=0
  before=$(snapshot)
  state late "$REFUSED_PID" creating '{"io.hookwire.network":"web","io.hookwire.ports":"8090:80/udp\u0000tcp"}' |
    hook create-runtime 2>"$WORK/nul.err" >/dev/null || code=$?
  expect_eq "a NUL byte: exit" "$code" 2
  expect_eq "a NUL byte: one line" "$(wc -l <"$WORK/nul.err")" 1
  expect_eq "a NUL byte: nothing changed" "$(snapshot)" "$before"
  unwire holder
  expect_nothing_left
}

# 6. Repair: a flushed ruleset is reported by check and rebuilt by reload; a
# missing or extra element is reported, and the extra one deleted by gc; after a
# flush, the next createRuntime restores the older containers' elements too.
case_repair_after_a_flush() {
  make_world
  web_profile
  wire old web 8080:80
  local old=$CONTAINER_PID addr
  addr=$(ipv4_of "$old")
  serve "$old" tcp 80 old-80
  expect_reply "before the flush" old-80 "$WORLD" tcp 192.0.2.1 8080
  "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check" || fail "check before the flush: $(cat "$WORK/check")"

  nft flush ruleset
  expect_no_reply "after the flush" "$WORLD" tcp 192.0.2.1 8080
  expect_exit 1 "check old after the flush" "$HOOKWIRE" check old --state-dir "$STATE_DIR" >"$WORK/check"
  grep -q "^old: nftables table inet hookwire is missing" "$WORK/check" || fail "check old: $(cat "$WORK/check")"
  expect_exit 1 "check after the flush" "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check"
  grep -q "^old: " "$WORK/check" || fail "check: $(cat "$WORK/check")"
  # Another table of the host, which reload must leave alone.
  nft -f - <<'NFT'
table ip theirs {
  chain input { type filter hook input priority 10; policy accept; counter; }
}
NFT
  "$HOOKWIRE" reload --state-dir "$STATE_DIR" >"$WORK/reload" || fail "reload"
  expect_eq "reload says" "$(cat "$WORK/reload")" "rebuilt table inet hookwire: 1 container(s)"
  "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check" || fail "check after reload: $(cat "$WORK/check")"
  expect_reply "after reload" "old-80 192.0.2.2" "$WORLD" tcp 192.0.2.1 8080
  nft list table ip theirs >/dev/null 2>&1 || fail "reload touched another table"

  # One element missing: named by check.
  nft delete element inet hookwire wild4 '{ tcp . 8080 }'
  expect_exit 1 "check old, one element gone" "$HOOKWIRE" check old --state-dir "$STATE_DIR" >"$WORK/check"
  expect_eq "check old, one element gone" "$(cat "$WORK/check")" \
    "old: firewall element wild4 tcp . 8080 : $addr . 80 is missing"
  expect_no_reply "with its element gone" "$WORLD" tcp 192.0.2.1 8080
  "$HOOKWIRE" reload --state-dir "$STATE_DIR" >/dev/null
  "$HOOKWIRE" check old --state-dir "$STATE_DIR" || fail "check old after the second reload"

  # An element no record holds: listed by check, deleted by gc.
  nft add element inet hookwire nat4 '{ 10.77.0.200 }'
  nft add element inet hookwire wild4 '{ tcp . 8099 : 10.77.0.200 . 80 }'
  "$HOOKWIRE" check old --state-dir "$STATE_DIR" || fail "check old is about old alone"
  expect_exit 1 "check with extra elements" "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check"
  grep -q "^extra firewall element nat4 10.77.0.200$" "$WORK/check" || fail "check: $(cat "$WORK/check")"
  grep -q "^extra firewall element wild4 tcp . 8099 : 10.77.0.200 . 80$" "$WORK/check" ||
    fail "check: $(cat "$WORK/check")"
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  grep -q "^removed firewall element nat4 10.77.0.200 (no record)$" "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  grep -q "^removed firewall element wild4 tcp . 8099 : 10.77.0.200 . 80 (no record)$" "$WORK/gc" ||
    fail "gc: $(cat "$WORK/gc")"
  "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check" || fail "check after gc: $(cat "$WORK/check")"
  expect_reply "gc kept old's elements" old-80 "$WORLD" tcp 192.0.2.1 8080

  # A flush, then the next container: it recreates the table with old's elements.
  nft flush ruleset
  wire new web 8090:80
  local new=$CONTAINER_PID
  serve "$new" tcp 80 new-80
  "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check" || fail "check after the next hook: $(cat "$WORK/check")"
  expect_reply "old's port after the next hook" old-80 "$WORLD" tcp 192.0.2.1 8080
  expect_reply "new's port" new-80 "$WORLD" tcp 192.0.2.1 8090
  expect_eq "nat4 after the next hook" "$(element_count nat4)" 2
  unwire old
  unwire new
  # With the table gone, poststop still succeeds.
  wire last web 8080:80
  nft flush ruleset
  unwire last
  expect_nothing_left
}

# 7. Teardown: poststop deletes every element of the container and releases its
# host ports, twice is fine; a SIGKILLed container is cleaned up by gc.
case_teardown_leaves_no_element() {
  make_world v6
  dual_profile
  wire full dual "8080:80,8053:53/udp,127.0.0.1:8081:81,[2001:db8::1]:8082:82"
  wire killed dual "8090:80,[2001:db8::1]:8091:81"
  local killed=$CONTAINER_PID
  local set
  for set in members4 members6 nat4 nat6 isolated4 isolated6 ports4 ports6 wild4 wild6; do
    [ "$(element_count "$set")" -gt 0 ] || fail "no element in $set before the teardown"
  done
  expect_eq "host ports before" "$(find "$STATE_DIR/ports" -mindepth 1 -not -name '.*' | wc -l)" 6
  local killed4 killed6
  killed4=$(ipv4_of "$killed")
  killed6=$(ipv6_of "$killed")

  unwire full
  unwire full  # twice is fine
  # What is left is the killed container's, and all of it.
  expect_eq "members4 after full's poststop" "$(firewall_elements members4)" \
    "members4 {\"concat\":[\"$killed4\",\"br-dual\"]}"
  expect_eq "members6 after full's poststop" "$(firewall_elements members6)" \
    "members6 {\"concat\":[\"$killed6\",\"br-dual\"]}"
  # members, nat and isolated of both families, wild4 and wild6 8090, ports6 8091.
  expect_eq "elements after full's poststop" "$(firewall_elements | wc -l)" 9
  expect_eq "host ports after full's poststop" "$(host_port_leases)" "tcp-8090->killed tcp-8091->killed "
  "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check" || fail "check: $(cat "$WORK/check")"

  kill_container "$killed"
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  grep -q "^released killed: " "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  expect_firewall_empty "after gc"
  expect_nothing_left
  "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check" || fail "check after gc: $(cat "$WORK/check")"
  state killed none stopped | hook poststop  # the runtime's late poststop
  # The table's skeleton stays, and @bridges with it.
  nft list table inet hookwire >/dev/null || fail "the table went"
}

# table_shape: the number of tables named hookwire, of sets and maps, of rules,
# and of rules in chain postrouting.
table_shape() {
  local tables
  tables=$(nft -j list tables | jq '[.nftables[] | select(.table.name == "hookwire")] | length')
  nft -j list table inet hookwire |
    jq -r --arg t "$tables" '"tables \($t), sets \([.nftables[] | select(.set or .map)] | length), rules \([.nftables[] | select(.rule)] | length), postrouting \([.nftables[] | select(.rule.chain == "postrouting")] | length)"'
}

# concurrent_create PREFIX N: N createRuntime hooks started at once, each with a
# host port of its own; all must succeed.
concurrent_create() {
  local prefix=$1 n=$2 i
  local -a pids=() jobs=()
  for i in $(seq "$n"); do
    new_container
    pids+=("$CONTAINER_PID")
  done
  for i in $(seq "$n"); do
    state "$prefix$i" "${pids[i - 1]}" creating "$(annotations web "$((8100 + i)):80")" >"$WORK/state.$i"
  done
  for i in $(seq "$n"); do
    hook create-runtime <"$WORK/state.$i" >/dev/null 2>"$WORK/err.$i" &
    jobs+=($!)
  done
  for i in $(seq "$n"); do
    wait "${jobs[i - 1]}" || fail "$prefix$i: createRuntime failed: $(cat "$WORK/err.$i")"
  done
}

# 8. Concurrency: hooks racing to create the missing table load the skeleton
# once, and every container's elements are there; poststops race too; and hooks
# racing with reload lose nothing.
case_concurrent_first_hooks() {
  ip link set lo up
  web_profile
  local reference round
  expect_eq "no table before" "$(nft -j list tables | jq '[.nftables[] | select(.table)] | length')" 0
  for round in 1 2 3; do
    concurrent_create "r$round-" 8
    local shape
    shape=$(table_shape)
    "$HOOKWIRE" reload --state-dir "$STATE_DIR" >/dev/null
    reference=$(table_shape)
    expect_eq "round $round: the table after racing hooks, against a reloaded one" "$shape" "$reference"
    expect_eq "round $round: one table" "${shape%%,*}" "tables 1"
    expect_eq "round $round: members4" "$(element_count members4)" 8
    expect_eq "round $round: wild4" "$(element_count wild4)" 8
    expect_eq "round $round: nat4" "$(element_count nat4)" 8
    "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check" || fail "round $round: check: $(cat "$WORK/check")"
    local -a jobs=()
    local i
    for i in $(seq 8); do
      state "r$round-$i" none stopped | hook poststop &
      jobs+=($!)
    done
    for i in $(seq 8); do wait "${jobs[i - 1]}" || fail "round $round: poststop $i failed"; done
    expect_firewall_empty "round $round after the poststops"
    # The next round starts without a table again.
    nft delete table inet hookwire
  done

  # Hooks racing with reload in a loop.
  ( while [ ! -e "$WORK/stop" ]; do "$HOOKWIRE" reload --state-dir "$STATE_DIR" >/dev/null 2>&1 || true; done ) &
  RELOADS=$!
  trap 'touch "$WORK/stop"; kill "$RELOADS" 2>/dev/null || true; stop_servers; cleanup' EXIT
  concurrent_create reload- 8
  touch "$WORK/stop"
  wait "$RELOADS"
  "$HOOKWIRE" check --state-dir "$STATE_DIR" >"$WORK/check" || fail "check after racing reloads: $(cat "$WORK/check")"
  expect_eq "one table after racing reloads" "$(table_shape)" "$reference"
  for i in $(seq 8); do unwire "reload-$i"; done
  expect_nothing_left
}

# conntrack_of PATTERN: conntrack entries (host netns) matching an extended regex.
conntrack_of() { conntrack -L 2>/dev/null | grep -E -- "$1" || true; }

# 9. Conntrack: poststop deletes the flows of the container's address and of its
# host ports, and only those.
case_conntrack_forgotten() {
  make_world
  web_profile
  serve "$WORLD" udp 7053 world-53
  wire bystander web
  local bystander=$CONTAINER_PID other
  other=$(ipv4_of "$bystander")
  # A client of the world that kept sending to a port before it was published:
  # its un-NATed flow must not shadow the port once it is (CNI plugins#123).
  expect_no_reply "UDP to 8053 before it is published" "$WORLD" udp 192.0.2.1 8053 "" 40053
  [ -n "$(conntrack_of "dport=8053 .*UNREPLIED")" ] || fail "no un-NATed flow to 8053: $(conntrack -L 2>&1)"
  wire ct web 8053:53/udp
  local ct=$CONTAINER_PID addr
  addr=$(ipv4_of "$ct")
  serve "$ct" udp 53 ct-53
  expect_reply "the same flow once 8053 is published" "ct-53 192.0.2.2" "$WORLD" udp 192.0.2.1 8053 "" 40053
  expect_reply "inbound UDP to the published port" "ct-53 192.0.2.2" "$WORLD" udp 192.0.2.1 8053
  expect_reply "outbound UDP from the container" "world-53 192.0.2.1" "$ct" udp 198.51.100.1 7053
  expect_reply "outbound UDP from a bystander" "world-53 192.0.2.1" "$bystander" udp 198.51.100.1 7053
  local by_address="(src|dst)=$addr( |$)" by_port="(sport|dport)=8053( |$)" of_bystander="(src|dst)=$other( |$)"
  [ -n "$(conntrack_of "$by_port")" ] || fail "no conntrack entry of host port 8053: $(conntrack -L 2>&1)"
  [ "$(conntrack_of "$by_address" | wc -l)" -ge 2 ] ||
    fail "fewer than two conntrack entries of $addr: $(conntrack -L 2>&1)"
  [ -n "$(conntrack_of "$of_bystander")" ] || fail "no conntrack entry of the bystander"
  unwire ct
  expect_eq "entries of $addr after poststop" "$(conntrack_of "$by_address")" ""
  expect_eq "entries of host port 8053 after poststop" "$(conntrack_of "$by_port")" ""
  [ -n "$(conntrack_of "$of_bystander")" ] || fail "poststop deleted the bystander's flow"
  # A port and address released by gc: the same.
  wire ct2 web 8054:53/udp
  local ct2=$CONTAINER_PID
  addr=$(ipv4_of "$ct2")
  serve "$ct2" udp 53 ct2-53
  local ct2_server=$SERVER_PID
  expect_reply "inbound UDP to ct2" "ct2-53 192.0.2.2" "$WORLD" udp 192.0.2.1 8054
  by_address="(src|dst)=$addr( |$)"
  [ -n "$(conntrack_of "$by_address")" ] || fail "no conntrack entry of ct2"
  kill -9 "$ct2_server"  # it holds the netns too
  kill_container "$ct2"
  "$HOOKWIRE" gc --state-dir "$STATE_DIR" >"$WORK/gc"
  grep -q "^released ct2: " "$WORK/gc" || fail "gc: $(cat "$WORK/gc")"
  expect_eq "entries of ct2 after gc" "$(conntrack_of "$by_address")" ""
  expect_eq "entries of host port 8054 after gc" "$(conntrack_of "(sport|dport)=8054( |$)")" ""
  unwire bystander
  expect_nothing_left
}

# 6b. A UDP client of the world that sends to a published port while the
# ruleset is flushed starts a flow of its own; once the table is back (reload,
# or the next hook's rebuild), that same flow reaches the container. (With no
# nat chain left, the kernel sets up no NAT binding for it, so nothing shadows
# the port: this holds without any conntrack work.)
case_udp_flow_begun_while_flushed() {
  make_world
  web_profile
  wire u web 8053:53/udp
  serve "$CONTAINER_PID" udp 53 u-53
  expect_reply "before the flush" "u-53 192.0.2.2" "$WORLD" udp 192.0.2.1 8053 "" 40053
  nft flush ruleset
  expect_no_reply "a new flow while flushed" "$WORLD" udp 192.0.2.1 8053 "" 40054
  "$HOOKWIRE" reload --state-dir "$STATE_DIR" >/dev/null
  expect_reply "that flow after reload" "u-53 192.0.2.2" "$WORLD" udp 192.0.2.1 8053 "" 40054
  nft flush ruleset
  expect_no_reply "a new flow while flushed again" "$WORLD" udp 192.0.2.1 8053 "" 40055
  wire next web
  expect_reply "that flow after the next hook's rebuild" "u-53 192.0.2.2" "$WORLD" udp 192.0.2.1 8053 "" 40055
  unwire u
  unwire next
  expect_nothing_left
}

# When `hookwire reload` restores a container's missing port element, it forgets
# the un-NATed flows that began while it was missing: with the table there but
# the element gone, the nat chain gives such a flow a null binding, and
# conntrack would keep it un-NATed for as long as the client keeps sending
# (CNI plugins#123, which wire() handles for a port published anew).
case_reload_forgets_flows_that_shadow_a_restored_port() {
  make_world
  web_profile
  wire u web 8053:53/udp
  serve "$CONTAINER_PID" udp 53 u-53
  nft delete element inet hookwire wild4 '{ udp . 8053 }'
  expect_exit 1 "check with the element gone" "$HOOKWIRE" check u --state-dir "$STATE_DIR" >/dev/null
  expect_no_reply "a flow while the element is gone" "$WORLD" udp 192.0.2.1 8053 "" 40053
  [ -n "$(conntrack_of "dport=8053 .*UNREPLIED")" ] || fail "no un-NATed flow to 8053: $(conntrack -L 2>&1)"
  "$HOOKWIRE" reload --state-dir "$STATE_DIR" >/dev/null
  "$HOOKWIRE" check u --state-dir "$STATE_DIR" >/dev/null || fail "check after reload"
  expect_reply "that flow after reload" "u-53 192.0.2.2" "$WORLD" udp 192.0.2.1 8053 "" 40053
  unwire u
  expect_nothing_left
}
# `nft flush table inet hookwire` (or of one of its chains) empties the chains
# but keeps the sets and their elements: check counts the rules and says so, and
# the next hook, which counts them too, rebuilds the table.
case_a_table_flushed_of_its_rules_is_seen() {
  make_world
  web_profile
  wire f web 8080:80
  serve "$CONTAINER_PID" tcp 80 f-80
  expect_reply "before" f-80 "$WORLD" tcp 192.0.2.1 8080
  nft flush table inet hookwire
  expect_no_reply "flushed" "$WORLD" tcp 192.0.2.1 8080
  expect_exit 1 "check of a table without rules" "$HOOKWIRE" check --state-dir "$STATE_DIR" >/dev/null
  wire next web
  expect_reply "after the next hook" f-80 "$WORLD" tcp 192.0.2.1 8080
  unwire f
  unwire next
  expect_nothing_left
}

run_case "$@"
