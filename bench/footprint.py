#!/usr/bin/env python3
"""nodepulse beside node_exporter, Glances and Netdata, measured in one run.

Called by bench/run.sh (which installs the peers, builds the jar and the AOT cache); see
bench/README.md. Standard library only. Every process it starts is bound to 127.0.0.1, runs in its
own process group, is bounded in time, and is killed at the end (also on Ctrl-C).

Phases (alternating the order of agents between rounds; medians over rounds, min-max in brackets):
  startup   process start to the first HTTP 200 on each agent's readiness URL, agents one at a time
  cost      all agents started together, each read by its own client at 1 Hz (then, fresh, every
            15 s): CPU time in the first minute, RSS at 60 s; with --long also minute 10-11
  wrk       /metrics (or the peer's equivalent) throughput and latency from loopback, one at a time
  accuracy  CPU % each agent reports under stress-ng loads of 0/25/50/90 % of one core, against
            /proc/stat over the same window (all agents read at the same moments)
  growth    nodepulse and node_exporter on fixture procfs trees of 2, 64 and 256 CPUs
  profile   a JFR recording of nodepulse read at 1 Hz: where its CPU time goes
Results: a JSON file and a markdown section (--markdown), assembled into docs/benchmarks.md by run.sh.
"""
import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")
PROCS = []  # every Popen we started, killed at exit


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=5.0):
    """GET http://127.0.0.1:port/path -> (status, body bytes); (0, b'') when nothing answers."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        c.close()


def tree(pid):
    """pid and all its descendants (from /proc/*/stat ppid)."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid):
    """CPU time (user+system, with reaped children) of a process tree, in seconds."""
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        except (OSError, IndexError, ValueError):
            pass
    return total / HZ


def thread_cpu(pid):
    """CPU seconds per thread name (digits folded) of one process, from /proc/<pid>/task/*/stat."""
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/stat") as f:
                raw = f.read()
            comm = raw[raw.index("(") + 1:raw.rindex(")")]
            fields = raw.rsplit(")", 1)[1].split()
            comm = re.sub(r"\d+", "N", comm)
            out[comm] = out.get(comm, 0) + (int(fields[11]) + int(fields[12])) / HZ
        except (OSError, ValueError):
            pass
    return out


def rss_mib(pid):
    """Resident memory of a process tree, MiB."""
    kib = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        kib += int(line.split()[1])
        except OSError:
            pass
    return kib / 1024


def proc_stat_busy():
    """(busy, total) jiffies of the whole node from /proc/stat (busy = total - idle - iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    total = sum(v)
    return total - v[3] - v[4], total


class Agent:
    """One agent kind: how to start it on a port and how to read it."""

    def __init__(self, name, version, command, ready_path, scrape_path, cpu_reader):
        self.name, self.version, self.command = name, version, command
        self.ready_path, self.scrape_path, self.cpu_reader = ready_path, scrape_path, cpu_reader

    def start(self, work, procfs=None):
        port = free_port()
        d = tempfile.mkdtemp(prefix=self.name + "-", dir=work)
        logf = open(os.path.join(d, "log"), "wb")
        p = subprocess.Popen(self.command(port, d, procfs), stdout=logf, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        PROCS.append(p)
        return Running(self, p, port, d)


class Running:
    def __init__(self, agent, proc, port, workdir):
        self.agent, self.proc, self.port, self.workdir = agent, proc, port, workdir
        self.t0 = time.monotonic()
        self.cpu_state = None

    def wait_ready(self, limit=120):
        while time.monotonic() - self.t0 < limit:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.agent.name} exited ({self.proc.returncode}); log in {self.workdir}/log")
            status, _ = get(self.port, self.agent.ready_path, timeout=1)
            if status == 200:
                return time.monotonic() - self.t0
            time.sleep(0.005)
        raise RuntimeError(f"{self.agent.name} gave no 200 on {self.agent.ready_path} within {limit} s")

    def read(self):
        return get(self.port, self.agent.scrape_path)

    def cpu_percent(self):
        return self.agent.cpu_reader(self)

    def stop(self):
        stop(self.proc)


def stop(p):
    if p.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)


def kill_all():
    for p in PROCS:
        with contextlib.suppress(Exception):
            stop(p)


# ---- how each agent reports node CPU % right now ----
# Each reader returns None or (percent, window): the window (wall-clock start, end) the figure describes when
# the agent says so, else None (the phase then compares it with the whole reading window).

def np_cpu(r):
    s, body = get(r.port, "/api/v1/cpu")
    if s != 200:
        return None
    j = json.loads(body)
    end = iso_seconds(j["sampledAt"])
    prev, r.cpu_state = r.cpu_state, end
    if prev is not None and end <= prev:
        return None  # the same sample read twice
    start = prev if prev is not None and end - prev < 1.5 else end - 1.0  # the sampler's 1 s interval
    return j["percent"], (start, end)


def ne_cpu(r):
    """node_exporter only exports counters: the reader takes the rate between two reads, as Prometheus does."""
    t0 = time.time()
    s, body = get(r.port, "/metrics")
    at = (t0 + time.time()) / 2
    if s != 200:
        return None
    busy = total = 0.0
    for m in re.finditer(rb'^node_cpu_seconds_total\{cpu="\d+",mode="(\w+)"\} (\S+)$', body, re.M):
        v = float(m.group(2))
        total += v
        if m.group(1) not in (b"idle", b"iowait"):
            busy += v
    prev, r.cpu_state = r.cpu_state, (busy, total, at)
    if prev is None or total <= prev[1]:
        return None
    return 100.0 * (busy - prev[0]) / (total - prev[1]), (prev[2], at)


def glances_cpu(r):
    s, body = get(r.port, "/api/3/cpu")
    return (json.loads(body)["total"], None) if s == 200 else None


def netdata_cpu(r):
    s, body = get(r.port, "/api/v1/data?chart=system.cpu&after=-1&points=1&format=json&options=jsonwrap")
    if s != 200:
        return None
    try:
        row = json.loads(body)["result"]["data"][0]
        return sum(x for x in row[1:] if isinstance(x, (int, float))), (row[0] - 1.0, float(row[0]))
    except (KeyError, IndexError, ValueError, TypeError):
        return None


def iso_seconds(text):
    """'2026-11-30T09:35:42.689Z' -> epoch seconds."""
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class StatRecorder:
    """/proc/stat every 10 ms with its wall-clock time, so the truth over any window inside can be read."""

    def __init__(self):
        self.points, self.running = [], True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            busy, total = proc_stat_busy()
            self.points.append((time.time(), busy, total))
            time.sleep(0.01)

    def stop(self):
        self.running = False
        self.thread.join()

    def _at(self, t):
        """(busy, total) interpolated at wall-clock t; None outside the recording."""
        pts = self.points
        if not pts or t < pts[0][0] or t > pts[-1][0]:
            return None
        lo, hi = 0, len(pts) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if pts[mid][0] <= t else (lo, mid)
        (ta, ba, ca), (tb, bb, cb) = pts[lo], pts[hi]
        f = 0.0 if tb == ta else (t - ta) / (tb - ta)
        return ba + f * (bb - ba), ca + f * (cb - ca)

    def busy_percent(self, start, end):
        a, b = self._at(start), self._at(end)
        if a is None or b is None or b[1] <= a[1]:
            return None
        return 100.0 * (b[0] - a[0]) / (b[1] - a[1])


# ---- phases ----

def median_range(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def rotated(agents, i):
    k = i % len(agents)
    return agents[k:] + agents[:k]


def phase_startup(agents, rounds, work, results):
    for i in range(rounds):
        for a in rotated(agents, i):
            r = a.start(work)
            try:
                t = r.wait_ready()
                results.setdefault(a.name, {}).setdefault("startup_s", []).append(t)
                log(f"startup round {i + 1}: {a.name} {t:.3f} s")
            finally:
                r.stop()


def reader(r, interval, stop_evt):
    nxt = time.monotonic()
    while not stop_evt.is_set():
        r.read()
        nxt += interval
        stop_evt.wait(max(0, nxt - time.monotonic()))


def phase_cost(agents, rounds, interval, window, long_mode, work, results, label):
    """All agents together, each read every `interval` s: CPU per minute over the first `window` s and
    RSS at its end; with long_mode also the minute from 10 to 11."""
    for i in range(rounds):
        running = []
        try:
            for a in rotated(agents, i):
                running.append(a.start(work))
            for r in running:
                r.wait_ready()
            stop_evt = threading.Event()
            marks = {}
            for r in running:
                marks[r.agent.name] = (time.monotonic(), cpu_seconds(r.proc.pid))
                threading.Thread(target=reader, args=(r, interval, stop_evt), daemon=True).start()
            time.sleep(window)
            for r in running:
                t0, c0 = marks[r.agent.name]
                dt, dc = time.monotonic() - t0, cpu_seconds(r.proc.pid) - c0
                res = results.setdefault(r.agent.name, {})
                res.setdefault(f"cpu_per_min_first_{label}", []).append(dc * 60 / dt)
                res.setdefault(f"rss_mib_first_{label}", []).append(rss_mib(r.proc.pid))
                log(f"cost {label} round {i + 1}: {r.agent.name} CPU {dc * 60 / dt:.3f} s/min, RSS {rss_mib(r.proc.pid):.1f} MiB")
            if long_mode:
                time.sleep(max(0, 600 - window))
                marks = {r.agent.name: (time.monotonic(), cpu_seconds(r.proc.pid)) for r in running}
                time.sleep(60)
                for r in running:
                    t0, c0 = marks[r.agent.name]
                    dt, dc = time.monotonic() - t0, cpu_seconds(r.proc.pid) - c0
                    res = results[r.agent.name]
                    res.setdefault(f"cpu_per_min_steady_{label}", []).append(dc * 60 / dt)
                    res.setdefault(f"rss_mib_steady_{label}", []).append(rss_mib(r.proc.pid))
                    log(f"steady {label} round {i + 1}: {r.agent.name} CPU {dc * 60 / dt:.3f} s/min, RSS {rss_mib(r.proc.pid):.1f} MiB")
            stop_evt.set()
        finally:
            for r in running:
                r.stop()


WRK_RE = {
    "rps": re.compile(r"Requests/sec:\s+([\d.]+)"),
    "p50": re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.M),
    "p99": re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M),
}


