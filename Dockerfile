# nodepulse node agent. Build: docker build -t nodepulse .
#
# Run it by itself (README "Run the image by itself"): the page and the task API listen on the
# container's loopback unless told otherwise, so publish them with NODEPULSE_HTTP_HOST=0.0.0.0 and
# bind the published port to the host's loopback:
#   docker run --rm --read-only --tmpfs /tmp -v nodepulse-data:/var/lib/nodepulse \
#     -e NODEPULSE_HTTP_HOST=0.0.0.0 -p 127.0.0.1:8080:8080 nodepulse
# The image runs as a non-root user (65532) with a read-only root filesystem: only /var/lib/nodepulse
# (history and task state; a volume) and /tmp (native libraries unpacked at start; a tmpfs) are
# written. In a cluster the host's /proc, /sys and / are mounted read-only at /host/proc, /host/sys
# and /host/root, and the chart passes --procfs/--sysfs/--rootfs (see helm/).

FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY src src
RUN ./mvnw -B -q -DskipTests package

FROM eclipse-temurin:25-jre
ARG VERSION=0.1.0-SNAPSHOT
LABEL org.opencontainers.image.title="nodepulse" \
      org.opencontainers.image.description="Node agent: live CPU page, REST API, Prometheus metrics and delayed tasks, on every node" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="docker.io/library/eclipse-temurin:25-jre"
COPY --from=build /src/target/nodepulse.jar /opt/nodepulse/nodepulse.jar
# The JVM options, the launcher's and the chart's too (a java argument file; see the file).
COPY src/main/jvm/jvm.options /opt/nodepulse/jvm.options
# The AOT cache: a training run of the agent at build time, with the ENTRYPOINT's JVM options (a cache
# made with other options is refused at start). It halves the time to the first answer
# (docs/benchmarks.md). The data dir belongs to the agent's user, so a fresh volume mounted there does too.
RUN java @/opt/nodepulse/jvm.options -XX:+UseCompactObjectHeaders \
      -XX:AOTCacheOutput=/opt/nodepulse/nodepulse.aot -cp /opt/nodepulse/nodepulse.jar dev.nodepulse.AotTraining \
 && chmod 0644 /opt/nodepulse/nodepulse.aot \
 && mkdir -p /var/lib/nodepulse \
 && chown 65532:65532 /var/lib/nodepulse
# A second cache for Kubernetes mode, which the chart's DaemonSet starts with (its command is this
# ENTRYPOINT with -XX:AOTCache=/opt/nodepulse/nodepulse-kube.aot): its ~4,000 more classes (the API client,
# Jackson, the JDK's HTTP client and TLS) would cost every standalone agent ~25 MiB in one cache.
RUN java @/opt/nodepulse/jvm.options -XX:+UseCompactObjectHeaders \
      -XX:AOTCacheOutput=/opt/nodepulse/nodepulse-kube.aot -cp /opt/nodepulse/nodepulse.jar dev.nodepulse.AotTraining kubernetes \
 && chmod 0644 /opt/nodepulse/nodepulse-kube.aot
ENV NODEPULSE_DATA_DIR=/var/lib/nodepulse \
    NODEPULSE_PIPE_DIR=/var/lib/nodepulse/pipes
USER 65532:65532
EXPOSE 8080 9101
VOLUME ["/var/lib/nodepulse"]
# The agent stops cleanly on SIGTERM (history flushed, exit code 0).
STOPSIGNAL SIGTERM
# The JVM options (the launcher's: ./nodepulse; DockerfileIT checks that both use the one file) and the AOT
# cache made above. An OutOfMemoryError ends the process (-XX:+ExitOnOutOfMemoryError there): run it with
# a restart policy (docker run --restart=on-failure). To give it more heap (many pending tasks):
# -e _JAVA_OPTIONS=-Xmx256m (read after these).
ENTRYPOINT ["java", "@/opt/nodepulse/jvm.options", "-XX:+UseCompactObjectHeaders", "-XX:AOTCache=/opt/nodepulse/nodepulse.aot", "-Djava.io.tmpdir=/tmp", "-jar", "/opt/nodepulse/nodepulse.jar"]
