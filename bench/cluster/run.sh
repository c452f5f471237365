#!/usr/bin/env bash
# The cluster view's cost (issue #20): a viewed agent and one real peer (./nodepulse processes, Kubernetes mode, as
# the chart's ServiceAccount) plus N-1 peers in the bench JVM running the agents' peer routes and their real
# TokenReview + SubjectAccessReview check, against one real kube-apiserver + etcd (kube-api-test; binaries from
# .ci/k8s-binaries; helm from .ci/setup, NODEPULSE_HELM or PATH). Per N: nobody views, one SockJS page views,
# nobody again. Usage: bench/cluster/run.sh [seconds per phase] [N ...]   (default: 60 s; 1 10 50 200)
set -euo pipefail
cd "$(dirname "$0")/../.."
. src/main/jvm/find-java.sh
java=$(find_java)
export JAVA_HOME=$(java_home_of "$java")
./mvnw -B -o -q -DskipTests package
./mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec "$java" -Xmx1g --enable-native-access=ALL-UNNAMED -Dlogback.configurationFile=bench/tasks/logback-bench.xml \
  -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.nodepulse.cluster.ClusterBench "$@"
