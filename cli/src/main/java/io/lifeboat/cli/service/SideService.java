package io.lifeboat.cli.service;

/**
 * Something that runs beside the jobs for the service's lifetime (a monitor, an HTTP endpoint): started once the
 * service holds its lock, closed first when it stops.
 */
@FunctionalInterface
public interface SideService {
    AutoCloseable start() throws Exception;
}
