package io.lifeboat.core.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.LifeboatVersion;
import io.lifeboat.core.error.LifeboatException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestCodecTest {
    private static final String ORIGIN = "s3:primary 20261122T020000Z/manifest.json";

    static BackupManifest sample() {
        return BackupManifest.of("20261122T020000Z", Instant.parse("2026-11-22T02:00:00Z"),
                Instant.parse("2026-11-22T02:07:31.250Z"),
                new BackupManifest.Source("7311536512345678901", "shop", "15.8"), "0/16B3748",
                Instant.parse("2026-11-22T01:58:12.5Z"), "sha256:" + "d".repeat(64), "custom",
                List.of("zstd", "openpgp"), 3, List.of("0123456789ABCDEF0123456789ABCDEF01234567"),
                List.of(new ChunkEntry("20261122T020000Z/chunk-00001", 1000, "a".repeat(64)),
                        new ChunkEntry("20261122T020000Z/chunk-00002", 17, "b".repeat(64))),
                123_456_789L, "c".repeat(64), new BackupManifest.Globals(
                        new ChunkEntry("20261122T020000Z/globals", 400, "e".repeat(64)), 1234, "f".repeat(64), "master",
                        true));
    }

    @Test
    void roundTripsWithFieldsInAFixedOrder() {
        BackupManifest manifest = sample();
        byte[] json = ManifestCodec.encode(manifest);
        String text = new String(json, StandardCharsets.UTF_8);

        assertThat(ManifestCodec.decode(json, ORIGIN)).isEqualTo(manifest);
        assertThat(text).containsSubsequence("\"formatVersion\" : 4", "\"id\"", "\"startedAt\" : \"2026-11-22T02:00:00Z\"",
                "\"finishedAt\"", "\"source\"", "\"systemIdentifier\"", "\"database\"", "\"serverVersion\"",
                "\"masterLsn\" : \"0/16B3748\"", "\"masterTime\" : \"2026-11-22T01:58:12.500Z\"",
                "\"schemaFingerprint\" : \"sha256:" + "d".repeat(64) + "\"", "\"dumpFormat\"", "\"stages\" : [ \"zstd\", \"openpgp\" ]",
                "\"compressionLevel\" : 3", "\"recipients\"", "\"chunks\"", "\"key\"", "\"size\"", "\"sha256\"",
                "\"plaintextSize\"", "\"plaintextSha256\"", "\"globals\"", "\"object\"", "\"capturedFrom\" : \"master\"",
                "\"rolePasswords\" : true", "\"lifeboatVersion\" : \"" + LifeboatVersion.current() + "\"");
        assertThat(ManifestCodec.encode(ManifestCodec.decode(json, ORIGIN))).isEqualTo(json);
        assertThat(manifest.storedSize()).as("chunks and the globals object").isEqualTo(1417);
    }

    @Test
    void refusesAnUnknownField() {
        String json = encoded().replace("\"database\" :", "\"colour\" : \"red\", \"database\" :");
        assertThatThrownBy(() -> ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("manifest " + ORIGIN + " is invalid: unknown field source.colour");
    }

    @Test
    void refusesAMissingField() {
        String json = encoded().replaceAll("\"masterLsn\" : \"0/16B3748\",\\s*", "");
        assertThatThrownBy(() -> ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN))
                .hasMessage("manifest " + ORIGIN + " is invalid: missing field masterLsn");
    }

    @Test
    void refusesANullField() {
        String json = encoded().replace("\"dumpFormat\" : \"custom\"", "\"dumpFormat\" : null");
        assertThatThrownBy(() -> ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN))
                .hasMessage("manifest " + ORIGIN + " is invalid: field dumpFormat is null");
    }

    @Test
    void refusesANewerFormat() {
        String json = encoded().replace("\"formatVersion\" : 4", "\"formatVersion\" : 5");
        assertThatThrownBy(() -> ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN))
                .hasMessage("manifest " + ORIGIN + " is format version 5, newer than this lifeboat reads (4)");
    }

    @Test
    void readsAFormat1ManifestWrittenBeforeTheSchemaFingerprint() {
        String json = withoutMasterTime(withoutGlobals(encoded().replace("\"formatVersion\" : 4", "\"formatVersion\" : 1"))
                .replaceAll("\"schemaFingerprint\" : \"sha256:d+\",\\s*", ""));
        assertThat(json).doesNotContain("schemaFingerprint");

        BackupManifest old = ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN);

        assertThat(old.formatVersion()).isEqualTo(1);
        assertThat(old.schema()).isEmpty();
        assertThat(old.chunks()).isEqualTo(sample().chunks());
        assertThat(old.roles()).isEmpty();
    }

    @Test
    void readsAFormat2ManifestWrittenBeforeTheGlobals() {
        String json = withoutMasterTime(withoutGlobals(encoded().replace("\"formatVersion\" : 4",
                "\"formatVersion\" : 2")));
        assertThat(json).doesNotContain("globals");

        BackupManifest old = ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN);

        assertThat(old.formatVersion()).isEqualTo(2);
        assertThat(old.roles()).isEmpty();
        assertThat(old.storedObjects()).isEqualTo(sample().chunks());
        assertThat(old.storedSize()).isEqualTo(1017);
    }

    @Test
    void refusesAFormat3ManifestWithoutTheGlobalsField() {
        String json = withoutMasterTime(withoutGlobals(encoded().replace("\"formatVersion\" : 4",
                "\"formatVersion\" : 3")));
        assertThatThrownBy(() -> ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN))
                .hasMessage("manifest " + ORIGIN + " is invalid: missing field globals");
    }

    /** The manifest text with its globals field cut out, as formats before 3 were written. */
    private static String withoutGlobals(String json) {
        return json.replaceAll("(?s)\"globals\" : \\{.*?\"rolePasswords\" : true\\s*},\\s*", "");
    }

    /** The manifest text without the master's clock, as formats before 4 were written. */
    private static String withoutMasterTime(String json) {
        return json.replaceAll("\"masterTime\" : \"[^\"]*\",\\s*", "");
    }

    @Test
    void readsAFormat3ManifestWrittenBeforeTheMasterTime_itsRecoveryPointIsItsStart() {
        String json = withoutMasterTime(encoded().replace("\"formatVersion\" : 4", "\"formatVersion\" : 3"));
        assertThat(json).doesNotContain("masterTime");

        BackupManifest old = ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN);

        assertThat(old.formatVersion()).isEqualTo(3);
        assertThat(old.masterTime()).isNull();
        assertThat(old.recoveryPointTime()).isEqualTo(Instant.parse("2026-11-22T02:00:00Z"));
        assertThat(sample().recoveryPointTime()).as("format 4: the master's clock at the dump's position")
                .isEqualTo(Instant.parse("2026-11-22T01:58:12.5Z"));
    }

    @Test
    void refusesAFormat4ManifestWithoutTheMasterTimeField() {
        String json = withoutMasterTime(encoded());
        assertThatThrownBy(() -> ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN))
                .hasMessage("manifest " + ORIGIN + " is invalid: missing field masterTime");
    }

    @Test
    void refusesAFormat2ManifestWithoutTheSchemaFingerprint() {
        String json = withoutMasterTime(encoded()).replace("\"formatVersion\" : 4", "\"formatVersion\" : 2").replaceAll("\"schemaFingerprint\" : \"sha256:d+\",\\s*", "");
        assertThatThrownBy(() -> ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8), ORIGIN))
                .hasMessage("manifest " + ORIGIN + " is invalid: missing field schemaFingerprint");
    }

    @Test
    void refusesWhatIsNotJson() {
        assertThatThrownBy(() -> ManifestCodec.decode("{ not json".getBytes(StandardCharsets.UTF_8), ORIGIN))
                .hasMessageStartingWith("manifest " + ORIGIN + " is invalid: not json (");
    }

    private static String encoded() {
        return new String(ManifestCodec.encode(sample()), StandardCharsets.UTF_8);
    }
}
