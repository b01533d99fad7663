package io.lifeboat.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every built-in type named in the replication issue, through the streaming path (not the initial COPY). */
class TypesIT {
    private static final String SCHEMA = """
            create type mood as enum ('sad', 'ok', 'happy');
            create domain posint as int check (value > 0);
            create type pair as (n int, label text);
            create table typed (
                id int primary key,
                num numeric, num_scaled numeric(45,5), f8 float8, f4 float4, cash money,
                txt text, bin bytea,
                d date, ts timestamp, tstz timestamptz, t time, ttz timetz, span interval,
                u uuid, j json, jb jsonb, x xml,
                ip inet, net cidr, mac macaddr,
                ints int[], grid int[], bounded int[], words text[],
                feeling mood, feelings mood[], positive posint, couple pair,
                ir int4range, tr tstzrange, doc tsvector,
                pt point, bx box, poly polygon,
                b8 bit(8), vb varbit,
                doubled int generated always as (positive * 2) stored);
            create table measurements (at date not null, v int, primary key (at, v)) partition by range (at);
            create table measurements_2025 partition of measurements for values from ('2025-01-01') to ('2026-01-01');
            create table measurements_2026 partition of measurements for values from ('2026-01-01') to ('2027-01-01');
            """;

    private static final String EDGES = """
            insert into typed (id, num, num_scaled, f8, f4, cash, txt, bin, d, ts, tstz, t, ttz, span, u, j, jb, x,
                               ip, net, mac, ints, grid, bounded, words, feeling, feelings, positive, couple, ir, tr,
                               doc, pt, bx, poly, b8, vb) values
            (1, 'NaN', 1234567890123456789012345678901234567890.12345, 'Infinity', '-Infinity', 92233720368547758.07,
             E'Grüße \\u2603 😀 "quoted" \\\\ tab\\there', '\\x00ff0000ab'::bytea,
             'infinity', '-infinity', '2024-02-29 10:34:56.123456+05:30', '24:00:00', '12:34:56.5+05:30',
             '-1 year 2 mons -3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
             '{"b": 1,  "a": [1, 2]}', '{"b": 1, "a": [1, 2]}', '<a href="x">b</a>',
             '192.168.1.5/24', '10.1.0.0/16', '08:00:2b:01:02:03',
             '{1,NULL,3}', '{{1,2},{3,4}}', '[0:1]={7,8}', '{"a","b c",NULL,"\\"q\\"","NULL",""}',
             'happy', '{sad,ok}', 5, '(1,"x y")', '[1,10)', '["2023-12-31 19:00:00.123456+00",infinity)',
             'fat:1A cat:2 sat', '(1.5,-2)', '((1,1),(0,0))', '((0,0),(1,0),(1,1))', B'10101010', B'000101'),
            (2, '-0.000000000000000000000000000000000000001', 0, 'NaN', 3.4028235e38, -0.01,
             '', '\\x'::bytea, '0044-03-15 BC', '0001-01-01 00:00:00 BC', '0001-12-31 23:59:59.999999+00 BC',
             '00:00:00.000001', '24:00:00+00', '178000000 years', '00000000-0000-0000-0000-000000000000',
             'null', '[]', 'plain text', '::1', '::/0', 'ff:ff:ff:ff:ff:ff',
             '{}', '{{{1},{2}},{{3},{4}}}', '[-2:-1]={5,6}', '{""}',
             'sad', '[2:2]={ok}', 1, '(,)', 'empty', '(,)', '', '(-0,1e-300)', '((-1,-1),(1,1))', '((0,0))',
             B'00000000', B''),
            (3, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
             null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
             null, null)
            """;

    /** Each column through its output function, so equal text means an equal value; timetz by instant (see README). */
    private static final String COMPARE = """
            select id, format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s',
                num, num_scaled, f8, f4, cash, txt, bin, d, ts, tstz, t, ttz at time zone 'UTC', span, u, j, jb, x,
                ip, net, mac, ints, grid, bounded, words, feeling, feelings, positive, couple, ir, tr, doc,
                pt, bx, poly, b8, vb, doubled)
            from typed order by id
            """;

    @Test
    void everyTypeRoundTripsExactlyThroughInsertAndUpdate() throws InterruptedException {
        try (ClusterPair pair = new ClusterPair()) {
            pair.schema(SCHEMA);
            Replicator replicator = new Replicator(ClusterPair.config(pair.master), ReplicatorIT.config(Duration.ofMinutes(10)),
                    ReplicatorIT.dataSource(pair.master), ReplicatorIT.dataSource(pair.standby));
            try (BackgroundReplication replication = replicator.startInBackground()) {
                awaitSlot(pair);
                pair.master.execute("app", EDGES);
                pair.master.execute("app", "insert into measurements select date '2025-06-01' + g * 30, g"
                        + " from generate_series(0, 12) g");
                awaitEqual(pair, COMPARE, replication);
                awaitEqual(pair, "select tableoid::regclass, * from measurements order by at, v", replication);

                // Updates carry the same values again: row 1 takes row 2's values and the other way round.
                pair.master.execute("app", """
                        begin;
                        update typed set id = 4 where id = 1;
                        update typed set id = 1 where id = 2;
                        update typed set id = 2 where id = 4;
                        update typed t set txt = 'changed', grid = '{{9}}' where id = 3;
                        commit;
                        """);
                awaitEqual(pair, COMPARE, replication);
                assertThat(ClusterPair.rows(pair.standby, "select count(*) from typed")).containsExactly("3");
                assertThat(ClusterPair.rows(pair.standby, "select grid::text, doubled from typed order by id"))
                        .containsExactly("{{{1},{2}},{{3},{4}}}|2", "{{1,2},{3,4}}|10", "{{9}}|null");
            }
        }
    }

    private static void awaitSlot(ClusterPair pair) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!ClusterPair.rows(pair.master, "select count(*) from pg_replication_slots where active").equals(List.of("1"))
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static void awaitEqual(ClusterPair pair, String query, BackgroundReplication replication)
            throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!ClusterPair.rows(pair.standby, query).equals(ClusterPair.rows(pair.master, query))
                && System.nanoTime() < deadline && replication.failure().isEmpty()) {
            Thread.sleep(100);
        }
        if (replication.failure().isPresent()) {
            throw new AssertionError("replicator failed", replication.failure().get());
        }
        assertThat(ClusterPair.rows(pair.standby, query)).isEqualTo(ClusterPair.rows(pair.master, query));
    }
}
