package io.lifeboat.cli;

import io.lifeboat.archiver.job.ArchiveJob;
import io.lifeboat.archiver.job.ArchiveRun;
import io.lifeboat.archiver.job.StorageTargets;
import io.lifeboat.archiver.offsite.BackupCopier;
import io.lifeboat.archiver.read.BackupRestorer;
import io.lifeboat.archiver.read.BackupStore;
import io.lifeboat.archiver.read.BackupVerifier;
import io.lifeboat.archiver.read.Fault;
import io.lifeboat.archiver.read.TargetUnreachableException;
import io.lifeboat.archiver.read.RestoreDestination;
import io.lifeboat.archiver.read.RestoreResult;
import io.lifeboat.archiver.read.StoredBackup;
import io.lifeboat.archiver.read.VerifyReport;
import io.lifeboat.archiver.retention.BackupPruner;
import io.lifeboat.core.config.ArchiveConfig;
import io.lifeboat.core.config.ArchiveTarget;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.error.FileError;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.openpgp.PublicKeyFile;
import io.lifeboat.core.openpgp.SecretKeyFile;
import io.lifeboat.core.storage.StorageTarget;
import io.lifeboat.replicator.sequence.SequenceSync;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "archive", mixinStandardHelpOptions = true,
        description = "Offsite dumps of the standby: zstd, OpenPGP to a public key, chunks on S3 and filesystem targets.")
final class ArchiveCommand extends CommandGroup {
    @ParentCommand
    LifeboatCommand root;

