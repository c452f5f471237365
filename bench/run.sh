#!/usr/bin/env bash
# One command for every figure in docs/benchmarks.md (see bench/README.md):
#   bench/run.sh [quick|standard|long] [--no-install] [--no-tasks-live] [--no-kube] [--steady-from FILE]
#                [--compare "NAME=JAVA COMMAND"]...   (another build or option set, measured beside it)
# Installs the peers and tools from Debian (root or sudo), builds the jar and the AOT cache through the
# ./nodepulse launcher, measures nodepulse beside node_exporter, Glances and Netdata
# (bench/footprint.py), measures it again in Kubernetes mode against a real API server with 100
# DelayedTasks and 3 agents (bench/kube/footprint.py; the binaries .ci/k8s-binaries caches), regenerates the
# scheduler and live-page figures (bench/tasks, bench/live), and writes docs/benchmarks.md (bench/report.py). Every process it starts is bounded in time and killed.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=standard install=1 tasks_live=1 kube=1 steady="" compare=()
while [ $# -gt 0 ]; do
  a=$1; shift
  case "$a" in
    --steady-from) steady=$1; shift ;;
    --compare) compare+=("$1"); shift ;;
    quick|standard|long) mode=$a ;;
    --no-install) install=0 ;;
    --no-tasks-live) tasks_live=0 ;;
    --no-kube) kube=0 ;;
    *) echo "usage: bench/run.sh [quick|standard|long] [--no-install] [--no-tasks-live] [--no-kube] [--steady-from FILE]" >&2; exit 2 ;;
  esac
done

if [ "$install" = 1 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  pkgs=(prometheus-node-exporter glances wrk stress-ng curl python3)
  # Netdata where the distribution ships it (Debian 12 does); the harness skips it when absent
  apt-cache show netdata >/dev/null 2>&1 && pkgs+=(netdata)
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[bench] installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    # policy-rc.d keeps the packages' services from starting: the harness starts its own, on loopback
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -qq "${missing[@]}" >&2
  fi
fi
for t in prometheus-node-exporter wrk stress-ng python3; do
  command -v "$t" >/dev/null || { echo "[bench] $t is missing (run without --no-install, or install it)" >&2; exit 1; }
done

# the launcher finds the JDK, builds the jar when missing and makes the AOT cache
# (packaged first, so the figures are of this checkout)
JAVA_HOME=$(NODEPULSE_LAUNCHER=print NODEPULSE_AOT=off ./nodepulse --version | awk '{ print $1 }' | xargs dirname | xargs dirname) \
  ./mvnw -B -q -DskipTests package >&2
np_cmd=$(NODEPULSE_LAUNCHER=print ./nodepulse)
# Kubernetes mode starts with its own AOT cache (as the chart's command does): the launcher picks it for
# --mode=kubernetes; the flag itself is dropped here, the harness adds the mode's flags
np_kube_cmd=$(NODEPULSE_LAUNCHER=print ./nodepulse --mode=kubernetes | sed 's/ --mode=kubernetes *$//')
java=${np_cmd%% *}
# the scheduler and live benchmarks run on the same JDK
JAVA_HOME=$(dirname "$(dirname "$java")"); export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
# the same jar with the JVM's defaults, for what the options and the cache buy
default_cmd="$java -jar $PWD/target/nodepulse.jar"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "[bench] mode $mode; nodepulse: $np_cmd" >&2
variants=(--variant "nodepulse, JVM defaults=$default_cmd")
for c in ${compare[@]+"${compare[@]}"}; do variants+=(--variant "$c"); done
timeout 3h python3 bench/footprint.py --mode "$mode" --nodepulse "$np_cmd" "${variants[@]}" --out "$out/footprint.json"
python3 - "$out/footprint.json" "$np_cmd" "nodepulse, JVM defaults=$default_cmd" ${compare[@]+"${compare[@]}"} <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])); r["nodepulse_cmd"] = sys.argv[2]
r["variants"] = dict(v.split("=", 1) for v in sys.argv[3:])
json.dump(r, open(sys.argv[1], "w"))
EOF

if [ "$kube" = 1 ]; then
  k8s=${NODEPULSE_K8S_DIR:-$HOME/.cache/nodepulse/k8s/v1.34.4}
  if [ -x "$k8s/kube-apiserver" ] && [ -x "$k8s/etcd" ] && [ -x "$k8s/kubectl" ]; then
    kmode=standard; [ "$mode" = quick ] && kmode=quick
    timeout 30m python3 bench/kube/footprint.py --mode "$kmode" --k8s-dir "$k8s" --nodepulse "$np_cmd" \
      --nodepulse-kube "$np_kube_cmd" \
      --out "$out/kube.json" || echo "[bench] Kubernetes-mode footprint failed; see its output" >&2
  else
    echo "[bench] no kube-apiserver/etcd/kubectl in $k8s (.ci/k8s-binaries builds them): Kubernetes-mode figures skipped" >&2
  fi
fi

if [ "$tasks_live" = 1 ]; then
  case "$mode" in quick) pending=20000 clients=200 secs=20 ;; *) pending=50000 clients=1000 secs=30 ;; esac
  timeout 20m bench/tasks/run.sh memory "$pending" > "$out/tasks.txt" 2>&1 || echo "[bench] tasks bench failed; see output" >&2
  timeout 20m bench/tasks/run.sh lateness 10000 1024 noop >> "$out/tasks.txt" 2>&1 || true
  timeout 20m bench/live/run.sh "$clients" "$secs" 15 > "$out/live.txt" 2>&1 || echo "[bench] live bench failed" >&2
fi
python3 bench/report.py --kube "$out/kube.json" "$out/footprint.json" docs/benchmarks.md "$out/tasks.txt" "$out/live.txt" bench/kube/RESULTS.md \
  ${steady:+"$steady"}
cp "$out/footprint.json" bench/footprint-results.json
[ -f "$out/kube.json" ] && cp "$out/kube.json" bench/kube/footprint-results.json
echo "[bench] wrote docs/benchmarks.md, bench/footprint-results.json and bench/kube/footprint-results.json" >&2
