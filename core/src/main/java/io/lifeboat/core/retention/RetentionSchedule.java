package io.lifeboat.core.retention;

import io.lifeboat.core.config.HumanDuration;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A rolling retention schedule such as {@code 5m,15m,1h,2h,4h,8h,1d/7d}: spacings s1..sn, each a multiple of the
 * one before, and the span T. Ages fall into bands: s1 covers [0, s2), each later s_k covers [s_k, s_(k+1)), sn
 * covers [sn, T). Within a band one item is kept per slot of its spacing, the oldest, so that it ages into the
 * next band; slots are aligned to the epoch, so a coarser grid is a union of finer slots and an item keeps its
 * place as it ages. Items older than T go. Snapshots and offsite backups share this code.
 */
public record RetentionSchedule(List<Duration> spacings, Duration span) {

    public RetentionSchedule {
        spacings = List.copyOf(spacings);
    }

    /** @throws IllegalArgumentException with a message fit to show after the config key */
    public static RetentionSchedule parse(String text) {
        String[] parts = text.strip().split("/", -1);
        if (parts.length > 2 || parts[0].isBlank()) {
            throw new IllegalArgumentException("'" + text + "' is not a schedule (write spacings, then / and the"
                    + " span, like 1h,1d/7d)");
        }
        // The spacings first, even without a span: "1d,1h" is wrong in its order before it lacks a span.
        List<Duration> spacings = new ArrayList<>();
        for (String part : parts[0].split(",")) {
            Duration spacing = HumanDuration.parse(part.strip());
            if (spacing.isZero()) {
                throw new IllegalArgumentException("'" + text + "': a spacing of 0 keeps nothing apart");
            }
            if (!spacings.isEmpty()) {
                Duration previous = spacings.get(spacings.size() - 1);
                if (spacing.compareTo(previous) <= 0) {
                    throw new IllegalArgumentException("'" + text + "': the spacings must grow from the smallest to"
                            + " the largest, but " + part.strip() + " follows " + HumanDuration.format(previous)
                            + " (like 1h,1d/7d)");
                }
                if (spacing.toMillis() % previous.toMillis() != 0) {
                    throw new IllegalArgumentException("'" + text + "': " + part.strip() + " is not a multiple of "
                            + HumanDuration.format(previous) + "; each spacing must be a multiple of the one before");
                }
            }
            spacings.add(spacing);
        }
        if (parts.length != 2 || parts[1].isBlank()) {
            throw new IllegalArgumentException("'" + text + "' has no span (write spacings, then / and how long to"
                    + " keep, like " + parts[0].strip() + "/7d)");
        }
        Duration span = HumanDuration.parse(parts[1].strip());
        Duration largest = spacings.get(spacings.size() - 1);
        if (span.compareTo(largest) < 0) {
            throw new IllegalArgumentException("'" + text + "': the span " + parts[1].strip()
                    + " is shorter than the largest spacing " + HumanDuration.format(largest));
        }
        return new RetentionSchedule(spacings, span);
    }

    /** How often to take one: the smallest spacing. */
    public Duration interval() {
        return spacings.get(0);
    }

    /**
     * Decides, for complete items only, what to keep and why. Never deletes the newest verified item, and deletes
     * within the span only where a slot holds more than one: changing the schedule never wipes everything.
     */
    public List<Decision> decide(List<Item> items, Instant now) {
        Optional<Item> newestVerified = items.stream().filter(Item::verified)
                .max(Comparator.comparing(Item::takenAt));
        Map<String, Item> keeperOfSlot = new HashMap<>();
        for (Item item : items) {
            slotOf(item, now).ifPresent(slot -> keeperOfSlot.merge(slot, item,
                    (a, b) -> b.takenAt().isBefore(a.takenAt()) ? b : a));
        }
        List<Decision> decisions = new ArrayList<>();
        for (Item item : items.stream().sorted(Comparator.comparing(Item::takenAt).reversed()).toList()) {
            Optional<String> slot = slotOf(item, now);
            boolean newest = newestVerified.isPresent() && newestVerified.get() == item;
            if (slot.isPresent() && keeperOfSlot.get(slot.get()) == item) {
                decisions.add(new Decision(item, true, "keeps slot " + slot.get()));
            } else if (newest) {
                decisions.add(new Decision(item, true, "newest verified"));
            } else if (slot.isEmpty()) {
                decisions.add(new Decision(item, false, "older than " + HumanDuration.format(span)));
            } else {
                decisions.add(new Decision(item, false, "slot " + slot.get() + " keeps an older one"));
            }
        }
        return decisions;
    }

    /** The band's spacing and the slot's start, e.g. {@code 1h@2026-11-22T01:00:00Z}; empty past the span. */
    private Optional<String> slotOf(Item item, Instant now) {
        Duration age = Duration.between(item.takenAt(), now);
        if (age.isNegative()) {
            age = Duration.ZERO;
        }
        if (age.compareTo(span) >= 0) {
            return Optional.empty();
        }
        Duration spacing = spacings.get(0);
        for (int k = 1; k < spacings.size(); k++) {
            if (age.compareTo(spacings.get(k)) >= 0) {
                spacing = spacings.get(k);
            }
        }
        long slotMillis = Math.floorDiv(item.takenAt().toEpochMilli(), spacing.toMillis()) * spacing.toMillis();
        return Optional.of(HumanDuration.format(spacing) + "@" + Instant.ofEpochMilli(slotMillis));
    }

    @Override
    public String toString() {
        return spacings.stream().map(HumanDuration::format).collect(Collectors.joining(",")) + "/"
                + HumanDuration.format(span);
    }

    /** A snapshot or backup that is complete; {@code verified} when it has been proven to restore. */
    public record Item(String id, Instant takenAt, boolean verified) {
    }

    /** Keep or delete one item, and why: what {@code prune --dry-run} prints. */
    public record Decision(Item item, boolean keep, String reason) {
    }
}
