#!/usr/bin/python3
"""The names benchmark: hookwire-dns against aardvark-dns 1.4 (netavark's resolver),
side by side in one run. bench/run.sh starts it in a fresh network and mount
namespace of its own; it refuses to run in the host's.

Three throwaway network namespaces besides its own ("H", hookwire's host):
  W  the "world": a stub upstream resolver (this file, --stub) on 198.18.0.53,
     reached over a veth from H and from A alike; /etc/resolv.conf is
     bind-mounted (in this mount namespace only) to name it, for both resolvers;
  A  netavark's host: netavark 1.4 with dns_enabled, which starts aardvark-dns
     on its bridge's gateway, 10.89.0.1, as hookwire-dns serves H's.
Both networks are 10.89.0.0/16 with gateway 10.89.0.1; the clients (this
process, dnsperf) send from 10.89.255.254, an address inside the pool on `lo`.

1. Setup: an anchor container on each side (hookwire's first hook starts
   hookwire-dns; netavark's first setup starts aardvark-dns), then NAMES
   containers wired by the real hooks, and the same names and addresses in
   aardvark's config (the file netavark keeps), reloaded with SIGHUP as netavark
   does. Every name is asked of both and the answers compared. Nothing is pinned
   to a CPU but in parts 3 and 6 (servers on CPU 1, dnsperf on CPU 0). Every session of the
   run (the clients', and each server's: both daemonize with setsid) gets
   autogroup nice -20, so that other work on a shared machine weighs less.
2. Latency, unpinned: sequential UDP queries from this process, one round trip
   each (send .. recv, CLOCK_MONOTONIC), the two servers interleaved query by
   query in a shuffled order: local names (A, random among NAMES), and forwarded
   names (a unique name each, so no cache answers; the stub answers). With local
   names, a control in the same loop: the stub asked directly (the machine's floor
   for a UDP round trip to a trivial server).
3. Throughput: dnsperf (UDP, -T 1, pinned to CPU 0) with a query file of
   "NAME A" over all NAMES names; a few -c/-q settings first (one run each),
   then RUNS runs of the chosen one, interleaved; the server's CPU use during
   each run (from /proc/PID/stat) says who was saturated.
4. Memory: VmRSS (and RssAnon, RssFile, VmHWM) of each server with NAMES names.
5. Freshness: TRIALS containers per side, interleaved, each wired onto a network
   already holding NAMES names: from the return of hookwire-create-runtime (or
   of `netavark setup`), a query for the new name at once and again every 1 ms,
   from a socket already open, until an answer carries its address; whether
   the very first query got it, and the time to the first that did. Before the
   wire, a known name's round trip (the moment's floor); after its poststop (or
   teardown) returns, one more query: is the name still answered?
6. Full mode: a short `perf record` of each server under the chosen dnsperf
   load (not counted), for where the time goes.
"""

import argparse
import ctypes
import gc
import ipaddress
import json
import os
import random
import re
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no bench/__pycache__ in the tree
import bench as B  # noqa: E402

MODES = {
    "quick": {"names": 200, "local": 1000, "forward": 500, "explore": False, "runs": 2, "seconds": 2,
              "trials": 20, "perf": False},
    "full": {"names": 1000, "local": 10000, "forward": 5000, "explore": True, "runs": 7, "seconds": 5,
             "trials": 200, "perf": True},
}
NETAVARK = "/usr/lib/podman/netavark"
AARDVARK = "/usr/lib/podman/aardvark-dns"
SUBNET, GATEWAY, CLIENT = "10.89.0.0/16", "10.89.0.1", "10.89.255.254"
NETWORK = "names"  # hookwire's profile and netavark's network
HW_BRIDGE, NV_BRIDGE = "hwdns0", "nvdns0"
STUB = "198.18.0.53"  # the upstream, in W
FORWARD_DOMAIN = "fwd.bench.example"  # what the stub answers (A 192.0.2.1); NXDOMAIN otherwise
FORWARD_ANSWER = "192.0.2.1"
NV_ANCHOR_IP = "10.89.200.1"
NV_FRESH_NET = "10.89.201.0"  # netavark's freshness containers: 10.89.201.1 ...
CPU_CLIENT, CPU_SERVER = 0, 1
# dnsperf settings tried (clients, outstanding queries); the first is the default.
DNSPERF_SETTINGS = [(4, 100), (1, 10), (1, 50), (10, 200)]
CLONE_NEWNET = 0x40000000
PR_SET_CHILD_SUBREAPER = 36
TICKS = os.sysconf("SC_CLK_TCK")
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


# ---------------------------------------------------------------------------
# DNS messages, by hand (the bench must not share code with what it measures).


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def make_query(qid, name, qtype=1):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack("!HH", qtype, 1)


def skip_name(msg, at):
    while True:
        n = msg[at]
        if n & 0xC0 == 0xC0:
            return at + 2
        if n == 0:
            return at + 1
        at += n + 1


def parse_reply(msg):
    """(id, rcode, [IPv4 answers as text]); None for a message too short or broken."""
    try:
        qid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
        at = 12
        for _ in range(qd):
            at = skip_name(msg, at) + 4
        addresses = []
        for _ in range(an):
            at = skip_name(msg, at)
            rtype, _, _, size = struct.unpack("!HHIH", msg[at:at + 10])
            at += 10
            if rtype == 1 and size == 4:
                addresses.append(socket.inet_ntoa(msg[at:at + 4]))
            at += size
        return qid, flags & 0x0F, addresses
    except (struct.error, IndexError):
        return None


def stub_main(address):
    """The upstream both resolvers forward to: A 192.0.2.1 (TTL 0) for every name
    under FORWARD_DOMAIN, NXDOMAIN for any other, over UDP. Blocking, one at a time:
    the latency test asks one question at a time."""
    B.LIBC.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG: it goes with the benchmark
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    answer_rdata = socket.inet_aton(FORWARD_ANSWER)
    suffix = ("." + FORWARD_DOMAIN).encode()
    while True:
        data, peer = sock.recvfrom(4096)
        if len(data) < 17 or data[2] & 0x80:
            continue
        try:
            end = skip_name(data, 12)
            qtype = struct.unpack("!H", data[end:end + 2])[0]
            labels, at = [], 12
            while data[at]:
                labels.append(data[at + 1:at + 1 + data[at]])
                at += data[at] + 1
        except (IndexError, struct.error):
            continue
        name = b".".join(labels).lower()
        ours = name.endswith(suffix)
        flags = 0x8000 | (data[2] << 8 & 0x0100) | 0x0080 | (0 if ours else 3)
        answer = b""
        if ours and qtype == 1:
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + answer_rdata
        reply = data[:2] + struct.pack("!HHHHH", flags, 1, 1 if answer else 0, 0, 0) + data[12:end + 4] + answer
        sock.sendto(reply, peer)


