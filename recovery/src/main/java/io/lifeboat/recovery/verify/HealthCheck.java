package io.lifeboat.recovery.verify;

import io.lifeboat.core.server.AmcheckReport;
import io.lifeboat.recovery.CandidateCorruptException;
import java.time.Duration;

/**
 * The proof a copy is healthy beyond "it starts": {@code pg_amcheck --heapallindexed} of every database (what it
 * cannot check is reported with it) and a sanity query in the application's database.
 */
public final class HealthCheck {
    private static final Duration AMCHECK_LIMIT = Duration.ofHours(6);

    private HealthCheck() {
    }

    /**
     * @return one line saying what passed and what was not checked
     * @throws CandidateCorruptException when pg_amcheck finds corruption or the sanity query fails
     * @throws io.lifeboat.core.error.LifeboatException when pg_amcheck could not check (not proof either way)
     */
    public static String run(ScratchServer scratch, String database) {
        AmcheckReport amcheck = scratch.server().amcheck(AMCHECK_LIMIT);
        if (amcheck.corruptionFound()) {
            throw new CandidateCorruptException("pg_amcheck found corruption: " + amcheck.detail());
        }
        if (!amcheck.clean()) {
            throw new io.lifeboat.core.error.LifeboatException(amcheck.summary());
        }
        String relations;
        try {
            relations = scratch.console(database).value("SELECT count(*) FROM pg_class").orElse("?");
        } catch (io.lifeboat.core.error.LifeboatException e) {
            throw new CandidateCorruptException("the sanity query fails in database " + database + " ("
                    + e.getMessage() + ")", e);
        }
        return amcheck.summary() + "; " + relations + " relations in " + database;
    }
}
