#!/usr/bin/env bash
# Startup and steady-state cost of the agent, beside node_exporter when it is installed.
# Builds nothing: run `./mvnw -B -DskipTests package` first. Needs curl and a Linux /proc.
#
# For each agent: time from exec to the first 200 on its readiness URL (nodepulse /readyz,
# node_exporter /metrics), then one minute of steady state while /metrics is scraped once a second
# (nodepulse also samples at its default 1 Hz): CPU time used in that minute (utime+stime from
# /proc/<pid>/stat) and resident memory (VmRSS) 60 s after start. Prints a markdown table and
# writes it to bench/startup/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=target/nodepulse.jar
OUT=bench/startup/RESULTS.md
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
NODE_EXPORTER="${NODE_EXPORTER:-$(command -v prometheus-node-exporter || command -v node_exporter || true)}"
[ -f "$JAR" ] || { echo "no $JAR: run ./mvnw -B -DskipTests package first" >&2; exit 1; }
TICK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }   # utime + stime (fields 14, 15)
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# measure NAME READY_URL SCRAPE_URL -- command...: sets R_READY_MS R_RSS_MIB R_CPU_S
measure() {
  local name=$1 ready=$2 scrape=$3; shift 4
  local t0 pid t_ready c0 c1 rss deadline
  t0=$(now_ms)
  "$@" >"$WORK/$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  until curl -fs -o /dev/null --max-time 1 "$ready"; do
    kill -0 "$pid" 2>/dev/null || { echo "$name exited; log:" >&2; cat "$WORK/$name.log" >&2; exit 1; }
    [ $(( $(now_ms) - t0 )) -lt 120000 ] || { echo "$name not ready after 120 s" >&2; exit 1; }
    sleep 0.02
  done
  t_ready=$(now_ms)
  R_READY_MS=$(( t_ready - t0 ))
  c0=$(cpu_ticks "$pid")
  local start_s=$(( t_ready / 1000 )) i
  for i in $(seq 1 60); do
    curl -fs -o /dev/null --max-time 2 "$scrape" || true
    deadline=$(( t_ready + i * 1000 ))
    while [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
    if [ $(( $(now_ms) - t0 )) -ge 60000 ] && [ -z "${rss:-}" ]; then rss=$(rss_kib "$pid"); fi
  done
  c1=$(cpu_ticks "$pid")
  [ -n "${rss:-}" ] || rss=$(rss_kib "$pid")
  R_RSS_MIB=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
  R_CPU_S=$(awk -v d=$(( c1 - c0 )) -v t="$TICK" 'BEGIN { printf "%.2f", d / t }')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "[bench] $name: ready ${R_READY_MS} ms, RSS ${R_RSS_MIB} MiB, CPU ${R_CPU_S} s/min (start to first ready; steady minute)" >&2
}

port=$(free_port)
measure nodepulse "http://127.0.0.1:$port/readyz" "http://127.0.0.1:$port/metrics" -- \
  "$JAVA" -jar "$JAR" --http-port "$port" --data-dir "$WORK/data" --log-level warn
NP=("$R_READY_MS" "$R_RSS_MIB" "$R_CPU_S")

# the same jar with small-footprint JVM options (serial GC, capped heap and code cache, C1 only)
SMALL_JVM=(-XX:+UseSerialGC -Xmx48m -Xss512k -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=64m -XX:TieredStopAtLevel=1)
port=$(free_port)
measure nodepulse-small "http://127.0.0.1:$port/readyz" "http://127.0.0.1:$port/metrics" -- \
  "$JAVA" "${SMALL_JVM[@]}" -jar "$JAR" --http-port "$port" --data-dir "$WORK/data-small" --log-level warn
NS=("$R_READY_MS" "$R_RSS_MIB" "$R_CPU_S")

NE=()
if [ -n "$NODE_EXPORTER" ]; then
  port=$(free_port)
  measure node_exporter "http://127.0.0.1:$port/metrics" "http://127.0.0.1:$port/metrics" -- \
    "$NODE_EXPORTER" --web.listen-address="127.0.0.1:$port" --log.level=warn
  NE=("$R_READY_MS" "$R_RSS_MIB" "$R_CPU_S")
  NE_VERSION=$("$NODE_EXPORTER" --version 2>&1 | awk '{ for (i = 1; i < NF; i++) if ($i == "version") { print $(i + 1); exit } }')
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "n/a" }'; }
{
  echo "# Startup and steady-state cost"
  echo
  echo "Measured $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)),"
  echo "$("$JAVA" -version 2>&1 | head -1), by \`bench/startup/run.sh\`. Each agent ran alone, scraped once a second"
  echo "for the steady minute; nodepulse also sampled at its default 1 Hz. The machine is shared, so take"
  echo "single runs as indicative."
  echo
  if [ ${#NE[@]} -gt 0 ]; then
    echo "| figure | nodepulse | nodepulse, small JVM | node_exporter ($NE_VERSION) | nodepulse / node_exporter | small / node_exporter |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    echo "| time to ready (ms; nodepulse /readyz, node_exporter /metrics) | ${NP[0]} | ${NS[0]} | ${NE[0]} | $(ratio "${NP[0]}" "${NE[0]}") | $(ratio "${NS[0]}" "${NE[0]}") |"
    echo "| resident memory 60 s after start (MiB) | ${NP[1]} | ${NS[1]} | ${NE[1]} | $(ratio "${NP[1]}" "${NE[1]}") | $(ratio "${NS[1]}" "${NE[1]}") |"
    echo "| CPU time per minute, steady (s) | ${NP[2]} | ${NS[2]} | ${NE[2]} | $(ratio "${NP[2]}" "${NE[2]}") | $(ratio "${NS[2]}" "${NE[2]}") |"
    echo
    echo "Small JVM: \`${SMALL_JVM[*]}\`."
  else
    echo "| figure | nodepulse | nodepulse, small JVM |"
    echo "| --- | ---: | ---: |"
    echo "| time to ready (ms, /readyz) | ${NP[0]} | ${NS[0]} |"
    echo "| resident memory 60 s after start (MiB) | ${NP[1]} | ${NS[1]} |"
    echo "| CPU time per minute, steady (s) | ${NP[2]} | ${NS[2]} |"
    echo
    echo "Small JVM: \`${SMALL_JVM[*]}\`."
    echo
    echo "node_exporter is not installed (Debian package prometheus-node-exporter), so there is no comparison."
  fi
} | tee "$OUT"
