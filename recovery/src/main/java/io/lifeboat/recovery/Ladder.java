package io.lifeboat.recovery;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.config.RecoveryConfig;
import io.lifeboat.recovery.rungs.LatestSnapshotRung;
import io.lifeboat.recovery.rungs.MasterVolumeSnapshotRung;
import io.lifeboat.recovery.rungs.OffsiteDumpRung;
import io.lifeboat.recovery.rungs.OlderSnapshotsRung;
import io.lifeboat.recovery.rungs.PromoteStandbyRung;
import io.lifeboat.recovery.rungs.RestartMasterRung;
import java.util.List;
import java.util.Optional;

/** The rungs in the order they are tried: the documented order, or {@code recovery.ladder}'s. */
public final class Ladder {
    private final List<Rung> rungs;

    public Ladder(List<Rung> rungs) {
        this.rungs = List.copyOf(rungs);
    }

    /** The ladder {@code recovery.ladder} names (the config has checked every name). */
    public static Ladder of(List<String> names) {
        return new Ladder(names.stream().map(Ladder::rung).toList());
    }

    /** A new rung is one class and one line here. */
    public static Rung rung(String name) {
        return switch (name) {
            case RestartMasterRung.NAME -> new RestartMasterRung();
            case MasterVolumeSnapshotRung.NAME -> new MasterVolumeSnapshotRung();
            case PromoteStandbyRung.NAME -> new PromoteStandbyRung();
            case LatestSnapshotRung.NAME -> new LatestSnapshotRung();
            case OlderSnapshotsRung.NAME -> new OlderSnapshotsRung();
            case OffsiteDumpRung.NAME -> new OffsiteDumpRung();
            default -> throw new LifeboatException("unknown rung '" + name + "'", "rungs: "
                    + String.join(", ", RecoveryConfig.RUNGS), null);
        };
    }

    public List<Rung> rungs() {
        return rungs;
    }

    public Optional<Rung> find(String name) {
        return rungs.stream().filter(r -> r.name().equals(name)).findFirst();
    }
}
