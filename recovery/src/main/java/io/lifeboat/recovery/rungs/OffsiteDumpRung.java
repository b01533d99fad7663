package io.lifeboat.recovery.rungs;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.archiver.job.StorageTargets;
import io.lifeboat.archiver.read.BackupRestorer;
import io.lifeboat.archiver.read.BackupStore;
import io.lifeboat.archiver.read.BackupVerifier;
import io.lifeboat.archiver.read.Fault;
import io.lifeboat.archiver.read.Problem;
import io.lifeboat.archiver.read.RestoreDestination;
import io.lifeboat.archiver.read.RoleCreator;
import io.lifeboat.archiver.read.StoredBackup;
import io.lifeboat.archiver.read.VerifyReport;
import io.lifeboat.core.config.ArchiveConfig;
import io.lifeboat.core.config.ArchiveTarget;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.openpgp.OpenPgp;
import io.lifeboat.core.process.OsUser;
import io.lifeboat.core.process.PostgresPrograms;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.core.storage.StorageTarget;
import io.lifeboat.recovery.CandidateCorruptException;
import io.lifeboat.recovery.Plan;
import io.lifeboat.recovery.Position;
import io.lifeboat.recovery.Probe;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.Recovered;
import io.lifeboat.recovery.Rung;
import io.lifeboat.recovery.Verification;
import io.lifeboat.recovery.sql.SequenceAdvance;
import io.lifeboat.recovery.sql.SqlConsole;
import io.lifeboat.recovery.target.RecoveryTarget;
import io.lifeboat.recovery.verify.HealthCheck;
import io.lifeboat.recovery.verify.ScratchServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.lifeboat.core.openpgp.SecretKeyFile;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code offsite-dump}: the newest archive backup whose manifest, chunks and full decrypt check out, the first target
 * first, then the next; restored with {@code pg_restore} in one transaction into a new cluster at the target. The dump
 * is of the standby, so the master position it holds is its {@code lifeboat.applied_position}, which must match the
 * manifest's; its sequences are moved past the columns using them, as for {@code promote-standby}.
 *
 * <p>Candidates are named {@code TARGET/ID} ({@code s3:primary/20261122T020000Z}).
 */
public final class OffsiteDumpRung implements Rung {
    public static final String NAME = "offsite-dump";
    private static final Logger LOG = LoggerFactory.getLogger(OffsiteDumpRung.class);
    private static final Pattern MAJOR = Pattern.compile("^(\\d+)");
    /** Restore throughput assumed for the estimate before anything was measured (plaintext dump bytes per second). */
    private static final long ASSUMED_RESTORE_BYTES_PER_SECOND = 40L << 20;
    private static final String CLUSTER_OS_USER = "postgres";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Probe> probe(RecoveryContext context) {
        ArchiveConfig archive = context.config().archive();
        if (archive.targets().isEmpty()) {
            return List.of(Probe.unavailable(NAME, "archive.targets", "archive.targets is empty"));
        }
        Optional<String> unusable = Targets.unusable(context);
        // Newest backup first; for one backup, the first target first.
        TreeMap<BackupId, List<Probe>> byBackup = new TreeMap<>(Comparator.reverseOrder());
        List<Probe> unreachable = new ArrayList<>();
        for (ArchiveTarget configured : archive.targets()) {
            try (StorageTarget target = StorageTargets.open(archive, configured)) {
                for (StoredBackup backup : new BackupStore(target).list()) {
                    String candidate = target.name() + "/" + backup.id();
                    Probe probe;
                    if (backup.manifestProblem().isPresent()) {
                        probe = Probe.corrupt(NAME, candidate, "bad manifest: " + backup.manifestProblem().get(),
                                Position.UNKNOWN);
                    } else if (backup.manifest().isEmpty()) {
                        continue; // incomplete: never restorable
                    } else if (unusable.isPresent()) {
                        probe = Probe.unavailable(NAME, candidate, unusable.get());
                    } else {
                        BackupManifest manifest = backup.manifest().get();
                        probe = Probe.present(NAME, candidate, "master LSN " + manifest.masterLsn() + ", "
                                + manifest.chunks().size() + " chunks", position(manifest));
                    }
                    byBackup.computeIfAbsent(backup.id(), id -> new ArrayList<>()).add(probe);
                }
            } catch (LifeboatException e) {
                unreachable.add(Probe.unavailable(NAME, targetName(configured), e.getMessage()));
            } catch (Exception e) {
                unreachable.add(Probe.unavailable(NAME, targetName(configured), String.valueOf(e.getMessage())));
            }
        }
        List<Probe> probes = new ArrayList<>();
        byBackup.values().forEach(probes::addAll);
        probes.addAll(unreachable);
        if (probes.isEmpty()) {
            probes.add(Probe.unavailable(NAME, "archive.targets", "no complete backup on "
                    + String.join(", ", archive.targets().stream().map(OffsiteDumpRung::targetName).toList())));
        }
        return probes;
    }

