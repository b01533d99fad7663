package io.lifeboat.archiver.read;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A libpq connection string or URI split into the string without its password and the password, so the password
 * can travel in {@code PGPASSWORD} instead of a child's argv.
 */
record ConnectionString(String withoutPassword, Optional<String> password) {
    private static final Pattern URI_USERINFO = Pattern.compile("^(postgres(?:ql)?://)([^@/?#]*)@");
    private static final Pattern URI_PASSWORD_PARAMETER = Pattern.compile("([?&])password=([^&#]*)&?");
    private static final Pattern KEYWORD_PASSWORD =
            Pattern.compile("(^|\\s)password\\s*=\\s*('((?:[^'\\\\]|\\\\.)*)'|(\\S*))");

    static ConnectionString parse(String connection) {
        String text = connection.strip();
        if (text.startsWith("postgresql://") || text.startsWith("postgres://")) {
            Optional<String> password = Optional.empty();
            Matcher userinfo = URI_USERINFO.matcher(text);
            if (userinfo.find()) {
                String info = userinfo.group(2);
                int colon = info.indexOf(':');
                if (colon >= 0) {
                    password = Optional.of(URLDecoder.decode(info.substring(colon + 1), StandardCharsets.UTF_8));
                    text = userinfo.group(1) + info.substring(0, colon) + "@" + text.substring(userinfo.end());
                }
            }
            Matcher parameter = URI_PASSWORD_PARAMETER.matcher(text);
            if (parameter.find()) {
                password = Optional.of(URLDecoder.decode(parameter.group(2), StandardCharsets.UTF_8));
                String rest = text.substring(parameter.end());
                String before = text.substring(0, parameter.start());
                text = rest.isEmpty() || rest.startsWith("#") ? before + rest : before + parameter.group(1) + rest;
            }
            return new ConnectionString(text, password);
        }
        Matcher keyword = KEYWORD_PASSWORD.matcher(text);
        if (keyword.find()) {
            String value = keyword.group(3) != null ? keyword.group(3).replaceAll("\\\\(.)", "$1") : keyword.group(4);
            String before = text.substring(0, keyword.start()).strip();
            String after = text.substring(keyword.end()).strip();
            String without = before.isEmpty() || after.isEmpty() ? before + after : before + " " + after;
            return new ConnectionString(without, Optional.of(value));
        }
        return new ConnectionString(text, Optional.empty());
    }
}
