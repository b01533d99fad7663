package io.lifeboat.core.process;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Debian/Ubuntu package that provides each program Lifeboat and its tests run, so a missing one is reported
 * with what to install rather than as an exec failure. PostgreSQL's programs under Debian's versioned
 * {@code /usr/lib/postgresql/N/bin} name that version's package.
 */
final class DebianPackages {
    private static final Pattern VERSIONED_POSTGRES = Pattern.compile("/usr/lib/postgresql/(\\d+)/bin/[^/]+");
    private static final Map<String, String> BY_PROGRAM = Map.ofEntries(
            Map.entry("btrfs", "btrfs-progs"), Map.entry("mkfs.btrfs", "btrfs-progs"),
            Map.entry("gpg", "gnupg"), Map.entry("gpgconf", "gnupg"), Map.entry("gpg-agent", "gnupg"),
            Map.entry("zstd", "zstd"),
            Map.entry("losetup", "mount"), Map.entry("mount", "mount"), Map.entry("umount", "mount"),
            Map.entry("mkfs.ext4", "e2fsprogs"),
            Map.entry("fsfreeze", "util-linux"), Map.entry("findmnt", "util-linux"),
            Map.entry("setsid", "util-linux"), Map.entry("runuser", "util-linux"),
            Map.entry("mountpoint", "util-linux"),
            Map.entry("pkill", "procps"), Map.entry("pgrep", "procps"),
            Map.entry("lvs", "lvm2"), Map.entry("lvcreate", "lvm2"), Map.entry("lvrename", "lvm2"),
            Map.entry("lvremove", "lvm2"),
            Map.entry("zfs", "zfsutils-linux"),
            Map.entry("psql", "postgresql-client"), Map.entry("pg_dump", "postgresql-client"),
            Map.entry("pg_restore", "postgresql-client"), Map.entry("pg_config", "postgresql-client"),
            Map.entry("pg_amcheck", "postgresql-client"),
            Map.entry("initdb", "postgresql"), Map.entry("pg_ctl", "postgresql"), Map.entry("postgres", "postgresql"),
            Map.entry("pg_waldump", "postgresql"), Map.entry("pg_controldata", "postgresql"));

    private DebianPackages() {
    }

    static Optional<String> providing(String program) {
        String name = program.substring(program.lastIndexOf('/') + 1);
        String pkg = BY_PROGRAM.get(name);
        if (pkg == null) {
            return Optional.empty();
        }
        Matcher versioned = VERSIONED_POSTGRES.matcher(program);
        if (versioned.matches() && pkg.startsWith("postgresql")) {
            return Optional.of(pkg + "-" + versioned.group(1));
        }
        if (program.contains("/") && !program.startsWith("/usr/") && !program.startsWith("/bin/")
                && !program.startsWith("/sbin/")) {
            return Optional.empty(); // a path of the operator's own: no package puts a program there
        }
        return Optional.of(pkg);
    }
}