    private static String targetName(ArchiveTarget target) {
        return (target instanceof ArchiveTarget.S3 ? "s3:" : "fs:") + target.name();
    }

    /** The manifest's master LSN; its time is when the dump began (the standby's lag before it is not known). */
    private static Position position(BackupManifest manifest) {
        return new Position(Optional.of(Lsn.parse(manifest.masterLsn())), Optional.of(manifest.recoveryPointTime()));
    }

    @Override
    public Verification verify(RecoveryContext context, Probe probe) {
        long begin = System.nanoTime();
        Candidate candidate = Candidate.parse(probe.candidate());
        PGPSecretKeyRing key;
        try {
            key = context.secretKey();
        } catch (LifeboatException e) {
            return Verification.unavailable(e.getMessage(), RestartMasterRung.since(begin));
        }
        ArchiveConfig archive = context.config().archive();
        try (StorageTarget target = open(archive, candidate.target())) {
            BackupStore store = new BackupStore(target);
            StoredBackup backup = store.find(Optional.of(candidate.id()));
            BackupManifest manifest = backup.manifest().orElseThrow();
            Optional<String> mismatch = recipientMismatch(manifest, key);
            if (mismatch.isPresent()) {
                return Verification.corrupt("cannot decrypt: " + mismatch.get(), probe.position(),
                        RestartMasterRung.since(begin));
            }
            // The manifest's signature is checked whenever this host has the signing key: a manifest changed after
            // it was signed (or a signature removed) is corrupt, as the verifier says.
            Signer signer = Signer.of(archive);
            VerifyReport report = new BackupVerifier(store, context.clock()).inspectContent(backup, signer.ring(),
                    key, context.passphrase(), archive.workDirectory());
            if (!report.ok()) {
                Fault fault = report.fault().orElseThrow();
                // The first problem of the kind that decides: a target that could not be read is no corrupt backup.
                List<String> decisive = report.findings().stream()
                        .filter(p -> fault == Fault.UNREACHABLE || p.fault() != Fault.UNREACHABLE)
                        .map(Problem::text).toList();
                int more = decisive.size() - 1;
                String reason = decisive.get(0) + (more > 0 ? " (and " + more + " more)" : "");
                return fault == Fault.CORRUPT
                        ? Verification.corrupt(reason, probe.position(), RestartMasterRung.since(begin))
                        : Verification.unavailable(reason, RestartMasterRung.since(begin));
            }
            return Verification.ok((signer.ring().isPresent() ? "manifest signature, manifest, " : "manifest, ")
                    + manifest.chunks().size() + " chunk hashes and a full decrypt check out; pg_restore --list reads"
                    + " it" + (signer.ring().isEmpty() && backup.signed() ? "; signature not checked ("
                    + signer.missing() + ")" : ""), probe.position(), RestartMasterRung.since(begin));
        } catch (LifeboatException e) {
            return Verification.unavailable(e.getMessage(), RestartMasterRung.since(begin));
        }
    }

    /**
     * The manifests' signer: the public half of {@code archive.signing_key} when this host has it (and its
     * passphrase), else none and why. Recovery has no separate signer setting, and a missing key must not stop it.
     */
    private record Signer(Optional<PGPPublicKeyRing> ring, String missing) {
        static Signer of(ArchiveConfig archive) {
            if (archive.signingKey().isEmpty()) {
                return new Signer(Optional.empty(), "archive.signing_key is not set on this host");
            }
            try {
                PGPSecretKeyRing secret = SecretKeyFile.read(archive.signingKey().get(), archive.signingPassphrase()
                        .map(passphrase -> passphrase.reveal().toCharArray()).orElse(new char[0]));
                List<PGPPublicKey> keys = new ArrayList<>();
                secret.getPublicKeys().forEachRemaining(keys::add);
                return new Signer(Optional.of(new PGPPublicKeyRing(keys)), "");
            } catch (LifeboatException e) {
                LOG.warn("offsite-dump: manifest signatures not checked: cannot read archive.signing_key ({})",
                        e.getMessage());
                return new Signer(Optional.empty(), "cannot read archive.signing_key: " + e.getMessage());
            }
        }
    }

