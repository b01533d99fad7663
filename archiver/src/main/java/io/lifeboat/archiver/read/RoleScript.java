package io.lifeboat.archiver.read;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code pg_dumpall --globals-only} script cut into its statements, so that those about a role the destination
 * already has (its bootstrap superuser, the restoring user) can be left out: {@code CREATE ROLE} of an existing
 * role fails, and its {@code ALTER ROLE ... PASSWORD} would replace the password of the very user restoring.
 * Memberships ({@code GRANT role TO role}) are all kept; they name roles that exist once the script has run.
 *
 * <p>The cutting knows what pg_dumpall writes: statements end at a semicolon outside quotes ({@code '...'} with
 * {@code ''}, {@code "..."} with {@code ""}), {@code --} starts a comment, and a line starting with a backslash is
 * one psql meta-command ({@code \restrict}).
 */
final class RoleScript {
    private static final String IDENTIFIER = "(\"(?:[^\"]|\"\")*\"|[A-Za-z_][A-Za-z0-9_$]*)";
    private static final List<Pattern> ABOUT_A_ROLE = List.of(
            Pattern.compile("^CREATE\\s+ROLE\\s+" + IDENTIFIER, Pattern.CASE_INSENSITIVE),
            Pattern.compile("^ALTER\\s+ROLE\\s+" + IDENTIFIER, Pattern.CASE_INSENSITIVE),
            Pattern.compile("^COMMENT\\s+ON\\s+ROLE\\s+" + IDENTIFIER, Pattern.CASE_INSENSITIVE),
            Pattern.compile("^SECURITY\\s+LABEL\\s+(?:FOR\\s+\\S+\\s+)?ON\\s+ROLE\\s+" + IDENTIFIER,
                    Pattern.CASE_INSENSITIVE));
    private static final Pattern CREATE_ROLE = ABOUT_A_ROLE.get(0);

    private final List<String> statements;

    private RoleScript(List<String> statements) {
        this.statements = List.copyOf(statements);
    }

    static RoleScript parse(String sql) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            boolean lineStart = i == 0 || sql.charAt(i - 1) == '\n';
            if (c == '\\' && lineStart && current.toString().isBlank()) {
                int end = sql.indexOf('\n', i);
                end = end < 0 ? n : end;
                statements.add(sql.substring(i, end).strip());
                current.setLength(0);
                i = end;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (c == '\'' || c == '"') {
                int end = closingQuote(sql, i, c);
                current.append(sql, i, end);
                i = end;
            } else if (c == ';') {
                current.append(';');
                statements.add(current.toString().strip());
                current.setLength(0);
                i++;
            } else {
                current.append(c);
                i++;
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(current.toString().strip());
        }
        return new RoleScript(statements);
    }

    /** The index just past the quote that closes the one at {@code open}; a doubled quote is part of the text. */
    private static int closingQuote(String sql, int open, char quote) {
        int i = open + 1;
        while (i < sql.length()) {
            if (sql.charAt(i) == quote) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return sql.length();
    }

    List<String> statements() {
        return statements;
    }

    /** The roles the script creates, in its order. */
    Set<String> roles() {
        Set<String> roles = new LinkedHashSet<>();
        for (String statement : statements) {
            Matcher m = CREATE_ROLE.matcher(statement);
            if (m.find()) {
                roles.add(unquote(m.group(1)));
            }
        }
        return roles;
    }

    /** The script without the statements about any of {@code existing}, one statement per line. */
    String without(Set<String> existing) {
        StringBuilder sql = new StringBuilder();
        for (String statement : statements) {
            Optional<String> role = subject(statement);
            if (role.isPresent() && existing.contains(role.get())) {
                continue;
            }
            sql.append(statement).append('\n');
        }
        return sql.toString();
    }

    /** The role a statement is about, for CREATE/ALTER/COMMENT/SECURITY LABEL of a role. */
    static Optional<String> subject(String statement) {
        for (Pattern pattern : ABOUT_A_ROLE) {
            Matcher m = pattern.matcher(statement);
            if (m.find()) {
                return Optional.of(unquote(m.group(1)));
            }
        }
        return Optional.empty();
    }

    /** An identifier as the server names it: a quoted one without its quotes, an unquoted one in lower case. */
    private static String unquote(String identifier) {
        if (identifier.startsWith("\"")) {
            return identifier.substring(1, identifier.length() - 1).replace("\"\"", "\"");
        }
        return identifier.toLowerCase(java.util.Locale.ROOT);
    }
}
