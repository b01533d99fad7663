package io.lifeboat.core.config;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in config values; {@code $$} stands for a literal dollar.
 * Done per scalar after YAML parsing, so a value with YAML-special characters cannot change the file's structure
 * and line numbers stay those of the file.
 */
final class EnvInterpolation {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Map<String, String> environment;

    EnvInterpolation(Map<String, String> environment) {
        this.environment = environment;
    }

    static boolean refersToEnvironment(String raw) {
        return raw.contains("${");
    }

    /** The interpolated value, or the name of the first unset variable. */
    Result apply(String raw) {
        Matcher m = REFERENCE.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$$")) {
                replacement = "$";
            } else {
                String value = environment.get(m.group(1));
                if (value == null) {
                    if (m.group(2) == null) {
                        return new Result(null, m.group(1));
                    }
                    value = m.group(2).replace("$$", "$");
                }
                replacement = value;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return new Result(out.toString(), null);
    }

    record Result(String value, String unsetVariable) {
        Optional<String> valueIfSet() {
            return Optional.ofNullable(value);
        }
    }
}