def wrk(port, path, seconds, connections=4):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency",
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=seconds + 30).stdout
    res = {"rps": float(WRK_RE["rps"].search(out).group(1))}
    for k in ("p50", "p99"):
        m = WRK_RE[k].search(out)
        res[k] = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    return res


def phase_wrk(agents, rounds, seconds, work, results):
    for i in range(rounds):
        for a in rotated(agents, i):
            r = a.start(work)
            try:
                r.wait_ready()
                time.sleep(3)  # a few samples (Glances and Netdata fill their caches too)
                wrk(r.port, a.scrape_path, 2)  # warm-up
                w = wrk(r.port, a.scrape_path, seconds)
                size = len(r.read()[1])
                res = results.setdefault(a.name, {})
                for k, v in w.items():
                    res.setdefault(f"wrk_{k}", []).append(v)
                res.setdefault("body_bytes", []).append(size)
                log(f"wrk round {i + 1}: {a.name} {w['rps']:.0f} req/s p50 {w['p50']:.2f} ms p99 {w['p99']:.2f} ms, {size} B")
            finally:
                r.stop()


def phase_accuracy(agents, loads, seconds, work, results):
    running = [a.start(work) for a in agents]
    try:
        for r in running:
            r.wait_ready()
        time.sleep(3)
        for load in loads:
            stress = None
            if load > 0:
                stress = subprocess.Popen(["stress-ng", "--cpu", "1", "--cpu-load", str(load), "--timeout",
                                           f"{seconds + 10}s", "--quiet"], start_new_session=True)
                PROCS.append(stress)
            time.sleep(3)
            for r in running:
                r.cpu_percent()  # primes node_exporter's previous read
            recorder = StatRecorder()
            time.sleep(1)
            b0, t0 = proc_stat_busy()
            got = {r.agent.name: [] for r in running}
            nxt = time.monotonic()
            for _ in range(seconds):
                nxt += 1
                time.sleep(max(0, nxt - time.monotonic()))
                for r in running:
                    v = r.cpu_percent()
                    if v is not None:
                        got[r.agent.name].append(v)
            b1, t1 = proc_stat_busy()
            time.sleep(0.1)
            recorder.stop()
            whole = 100.0 * (b1 - b0) / (t1 - t0)
            if stress:
                stop(stress)
            for name, vs in got.items():
                # the truth for each figure is /proc/stat over the window it describes, when the agent says
                # which; else over the whole reading window (all agents are read at the same moments)
                pairs = [(v, whole if w is None else recorder.busy_percent(*w)) for v, w in vs]
                pairs = [(v, t) for v, t in pairs if t is not None]
                reported = statistics.mean(v for v, _ in pairs) if pairs else None
                truth = statistics.mean(t for _, t in pairs) if pairs else None
                aligned = any(w is not None for _, w in vs)
                results.setdefault(name, {}).setdefault("accuracy", {})[str(load)] = {
                    "truth": truth, "whole_window": whole, "aligned": aligned, "reported": reported,
                    "error_pp": abs(reported - truth) if pairs else None, "readings": len(pairs)}
                log(f"accuracy {load}%: {name} {reported if reported is not None else float('nan'):.2f} vs /proc/stat "
                    f"{truth if truth is not None else float('nan'):.2f} over {'its own' if aligned else 'the'} "
                    f"windows (whole window {whole:.2f})")
    finally:
        for r in running:
            r.stop()


