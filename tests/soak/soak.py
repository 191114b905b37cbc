#!/usr/bin/env python3
"""Soak: WORKERS parallel workers run CYCLES full wire/unwire cycles in total
through the real hook binaries, against one bridge, in a throwaway netns.

The pool is small (a /27 and a /123), so that the workers hand its addresses
round again and again: a duplicate would have every chance to show.

A cycle: a new container (a `sleep` in a netns of its own), createRuntime, a
look at what it got, then poststop and the container's end (poststop first in
even cycles; in odd ones the container dies first, as with a real runtime).
Each worker reuses three container ids round and round, and all the while a
gc thread runs `hookwire gc` in a loop: gc must never take a live container's
record, link or leases, even one whose id was wired again a moment ago.

Afterwards it checks that there were zero of each: failures, duplicate addresses
(each address's [wired, unwired] intervals, taken with a monotonic clock, never
overlap between containers), lost containers (a live one whose record or host
link gc took), links left (hw* links, bridge ports), leases,
ledger records and temp files left, file descriptors left open in this driver,
and hook processes or children left running. It prints cycles per second.

Usage: soak.py [--cycles N] [--workers N]    (HOOKWIRE_BUILD names the build dir)
Exit status: 0 when every count is zero, 1 otherwise.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

if not os.environ.get("HOOKWIRE_IN_THROWAWAY_NETNS"):
    os.environ["HOOKWIRE_IN_THROWAWAY_NETNS"] = "1"
    os.execvp("unshare", ["unshare", "-n", "--", sys.executable, os.path.abspath(__file__)] + sys.argv[1:])

BUILD = os.path.abspath(os.environ.get("HOOKWIRE_BUILD") or sys.exit("HOOKWIRE_BUILD must name the build dir"))
HOOKS = os.path.join(BUILD, "hooks")
HOOKWIRE = os.path.join(BUILD, "cli", "hookwire")
IDS_PER_WORKER = 3  # each worker reuses these ids, so gc races re-wiring of the same id
BRIDGE = "hookwire0"
PROFILE = {
    "networks": [{"type": "loopback"}, {"type": "veth", "name": "eth0", "bridge": BRIDGE}],
    "ipam": {"ipv4": {"subnet": "10.214.0.0/27", "gateway": "10.214.0.1"},
             "ipv6": {"subnet": "fd00:214::/123", "gateway": "fd00:214::1"}},
}
VERIFY_EVERY = 10  # cycles between looks inside the container with ip(8)


def fds():
    return sorted(os.listdir("/proc/self/fd"))


def own_netns():
    return os.readlink("/proc/self/ns/net")


class Soak:
    def __init__(self, work, cycles, workers):
        self.state_dir = os.path.join(work, "state")
        self.config_dir = os.path.join(work, "networks")
        os.makedirs(self.config_dir, mode=0o755)
        with open(os.path.join(self.config_dir, "soak.json"), "w") as f:
            json.dump(PROFILE, f)
        os.chmod(os.path.join(self.config_dir, "soak.json"), 0o644)
        self.cycles = cycles
        self.workers = workers
        self.next_cycle = 0
        self.lock = threading.Lock()
        self.failures = []
        self.intervals = {}  # address -> [(start, end, id)]
        self.verified = 0
        self.lost = []
        self.gc_runs = 0
        self.done = threading.Event()
        self.phase_seconds = {}  # phase -> total seconds, for the report
        self.netns = own_netns()

    def fail(self, text):
        with self.lock:
            self.failures.append(text)

    def timed(self, phase, action):
        began = time.monotonic()
        try:
            return action()
        finally:
            with self.lock:
                self.phase_seconds[phase] = self.phase_seconds.get(phase, 0.0) + time.monotonic() - began

    def take(self):
        with self.lock:
            if self.next_cycle >= self.cycles or len(self.failures) > 20:
                return None
            self.next_cycle += 1
            return self.next_cycle - 1

    def hook(self, stage, state):
        return subprocess.run([os.path.join(HOOKS, "hookwire-" + stage), "--state-dir", self.state_dir,
                               "--config-dir", self.config_dir, "--network", "soak"], input=json.dumps(state).encode(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def new_container(self):
        sleeper = subprocess.Popen(["unshare", "-n", "--", "sleep", "600"], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2000):
            try:
                if os.readlink(f"/proc/{sleeper.pid}/ns/net") != self.netns:
                    return sleeper
            except OSError:
                pass
            time.sleep(0.001)
        sleeper.kill()
        sleeper.wait()
        raise RuntimeError(f"container {sleeper.pid} never got a netns of its own")

    def cycle(self, n, worker):
        cid = f"soak-{worker}-{n % IDS_PER_WORKER}"
        bundle = os.path.dirname(self.state_dir)
        container = self.timed("container start", self.new_container)
        stopped = False
        try:
            state = {"ociVersion": "1.0.2-dev", "id": cid, "status": "creating", "pid": container.pid,
                     "bundle": bundle, "annotations": {}}
            wired = self.timed("create-runtime", lambda: self.hook("create-runtime", state))
            start = time.monotonic()
            if wired.returncode != 0:
                self.fail(f"{cid}: create-runtime exit {wired.returncode}: {wired.stderr.decode().strip()}")
                return
            with open(os.path.join(self.state_dir, "ledger", cid + ".json")) as f:
                addresses = [a["cidr"].split("/")[0] for a in json.load(f)["addresses"]]
            if len(addresses) != 2:
                self.fail(f"{cid}: recorded addresses {addresses}")
            if n % VERIFY_EVERY == 0:
                out = subprocess.run(["nsenter", f"--net=/proc/{container.pid}/ns/net", "ip", "-j", "addr", "show",
                                      "dev", "eth0"], stdout=subprocess.PIPE, check=True).stdout
                inside = sorted(a["local"] for a in json.loads(out)[0]["addr_info"] if a["scope"] == "global")
                if inside != sorted(addresses):
                    self.fail(f"{cid}: container has {inside}, ledger says {addresses}")
                with self.lock:
                    self.verified += 1
            # Still wired, so gc must have left it whole: its record and its host link.
            with open(os.path.join(self.state_dir, "ledger", cid + ".json")) as f:
                host = json.load(f)["links"][0]["host"]
            if subprocess.run(["ip", "link", "show", host], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode != 0:
                with self.lock:
                    self.lost.append(f"{cid}: host link {host} gone while the container ran")
            stop = {"ociVersion": "1.0.2-dev", "id": cid, "status": "stopped", "bundle": bundle, "annotations": {}}
            end = time.monotonic()  # the unwiring starts: from here the address may be handed out again
            if n % 2:
                self.timed("container end", lambda: (container.kill(), container.wait()))
                stopped = True
            unwired = self.timed("poststop", lambda: self.hook("poststop", stop))
            if unwired.returncode != 0:
                self.fail(f"{cid}: poststop exit {unwired.returncode}: {unwired.stderr.decode().strip()}")
            with self.lock:
                for address in addresses:
                    self.intervals.setdefault(address, []).append((start, end, cid))
        finally:
            if not stopped:
                self.timed("container end", lambda: (container.kill(), container.wait()))

    def worker(self, worker):
        while (n := self.take()) is not None:
            try:
                self.cycle(n, worker)
            except FileNotFoundError as e:  # the record vanished under a live container
                with self.lock:
                    self.lost.append(f"cycle {n}: {e}")
            except Exception as e:  # a failure of the driver is a failure too
                self.fail(f"cycle {n}: {type(e).__name__}: {e}")

    def collector(self):
        while not self.done.is_set():
            gc = subprocess.run([HOOKWIRE, "gc", "--state-dir", self.state_dir], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
            if gc.returncode != 0:
                self.fail(f"gc exit {gc.returncode}: {gc.stderr.decode().strip()}")
            self.gc_runs += 1

    def run(self):
        threads = [threading.Thread(target=self.worker, args=(w,)) for w in range(self.workers)]
        gc = threading.Thread(target=self.collector)
        began = time.monotonic()
        gc.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.done.set()
        gc.join()
        return time.monotonic() - began


def overlaps(intervals):
    """Pairs of different containers holding one address at the same time."""
    found = []
    for address, spans in intervals.items():
        spans.sort()
        for (s1, e1, c1), (s2, e2, c2) in zip(spans, spans[1:]):
            if s2 < e1:
                found.append(f"{address}: {c1} and {c2}")
    return found


def leftovers(state_dir):
    links = json.loads(subprocess.run(["ip", "-j", "link", "show"], stdout=subprocess.PIPE, check=True).stdout)
    hw = [link["ifname"] for link in links if link["ifname"].startswith("hw")]
    ports = [link["ifname"] for link in links if link.get("master") == BRIDGE]
    leases, records, temps, locks = [], [], [], []
    for root, _, files in os.walk(state_dir):
        for name in files + [d for d in os.listdir(root) if os.path.islink(os.path.join(root, d))]:
            if name.startswith(".tmp."):
                temps.append(name)
            elif root.startswith(os.path.join(state_dir, "ipam")) and not name.startswith("."):
                leases.append(name)
            elif root == os.path.join(state_dir, "ledger"):
                records.append(name)
            elif root == os.path.join(state_dir, "locks"):
                locks.append(name)
    return {"links": hw, "bridge ports": ports, "leases": sorted(set(leases)), "records": records, "temp files": temps,
            "lock files": locks}


def processes_left():
    """Hook processes still running, and children of this driver (zombies included)."""
    left = []
    me = str(os.getpid())
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            with open(f"/proc/{pid}/stat") as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        if exe.startswith(HOOKS + "/") or (ppid == me and pid != me):
            left.append(f"{pid} {exe}")
    return left


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="hookwire-soak.")
    os.chmod(work, 0o755)
    try:
        soak = Soak(work, args.cycles, args.workers)
        fds_before = fds()
        seconds = soak.run()
        fds_after = fds()
        left = leftovers(soak.state_dir)
        counts = {
            "failures": len(soak.failures),
            "duplicate addresses": len(overlaps(soak.intervals)),
            "lost containers": len(soak.lost),
            **{what: len(items) for what, items in left.items()},
            "fds left open": len(set(fds_after) - set(fds_before)),
            "processes left": len(processes_left()),
        }
        done = sum(len(spans) for spans in soak.intervals.values()) // 2
        for text in soak.failures[:10]:
            print("failure:", text)
        for text in soak.lost[:10]:
            print("lost:", text)
        for text in overlaps(soak.intervals)[:10]:
            print("duplicate:", text)
        for what, items in left.items():
            if items:
                print(f"left: {what}: {' '.join(items[:10])}")
        for text in processes_left()[:10]:
            print("process left:", text)
        print(f"soak: {done} of {args.cycles} cycles by {args.workers} workers in {seconds:.1f} s: "
              f"{done / seconds:.1f} cycles/s; {len(soak.intervals)} distinct addresses, "
              f"{soak.verified} checked inside their container; {soak.gc_runs} gc runs alongside")
        print("soak: mean per cycle: " + ", ".join(f"{phase} {1000 * total / max(done, 1):.1f} ms"
                                                  for phase, total in soak.phase_seconds.items()))
        print("soak: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        ok = done == args.cycles and all(n == 0 for n in counts.values())
        print("soak: " + ("ok" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