# ---------------------------------------------------------------------------
# Namespaces, processes, /proc.


def sh(argv, netns=None, check=True):
    if netns:
        argv = ["nsenter", "--net=" + netns, "--"] + argv
    out = subprocess.run(argv, capture_output=True, text=True, env=B.ENV)
    if check and out.returncode != 0:
        B.die("%s: %s" % (" ".join(argv), out.stderr.strip()))
    return out


def socket_in(netns, timeout=1.0):
    """A UDP socket in netns (None: this one), from CLIENT, connected to GATEWAY:53."""
    own = target = None
    if netns:
        own = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open(netns, os.O_RDONLY)
        B.libc_check(B.LIBC.setns(target, CLONE_NEWNET), "setns " + netns)
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((CLIENT, 0))
        sock.connect((GATEWAY, 53))
        sock.settimeout(timeout)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    finally:
        if own is not None:
            B.libc_check(B.LIBC.setns(own, CLONE_NEWNET), "setns back")
            os.close(own)
            os.close(target)
    return sock


def drain(sock):
    while select.select([sock], [], [], 0)[0]:
        try:
            sock.recv(4096)
        except ConnectionRefusedError:
            continue
        except OSError:
            return


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, value = line.partition(":")
                out[key] = value.strip()
    except OSError:
        return None
    return out


def kib(status, key):
    return int(status.get(key, "0 kB").split()[0]) if status else 0


def cpu_ticks(pid):
    """utime + stime of the whole process (all its threads), in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def exe_of(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return ""


def pin(pid, cpu):
    sh(["taskset", "-a", "-p", "-c", str(cpu), str(pid)])


def shield(pid="self"):
    """nice -20 for pid's autogroup (its session): with sched_autogroup on, a task's
    own nice counts only inside its session, and both resolvers run in sessions of
    their own (setsid). The same for both sides and for the clients' session; best
    effort. True when it took."""
    try:
        with open("/proc/%s/autogroup" % pid, "w") as f:
            f.write("-20")
        return True
    except OSError:
        return False


def read_pid(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def run_timed(argv, stdin_path, stderr_path, env=None):
    """posix_spawn .. wait4, as bench.py times the hooks; (rc, start ns, return ns)."""
    fds, actions = B.spawn(argv, stdin_path, env or B.ENV, os.devnull, stderr_path)
    t0 = time.monotonic_ns()
    pid = os.posix_spawn(argv[0], argv, env or B.ENV, file_actions=actions)
    _, status, _ = os.wait4(pid, 0)
    t1 = time.monotonic_ns()
    for fd in fds:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), t0, t1


def err_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().strip()[-400:]
    except OSError:
        return ""


def version(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                          text=True).stdout.strip()


def percentile(sorted_values, p):
    """Nearest rank."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


# ---------------------------------------------------------------------------
# The two sides.


class HookwireSide:
    label = "hookwire-dns"
    short = "hookwire"

    def __init__(self, work, build):
        self.work = work
        hooks = os.path.join(build, "hooks")
        self.create = os.path.join(hooks, "hookwire-create-runtime")
        self.poststop = os.path.join(hooks, "hookwire-poststop")
        self.daemon_exe = os.path.realpath(os.path.join(hooks, "hookwire-dns"))
        self.state_dir = work.path("state")
        self.args = ["--state-dir", self.state_dir, "--config-dir", work.config_dir]
        self.netns = None  # this process's own
        self.containers = {}
        self.pid = None
        profile = {"networks": [{"type": "loopback"}, {"type": "veth", "name": "eth0", "bridge": HW_BRIDGE}],
                   "ipam": {"ipv4": {"subnet": SUBNET, "gateway": GATEWAY}}, "dns": {"names": True}}
        path = work.file(os.path.join("networks", NETWORK + ".json"), json.dumps(profile))
        os.chmod(path, 0o644)

    def state(self, cid, pid, status):
        state = {"ociVersion": "1.0.2", "id": cid, "status": status}
        if pid:
            state["pid"] = pid
        state.update({"bundle": self.work.bundle, "annotations": {"io.hookwire.network": NETWORK}})
        return self.work.file("%s.%s" % (cid, status), json.dumps(state, separators=(",", ":")))

    def prepare(self, cid):
        c = B.Container(self.work, cid)
        c.state_wire = self.state(cid, c.pid, "creating")
        c.state_stop = self.state(cid, None, "stopped")
        c.host_links = [B.hookwire_link_name(cid)]
        return c

    def wire(self, c):
        rc, t0, t1 = run_timed([self.create] + self.args, c.state_wire, self.work.stderr)
        if rc == 0:
            self.containers[c.id] = c
        return rc, t0, t1

    def unwire(self, c):
        """Its usual case: the container is gone, then poststop."""
        c.destroy()
        B.wait_links_gone(c.host_links)
        rc, t0, t1 = run_timed([self.poststop] + self.args, c.state_stop, self.work.stderr)
        self.containers.pop(c.id, None)
        return rc, t0, t1

    def address(self, cid):
        with open(os.path.join(self.state_dir, "ledger", cid + ".json")) as f:
            return json.load(f)["addresses"][0]["cidr"].split("/")[0]

    def find_daemon(self):
        pid = read_pid(os.path.join(self.state_dir, "dns.pid"))
        if pid and os.path.realpath(exe_of(pid)) == self.daemon_exe:
            self.pid = pid
        return self.pid

    def stop(self):
        """Cleanup: the daemon the hooks started for this state dir, if still there."""
        pid = self.pid or read_pid(os.path.join(self.state_dir, "dns.pid"))
        if pid and os.path.realpath(exe_of(pid)) == self.daemon_exe:
            os.kill(pid, signal.SIGTERM)
        if pid:
            reap(pid)


