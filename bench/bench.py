#!/usr/bin/python3
"""The hookwire benchmark driver. bench/run.sh starts it inside a throwaway network
and mount namespace; it never touches the host's own network.

Every timed item is a whole process (posix_spawn .. wait4, CLOCK_MONOTONIC), except
the in-process floor, which hookwire-bench-floor times itself around the call.
Comparisons are interleaved: each round runs every contender once, in a shuffled
order, each on a fresh netns made outside the timed part.
"""

import argparse
import ctypes
import gc
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

MS_BIND = 4096
MNT_DETACH = 2
LIBC = ctypes.CDLL(None, use_errno=True)
CNI_PATH = "/usr/lib/cni"
HOLDER = None  # hookwire-bench-netns-holder, set in main()
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}

# The workloads, by mode.
MODES = {
    "quick": {"rounds": 10, "scale": 50, "edge": 10, "batches": 1, "memory": 1, "disk": False},
    "full": {"rounds": 120, "scale": 1000, "edge": 50, "batches": 3, "memory": 3, "disk": True},
}
CONCURRENCY = 64


def die(message):
    print("bench: " + message, file=sys.stderr)
    sys.exit(1)


def libc_check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


def hookwire_link_name(container_id, index=0):
    """hookwire's host end name for a container (wire.cpp host_link_name)."""
    key = container_id + ("#%d" % index if index else "")
    h = 0xCBF29CE484222325
    for byte in key.encode():
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "hw%013x" % (h & 0xFFFFFFFFFFFFF)


def link_exists(name):
    try:
        socket.if_nametoindex(name)
        return True
    except OSError:
        return False


def wait_links_gone(names, timeout=120.0):
    """Waits until the kernel has destroyed these links (with their netns)."""
    deadline = time.monotonic() + timeout
    pending = [n for n in names if n]
    while pending:
        pending = [n for n in pending if link_exists(n)]
        if not pending:
            return
        if time.monotonic() > deadline:
            die("links still there after %.0fs: %s" % (timeout, " ".join(pending[:5])))
        time.sleep(0.0005 if len(pending) < 4 else 0.01)


class Run:
    """One timed piece of work."""

    __slots__ = ("ns", "rc", "rss_kb", "err", "parts")

    def __init__(self, ns, rc, rss_kb=None, err=""):
        self.ns, self.rc, self.rss_kb, self.err = ns, rc, rss_kb, err
        self.parts = []


class Container:
    """A fresh network namespace, held by a sleeping process and, for CNI, also by a
    bind mount (as `ip netns add` would make it). Made outside any timed part."""

    def __init__(self, work, cid, bind=False):
        self.id = cid
        self.work = work
        r, w = os.pipe()
        try:
            pid = os.posix_spawn(HOLDER, [HOLDER], ENV, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, w, 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
        finally:
            os.close(w)
        ok = os.read(r, 1)
        os.close(r)
        if ok != b"k":
            die("could not make a netns")
        self.pid = pid
        self.mount = None
        if bind:
            self.mount = os.path.join(work.netns_dir, cid)
            open(self.mount, "w").close()
            libc_check(LIBC.mount(("/proc/%d/ns/net" % pid).encode(), self.mount.encode(), None, MS_BIND, None),
                       "bind-mount netns")
        self.host_links = []
        self.state_wire = self.state_stop = None
        self.alive = True
        work.containers.add(self)

    @property
    def netns_path(self):
        return self.mount or "/proc/%d/ns/net" % self.pid

    def destroy(self):
        """The container goes: its process exits and its netns bind mount goes."""
        if not self.alive:
            return
        if self.mount:
            LIBC.umount2(self.mount.encode(), MNT_DETACH)
            os.unlink(self.mount)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.alive = False
        self.work.containers.discard(self)


class Work:
    """The scratch space of one benchmark run."""

    def __init__(self):
        # Everything on a private tmpfs, as /run is on most hosts: state dirs, the
        # CNI dataDir, netns bind mounts. `disk` is on the root filesystem, for the
        # runs that show what a disk-backed state dir costs.
        self.root = tempfile.mkdtemp(prefix="hookwire-bench.")
        libc_check(LIBC.mount(b"tmpfs", self.root.encode(), b"tmpfs", 0, b"mode=0755"), "mount tmpfs")
        self.disk = tempfile.mkdtemp(prefix="hookwire-bench-disk.", dir="/var/tmp")
        self.disk_fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "--target", self.disk],
                                      capture_output=True, text=True, check=False).stdout.strip() or "disk"
        self.netns_dir = os.path.join(self.root, "netns")
        os.mkdir(self.netns_dir)
        self.bundle = os.path.join(self.root, "bundle")
        os.mkdir(self.bundle)
        self.config_dir = os.path.join(self.root, "networks")  # empty: the built-in default profile
        os.mkdir(self.config_dir, 0o755)
        self.stderr = os.path.join(self.root, "stderr")
        self.counter = 0
        self.containers = set()

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def file(self, name, content):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(content)
        return path

    def unique(self, prefix):
        self.counter += 1
        return "%s%06d" % (prefix, self.counter)

    def cleanup(self):
        for c in list(self.containers):
            c.destroy()
        for mount in os.listdir(self.netns_dir):
            LIBC.umount2(os.path.join(self.netns_dir, mount).encode(), MNT_DETACH)
        LIBC.umount2(self.root.encode(), MNT_DETACH)
        subprocess.run(["rm", "-rf", self.root, self.disk], check=False)


