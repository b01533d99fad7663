package io.lifeboat.core.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** libpq's sslmode values, as the PostgreSQL JDBC driver accepts them. */
public enum SslMode {
    DISABLE, ALLOW, PREFER, REQUIRE, VERIFY_CA, VERIFY_FULL;

    /** The spelling used in config files and connection strings: {@code verify-full}. */
    public String configValue() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Optional<SslMode> fromConfig(String text) {
        return Arrays.stream(values()).filter(m -> m.configValue().equals(text)).findFirst();
    }

    public static String choices() {
        return Arrays.stream(values()).map(SslMode::configValue).collect(Collectors.joining(", "));
    }
}