def make_procfs(root, cpus):
    """A procfs tree with `cpus` CPUs: stat, cpuinfo, meminfo, loadavg, uptime, mounts, sys/kernel."""
    os.makedirs(os.path.join(root, "sys/kernel"), exist_ok=True)
    for f in ("meminfo", "loadavg", "uptime", "sys/kernel/hostname", "sys/kernel/osrelease"):
        shutil.copyfile(f"/proc/{f}", os.path.join(root, f))
    with open("/proc/self/mounts") as src, open(os.path.join(root, "mounts"), "w") as dst:
        dst.write(src.read())
    with open(os.path.join(root, "cpuinfo"), "w") as f:
        for c in range(cpus):
            f.write(f"processor\t: {c}\nmodel name\t: Fixture CPU\nphysical id\t: {c // 32}\ncore id\t\t: {c % 32}\n\n")
    write_stat(root, cpus, 0)


def write_stat(root, cpus, tick):
    lines = []
    per = [(1000 + tick * 40 + c, 10, 500 + tick * 10, 100000 + tick * 50, 20, 0, 5, 0, 0, 0) for c in range(cpus)]
    agg = [sum(col) for col in zip(*per)]
    lines.append("cpu  " + " ".join(map(str, agg)))
    lines += [f"cpu{c} " + " ".join(map(str, v)) for c, v in enumerate(per)]
    with open("/proc/stat") as f:
        lines += [l.rstrip("\n") for l in f if not l.startswith("cpu")]
    tmp = os.path.join(root, ".stat")
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, os.path.join(root, "stat"))


