package io.lifeboat.cli.status;

import java.util.Locale;

/** How one line of the status tree stands: the word an operator reads, and the value of {@code lifeboat_status}. */
public enum Level {
    UP(0, "OK"), WARN(1, "WARNING"), DOWN(2, "CRITICAL");

    private final int value;
    private final String nagios;

    Level(int value, String nagios) {
        this.value = value;
        this.nagios = nagios;
    }

    /** 0 up, 1 warn, 2 down: the gauge value, and the Nagios plugin exit code. */
    public int value() {
        return value;
    }

    /** OK, WARNING or CRITICAL, as a Nagios plugin says it. */
    public String nagios() {
        return nagios;
    }

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public Level worst(Level other) {
        return other.value > value ? other : this;
    }
}