class NetavarkSide:
    label = "aardvark-dns"
    short = "aardvark"

    def __init__(self, work, a_ns):
        self.work = work
        self.netns = a_ns  # A, where netavark and aardvark-dns live
        self.config = work.path("netavark")
        os.mkdir(self.config)
        self.aardvark_dir = os.path.join(self.config, "aardvark-dns")
        self.containers = {}
        self.pid = None
        self.next_fresh = 1

    def options(self, cid, address):
        return self.work.file(cid + ".netavark", json.dumps({
            "container_id": cid, "container_name": cid, "port_mappings": [],
            # aliases [NAME] as well as the name made netavark write NAME twice (NAME,NAME),
            # and aardvark answer its address twice: the name alone, as podman's own.
            "networks": {NETWORK: {"static_ips": [address], "interface_name": "eth0", "aliases": []}},
            "network_info": {NETWORK: {
                "name": NETWORK, "id": "6e616d6573" + "0" * 54, "driver": "bridge",
                "network_interface": NV_BRIDGE, "subnets": [{"subnet": SUBNET, "gateway": GATEWAY}],
                "ipv6_enabled": False, "internal": False, "dns_enabled": True,
                "ipam_options": {"driver": "host-local"}}}}))

    def prepare(self, cid, address=None):
        if address is None:
            base = int(ipaddress.IPv4Address(NV_FRESH_NET))
            address = str(ipaddress.IPv4Address(base + self.next_fresh))
            self.next_fresh = self.next_fresh % 4000 + 1
        c = B.Container(self.work, cid, bind=True)
        c.address = address
        c.options = self.options(cid, address)
        return c

    def argv(self, verb, c):
        return ["/usr/bin/nsenter", "--net=" + self.netns, "--", NETAVARK, "--config", self.config,
                "--aardvark-binary", AARDVARK, verb, c.netns_path]

    def wire(self, c):
        rc, t0, t1 = run_timed(self.argv("setup", c), c.options, self.work.stderr)
        if rc == 0:
            self.containers[c.id] = c
        return rc, t0, t1

    def unwire(self, c):
        """netavark needs the netns: teardown, then the container goes."""
        rc, t0, t1 = run_timed(self.argv("teardown", c), c.options, self.work.stderr)
        c.destroy()
        self.containers.pop(c.id, None)
        return rc, t0, t1

    def address(self, cid):
        return self.containers[cid].address

    def find_daemon(self):
        pid = read_pid(os.path.join(self.aardvark_dir, "aardvark.pid"))
        if pid and exe_of(pid) == AARDVARK:
            self.pid = pid
        return self.pid

    def stop(self):
        pid = self.pid or read_pid(os.path.join(self.aardvark_dir, "aardvark.pid"))
        if not pid or exe_of(pid) != AARDVARK:
            return
        try:
            with open("/proc/%d/cmdline" % pid) as f:
                mine = self.aardvark_dir in f.read()
        except OSError:
            mine = False
        if mine:
            os.kill(pid, signal.SIGTERM)
            reap(pid)


