#!/usr/bin/env bash
# nodes: one with N whole agents in one JVM against one real API server (kube-api-test; binaries from
# .ci/k8s-binaries): runs, duplicates and API writes per run. Usage: bench/kube/run.sh [agents] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -o -q test-compile
./mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec java -Xmx2g --enable-native-access=ALL-UNNAMED -Dlogback.configurationFile=bench/tasks/logback-bench.xml \
  -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.nodepulse.kube.KubeBench "$@"
