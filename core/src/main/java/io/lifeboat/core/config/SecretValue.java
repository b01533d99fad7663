package io.lifeboat.core.config;

import io.lifeboat.core.error.FileError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;

/**
 * A secret given as {@code KEY} (preferably {@code ${ENV_VAR}}) or {@code KEY_file}: at most one of the two; a plain
 * value in the file, or a file others can read, is a warning.
 */
final class SecretValue {
    private SecretValue() {
    }

    static Optional<Secret> read(ConfigSection section, String key) {
        return read(section, key, section.string(key + "_file").map(section.reader()::resolve));
    }

    static Optional<Secret> read(ConfigSection section, String key, Optional<Path> file) {
        String fileKey = key + "_file";
        if (section.has(key) && file.isPresent()) {
            section.string(key);
            section.error(fileKey, "set either " + key + " or " + fileKey + ", not both");
            return Optional.empty();
        }
        if (file.isPresent()) {
            return readFile(section, fileKey, file.get());
        }
        Optional<String> raw = section.raw(key);
        Optional<Secret> value = section.string(key).map(Secret::of);
        if (raw.isPresent() && !EnvInterpolation.refersToEnvironment(raw.get())) {
            section.warning(key, "written in the config file itself; prefer " + fileKey + " or ${ENV_VAR}");
        }
        return value;
    }

    private static Optional<Secret> readFile(ConfigSection section, String fileKey, Path file) {
        try {
            String content = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (content.isEmpty()) {
                section.error(fileKey, file + " is empty");
                return Optional.empty();
            }
            if (readableByOthers(file)) {
                section.warning(fileKey, file + " can be read by other users (chmod 600 it)");
            }
            return Optional.of(Secret.of(content));
        } catch (IOException e) {
            section.error(fileKey, "cannot read " + file + " (" + FileError.reason(e) + ")");
        }
        return Optional.empty();
    }

    private static boolean readableByOthers(Path file) throws IOException {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            return permissions.contains(PosixFilePermission.OTHERS_READ);
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }
}
