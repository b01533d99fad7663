package io.lifeboat.snapshotter.provider;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An operator's command line with {@code {name}}-style placeholders. It is split into words first (single and double
 * quotes group words) and placeholders are replaced inside each word, so a value never becomes shell syntax.
 */
public record CommandTemplate(String text) {

    public List<String> argv(Map<String, String> values) {
        List<String> argv = new ArrayList<>();
        for (String word : words(text)) {
            String filled = word;
            for (Map.Entry<String, String> value : values.entrySet()) {
                filled = filled.replace("{" + value.getKey() + "}", value.getValue());
            }
            argv.add(filled);
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("the command is empty");
        }
        return argv;
    }

    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unclosed quote in: " + text);
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
