package io.lifeboat.core.config;

import java.time.DateTimeException;
import java.time.ZoneId;

/**
 * What {@code lifeboat run} needs beyond the jobs' own blocks: the time zone its nightly hours are in, whether the
 * nightly validation repairs what it finds, and the nightly archive's window ({@code archive.window}, read from the
 * archive block, where an operator looks for it).
 *
 * @param timezone {@code service.timezone}; the host's zone when not set
 * @param repair {@code service.repair}: the nightly {@code sync validate} also repairs (off unless set)
 * @param archiveWindow {@code archive.window}; {@link ArchiveWindow#DEFAULT} when not set
 */
public record ServiceConfig(ZoneId timezone, boolean repair, ArchiveWindow archiveWindow) {

    public static ServiceConfig defaults() {
        return new ServiceConfig(ZoneId.systemDefault(), false, ArchiveWindow.DEFAULT);
    }

    /** Reads its keys; the loader rejects unknown ones once every reader of the service block has read its own. */
    static ServiceConfig read(ConfigSection service, ConfigSection archive) {
        ZoneId timezone = service.parsed("timezone", ServiceConfig::zone).orElseGet(ZoneId::systemDefault);
        boolean repair = service.bool("repair").orElse(false);
        ArchiveWindow window = archive.parsed("window", ArchiveWindow::parse).orElse(ArchiveWindow.DEFAULT);
        return new ServiceConfig(timezone, repair, window);
    }

    private static ZoneId zone(String text) {
        try {
            return ZoneId.of(text.strip());
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("'" + text + "' is not a time zone (write a name like Europe/Berlin,"
                    + " or UTC)");
        }
    }
}
