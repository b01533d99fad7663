package io.lifeboat.core.storage;

/** The rules every target applies to keys, so an object is addressable on S3 and on a filesystem alike. */
final class Keys {
    private Keys() {
    }

    static String check(String key, String target) {
        if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/") || key.contains("//")
                || key.contains("\\") || key.contains("\0")) {
            throw new IllegalArgumentException("'" + key + "' is not a valid object key on " + target);
        }
        for (String segment : key.split("/")) {
            if (segment.equals(".") || segment.equals("..") || segment.startsWith(".")) {
                throw new IllegalArgumentException("'" + key + "' is not a valid object key on " + target
                        + " (no segment may start with a dot)");
            }
        }
        return key;
    }
}