    /** Why {@code key} cannot decrypt this backup, when none of its keys is among the manifest's recipients. */
    static Optional<String> recipientMismatch(BackupManifest manifest, PGPSecretKeyRing key) {
        Set<String> ours = new HashSet<>();
        key.getPublicKeys().forEachRemaining(k -> ours.add(OpenPgp.fingerprint(k)));
        if (manifest.recipients().stream().anyMatch(ours::contains)) {
            return Optional.empty();
        }
        PGPPublicKey primary = key.getPublicKey();
        return Optional.of("backup " + manifest.id() + " is encrypted to key "
                + String.join(", ", manifest.recipients()) + ", not to key " + OpenPgp.fingerprint(primary)
                + " (recovery.key)");
    }

    @Override
    public Plan plan(RecoveryContext context, Probe probe, Verification verification) {
        RecoveryTarget target = Targets.of(context);
        Duration expected = verification.took().plusSeconds(5);
        try (StorageTarget storage = open(context.config().archive(), Candidate.parse(probe.candidate()).target())) {
            long plaintext = new BackupStore(storage).find(Optional.of(Candidate.parse(probe.candidate()).id()))
                    .manifest().orElseThrow().plaintextSize();
            expected = expected.plusSeconds(plaintext / ASSUMED_RESTORE_BYTES_PER_SECOND);
        } catch (Exception e) {
            LOG.debug("no size for the estimate of {}", probe.candidate(), e);
        }
        return new Plan(probe, verification, List.of(
                "initdb a new cluster at " + target.staging() + " (over TCP every role logs in by password; the"
                        + " superuser's in " + PasswordedCluster.passwordFile(target.directory()) + ")",
                "create the backup's roles and memberships (those it lacks), then pg_restore --single-transaction of "
                        + probe.candidate() + " into it",
                "check it holds the manifest's master LSN; pg_amcheck --heapallindexed",
                "move every sequence past its highest used value + " + context.recovery().sequenceGap(),
                "rename it to " + target.directory() + " and start it on port " + target.port()), expected);
    }

    @Override
    public Recovered execute(RecoveryContext context, Plan plan) {
        Candidate candidate = Candidate.parse(plan.candidate());
        RecoveryTarget target = Targets.of(context);
        ArchiveConfig archive = context.config().archive();
        PGPSecretKeyRing key = context.secretKey();
        target.clear(context.options().force());
        try (StorageTarget storage = open(archive, candidate.target())) {
            BackupStore store = new BackupStore(storage);
            StoredBackup backup = store.find(Optional.of(candidate.id()));
            BackupManifest manifest = backup.manifest().orElseThrow();
            String database = manifest.source().database();
            PostgresServer server = PasswordedCluster.initdb(target.staging(), programs(manifest),
                    OsUser.isRoot() ? CLUSTER_OS_USER : OsUser.current(), target.directory(), target.port());
            settle(server, target.port());
            List<String> checks = new ArrayList<>();
            Position reached;
            try (ScratchServer scratch = ScratchServer.start(context, server, target.port(), Map.of())) {
                scratch.console("postgres").execute("CREATE DATABASE " + quoteIdent(database));
                Path socket = scratch.server().endpoint().socketDirectory().orElseThrow();
                // Before the restore: the application's roles exist (and log in, when their passwords were
                // captured), and the dump's grants find their grantees.
                RoleCreator.RolesCreated roles = new RoleCreator(store).create(backup, "host=" + socket + " port="
                        + target.port() + " user=" + server.osUser() + " dbname=postgres", key,
                        context.passphrase(), archive.workDirectory());
                checks.add(roles.summary());
                long t = System.nanoTime();
                // Without the roles the dump's grants would name roles the new cluster lacks.
                new BackupRestorer(store, roles.note().isPresent() ? List.of("--no-privileges") : List.of())
                        .restore(backup,
                        new RestoreDestination.Database("host=" + socket + " port=" + target.port() + " user="
                                + server.osUser() + " dbname=" + database), key, context.passphrase(),
                        archive.workDirectory());
                checks.add("pg_restore of " + candidate.id() + " from " + candidate.target() + " in "
                        + (System.nanoTime() - t) / 1_000_000 + " ms" + (roles.note().isPresent()
                        ? " (grants not restored: the backup holds no roles)" : ""));
                SqlConsole console = scratch.console(database);
                reached = holds(console, manifest);
                checks.add("holds master LSN " + manifest.masterLsn() + ": the whole dump (SHA-256 as in the manifest)"
                        + " committed in one pg_restore transaction");
                checks.add(HealthCheck.run(scratch, database));
                List<SequenceAdvance.Move> moves = SequenceAdvance.run(console, context.recovery().sequenceGap());
                checks.add(moves.size() + " sequences moved past their highest used value + "
                        + context.recovery().sequenceGap());
            }
            checks.add("over TCP every role logs in by password; the password of superuser " + server.osUser()
                    + " is in " + PasswordedCluster.passwordFile(target.directory()) + " (0600)");
            target.complete();
            Targets.startFinal(context, target.directory());
            return new Recovered(context.localHost(), target.port(), database, Optional.of(target.directory()),
                    reached, checks);
        } catch (RuntimeException e) {
            Targets.abandon(context, target, e);
            PasswordedCluster.forget(target.directory(), e);
            throw e;
        } catch (Exception e) {
            LifeboatException failure = new LifeboatException("cannot restore " + plan.candidate() + " ("
                    + e.getMessage() + ")", e);
            Targets.abandon(context, target, failure);
            PasswordedCluster.forget(target.directory(), failure);
            throw failure;
        }
    }

