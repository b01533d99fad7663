package io.lifeboat.core.config;

/** A password or key: its {@code toString()} is {@code ***} so it cannot leak into a log line or a message. */
public final class Secret {
    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public static Secret of(String value) {
        return new Secret(value);
    }

    /** The value itself, for the one place that hands it to a driver or a child's environment. */
    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "***";
    }
}
