package io.lifeboat.archiver.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.storage.BandwidthLimit;
import io.lifeboat.core.storage.FilesystemTarget;
import io.lifeboat.testkit.PrivacyProbe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verification of real backups on a filesystem target, intact and damaged in each way a target can damage them. */
class BackupVerifierIT {
    private static final BackupId ID = BackupId.parse("20261122T020000Z").orElseThrow();
    private static final Instant CHECKED_AT = Instant.parse("2026-11-22T03:00:00Z");
    private static ArchivedDatabase source;

    @TempDir
    Path dir;
    private FilesystemTarget target;
    private BackupStore store;
    private BackupVerifier verifier;

    @BeforeAll
    static void startSource() {
        source = ArchivedDatabase.start();
    }

    @AfterAll
    static void stopSource() {
        if (source != null) {
            source.close();
        }
    }

    @BeforeEach
    void createTarget() {
        target = new FilesystemTarget("fs:local", dir.resolve("store"), BandwidthLimit.unlimited());
        store = new BackupStore(target);
        verifier = new BackupVerifier(store, Clock.fixed(CHECKED_AT, ZoneOffset.UTC));
    }

    private StoredBackup stored() {
        return store.list().stream().filter(b -> b.id().equals(ID)).findFirst().orElseThrow();
    }

    private void flipByte(String key, long at) throws Exception {
        Path file = dir.resolve("store").resolve(key);
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) at] ^= 0x01;
        Files.write(file, bytes);
    }

    @Test
    void intactBackup_verifiesAndTheOutcomeIsRecorded() throws Exception {
        BackupManifest manifest = source.archive(store, ID);
        assertThat(manifest.chunks()).hasSizeGreaterThanOrEqualTo(4);

        VerifyReport report = verifier.verify(stored(), Optional.of(source.signing().publicKeyRing()));

        assertThat(report.problems()).isEmpty();
        assertThat(report.ok()).isTrue();
        assertThat(report.contentChecked()).isFalse();
        assertThat(report.backup().verified()).isTrue();
        StoredBackup listed = stored();
        assertThat(listed.state()).isEqualTo("verified");
        assertThat(listed.verified()).isTrue();
        assertThat(listed.verification()).contains(new Verification("verified", CHECKED_AT, false, java.util.List.of()));
        assertThat(target.stat(ID.verificationKey())).isPresent();
    }

    @Test
    void intactBackup_verifiesEndToEndWithTheKeyAndPgRestoreList() throws Exception {
        source.archive(store, ID);

        VerifyReport report = verifier.verifyContent(stored(), Optional.of(source.signing().publicKeyRing()),
                source.encryption().secretKeyRing(), source.encryption().passphrase(), dir.resolve("work"));

        assertThat(report.problems()).isEmpty();
        assertThat(report.ok()).isTrue();
        assertThat(report.contentChecked()).isTrue();
        assertThat(stored().verification().orElseThrow().contentChecked()).isTrue();
        assertThat(stored().state()).isEqualTo("verified");
    }

    @Test
    @Tag("root")
    void storedBackupAndTheSpool_areReadableByTheirOwnerOnly() throws Exception {
        // The temp directory is private itself: open it up so that only Lifeboat's own modes protect what it wrote.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        source.archive(store, ID);
        verifier.verifyContent(stored(), Optional.empty(), source.encryption().secretKeyRing(),
                source.encryption().passphrase(), dir.resolve("work"));

        Path backup = dir.resolve("store").resolve(ID.toString());
        List<Path> written = new ArrayList<>(List.of(dir.resolve("store"), backup, dir.resolve("work")));
        try (Stream<Path> files = Files.list(backup)) {
            written.addAll(files.toList());
        }
        assertThat(written).anyMatch(p -> p.getFileName().toString().startsWith("chunk-"))
                .anyMatch(p -> p.getFileName().toString().equals("manifest.json"));
        assertThat(PrivacyProbe.exposed(written)).isEmpty();
    }

    @Test
    void aFlippedByteInOneChunk_isCorrupt() throws Exception {
        source.archive(store, ID);
        flipByte(ID + "/chunk-00003", 500_000);

        VerifyReport report = verifier.verify(stored(), Optional.of(source.signing().publicKeyRing()));

        assertThat(report.ok()).isFalse();
        assertThat(report.problems())
                .containsExactly("chunk 20261122T020000Z/chunk-00003 on fs:local is corrupt (sha256 mismatch)");
        assertThat(stored().state()).isEqualTo("corrupt");
        assertThat(stored().verified()).isFalse();
    }

    @Test
    void aFlippedByteInOneChunk_failsTheContentCheckToo() throws Exception {
        source.archive(store, ID);
        flipByte(ID + "/chunk-00002", 10);

        VerifyReport report = verifier.verifyContent(stored(), Optional.empty(), source.encryption().secretKeyRing(),
                source.encryption().passphrase(), dir.resolve("work"));

        assertThat(report.problems())
                .containsExactly("chunk 20261122T020000Z/chunk-00002 on fs:local is corrupt (sha256 mismatch)");
        assertThat(report.contentChecked()).isFalse();
    }

    @Test
    void aMissingChunk_isNamed() throws Exception {
        source.archive(store, ID);
        target.delete(ID + "/chunk-00002");

        VerifyReport report = verifier.verify(stored(), Optional.empty());

        assertThat(report.problems()).containsExactly("chunk 20261122T020000Z/chunk-00002 on fs:local is missing");
        assertThat(stored().state()).isEqualTo("corrupt");
    }

    @Test
    void aMissingManifest_leavesAnIncompleteBackupThatFindRefuses() throws Exception {
        source.archive(store, ID);
        StoredBackup before = stored();
        target.delete(ID.manifestKey());

        assertThat(stored().state()).isEqualTo("incomplete");
        assertThat(store.complete()).isEmpty();
        assertThatThrownBy(() -> store.find(Optional.of(ID.toString())))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("backup 20261122T020000Z on fs:local is incomplete (no manifest) and cannot be used");
        VerifyReport report = verifier.verify(before, Optional.empty());
        assertThat(report.problems()).containsExactly("backup 20261122T020000Z on fs:local is incomplete (no manifest)");
        assertThat(target.stat(ID.verificationKey())).isEmpty();
    }

    @Test
    void aTamperedManifest_failsItsSignature() throws Exception {
        source.archive(store, ID);
        Path manifest = dir.resolve("store").resolve(ID.manifestKey());
        String json = Files.readString(manifest, StandardCharsets.UTF_8);
        Files.writeString(manifest, json.replace("\"0/16B3748\"", "\"0/26B3748\""), StandardCharsets.UTF_8);

        VerifyReport report = verifier.verify(stored(), Optional.of(source.signing().publicKeyRing()));

        assertThat(report.problems()).containsExactly(
                "manifest fs:local:20261122T020000Z/manifest.json: signature does not match (manifest altered)");
        assertThat(stored().state()).isEqualTo("corrupt");
    }

    @Test
    void anUnsignedBackup_failsOnlyWhenASignerIsGiven() throws Exception {
        source.archive(store, ID, false);

        assertThat(verifier.verify(stored(), Optional.empty()).problems()).isEmpty();
        assertThat(verifier.verify(stored(), Optional.of(source.signing().publicKeyRing())).problems())
                .containsExactly("manifest fs:local:20261122T020000Z/manifest.json: signature is missing");
    }
}
