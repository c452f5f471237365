#!/usr/bin/env bash
# OSHI beside /proc on this Linux machine (docs/benchmarks.md, "OSHI beside /proc"):
#  1. CPU % of the OSHI source and the procfs source over the same 1 s windows, idle and under
#     stress-ng --cpu 1 --cpu-load L for each L given (default: 50), and the CPU time one read costs each;
#  2. the agent's cost with --sampler procfs and --sampler oshi side by side (the launcher's JVM options):
#     time to the first 200 of /readyz, RSS and CPU seconds after SECONDS_RUN (default 45) at 1 Hz.
# Usage: bench/oshi-parity.sh [load%...]     Needs target/nodepulse.jar and test classes (./mvnw -DskipTests package test-compile).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar="$here/target/nodepulse.jar"
cp="$jar:$here/target/test-classes"
windows=${WINDOWS:-15}
loads=("$@"); [ ${#loads[@]} -eq 0 ] && loads=(50)

echo "# parity: $windows windows of 1 s each"
"$java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.nodepulse.sampler.ParityBench idle "$windows" 2>/dev/null
for l in "${loads[@]}"; do
  command -v stress-ng >/dev/null || { echo "stress-ng is not installed: skipping load $l" >&2; continue; }
  stress-ng --cpu 1 --cpu-load "$l" --timeout $((windows + 8))s >/dev/null 2>&1 &
  sp=$!
  sleep 2
  "$java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.nodepulse.sampler.ParityBench "stress-ng-$l" "$windows" 2>/dev/null
  kill "$sp" 2>/dev/null || true
  wait "$sp" 2>/dev/null || true
done

echo "# agent cost, ${SECONDS_RUN:-45} s at 1 Hz"
read -r -a launch < <(NODEPULSE_AOT=off NODEPULSE_LAUNCHER=print "$here/nodepulse" | sed 's/ -jar .*//')
tmp=$(mktemp -d)
pids=()
for s in procfs oshi; do
  start=$(date +%s.%N)
  "${launch[@]}" -jar "$jar" --http-port 0 --data-dir "$tmp/$s" --sampler "$s" --log-level warn >"$tmp/$s.log" 2>&1 &
  pid=$!; pids+=("$pid")
  port=""
  for _ in $(seq 1 300); do
    port=$(ss -ltnpH 2>/dev/null | awk -v p="pid=$pid," '$0 ~ p { sub(/.*:/, "", $4); print $4; exit }')
    [ -n "$port" ] && curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
    sleep 0.05
  done
  echo "{\"sampler\":\"$s\",\"readySeconds\":$(echo "$(date +%s.%N) - $start" | bc)}"
  echo "$s $pid $port" >>"$tmp/agents"
done
sleep "${SECONDS_RUN:-45}"
while read -r s pid port; do
  rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
  ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  echo "{\"sampler\":\"$s\",\"rssMiB\":$(echo "scale=1; $rss / 1024" | bc),\"cpuSeconds\":$(echo "scale=2; $ticks / 100" | bc)}"
done <"$tmp/agents"
for p in "${pids[@]}"; do kill "$p"; done
wait 2>/dev/null || true
rm -rf "$tmp"
