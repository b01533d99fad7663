package io.lifeboat.replicator.sequence;

import io.lifeboat.core.db.TransientFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sequences are not in the change stream: this brings each standby sequence to where the master's stands, never
 * back, so a promoted standby hands out no number the master already gave. The rule, for every kind of sequence
 * (ascending, descending, CYCLE, not yet called, cached, identity, serial): the value the standby's next nextval
 * returns is at or beyond the master's, in the sequence's own direction; a CYCLE sequence, where "beyond" means
 * nothing once it has wrapped, takes the master's position (see {@link Sequence#movesForward}).
 *
 * <p>The periodic sync of {@code sync run} and {@code sync sequences} both use this. One instance remembers what
 * it warned about, so a problem that persists is logged once, not every round; each {@link Result} still lists it.
 */
public final class SequenceSync {
    private static final Logger log = LoggerFactory.getLogger(SequenceSync.class);

    private Set<String> warned = Set.of();

    /**
     * One round. A sequence that is missing on the standby, defined differently there, unreadable or cannot be set
     * is reported and skipped; the others still move.
     *
     * @throws SQLException only when a connection fails
     */
    public Result run(Connection master, Connection standby) throws SQLException {
        SequenceCatalog.Reading onMaster = SequenceCatalog.read(master);
        SequenceCatalog.Reading onStandby = SequenceCatalog.read(standby);
        Map<String, NextValue> advanced = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        onMaster.unreadable().forEach((name, why) -> skipped.put(name, "cannot read it on master: " + why));
        for (Sequence source : onMaster.sequences().values()) {
            String name = source.name();
            Sequence target = onStandby.sequences().get(name);
            if (target == null) {
                String why = onStandby.unreadable().get(name);
                if (why == null) {
                    missing.add(name);
                } else {
                    skipped.put(name, "cannot read it on standby: " + why);
                }
                continue;
            }
            String differences = source.differencesFrom(target);
            if (!differences.isEmpty()) {
                skipped.put(name, "defined differently on standby (" + differences + "); to sync it run on the"
                        + " standby: " + source.alterToMatch(target));
                continue;
            }
            NextValue masterNext = source.next();
            if (!source.movesForward(target.next(), masterNext)) {
                continue;
            }
            try {
                // Same definition on both sides, so the master's own state is valid on the standby and means the
                // same next value there.
                SequenceCatalog.set(standby, source);
                advanced.put(name, masterNext);
            } catch (SQLException e) {
                if (TransientFailure.test(e)) {
                    throw e;
                }
                skipped.put(name, "cannot set it on standby: " + SequenceCatalog.serverText(e));
            }
        }
        warnOnce(missing, skipped);
        return new Result(onMaster.sequences().size() + onMaster.unreadable().size(), advanced, missing, skipped);
    }

    private void warnOnce(List<String> missing, Map<String, String> skipped) {
        Set<String> lines = new LinkedHashSet<>();
        if (!missing.isEmpty()) {
            lines.add("sequences missing on standby, not synced: " + String.join(", ", missing)
                    + " (create them on the standby)");
        }
        skipped.forEach((name, why) -> lines.add("sequence " + name + " not synced: " + why));
        for (String line : lines) {
            if (!warned.contains(line)) {
                log.warn("{}", line);
            }
        }
        warned = lines;
    }

    /**
     * One round.
     *
     * @param sequences how many sequences the master has
     * @param advanced  the standby sequences moved, with the value each hands out next now
     * @param missing   master sequences with no standby sequence of that name
     * @param skipped   sequences left as they are, with the reason (defined differently, unreadable, refused)
     */
    public record Result(int sequences, Map<String, NextValue> advanced, List<String> missing,
                         Map<String, String> skipped) {
    }
}
