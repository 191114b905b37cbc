#!/usr/bin/python3
"""The world benchmark: outbound NAT and published ports. bench/run.sh starts it in
a fresh network namespace of its own (inside its throwaway mount namespace), so
that its first hook finds no nftables table, as on a fresh host.

1. Wire and unwire a container with outbound NAT and two published ports, on the
   same subnet and ports, with hookwire, netavark (setup/teardown) and the CNI
   bridge (ipMasq) + portmap + loopback plugins, interleaved.
2. The firewall step: the same hook with a profile without NAT and ports; with
   the table missing (it creates it with `nft -f`); and in process, in
   hookwire-bench-floor: firewall_add, firewall_remove, forget_conntrack and the
   whole hook_main.
3. Scale: COUNT containers with two published ports each and COUNT with a plain
   profile, wired one after another, interleaved, onto a bridge each, with the
   in-process firewall step probed after every pair; then the same step on the
   table alone (COUNT containers' elements, no links).
4. Throughput: iperf3 from a "world" netns to a container, through a published
   port (DNAT) and directly to its address (routed, no NAT), interleaved.

Timing and statistics are bench.py's: whole processes, posix_spawn .. wait4,
except what the floor process times around one call.
"""

import argparse
import gc
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no bench/__pycache__ in the tree
import bench as B  # noqa: E402

MODES = {
    "quick": {"rounds": 6, "scale": 200, "edge": 25, "tput_rounds": 1, "tput_seconds": 3},
    "full": {"rounds": 60, "scale": 1000, "edge": 50, "tput_rounds": 3, "tput_seconds": 6},
}
NETAVARK = "/usr/lib/podman/netavark"
SUBNET, GATEWAY = "10.216.0.0/16", "10.216.0.1"  # every contender of parts 1 and 2
PORTS = [(8001, 80), (8002, 81)]
SCALE_PORT_BASE = 10000  # container k of the scale run publishes 10000+2k and 10001+2k
PROBE_ADDRESS, PROBE_PORT = "10.217.255.250", 30000  # the in-process firewall probe's facts


def profile(bridge, subnet, gateway, nat=False, ports=None, isolate=True):
    p = {"networks": [{"type": "loopback"}, {"type": "veth", "name": "eth0", "bridge": bridge}],
         "ipam": {"ipv4": {"subnet": subnet, "gateway": gateway}}}
    if nat:
        p["nat"] = {"outbound": True}
    if ports:
        p["ports"] = {"ranges": [ports]}
    if not isolate:
        p["isolate"] = False
    return p


def combine(runs):
    """One Run for steps run one after another: their times summed, the first failure."""
    failed = next((r for r in runs if r.rc != 0), None)
    out = B.Run(sum(r.ns for r in runs), failed.rc if failed else 0, err=failed.err if failed else "")
    out.parts = runs
    return out


class Hook:
    """hookwire-create-runtime and hookwire-poststop with a named profile; every
    profile shares one state dir, as on a host."""

    bind = False
    peer = False

    def __init__(self, work, label, hooks, state_dir, network, ports=()):
        self.work, self.label, self.network, self.ports = work, label, network, ports
        self.create = os.path.join(hooks, "hookwire-create-runtime")
        self.poststop = os.path.join(hooks, "hookwire-poststop")
        self.args = ["--state-dir", state_dir, "--config-dir", work.config_dir]

    def state(self, c, pid, status, ports):
        annotations = {"io.hookwire.network": self.network}
        if ports:
            annotations["io.hookwire.ports"] = ",".join("%d:%d/tcp" % p for p in ports)
        state = {"ociVersion": "1.0.2-dev", "id": c.id, "status": status}
        if pid:
            state["pid"] = pid
        state.update({"bundle": self.work.bundle, "annotations": annotations})
        return self.work.file("%s.%s" % (c.id, status), json.dumps(state, separators=(",", ":")))

    def prepare(self, c, ports=None):
        """ports: [(host port, container port)], tcp; None: the side's own."""
        ports = self.ports if ports is None else ports
        c.state_wire = self.state(c, c.pid, "creating", ports)
        c.state_stop = self.state(c, None, "stopped", ports)
        c.host_links = [B.hookwire_link_name(c.id)]

    def wire(self, c):
        return B.run([self.create] + self.args, c.state_wire, B.ENV, stderr_path=self.work.stderr)

    def unwire(self, c):
        return B.run([self.poststop] + self.args, c.state_stop, B.ENV, stderr_path=self.work.stderr)


