package io.lifeboat.replicator.sequence;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.replicator.ClusterPair;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

class SequenceSyncIT {
    @Test
    void standbySequencesCatchUpAndNeverGoBack() throws Exception {
        try (ClusterPair pair = new ClusterPair()) {
            pair.schema("create table t (id bigserial primary key); create sequence invoice_no start 1000;"
                    + " create sequence unused;");
            pair.master.execute("app", "insert into t select from generate_series(1, 42);"
                    + " select nextval('invoice_no') from generate_series(1, 5)");
            pair.standby.execute("app", "create sequence only_here");
            try (Connection master = pair.master.connect("app"); Connection standby = pair.standby.connect("app")) {
                SequenceSync.Result first = SequenceSync.run(master, standby);
                assertThat(first.advanced()).containsExactlyInAnyOrderEntriesOf(
                        java.util.Map.of("public.t_id_seq", 42L, "public.invoice_no", 1004L));
                assertThat(ClusterPair.rows(pair.standby, "select nextval('t_id_seq'), nextval('invoice_no')"))
                        .containsExactly("43|1005");

                // The standby is ahead now (it handed out 43 and 1005): the master's lower values must not win.
                SequenceSync.Result second = SequenceSync.run(master, standby);
                assertThat(second.advanced()).isEmpty();
                assertThat(ClusterPair.rows(pair.standby, "select sequencename || '=' || coalesce(last_value::text,"
                        + " 'unused') from pg_sequences where schemaname = 'public' order by 1"))
                        .containsExactly("invoice_no=1005", "only_here=unused", "t_id_seq=43", "unused=unused");

                pair.master.execute("app", "create sequence master_only; select nextval('master_only')");
                assertThat(SequenceSync.run(master, standby).missing()).containsExactly("public.master_only");
            }
        }
    }
}
