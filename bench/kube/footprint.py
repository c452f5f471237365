#!/usr/bin/env python3
"""Figures 1 and 2 of issue 12 in Kubernetes mode: start-up to the first 200 and CPU/RSS at a 1 Hz read
of agents in `--mode kubernetes` against a real API server holding 100 DelayedTasks, beside a standalone
agent and node_exporter in the same run.

  python3 bench/kube/footprint.py --nodepulse "$(NODEPULSE_LAUNCHER=print ./nodepulse)" \
      --nodepulse-kube "$(NODEPULSE_LAUNCHER=print ./nodepulse --mode=kubernetes | sed 's/ --mode=kubernetes *$//')" \
      --out FILE.json
      [--mode quick|standard] [--agents 3] [--tasks 100]

Starts etcd and kube-apiserver itself (the binaries .ci/k8s-binaries caches in
~/.cache/nodepulse/k8s/v1.34.4/, or --k8s-dir), bound to 127.0.0.1 on free ports, with a token for the
agents (system:masters: the figures are of the agent, not of RBAC); installs the chart's CRD, creates the
Nodes n1..nN and the tasks (`delay: 1h`, so none runs inside the window: what is measured is an agent
that watches and holds them), and then:
  startup  each of N kubernetes-mode agents and a standalone agent, one at a time and alternating,
           from process start to 200 on /readyz (in kubernetes mode that needs the informers synced
           and the Lease written), node_exporter to its /metrics;
  cost     the N kubernetes-mode agents, a standalone agent and node_exporter together, each read once
           a second on /metrics: CPU per minute and RSS at the end of the window.
Every process runs in its own process group, bounded, and is killed at the end (also on error/Ctrl-C).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import footprint as fp  # noqa: E402  (the same helpers: free ports, /proc readings, process groups)

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CRD = os.path.join(ROOT, "helm", "nodepulse", "crds", "delayedtasks.nodepulse.dev.yaml")
TOKEN = "nodepulse-bench-token"


def spawn(cmd, logf, env=None):
    p = subprocess.Popen(cmd, stdout=open(logf, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, env=env)
    fp.PROCS.append(p)
    return p


def wait_for(what, check, limit=120):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready within {limit} s")


class Cluster:
    """etcd + kube-apiserver on loopback, and a kubeconfig with a bearer token."""

    def __init__(self, bindir, work):
        self.bindir, self.work = bindir, work
        self.kubeconfig = os.path.join(work, "kubeconfig")

    def start(self):
        w = self.work
        etcd_client, etcd_peer, api = fp.free_port(), fp.free_port(), fp.free_port()
        spawn([os.path.join(self.bindir, "etcd"), "--data-dir", os.path.join(w, "etcd"),
               "--listen-client-urls", f"http://127.0.0.1:{etcd_client}",
               "--advertise-client-urls", f"http://127.0.0.1:{etcd_client}",
               "--listen-peer-urls", f"http://127.0.0.1:{etcd_peer}",
               "--initial-advertise-peer-urls", f"http://127.0.0.1:{etcd_peer}",
               "--initial-cluster", f"default=http://127.0.0.1:{etcd_peer}",
               "--log-level", "warn"], os.path.join(w, "etcd.log"))
        key = os.path.join(w, "sa.key")
        subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True, timeout=60)
        with open(os.path.join(w, "tokens.csv"), "w") as f:
            f.write(f'{TOKEN},admin,admin,"system:masters"\n')
        spawn([os.path.join(self.bindir, "kube-apiserver"), f"--etcd-servers=http://127.0.0.1:{etcd_client}",
               f"--secure-port={api}", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
               f"--cert-dir={os.path.join(w, 'certs')}", "--service-account-issuer=https://kubernetes.default.svc",
               f"--service-account-key-file={key}", f"--service-account-signing-key-file={key}",
               "--service-cluster-ip-range=10.0.0.0/24", "--authorization-mode=RBAC",
               f"--token-auth-file={os.path.join(w, 'tokens.csv')}"], os.path.join(w, "apiserver.log"))
        with open(self.kubeconfig, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster: {{server: "https://127.0.0.1:{api}", insecure-skip-tls-verify: true}}
users:
- name: bench
  user: {{token: {TOKEN}}}
contexts:
- name: bench
  context: {{cluster: bench, user: bench, namespace: default}}
current-context: bench
""")
        wait_for("kube-apiserver", lambda: self.kubectl("get", "--raw", "/readyz", check=False).returncode == 0, 120)

    def kubectl(self, *args, stdin=None, check=True):
        return subprocess.run([os.path.join(self.bindir, "kubectl"), "--kubeconfig", self.kubeconfig, *args],
                              input=stdin, capture_output=True, text=True, timeout=120, check=check)

    def populate(self, nodes, tasks):
        self.kubectl("apply", "-f", CRD)
        self.kubectl("wait", "--for=condition=established", "--timeout=60s", "crd/delayedtasks.nodepulse.dev")
        docs = [f"apiVersion: v1\nkind: Node\nmetadata:\n  name: {n}\n  labels: {{kubernetes.io/hostname: {n}, "
                f"kubernetes.io/os: linux}}\n" for n in nodes]
        for i in range(tasks):
            nodes_mode = "all" if i % 10 == 0 else "one"  # one in ten runs on every node
            docs.append(f"""apiVersion: nodepulse.dev/v1alpha1
kind: DelayedTask
metadata: {{name: bench-{i:03d}, namespace: default}}
spec:
  title: bench task {i}
  delay: 1h
  nodes: {nodes_mode}
  target:
    http: {{url: "http://127.0.0.1:9/t{i}", method: POST, headers: {{X-Run: "{i}"}}, body: '{{"n": {i}}}', timeout: 5s}}
""")
        self.kubectl("apply", "-f", "-", stdin="---\n".join(docs))
        n = len(self.kubectl("get", "delayedtasks", "-o", "name").stdout.split())
        if n != tasks:
            raise RuntimeError(f"{n} DelayedTasks in the API server, expected {tasks}")
        fp.log(f"kube: CRD installed, {len(nodes)} Nodes and {tasks} DelayedTasks created")


