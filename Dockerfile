# nodepulse node agent. Build: docker build -t nodepulse .
# The image runs as a non-root user with a read-only root filesystem: mount writable volumes at
# /var/lib/nodepulse (history and task state) and /tmp (native libraries unpacked at start), and the
# host's /proc, /sys and / read-only at /host/proc, /host/sys, /host/root (see the Helm chart).
FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY src src
RUN ./mvnw -B -q -DskipTests package

FROM eclipse-temurin:21-jre
COPY --from=build /src/target/nodepulse.jar /opt/nodepulse/nodepulse.jar
ENV NODEPULSE_DATA_DIR=/var/lib/nodepulse \
    NODEPULSE_PIPE_DIR=/var/lib/nodepulse/pipes
USER 65532:65532
EXPOSE 8080 9101
# DockerfileIT runs this exact command line as uid 65532 on a read-only root.
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-Xmx48m", "-Xss512k", "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=64m", "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=/tmp", "-jar", "/opt/nodepulse/nodepulse.jar"]
