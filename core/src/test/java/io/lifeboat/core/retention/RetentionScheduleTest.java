package io.lifeboat.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.retention.RetentionSchedule.Decision;
import io.lifeboat.core.retention.RetentionSchedule.Item;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetentionScheduleTest {
    private static final Instant START = Instant.parse("2026-11-01T00:00:00Z");
    private static final List<String> SCHEDULES = List.of("1h,1d/7d", "5m,15m,1h,2h,4h,8h,1d/7d", "1d,7d/90d",
            "15m,1h/1d", "10m,30m,1h,3h,12h,1d,7d/30d");

    @Test
    void parsesSpacingsAndSpan() {
        RetentionSchedule schedule = RetentionSchedule.parse("5m,15m,1h,2h,4h,8h,1d/7d");
        assertThat(schedule.spacings()).hasSize(7);
        assertThat(schedule.interval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(schedule.span()).isEqualTo(Duration.ofDays(7));
        assertThat(schedule).hasToString("5m,15m,1h,2h,4h,8h,1d/7d");
    }

    @Test
    void rejectsSchedulesThatCannotWork() {
        assertThatThrownBy(() -> RetentionSchedule.parse("1h,1d"))
                .hasMessage("'1h,1d' has no span (write spacings, then / and how long to keep, like 1h,1d/7d)");
        assertThatThrownBy(() -> RetentionSchedule.parse("1d,1h"))
                .hasMessage("'1d,1h': the spacings must grow from the smallest to the largest, but 1h follows 1d"
                        + " (like 1h,1d/7d)");
        assertThatThrownBy(() -> RetentionSchedule.parse("5m,7m/1d"))
                .hasMessage("'5m,7m/1d': 7m is not a multiple of 5m; each spacing must be a multiple of the one before");
        assertThatThrownBy(() -> RetentionSchedule.parse("1h,1h/1d"))
                .hasMessage("'1h,1h/1d': the spacings must grow from the smallest to the largest, but 1h follows 1h"
                        + " (like 1h,1d/7d)");
        assertThatThrownBy(() -> RetentionSchedule.parse("/7d")).hasMessageContaining("is not a schedule");
        assertThatThrownBy(() -> RetentionSchedule.parse("1h,1d/12h"))
                .hasMessage("'1h,1d/12h': the span 12h is shorter than the largest spacing 1d");
        assertThatThrownBy(() -> RetentionSchedule.parse("hourly/7d")).hasMessageContaining("is not a duration");
    }

    /** Takes one every smallest spacing and prunes after each, as the snapshotter does, for {@code running}. */
    private static List<Item> simulate(RetentionSchedule schedule, Duration running) {
        List<Item> kept = new ArrayList<>();
        int n = 0;
        for (Instant now = START; !now.isAfter(START.plus(running)); now = now.plus(schedule.interval())) {
            kept.add(new Item("s" + n++, now, true));
            Instant at = now;
            kept = schedule.decide(kept, at).stream().filter(Decision::keep).map(Decision::item)
                    .sorted(Comparator.comparing(Item::takenAt)).collect(java.util.stream.Collectors.toCollection(ArrayList::new));
        }
        return kept;
    }

    @Test
    void hourlyAndDailyForAWeek_holds30() {
        RetentionSchedule schedule = RetentionSchedule.parse("1h,1d/7d");
        for (int extraHours = 0; extraHours < 48; extraHours += 5) {
            int count = simulate(schedule, Duration.ofDays(9).plusHours(extraHours)).size();
            assertThat(count).as("after 9d%dh", extraHours).isBetween(29, 31);
        }
    }

    @Test
    void theLongScheduleForAWeek_holds17() {
        RetentionSchedule schedule = RetentionSchedule.parse("5m,15m,1h,2h,4h,8h,1d/7d");
        for (int extraMinutes = 0; extraMinutes < 24 * 60; extraMinutes += 125) {
            int count = simulate(schedule, Duration.ofDays(8).plusMinutes(extraMinutes)).size();
            assertThat(count).as("after 8d+%dm", extraMinutes).isBetween(16, 18);
        }
    }

    @Test
    void decisionsSayWhy() {
        RetentionSchedule schedule = RetentionSchedule.parse("1h,1d/7d");
        Instant now = Instant.parse("2026-11-22T02:30:00Z");
        List<Decision> decisions = schedule.decide(List.of(
                new Item("a", Instant.parse("2026-11-22T02:00:00Z"), false),
                new Item("b", Instant.parse("2026-11-22T02:10:00Z"), false),
                new Item("c", Instant.parse("2026-11-10T00:00:00Z"), true)), now);
        assertThat(decisions).extracting(d -> d.item().id() + " " + d.keep() + " " + d.reason()).containsExactly(
                "b false slot 1h@2026-11-22T02:00:00Z keeps an older one",
                "a true keeps slot 1h@2026-11-22T02:00:00Z",
                "c true newest verified");
    }

    @Test
    void propertiesHoldOverRandomHistories() {
        Random random = new Random(20261122);
        for (int round = 0; round < 300; round++) {
            RetentionSchedule schedule = RetentionSchedule.parse(SCHEDULES.get(random.nextInt(SCHEDULES.size())));
            List<Item> items = new ArrayList<>();
            int count = random.nextInt(60);
            long spanMillis = schedule.span().toMillis();
            for (int i = 0; i < count; i++) {
                long offset = (long) (random.nextDouble() * spanMillis * 1.5);
                items.add(new Item("i" + i, START.minusMillis(offset), random.nextInt(4) == 0));
            }
            List<Decision> decisions = schedule.decide(items, START);
            String context = "round " + round + " " + schedule;

            assertThat(decisions).as(context).hasSize(items.size());
            Optional<Item> newestVerified = items.stream().filter(Item::verified).max(Comparator.comparing(Item::takenAt));
            newestVerified.ifPresent(item -> assertThat(decisions).as(context)
                    .anyMatch(d -> d.item() == item && d.keep()));

            Set<String> slots = new HashSet<>();
            for (Decision d : decisions) {
                if (d.keep() && d.reason().startsWith("keeps slot ")) {
                    assertThat(slots.add(d.reason())).as(context + ": one item per slot").isTrue();
                }
                boolean beyondSpan = !d.item().takenAt().isAfter(START.minus(schedule.span()));
                if (d.keep() && beyondSpan) {
                    assertThat(newestVerified).as(context + ": only the newest verified outlives the span")
                            .contains(d.item());
                }
                if (!d.keep() && !beyondSpan) {
                    // Deleted within the span only because an older item holds the same slot.
                    assertThat(d.reason()).as(context).endsWith("keeps an older one");
                }
            }
            List<Item> kept = decisions.stream().filter(Decision::keep).map(Decision::item).toList();
            if (items.stream().anyMatch(i -> i.takenAt().isAfter(START.minus(schedule.span())))) {
                assertThat(kept).as(context + ": never wipes everything within the span").isNotEmpty();
            }
            assertThat(schedule.decide(kept, START)).as(context + ": pruning twice deletes nothing more")
                    .allMatch(Decision::keep);

            // A different schedule applied to what this one kept never deletes everything either.
            RetentionSchedule other = RetentionSchedule.parse(SCHEDULES.get(random.nextInt(SCHEDULES.size())));
            List<Decision> changed = other.decide(kept, START);
            if (kept.stream().anyMatch(i -> i.takenAt().isAfter(START.minus(other.span())))) {
                assertThat(changed).as(context + " then " + other).anyMatch(Decision::keep);
            }
        }
    }
}