def nodepulse_agent(name, cmdline, kubeconfig=None, node=None):
    base = cmdline.split()

    def command(port, d, procfs):
        extra = ["--mode", "kubernetes", "--node-name", node] if node else ["--mode", "standalone"]
        return base + ["--http-host", "127.0.0.1", "--http-port", str(port), "--data-dir", d, "--log-level", "warn"] + extra
    a = fp.Agent(name, "", command, "/readyz", "/metrics", fp.np_cpu)
    if kubeconfig:
        start = a.start

        def start_with_env(work, procfs=None):
            old = os.environ.get("KUBECONFIG")
            os.environ["KUBECONFIG"] = kubeconfig
            try:
                return start(work, procfs)
            finally:
                if old is None:
                    os.environ.pop("KUBECONFIG", None)
                else:
                    os.environ["KUBECONFIG"] = old
        a.start = start_with_env
    return a


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodepulse", required=True, help="the java command line of nodepulse, as the launcher prints it")
    ap.add_argument("--nodepulse-kube", help="the same for Kubernetes mode (the launcher's with --mode=kubernetes, "
                    "whose AOT cache is trained for that mode, as the chart's command is); default --nodepulse")
    ap.add_argument("--mode", choices=["quick", "standard"], default="standard",
                    help="quick: 1 start-up round, 20 s window; standard: 3 rounds, 60 s window")
    ap.add_argument("--agents", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=100)
    ap.add_argument("--k8s-dir", default=os.path.expanduser("~/.cache/nodepulse/k8s/v1.34.4"))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    for b in ("etcd", "kube-apiserver", "kubectl"):
        if not os.access(os.path.join(a.k8s_dir, b), os.X_OK):
            sys.exit(f"{a.k8s_dir}/{b} is missing: .ci/k8s-binaries builds and caches it")
    ne = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    quick = a.mode == "quick"
    rounds, window = (1, 20) if quick else (3, 60)
    work = tempfile.mkdtemp(prefix="nodepulse-kube-bench-")
    nodes = [f"n{i + 1}" for i in range(a.agents)]
    results = {"nodepulse_kube_cmd": a.nodepulse_kube or a.nodepulse, "mode": a.mode, "agents": a.agents, "tasks": a.tasks, "window_s": window, "rounds": rounds,
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_before": os.getloadavg(),
               "k8s": os.path.basename(a.k8s_dir), "figures": {}}
    per = results["figures"]
    try:
        cluster = Cluster(a.k8s_dir, work)
        cluster.start()
        cluster.populate(nodes, a.tasks)
        kube = [nodepulse_agent(f"kubernetes mode ({n})", a.nodepulse_kube or a.nodepulse, cluster.kubeconfig, n)
                for n in nodes]
        standalone = nodepulse_agent("standalone", a.nodepulse)
        exporter = fp.Agent("node_exporter", "", lambda port, d, procfs: [ne, f"--web.listen-address=127.0.0.1:{port}",
                                                                          "--log.level=warn"],
                            "/metrics", "/metrics", fp.ne_cpu) if ne else None
        # start-up: one at a time, alternating kubernetes mode (each node in turn) and standalone
        for i in range(rounds):
            order = [kube[i % len(kube)], standalone] + ([exporter] if exporter else [])
            for agent in fp.rotated(order, i):
                r = agent.start(work)
                try:
                    t = r.wait_ready()
                    key = "kubernetes" if agent in kube else agent.name
                    per.setdefault(key, {}).setdefault("startup_s", []).append(t)
                    fp.log(f"kube startup round {i + 1}: {agent.name} {t:.3f} s")
                finally:
                    r.stop()
        # cost: all together, each read at 1 Hz
        running = []
        try:
            for agent in kube + [standalone] + ([exporter] if exporter else []):
                running.append(agent.start(work))
            for r in running:
                r.wait_ready()
            stop = threading.Event()
            marks = {r.agent.name: (time.monotonic(), fp.cpu_seconds(r.proc.pid)) for r in running}
            for r in running:
                threading.Thread(target=fp.reader, args=(r, 1.0, stop), daemon=True).start()
            time.sleep(window)
            for r in running:
                t0, c0 = marks[r.agent.name]
                dt, dc = time.monotonic() - t0, fp.cpu_seconds(r.proc.pid) - c0
                key = "kubernetes" if r.agent in kube else r.agent.name
                f = per.setdefault(key, {})
                f.setdefault("cpu_per_min_first_1hz", []).append(dc * 60 / dt)
                f.setdefault("rss_mib_first_1hz", []).append(fp.rss_mib(r.proc.pid))
                fp.log(f"kube cost: {r.agent.name} CPU {dc * 60 / dt:.3f} s/min, RSS {fp.rss_mib(r.proc.pid):.1f} MiB")
            stop.set()
            s, body = fp.get(running[0].port, "/readyz")
            results["readyz_kubernetes"] = body.decode(errors="replace")[:2000]
        finally:
            for r in running:
                r.stop()
    finally:
        fp.kill_all()
        shutil.rmtree(work, ignore_errors=True)
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["load_after"] = os.getloadavg()
    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)
    fp.log("kube results in", a.out)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    finally:
        fp.kill_all()
