#!/usr/bin/env bash
# The test command: find a JDK 21+ as ./nodepulse does (src/main/jvm/find-java.sh; it says which, before
# anything slow), set up what the tests need (Debian packages, PyPI tools, kube binaries; cached), then
# ./mvnw verify with that JDK. Extra arguments go to Maven (e.g. ./test.sh -Dit.test=PageIT).
set -euo pipefail
cd "$(dirname "$0")"
. src/main/jvm/find-java.sh
java=$(find_java jdk) || exit 1
JAVA_HOME=$(java_home_of "$java")
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
echo "[test] Java $(java_feature_version "$java"): JAVA_HOME=$JAVA_HOME" >&2
eval "$(.ci/setup)"
exec ./mvnw -B verify "$@"