class InHook(Hook):
    """The same hook's hook_main, called in the floor server: minus the process start."""

    def __init__(self, floor, *args):
        super().__init__(*args)
        self.floor = floor

    def wire(self, c):
        return self.floor.ask("hook create-runtime %s %s" % (c.state_wire, " ".join(self.args)))

    def unwire(self, c):
        return self.floor.ask("hook poststop %s %s" % (c.state_stop, " ".join(self.args)))


class Netavark:
    """netavark setup and teardown, given the options podman would send: podman does
    the IPAM, so each container gets its static address from here."""

    bind = True
    peer = True
    label = "netavark"

    def __init__(self, work):
        self.work = work
        self.config = work.path("netavark")
        os.mkdir(self.config)
        self.next_host = 2

    def prepare(self, c, ports=PORTS):
        n = self.next_host
        self.next_host = 2 if n >= 60000 else n + 1
        address = "10.216.%d.%d" % (n // 250, n % 250 + 2)
        c.nv_options = self.work.file(c.id + ".netavark", json.dumps({
            "container_id": c.id, "container_name": c.id,
            "port_mappings": [{"host_ip": "", "container_port": cp, "host_port": hp, "range": 1, "protocol": "tcp"}
                              for hp, cp in ports],
            "networks": {"world": {"static_ips": [address], "interface_name": "eth0"}},
            "network_info": {"world": {
                "name": "world", "id": "7b0c4e1f" * 8, "driver": "bridge", "network_interface": "nvworld0",
                "subnets": [{"subnet": SUBNET, "gateway": GATEWAY}], "ipv6_enabled": False, "internal": False,
                "dns_enabled": False, "ipam_options": {"driver": "host-local"}}}}))
        c.host_links = []

    def run(self, c, verb):
        return B.run([NETAVARK, "--config", self.config, verb, c.netns_path], c.nv_options, B.ENV,
                     stderr_path=self.work.stderr)

    def wire(self, c):
        return self.run(c, "setup")

    def unwire(self, c):
        return self.run(c, "teardown")


class Cni:
    """The CNI plugins as a runtime runs them: bridge (ipMasq, host-local), then
    portmap with the bridge's result as prevResult, then loopback; DEL the other
    way round. The portmap config is written between the timed steps (a runtime
    does that in process)."""

    bind = True
    peer = True
    label = "cni"
    ADD = ("bridge", "portmap", "loopback")
    DEL = ("portmap", "bridge", "loopback")

    def __init__(self, work):
        self.work = work
        self.bridge_conf = work.file("cni-world-bridge.json", json.dumps({
            "cniVersion": "1.0.0", "name": "world", "type": "bridge", "bridge": "cniworld0",
            "isGateway": True, "ipMasq": True,
            "ipam": {"type": "host-local", "ranges": [[{"subnet": SUBNET, "gateway": GATEWAY}]],
                     "routes": [{"dst": "0.0.0.0/0"}], "dataDir": work.path("cni-world-ipam")}}))
        self.lo_conf = work.file("cni-world-lo.json", json.dumps({"cniVersion": "1.0.0", "name": "lo",
                                                                  "type": "loopback"}))

    def prepare(self, c, ports=PORTS):
        c.cni_ports = ports
        c.cni_out = self.work.path(c.id + ".cni")
        c.portmap_conf = self.work.path(c.id + ".portmap")
        c.host_links = []

    def step(self, c, command, plugin):
        env = dict(B.ENV, CNI_COMMAND=command, CNI_CONTAINERID=c.id, CNI_NETNS=c.netns_path,
                   CNI_IFNAME="lo" if plugin == "loopback" else "eth0", CNI_PATH=B.CNI_PATH)
        conf = {"bridge": self.bridge_conf, "portmap": c.portmap_conf, "loopback": self.lo_conf}[plugin]
        out = c.cni_out if (command, plugin) == ("ADD", "bridge") else os.devnull
        return B.run([os.path.join(B.CNI_PATH, plugin)], conf, env, out, self.work.stderr)

    def wire(self, c):
        runs = [self.step(c, "ADD", "bridge")]
        if runs[0].rc == 0:
            with open(c.cni_out) as f:
                prev = json.load(f)
            self.work.file(os.path.basename(c.portmap_conf), json.dumps({
                "cniVersion": "1.0.0", "name": "world", "type": "portmap", "capabilities": {"portMappings": True},
                "snat": True, "prevResult": prev,
                "runtimeConfig": {"portMappings": [{"hostPort": hp, "containerPort": cp, "protocol": "tcp"}
                                                   for hp, cp in c.cni_ports]}}))
            if c.cni_ports:
                runs.append(self.step(c, "ADD", "portmap"))
            runs.append(self.step(c, "ADD", "loopback"))
        return combine(runs)

    def unwire(self, c):
        return combine([self.step(c, "DEL", p) for p in self.DEL if c.cni_ports or p != "portmap"])


def nft(text):
    subprocess.run(["nft", "-f", "-"], input=text, text=True, check=True, env=B.ENV)


def table_elements():
    """How many elements the sets and maps of table inet hookwire hold, @bridges apart
    (None without the table)."""
    out = subprocess.run(["nft", "-j", "list", "table", "inet", "hookwire"], capture_output=True, text=True,
                         env=B.ENV)
    if out.returncode != 0:
        return None
    count = 0
    for item in json.loads(out.stdout)["nftables"]:
        for kind in ("set", "map"):
            if kind in item and item[kind]["name"] != "bridges":
                count += len(item[kind].get("elem", []))
    return count


def series(values):
    """ms values as a Series: None is no sample, nan a failure."""
    s = B.Series()
    for v in values:
        if v is not None:
            s.add(B.Run(int(v * 1e6), 0) if v == v else B.Run(0, 1))
    return s


def rolling(values, half):
    out = []
    for i in range(len(values)):
        window = [v for v in values[max(0, i - half):i + half + 1] if v is not None and v == v]
        out.append(statistics.median(window) if window else float("nan"))
    return out


# ---------------------------------------------------------------------------
# 1 and 2: latency, interleaved.


def latency(work, floor, state_dir, sides, cni, rounds):
    """Each round runs every side once, shuffled, each on a fresh netns. hookwire
    unwires with the netns gone (its usual case: poststop runs after the container
    died) in even rounds and still present in odd ones; the peers always unwire with
    it present (netavark needs it; CNI bridge DEL without it leaves the ipMasq rules
    behind). "hookwire-first" finds no table (deleted before, untimed)."""
    wire = {s.label: B.Series() for s in sides}
    unwire = {}
    parts = {}
    probe = {k: B.Series() for k in ("add", "remove", "conntrack", "true")}
    rng = random.Random(5)
    order = list(sides)
    for i in range(rounds + 1):
        rng.shuffle(order)
        for side in order:
            c = B.Container(work, work.unique("w" + side.label[:3]), side.bind)
            side.prepare(c)
            if side.label == "hookwire-first":
                nft("delete table inet hookwire\n")
            w = side.wire(c)
            case = "present" if side.peer or i % 2 else "gone"
            if case == "gone":
                c.destroy()
                B.wait_links_gone(c.host_links)
            u = side.unwire(c)
            c.destroy()
            B.wait_links_gone(c.host_links)
            if i == 0:
                if w.rc != 0 or u.rc != 0:
                    B.die("warm-up of %s failed: %s %s" % (side.label, w.err, u.err))
                continue
            wire[side.label].add(w, i)
            unwire.setdefault((side.label, case), B.Series()).add(u, i)
            if side is cni:
                for verb, r, names in (("ADD", w, Cni.ADD), ("DEL", u, Cni.DEL)):
                    for name, part in zip(names, r.parts):
                        parts.setdefault("%s %s" % (name, verb), B.Series()).add(part)
        if i:
            probe["add"].add(floor.ask("firewall-add %s %s hwworld0 %d" % (state_dir, PROBE_ADDRESS, PROBE_PORT)), i)
            probe["remove"].add(floor.ask("firewall-remove %s hwworld0 %d" % (PROBE_ADDRESS, PROBE_PORT)), i)
            probe["conntrack"].add(floor.ask("conntrack %s %d" % (PROBE_ADDRESS, PROBE_PORT)), i)
            probe["true"].add(B.run(["/bin/true"], os.devnull, B.ENV), i)
    return wire, unwire, parts, probe


# ---------------------------------------------------------------------------
# 3: scale.


def scale(work, floor, state_dir, world, plain, count):
    """COUNT containers per profile, interleaved, each wire timed, then the in-process
    firewall step on the filling table (and fork+exec of /bin/true every 10th, the
    machine's control); then all unwired with their netns gone. Last, the firewall
    step on the table alone: COUNT containers' elements added and removed in process,
    with no links, no netns and no hook around it. None: not sampled; nan: failed."""
    runs = {k: [] for k in ("world", "plain", "fw_add", "fw_remove", "true", "alone_add", "alone_remove")}
    unwire = {"world": [], "plain": []}
    containers = {"world": [], "plain": []}
    failures = {"world": 0, "plain": 0}
    ms = lambda r: r.ns / 1e6 if r.rc == 0 else float("nan")
    rng = random.Random(13)
    for i in range(count):
        order = [world, plain]
        rng.shuffle(order)
        for side in order:
            c = B.Container(work, work.unique("s" + side.label))
            side.prepare(c, [(SCALE_PORT_BASE + 2 * i, 80), (SCALE_PORT_BASE + 2 * i + 1, 81)]
                         if side is world else [])
            r = side.wire(c)
            if r.rc != 0:
                failures[side.label] += 1
                print("  scale: %s wire %d failed: %s" % (side.label, i, r.err[-200:]), file=sys.stderr)
            runs[side.label].append(ms(r))
            containers[side.label].append(c)
        runs["fw_add"].append(ms(floor.ask("firewall-add %s %s hwsw0 %d" % (state_dir, PROBE_ADDRESS, PROBE_PORT))))
        runs["fw_remove"].append(ms(floor.ask("firewall-remove %s hwsw0 %d" % (PROBE_ADDRESS, PROBE_PORT))))
        runs["true"].append(ms(B.run(["/bin/true"], os.devnull, B.ENV)) if i % 10 == 0 else None)
    elements_full = table_elements()
    for cs in containers.values():
        for c in cs:
            c.destroy()
    B.wait_links_gone([n for cs in containers.values() for c in cs for n in c.host_links], timeout=900)
    for i in range(count):
        order = [world, plain]
        rng.shuffle(order)
        for side in order:
            r = side.unwire(containers[side.label][i])
            if r.rc != 0:
                failures[side.label] += 1
                print("  scale: %s unwire %d failed: %s" % (side.label, i, r.err[-200:]), file=sys.stderr)
            unwire[side.label].append(ms(r))
    facts = ["10.220.%d.%d hwsw0 %d" % (k // 250, k % 250 + 1, 20000 + 2 * k) for k in range(count)]
    for f in facts:
        runs["alone_add"].append(ms(floor.ask("firewall-add %s %s" % (state_dir, f))))
    for f in reversed(facts):
        runs["alone_remove"].append(ms(floor.ask("firewall-remove " + f)))
    runs["alone_remove"].reverse()  # by how many containers' elements the table held
    return runs, unwire, failures, elements_full


def leftovers(state_dir):
    def count(path, keep=lambda n: not n.startswith(".")):
        if not os.path.isdir(path):
            return 0
        return sum(1 for n in os.listdir(path) if keep(n))
    ipam = os.path.join(state_dir, "ipam")
    leases = sum(count(os.path.join(ipam, p)) for p in os.listdir(ipam)) if os.path.isdir(ipam) else 0
    return {"links": sum(1 for n in socket.if_nameindex() if n[1].startswith("hw") and len(n[1]) == 15),
            "leases": leases, "host_ports": count(os.path.join(state_dir, "ports")),
            "records": count(os.path.join(state_dir, "ledger"), lambda n: n.endswith(".json")),
            "elements": table_elements()}


# ---------------------------------------------------------------------------
# 4: throughput.


def iperf(netns, host, port, seconds):
    argv = ["nsenter", "--net=" + netns, "iperf3", "-c", host, "-p", str(port), "-t", str(seconds), "-O", "1", "-J"]
    for _ in range(50):  # the server may not listen yet, or still be busy with the last test
        out = subprocess.run(argv, capture_output=True, text=True, env=B.ENV)
        try:
            return json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9
        except (ValueError, KeyError):
            time.sleep(0.2)
    B.die("iperf3 to %s:%d failed: %s" % (host, port, out.stdout[-300:] + out.stderr[-300:]))


def throughput(work, floor, hook, rounds, seconds):
    """A container of a profile with NAT, ports and isolate false (isolation drops
    connections from outside to a container's own address), an iperf3 server in it,
    and a world netns behind a veth (192.168.77.2, the host 192.168.77.1)."""
    c = B.Container(work, work.unique("tput"))
    hook.prepare(c, [(8201, 5201)])
    r = hook.wire(c)
    if r.rc != 0:
        B.die("throughput: wire failed: " + r.err)
    address = B.addresses_of(floor, c)[0][0]
    world = B.Container(work, work.unique("world"))
    wns = "/proc/%d/ns/net" % world.pid
    for argv in (["ip", "link", "add", "hwbw0", "type", "veth", "peer", "name", "eth0", "netns", wns],
                 ["ip", "addr", "add", "192.168.77.1/24", "dev", "hwbw0"], ["ip", "link", "set", "hwbw0", "up"],
                 ["nsenter", "--net=" + wns, "ip", "addr", "add", "192.168.77.2/24", "dev", "eth0"],
                 ["nsenter", "--net=" + wns, "ip", "link", "set", "eth0", "up"],
                 ["nsenter", "--net=" + wns, "ip", "route", "add", "default", "via", "192.168.77.1"]):
        subprocess.run(argv, check=True, env=B.ENV)
    server = subprocess.Popen(["nsenter", "--net=" + c.netns_path, "iperf3", "-s", "-p", "5201"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=B.ENV)
    gbps = {"dnat": [], "direct": []}
    try:
        rng = random.Random(3)
        for _ in range(rounds):
            paths = [("dnat", "192.168.77.1", 8201), ("direct", address, 5201)]
            rng.shuffle(paths)
            for name, host, port in paths:
                gbps[name].append(iperf(wns, host, port, seconds))
    finally:
        server.terminate()
        server.wait()
        world.destroy()
        c.destroy()
        B.wait_links_gone(c.host_links + ["hwbw0"])
        hook.unwire(c)
    return gbps, address


# ---------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", required=True)
    parser.add_argument("--mode", choices=MODES, default="full")
    parser.add_argument("--results", required=True)
    opts = parser.parse_args()
    cfg = MODES[opts.mode]
    started = time.monotonic()
    os.makedirs(opts.results, exist_ok=True)
    try:
        os.nice(-20)
    except OSError:
        pass
    hooks = os.path.join(opts.build, "hooks")
    B.HOLDER = os.path.join(opts.build, "bench", "hookwire-bench-netns-holder")
    report = B.Report(opts.mode)
    info = B.machine()
    info["netavark"] = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "netavark"], capture_output=True,
                                      text=True).stdout
    info["commit"] = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "describe", "--always",
                                     "--dirty"], capture_output=True, text=True).stdout.strip()
    report.data["machine"] = info
    work = B.Work()
    floor = None
    try:
        for name, p in (("world", profile("hwworld0", SUBNET, GATEWAY, nat=True, ports="8000-8999")),
                        ("plain", profile("hwworld0", SUBNET, GATEWAY)),
                        ("sworld", profile("hwsw0", "10.217.0.0/16", "10.217.0.1", nat=True, ports="10000-19999")),
                        ("splain", profile("hwsp0", "10.218.0.0/16", "10.218.0.1")),
                        ("tput", profile("hwtp0", "10.219.0.0/24", "10.219.0.1", nat=True, ports="8200-8299",
                                         isolate=False))):
            work.file(os.path.join("networks", name + ".json"), json.dumps(p))
        state_dir = work.path("state")
        floor = B.FloorServer(work, os.path.join(opts.build, "bench", "hookwire-bench-floor"))
        hook = Hook(work, "hookwire", hooks, state_dir, "world", PORTS)
        first = Hook(work, "hookwire-first", hooks, state_dir, "world", PORTS)
        plain = Hook(work, "hookwire-plain", hooks, state_dir, "plain")
        inproc = InHook(floor, work, "hookwire-inproc", hooks, state_dir, "world", PORTS)
        netavark, cni = Netavark(work), Cni(work)

        report.out("hookwire world benchmarks, %s mode: %d CPUs, %s, kernel %s, load %s; %s" %
                   (opts.mode, info["nproc"], info["cpu"], info["kernel"], " ".join(info["loadavg_start"]),
                    info["commit"]))
        report.out("netavark %s, containernetworking-plugins %s; IPv4 %s, tcp %s for every contender" %
                   (info["netavark"], info["cni_plugins"], SUBNET, ",".join("%d:%d/tcp" % p for p in PORTS)))

        # One container per network stays wired throughout, so that every timed one
        # joins a network that has one (netavark removes its bridge and network rules
        # with the last container). hookwire's is the run's first hook: it finds no
        # table and creates it.
        anchors = []
        for side in (hook, netavark, cni):
            c = B.Container(work, work.unique("anchor"), side.bind)
            side.prepare(c, [])
            r = side.wire(c)
            if r.rc != 0:
                B.die("anchor of %s failed: %s" % (side.label, r.err))
            if side is hook:
                first_ever = r
            anchors.append((side, c))

        gc.disable()
        t_phase = time.monotonic()
        sides = [hook, first, plain, inproc, netavark, cni]
        wire, unwire, parts, probe = latency(work, floor, state_dir, sides, cni, cfg["rounds"])
        gc.enable()
        m = {k: v.median() for k, v in wire.items()}
        report.section("1. wire: outbound NAT, 2 published ports, IPv4, lo up; %d rounds, interleaved" % cfg["rounds"])
        for label, name in (("hookwire", "hookwire-create-runtime"), ("netavark", "netavark setup"),
                            ("cni", "CNI bridge(ipMasq) + portmap + loopback ADD")):
            report.row(name, wire[label])
        for name in Cni.ADD:
            report.row("  of which CNI %s ADD" % name, parts["%s ADD" % name])
        for label in ("netavark", "cni"):
            report.ratio("1. wire: %s / hookwire" % label, m[label] / m["hookwire"], 25.0,
                         paired=(wire[label], wire["hookwire"]))

        gone, present = unwire[("hookwire", "gone")], unwire[("hookwire", "present")]
        report.section("1. unwire (the peers with the netns present: they need it)")
        report.row("hookwire-poststop, netns gone (its usual case)", gone)
        report.row("hookwire-poststop, netns present", present)
        report.row("netavark teardown", unwire[("netavark", "present")])
        report.row("CNI portmap + bridge + loopback DEL", unwire[("cni", "present")])
        for name in Cni.DEL:
            report.row("  of which CNI %s DEL" % name, parts["%s DEL" % name])
        for label in ("netavark", "cni"):
            peer = unwire[(label, "present")]
            report.ratio("1. unwire: %s / hookwire (netns gone)" % label, peer.median() / gone.median(), 25.0)
            report.ratio("1. unwire: %s / hookwire (both netns present)" % label, peer.median() / present.median(),
                         25.0, paired=(peer, present))

        report.section("2. the firewall step")
        report.row("hookwire wire, profile with NAT and 2 ports", wire["hookwire"])
        report.row("hookwire wire, profile without NAT and ports", wire["hookwire-plain"])
        report.row("hookwire wire, table missing (nft -f, then the wire)", wire["hookwire-first"])
        report.row("hookwire unwire (gone), profile without NAT and ports", unwire[("hookwire-plain", "gone")])
        report.row("in process: firewall_add (5 elements + bridge)", probe["add"])
        report.row("in process: firewall_remove (5 elements)", probe["remove"])
        report.row("in process: forget_conntrack (poststop's dump)", probe["conntrack"])
        report.row("in process: hook_main wire (NAT + 2 ports)", wire["hookwire-inproc"])
        report.row("in process: hook_main unwire, netns gone", unwire[("hookwire-inproc", "gone")])
        report.row("in process: hook_main unwire, netns present", unwire[("hookwire-inproc", "present")])
        report.row("fork+exec /bin/true (process start floor)", probe["true"])
        report.out("  %-52s %7.2f ms" % ("the run's first wire, fresh netns (1 sample)", first_ever.ns / 1e6))
        diff = m["hookwire"] - m["hookwire-plain"]
        paired = [wire["hookwire"].by_round[k] - wire["hookwire-plain"].by_round[k]
                  for k in wire["hookwire"].by_round if k in wire["hookwire-plain"].by_round]
        report.out("  %-52s %7.2f ms  per round %.2f (%.2f … %.2f)" % (
            "NAT + 2 ports: wire minus plain wire (medians)", diff, statistics.median(paired), min(paired),
            max(paired)))
        report.targets.append(("2. NAT + 2 ports: wire - plain wire (ms)", diff, 0.5, diff <= 0.5))
        report.out("  %-52s %7.2f ms   target ≤ 0.5 ms: %s" % ("", diff, "met" if diff <= 0.5 else "MISSED"))
        report.out("  %-52s %7.2f ms" % ("table missing: first wire minus next (medians)",
                                          m["hookwire-first"] - m["hookwire"]))
        report.data["latency"] = {"wire": {k: v.summary() for k, v in wire.items()},
                                  "unwire": {"%s/%s" % k: v.summary() for k, v in unwire.items()},
                                  "cni_parts": {k: v.summary() for k, v in parts.items()},
                                  "firewall_inproc": {k: v.summary() for k, v in probe.items()},
                                  "first_ever_ms": round(first_ever.ns / 1e6, 3),
                                  "nat_ports_minus_plain_ms": round(diff, 3)}
        report.out("  (parts 1-2 took %.0f s)" % (time.monotonic() - t_phase))

        for side, c in anchors:
            if not side.peer:
                c.destroy()
                B.wait_links_gone(c.host_links)
            side.unwire(c)
            c.destroy()

        count, edge = cfg["scale"], cfg["edge"]
        t_phase = time.monotonic()
        sworld = Hook(work, "world", hooks, state_dir, "sworld")
        splain = Hook(work, "plain", hooks, state_dir, "splain")
        gc.disable()
        runs, unw, failures, elements_full = scale(work, floor, state_dir, sworld, splain, count)
        gc.enable()
        left = leftovers(state_dir)
        report.section("3. scale: %d containers per profile, one bridge each, one after another, interleaved" % count)
        growth = {}
        for key, name in (("world", "wire, NAT + 2 ports"), ("plain", "wire, plain (the kernel floor)"),
                          ("fw_add", "firewall_add in process, during"),
                          ("fw_remove", "firewall_remove in process, during"),
                          ("true", "fork+exec /bin/true, every 10th"),
                          ("alone_add", "firewall_add in process, table alone"),
                          ("alone_remove", "firewall_remove in process, table alone")):
            first_s, last_s = series(runs[key][:edge]), series(runs[key][-edge:])
            report.row("%s, first %d" % (name, edge), first_s)
            report.row("%s, last %d" % (name, edge), last_s)
            growth[key] = last_s.median() / first_s.median()
            report.data.setdefault("scale", {})[key] = {"first": first_s.summary(), "last": last_s.summary(),
                                                        "growth": round(growth[key], 3)}
        for key, name in (("world", "NAT + 2 ports"), ("plain", "plain")):
            report.row("unwire (netns gone), %s, all %d" % (name, count), series(unw[key]))
        report.ratio("3. firewall_add, during: last / first", growth["fw_add"], 1.3, at_least=False)
        report.ratio("   firewall_remove, during: last / first", growth["fw_remove"])
        report.ratio("   fork+exec /bin/true: last / first", growth["true"])
        report.ratio("   firewall_add, table alone: last / first", growth["alone_add"])
        report.ratio("   firewall_remove, table alone: last / first", growth["alone_remove"])
        report.ratio("   wire, NAT + 2 ports: last / first", growth["world"])
        report.ratio("   wire, plain: last / first", growth["plain"])
        report.ratio("3. growth: NAT + 2 ports / plain", growth["world"] / growth["plain"], 1.1, at_least=False)
        first_diff = series(runs["world"][:edge]).median() - series(runs["plain"][:edge]).median()
        last_diff = series(runs["world"][-edge:]).median() - series(runs["plain"][-edge:]).median()
        report.out("  %-52s %7.2f ms -> %7.2f ms" % ("wire NAT + 2 ports minus plain, first -> last",
                                                     first_diff, last_diff))
        report.out("  %-52s %d" % ("table elements with every container wired", elements_full or 0))
        ok = sum(v or 0 for v in left.values()) == 0 and sum(failures.values()) == 0
        report.check("3. leftovers (links, leases, ports, records, elements)",
                     "%d,%d,%d,%d,%s" % (left["links"], left["leases"], left["host_ports"], left["records"],
                                         left["elements"]), "0 and 0 failures", ok)
        report.data["scale"].update({"count": count, "edge": edge, "left": left, "failures": failures,
                                     "elements_full": elements_full})
        report.out("  (part 3 took %.0f s)" % (time.monotonic() - t_phase))
        columns = ("world", "plain", "fw_add", "fw_remove", "true", "alone_add", "alone_remove")
        smooth = {k: rolling(runs[k], 12) for k in ("world", "plain", "fw_add", "alone_add")}
        smooth["true"] = rolling(runs["true"], 25)  # every 10th: about 5 samples
        with open(os.path.join(opts.results, "world-scale.dat"), "w") as f:
            f.write("# n, ms: wire_nat_ports wire_plain firewall_add firewall_remove true"
                    " alone_add alone_remove, rolling medians over 25: wire_nat_ports wire_plain firewall_add"
                    " alone_add, over 51: true\n")
            for i in range(count):
                values = [runs[k][i] for k in columns] + [smooth[k][i] for k in smooth]
                f.write("%d %s\n" % (i + 1, " ".join("nan" if v is None else "%.4f" % v for v in values)))

        t_phase = time.monotonic()
        gbps, address = throughput(work, floor, Hook(work, "tput", hooks, state_dir, "tput"), cfg["tput_rounds"],
                                   cfg["tput_seconds"])
        report.out()
        report.out("4. throughput: iperf3 TCP, one stream, world netns -> container, %d s x %d per path, interleaved"
                   % (cfg["tput_seconds"], cfg["tput_rounds"]))
        for name, label in (("dnat", "through published port 192.168.77.1:8201 (DNAT)"),
                            ("direct", "directly to %s:5201 (routed, no NAT)" % address)):
            v = gbps[name]
            report.out("  %-52s %6.2f Gbit/s  (%.2f … %.2f)  %d" % (label, statistics.median(v), min(v), max(v),
                                                                   len(v)))
        report.ratio("4. throughput: DNAT / direct",
                     statistics.median(gbps["dnat"]) / statistics.median(gbps["direct"]))
        report.data["throughput_gbps"] = gbps
        report.out("  (part 4 took %.0f s)" % (time.monotonic() - t_phase))

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
        with open(os.path.join(opts.results, "world.json"), "w") as f:
            json.dump(report.data, f, indent=1)
        with open(os.path.join(opts.results, "world-table.txt"), "w") as f:
            f.write("\n".join(report.lines) + "\n")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "world.gp")
        subprocess.run(["gnuplot", "-e", "datafile='%s'; outfile='%s'; count=%d" % (
            os.path.join(opts.results, "world-scale.dat"), os.path.join(opts.results, "world-scale.png"), count),
            script], check=False)
    finally:
        if floor:
            floor.close()
        work.cleanup()


if __name__ == "__main__":
    main()
