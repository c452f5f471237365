#!/usr/bin/env bash
# What the agents' Lease heartbeats cost the API server as agents grow: three real agents, then N simulated on
# their exact API pattern, against one real kube-apiserver + etcd (kube-api-test; binaries from .ci/k8s-binaries).
# Usage: bench/kube/scale.sh [seconds] [N ...]   (default: 60 s; 10 100 300)
set -euo pipefail
cd "$(dirname "$0")/../.."
. src/main/jvm/find-java.sh
java=$(find_java)
export JAVA_HOME=$(java_home_of "$java")
./mvnw -B -o -q test-compile
./mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec "$java" -Xmx1g --enable-native-access=ALL-UNNAMED -Dlogback.configurationFile=bench/tasks/logback-bench.xml \
  -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.nodepulse.kube.ScaleBench "$@"
