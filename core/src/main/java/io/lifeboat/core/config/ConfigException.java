package io.lifeboat.core.config;

import io.lifeboat.core.error.LifeboatException;
import java.util.List;
import java.util.stream.Collectors;

/** A config file that cannot be used; holds every problem found, so the operator fixes them all in one go. */
public class ConfigException extends LifeboatException {
    private final List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() {
        return problems;
    }
}
