#!/usr/bin/env bash
# The test command: set up what the tests need (Debian packages, PyPI tools; cached), then ./mvnw verify.
# Needs a JDK 21+ as JAVA_HOME or on PATH. Extra arguments go to Maven (e.g. ./test.sh -Dit.test=PageIT).
set -euo pipefail
cd "$(dirname "$0")"
eval "$(.ci/setup)"
exec ./mvnw -B verify "$@"
