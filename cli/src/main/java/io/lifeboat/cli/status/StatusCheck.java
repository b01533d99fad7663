package io.lifeboat.cli.status;

import io.lifeboat.core.config.LifeboatConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.sql.DataSource;

/** Reads everything once and judges it: what {@code lifeboat status} does, and what the monitor does each round. */
public final class StatusCheck {
    private StatusCheck() {
    }

    /** @throws CatalogUnreadableException when the standby's catalog cannot be read: the status is unknown */
    public static Status run(LifeboatConfig config, DataSource standby) {
        return run(config, standby, () -> Survey.archives(config));
    }

    /** As {@link #run(LifeboatConfig, DataSource)}, with the archive listings from {@code archives} (a cache). */
    public static Status run(LifeboatConfig config, DataSource standby, Supplier<List<Readings.Archive>> archives) {
        Survey.Catalog catalog = catalog(config, standby);
        Optional<Readings.Snapshots> snapshots = Survey.snapshots(config);
        Readings readings = new Readings(Instant.now(), catalog.replication(), catalog.jobs(), catalog.validation(),
                catalog.dryRun(), snapshots, archives.get());
        return StatusTree.judge(readings, config);
    }

    private static Survey.Catalog catalog(LifeboatConfig config, DataSource standby) {
        try (Connection connection = standby.getConnection()) {
            connection.setReadOnly(true);
            return Survey.catalog(connection, config);
        } catch (SQLException e) {
            throw new CatalogUnreadableException("cannot reach the catalog on standby " + config.standby().address()
                    + " (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")",
                    "status reads the standby's lifeboat schema; check that the standby runs and the config's"
                            + " standby block");
        }
    }
}
