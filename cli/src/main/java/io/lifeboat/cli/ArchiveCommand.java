package io.lifeboat.cli;

import io.lifeboat.archiver.job.ArchiveJob;
import io.lifeboat.archiver.job.ArchiveRun;
import io.lifeboat.archiver.job.StorageTargets;
import io.lifeboat.archiver.offsite.BackupCopier;
import io.lifeboat.archiver.read.BackupStore;
import io.lifeboat.archiver.read.StoredBackup;
import io.lifeboat.core.config.ArchiveConfig;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.storage.StorageTarget;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
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
                "the first target, write the manifest last, then copy to every further target."})
    int runArchive() {
        LoadedConfig loaded = root.loadConfig();
        ArchiveConfig config = loaded.config().archive();
        try (Pools pools = new Pools(loaded.config())) {
            ArchiveRun run = new ArchiveJob(config, loaded.config().standby(), pools.standby(),
                    loaded.config().replication().slot(), clock).run();
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
            description = "Show the backups on a target: time, master LSN, size, chunks, state.")
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
            }
            out.flush();
            return ExitCode.OK.code();
        }
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

    static StorageTarget open(ArchiveConfig config, String name) {
        if (config.targets().isEmpty()) {
            throw new LifeboatException("archive.targets is empty");
        }
        return name == null ? StorageTargets.open(config, config.targets().get(0)) : StorageTargets.open(config, name);
    }
}
