package io.lifeboat.cli.service;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;

/** What a running step may ask of the service: whether a stop was asked for, and what to do when it is. */
final class StepRun {
    private final List<Runnable> onStop = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;

    boolean stopping() {
        return stopping;
    }

    /** {@code action} runs when the service stops while this step runs (e.g. stopping scratch servers). */
    void onStop(Runnable action) {
        onStop.add(action);
        if (stopping) {
            action.run();
        }
    }

    void stop() {
        stopping = true;
        onStop.forEach(Runnable::run);
    }
}