    final Clock clock = Clock.systemUTC();

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Dump the standby (pg_dump in an exported snapshot) through zstd and OpenPGP into chunks on",
                "the first target, with the roles and memberships (pg_dumpall --globals-only, from the master when",
                "it answers, else the standby; without passwords when the user cannot read them), write the",
                "manifest last, then copy to every further target. Just before the dump the standby's sequences",
                "are brought up to the master's (when it answers)."})
    int runArchive() {
        LoadedConfig loaded = root.loadConfig();
        ArchiveConfig config = loaded.config().archive();
        try (Pools pools = new Pools(loaded.config())) {
            ArchiveRun run = new ArchiveJob(config, loaded.config().standby(), pools.standby(),
                    loaded.config().replication().slot(), clock)
                    .withMaster(loaded.config().master(), pools::master,
                            (master, standby) -> new SequenceSync().run(master, standby).advanced().size())
                    .run();
            BackupManifest manifest = run.manifest();
            PrintWriter out = spec.commandLine().getOut();
            out.printf("backup %s: %s dump stored as %s in %d chunk%s on %s in %.1f s (master LSN %s)%n", manifest.id(),
                    DataSize.ofBytes(manifest.plaintextSize()).approximate(),
                    DataSize.ofBytes(manifest.storedSize()).approximate(), manifest.chunks().size(),
                    manifest.chunks().size() == 1 ? "" : "s", run.targets().get(0), run.dumpTime().toMillis() / 1000.0,
                    manifest.masterLsn());
            for (String copy : run.targets().subList(1, run.targets().size())) {
                out.println("  copied to " + copy);
            }
            out.flush();
            return ExitCode.OK.code();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"Show the backups on a target: time, master LSN, size, chunks, state; with --verbose also",
                "each one's schema fingerprint, source database and Lifeboat version."})
    int list(@Option(names = "--target", paramLabel = "NAME", description = "Default: the first target.") String name) {
        ArchiveConfig config = root.loadConfig().config().archive();
        try (StorageTarget target = open(config, name)) {
            List<StoredBackup> backups = new BackupStore(target).list();
            PrintWriter out = spec.commandLine().getOut();
            if (backups.isEmpty()) {
                out.println("no backups on " + target.name());
            } else {
                out.printf("%-17s %-20s %-12s %9s %6s  %s%n", "ID", "STARTED", "MASTER LSN", "SIZE", "CHUNKS", "STATE");
            }
            List<StoredBackup> newestFirst = new ArrayList<>(backups);
            java.util.Collections.reverse(newestFirst);
            for (StoredBackup backup : newestFirst) {
                Optional<BackupManifest> manifest = backup.manifest();
                out.printf("%-17s %-20s %-12s %9s %6s  %s%n", backup.id(),
                        backup.id().startedAt().toString().replace('T', ' '),
                        manifest.map(BackupManifest::masterLsn).orElse("-"),
                        DataSize.ofBytes(backup.storedBytes()).approximate(),
                        manifest.map(m -> Integer.toString(m.chunks().size())).orElse("-"),
                        backup.state() + backup.manifestProblem().map(p -> ": " + p).orElse(""));
                if (root.verbose) {
                    manifest.ifPresent(m -> printDetails(out, m));
                }
            }
            out.flush();
            return ExitCode.OK.code();
        }
    }

    private static void printDetails(PrintWriter out, BackupManifest manifest) {
        out.println("  schema:   " + manifest.schema().orElse("not recorded (manifest format "
                + manifest.formatVersion() + ")"));
        out.println("  source:   database " + manifest.source().database() + ", PostgreSQL "
                + manifest.source().serverVersion() + ", system " + manifest.source().systemIdentifier());
        out.println("  written:  by lifeboat " + manifest.lifeboatVersion() + ", finished "
                + manifest.finishedAt());
        out.println("  roles:    " + manifest.roles().map(g -> "from the " + g.capturedFrom() + ", "
                + (g.rolePasswords() ? "with their passwords" : "without passwords")).orElse("none (manifest format "
                + manifest.formatVersion() + (manifest.formatVersion() < 3 ? ", before roles were kept)" : ")")));
        out.println("  point:    master " + manifest.masterLsn() + (manifest.masterTime() != null
                ? " at " + manifest.masterTime() + " (the master's clock)"
                : ", time not recorded (manifest format " + manifest.formatVersion() + "; counted as its start)"));
    }

    @Command(name = "copy", mixinStandardHelpOptions = true,
            description = {"Copy backups from one target to another (all complete ones missing there, or ID),",
                "checking every chunk's hash on the way; the manifest is written last."})
    int copy(@Option(names = "--from", required = true, paramLabel = "NAME") String from,
            @Option(names = "--to", required = true, paramLabel = "NAME") String to,
            @Parameters(arity = "0..1", paramLabel = "ID") String id) {
        ArchiveConfig config = root.loadConfig().config().archive();
        try (StorageTarget source = open(config, from); StorageTarget destination = open(config, to)) {
            BackupStore sourceStore = new BackupStore(source);
            BackupStore destinationStore = new BackupStore(destination);
            List<StoredBackup> wanted;
            if (id != null) {
                wanted = List.of(sourceStore.find(Optional.of(id)));
            } else {
                Set<String> there = destinationStore.complete().stream().map(b -> b.id().toString())
                        .collect(Collectors.toSet());
                wanted = sourceStore.complete().stream().filter(b -> !there.contains(b.id().toString())).toList();
            }
            PrintWriter out = spec.commandLine().getOut();
            for (StoredBackup backup : wanted) {
                new BackupCopier(sourceStore, destinationStore).copy(backup);
                out.println("backup " + backup.id() + ": copied from " + source.name() + " to " + destination.name());
            }
            if (wanted.isEmpty()) {
                out.println("nothing to copy: every complete backup on " + source.name() + " is on " + destination.name());
            }
            out.flush();
            return ExitCode.OK.code();
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Check a backup (default: the newest) without the private key: manifest, signature, every",
                "chunk's size and SHA-256. With --content also decrypt and decompress it end to end and let",
                "pg_restore --list read it.",
                "Exit 0 verified; 2 corrupt (or any other error); 3 unreachable: the target could not be read",
                "(connection, timeout, 5xx, credentials), which says nothing about the backup and never marks it",
                "corrupt."})
    int verify(@Parameters(arity = "0..1", paramLabel = "ID") String id,
            @Option(names = "--target", paramLabel = "NAME", description = "Default: the first target.") String name,
            @Option(names = "--signer", paramLabel = "FILE",
                    description = "Public key the manifest must be signed with (default: from archive.signing_key).")
            Path signerFile,
            @Option(names = "--content", description = "Also read the dump end to end (needs --key).") boolean content,
            @Option(names = "--key", paramLabel = "FILE", description = "The private key file.") Path keyFile,
            @Option(names = "--passphrase-file", paramLabel = "FILE",
                    description = "Its passphrase (default: asked on the terminal).") Path passphraseFile) {
        ArchiveConfig config = root.loadConfig().config().archive();
        PrintWriter out = spec.commandLine().getOut();
        try (StorageTarget target = open(config, name)) {
            BackupStore store = new BackupStore(target);
            StoredBackup backup;
            try {
                backup = store.find(Optional.ofNullable(id));
            } catch (TargetUnreachableException e) {
                out.println((id == null ? "backups" : "backup " + id) + " on " + target.name() + ": unreachable: "
                        + e.getMessage());
                out.flush();
                return ExitCode.UNREACHABLE.code();
            }
            Optional<PGPPublicKeyRing> signer = signer(config, signerFile);
            BackupVerifier verifier = new BackupVerifier(store, clock);
            VerifyReport report;
            if (content) {
                PrivateKey key = PrivateKey.read(keyFile, passphraseFile, spec);
                report = verifier.verifyContent(backup, signer, key.ring(), key.passphrase(), config.workDirectory());
            } else {
                report = verifier.verify(backup, signer);
            }
            if (report.ok()) {
                out.println("backup " + backup.id() + " on " + target.name() + ": verified" + (report.contentChecked()
                        ? " (content read end to end)" : " (" + backup.manifest().orElseThrow().chunks().size()
                        + " chunks, hashes match)") + " in " + report.millis() + " ms");
                out.flush();
                return ExitCode.OK.code();
            }
            Fault fault = report.fault().orElseThrow();
            if (fault == Fault.UNREACHABLE) {
                out.println("backup " + backup.id() + " on " + target.name() + ": unreachable: "
                        + report.problems().get(0));
                report.findings().stream().skip(1).forEach(problem -> out.println("  " + problem));
                out.flush();
                return ExitCode.UNREACHABLE.code();
            }
            out.println("backup " + backup.id() + " on " + target.name() + ": " + fault.label().toUpperCase(
                    java.util.Locale.ROOT));
            report.findings().forEach(problem -> out.println("  " + (problem.fault() == fault ? problem.text()
                    : problem.toString())));
            out.flush();
            return ExitCode.ERROR.code();
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"Download, check each chunk's hash before use, decrypt, decompress and feed pg_restore in one",
                "transaction: a missing or corrupt chunk stops it with nothing written to the destination.",
                "With --new-cluster the backup's roles and memberships are created first (roles the new cluster",
                "already has are left as they are)."})
    int restore(@Parameters(paramLabel = "ID") String id,
            @Option(names = "--to", paramLabel = "CONNECTION",
                    description = "An existing database, as a libpq connection string or URI.") String connection,
            @Option(names = "--new-cluster", paramLabel = "DIR", description = "initdb a new cluster here and start it.")
            Path newCluster,
            @Option(names = "--port", paramLabel = "P", description = "Port of the new cluster.") Integer port,
            @Option(names = "--target", paramLabel = "NAME", description = "Default: the first target.") String name,
            @Option(names = "--key", required = true, paramLabel = "FILE", description = "The private key file.")
            Path keyFile,
            @Option(names = "--passphrase-file", paramLabel = "FILE",
                    description = "Its passphrase (default: asked on the terminal).") Path passphraseFile,
            @Option(names = "--no-privileges", description = {"Skip GRANT/REVOKE: for a destination without the roles",
                "the database grants to (roles are not in a pg_dump; create them first to keep the grants)."})
            boolean noPrivileges) {
        if ((connection == null) == (newCluster == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give exactly one of --to CONNECTION and --new-cluster DIR");
        }
        if (newCluster != null && port == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--new-cluster needs --port");
        }
        ArchiveConfig config = root.loadConfig().config().archive();
        PrivateKey key = PrivateKey.read(keyFile, passphraseFile, spec);
        try (StorageTarget target = open(config, name)) {
            BackupStore store = new BackupStore(target);
            StoredBackup backup = store.find(Optional.of(id));
            RestoreDestination destination = connection != null
                    ? new RestoreDestination.Database(connection)
                    : new RestoreDestination.NewCluster(newCluster.toAbsolutePath(), port);
            RestoreResult result = new BackupRestorer(store,
                            noPrivileges ? List.of("--no-privileges") : List.of())
                    .restore(backup, destination, key.ring(), key.passphrase(), config.workDirectory());
            PrintWriter out = spec.commandLine().getOut();
            out.printf("backup %s restored from %s into %s: %s of dump in %.1f s (master LSN %s)%n", backup.id(),
                    target.name(), result.destination(), DataSize.ofBytes(result.plaintextBytes()).approximate(),
                    result.elapsed().toMillis() / 1000.0, backup.manifest().orElseThrow().masterLsn());
            result.roles().ifPresent(roles -> out.println("  roles: " + roles));
            out.flush();
            return ExitCode.OK.code();
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = {"Apply archive.retention to each target (or one): keep what the schedule keeps, never the",
                "newest verified backup; delete corrupt ones and incomplete ones abandoned for over 6 h."})
    int prune(@Option(names = "--dry-run", description = "Only show what would be kept and deleted.") boolean dryRun,
            @Option(names = "--target", paramLabel = "NAME", description = "Default: every target.") String name) {
        ArchiveConfig config = root.loadConfig().config().archive();
        List<String> names = name != null ? List.of(name)
                : config.targets().stream().map(ArchiveTarget::name).toList();
        PrintWriter out = spec.commandLine().getOut();
        for (String each : names) {
            try (StorageTarget target = open(config, each)) {
                BackupPruner pruner =
                        new BackupPruner(config.retention(), new BackupStore(target));
                for (BackupPruner.Decision decision : dryRun
                        ? pruner.plan(clock.instant()) : pruner.prune(clock.instant())) {
                    String verb = decision.keep() ? "keep  " : dryRun ? "would delete" : "deleted";
                    out.println(target.name() + ": " + verb + " " + decision.backup().id() + ": " + decision.reason());
                }
            }
        }
        out.flush();
        return ExitCode.OK.code();
    }

    private static Optional<PGPPublicKeyRing> signer(ArchiveConfig config,
            Path signerFile) {
        if (signerFile != null) {
            return Optional.of(PublicKeyFile.rings(signerFile).get(0));
        }
        return config.signingKey().map(file -> {
            PGPSecretKeyRing ring = SecretKeyFile.read(file,
                    config.signingPassphrase().map(secret -> secret.reveal().toCharArray()).orElse(new char[0]));
            List<PGPPublicKey> keys = new ArrayList<>();
            ring.getPublicKeys().forEachRemaining(keys::add);
            return new PGPPublicKeyRing(keys);
        });
    }

    /** The private key for decryption, with its passphrase from a file or the terminal, never from argv. */
    record PrivateKey(PGPSecretKeyRing ring, char[] passphrase) {
        static PrivateKey read(Path keyFile, Path passphraseFile,
                CommandLine.Model.CommandSpec spec) {
            if (keyFile == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--key FILE is required here");
            }
            char[] passphrase;
            if (passphraseFile != null) {
                try {
                    passphrase = Files.readString(passphraseFile).strip().toCharArray();
                } catch (IOException e) {
                    throw new LifeboatException("cannot read the passphrase file " + passphraseFile + " ("
                            + FileError.reason(e) + ")", e);
                }
            } else if (System.console() != null) {
                passphrase = System.console().readPassword("passphrase for %s: ", keyFile);
            } else if (SecretKeyFile.needsPassphrase(keyFile)) {
                throw new LifeboatException("secret key " + keyFile + " is protected by a passphrase and there is no"
                        + " terminal to ask for it", "give it with --passphrase-file FILE (a file only you can read)",
                        null);
            } else {
                passphrase = new char[0];
            }
            return new PrivateKey(SecretKeyFile.read(keyFile, passphrase), passphrase);
        }
    }

    static StorageTarget open(ArchiveConfig config, String name) {
        if (config.targets().isEmpty()) {
            throw new LifeboatException("archive.targets is empty");
        }
        return name == null ? StorageTargets.open(config, config.targets().get(0)) : StorageTargets.open(config, name);
    }
}
