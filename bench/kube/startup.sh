#!/usr/bin/env bash
# Start to ready: three agents in Kubernetes mode started together (./nodepulse, one real API server from
# kube-api-test), beside one standalone agent. Usage: bench/kube/startup.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
. src/main/jvm/find-java.sh
java=$(find_java)
export JAVA_HOME=$(java_home_of "$java")
./mvnw -B -o -q -DskipTests package
./mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec "$java" -Xmx512m ${STARTUP_BENCH_OPTS:-} -Dlogback.configurationFile=bench/tasks/logback-bench.xml \
  -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.nodepulse.kube.StartupBench "$@"
