package io.lifeboat.archiver.read;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.db.SchemaFingerprint;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.manifest.ManifestCodec;
import io.lifeboat.core.manifest.ManifestSignature;
import io.lifeboat.core.stream.Chunker;
import io.lifeboat.core.stream.OpenPgpStage;
import io.lifeboat.core.stream.Pipeline;
import io.lifeboat.core.stream.ZstdStage;
import io.lifeboat.testkit.PgpKeys;
import io.lifeboat.testkit.PostgresCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real database and real backups of it, made the way the archive job makes them: {@code pg_dump -Fc -Z0},
 * counted and hashed, then zstd → OpenPGP → 1 MiB chunks on a target, then the (signed) manifest published.
 * The data (random bytea, text, numeric, timestamps) is about 5 MB stored, so a backup has several chunks.
 */
final class ArchivedDatabase implements AutoCloseable {
    static final String DATABASE = "shop";
    static final List<String> TABLES = List.of("customers", "payments", "attachments");
    static final DataSize CHUNK_SIZE = DataSize.ofMebibytes(1);

    private final PostgresCluster cluster;
    private final PgpKeys encryption;
    private final PgpKeys signing;

    private ArchivedDatabase(PostgresCluster cluster, PgpKeys encryption, PgpKeys signing) {
        this.cluster = cluster;
        this.encryption = encryption;
        this.signing = signing;
    }

    static ArchivedDatabase start() {
        PostgresCluster cluster = PostgresCluster.builder().setting("fsync", "off").start();
        try {
            cluster.createDatabase(DATABASE);
            cluster.execute(DATABASE, "create table customers (id int primary key, name text not null, note text)");
            cluster.execute(DATABASE, "create table payments (id bigint primary key,"
                    + " customer_id int not null references customers, amount numeric(14,4) not null,"
                    + " paid_at timestamptz not null)");
            cluster.execute(DATABASE, "create table attachments (id int primary key, body bytea not null)");
            cluster.execute(DATABASE, "create index payments_customer on payments (customer_id)");
            cluster.execute(DATABASE, "insert into customers select i, 'customer ' || i,"
                    + " case when i % 7 = 0 then null else repeat(md5(i::text), 3) || ' ünïcødé' end"
                    + " from generate_series(1, 2000) i");
            cluster.execute(DATABASE, "insert into payments select i, 1 + i % 2000, round((random() * 1e6)::numeric, 4),"
                    + " timestamptz '2026-01-01 00:00+00' + i * interval '17 minutes' from generate_series(1, 20000) i");
            // Random bytes do not compress: about 5 MB stored, five or more chunks of 1 MiB.
            cluster.execute(DATABASE, "insert into attachments select i, (select decode(string_agg(md5(random()::text"
                    + " || i || j), ''), 'hex') from generate_series(1, 64) j) from generate_series(1, 5000) i");
            return new ArchivedDatabase(cluster,
                    PgpKeys.generate("Lifeboat Restore Test <restore@lifeboat.invalid>", "restore test".toCharArray()),
                    PgpKeys.generate("Lifeboat Signing Test <sign@lifeboat.invalid>", "sign test".toCharArray()));
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    PostgresCluster cluster() {
        return cluster;
    }

    PgpKeys encryption() {
        return encryption;
    }

    PgpKeys signing() {
        return signing;
    }

    /** A signed backup published on {@code store}. */
    BackupManifest archive(BackupStore store, BackupId id) throws Exception {
        return archive(store, id, true);
    }

    BackupManifest archive(BackupStore store, BackupId id, boolean signed) throws Exception {
        Process dump = new ProcessBuilder(cluster.binDirectory().resolve("pg_dump").toString(), "--format=custom",
                "--compress=0", "--no-password", "--host=" + cluster.host(), "--port=" + cluster.port(),
                "--username=postgres", "--dbname=" + DATABASE).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        dump.getOutputStream().close();
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        long plaintext = 0;
        List<ChunkEntry> chunks;
        ZstdStage zstd = new ZstdStage(1);
        OpenPgpStage openpgp = new OpenPgpStage(List.of(encryption.encryptionKey()));
        try (Chunker chunker = new Chunker(store.target(), id.toString(), CHUNK_SIZE)) {
            try (InputStream in = dump.getInputStream();
                 OutputStream out = Pipeline.wrap(List.of(zstd, openpgp), chunker)) {
                byte[] buffer = new byte[64 << 10];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    digest.update(buffer, 0, n);
                    plaintext += n;
                    out.write(buffer, 0, n);
                }
            }
            if (!dump.waitFor(2, TimeUnit.MINUTES) || dump.exitValue() != 0) {
                dump.destroyForcibly();
                throw new IllegalStateException("pg_dump failed");
            }
            chunks = chunker.commit();
        }
        BackupManifest manifest = BackupManifest.of(id.toString(), id.startedAt(), Instant.now(), source(), "0/16B3748",
                schema().value(), "custom", Pipeline.names(List.of(zstd, openpgp)), 1, List.of(encryption.fingerprint()), chunks,
                plaintext, HexFormat.of().formatHex(digest.digest()));
        byte[] bytes = ManifestCodec.encode(manifest);
        store.publish(id, bytes, signed ? Optional.of(ManifestSignature.sign(bytes, signing.secretKeyRing(),
                signing.passphrase())) : Optional.empty());
        return manifest;
    }

    SchemaFingerprint schema() {
        try (Connection connection = cluster.connect(DATABASE)) {
            return SchemaFingerprint.of(connection);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private BackupManifest.Source source() {
        return new BackupManifest.Source(cluster.queryValue("select system_identifier::text from pg_control_system()"),
                DATABASE, cluster.queryValue("show server_version"));
    }

    /** Row count and md5 of every row in key order, per table: equal maps mean equal content. */
    static Map<String, String> contentOf(Connection connection) throws SQLException {
        Map<String, String> content = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement()) {
            for (String table : TABLES) {
                try (ResultSet rs = statement.executeQuery("select count(*), md5(coalesce(string_agg(t::text, '|'"
                        + " order by id), '')) from " + table + " t")) {
                    rs.next();
                    content.put(table, rs.getLong(1) + " rows, md5 " + rs.getString(2));
                }
            }
        }
        return content;
    }

    /** Tables in schema public: none means nothing was restored. */
    static int publicTables(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("select count(*) from pg_tables where schemaname = 'public'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static byte[] bytes(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    @Override
    public void close() {
        cluster.close();
    }
}
