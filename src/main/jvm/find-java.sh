# How ./nodepulse, ./test.sh and .ci/run find a Java 21 or newer (bash; sourced by them). Defines:
#   find_java [jdk]          prints the java binary to use: $JAVA_HOME's, then `java` on PATH, then the newest
#                            of /usr/lib/jvm/*, /opt/java/*, /usr/java/*, /Library/Java/JavaVirtualMachines/*,
#                            ~/Library/Java/JavaVirtualMachines/* and Homebrew's openjdk that qualifies; with
#                            `jdk` only a JDK (one with javac) qualifies. When none does, says on stderr what it looked at and how to get one, and returns 1.
#   java_feature_version J   the feature version of java binary J (17, 21, 25, ...), or nothing when it does not run
#   java_home_of J           the home directory of java binary J
# Messages start with the name of the script that sourced this file.

java_say() { echo "$(basename "$0"): $*" >&2; }

java_home_of() { (cd "$(dirname "$(readlink -f "$1")")/.." 2>/dev/null && pwd); }

# from the JDK's release file when there is one (no JVM started), else from the JVM itself
java_feature_version() {
  local home v
  home=$(java_home_of "$1") || return 0
  if [ -f "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([0-9]*\).*/\1/p' "$home/release" | head -1)
    [ "$v" = 1 ] && v=8
    [ -n "$v" ] && { echo "$v"; return; }
  fi
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version =/ { print $2; exit }' | tr -d ' '
}

# true when java binary $1 is a Java 21+ (and, when $2 is `jdk`, has javac beside it)
java_qualifies() {
  local v
  [ -x "$1" ] || return 1
  v=$(java_feature_version "$1" || true)
  [ -n "$v" ] && [ "$v" -ge 21 ] || return 1
  [ "${2:-}" != jdk ] || [ -x "$(java_home_of "$1")/bin/javac" ]
}

find_java() {
  local need=${1:-} c v best="" best_v=0 tried=()
  if [ -n "${JAVA_HOME:-}" ]; then
    c="$JAVA_HOME/bin/java"; tried+=("$c (JAVA_HOME)")
    if java_qualifies "$c" "$need"; then echo "$c"; return; fi
  fi
  if c=$(command -v java 2>/dev/null); then
    tried+=("$c (PATH)")
    if java_qualifies "$c" "$need"; then echo "$c"; return; fi
  fi
  for c in /usr/lib/jvm/*/bin/java /opt/java/*/bin/java /usr/java/*/bin/java \
           /Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java \
           "${HOME:-/nonexistent}"/Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java \
           /opt/homebrew/opt/openjdk*/bin/java /usr/local/opt/openjdk*/bin/java; do
    [ -x "$c" ] || continue
    tried+=("$c")
    java_qualifies "$c" "$need" || continue
    v=$(java_feature_version "$c")
    if [ "$v" -gt "$best_v" ]; then best="$c"; best_v=$v; fi
  done
  if [ -n "$best" ]; then echo "$best"; return; fi
  java_say "no Java 21 or newer found${need:+ with a JDK (javac)}. Looked at:"
  for c in "${tried[@]:-(no java anywhere: JAVA_HOME unset, none on PATH or in /usr/lib/jvm)}"; do
    v=$(java_feature_version "${c%% (*}" 2>/dev/null || true)
    if [ -n "$v" ] && [ "$need" = jdk ] && [ ! -x "$(java_home_of "${c%% (*}")/bin/javac" ]; then v="$v (a JRE: no javac)"; fi
    java_say "  ${c}${v:+: Java $v}"
  done
  java_say "install a JDK 21+ (e.g. 'apt-get install openjdk-21-jdk' or Temurin 25) or set JAVA_HOME to one."
  return 1
}
