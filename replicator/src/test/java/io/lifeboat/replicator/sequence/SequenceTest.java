package io.lifeboat.replicator.sequence;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SequenceTest {
    private static Sequence ascending(long min, long max, boolean cycle, long last, boolean called) {
        return new Sequence("public.s", "bigint", min, 1, min, max, cycle, last, called);
    }

    private static Sequence descending(long min, long max, boolean cycle, long last, boolean called) {
        return new Sequence("public.s", "bigint", max, -1, min, max, cycle, last, called);
    }

    @Test
    void nextValueFollowsIsCalledAndTheBounds() {
        assertThat(ascending(1, 10, false, 5, true).next()).isEqualTo(NextValue.of(6));
        assertThat(ascending(1, 10, false, 5, false).next()).isEqualTo(NextValue.of(5));
        assertThat(ascending(1, 10, false, 10, true).next().isExhausted()).isTrue();
        assertThat(ascending(1, 10, true, 10, true).next()).isEqualTo(NextValue.of(1));
        assertThat(descending(-10, -1, false, -10, true).next().isExhausted()).isTrue();
        assertThat(descending(-10, -1, true, -10, true).next()).isEqualTo(NextValue.of(-1));
        assertThat(descending(-10, -1, false, -4, true).next()).isEqualTo(NextValue.of(-5));
        assertThat(new Sequence("s", "bigint", 1, 10, 1, Long.MAX_VALUE, false, Long.MAX_VALUE - 3, true).next()
                .isExhausted()).isTrue();
    }

    @Test
    void withoutCycleForwardIsThePlainOrderInTheSequencesDirection() {
        Sequence up = ascending(1, 100, false, 1, false);
        assertThat(up.movesForward(NextValue.of(6), NextValue.of(7))).isTrue();
        assertThat(up.movesForward(NextValue.of(7), NextValue.of(6))).isFalse();
        assertThat(up.movesForward(NextValue.of(6), NextValue.of(6))).isFalse();
        assertThat(up.movesForward(NextValue.of(100), NextValue.exhausted())).isTrue();
        assertThat(up.movesForward(NextValue.exhausted(), NextValue.of(100))).isFalse();
        Sequence down = descending(-100, -1, false, -1, false);
        assertThat(down.movesForward(NextValue.of(-6), NextValue.of(-7))).isTrue();
        assertThat(down.movesForward(NextValue.of(-7), NextValue.of(-6))).isFalse();
    }

    @Test
    void inACycleEveryOtherPositionIsForward() {
        Sequence cycle = ascending(1, 1000, true, 1, false);
        // A fresh standby (next 1) against a master past half its range, and a master that wrapped (next 5)
        // against a standby still near the top: both move to the master.
        assertThat(cycle.movesForward(NextValue.of(1), NextValue.of(900))).isTrue();
        assertThat(cycle.movesForward(NextValue.of(900), NextValue.of(5))).isTrue();
        assertThat(cycle.movesForward(NextValue.of(5), NextValue.of(5))).isFalse();
        Sequence down = descending(-1000, -1, true, -1, false);
        assertThat(down.movesForward(NextValue.of(-900), NextValue.of(-5))).isTrue();
    }

    @Test
    void handingOutGivesTheStateWhoseNextValueIsTheTarget() {
        Sequence up = new Sequence("s", "integer", 1, 3, 1, 100, true, 1, false);
        for (long value : new long[] {1, 2, 3, 4, 50, 98, 100}) {
            assertThat(up.handingOut(NextValue.of(value)).next()).isEqualTo(NextValue.of(value));
        }
        assertThat(up.handingOut(NextValue.of(50))).extracting(Sequence::lastValue, Sequence::isCalled)
                .containsExactly(47L, true);
        Sequence down = new Sequence("s", "bigint", -1, -5, Long.MIN_VALUE, -1, false, -1, false);
        for (long value : new long[] {-1, -3, -6, Long.MIN_VALUE, Long.MIN_VALUE + 4}) {
            assertThat(down.handingOut(NextValue.of(value)).next()).isEqualTo(NextValue.of(value));
        }
        assertThat(down.handingOut(NextValue.exhausted()).next().isExhausted()).isTrue();
    }

    @Test
    void differencesNameEachMismatchAndTheFix() {
        Sequence master = new Sequence("\"My Schema\".\"Odd Seq\"", "integer", -1, -1, -100, -1, false, -1, false);
        Sequence standby = new Sequence("\"My Schema\".\"Odd Seq\"", "integer", 1, 1, 1, 100, false, 1, false);
        assertThat(master.differencesFrom(standby)).isEqualTo("increment -1 on master, 1 on standby, minvalue -100"
                + " on master, 1 on standby, maxvalue -1 on master, 100 on standby");
        assertThat(master.differencesFrom(master.withState(-50, true))).isEmpty();
        // The standby's value 1 is outside -100..-1: ALTER needs RESTART then.
        assertThat(master.alterToMatch(standby)).isEqualTo("ALTER SEQUENCE \"My Schema\".\"Odd Seq\" AS integer"
                + " INCREMENT BY -1 MINVALUE -100 MAXVALUE -1 START WITH -1 RESTART NO CYCLE");
        assertThat(master.alterToMatch(master.withState(-7, true))).doesNotContain("RESTART");
    }
}
