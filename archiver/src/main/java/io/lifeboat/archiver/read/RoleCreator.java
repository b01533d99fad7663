package io.lifeboat.archiver.read;

import io.lifeboat.core.error.FileError;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.ExternalCommandException;
import io.lifeboat.core.process.PostgresPrograms;
import io.lifeboat.core.storage.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a backup's roles and memberships (its {@code pg_dumpall --globals-only}) in a destination cluster before
 * {@code pg_restore}, so the application's roles exist (and, when their passwords were captured, can log in) and
 * the dump's grants find their grantees. Roles the destination already has are left as they are; the rest runs with
 * psql in one transaction: all of the roles arrive, or none.
 */
public final class RoleCreator {
    private static final Logger LOG = LoggerFactory.getLogger(RoleCreator.class);
    private static final Duration PSQL_LIMIT = Duration.ofMinutes(10);

    private final BackupStore store;

    public RoleCreator(BackupStore store) {
        this.store = store;
    }

    /**
     * @param connection a libpq connection string or URI to any database of the destination cluster, as a role that
     *                   may create roles; a password in it travels in the environment
     */
    public RolesCreated create(StoredBackup backup, String connection, PGPSecretKeyRing key, char[] passphrase,
            Path workDirectory) {
        ConnectionString parsed = ConnectionString.parse(connection);
        Map<String, String> environment = new HashMap<>();
        parsed.password().ifPresent(password -> environment.put("PGPASSWORD", password));
        return create(backup, parsed.withoutPassword(), environment, key, passphrase, workDirectory);
    }

    RolesCreated create(StoredBackup backup, String connection, Map<String, String> environment,
            PGPSecretKeyRing key, char[] passphrase, Path workDirectory) {
        BackupManifest manifest = backup.manifest().orElseThrow(() -> new LifeboatException("backup " + backup.id()
                + " on " + store.target().name() + " is incomplete (no manifest)"));
        if (manifest.roles().isEmpty()) {
            return RolesCreated.none(backup.id() + (manifest.formatVersion() < 3
                    ? " was written before lifeboat kept roles" : " holds no roles (they could not be taken)"));
        }
        BackupManifest.Globals globals = manifest.roles().get();
        RoleScript script;
        try {
            script = RoleScript.parse(new String(DumpReader.globals(store.target(), backup.id(), manifest, key,
                    passphrase, workDirectory), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new LifeboatException("cannot read the roles of backup " + backup.id() + " on "
                    + store.target().name() + " (" + e.getMessage() + ")", e);
        }
        PostgresPrograms programs = DumpReader.programs(manifest);
        Set<String> existing = existingRoles(programs, connection, environment);
        Set<String> created = new LinkedHashSet<>(script.roles());
        created.removeAll(existing);
        Set<String> kept = new LinkedHashSet<>(script.roles());
        kept.retainAll(existing);
        Path file = null;
        try {
            PrivateFiles.createDirectories(workDirectory);
            // It may hold password hashes: a file only this user can read, removed right after.
            file = Files.createTempFile(workDirectory, ".roles-", ".sql");
            PrivateFiles.writeString(file, script.without(existing));
            psql(programs, connection, environment, "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f",
                    file.toString());
        } catch (IOException e) {
            throw new LifeboatException("cannot write the roles of backup " + backup.id() + " to " + workDirectory
                    + " (" + FileError.reason(e) + ")", e);
        } catch (ExternalCommandException e) {
            throw new LifeboatException("cannot create the roles of backup " + backup.id() + " (" + e.getMessage()
                    + ")", "nothing of the roles was created: the script runs in one transaction", e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    LOG.warn("cannot remove {} ({}); it holds role password hashes", file, FileError.reason(e));
                }
            }
        }
        LOG.info("backup {}: {} roles created ({} from the {}), {} already there: {}", backup.id(), created.size(),
                globals.rolePasswords() ? "with their passwords" : "without passwords", globals.capturedFrom(),
                kept.size(), String.join(", ", kept));
        return new RolesCreated(List.copyOf(created), List.copyOf(kept), globals.rolePasswords(),
                globals.capturedFrom(), java.util.Optional.empty());
    }

    private static Set<String> existingRoles(PostgresPrograms programs, String connection,
            Map<String, String> environment) {
        String out = psql(programs, connection, environment, "-A", "-t", "--record-separator-zero", "-c",
                "SELECT rolname FROM pg_catalog.pg_roles");
        return Arrays.stream(out.split("\0")).map(name -> name.replaceFirst("^\n", ""))
                .filter(name -> !name.isEmpty()).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static String psql(PostgresPrograms programs, String connection, Map<String, String> environment,
            String... arguments) {
        List<String> argv = new java.util.ArrayList<>(List.of(programs.program("psql").toString(), "-X", "-q",
                "--no-password", "-d", connection));
        argv.addAll(List.of(arguments));
        ExternalCommand command = ExternalCommand.of(argv).timeout(PSQL_LIMIT).env("PGAPPNAME", "lifeboat-restore");
        environment.forEach(command::env);
        return command.run().stdout();
    }

    /**
     * The roles a restore created.
     *
     * @param created       roles the backup had and the destination lacked, now created
     * @param existing      roles the backup had that the destination already had, left as they were
     * @param rolePasswords whether the created roles got their passwords (false: captured without them)
     * @param capturedFrom  {@code master} or {@code standby}
     * @param note          why no roles were created, for a backup that holds none
     */
    public record RolesCreated(List<String> created, List<String> existing, boolean rolePasswords,
            String capturedFrom, java.util.Optional<String> note) {
        static RolesCreated none(String why) {
            return new RolesCreated(List.of(), List.of(), false, "", java.util.Optional.of("backup " + why
                    + "; roles and memberships are not restored"));
        }

        /** One line for the operator. */
        public String summary() {
            if (note.isPresent()) {
                return note.get();
            }
            return created.size() + " role" + (created.size() == 1 ? "" : "s") + " created from the "
                    + capturedFrom + "'s" + (created.isEmpty() ? "" : " (" + String.join(", ", created) + ")")
                    + (rolePasswords ? "" : " without passwords (the capturing user could not read them)")
                    + (existing.isEmpty() ? "" : "; already there: " + String.join(", ", existing));
        }
    }
}