    /**
     * The restored database holds exactly the manifest's master position: the dump leaves Lifeboat's catalog out, so
     * nothing inside it names a position, but the restorer fed pg_restore the whole dump (its plaintext SHA-256 the
     * manifest's, the last bytes held back until that was checked) in one transaction that committed. A restore that
     * stopped early fails there, before this. What is checked here is that it brought tables at all.
     */
    private static Position holds(SqlConsole console, BackupManifest manifest) {
        Optional<String> tables = console.value("SELECT count(*) FROM pg_class c JOIN pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN"
                + " ('pg_catalog', 'information_schema', 'lifeboat')");
        if (tables.isEmpty() || Long.parseLong(tables.get()) == 0) {
            throw new CandidateCorruptException("the restored database has no tables although pg_restore succeeded");
        }
        return new Position(Optional.of(Lsn.parse(manifest.masterLsn())), Optional.of(manifest.recoveryPointTime()));
    }

    /** Where the new cluster listens once it is the recovered database (loopback, like archive restore). */
    private static void settle(PostgresServer server, int port) {
        String settings = "\n# added by lifeboat recover (offsite-dump)\nport = " + port
                + "\nlisten_addresses = '127.0.0.1'\n";
        try {
            Files.writeString(server.dataDirectory().resolve("postgresql.auto.conf"), settings, StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new LifeboatException("cannot configure the new cluster at " + server.dataDirectory() + " ("
                    + e.getMessage() + ")", e);
        }
    }

    private static PostgresPrograms programs(BackupManifest manifest) {
        Matcher m = MAJOR.matcher(manifest.source().serverVersion().strip());
        if (!m.find()) {
            throw new LifeboatException("manifest of backup " + manifest.id() + " names server version '"
                    + manifest.source().serverVersion() + "', which has no major version");
        }
        return PostgresPrograms.forMajor(Integer.parseInt(m.group(1)));
    }

    private static StorageTarget open(ArchiveConfig archive, String targetName) {
        for (ArchiveTarget configured : archive.targets()) {
            if (targetName(configured).equals(targetName)) {
                return StorageTargets.open(archive, configured);
            }
        }
        throw new LifeboatException("no target " + targetName + " in archive.targets");
    }

    private static String quoteIdent(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** {@code s3:primary/20261122T020000Z}. */
    record Candidate(String target, String id) {
        static Candidate parse(String text) {
            int slash = text.lastIndexOf('/');
            if (slash <= 0) {
                throw new LifeboatException("'" + text + "' is not an offsite candidate (write it like"
                        + " s3:primary/20261122T020000Z)");
            }
            return new Candidate(text.substring(0, slash), text.substring(slash + 1));
        }
    }

}
