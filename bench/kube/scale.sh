#!/usr/bin/env bash
# What the agents' coordination costs the API server as agents grow, the heartbeat design ("old") beside the
# membership + claim cascade ("new"), at rest and with a nodes: one run a second: three real agents, then N simulated
# on each design's API pattern, against one real kube-apiserver + etcd (kube-api-test; binaries from
# .ci/k8s-binaries). Loopback only; Ctrl-C stops it and the API server.
# Usage: bench/kube/scale.sh [seconds] [N ...]   (default: 25 s windows; 10 100 300; about 12 minutes)
#   -Dscale.maxEvents (JAVA_OPTS): a design is not run at an N whose predicted events/s pass it (default 60000)
set -euo pipefail
cd "$(dirname "$0")/../.."
. src/main/jvm/find-java.sh
java=$(find_java)
export JAVA_HOME=$(java_home_of "$java")
./mvnw -B -o -q test-compile
./mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec "$java" -Xmx2g ${JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -Dlogback.configurationFile=bench/tasks/logback-bench.xml \
  -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.nodepulse.kube.ScaleBench "$@"
