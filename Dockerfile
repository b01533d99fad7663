# Lifeboat in a container: `docker build -t lifeboat .` (docker-compose.yml builds it for you).
#
# Stage 1 builds the jar and its libraries with Maven, as the launcher does (cli/target/lifeboat.jar + lib/).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -pl cli -am package

# Stage 2 runs it. Debian bookworm carries both a Java 17 runtime and PostgreSQL 15 in its own archive, so no
# third-party apt repository (and no gnupg to import its key) is needed.
#
# postgresql-15 rather than only postgresql-client-15: Lifeboat finds the programs of a major version by their
# directory (/usr/lib/postgresql/15/bin, which must hold pg_ctl), runs pg_dump/pg_dumpall for the archive and
# pg_restore/pg_amcheck to verify, and brings up scratch servers (initdb, pg_ctl) to verify archives and to rehearse
# recovery (`recover --auto --dry-run`). The package is kept from creating a cluster of its own.
FROM debian:bookworm-slim
RUN set -eux; \
    mkdir -p /etc/postgresql-common/createcluster.d /usr/share/man/man1; \
    echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/lifeboat.conf; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        openjdk-17-jre-headless postgresql-15 ca-certificates tzdata; \
    rm -rf /var/lib/apt/lists/*; \
    test -x /usr/lib/postgresql/15/bin/pg_dump; test -x /usr/lib/postgresql/15/bin/pg_dumpall; \
    test -x /usr/lib/postgresql/15/bin/pg_restore; test -x /usr/lib/postgresql/15/bin/pg_amcheck; \
    test -x /usr/bin/java

# A fixed uid/gid, so files on the host (deploy/init-secrets) can be given to it: 10001 is outside the ranges
# distributions hand out to system and login users.
RUN groupadd --system --gid 10001 lifeboat \
    && useradd --system --uid 10001 --gid lifeboat --home-dir /var/lib/lifeboat --shell /usr/sbin/nologin lifeboat \
    && install -d -m 0700 -o lifeboat -g lifeboat /var/lib/lifeboat /var/lib/lifeboat/archive \
    && install -d -m 0755 /opt/lifeboat /etc/lifeboat

COPY --from=build /src/cli/target/lifeboat.jar /opt/lifeboat/lifeboat.jar
COPY --from=build /src/cli/target/lib/ /opt/lifeboat/lib/
COPY deploy/lifeboat /usr/local/bin/lifeboat

USER lifeboat
WORKDIR /var/lib/lifeboat
ENV PG_BIN=/usr/lib/postgresql/15/bin
ENTRYPOINT ["/usr/local/bin/lifeboat"]
CMD ["-c", "/etc/lifeboat/lifeboat.yml", "run"]
