#!/usr/bin/env bash
# Sampling cost of CPU per pod: the packaged agent with 0, 100 and 500 pods in a generated cgroup tree.
# Usage: bench/usage/run.sh [seconds=60] [warmupSeconds=20] [cases=none,0,100,500]
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -o -q -DskipTests package
./mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec java --enable-native-access=ALL-UNNAMED -Dnodepulse.jar=target/nodepulse.jar \
  -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.nodepulse.usage.UsageBench "$@"
