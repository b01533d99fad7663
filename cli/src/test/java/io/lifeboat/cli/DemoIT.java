package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DemoIT {
    @Test
    void demo_replicatesUnderLoadAndProvesTheStandbyMatches() {
        CommandRun run = CommandRun.of("demo", "--seconds", "3");
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .contains("replication: healthy")
                .containsPattern("lag:\\s+\\d+\\.\\d s")
                .containsPattern("public.page_views\\s+fullcopy")
                .containsPattern("public.orders\\s+pushdelta")
                .contains("public.customers: identical (2000 rows compared row by row)")
                .containsPattern("public.page_views: identical \\(\\d+ rows compared row by row\\)")
                .contains("demo: the standby matches the master row by row");
    }
}