def phase_growth(agents, sizes, window, wrk_seconds, work, results):
    for n in sizes:
        root = os.path.join(work, f"procfs-{n}")
        make_procfs(root, n)
        running = [a.start(work, procfs=root) for a in agents]
        try:
            for r in running:
                r.wait_ready()
            stop_evt = threading.Event()
            marks = {r.agent.name: (time.monotonic(), cpu_seconds(r.proc.pid)) for r in running}
            for r in running:
                threading.Thread(target=reader, args=(r, 1.0, stop_evt), daemon=True).start()
            for tick in range(window):  # the counters move every second
                write_stat(root, n, tick + 1)
                time.sleep(1)
            stop_evt.set()
            for r in running:
                t0, c0 = marks[r.agent.name]
                dt, dc = time.monotonic() - t0, cpu_seconds(r.proc.pid) - c0
                g = results.setdefault(r.agent.name, {}).setdefault("growth", {}).setdefault(str(n), {})
                g["cpu_per_min"] = dc * 60 / dt
                g["rss_mib"] = rss_mib(r.proc.pid)
                g["body_bytes"] = len(r.read()[1])
                w = wrk(r.port, r.agent.scrape_path, wrk_seconds)
                g["wrk_rps"], g["wrk_p99"] = w["rps"], w["p99"]
                log(f"growth {n} CPUs: {r.agent.name} {g}")
        finally:
            for r in running:
                r.stop()