def reap(pid, timeout=5.0):
    """Waits for pid to end; reaps it when it is our child (we are a subreaper)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return True
        except ChildProcessError:
            if not alive(pid):
                return True
        if not alive(pid):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            return True
        time.sleep(0.005)
    return False


# ---------------------------------------------------------------------------
# The measurements.


def ask(sock, name, timeout=1.0):
    """One question; (rcode, addresses) or None on timeout."""
    qid = random.randrange(65536)
    try:
        sock.send(make_query(qid, name))
    except ConnectionRefusedError:  # an ICMP port unreachable of an earlier query
        sock.send(make_query(qid, name))
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        try:
            r = parse_reply(sock.recv(4096))
        except ConnectionRefusedError:
            return "refused", []  # nothing listens: port unreachable
        if r and r[0] == qid:
            return r[1], r[2]


def verify(sides, socks, names, expected, report):
    """Every name asked of both; the answers compared with the addresses given."""
    wrong = {s.short: 0 for s in sides}
    for name in names:
        for s in sides:
            deadline = time.monotonic() + 3.0
            while True:
                r = ask(socks[s.short], name)
                if r and r[0] == 0 and r[1] == [expected[name]]:
                    break
                if time.monotonic() > deadline:
                    wrong[s.short] += 1
                    if wrong[s.short] <= 3:
                        print("  verify: %s %s -> %s (want %s)" % (s.short, name, r, expected[name]),
                              file=sys.stderr)
                    break
                time.sleep(0.01)
    return wrong


class Control:
    """The machine's floor for one UDP question and answer: the stub upstream asked
    directly, from this netns over the veth to W (a one-line Python server)."""

    short = "control"
    label = "control: the stub, asked directly"


def latency(sides, socks, names, count, forward, rng):
    """Sequential round trips, the sides interleaved query by query, shuffled. The
    control asks the stub a name under FORWARD_DOMAIN."""
    samples = {s.short: [] for s in sides}
    failures = {s.short: 0 for s in sides}
    order = list(sides)
    warmup = 200
    plan = []
    for i in range(count + warmup):
        rng.shuffle(order)
        for s in order:
            if forward or s.short == Control.short:
                name = "q%06d-%s-%d.%s" % (i, s.short, forward, FORWARD_DOMAIN)
            else:
                name = rng.choice(names)
            plan.append((s.short, i >= warmup, random.randrange(65536), name))
    queries = [(short, keep, qid, make_query(qid, name)) for short, keep, qid, name in plan]
    for short, keep, qid, q in queries:
        want = FORWARD_ANSWER if forward or short == Control.short else None
        sock = socks[short]
        t0 = time.monotonic_ns()
        sock.send(q)
        ok = False
        while True:
            try:
                data = sock.recv(4096)
            except (socket.timeout, ConnectionRefusedError):
                break
            if data[:2] == q[:2]:
                ok = True
                break
        t1 = time.monotonic_ns()
        if not keep:
            continue
        r = parse_reply(data) if ok else None
        if not r or r[1] != 0 or not r[2] or (want and r[2][0] != want):
            failures[short] += 1
            continue
        samples[short].append((t1 - t0) / 1e3)  # us
    return samples, failures


def dnsperf(side, query_file, clients, outstanding, seconds, out_path):
    """One dnsperf run against side's server; its figures and the CPU both used."""
    netns = side.netns or "/proc/%d/ns/net" % os.getpid()
    argv = ["/usr/bin/taskset", "-c", str(CPU_CLIENT), "/usr/bin/nsenter", "--net=" + netns, "--",
            "/usr/bin/dnsperf", "-s", GATEWAY, "-a", CLIENT, "-d", query_file, "-l", str(seconds),
            "-c", str(clients), "-q", str(outstanding), "-T", "1", "-t", "1"]
    fds, actions = B.spawn(argv, os.devnull, B.ENV, out_path, out_path + ".err")
    ticks0 = cpu_ticks(side.pid)
    t0 = time.monotonic_ns()
    pid = os.posix_spawn(argv[0], argv, B.ENV, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    t1 = time.monotonic_ns()
    ticks1 = cpu_ticks(side.pid)
    for fd in fds:
        os.close(fd)
    wall = (t1 - t0) / 1e9
    result = {"rc": os.waitstatus_to_exitcode(status), "server_cpu": (ticks1 - ticks0) / TICKS / seconds,
              "client_cpu": (usage.ru_utime + usage.ru_stime) / wall, "argv": argv}
    with open(out_path) as f:
        for line in f:
            key, _, value = line.strip().partition(":")
            value = value.split()
            if key == "Queries per second":
                result["qps"] = float(value[0])
            elif key == "Queries sent":
                result["sent"] = int(value[0])
            elif key == "Queries lost":
                result["lost"] = int(value[0])
            elif key == "Average Latency (s)":
                result["avg_latency_ms"] = float(value[0]) * 1e3
            elif key == "Response codes":
                result["rcodes"] = " ".join(value)
    if "qps" not in result:
        B.die("dnsperf against %s failed (exit %d): %s" % (side.short, result["rc"], err_text(out_path + ".err")))
    return result


def probe_fresh(sock, name, network, t_return, limit_ns=5_000_000_000):
    """From t_return: a query at once, then one every 1 ms, until an answer carries
    an address in `network`. (first query answered with it, ns to that answer,
    queries sent, the address, port unreachable replies), or (False, None, sent, None,
    refused) after limit_ns."""
    sent = {}
    refused = [0]
    first_ok = None
    next_send = t_return
    while True:
        now = time.monotonic_ns()
        if now >= next_send:
            qid = random.randrange(65536)
            while qid in sent:
                qid = random.randrange(65536)
            try:
                sock.send(make_query(qid, name))
            except ConnectionRefusedError:  # the last one met a closed port; this one goes
                sock.send(make_query(qid, name))
            sent[qid] = len(sent)
            next_send = now + 1_000_000
        if now - t_return > limit_ns:
            return bool(first_ok), None, len(sent), None, refused[0]
        wait = max(0, next_send - time.monotonic_ns()) / 1e9
        if not select.select([sock], [], [], wait)[0]:
            continue
        t = time.monotonic_ns()
        try:
            r = parse_reply(sock.recv(4096))
        except ConnectionRefusedError:  # port unreachable: nothing listened then
            refused[0] += 1
            continue
        if not r or r[0] not in sent:
            continue
        good = r[1] == 0 and any(ipaddress.IPv4Address(a) in network for a in r[2])
        if sent[r[0]] == 0:
            first_ok = good
        if good:
            return bool(first_ok), t - t_return, len(sent), r[2][0], refused[0]


def rtt(sock, name):
    """One round trip for a known name, in ms (None: no answer with an address)."""
    t0 = time.monotonic_ns()
    r = ask(sock, name)
    t1 = time.monotonic_ns()
    return (t1 - t0) / 1e6 if r and r[0] == 0 and r[1] else None


def freshness(sides, socks, trials, rng, report, known):
    network = ipaddress.IPv4Network(SUBNET)
    out = {s.short: {"ms": [], "first": 0, "answered": 0, "queries": [], "wrong_address": 0, "stale_after_unwire": 0,
                     "failures": 0, "wire_ms": [], "unwire_ms": [], "refused": 0, "rtt_before": []}
           for s in sides}
    order = list(sides)
    for i in range(trials):
        rng.shuffle(order)
        for s in order:
            o = out[s.short]
            cid = "f%s%04d" % (s.short[0], i)
            c = s.prepare(cid)
            sock = socks[s.short]
            drain(sock)
            # The round trip of a known name just before: this moment's floor.
            before = rtt(sock, known)
            if before is not None:
                o["rtt_before"].append(before)
            rc, t0, t1 = s.wire(c)
            if rc != 0:
                o["failures"] += 1
                print("  freshness: %s wire %s failed: %s" % (s.short, cid, err_text(s.work.stderr)), file=sys.stderr)
                c.destroy()
                continue
            first, ns, queries, address, refused = probe_fresh(sock, cid, network, t1)
            o["refused"] += refused
            o["wire_ms"].append((t1 - t0) / 1e6)
            o["queries"].append(queries)
            if ns is not None:
                o["answered"] += 1
                o["ms"].append(ns / 1e6)
                if address != s.address(cid):
                    o["wrong_address"] += 1
            if first:
                o["first"] += 1
            drain(sock)
            rc, t0, t1 = s.unwire(c)
            o["unwire_ms"].append((t1 - t0) / 1e6)
            if rc != 0:
                o["failures"] += 1
                print("  freshness: %s unwire %s failed: %s" % (s.short, cid, err_text(s.work.stderr)),
                      file=sys.stderr)
            r = ask(sock, cid)
            if r and r[0] == 0 and r[1]:
                o["stale_after_unwire"] += 1
    return out


def smaps(pid):
    """Rss and Pss (KiB) by mapping: file name, [heap], [stack], or "anon"; and the totals."""
    by = {}
    name = "?"
    total = {"Rss": 0, "Pss": 0}
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                fields = line.split()
                if not fields:
                    continue
                if not fields[0].endswith(":") or "-" in fields[0]:
                    name = fields[5] if len(fields) > 5 else "anon"
                    continue
                key = fields[0][:-1]
                if key in total:
                    value = int(fields[1])
                    total[key] += value
                    by.setdefault(name, {"Rss": 0, "Pss": 0})[key] += value
    except OSError:
        pass
    return total, by


def memory(side):
    status = proc_status(side.pid)
    total, by = smaps(side.pid)
    top = sorted(by.items(), key=lambda kv: -kv[1]["Rss"])[:8]
    return {"pid": side.pid, "vmrss_kib": kib(status, "VmRSS"), "vmhwm_kib": kib(status, "VmHWM"),
            "rss_anon_kib": kib(status, "RssAnon"), "rss_file_kib": kib(status, "RssFile"),
            "pss_kib": total["Pss"], "threads": int(status.get("Threads", "0")) if status else 0,
            "top_mappings_kib": [(os.path.basename(n), v["Rss"], v["Pss"]) for n, v in top]}


def perf_profile(side, query_file, setting, seconds, scratch, results):
    """perf record of the server while dnsperf loads it (not counted); the reports."""
    data = os.path.join(scratch, "dns-perf-%s.data" % side.short)
    rec = subprocess.Popen(["perf", "record", "-F", "1999", "-g", "-p", str(side.pid), "-o", data, "--",
                            "sleep", str(seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.2)
    r = dnsperf(side, query_file, setting[0], setting[1], seconds - 1, os.path.join(scratch, "dns-perf.dnsperf"))
    rec.wait()
    text = ["# perf record -F 1999 -g -p PID (%s) during dnsperf -c %d -q %d: %.0f qps" %
            (side.label, setting[0], setting[1], r["qps"])]
    dsos = []
    for extra, sort in ((["--no-children"], "dso"), (["--no-children"], "dso,symbol"), (["--children"], "symbol")):
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "-g", "none", "--percent-limit", "0.7",
                              "--sort", sort] + extra, capture_output=True, text=True)
        text.append("\n## %s --sort %s\n" % (extra[0], sort))
        lines = [re.sub(r"(\s+-){2}\s*$", "", line).rstrip()[:160] for line in rep.stdout.splitlines()
                 if line.strip() and not line.startswith("#")]
        text.extend(lines[:60])
        if sort == "dso":
            dsos = [(line.split()[1], line.split()[0]) for line in lines[:5]]
    with open(os.path.join(results, "dns-perf-%s.txt" % side.short), "w") as f:
        f.write("\n".join(text) + "\n")
    os.unlink(data)
    return r["qps"], dsos


# ---------------------------------------------------------------------------


def fmt_us(values):
    s = sorted(values)
    if not s:
        return "(no samples)"
    return "%8.1f  %8.1f  %8.1f  %8.1f  %6d" % (percentile(s, 50), percentile(s, 99), s[0], s[-1], len(s))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build")
    parser.add_argument("--mode", choices=MODES, default="full")
    parser.add_argument("--results")
    parser.add_argument("--stub", metavar="ADDRESS", help=argparse.SUPPRESS)  # internal: be the upstream
    parser.add_argument("--hold", type=float, metavar="SECONDS",
                        help="after the setup, print where things are and wait (until the file it names is "
                             "removed, or SECONDS), for profiling by hand; then clean up")
    opts = parser.parse_args()
    if opts.stub:
        return stub_main(opts.stub)
    if not opts.build or not opts.results:
        parser.error("--build and --results are required")
    # A fresh netns has only lo; in a mount namespace made with --propagation private
    # no mount is shared with another namespace (mountinfo's optional "shared:N").
    fresh_net = [name for _, name in socket.if_nameindex()] == ["lo"]
    with open("/proc/self/mountinfo") as f:
        private = not any("shared:" in line.split(" - ")[0] for line in f)
    try:  # and, when the parent's is readable, not the parent's mount namespace
        private = private and os.stat("/proc/self/ns/mnt").st_ino != os.stat(
            "/proc/%d/ns/mnt" % os.getppid()).st_ino
    except OSError:
        pass
    if not fresh_net or not private:
        B.die("dns.py: run me in a fresh network and mount namespace: bench/run.sh --dns-only, or "
              "unshare -n -m --propagation private -- bench/dns.py ...")
    cfg = MODES[opts.mode]
    started = time.monotonic()
    os.makedirs(opts.results, exist_ok=True)
    if os.cpu_count() < 2:
        global CPU_SERVER
        CPU_SERVER = 0
    try:
        os.nice(-20)
    except OSError:
        pass
    # Orphans (the resolvers the hooks and netavark start) become our children.
    B.libc_check(B.LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")
    B.HOLDER = os.path.join(opts.build, "bench", "hookwire-bench-netns-holder")
    rng = random.Random(53)
    report = B.Report(opts.mode)
    info = B.machine()
    for p in ("netavark", "aardvark-dns", "dnsperf", "libldns3", "libboost-program-options1.74.0", "linux-perf"):
        info[p] = version(p)
    info["hookwire_dns"] = subprocess.run([os.path.join(opts.build, "hooks", "hookwire-dns"), "--version"],
                                          capture_output=True, text=True).stdout.strip()
    info["commit"] = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "describe", "--always",
                                     "--dirty"], capture_output=True, text=True).stdout.strip()
    report.data["machine"] = info
    work = B.Work()
    resolv_mounted = False
    stub = None
    hook = nv = None
    try:
        # --- namespaces: H (ours), W (the world, with the stub), A (netavark's host)
        sh(["ip", "link", "set", "lo", "up"])
        sh(["ip", "addr", "add", CLIENT + "/32", "dev", "lo"])
        world = B.Container(work, "world")
        host_a = B.Container(work, "nvhost")
        wns, ans = "/proc/%d/ns/net" % world.pid, "/proc/%d/ns/net" % host_a.pid
        sh(["ip", "link", "set", "lo", "up"], wns)
        sh(["ip", "addr", "add", STUB + "/32", "dev", "lo"], wns)
        sh(["ip", "link", "set", "lo", "up"], ans)
        sh(["ip", "addr", "add", CLIENT + "/32", "dev", "lo"], ans)
        for k, ns in ((1, None), (2, ans)):
            ours, theirs = "hwdnsw%d" % k, "up%d" % k
            sh(["ip", "link", "add", ours, "type", "veth", "peer", "name", theirs, "netns", wns], ns)
            sh(["ip", "addr", "add", "198.18.%d.1/30" % k, "dev", ours], ns)
            sh(["ip", "link", "set", ours, "up"], ns)
            sh(["ip", "route", "add", STUB + "/32", "via", "198.18.%d.2" % k], ns)
            sh(["ip", "addr", "add", "198.18.%d.2/30" % k, "dev", theirs], wns)
            sh(["ip", "link", "set", theirs, "up"], wns)
        stub = subprocess.Popen(["/usr/bin/nsenter", "--net=" + wns, "--", sys.executable, os.path.abspath(__file__),
                                 "--stub", STUB], env=B.ENV)
        # Both resolvers read /etc/resolv.conf: here (this mount namespace only) it names the stub.
        resolv = work.file("resolv.conf", "nameserver %s\n" % STUB)
        B.libc_check(B.LIBC.mount(resolv.encode(), b"/etc/resolv.conf", None, B.MS_BIND, None),
                     "bind-mount resolv.conf")
        resolv_mounted = True

        hook = HookwireSide(work, opts.build)
        nv = NetavarkSide(work, ans)
        sides = [hook, nv]

        report.out("hookwire names benchmarks, %s mode: %d CPUs, %s, kernel %s, load %s; %s" %
                   (opts.mode, info["nproc"], info["cpu"], info["kernel"], " ".join(info["loadavg_start"]),
                    info["commit"]))
        report.out("%s (ldns %s) against aardvark-dns %s started by netavark %s; dnsperf %s" %
                   (info["hookwire_dns"], info["libldns3"], info["aardvark-dns"], info["netavark"], info["dnsperf"]))
        report.out("IPv4 %s, gateway %s:53 UDP, clients from %s; upstream stub %s in a world netns; "
                   "for throughput, servers pinned to CPU %d and dnsperf to CPU %d" % (SUBNET, GATEWAY, CLIENT, STUB,
                                                                                    CPU_SERVER, CPU_CLIENT))

        # --- 1. setup: anchors, then NAMES names on each side.
        t_phase = time.monotonic()
        shielded = {"clients": shield()}
        for s, c in ((hook, hook.prepare("anchor")), (nv, nv.prepare("anchor", NV_ANCHOR_IP))):
            rc, _, _ = s.wire(c)
            if rc != 0:
                B.die("anchor of %s failed: %s" % (s.short, err_text(work.stderr)))
            for _ in range(400):
                if s.find_daemon():
                    break
                time.sleep(0.005)
            if not s.pid:
                B.die("%s did not start" % s.label)
            shielded[s.short] = shield(s.pid)
        first_pids = {s.short: s.pid for s in sides}
        names = ["c%04d" % i for i in range(1, cfg["names"] + 1)]
        wire_ms = []
        gc.disable()
        for name in names:
            c = hook.prepare(name)
            rc, t0, t1 = hook.wire(c)
            if rc != 0:
                B.die("wiring %s failed: %s" % (name, err_text(work.stderr)))
            wire_ms.append((t1 - t0) / 1e6)
        gc.enable()
        expected = {name: hook.address(name) for name in names}
        # The same names and addresses in the file netavark keeps for aardvark-dns
        # (network name; line 1 the gateway; then "ID IPV4 IPV6 NAMES"), then the
        # SIGHUP netavark itself sends after a change.
        with open(os.path.join(nv.aardvark_dir, NETWORK), "a") as f:
            for name in names:
                f.write("%s %s  %s\n" % (name, expected[name], name))
        os.kill(nv.pid, signal.SIGHUP)
        socks = {hook.short: socket_in(None), nv.short: socket_in(ans)}
        wrong = verify(sides, socks, names, expected, report)
        for s in sides:
            if not s.find_daemon():
                B.die("%s is gone after setup" % s.label)
        report.out()
        report.out("1. setup: %d names per side (+ 1 anchor)" % len(names))
        report.out("  hookwire-create-runtime, %d containers with names: median %.2f ms (%.2f … %.2f)" %
                   (len(names), statistics.median(wire_ms), min(wire_ms), max(wire_ms)))
        report.out("  every name asked of both: wrong or missing answers: hookwire-dns %d, aardvark-dns %d" %
                   (wrong[hook.short], wrong[nv.short]))
        report.out("  autogroup nice -20 (sched_autogroup: the sessions of the clients and of each server): %s" %
                   ", ".join("%s %s" % (k, "yes" if v else "no") for k, v in shielded.items()))
        report.data["autogroup_nice_-20"] = shielded
        report.data["setup"] = {"names": len(names), "wire_ms_median": round(statistics.median(wire_ms), 3),
                                "wrong_answers": wrong}
        report.out("  (setup took %.0f s)" % (time.monotonic() - t_phase))

        mem_rest = {s.short: memory(s) for s in sides}
        if opts.hold:
            hold = work.file("hold", "")
            query_file = work.file("queries.txt", "".join("%s A\n" % n for n in names))
            print(json.dumps({"hold_file": hold, "H": "/proc/%d/ns/net" % os.getpid(), "A": ans,
                              "hookwire_dns": hook.pid, "aardvark_dns": nv.pid, "query_file": query_file,
                              "server": GATEWAY, "client": CLIENT}), flush=True)
            deadline = time.monotonic() + opts.hold
            while os.path.exists(hold) and time.monotonic() < deadline:
                time.sleep(0.5)
            return

        # --- 2. latency: unpinned, as deployed (the scheduler places the client and
        # the servers); with a control, the stub asked directly, in the same loop.
        t_phase = time.monotonic()
        every_cpu = "0-%d" % (os.cpu_count() - 1)
        control = Control()
        socks[control.short] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        socks[control.short].connect((STUB, 53))
        socks[control.short].settimeout(1.0)
        gc.disable()
        local, local_fail = latency(sides + [control], socks, names, cfg["local"], False, rng)
        fwd, fwd_fail = latency(sides, socks, names, cfg["forward"], True, rng)
        gc.enable()
        report.out()
        report.out("2. latency: sequential UDP round trips from one client (unpinned), A queries, the servers and a "
                   "control interleaved query by query")
        report.out("  %-44s %8s  %8s  %8s  %8s  %6s" % ("µs", "p50", "p99", "min", "max", "n"))
        lat = {}
        for kind, samples, fails, what in (("local", local, local_fail, "local names (random of %d)" % len(names)),
                                           ("forwarded", fwd, fwd_fail, "forwarded (unique names, stub upstream)")):
            for s in sides + ([control] if kind == "local" else []):
                v = sorted(samples[s.short])
                report.out("  %-44s %s%s" % (s.label if s is control else "%s, %s" % (s.label, what), fmt_us(v),
                                              "  FAILURES %d" % fails[s.short] if fails[s.short] else ""))
                lat.setdefault(kind, {})[s.short] = {
                    "p50_us": round(percentile(v, 50), 1), "p90_us": round(percentile(v, 90), 1),
                    "p99_us": round(percentile(v, 99), 1), "p999_us": round(percentile(v, 99.9), 1),
                    "min_us": round(v[0], 1), "max_us": round(v[-1], 1), "n": len(v), "failures": fails[s.short]}
            for p in ("p50", "p99"):
                a, h = lat[kind][nv.short][p + "_us"], lat[kind][hook.short][p + "_us"]
                report.ratio("%s %s: aardvark / hookwire" % (kind, p), a / h)
        p99 = lat["local"][hook.short]["p99_us"]
        report.check("2. hookwire-dns local p99 (µs)", "%.1f" % p99, "< 1000", p99 < 1000)
        report.data["latency"] = lat
        with open(os.path.join(opts.results, "dns-latency.dat"), "w") as f:
            f.write("# CDF of round trips (us, fraction); blocks: hookwire local, aardvark local, "
                    "hookwire forwarded, aardvark forwarded, control (the stub directly)\n")
            for samples, which in ((local, sides), (fwd, sides), (local, [control])):
                for s in which:
                    v = sorted(samples[s.short])
                    for k, x in enumerate(v):
                        f.write("%.1f %.6f\n" % (x, (k + 1) / len(v)))
                    f.write("\n\n")
        report.out("  (part 2 took %.0f s)" % (time.monotonic() - t_phase))

        # --- 3. throughput: the servers on one CPU, dnsperf on the other.
        t_phase = time.monotonic()
        for s in sides:
            pin(s.pid, CPU_SERVER)
        query_file = work.file("queries.txt", "".join("%s A\n" % n for n in names))
        perf_out = os.path.join(work.root, "dnsperf.out")
        setting = DNSPERF_SETTINGS[0]
        explore = {}
        if cfg["explore"]:
            report.out()
            report.out("3a. dnsperf settings, one run of 3 s per server each (CPU: share of one core)")
            report.out("  %-22s %-14s %10s %8s %10s %10s %8s" % ("setting", "server", "qps", "lost", "srv CPU",
                                                               "dnsperf CPU", "avg ms"))
            for st in DNSPERF_SETTINGS:
                order = list(sides)
                rng.shuffle(order)
                for s in order:
                    r = dnsperf(s, query_file, st[0], st[1], 3, perf_out)
                    explore.setdefault("-c %d -q %d" % st, {})[s.short] = r
                for s in sides:
                    r = explore["-c %d -q %d" % st][s.short]
                    report.out("  %-22s %-14s %10.0f %8d %9.0f%% %10.0f%% %8.3f" % (
                        "-c %d -q %d -T 1" % st, s.label, r["qps"], r.get("lost", 0), 100 * r["server_cpu"],
                        100 * r["client_cpu"], r.get("avg_latency_ms", float("nan"))))
            # The setting that gets the most out of both servers (geometric mean): neutral;
            # among those that lost no query, when any did not.
            clean = [st for st in DNSPERF_SETTINGS
                     if all(explore["-c %d -q %d" % st][s.short].get("lost", 0) == 0 for s in sides)]
            setting = max(clean or DNSPERF_SETTINGS,
                          key=lambda st: (explore["-c %d -q %d" % st][hook.short]["qps"] *
                                          explore["-c %d -q %d" % st][nv.short]["qps"]))
            report.out("  chosen: -c %d -q %d (the highest geometric mean of the two, no query lost)" % setting)
        runs = {s.short: [] for s in sides}
        order = list(sides)
        for i in range(cfg["runs"]):
            rng.shuffle(order)
            for s in order:
                runs[s.short].append(dnsperf(s, query_file, setting[0], setting[1], cfg["seconds"], perf_out))
        report.out()
        report.out("3. queries per second: dnsperf -T 1 -c %d -q %d -l %d, %d names, %d runs per server, interleaved" %
                   (setting[0], setting[1], cfg["seconds"], len(names), cfg["runs"]))
        report.out("  %-44s %10s  %-21s %8s %9s %11s" % ("", "median", "(min … max)", "lost", "srv CPU",
                                                       "dnsperf CPU"))
        qps = {}
        for s in sides:
            v = [r["qps"] for r in runs[s.short]]
            lost = sum(r.get("lost", 0) for r in runs[s.short])
            srv = statistics.median(r["server_cpu"] for r in runs[s.short])
            cli = statistics.median(r["client_cpu"] for r in runs[s.short])
            qps[s.short] = {"median": round(statistics.median(v), 1), "min": round(min(v), 1),
                            "max": round(max(v), 1), "runs": [round(x, 1) for x in v], "lost": lost,
                            "server_cpu": round(srv, 3), "client_cpu": round(cli, 3),
                            "avg_latency_ms": round(statistics.median(r.get("avg_latency_ms", 0)
                                                                      for r in runs[s.short]), 3)}
            # The server's CPU time per answered query: what its share of a core
            # bought, whatever else ran on the machine.
            us = statistics.median(r["server_cpu"] * 1e6 / r["qps"] for r in runs[s.short])
            qps[s.short]["server_cpu_us_per_query"] = round(us, 2)
            report.out("  %-44s %10.0f  (%8.0f … %8.0f) %8d %8.0f%% %10.0f%%" % (
                s.label, qps[s.short]["median"], min(v), max(v), lost, 100 * srv, 100 * cli))
        paired = [h["qps"] / a["qps"] for h, a in zip(runs[hook.short], runs[nv.short])]
        report.out("  %-44s %s" % ("", "per run pair hookwire / aardvark: %.2f (%.2f … %.2f)" %
                                   (statistics.median(paired), min(paired), max(paired))))
        report.out("  %-44s %s" % ("server CPU per query (median of runs)", ", ".join(
            "%s %.1f µs" % (s.label, qps[s.short]["server_cpu_us_per_query"]) for s in sides)))
        report.ratio("3. qps: hookwire / aardvark", qps[hook.short]["median"] / qps[nv.short]["median"], 2.0)
        report.ratio("   CPU per query: aardvark / hookwire", qps[nv.short]["server_cpu_us_per_query"] /
                     qps[hook.short]["server_cpu_us_per_query"])
        report.data["qps"] = {"setting": {"clients": setting[0], "outstanding": setting[1], "threads": 1,
                                          "seconds": cfg["seconds"]},
                              "sides": qps, "paired_ratio": {"median": round(statistics.median(paired), 3),
                                                             "min": round(min(paired), 3),
                                                             "max": round(max(paired), 3)},
                              "explore": {k: {side: {kk: vv for kk, vv in r.items() if kk != "argv"}
                                              for side, r in v.items()} for k, v in explore.items()},
                              "command": " ".join(runs[hook.short][0]["argv"])}
        report.out("  (part 3 took %.0f s)" % (time.monotonic() - t_phase))

        for s in sides:
            pin(s.pid, every_cpu)

        # --- 4. memory
        mem_load = {s.short: memory(s) for s in sides}
        report.out()
        report.out("4. resident memory with %d names (+ anchor), from /proc/PID/status" % len(names))
        report.out("  %-30s %10s %10s %10s %10s %10s %8s" % ("", "VmRSS", "RssAnon", "RssFile", "VmRSS",
                                                           "VmHWM", "threads"))
        report.out("  %-30s %10s %10s %10s %10s %10s" % ("", "at rest", "at rest", "at rest", "after load",
                                                       "after load"))
        for s in sides:
            a, b = mem_rest[s.short], mem_load[s.short]
            report.out("  %-30s %7.2f MiB %6.2f MiB %6.2f MiB %6.2f MiB %6.2f MiB %8d" % (
                s.label, a["vmrss_kib"] / 1024, a["rss_anon_kib"] / 1024, a["rss_file_kib"] / 1024,
                b["vmrss_kib"] / 1024, b["vmhwm_kib"] / 1024, b["threads"]))
        for s in sides:
            b = mem_load[s.short]
            report.out("  %-30s Pss %.2f MiB; largest mappings (Rss/Pss KiB): %s" % (
                s.label, b["pss_kib"] / 1024, ", ".join("%s %d/%d" % m for m in b["top_mappings_kib"][:6])))
        h_rss, a_rss = mem_load[hook.short]["vmrss_kib"], mem_load[nv.short]["vmrss_kib"]
        report.check("4. VmRSS after load: hookwire / aardvark", "%.2f" % (h_rss / a_rss), "< 1", h_rss < a_rss)
        report.data["memory"] = {"at_rest": mem_rest, "after_load": mem_load}

        # --- 5. freshness
        t_phase = time.monotonic()
        gc.disable()
        fresh = freshness(sides, socks, cfg["trials"], rng, report, names[0])
        gc.enable()
        report.out()
        report.out("5. freshness: %d new containers per side onto %d names, interleaved; from the return of "
                   "the hook (netavark setup)" % (cfg["trials"], len(names)))
        report.out("   to the first answer with the address; a query at once, then every 1 ms, from an open socket")
        report.out("  %-30s %10s %10s %10s %10s %10s %8s" % ("", "first ok", "answered", "p50 ms", "p99 ms", "max ms",
                                                           "queries"))
        fresh_data = {}
        for s in sides:
            o = fresh[s.short]
            v = sorted(o["ms"])
            report.out("  %-30s %6d/%-3d %6d/%-3d %10.3f %10.3f %10.3f %8s" % (
                s.label, o["first"], cfg["trials"], o["answered"], cfg["trials"], percentile(v, 50),
                percentile(v, 99), v[-1] if v else float("nan"),
                "%d" % statistics.median(o["queries"]) if o["queries"] else "-"))
            fresh_data[s.short] = {"first_ok": o["first"], "answered": o["answered"], "trials": cfg["trials"],
                                   "p50_ms": round(percentile(v, 50), 3), "p99_ms": round(percentile(v, 99), 3),
                                   "max_ms": round(v[-1], 3) if v else None,
                                   "queries_median": statistics.median(o["queries"]) if o["queries"] else None,
                                   "wrong_address": o["wrong_address"], "failures": o["failures"],
                                   "stale_after_unwire": o["stale_after_unwire"],
                                   "port_unreachable": o["refused"],
                                   "rtt_known_name_before_ms_median": round(statistics.median(o["rtt_before"]), 3)
                                   if o["rtt_before"] else None,
                                   "wire_ms_median": round(statistics.median(o["wire_ms"]), 2)
                                   if o["wire_ms"] else None,
                                   "unwire_ms_median": round(statistics.median(o["unwire_ms"]), 2)
                                   if o["unwire_ms"] else None}
        for s in sides:
            d = fresh_data[s.short]
            report.out("  %-30s wire %.2f ms, unwire %.2f ms (medians); wrong address %d, failures %d,"
                       " port unreachable (no server listening) %d;" % (
                           s.label, d["wire_ms_median"] or 0, d["unwire_ms_median"] or 0, d["wrong_address"],
                           d["failures"], d["port_unreachable"]))
            report.out("  %-30s a known name's round trip just before each wire: median %.3f ms" % (
                "", d["rtt_known_name_before_ms_median"] or float("nan")))
            report.out("  %-30s the name still answered by the first query after unwire returned: %d of %d" % (
                "", d["stale_after_unwire"], d["trials"]))
        h = fresh_data[hook.short]
        report.check("5. hookwire-dns: first query answered", "%d/%d" % (h["first_ok"], cfg["trials"]),
                     "%d/%d" % (cfg["trials"], cfg["trials"]), h["first_ok"] == cfg["trials"])
        report.data["freshness"] = fresh_data
        with open(os.path.join(opts.results, "dns-fresh.dat"), "w") as f:
            f.write("# CDF of the time from the hook's (netavark setup's) return to the first answer with the "
                    "address (ms, fraction of trials); blocks: hookwire, aardvark\n")
            for s in sides:
                v = sorted(fresh[s.short]["ms"])
                for k, x in enumerate(v):
                    f.write("%.4f %.6f\n" % (x, (k + 1) / cfg["trials"]))
                f.write("\n\n")
        report.out("  (part 5 took %.0f s)" % (time.monotonic() - t_phase))

        restarts = {s.short: int(s.find_daemon() != first_pids[s.short]) for s in sides}
        report.out("  servers restarted during the run: hookwire-dns %d, aardvark-dns %d (same pid throughout: %s)" %
                   (restarts[hook.short], restarts[nv.short], "yes" if not any(restarts.values()) else "no"))
        report.data["restarts"] = restarts

        # --- 6. where the time goes (full mode): perf, not counted.
        if cfg["perf"] and os.path.exists("/usr/bin/perf"):
            report.out()
            report.out("6. perf record -g of each server under the same dnsperf load (dnsperf 4 s, not counted): "
                       "bench/results/dns-perf-*.txt")
            for s in sides:
                pin(s.pid, CPU_SERVER)
                q, dsos = perf_profile(s, query_file, setting, 5, work.root, opts.results)
                report.out("  %-30s %7.0f qps while profiled; samples by object: %s" % (
                    s.label, q, ", ".join("%s %s" % d for d in dsos)))
                report.data.setdefault("perf", {})[s.short] = {"qps": round(q, 1), "by_object": dsos}
                pin(s.pid, every_cpu)

        # --- teardown: every container, then the resolver should go by itself.
        t_phase = time.monotonic()
        for cid, c in list(hook.containers.items()):
            c.destroy()
        B.wait_links_gone([B.hookwire_link_name(cid) for cid in hook.containers], timeout=600)
        unwire_fail = 0
        for cid, c in list(hook.containers.items()):
            rc, _, t_last = hook.unwire(c)
            unwire_fail += rc != 0
        exited = reap(hook.pid, 5.0)
        t_exit = time.monotonic_ns()
        report.out()
        report.out("teardown: %d poststops (%d failed); hookwire-dns exited after the last: %s (%.0f ms)" % (
            len(names) + 1, unwire_fail, "yes" if exited else "NO", (t_exit - t_last) / 1e6))
        report.data["teardown"] = {"unwire_failures": unwire_fail, "resolver_exited": exited,
                                   "exit_ms": round((t_exit - t_last) / 1e6, 1)}
        for cid, c in list(nv.containers.items()):
            nv.unwire(c)
        report.out("  (teardown took %.0f s)" % (time.monotonic() - t_phase))

        report.out()
        report.out("targets")
        for label, value, target, met in report.targets:
            shown = "%.2f" % value if isinstance(value, float) else str(value)
            report.out("  %-52s %-10s %s" % (label, shown, "met" if met else "MISSED"))
        info["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        elapsed = time.monotonic() - started
        report.out("load average at the end: %s; the run took %.0f s" % (" ".join(info["loadavg_end"]), elapsed))
        report.data["elapsed_s"] = round(elapsed, 1)
        report.data["targets"] = [{"what": l, "value": v if not isinstance(v, float) else round(v, 3),
                                   "target": t, "met": ok} for l, v, t, ok in report.targets]
        with open(os.path.join(opts.results, "dns.json"), "w") as f:
            json.dump(report.data, f, indent=1)
        with open(os.path.join(opts.results, "dns-table.txt"), "w") as f:
            f.write("\n".join(report.lines) + "\n")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dns.gp")
        subprocess.run(["gnuplot", "-e", "latency='%s'; fresh='%s'; outfile='%s'; names=%d; trials=%d" % (
            os.path.join(opts.results, "dns-latency.dat"), os.path.join(opts.results, "dns-fresh.dat"),
            os.path.join(opts.results, "dns.png"), len(names), cfg["trials"]), script], check=False)
    finally:
        for s in (hook, nv):
            if s:
                for c in list(s.containers.values()):
                    c.destroy()
                s.stop()
        if stub:
            stub.terminate()
            stub.wait()
        if resolv_mounted:
            B.LIBC.umount2(b"/etc/resolv.conf", B.MNT_DETACH)
        work.cleanup()


if __name__ == "__main__":
    main()
