package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.replicator.BackgroundReplication;
import io.lifeboat.replicator.Replicator;
import io.lifeboat.testkit.FaultyProxy;
import io.lifeboat.testkit.PgpKeys;
import io.lifeboat.testkit.PostgresCluster;
import io.lifeboat.testkit.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** archive run / list / copy end to end: a replicated standby, a real S3 server, a filesystem target, real keys. */
class ArchiveCommandsIT {
    private static final String TABLE_MD5 = "SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY id)), '') FROM notes t";

    @TempDir
    static Path dir;
    static PostgresCluster master;
    static PostgresCluster standby;
    static S3Server s3;
    static PgpKeys keys;
    static Path config;

    @BeforeAll
    static void replicatedStandby() throws Exception {
        master = PostgresCluster.builder().start();
        standby = PostgresCluster.builder().start();
        s3 = S3Server.start();
        s3.createBucket("backups");
        keys = PgpKeys.generate("Lifeboat Backups <backups@example.invalid>", "correct horse".toCharArray());
        keys.writeArmoredPublicKey(dir.resolve("backup.pub.asc"));
        for (PostgresCluster cluster : List.of(master, standby)) {
            cluster.createDatabase("app");
            cluster.execute("app", "CREATE TABLE notes (id int PRIMARY KEY, body text, blob bytea)");
        }
        // ~6 MB of incompressible-ish text, so the stored backup spans several 1 MiB chunks.
        master.execute("app", "INSERT INTO notes SELECT g, array_to_string(ARRAY(SELECT md5(random()::text || g || i)"
                + " FROM generate_series(1, 40) i), ''),"
                + " decode(md5(g::text), 'hex') FROM generate_series(1, 5000) g");
        config = writeConfig("s3", "");
        LifeboatConfig lifeboat = ConfigLoader.load(config).config();
        try (Pools pools = new Pools(lifeboat)) {
            new CatalogMigrator(pools.standby()).migrate();
            Replicator replicator = new Replicator(lifeboat.master(), lifeboat.replication(), pools.master(),
                    pools.standby());
            try (BackgroundReplication replication = replicator.startInBackground()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < deadline && !(master.queryValue("SELECT 1").equals("1")
                        && value(standby, TABLE_MD5).equals(value(master, TABLE_MD5))
                        && !value(standby, "SELECT count(*) FROM lifeboat.applied_position").equals("0")
                        // the master's clock, which each backup records its position's time by
                        && !value(standby, "SELECT count(*) FROM lifeboat.heartbeat").equals("0"))) {
                    assertThat(replication.failure()).isEmpty();
                    Thread.sleep(200);
                }
            }
        }
        assertThat(value(standby, TABLE_MD5)).isEqualTo(value(master, TABLE_MD5));
    }

    static Path writeConfig(String name, String extra) throws IOException {
        Path file = dir.resolve(name + ".yml");
        Files.writeString(file, """
                master: {host: 127.0.0.1, port: %d, database: app, user: postgres, sslmode: disable}
                standby: {host: 127.0.0.1, port: %d, database: app, user: postgres, sslmode: disable}
                archive:
                  chunk_size: 1MiB
                  compression_level: 1
                  recipients: [backup.pub.asc]
                  targets:
                    - name: primary
                      type: s3
                      bucket: backups
                      endpoint: %s
                      path_style: true
                      access_key_id: %s
                      secret_access_key: ${S3_SECRET:-%s}
                    - name: offsite
                      type: filesystem
                      path: %s
                %s""".formatted(master.port(), standby.port(), s3.endpoint(), s3.accessKey(), s3.secretKey(),
                dir.resolve("offsite"), extra));
        return file;
    }

    static String value(PostgresCluster cluster, String sql) {
        try (var c = cluster.connect("app"); var s = c.createStatement(); var r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(sql, e);
        }
    }

    @AfterAll
    static void stop() {
        Stream.<AutoCloseable>of(master, standby, s3).forEach(resource -> {
            try {
                if (resource != null) {
                    resource.close();
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void run_storesChunksThenTheManifestOnBothTargets() throws Exception {
        CommandRun run = CommandRun.of("-c", config.toString(), "archive", "run");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String lsn = value(standby, "SELECT lsn::text FROM lifeboat.applied_position");
        assertThat(run.out()).matches("(?s)backup \\d{8}T\\d{6}Z: \\d.* dump stored as .* in \\d+ chunks on s3:primary in"
                + " [0-9.]+ s \\(master LSN " + java.util.regex.Pattern.quote(lsn) + "\\)\n  copied to fs:offsite\n");
        String id = run.out().split(" ")[1].replace(":", "");

        CommandRun list = CommandRun.of("-c", config.toString(), "archive", "list");
        assertThat(list.out().lines().toList()).anyMatch(l -> l.startsWith(id) && l.contains(lsn)
                && l.endsWith("complete"));
        CommandRun verbose = CommandRun.of("-c", config.toString(), "archive", "list", "--verbose");
        List<String> lines = verbose.out().lines().toList();
        int row = lines.indexOf(lines.stream().filter(l -> l.startsWith(id)).findFirst().orElseThrow());
        String masterSchema;
        try (var connection = master.connect("app")) {
            masterSchema = io.lifeboat.core.db.SchemaFingerprint.of(connection).value();
        }
        assertThat(lines.get(row + 1)).as("the standby's schema, which the master's equals")
                .isEqualTo("  schema:   " + masterSchema);
        assertThat(lines.get(row + 2)).startsWith("  source:   database app, PostgreSQL 15.");
        assertThat(lines.get(row + 3)).startsWith("  written:  by lifeboat ");
        // The standby stopped replicating when the class set up: the backup holds the master as of then (its last
        // replicated heartbeat), not as of the archive's start.
        long micros = Long.parseLong(value(standby, "SELECT (extract(epoch FROM beat_at) * 1000000)::bigint"
                + " FROM lifeboat.heartbeat"));
        java.time.Instant beat = java.time.Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000);
        assertThat(lines.get(row + 5)).isEqualTo("  point:    master " + lsn + " at " + beat + " (the master's clock)");
        assertThat(beat).isBefore(io.lifeboat.archiver.BackupId.parse(id).orElseThrow().startedAt());

        CommandRun offsite = CommandRun.of("-c", config.toString(), "archive", "list", "--target", "offsite");
        assertThat(offsite.out().lines().toList()).anyMatch(l -> l.startsWith(id) && l.endsWith("complete"));
        assertThat(dir.resolve("offsite").resolve(id).resolve("manifest.json")).exists();
        assertThat(dir.resolve("offsite").resolve(id).resolve("chunk-00003")).exists();
    }

    @Test
    void verifyRestoreAndPrune_roundTripIntoANewCluster() throws Exception {
        CommandRun run = CommandRun.of("-c", config.toString(), "archive", "run");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String id = run.out().split(" ")[1].replace(":", "");
        keys.writeArmoredSecretKey(dir.resolve("backup.key.asc"));
        Files.writeString(dir.resolve("passphrase"), "correct horse\n");

        CommandRun verify = CommandRun.of("-c", config.toString(), "archive", "verify", id);
        assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out()).startsWith("backup " + id + " on s3:primary: verified (");
        CommandRun content = CommandRun.of("-c", config.toString(), "archive", "verify", id, "--target", "offsite",
                "--content", "--key", dir.resolve("backup.key.asc").toString(), "--passphrase-file",
                dir.resolve("passphrase").toString());
        assertThat(content.exitCode()).as(content.out() + content.err()).isZero();
        assertThat(content.out()).contains("verified (content read end to end)");
        assertThat(CommandRun.of("-c", config.toString(), "archive", "list").out()).contains(" verified");

        // The new cluster's directory must be reachable by the postgres OS user; JUnit's temp dir is root-only.
        Path parent = Files.createTempDirectory(Path.of("/tmp"), "lifeboat-restore-");
        Files.setPosixFilePermissions(parent, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path restored = parent.resolve("restored-" + id);
        int port;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        CommandRun restore = CommandRun.of("-c", config.toString(), "archive", "restore", id, "--new-cluster",
                restored.toString(), "--port", Integer.toString(port), "--key", dir.resolve("backup.key.asc").toString(),
                "--passphrase-file", dir.resolve("passphrase").toString());
        assertThat(restore.exitCode()).as(restore.err()).isZero();
        Path passwordFile = parent.resolve("restored-" + id + ".password");
        assertThat(restore.out()).startsWith("backup " + id + " restored from s3:primary into ")
                .contains("(superuser postgres, its password in " + passwordFile + ", readable only by you: PGPASSFILE="
                        + passwordFile + " psql -h 127.0.0.1 -p " + port + " -U postgres)");
        try {
            // No trust: without the password nobody gets in, not even locally; the password is the operator's alone.
            var user = new java.util.Properties();
            user.setProperty("user", "postgres");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> java.sql.DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + port + "/app", user)).isInstanceOf(java.sql.SQLException.class);
            assertThat(io.lifeboat.testkit.PrivacyProbe.exposed(passwordFile)).isEmpty();
            String line = Files.readString(passwordFile).strip();
            assertThat(line).matches("\\*:" + port + ":\\*:postgres:[A-Za-z0-9_-]{32}");
            user.setProperty("password", line.substring(line.lastIndexOf(':') + 1));
            try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app", user);
                 var st = c.createStatement(); var rs = st.executeQuery(TABLE_MD5)) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(value(standby, TABLE_MD5));
            }
        } finally {
            io.lifeboat.core.process.ExternalCommand.of("/usr/lib/postgresql/15/bin/pg_ctl", "-D",
                    restored.toString(), "-m", "immediate", "stop").asUser("postgres")
                    .timeout(java.time.Duration.ofSeconds(60)).runAllowingFailure();
            io.lifeboat.core.process.ExternalCommand.of("rm", "-rf", parent.toString())
                    .timeout(java.time.Duration.ofSeconds(60)).runAllowingFailure();
        }

        Path chunk = dir.resolve("offsite").resolve(id).resolve("chunk-00002");
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(chunk, bytes);
        CommandRun corrupt = CommandRun.of("-c", config.toString(), "archive", "verify", id, "--target", "offsite");
        assertThat(corrupt.exitCode()).isEqualTo(2);
        assertThat(corrupt.out()).isEqualTo("backup " + id + " on fs:offsite: CORRUPT\n  chunk " + id
                + "/chunk-00002 on fs:offsite is corrupt (sha256 mismatch)\n");

        CommandRun prune = CommandRun.of("-c", config.toString(), "archive", "prune", "--dry-run", "--target", "primary");
        assertThat(prune.exitCode()).isZero();
        assertThat(prune.out().lines().toList()).anyMatch(l -> l.startsWith("s3:primary: keep   " + id + ": "));
    }

    @Test
    void restoreMistakes_eachGetOneLineSayingWhatHappenedAndWhatToDo() throws Exception {
        CommandRun run = CommandRun.of("-c", config.toString(), "archive", "run");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String id = run.out().split(" ")[1].replace(":", "");
        keys.writeArmoredSecretKey(dir.resolve("mistakes.key.asc"));
        Files.writeString(dir.resolve("mistakes.pass"), "correct horse\n");
        standby.createDatabase("twice");
        String twice = "postgresql://postgres@127.0.0.1:" + standby.port() + "/twice";
        List<String> restore = List.of("-c", config.toString(), "archive", "restore", id, "--to", twice);

        // A key the backup is not encrypted to: the message names the keys it is encrypted to.
        PgpKeys other = PgpKeys.generate("Someone Else <else@example.invalid>", "other".toCharArray());
        other.writeArmoredSecretKey(dir.resolve("other.key.asc"));
        Files.writeString(dir.resolve("other.pass"), "other\n");
        CommandRun wrongKey = CommandRun.of(with(restore, "--key", dir.resolve("other.key.asc").toString(),
                "--passphrase-file", dir.resolve("other.pass").toString()));
        assertThat(wrongKey.exitCode()).isEqualTo(2);
        assertThat(wrongKey.err()).isEqualTo("error: backup " + id + " is encrypted to key " + keys.fingerprint()
                + " (the manifest's recipients), not to key " + other.fingerprint() + "\n"
                + "hint: give the secret key of that key with --key FILE (gpg --export-secret-keys --armor FINGERPRINT"
                + " > FILE)\n");

        // No terminal (as under cron or in this test) and no --passphrase-file.
        CommandRun noTerminal = CommandRun.of(with(restore, "--key", dir.resolve("mistakes.key.asc").toString()));
        assertThat(noTerminal.exitCode()).isEqualTo(2);
        assertThat(noTerminal.err()).isEqualTo("error: secret key " + dir.resolve("mistakes.key.asc") + " is protected"
                + " by a passphrase and there is no terminal to ask for it\n"
                + "hint: give it with --passphrase-file FILE (a file only you can read)\n");

        // A passphrase file that is not there: the reason, not the path again.
        CommandRun noFile = CommandRun.of(with(restore, "--key", dir.resolve("mistakes.key.asc").toString(),
                "--passphrase-file", dir.resolve("nowhere.pass").toString()));
        assertThat(noFile.err()).isEqualTo("error: cannot read the passphrase file " + dir.resolve("nowhere.pass")
                + " (no such file)\n");

        // The second restore into the same database: pg_restore's own error, the command, and what to do.
        String[] good = with(restore, "--key", dir.resolve("mistakes.key.asc").toString(), "--passphrase-file",
                dir.resolve("mistakes.pass").toString());
        CommandRun first = CommandRun.of(good);
        assertThat(first.exitCode()).as(first.err()).isZero();
        try (var connection = standby.connect("twice"); var statement = connection.createStatement();
             var rs = statement.executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname = 'lifeboat'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("the standby's lifeboat catalog is not part of the backup").isZero();
        }
        CommandRun second = CommandRun.of(good);
        assertThat(second.exitCode()).isEqualTo(2);
        assertThat(second.errLines()).hasSize(2);
        assertThat(second.errLines().get(0)).isEqualTo("error: pg_restore failed (exit 1): could not execute query:"
                + " ERROR: relation \"notes\" already exists; command was: CREATE TABLE public.notes (");
        assertThat(second.errLines().get(1)).isEqualTo("hint: nothing was restored: pg_restore runs in one transaction"
                + " and stops at the first error; the destination must be an empty database, with the roles the dump"
                + " grants to (or --no-privileges)");
    }

    private static String[] with(List<String> args, String... more) {
        List<String> all = new java.util.ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void grantsToRolesTheNewClusterLacks_failCleanlyOrAreSkippedWithNoPrivileges() throws Exception {
        standby.execute("CREATE ROLE report_reader");
        standby.execute("app", "GRANT SELECT ON notes TO report_reader");
        String id;
        try {
            CommandRun run = CommandRun.of("-c", config.toString(), "archive", "run");
            assertThat(run.exitCode()).as(run.err()).isZero();
            id = run.out().split(" ")[1].replace(":", "");
        } finally {
            standby.execute("app", "REVOKE SELECT ON notes FROM report_reader");
            standby.execute("DROP ROLE report_reader");
        }
        keys.writeArmoredSecretKey(dir.resolve("grants.key.asc"));
        Files.writeString(dir.resolve("grants.pass"), "correct horse\n");
        Path parent = Files.createTempDirectory(Path.of("/tmp"), "lifeboat-restore-");
        Files.setPosixFilePermissions(parent, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            List<String> restore = List.of("-c", config.toString(), "archive", "restore", id, "--key",
                    dir.resolve("grants.key.asc").toString(), "--passphrase-file", dir.resolve("grants.pass").toString());
            List<String> first = new java.util.ArrayList<>(restore);
            first.addAll(List.of("--new-cluster", parent.resolve("a").toString(), "--port", Integer.toString(freePort())));
            CommandRun refused = CommandRun.of(first.toArray(String[]::new));
            assertThat(refused.exitCode()).isEqualTo(2);
            assertThat(refused.err()).isEqualTo("error: pg_restore failed (exit 1): could not execute query: ERROR:"
                    + " role \"report_reader\" does not exist; command was: GRANT SELECT ON TABLE public.notes TO"
                    + " report_reader;\nhint: nothing was restored: pg_restore runs in one transaction and stops at the"
                    + " first error; the destination must be an empty database, with the roles the dump grants to (or"
                    + " --no-privileges)\n");
            assertThat(parent.resolve("a")).as("the failed new cluster is removed").doesNotExist();
            assertThat(parent.resolve("a.password")).as("and its password file").doesNotExist();

            List<String> second = new java.util.ArrayList<>(restore);
            second.addAll(List.of("--new-cluster", parent.resolve("b").toString(), "--port", Integer.toString(freePort()),
                    "--no-privileges"));
            CommandRun restored = CommandRun.of(second.toArray(String[]::new));
            assertThat(restored.exitCode()).as(restored.err()).isZero();
        } finally {
            io.lifeboat.core.process.ExternalCommand.of("/usr/lib/postgresql/15/bin/pg_ctl", "-D",
                    parent.resolve("b").toString(), "-m", "immediate", "stop").asUser("postgres")
                    .timeout(java.time.Duration.ofSeconds(60)).runAllowingFailure();
            io.lifeboat.core.process.ExternalCommand.of("rm", "-rf", parent.toString())
                    .timeout(java.time.Duration.ofSeconds(60)).runAllowingFailure();
        }
    }

    @Test
    void rolesOfTheMaster_arriveInTheNewCluster_soTheAppRoleLogsInWithItsPasswordAndKeepsItsGroup() throws Exception {
        master.execute("CREATE ROLE shop_app LOGIN PASSWORD 'shop-secret'");
        master.execute("CREATE ROLE shop_readers NOLOGIN");
        master.execute("GRANT shop_readers TO shop_app");
        Path parent = Files.createTempDirectory(Path.of("/tmp"), "lifeboat-restore-");
        Files.setPosixFilePermissions(parent, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path restored = parent.resolve("roles");
        try {
            CommandRun run = CommandRun.of("-c", config.toString(), "archive", "run");
            assertThat(run.exitCode()).as(run.err()).isZero();
            String id = run.out().split(" ")[1].replace(":", "");
            String manifest = Files.readString(dir.resolve("offsite").resolve(id).resolve("manifest.json"));
            assertThat(manifest).contains("\"formatVersion\" : 4", "\"masterTime\" : \"", "\"key\" : \"" + id + "/globals\"",
                    "\"capturedFrom\" : \"master\"", "\"rolePasswords\" : true");
            assertThat(dir.resolve("offsite").resolve(id).resolve("globals")).as("copied with the chunks").exists();
            assertThat(new String(Files.readAllBytes(dir.resolve("offsite").resolve(id).resolve("globals")),
                    java.nio.charset.StandardCharsets.ISO_8859_1)).as("encrypted like the chunks")
                    .doesNotContain("shop_app");
            assertThat(CommandRun.of("-c", config.toString(), "archive", "list", "--verbose").out())
                    .contains("  roles:    from the master, with their passwords");

            keys.writeArmoredSecretKey(dir.resolve("roles.key.asc"));
            Files.writeString(dir.resolve("roles.pass"), "correct horse\n");
            int port = freePort();
            CommandRun restore = CommandRun.of("-c", config.toString(), "archive", "restore", id, "--target",
                    "offsite", "--new-cluster", restored.toString(), "--port", Integer.toString(port), "--key",
                    dir.resolve("roles.key.asc").toString(), "--passphrase-file", dir.resolve("roles.pass").toString());
            assertThat(restore.exitCode()).as(restore.err()).isZero();
            assertThat(restore.out().lines().toList()).contains("  roles: 2 roles created from the master's"
                    + " (shop_app, shop_readers); already there: postgres");

            // The new cluster asks every connection for a password (scram): the app's own one works.
            var app = new java.util.Properties();
            app.setProperty("user", "shop_app");
            app.setProperty("password", "shop-secret");
            try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app", app);
                 var st = c.createStatement();
                 var rs = st.executeQuery("SELECT current_user, pg_has_role('shop_app', 'shop_readers', 'MEMBER'),"
                         + " (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'shop_readers')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("shop_app");
                assertThat(rs.getBoolean(2)).as("the membership").isTrue();
                assertThat(rs.getBoolean(3)).as("the group role stays NOLOGIN").isFalse();
            }
            app.setProperty("password", "wrong");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> java.sql.DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + port + "/app", app)).isInstanceOf(java.sql.SQLException.class);
        } finally {
            master.execute("DROP ROLE shop_app");
            master.execute("DROP ROLE shop_readers");
            io.lifeboat.core.process.ExternalCommand.of("/usr/lib/postgresql/15/bin/pg_ctl", "-D",
                    restored.toString(), "-m", "immediate", "stop").asUser("postgres")
                    .timeout(java.time.Duration.ofSeconds(60)).runAllowingFailure();
            io.lifeboat.core.process.ExternalCommand.of("rm", "-rf", parent.toString())
                    .timeout(java.time.Duration.ofSeconds(60)).runAllowingFailure();
        }
    }

    @Test
    void sequencesBehindTheMasters_areBroughtUpBeforeTheDump_soTheFirstInsertAfterARestoreDoesNotCollide()
            throws Exception {
        for (PostgresCluster cluster : List.of(master, standby)) {
            cluster.execute("app", "CREATE TABLE orders (id serial PRIMARY KEY, item text)");
        }
        try {
            // As replication leaves it with the periodic sequence sync behind: the rows up to 184 on both sides (the
            // applier writes the master's ids), the standby's sequence where the last sync put it, at 169.
            master.execute("app", "INSERT INTO orders (item) SELECT 'item ' || g FROM generate_series(1, 184) g");
            standby.execute("app", "INSERT INTO orders (id, item) SELECT g, 'item ' || g FROM generate_series(1, 184) g");
            standby.execute("app", "SELECT setval('orders_id_seq', 169)");

            CommandRun run = CommandRun.of("-c", config.toString(), "archive", "run");
            assertThat(run.exitCode()).as(run.err()).isZero();
            String id = run.out().split(" ")[1].replace(":", "");
            assertThat(value(standby, "SELECT last_value FROM orders_id_seq")).isEqualTo("184");

            keys.writeArmoredSecretKey(dir.resolve("sequences.key.asc"));
            Files.writeString(dir.resolve("sequences.pass"), "correct horse\n");
            standby.createDatabase("sequences_restored");
            CommandRun restore = CommandRun.of("-c", config.toString(), "archive", "restore", id, "--to",
                    "postgresql://postgres@127.0.0.1:" + standby.port() + "/sequences_restored", "--key",
                    dir.resolve("sequences.key.asc").toString(), "--passphrase-file",
                    dir.resolve("sequences.pass").toString());
            assertThat(restore.exitCode()).as(restore.err()).isZero();
            try (var c = standby.connect("sequences_restored"); var st = c.createStatement();
                 var rs = st.executeQuery("INSERT INTO orders (item) VALUES ('the first after the restore')"
                         + " RETURNING id")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(185);
            }
        } finally {
            for (PostgresCluster cluster : List.of(master, standby)) {
                cluster.execute("app", "DROP TABLE IF EXISTS orders");
            }
        }
    }

    @Test
    void aMasterThatDoesNotAnswer_leavesTheRolesToTheStandby_andTheRunSucceeds() throws Exception {
        Path masterDown = writeConfig("master-down", "");
        Files.writeString(masterDown, Files.readString(masterDown).replace("port: " + master.port() + ",",
                "port: " + freePort() + ","));
        CommandRun run = CommandRun.of("-c", masterDown.toString(), "archive", "run");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String id = run.out().split(" ")[1].replace(":", "");
        assertThat(Files.readString(dir.resolve("offsite").resolve(id).resolve("manifest.json")))
                .contains("\"capturedFrom\" : \"standby\"");
    }

    private static int freePort() throws IOException {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aHumanWithoutLifeboat_readsTheChunksWithCatGpgAndZstd() throws Exception {
        CommandRun run = CommandRun.of("-c", config.toString(), "archive", "run");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String id = run.out().split(" ")[1].replace(":", "");
        Path home = Files.createTempDirectory("gnupg-");
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        keys.writeArmoredSecretKey(dir.resolve("human.key.asc"));
        Files.writeString(dir.resolve("human.pass"), "correct horse");
        String script = String.join(" && ",
                "gpg --batch --quiet --pinentry-mode loopback --passphrase-file " + dir.resolve("human.pass")
                        + " --import " + dir.resolve("human.key.asc"),
                "cat " + dir.resolve("offsite").resolve(id) + "/chunk-* | gpg --batch --quiet --pinentry-mode loopback"
                        + " --passphrase-file " + dir.resolve("human.pass") + " --decrypt | zstd -dc > "
                        + dir.resolve("human.dump"),
                "/usr/lib/postgresql/15/bin/pg_restore --list " + dir.resolve("human.dump")
                        + " | grep -c 'TABLE DATA public notes'");
        io.lifeboat.core.process.ExternalCommand.Result result;
        try {
            result = io.lifeboat.core.process.ExternalCommand.of("bash", "-o", "pipefail", "-c", script)
                    .env("GNUPGHOME", home.toString()).timeout(java.time.Duration.ofMinutes(2)).runAllowingFailure();
        } finally {
            // gpg starts an agent for the home directory; it must not outlive the test.
            io.lifeboat.core.process.ExternalCommand.of("gpgconf", "--kill", "all").env("GNUPGHOME", home.toString())
                    .timeout(java.time.Duration.ofSeconds(30)).runAllowingFailure();
            io.lifeboat.core.process.ExternalCommand.of("rm", "-rf", home.toString())
                    .timeout(java.time.Duration.ofSeconds(30)).runAllowingFailure();
        }
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout().strip()).isEqualTo("1");
    }

    @Test
    void twoRunsStartingInTheSameSecond_makeTwoIntactBackups() throws Exception {
        LifeboatConfig lifeboat = ConfigLoader.load(config).config();
        java.time.Clock sameSecond = java.time.Clock.fixed(java.time.Instant.now(), java.time.ZoneOffset.UTC);
        List<String> ids = new java.util.ArrayList<>();
        try (Pools pools = new Pools(lifeboat)) {
            for (int run = 0; run < 2; run++) {
                ids.add(new io.lifeboat.archiver.job.ArchiveJob(lifeboat.archive(), lifeboat.standby(), pools.standby(),
                        lifeboat.replication().slot(), sameSecond).run().manifest().id());
            }
        }
        assertThat(ids.get(1)).isNotEqualTo(ids.get(0));
        for (String id : ids) {
            for (String target : List.of("primary", "offsite")) {
                CommandRun verify = CommandRun.of("-c", config.toString(), "archive", "verify", id, "--target", target);
                assertThat(verify.exitCode()).as(verify.out()).isZero();
            }
        }
    }

    @Test
    void aSecondRunWhileOneRuns_refusesNamingIt_andAKilledRunLeavesNoLockBehind() throws Exception {
        Path slow = writeConfig("slow-locked", "  bandwidth: 512KiB/s\n");
        Process first = new ProcessBuilder(ChildJvm.shortLivedCommand("384m", List.of("-c", slow.toString(), "archive",
                "run")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("locked-run.log").toFile()).start();
        try {
            String holding = "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                    + " WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'lifeboat archive run%'";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (value(standby, holding).equals("0") && System.nanoTime() < deadline && first.isAlive()) {
                Thread.sleep(50);
            }
            assertThat(value(standby, holding)).as("the first run holds the archive lock").isEqualTo("1");

            CommandRun second = CommandRun.of("-c", config.toString(), "archive", "run");

            assertThat(second.exitCode()).isEqualTo(2);
            assertThat(second.out()).isEmpty();
            assertThat(second.errLines()).hasSize(2);
            assertThat(second.errLines().get(0)).startsWith("error: another archive run is in progress on this standby:"
                    + " lifeboat archive run (pid " + first.pid() + " on ").containsPattern(
                    "\\), connected from 127\\.0\\.0\\.1/32 since \\S+Z \\(standby backend \\d+\\)$");
            assertThat(second.errLines().get(1)).isEqualTo("hint: wait for it to finish; a run that died has already"
                    + " released its lock");
            assertThat(first.isAlive()).as("the first run goes on").isTrue();
        } finally {
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }

        CommandRun next = CommandRun.of("-c", config.toString(), "archive", "run");
        assertThat(next.exitCode()).as("the killed run's lock went with it: " + next.err()).isZero();
    }

    @Test
    void s3Faults_areRetriedIntoIntactBackups_andAChunkThatNeverUploadsLeavesNoBackup() throws Exception {
        try (FaultyProxy proxy = FaultyProxy.start(s3.endpoint())) {
            Path flaky = writeConfig("flaky", "");
            Files.writeString(flaky, Files.readString(flaky).replace(s3.endpoint().toString(),
                    proxy.endpoint().toString()));
            List<String> before = CommandRun.of("-c", config.toString(), "archive", "list").out().lines().skip(1)
                    .toList();

            proxy.on("PUT", ".*/chunk-00002(\\?.*)?").respond(500, "InternalError");
            CommandRun failed = CommandRun.of("-c", flaky.toString(), "archive", "run");

            assertThat(failed.exitCode()).isEqualTo(2);
            assertThat(failed.errLines()).hasSize(2);
            assertThat(failed.errLines().get(0)).matches("error: cannot upload \\d{8}T\\d{6}Z/chunk-00002 to s3:primary"
                    + " \\(s3 answered 500 InternalError\\) \\(gave up after 5 attempts in [0-9.]+ s\\)");
            assertThat(failed.errLines().get(1)).startsWith("hint: attempts: cannot upload ");
            assertThat(failed.errLines().get(1).split("; ")).as("every attempt is named").hasSize(5)
                    .allMatch(attempt -> attempt.endsWith("/chunk-00002 to s3:primary (s3 answered 500 InternalError)"));
            String failedId = failed.errLines().get(0).substring("error: cannot upload ".length()).split("/")[0];
            assertThat(s3.client().listObjectsV2(b -> b.bucket("backups").prefix(failedId + "/")).contents())
                    .as("the failed run's committed chunks are gone, and it has no manifest").isEmpty();
            assertThat(CommandRun.of("-c", config.toString(), "archive", "list").out().lines().skip(1).toList())
                    .isEqualTo(before);

            proxy.heal();
            proxy.on("PUT", ".*/chunk-00002(\\?.*)?").times(1).cutRequestAfter(256 << 10);
            proxy.on("PUT", ".*/chunk-00003(\\?.*)?").times(1).respond(503, "SlowDown");
            // The copy to the offsite target reads the chunks back from the first one.
            proxy.on("GET", ".*/chunk-00001(\\?.*)?").times(1).cutResponseAfter(100 << 10);
            CommandRun retried = CommandRun.of("-c", flaky.toString(), "archive", "run");

            assertThat(retried.exitCode()).as(retried.err()).isZero();
            String id = retried.out().split(" ")[1].replace(":", "");
            assertThat(proxy.log()).anyMatch(l -> l.contains(id + "/chunk-00002") && l.endsWith("cut request after 262144"))
                    .anyMatch(l -> l.contains(id + "/chunk-00003") && l.endsWith("answered 503 SlowDown"))
                    .anyMatch(l -> l.startsWith("GET ") && l.contains(id + "/chunk-00001")
                            && l.endsWith("cut response after 102400"));
            for (String target : List.of("primary", "offsite")) {
                CommandRun verify = CommandRun.of("-c", config.toString(), "archive", "verify", id, "--target", target);
                assertThat(verify.exitCode()).as(target + ": " + verify.out() + verify.err()).isZero();
            }
        }
    }

    @Test
    void verifyOfAnUnreachableTarget_saysUnreachableWithExit3_andNeverMarksTheBackupCorrupt() throws Exception {
        CommandRun run = CommandRun.of("-c", config.toString(), "archive", "run");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String id = run.out().split(" ")[1].replace(":", "");
        assertThat(CommandRun.of("-c", config.toString(), "archive", "verify", id).exitCode()).isZero();
        try (FaultyProxy proxy = FaultyProxy.start(s3.endpoint())) {
            Path flaky = writeConfig("unreachable", "");
            Files.writeString(flaky, Files.readString(flaky).replace(s3.endpoint().toString(),
                    proxy.endpoint().toString()));

            proxy.on("GET", ".*/chunk-00001(\\?.*)?").respond(503, "SlowDown");
            CommandRun verify = CommandRun.of("-c", flaky.toString(), "archive", "verify", id);
            assertThat(verify.exitCode()).as(verify.out() + verify.err()).isEqualTo(3);
            assertThat(verify.out()).startsWith("backup " + id + " on s3:primary: unreachable: cannot read chunk " + id
                    + "/chunk-00001 on s3:primary (cannot download " + id + "/chunk-00001 from s3:primary (s3 answered"
                    + " 503 SlowDown) (gave up after 5 attempts in ");
            assertThat(CommandRun.of("-c", config.toString(), "archive", "list").out().lines())
                    .anyMatch(l -> l.startsWith(id) && l.endsWith("  unreachable"))
                    .noneMatch(l -> l.startsWith(id) && l.contains("corrupt"));

            proxy.close();
            CommandRun refused = CommandRun.of("-c", flaky.toString(), "archive", "verify", id);
            assertThat(refused.exitCode()).isEqualTo(3);
            assertThat(refused.out()).isEqualTo("backup " + id + " on s3:primary: unreachable: cannot reach s3 endpoint "
                    + proxy.endpoint() + " (connection refused)\n");
        }
        assertThat(CommandRun.of("-c", config.toString(), "archive", "verify", "--help").out())
                .contains("3 unreachable");
        assertThat(CommandRun.of("-c", config.toString(), "archive", "verify", id).exitCode()).as("healed").isZero();
    }

    @Test
    void pgDumpKilledMidStream_leavesNoBackupAndTheRetrySucceeds() throws Exception {
        Path slow = writeConfig("slow", "  bandwidth: 1MiB/s\n");
        List<String> before = CommandRun.of("-c", slow.toString(), "archive", "list").out().lines().skip(1).toList();
        java.util.concurrent.CompletableFuture<CommandRun> run = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> CommandRun.of("-c", slow.toString(), "archive", "run"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean killed = false;
        while (!killed && System.nanoTime() < deadline && !run.isDone()) {
            killed = io.lifeboat.core.process.ExternalCommand.of("pkill", "-KILL", "-f", "pg_dump.*--snapshot=")
                    .timeout(java.time.Duration.ofSeconds(10)).runAllowingFailure().exitCode() == 0;
            Thread.sleep(50);
        }
        assertThat(killed).as("pg_dump was running and got killed").isTrue();
        CommandRun failed = run.get(120, TimeUnit.SECONDS);
        assertThat(failed.exitCode()).isEqualTo(2);
        assertThat(failed.errLines().get(0)).isEqualTo("error: pg_dump failed (exit 137)");
        assertThat(CommandRun.of("-c", slow.toString(), "archive", "list").out().lines().skip(1).toList())
                .as("no chunks and no manifest are left behind").isEqualTo(before);

        CommandRun retry = CommandRun.of("-c", config.toString(), "archive", "run");
        assertThat(retry.exitCode()).as(retry.err()).isZero();
    }

    @Test
    void killedDuringUpload_leavesNoRestorableBackupAndTheNextRunSucceeds() throws Exception {
        Path slow = writeConfig("slower", "  bandwidth: 512KiB/s\n");
        String earlier = CommandRun.of("-c", slow.toString(), "archive", "list").out();
        Process lifeboat = new ProcessBuilder(ChildJvm.shortLivedCommand("384m", List.of("-c", slow.toString(), "archive",
                "run")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("killed-run.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String incomplete = null;
        try {
            // Wait for a committed chunk (the server also lists a PUT in flight under a temporary name).
            while (incomplete == null && System.nanoTime() < deadline && lifeboat.isAlive()) {
                incomplete = s3.client().listObjectsV2(b -> b.bucket("backups")).contents().stream()
                        .map(software.amazon.awssdk.services.s3.model.S3Object::key)
                        .filter(k -> k.endsWith("/chunk-00001")).map(k -> k.substring(0, k.indexOf('/')))
                        .filter(id -> !earlier.contains(id + " "))
                        .findFirst().orElse(null);
                Thread.sleep(50);
            }
            assertThat(incomplete).as("a chunk was committed while the run was going").isNotNull();
        } finally {
            // Also when the wait failed: a run left going holds the archive lock, and every later test would fail.
            lifeboat.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String cut = incomplete;

        CommandRun list = CommandRun.of("-c", slow.toString(), "archive", "list");
        assertThat(list.out()).contains(cut);
        assertThat(list.out().lines().filter(l -> l.startsWith(cut)).findFirst().orElseThrow())
                .endsWith(" incomplete");
        CommandRun copy = CommandRun.of("-c", slow.toString(), "archive", "copy", "--from", "primary", "--to", "offsite",
                incomplete);
        assertThat(copy.exitCode()).isEqualTo(2);
        assertThat(copy.errLines().get(0)).isEqualTo("error: backup " + incomplete
                + " on s3:primary is incomplete (no manifest) and cannot be used");

        CommandRun next = CommandRun.of("-c", config.toString(), "archive", "run");
        assertThat(next.exitCode()).as(next.err()).isZero();
    }

    @Test
    void badInput_givesOneLineAndStoresNothing() throws IOException {
        List<String> before = CommandRun.of("-c", config.toString(), "archive", "list").out().lines().skip(1).toList();
        Files.writeString(dir.resolve("not-a-key.asc"), "hello\n");
        Path badKey = writeConfig("bad-key", "").getParent().resolve("bad-key.yml");
        Files.writeString(badKey, Files.readString(badKey).replace("[backup.pub.asc]", "[not-a-key.asc]"));
        CommandRun keyRun = CommandRun.of("-c", badKey.toString(), "archive", "run");
        assertThat(keyRun.exitCode()).isEqualTo(2);
        assertThat(keyRun.errLines().get(0)).isEqualTo("error: public key " + dir.resolve("not-a-key.asc")
                + ": not an openpgp public key");

        Path noBucket = writeConfig("no-bucket", "");
        Files.writeString(noBucket, Files.readString(noBucket).replace("bucket: backups", "bucket: missing"));
        CommandRun bucketRun = CommandRun.of("-c", noBucket.toString(), "archive", "run");
        assertThat(bucketRun.exitCode()).isEqualTo(2);
        assertThat(bucketRun.errLines().get(0)).startsWith("error: cannot list ").endsWith(" on s3:primary (bucket missing"
                + " does not exist)");

        Path denied = writeConfig("denied", "");
        Files.writeString(denied, Files.readString(denied).replace("${S3_SECRET:-", "${S3_SECRET:-wrong"));
        CommandRun deniedRun = CommandRun.of("-c", denied.toString(), "archive", "run");
        assertThat(deniedRun.exitCode()).isEqualTo(2);
        assertThat(deniedRun.errLines().get(0)).startsWith("error: cannot list ").endsWith(" on s3:primary (access denied)");

        Path unreachable = writeConfig("unreachable", "");
        Files.writeString(unreachable, Files.readString(unreachable).replace(s3.endpoint().toString(),
                "http://127.0.0.1:1"));
        CommandRun unreachableRun = CommandRun.of("-c", unreachable.toString(), "archive", "run");
        assertThat(unreachableRun.exitCode()).isEqualTo(2);
        assertThat(unreachableRun.errLines().get(0))
                .isEqualTo("error: cannot reach s3 endpoint http://127.0.0.1:1 (connection refused)");

        assertThat(CommandRun.of("-c", config.toString(), "archive", "list").out().lines().skip(1).toList())
                .as("no failed run left chunks behind").isEqualTo(before);
    }
}
