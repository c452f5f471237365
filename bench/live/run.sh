#!/usr/bin/env bash
# Live-page benchmark: the packaged agent as a child process and N raw SockJS bridge clients.
# Usage: bench/live/run.sh [clients=1000] [seconds=60] [idleSeconds=15]
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -o -q -DskipTests package
./mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec java -Xmx1g --enable-native-access=ALL-UNNAMED -Dnodepulse.jar=target/nodepulse.jar \
  -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.nodepulse.live.LiveBench "$@"
