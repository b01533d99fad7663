package io.lifeboat.cli;

import io.lifeboat.core.LifeboatVersion;
import picocli.CommandLine;

/** The text of {@code lifeboat --version} and {@code lifeboat version}. */
final class VersionText implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {
            "lifeboat " + LifeboatVersion.current(),
            "java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")",
            "postgresql-jdbc " + org.postgresql.util.DriverInfo.DRIVER_VERSION,
        };
    }
}
