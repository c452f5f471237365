#!/usr/bin/env bash
# Scheduler benchmarks: memory per pending task and lateness of 10,000 same-second runs.
# Usage: bench/tasks/run.sh [memory [count] | lateness [count] [maxConcurrentRuns] [targets|webclient|noop]]
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -o -q test-compile
./mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec java -Xmx1g --enable-native-access=ALL-UNNAMED -Dlogback.configurationFile=bench/tasks/logback-bench.xml \
  -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.nodepulse.tasks.run.SchedulerBench "$@"
