package io.lifeboat.core.config;

import java.util.List;

/** A config that loaded, with the warnings worth showing an operator (exit code 1 for {@code config check}). */
public record LoadedConfig(LifeboatConfig config, List<ConfigProblem> warnings) {
}
