package io.lifeboat.archiver.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.manifest.ManifestCodec;
import io.lifeboat.core.storage.ObjectInfo;
import io.lifeboat.core.storage.ObjectNotFoundException;
import io.lifeboat.core.storage.ObjectOutput;
import io.lifeboat.core.storage.StorageTarget;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The backups on one target, laid out as {@code <id>/chunk-00001 …}, {@code <id>/manifest.json} and, when signed,
 * {@code <id>/manifest.json.sig}. The manifest is always the last object written and the first deleted; the
 * outcome of the last verification, {@code <id>/verification.json}, is written after it.
 */
public final class BackupStore {
    private static final ObjectMapper VERIFICATION_JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .build();

    private final StorageTarget target;

    /** Failures of the target's calls come out typed as {@link TargetUnreachableException} (see {@link Fault}). */
    public BackupStore(StorageTarget target) {
        this.target = ClassifyingTarget.of(target);
    }

    public StorageTarget target() {
        return target;
    }

    /** Every backup on the target, oldest first, complete or not. */
    public List<StoredBackup> list() {
        Map<BackupId, List<ObjectInfo>> byId = new TreeMap<>();
        for (ObjectInfo object : target.list("")) {
            int slash = object.key().indexOf('/');
            if (slash < 0) {
                continue;
            }
            BackupId.parse(object.key().substring(0, slash))
                    .ifPresent(id -> byId.computeIfAbsent(id, k -> new ArrayList<>()).add(object));
        }
        List<StoredBackup> backups = new ArrayList<>();
        byId.forEach((id, objects) -> backups.add(describe(id, objects)));
        return backups;
    }

    public List<StoredBackup> complete() {
        return list().stream().filter(StoredBackup::complete).toList();
    }

    /** A complete backup by id, or the newest complete one; {@link BackupAbsentException} when there is none. */
    public StoredBackup find(Optional<String> id) {
        List<StoredBackup> complete = complete();
        if (id.isEmpty()) {
            if (complete.isEmpty()) {
                throw new BackupAbsentException("no complete backup on " + target.name(), null);
            }
            return complete.get(complete.size() - 1);
        }
        Optional<StoredBackup> found = list().stream().filter(b -> b.id().toString().equals(id.get())).findFirst();
        if (found.isEmpty()) {
            throw new BackupAbsentException("no backup " + id.get() + " on " + target.name(),
                    "run: lifeboat archive list --target " + target.name());
        }
        if (found.get().manifestProblem().isPresent()) {
            throw new LifeboatException("backup " + id.get() + " on " + target.name() + " has a bad manifest: "
                    + found.get().manifestProblem().get());
        }
        if (!found.get().complete()) {
            throw new LifeboatException("backup " + id.get() + " on " + target.name()
                    + " is incomplete (no manifest) and cannot be used");
        }
        return found.get();
    }

    public byte[] manifestBytes(BackupId id) {
        return read(id.manifestKey());
    }

    public Optional<byte[]> signatureBytes(BackupId id) {
        if (target.stat(id.signatureKey()).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(read(id.signatureKey()));
    }

    /** Writes the signature (if any) and then the manifest: from this moment the backup exists on this target. */
    public void publish(BackupId id, byte[] manifest, Optional<byte[]> signature) throws IOException {
        if (signature.isPresent()) {
            write(id.signatureKey(), signature.get());
        }
        write(id.manifestKey(), manifest);
    }

    /**
     * Records the outcome of a verification next to the manifest, replacing the one before. Only a backup with a
     * manifest has one: without it there is nothing the outcome could belong to.
     */
    public void record(BackupId id, Verification verification) {
        byte[] json;
        try {
            json = VERIFICATION_JSON.writeValueAsBytes(verification);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the verification of " + id, e);
        }
        try {
            write(id.verificationKey(), json);
        } catch (IOException | LifeboatException e) {
            throw new LifeboatException("cannot record the verification of backup " + id + " on " + target.name()
                    + " (" + e.getMessage() + ")", e);
        }
    }

    /** Deletes the manifest first, so a backup half deleted is incomplete, never a complete-looking fragment. */
    public void delete(StoredBackup backup) {
        Optional<ObjectInfo> manifest = backup.objects().stream()
                .filter(o -> o.key().equals(backup.id().manifestKey())).findFirst();
        if (manifest.isPresent()) {
            target.delete(manifest.get().key());
        }
        for (ObjectInfo object : backup.objects()) {
            if (!object.key().equals(backup.id().manifestKey())) {
                target.delete(object.key());
            }
        }
    }

    private StoredBackup describe(BackupId id, List<ObjectInfo> objects) {
        boolean hasManifest = objects.stream().anyMatch(o -> o.key().equals(id.manifestKey()));
        boolean signed = objects.stream().anyMatch(o -> o.key().equals(id.signatureKey()));
        if (!hasManifest) {
            return new StoredBackup(id, objects, Optional.empty(), Optional.empty(), signed);
        }
        try {
            BackupManifest manifest = ManifestCodec.decode(read(id.manifestKey()), target.name() + ":" + id.manifestKey());
            if (!manifest.id().equals(id.toString())) {
                return new StoredBackup(id, objects, Optional.empty(),
                        Optional.of("it names backup " + manifest.id()), signed);
            }
            Optional<Verification> verification = Optional.empty();
            if (objects.stream().anyMatch(o -> o.key().equals(id.verificationKey()))) {
                verification = verification(id);
            }
            return new StoredBackup(id, objects, Optional.of(manifest), Optional.empty(), signed, verification);
        } catch (TargetUnreachableException e) {
            // Not read is not wrong: the backup must not look corrupt (and be pruned) because the target failed.
            throw e;
        } catch (LifeboatException e) {
            if (Fault.of(e) == Fault.UNREACHABLE) {
                throw e;
            }
            return new StoredBackup(id, objects, Optional.empty(), Optional.of(e.getMessage()), signed);
        }
    }

    /** An unreadable record counts as none: the backup is then merely unverified, never wrongly verified. */
    private Optional<Verification> verification(BackupId id) {
        try {
            return Optional.of(VERIFICATION_JSON.readValue(read(id.verificationKey()), Verification.class));
        } catch (IOException | IllegalArgumentException | LifeboatException e) {
            return Optional.empty();
        }
    }

    private byte[] read(String key) {
        try (InputStream in = target.open(key)) {
            return in.readAllBytes();
        } catch (ObjectNotFoundException e) {
            throw e;
        } catch (IOException e) {
            throw new LifeboatException("cannot read " + key + " from " + target.name() + " (" + e.getMessage() + ")", e);
        }
    }

    private void write(String key, byte[] bytes) throws IOException {
        try (ObjectOutput out = target.create(key)) {
            out.write(bytes);
            out.commit();
        }
    }
}