def phase_profile(agent, java_bin, warmup, seconds, work, results):
    """nodepulse read at 1 Hz; after `warmup` s, JFR (execution samples every 10-20 ms) for `seconds`:
    the top frames, by leaf method, by leaf package, by nodepulse method (inclusive) and by thread."""
    jfr_file = os.path.join(work, "np.jfr")
    r = agent.start(work)
    r.wait_ready()
    stop_evt = threading.Event()
    threading.Thread(target=reader, args=(r, 1.0, stop_evt), daemon=True).start()
    time.sleep(warmup)
    bindir = os.path.dirname(java_bin)
    # per-thread CPU first, without JFR (its own sampler thread would be a large share of so little)
    c0, t0 = cpu_seconds(r.proc.pid), thread_cpu(r.proc.pid)
    time.sleep(seconds)
    cpu, t1 = cpu_seconds(r.proc.pid) - c0, thread_cpu(r.proc.pid)
    by_thread = sorted(((k, v - t0.get(k, 0)) for k, v in t1.items()), key=lambda kv: -kv[1])
    by_thread = [[k, v, 100.0 * v / cpu if cpu else 0] for k, v in by_thread[:12] if v > 0]
    # then JFR's execution samples of Java code for as long again
    jcmd = lambda *a: subprocess.run([os.path.join(bindir, "jcmd"), str(r.proc.pid), *a], capture_output=True,
                                     text=True, timeout=60)
    jcmd("JFR.start", "name=bench", "settings=profile")
    time.sleep(seconds)
    jcmd("JFR.dump", "name=bench", f"filename={jfr_file}")
    jcmd("JFR.stop", "name=bench")
    stop_evt.set()
    r.stop()
    out = subprocess.run([os.path.join(bindir, "jfr"), "print", "--json", "--events", "jdk.ExecutionSample", jfr_file],
                         capture_output=True, text=True, timeout=300).stdout
    events = json.loads(out)["recording"]["events"]
    leaf, pkg, ours, threads = {}, {}, {}, {}
    name = lambda f: f["method"]["type"]["name"].replace("/", ".") + "." + f["method"]["name"]
    for e in events:
        frames = (e["values"].get("stackTrace") or {}).get("frames") or []
        if not frames:
            continue
        top = name(frames[0])
        leaf[top] = leaf.get(top, 0) + 1
        package = ".".join(top.split(".")[:3])
        pkg[package] = pkg.get(package, 0) + 1
        seen = set()
        for f in frames:
            n = name(f)
            if n.startswith("dev.nodepulse") and n not in seen:
                seen.add(n)
                ours[n] = ours.get(n, 0) + 1
        t = (e["values"].get("sampledThread") or {}).get("javaName") or "?"
        t = re.sub(r"-\d+(-\d+)?$", "-N", t)
        threads[t] = threads.get(t, 0) + 1
    total = sum(leaf.values()) or 1
    top = lambda d: [[k, v, 100.0 * v / total] for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:12]]
    results["profile"] = {"samples": total, "seconds": seconds, "cpu_s": cpu, "leaf": top(leaf), "packages": top(pkg),
                          "nodepulse": top(ours), "threads": top(threads),
                          "os_threads": by_thread}
    log(f"profile: {total} execution samples, {cpu:.2f} CPU-s in {seconds} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["quick", "standard", "long"], default="standard",
                    help="quick: 1 round, 20 s windows (harness check); standard: 60 s windows; long: + minute 10-11")
    ap.add_argument("--rounds", type=int, help="rounds of startup/cost/wrk (quick 1, else 3 for startup, 2 for cost)")
    ap.add_argument("--nodepulse", required=True, help="the java command line of nodepulse, as the launcher prints it")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=COMMAND",
                    help="another nodepulse command to measure beside it (e.g. the default JVM)")
    ap.add_argument("--no-peers", action="store_true", help="only node_exporter, no Glances or Netdata")
    ap.add_argument("--phases", default="startup,cost,wrk,accuracy,growth,profile")
    ap.add_argument("--out", required=True, help="JSON results file")
    a = ap.parse_args()
    quick, long_mode = a.mode == "quick", a.mode == "long"
    window = 20 if quick else 60
    startup_rounds = a.rounds or (1 if quick else 3)
    rounds = a.rounds or (1 if quick else 2)
    phases = set(a.phases.split(","))

    def version(cmd, pattern):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            m = re.search(pattern, out.stdout + out.stderr)
            return m.group(1) if m else "?"
        except (OSError, subprocess.TimeoutExpired):
            return None

    def nodepulse_agent(name, cmdline):
        base = cmdline.split()
        java = base[0]

        def command(port, d, procfs):
            extra = ["--procfs", procfs] if procfs else []
            return base + ["--http-host", "127.0.0.1", "--http-port", str(port), "--data-dir", d,
                           "--log-level", "warn"] + extra
        jv = version([java, "-version"], r'version "([^"]+)"')
        return Agent(name, f"Java {jv}", command, "/readyz", "/metrics", np_cpu)

    agents = []
    ne = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    if not ne:
        sys.exit("node_exporter is missing: bench/run.sh installs it (Debian package prometheus-node-exporter)")
    agents.append(Agent("node_exporter", version([ne, "--version"], r"version (\S+)"),
                        lambda port, d, procfs: [ne, f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
                        + ([f"--path.procfs={procfs}"] if procfs else []),
                        "/metrics", "/metrics", ne_cpu))
    agents.append(nodepulse_agent("nodepulse", a.nodepulse))
    for v in a.variant:
        name, cmd = v.split("=", 1)
        agents.append(nodepulse_agent(name, cmd))
    if not a.no_peers:
        gl = shutil.which("glances")
        if gl:
            agents.append(Agent("glances", version([gl, "--version"], r"Glances v(\S+)"),
                                lambda port, d, procfs: [gl, "-w", "--disable-webui", "-B", "127.0.0.1", "-p", str(port),
                                                         "-t", "1", "-C", "/dev/null"],
                                "/api/3/status", "/api/3/cpu", glances_cpu))
        nd = shutil.which("netdata")
        if nd:
            agents.append(Agent("netdata", version([nd, "-v"], r"netdata v(\S+)"),
                                lambda port, d, procfs: [nd, "-D", "-p", str(port), "-i", "127.0.0.1"],
                                "/api/v1/info", "/api/v1/allmetrics?format=prometheus", netdata_cpu))
    log("agents:", ", ".join(f"{x.name} ({x.version})" for x in agents))

    results = {"agents": {x.name: {"version": x.version} for x in agents},
               "mode": a.mode, "window_s": window, "rounds": rounds, "startup_rounds": startup_rounds,
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_before": os.getloadavg()}
    per = results["agents"]
    work = tempfile.mkdtemp(prefix="nodepulse-bench-")
    loads = []
    sampler_stop = threading.Event()

    def sample_load():
        while not sampler_stop.wait(15):
            loads.append(os.getloadavg()[0])
    threading.Thread(target=sample_load, daemon=True).start()
    try:
        if "startup" in phases:
            phase_startup(agents, startup_rounds, work, per)
        if "cost" in phases:
            phase_cost(agents, rounds, 1.0, window, long_mode, work, per, "1hz")
            phase_cost(agents, rounds, 15.0, window, long_mode, work, per, "15s")
        if "wrk" in phases:
            phase_wrk(agents, rounds, 5 if quick else 8, work, per)
        if "accuracy" in phases:
            phase_accuracy(agents, [0, 25, 50, 90], 5 if quick else 15, work, per)
        if "growth" in phases:
            growth = [x for x in agents if x.name in ("node_exporter", "nodepulse")]
            phase_growth(growth, [2, 64, 256], 10 if quick else 30, 3 if quick else 5, work, per)
        if "profile" in phases:
            phase_profile(agents[1], a.nodepulse.split()[0], 10 if quick else 60, 30 if quick else 60, work, results)
    finally:
        sampler_stop.set()
        kill_all()
        shutil.rmtree(work, ignore_errors=True)
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["load_during"] = median_range(loads + [os.getloadavg()[0]])
    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)
    log("results in", a.out)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    finally:
        kill_all()