def spawn(argv, stdin_path, env, stdout_path=os.devnull, stderr_path=os.devnull):
    fds = [os.open(stdin_path, os.O_RDONLY),
           os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
           os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
    actions = [(os.POSIX_SPAWN_DUP2, fd, n) for n, fd in enumerate(fds)]
    return fds, actions


def run(argv, stdin_path, env, stdout_path=os.devnull, stderr_path=None):
    """Runs one process and times it, from just before posix_spawn to just after wait4."""
    err_path = stderr_path or os.devnull
    fds, actions = spawn(argv, stdin_path, env, stdout_path, err_path)
    t0 = time.monotonic_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    t1 = time.monotonic_ns()
    for fd in fds:
        os.close(fd)
    rc = os.waitstatus_to_exitcode(status)
    err = ""
    if rc != 0 and stderr_path:
        with open(stderr_path, errors="replace") as f:
            err = f.read().strip()
    return Run(t1 - t0, rc, usage.ru_maxrss, err)


def state_json(cid, pid, status, bundle):
    state = {"ociVersion": "1.0.2-dev", "id": cid, "status": status}
    if pid:
        state["pid"] = pid
    state.update({"bundle": bundle, "annotations": {}})
    return json.dumps(state, separators=(",", ":"))


# ---------------------------------------------------------------------------
# The contenders. Each wires a Container and unwires it again.


class HookSide:
    """hookwire's create-runtime and poststop binaries, as a runtime runs them."""

    def __init__(self, work, label, create, poststop, state_root=None):
        self.work, self.label = work, label
        self.create, self.poststop = create, poststop
        self.state_dir = os.path.join(state_root or work.root, "state-" + label)
        self.args = ["--state-dir", self.state_dir, "--config-dir", work.config_dir]
        self.bind = False

    def prepare(self, c):
        c.state_wire = self.work.file(c.id + ".wire", state_json(c.id, c.pid, "creating", self.work.bundle))
        c.state_stop = self.work.file(c.id + ".stop", state_json(c.id, None, "stopped", self.work.bundle))
        c.host_links = [hookwire_link_name(c.id)]

    def argv_wire(self):
        return [self.create] + self.args

    def wire(self, c):
        return run(self.argv_wire(), c.state_wire, ENV, stderr_path=self.work.stderr)

    def unwire(self, c):
        return run([self.poststop] + self.args, c.state_stop, ENV, stderr_path=self.work.stderr)

    def leftovers(self):
        leases = 0
        ipam = os.path.join(self.state_dir, "ipam")
        if os.path.isdir(ipam):
            for pool in os.listdir(ipam):
                leases += sum(1 for n in os.listdir(os.path.join(ipam, pool)) if not n.startswith("."))
        ledger = os.path.join(self.state_dir, "ledger")
        records = 0
        if os.path.isdir(ledger):
            records = sum(1 for n in os.listdir(ledger) if n.endswith(".json") and not n.startswith("."))
        links = sum(1 for n in socket.if_nameindex() if n[1].startswith("hw"))
        return {"links": links, "leases": leases, "records": records}


class CniSide:
    """The CNI reference plugins as a runtime runs them for one container: bridge ADD
    (which runs host-local), then loopback ADD; DEL the same way."""

    def __init__(self, work, label="cni", data_root=None):
        self.work, self.label = work, label
        self.bind = True
        self.data_dir = os.path.join(data_root or work.root, label + "-ipam")
        self.bridge_conf = work.file(label + "-bridge.json", json.dumps({
            "cniVersion": "1.0.0", "name": "bench", "type": "bridge", "bridge": "cni-bench0",
            "isGateway": True, "ipMasq": False,
            "ipam": {"type": "host-local",
                     "ranges": [[{"subnet": "10.213.0.0/16", "gateway": "10.213.0.1"}],
                                [{"subnet": "fd00:213::/64", "gateway": "fd00:213::1"}]],
                     "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}],
                     "dataDir": self.data_dir}}))
        self.lo_conf = work.file(label + "-lo.json", json.dumps({"cniVersion": "1.0.0", "name": "lo", "type": "loopback"}))

    def env(self, c, command, ifname):
        env = dict(ENV)
        env.update({"CNI_COMMAND": command, "CNI_CONTAINERID": c.id, "CNI_NETNS": c.netns_path,
                    "CNI_IFNAME": ifname, "CNI_PATH": CNI_PATH})
        return env

    def prepare(self, c):
        c.cni_out = self.work.path(c.id + ".cni")
        c.host_links = []

    def steps(self, c, command):
        return [([CNI_PATH + "/bridge"], self.bridge_conf, self.env(c, command, "eth0"), c.cni_out),
                ([CNI_PATH + "/loopback"], self.lo_conf, self.env(c, command, "lo"), os.devnull)]

    def _run_steps(self, c, command):
        total, rc, rss, err, parts = 0, 0, 0, "", []
        for argv, conf, env, out in self.steps(c, command):
            r = run(argv, conf, env, out if command == "ADD" else os.devnull, self.work.stderr)
            total += r.ns
            parts.append(r)
            rss = max(rss, r.rss_kb)
            if r.rc != 0 and rc == 0:
                rc, err = r.rc, r.err
        result = Run(total, rc, rss, err)
        result.parts = parts
        return result

    def wire(self, c):
        r = self._run_steps(c, "ADD")
        if r.rc == 0:
            self.note_links(c)
        return r

    def note_links(self, c):
        try:
            with open(c.cni_out) as f:
                result = json.load(f)
            c.host_links = [i["name"] for i in result.get("interfaces", [])
                            if "sandbox" not in i and i["name"] != "cni-bench0"]
        except (OSError, ValueError, KeyError):
            c.host_links = []

    def unwire(self, c):
        return self._run_steps(c, "DEL")

    def leftovers(self):
        leases = 0
        net = os.path.join(self.data_dir, "bench")
        if os.path.isdir(net):
            leases = sum(1 for n in os.listdir(net) if n != "lock" and not n.startswith("last_reserved_ip"))
        links = sum(1 for n in socket.if_nameindex() if n[1].startswith("veth"))
        return {"links": links, "leases": leases, "records": None}


class FloorServer:
    """hookwire-bench-floor, kept running: in-process hook_main and netlink wiring."""

    def __init__(self, work, binary):
        self.err = open(work.path("floor.stderr"), "w")
        self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True, bufsize=1)

    def ask_raw(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().split()
        if len(answer) < 2:
            die("floor server died; see its stderr")
        return answer

    def ask(self, line):
        answer = self.ask_raw(line)
        return Run(int(answer[1]), int(answer[0]))

    def close(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait()
        self.err.close()


class InprocSide(HookSide):
    """hook_main called in a running process: the hook minus process start."""

    def __init__(self, work, floor):
        super().__init__(work, "inproc", None, None)
        self.floor = floor

    def wire(self, c):
        return self.floor.ask("hook create-runtime %s %s" % (c.state_wire, " ".join(self.args)))

    def unwire(self, c):
        return self.floor.ask("hook poststop %s %s" % (c.state_stop, " ".join(self.args)))


class NetlinkSide:
    """Only the netlink requests of the wiring, in process: the kernel's share.
    verb "netlink-nodad": a prototype with fewer requests (see floor.cpp)."""

    bind = False

    def __init__(self, work, floor, verb="netlink"):
        self.work, self.floor, self.verb = work, floor, verb
        self.label = verb

    def prepare(self, c):
        c.host_links = ["hf" + c.id[-12:]]

    def wire(self, c):
        return self.floor.ask("%s %d %s" % (self.verb, c.pid, c.host_links[0]))

    unwire = None


class TrueSide:
    """fork+exec of /bin/true, spawned and timed exactly as the hooks are."""

    label = "true"
    bind = False

    def __init__(self, work):
        self.work = work

    def prepare(self, c):
        c.state_wire = self.work.file(c.id + ".wire", state_json(c.id, c.pid, "creating", self.work.bundle))
        c.host_links = []

    def wire(self, c):
        return run(["/bin/true"], c.state_wire, ENV, stderr_path=self.work.stderr)

    unwire = None


# ---------------------------------------------------------------------------
# Statistics and reporting.


class Series:
    def __init__(self):
        self.samples = []
        self.by_round = {}  # round -> ms, for ratios paired within a round
        self.failures = 0
        self.errors = []
        self.rss = []

    def add(self, r, round_no=None):
        if r is None:
            return
        if r.rc != 0:
            self.failures += 1
            if len(self.errors) < 3:
                self.errors.append("exit %d: %s" % (r.rc, r.err[-300:]))
            return
        self.samples.append(r.ns / 1e6)
        if round_no is not None:
            self.by_round[round_no] = r.ns / 1e6
        if r.rss_kb:
            self.rss.append(r.rss_kb)

    def median(self):
        return statistics.median(self.samples) if self.samples else float("nan")

    def summary(self):
        s = self.samples
        if not s:
            return {"n": 0, "failures": self.failures}
        return {"median_ms": round(statistics.median(s), 3), "min_ms": round(min(s), 3),
                "max_ms": round(max(s), 3), "n": len(s), "failures": self.failures}


def fmt(series):
    s = series.samples
    if not s:
        return "%10s  %-20s %4d" % ("-", "(no samples)", 0)
    return "%7.2f ms  (%6.2f … %7.2f)  %5d" % (statistics.median(s), min(s), max(s), len(s))


class Report:
    def __init__(self, mode):
        self.mode = mode
        self.lines = []
        self.targets = []
        self.data = {"mode": mode}

    def out(self, line=""):
        print(line, flush=True)
        self.lines.append(line)

    def section(self, title):
        self.out()
        self.out(title)
        self.out("  %-52s %10s  %-19s %6s" % ("", "median", "(min … max)", "n"))

    def row(self, label, series):
        extra = "   FAILURES: %d" % series.failures if series.failures else ""
        self.out("  %-52s %s%s" % (label, fmt(series), extra))
        for e in series.errors:
            self.out("      " + e.replace("\n", " | ")[:200])

    def ratio(self, label, value, target=None, at_least=True, paired=None):
        """paired: (numerator Series, denominator Series): the per-round ratios too."""
        verdict = ""
        spread = ""
        if paired:
            num, den = paired
            rs = [num.by_round[k] / den.by_round[k] for k in num.by_round if k in den.by_round]
            if rs:
                spread = "  per round %.2f (%.2f … %.2f)" % (statistics.median(rs), min(rs), max(rs))
                self.data.setdefault("paired_ratios", {})[label] = {
                    "median": round(statistics.median(rs), 3), "min": round(min(rs), 3),
                    "max": round(max(rs), 3), "n": len(rs)}
        if target is not None:
            met = value >= target if at_least else value <= target
            verdict = "  target %s %.2g: %s" % ("≥" if at_least else "≤", target, "met" if met else "MISSED")
            self.targets.append((label, value, target, met))
        self.out("  %-52s %7.2f×%s%s" % (label, value, verdict, spread))

    def check(self, label, value, want, ok):
        self.targets.append((label, value, want, ok))
        self.out("  %-52s %7s   target %s: %s" % (label, value, want, "met" if ok else "MISSED"))


# ---------------------------------------------------------------------------
# The benchmarks.


def latency(work, report, sides, rounds):
    """1, 2, 3: wire, unwire (netns gone / present), floors; all interleaved."""
    wire = {s.label: Series() for s in sides}
    gone = {s.label: Series() for s in sides if s.unwire}
    present = {s.label: Series() for s in sides if s.unwire}
    cni_parts = {"bridge ADD": Series(), "loopback ADD": Series(), "bridge DEL gone": Series(),
                 "loopback DEL gone": Series(), "bridge DEL present": Series(), "loopback DEL present": Series()}
    rng = random.Random(7)
    order = list(sides)
    # One warm-up round, not counted: the bridges get made, the page cache warms.
    for i in range(rounds + 1):
        case_gone = i % 2 == 0
        rng.shuffle(order)
        for side in order:
            c = Container(work, work.unique("l" + side.label[:3]), side.bind)
            side.prepare(c)
            w = side.wire(c)
            u = None
            if side.unwire:
                if case_gone:
                    c.destroy()
                    wait_links_gone(c.host_links)
                u = side.unwire(c)
            c.destroy()
            wait_links_gone(c.host_links)
            if i == 0:
                if w.rc != 0 or (u and u.rc != 0):
                    die("warm-up of %s failed: %s %s" % (side.label, w.err, u.err if u else ""))
                continue
            wire[side.label].add(w, i)
            if u:
                (gone if case_gone else present)[side.label].add(u, i)
            if side.label == "cni" and w.parts:
                if w.rc == 0:
                    cni_parts["bridge ADD"].add(w.parts[0])
                    cni_parts["loopback ADD"].add(w.parts[1])
                if u and u.rc == 0:
                    case = "gone" if case_gone else "present"
                    cni_parts["bridge DEL " + case].add(u.parts[0])
                    cni_parts["loopback DEL " + case].add(u.parts[1])
    return wire, gone, present, cni_parts


def scale(work, report, hook, cni, probes, count):
    """4: COUNT containers per side, wired one after another, interleaved; then all unwired.
    Every PROBE_EVERY containers, controls that show what the kernel and the machine
    do as the count grows: fork+exec of /bin/true, and the netlink requests of the
    wiring done in process onto the same, filling bridge (on a netns destroyed
    right after, so the bridge never holds more than COUNT + 1 ports)."""
    sides = [hook, cni]
    per = {s.label: [] for s in sides}
    containers = {s.label: [] for s in sides}
    failures = {s.label: 0 for s in sides}
    controls = {p.label: [] for p in probes}  # (container index, ms)
    controls["softirq"] = []  # (container index, % of CPU time in irq+softirq since the last probe)
    probe_every = max(5, count // 100)
    rng = random.Random(11)
    cpu_last = cpu_times()
    for i in range(count):
        if i % probe_every == 0:
            cpu_now = cpu_times()
            total = sum(cpu_now) - sum(cpu_last)
            if total > 0:
                controls["softirq"].append((i, 100.0 * (cpu_now[5] + cpu_now[6] - cpu_last[5] - cpu_last[6]) / total))
            cpu_last = cpu_now
            for side in probes:
                c = Container(work, work.unique("sprobe"))
                side.prepare(c)
                r = side.wire(c)
                c.destroy()
                wait_links_gone(c.host_links)
                if r.rc == 0:
                    controls[side.label].append((i, r.ns / 1e6))
                if side.unwire:  # the in-process hook: its lease and record go again
                    side.unwire(c)
        order = list(sides)
        rng.shuffle(order)
        for side in order:
            c = Container(work, work.unique("s" + side.label[:3]), side.bind)
            side.prepare(c)
            r = side.wire(c)
            if r.rc != 0:
                failures[side.label] += 1
                print("  scale: %s wire %d failed: %s" % (side.label, i, r.err[-200:]), file=sys.stderr)
            per[side.label].append(r.ns / 1e6 if r.rc == 0 else float("nan"))
            containers[side.label].append(c)
    # Every container goes, and the kernel finishes destroying their netns, before
    # the unwiring is timed: poststop's usual case.
    for side in sides:
        for c in containers[side.label]:
            c.destroy()
    for side in sides:
        wait_links_gone([n for c in containers[side.label] for n in c.host_links], timeout=600)
    unwire = {s.label: [] for s in sides}
    for i in range(count):
        order = list(sides)
        rng.shuffle(order)
        for side in order:
            c = containers[side.label][i]
            r = side.unwire(c)
            if r.rc != 0:
                failures[side.label] += 1
                print("  scale: %s unwire %d failed: %s" % (side.label, i, r.err[-200:]), file=sys.stderr)
            unwire[side.label].append(r.ns / 1e6 if r.rc == 0 else float("nan"))
    left = {s.label: s.leftovers() for s in sides}
    return per, unwire, left, failures, controls


def cpu_times():
    """The first line of /proc/stat: user nice system idle iowait irq softirq steal ..."""
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:]]


def addresses_of(floor, c):
    """The global addresses of eth0 in the container, and whether lo is up."""
    answer = floor.ask_raw("addrs " + c.netns_path)
    return answer[3:], answer[2] == "1"


def concurrency(work, floor, hook, cni, batches):
    """5: CONCURRENCY wirings started at once, per side, interleaved batches."""
    results = {s.label: {"wall": Series(), "failures": 0, "duplicates": 0, "incomplete": 0}
               for s in (hook, cni)}
    for b in range(batches):
        order = [hook, cni] if b % 2 == 0 else [cni, hook]
        for side in order:
            cs = []
            for _ in range(CONCURRENCY):
                c = Container(work, work.unique("c" + side.label[:3]), side.bind)
                side.prepare(c)
                cs.append(c)
            failures = 0
            if side is hook:
                launches = [(side.argv_wire(), c.state_wire, ENV, os.devnull) for c in cs]
            else:
                launches = [side.steps(c, "ADD")[0] for c in cs]
            opened = []
            pending = {}
            gc.disable()
            t0 = time.monotonic_ns()
            for k, (argv, stdin, env, out) in enumerate(launches):
                fds, actions = spawn(argv, stdin, env, out, work.path("conc-%d.err" % k))
                pending[os.posix_spawn(argv[0], argv, env, file_actions=actions)] = (k, 0)
                opened += fds
            while pending:
                pid, status, _ = os.wait4(-1, 0)
                if pid not in pending:
                    continue
                k, step = pending.pop(pid)
                if os.waitstatus_to_exitcode(status) != 0:
                    failures += 1
                    continue
                if side is cni and step == 0:  # then its loopback ADD
                    argv, stdin, env, out = side.steps(cs[k], "ADD")[1]
                    fds, actions = spawn(argv, stdin, env, out, work.path("conc-lo-%d.err" % k))
                    pending[os.posix_spawn(argv[0], argv, env, file_actions=actions)] = (k, 1)
                    opened += fds
            t1 = time.monotonic_ns()
            gc.enable()
            for fd in opened:
                os.close(fd)
            seen, dup, incomplete = {}, 0, 0
            for c in cs:
                addrs, lo_up = addresses_of(floor, c)
                if len(addrs) != 2 or not lo_up:
                    incomplete += 1
                for a in addrs:
                    if a in seen:
                        dup += 1
                    seen[a] = c.id
            r = results[side.label]
            r["wall"].add(Run(t1 - t0, 0))
            r["failures"] += failures
            r["duplicates"] += dup
            r["incomplete"] += incomplete
            # Clean up outside the timing, and check that it leaves nothing.
            if side is cni:
                for c in cs:
                    side.note_links(c)
            for c in cs:
                c.destroy()
            wait_links_gone([n for c in cs for n in c.host_links], timeout=300)
            for c in cs:
                u = side.unwire(c)
                if u.rc != 0:
                    r["failures"] += 1
    return results


def memory(work, hook_dir, cni, variant_bins, rounds):
    """6: peak RSS of every hook binary, by GNU time (%M, from wait4's ru_maxrss).
    Not by our own wait4: a child spawned from Python carries Python's RSS until it
    execs, and ru_maxrss keeps that high-water mark; time(1) is a small parent."""
    state_dir = work.path("state-memory")
    args = ["--state-dir", state_dir, "--config-dir", work.config_dir]
    rss = {}
    out = work.path("time.out")

    def peak(name, argv, stdin, env=ENV):
        r = run(["/usr/bin/time", "-f", "%M", "-o", out] + argv, stdin, env, stderr_path=work.stderr)
        if r.rc != 0:
            print("  memory: %s failed: %s" % (name, r.err[-200:]), file=sys.stderr)
            rss.setdefault(name, [])
            return
        with open(out) as f:
            rss.setdefault(name, []).append(int(f.read().split()[-1]))

    hook = lambda name: os.path.join(hook_dir, "hookwire-" + name)
    for _ in range(rounds):
        peak("/bin/true (baseline: time's own child)", ["/bin/true"], os.devnull)
        for wire_stage in ("create-runtime", "prestart"):
            c = Container(work, work.unique("m"))
            wire_state = work.file(c.id + ".wire", state_json(c.id, c.pid, "creating", work.bundle))
            peak("hookwire-" + wire_stage, [hook(wire_stage)] + args, wire_state)
            inner = work.file(c.id + ".inner", state_json(c.id, 1, "creating", work.bundle))
            peak("hookwire-create-container", [hook("create-container")] + args, inner)
            started = work.file(c.id + ".start", state_json(c.id, 1, "created", work.bundle))
            peak("hookwire-start-container (nsenter, exec)",
                 ["/usr/bin/nsenter", "--net=/proc/%d/ns/net" % c.pid, hook("start-container"), "--timeout", "5"],
                 started)
            running = work.file(c.id + ".run", state_json(c.id, c.pid, "running", work.bundle))
            peak("hookwire-poststart", [hook("poststart")] + args, running)
            c.destroy()
            wait_links_gone([hookwire_link_name(c.id)])
            stop = work.file(c.id + ".stop", state_json(c.id, None, "stopped", work.bundle))
            peak("hookwire-poststop", [hook("poststop")] + args, stop)
        for name, create, poststop in variant_bins:
            c = Container(work, work.unique("m"))
            wire_state = work.file(c.id + ".wire", state_json(c.id, c.pid, "creating", work.bundle))
            peak(name % "create-runtime", [create] + args, wire_state)
            c.destroy()
            wait_links_gone([hookwire_link_name(c.id)])
            stop = work.file(c.id + ".stop", state_json(c.id, None, "stopped", work.bundle))
            peak(name % "poststop", [poststop] + args, stop)
        c = Container(work, work.unique("m"), bind=True)
        cni.prepare(c)
        (argv, conf, env, _), (lo_argv, lo_conf, lo_env, _) = cni.steps(c, "ADD")
        peak("CNI bridge ADD (its host-local child included)", argv, conf, env)
        peak("CNI loopback ADD", lo_argv, lo_conf, lo_env)
        c.destroy()
        (argv, conf, env, _), _ = cni.steps(c, "DEL")
        peak("CNI bridge DEL", argv, conf, env)
    return rss


def machine():
    def cmd(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "?"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "memory_mib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20),
        "runc": cmd(["dpkg-query", "-W", "-f=${Version}", "runc"]),
        "cni_plugins": cmd(["dpkg-query", "-W", "-f=${Version}", "containernetworking-plugins"]),
        "gcc": cmd(["dpkg-query", "-W", "-f=${Version}", "g++-12"]),
        "python": platform.python_version(),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", required=True)
    parser.add_argument("--mode", choices=MODES, default="full")
    parser.add_argument("--results", required=True, help="directory for results.json, scale.dat, scale.png")
    parser.add_argument("--no-variants", action="store_true", help="skip the static link experiments")
    parser.add_argument("--no-disk", action="store_true", help="skip the state-dir-on-disk contenders")
    opts = parser.parse_args()
    cfg = MODES[opts.mode]
    started = time.monotonic()
    os.makedirs(opts.results, exist_ok=True)
    try:
        os.nice(-20)  # the machine may be busy; our children inherit it
    except OSError:
        pass

    report = Report(opts.mode)
    info = machine()
    report.data["machine"] = info
    work = Work()
    floor = None
    try:
        hooks = os.path.join(opts.build, "hooks")
        benchdir = os.path.join(opts.build, "bench")
        global HOLDER
        HOLDER = os.path.join(benchdir, "hookwire-bench-netns-holder")
        shipped = HookSide(work, "hookwire", hooks + "/hookwire-create-runtime", hooks + "/hookwire-poststop")
        cni = CniSide(work)
        floor = FloorServer(work, benchdir + "/hookwire-bench-floor")
        inproc = InprocSide(work, floor)
        sides = [shipped, cni, inproc, NetlinkSide(work, floor), NetlinkSide(work, floor, "netlink-nodad"),
                 TrueSide(work)]
        variants = []
        if not opts.no_variants:
            for v in ("dynamic", "libstatic"):
                variants.append(HookSide(work, "hookwire-" + v, benchdir + "/hookwire-create-runtime-" + v,
                                         benchdir + "/hookwire-poststop-" + v))
        sides += variants
        disk = []
        if cfg["disk"] and not opts.no_disk:
            disk = [HookSide(work, "hookwire-disk", hooks + "/hookwire-create-runtime", hooks + "/hookwire-poststop",
                             state_root=work.disk),
                    CniSide(work, "cni-disk", data_root=work.disk)]
        sides += disk

        report.out("hookwire benchmarks, %s mode: %d CPUs, %s, kernel %s, load %s" %
                   (opts.mode, info["nproc"], info["cpu"], info["kernel"], " ".join(info["loadavg_start"])))
        report.out("every figure: median (min … max) over n runs, whole processes unless marked in-process;")
        report.out("all contenders interleaved in one loop, each on a fresh netns made outside the timing")

        gc.disable()
        t_phase = time.monotonic()
        wire, gone, present, cni_parts = latency(work, report, sides, cfg["rounds"])
        gc.enable()
        took_latency = time.monotonic() - t_phase
        labels = {
            "hookwire": "hookwire-create-runtime",
            "cni": "CNI bridge+host-local ADD, loopback ADD",
            "inproc": "in-process hook_main (no process start)",
            "netlink": "in-process netlink requests only",
            "netlink-nodad": "prototype: fewer requests, one batch",
            "true": "fork+exec /bin/true",
            "hookwire-dynamic": "create-runtime linked dynamically (until d7af3b9)",
            "hookwire-libstatic": "create-runtime, static but for glibc",
            "hookwire-disk": "create-runtime, state dir on %s" % work.disk_fs,
            "cni-disk": "CNI ADD, dataDir on %s" % work.disk_fs,
        }
        report.section("1. wire a fresh netns (veth, bridge, IPv4+IPv6, default routes, lo)")
        for s in sides:
            report.row(labels[s.label], wire[s.label])
        for name in ("bridge ADD", "loopback ADD"):
            report.row("  of which CNI " + name, cni_parts[name])
        m = {k: v.median() for k, v in wire.items()}
        report.ratio("1. wire: CNI / hookwire", m["cni"] / m["hookwire"], 3.0,
                     paired=(wire["cni"], wire["hookwire"]))
        floor_sum = m["true"] + m["inproc"]
        report.out("  %-52s %7.2f ms" % ("floor: fork+exec + in-process hook_main", floor_sum))
        report.ratio("1. wire: hookwire / floor", m["hookwire"] / floor_sum, 2.0, at_least=False)
        report.out("  %-52s %7.2f ms" % ("hookwire minus floor (process start overhead)", m["hookwire"] - floor_sum))
        for v in variants:
            report.ratio("ratio CNI / " + v.label, m["cni"] / m[v.label], paired=(wire["cni"], wire[v.label]))
            report.ratio("ratio %s / floor" % v.label, m[v.label] / floor_sum)
            report.ratio("ratio %s / hookwire" % v.label, m[v.label] / m["hookwire"],
                         paired=(wire[v.label], wire["hookwire"]))
        if disk:
            report.ratio("ratio CNI / hookwire, both on %s" % work.disk_fs, m["cni-disk"] / m["hookwire-disk"],
                         paired=(wire["cni-disk"], wire["hookwire-disk"]))
            report.ratio("ratio hookwire on %s / on tmpfs" % work.disk_fs, m["hookwire-disk"] / m["hookwire"],
                         paired=(wire["hookwire-disk"], wire["hookwire"]))

        for title, data, case in (("2a. unwire, netns already gone", gone, "gone"),
                                  ("2b. unwire, netns still present", present, "present")):
            report.section(title)
            for s in sides:
                if s.unwire:
                    label = {"hookwire": "hookwire-poststop", "cni": "CNI bridge DEL, loopback DEL",
                             "inproc": "in-process hook_main (no process start)",
                             "hookwire-dynamic": "poststop linked dynamically (until d7af3b9)",
                             "hookwire-libstatic": "poststop, static but for glibc",
                             "hookwire-disk": "poststop, state dir on %s" % work.disk_fs,
                             "cni-disk": "CNI DEL, dataDir on %s" % work.disk_fs}[s.label]
                    report.row(label, data[s.label])
            for name in ("bridge DEL " + case, "loopback DEL " + case):
                report.row("  of which CNI " + name.rsplit(" ", 1)[0], cni_parts[name])
            mm = {k: v.median() for k, v in data.items()}
            report.ratio("2. unwire (netns %s): CNI / hookwire" % case, mm["cni"] / mm["hookwire"],
                         5.0 if case == "gone" else None, paired=(data["cni"], data["hookwire"]))
            report.out("  %-52s %7.2f ms" % ("floor: fork+exec + in-process hook_main", m["true"] + mm["inproc"]))
            report.ratio("ratio hookwire / floor", mm["hookwire"] / (m["true"] + mm["inproc"]))
            for v in variants:
                report.ratio("ratio CNI / " + v.label, mm["cni"] / mm[v.label], paired=(data["cni"], data[v.label]))
                report.ratio("ratio %s / hookwire" % v.label, mm[v.label] / mm["hookwire"],
                             paired=(data[v.label], data["hookwire"]))
            if disk:
                report.ratio("ratio CNI / hookwire, both on %s" % work.disk_fs, mm["cni-disk"] / mm["hookwire-disk"],
                             paired=(data["cni-disk"], data["hookwire-disk"]))
            report.data["unwire_" + case] = {k: v.summary() for k, v in data.items()}
        report.out("  (parts 1-3 took %.0f s)" % took_latency)
        report.data["wire"] = {k: v.summary() for k, v in wire.items()}
        report.data["cni_parts"] = {k: v.summary() for k, v in cni_parts.items()}

        count, edge = cfg["scale"], cfg["edge"]
        # hook_main in process on the shipped hook's own state dir, which fills up
        # as the scale run goes: hookwire's code without the process start.
        scale_inproc = InprocSide(work, floor)
        scale_inproc.label = "inproc-scale"
        scale_inproc.state_dir = shipped.state_dir
        scale_inproc.args = list(shipped.args)
        t_scale = time.monotonic()
        per, unwire, left, scale_failures, controls = scale(
            work, report, shipped, cni,
            [s for s in sides if s.label in ("true", "netlink", "netlink-nodad")] + [scale_inproc], count)
        report.section("4. scale: %d containers per side onto one bridge, one after another (interleaved)" % count)
        scale_data = {}
        for label, name in (("hookwire", "hookwire"), ("cni", "CNI")):
            first, last = Series(), Series()
            for v in per[label][:edge]:
                first.add(Run(int(v * 1e6), 0) if v == v else Run(0, 1))
            for v in per[label][-edge:]:
                last.add(Run(int(v * 1e6), 0) if v == v else Run(0, 1))
            allw, allu = Series(), Series()
            for v in per[label]:
                allw.add(Run(int(v * 1e6), 0) if v == v else Run(0, 1))
            for v in unwire[label]:
                allu.add(Run(int(v * 1e6), 0) if v == v else Run(0, 1))
            report.row("%s wire, first %d" % (name, edge), first)
            report.row("%s wire, last %d" % (name, edge), last)
            report.row("%s wire, all %d" % (name, count), allw)
            report.row("%s unwire (netns gone), all %d" % (name, count), allu)
            growth = last.median() / first.median()
            report.ratio("4. %s last %d / first %d" % (name, edge, edge), growth,
                         1.3 if label == "hookwire" else None, at_least=False)
            lo = left[label]
            report.out("  %-52s links %d, leases %d, records %s; failures %d" %
                       (name + " left after unwiring all", lo["links"], lo["leases"],
                        "-" if lo["records"] is None else lo["records"], scale_failures[label]))
            scale_data[label] = {"first": first.summary(), "last": last.summary(), "all_wire": allw.summary(),
                                 "all_unwire": allu.summary(), "growth": round(growth, 3), "left": lo,
                                 "failures": scale_failures[label]}
        for label, name in (("true", "control: fork+exec /bin/true"),
                            ("inproc-scale", "control: in-process hook_main, same state dir"),
                            ("netlink", "control: in-process netlink wiring"),
                            ("netlink-nodad", "control: prototype, fewer requests")):
            first = Series()
            last = Series()
            for i, v in controls[label]:
                if i < edge:
                    first.add(Run(int(v * 1e6), 0))
                elif i >= count - edge:
                    last.add(Run(int(v * 1e6), 0))
            report.row("%s, first %d" % (name, edge), first)
            report.row("%s, last %d" % (name, edge), last)
            if first.samples and last.samples:
                report.ratio("%s last / first" % label, last.median() / first.median())
            scale_data["control_" + label] = {"first": first.summary(), "last": last.summary()}
        soft_first = [v for i, v in controls["softirq"] if i < edge]
        soft_last = [v for i, v in controls["softirq"] if i >= count - edge]
        if soft_first and soft_last:
            report.out("  %-52s %6.1f %% -> %5.1f %%" % ("control: CPU time in irq+softirq, first -> last",
                                                       statistics.median(soft_first), statistics.median(soft_last)))
            scale_data["control_softirq_pct"] = {"first": round(statistics.median(soft_first), 2),
                                                 "last": round(statistics.median(soft_last), 2)}
        if controls["netlink"]:
            nl_first = statistics.median([v for i, v in controls["netlink"] if i < edge] or [float("nan")])
            nl_last = statistics.median([v for i, v in controls["netlink"] if i >= count - edge] or [float("nan")])
            h_first = scale_data["hookwire"]["first"].get("median_ms", float("nan"))
            h_last = scale_data["hookwire"]["last"].get("median_ms", float("nan"))
            report.out("  %-52s %7.2f ms -> %7.2f ms" % ("hookwire minus the netlink control, first -> last",
                                                         h_first - nl_first, h_last - nl_last))
        hl = left["hookwire"]
        report.check("4. hookwire leftovers (links+leases+records)", hl["links"] + hl["leases"] + hl["records"], "0",
                     hl["links"] + hl["leases"] + hl["records"] == 0 and scale_failures["hookwire"] == 0)
        report.out("  (scale part took %.0f s)" % (time.monotonic() - t_scale))
        report.data["scale"] = scale_data
        def rolling(values, half):
            out = []
            for i in range(len(values)):
                window = [v for v in values[max(0, i - half):i + half + 1] if v == v]
                out.append(statistics.median(window) if window else float("nan"))
            return out
        smooth = {k: rolling(per[k], 12) for k in ("hookwire", "cni")}
        with open(os.path.join(opts.results, "scale.dat"), "w") as f:
            f.write("# n hookwire_wire_ms cni_wire_ms hookwire_unwire_ms cni_unwire_ms"
                    " hookwire_rolling_median_25 cni_rolling_median_25\n")
            for i in range(count):
                f.write("%d %.4f %.4f %.4f %.4f %.4f %.4f\n" % (
                    i + 1, per["hookwire"][i], per["cni"][i], unwire["hookwire"][i], unwire["cni"][i],
                    smooth["hookwire"][i], smooth["cni"][i]))
        with open(os.path.join(opts.results, "scale-controls.dat"), "w") as f:
            f.write("# n netlink_ms true_ms netlink_nodad_ms inproc_hook_ms, then their rolling medians"
                    " over 5 probes\n")
            trues, nodads = dict(controls["true"]), dict(controls["netlink-nodad"])
            inprocs = dict(controls["inproc-scale"])
            nl_values = [v for _, v in controls["netlink"]]
            true_values = [trues.get(i, float("nan")) for i, _ in controls["netlink"]]
            nodad_values = [nodads.get(i, float("nan")) for i, _ in controls["netlink"]]
            inproc_values = [inprocs.get(i, float("nan")) for i, _ in controls["netlink"]]
            smooth4 = [rolling(v, 2) for v in (nl_values, true_values, nodad_values, inproc_values)]
            for k, (i, v) in enumerate(controls["netlink"]):
                f.write("%d %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f\n" % (
                    i + 1, v, true_values[k], nodad_values[k], inproc_values[k],
                    smooth4[0][k], smooth4[1][k], smooth4[2][k], smooth4[3][k]))
        t_phase = time.monotonic()
        conc = concurrency(work, floor, shipped, cni, cfg["batches"])
        report.section("5. concurrency: %d wirings started at once, %d batch(es) per side, interleaved"
                       % (CONCURRENCY, cfg["batches"]))
        for label, name in (("hookwire", "hookwire-create-runtime x%d" % CONCURRENCY),
                            ("cni", "CNI ADD x%d (bridge, then loopback)" % CONCURRENCY)):
            r = conc[label]
            report.row(name + ", batch wall time", r["wall"])
            report.out("  %-52s failures %d, duplicate addresses %d, incomplete netns %d" %
                       ("", r["failures"], r["duplicates"], r["incomplete"]))
        h = conc["hookwire"]
        report.check("5. hookwire duplicates + failures + incomplete", h["duplicates"] + h["failures"] + h["incomplete"],
                     "0", h["duplicates"] + h["failures"] + h["incomplete"] == 0)
        report.ratio("5. batch wall time: CNI / hookwire", conc["cni"]["wall"].median() / h["wall"].median(), 1.0)
        report.out("  (part 5 took %.0f s)" % (time.monotonic() - t_phase))
        report.data["concurrency"] = {k: {"wall": v["wall"].summary(), "failures": v["failures"],
                                          "duplicates": v["duplicates"], "incomplete": v["incomplete"]}
                                      for k, v in conc.items()}

        variant_bins = [("hookwire-%s-" + v, os.path.join(benchdir, "hookwire-create-runtime-" + v),
                         os.path.join(benchdir, "hookwire-poststop-" + v))
                        for v in ("dynamic", "libstatic")] if not opts.no_variants else []
        t_phase = time.monotonic()
        rss = memory(work, hooks, cni, variant_bins, cfg["memory"])
        took_memory = time.monotonic() - t_phase
        report.out()
        report.out("6. peak RSS (GNU time %M), per binary                    median        max    n")
        worst = 0
        for name, values in rss.items():
            if not values:
                report.out("  %-52s failed" % name)
                continue
            report.out("  %-52s %6.2f MiB %6.2f MiB %3d" % (name, statistics.median(values) / 1024,
                                                            max(values) / 1024, len(values)))
            if name.startswith("hookwire-") and "dynamic" not in name and "libstatic" not in name:
                worst = max(worst, max(values))
        report.check("6. largest peak RSS of a shipped hook", "%.2f MiB" % (worst / 1024), "< 8 MiB",
                     worst < 8 * 1024)
        report.data["rss_kb"] = {k: v for k, v in rss.items()}
        report.out("  (part 6 took %.0f s)" % took_memory)
        report.out()
        report.out("targets")
        for label, value, target, met in report.targets:
            if target is not None:
                shown = "%.2f" % value if isinstance(value, float) else str(value)
                report.out("  %-52s %-10s %s" % (label, shown, "met" if met else "MISSED"))
        info["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        elapsed = time.monotonic() - started
        report.out("load average at the end: %s; the run took %.0f s" % (" ".join(info["loadavg_end"]), elapsed))
        report.data["elapsed_s"] = round(elapsed, 1)
        report.data["targets"] = [{"what": l, "value": v if not isinstance(v, float) else round(v, 3),
                                   "target": t, "met": m} for l, v, t, m in report.targets]
        with open(os.path.join(opts.results, "results.json"), "w") as f:
            json.dump(report.data, f, indent=1)
        with open(os.path.join(opts.results, "table.txt"), "w") as f:
            f.write("\n".join(report.lines) + "\n")
        plot(opts.results, count)
    finally:
        if floor:
            floor.close()
        work.cleanup()


def plot(results, count):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scale.gp")
    subprocess.run(["gnuplot", "-e", "datafile='%s'; controls='%s'; outfile='%s'; count=%d" %
                    (os.path.join(results, "scale.dat"), os.path.join(results, "scale-controls.dat"),
                     os.path.join(results, "scale.png"), count), script],
                   check=False)


if __name__ == "__main__":
    main()
