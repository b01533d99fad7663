#!/usr/bin/env bash
# `lifeboat archive run` against what an operator would script, on a replicated standby with realistic data.
#
#   sudo bench/archive.sh                      # SCALES="25 100" (~0.4 and ~1.5 GB) REPEAT=3
#   SCALES=5 REPEAT=1 bench/archive.sh         # quick smoke run
#
# For each scale, fresh clusters M (master) and S (standby) on free 127.0.0.1 ports (as the postgres OS user, in a
# temp dir under /tmp, always removed at exit): pgbench's tables are created, pgbench_accounts is filled with a
# random-text filler (pgbench's own blank filler compresses ~37:1 and would hide the cost of compression; md5 text
# compresses about 2:1, like real data), `lifeboat sync run` copies everything to S (the manifest's master LSN is the
# standby's applied position), then, on S, timed REPEAT times (median reported):
#   - pg_dump -Fc -Z0 > /dev/null                         the read floor
#   - pg_dump -Fc > /dev/null                             pg_dump's own compression
#   - pg_dump -Fc | gpg --encrypt -r KEY | split -b 4G    what an operator would script (to local disk)
#   - pg_dump -Fc -Z0 | zstd -T2 -3 | gpg --compress-algo none --encrypt | split -b 4G   (for reference)
#   - lifeboat archive run to a filesystem target         (the pipeline's own speed), with its peak RSS
#   - lifeboat archive run to the local S3 server         (reported; the server competes for the same 2 cores)
# Then restore: `lifeboat archive restore` of the last filesystem backup against `pg_restore -j 2` from a local,
# unencrypted custom-format dump file, each into a fresh database on the master's server (goal: <= 1.2x).
# Goals: Lifeboat to the filesystem target <= 1.5x the floor, >= 3x faster than the gpg pipeline, peak RSS <= 512 MB
# and unchanged between the scales (4x the data).
# Results are lines `name: value unit` on stdout; progress goes to stderr.
set -Eeuo pipefail
export LC_ALL=C TZ=UTC

SCALES=${SCALES:-"25 100"}
REPEAT=${REPEAT:-3}
LEVEL=${LEVEL:-1}                           # archive.compression_level (zstd; 1 is the default)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CMD_TIMEOUT=${CMD_TIMEOUT:-1800}
KEEP_TMP=${KEEP_TMP:-0}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER=${LIFEBOAT:-$REPO/lifeboat}
SLOT=lifeboat_bench
CLUSTER_SETTINGS="maintenance_work_mem = 256MB
max_wal_size = 8GB
autovacuum = off"
source "$REPO/bench/lib.sh"
[[ $EUID -eq 0 ]] || die "run as root (clusters run as the postgres OS user via runuser)"

TMP=$(mktemp -d /tmp/lifeboat-archive.XXXXXX)
chmod 755 "$TMP"
S3_PID=""
cleanup_extra() { [[ -n $S3_PID ]] && kill -TERM "$S3_PID" 2>/dev/null && wait "$S3_PID" 2>/dev/null; true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'FAILED_AT="line $LINENO: $BASH_COMMAND"' ERR

export GNUPGHOME="$TMP/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Lifeboat Bench <bench@example.invalid>' default default never 2>/dev/null
KEY=$(gpg --batch --with-colons --list-keys bench@example.invalid | awk -F: '/^fpr/ { print $10; exit }')
gpg --batch --armor --export "$KEY" >"$TMP/bench.pub.asc"
gpg --batch --armor --pinentry-mode loopback --passphrase '' --export-secret-keys "$KEY" >"$TMP/bench.key.asc"
: >"$TMP/bench.pass"
log "gpg key $KEY"

timed() { # seconds of one shell pipeline
    local t0 t1
    t0=$(now)
    timeout "$CMD_TIMEOUT" bash -o pipefail -c "$1" >"$TMP/timed.log" 2>&1 || die "failed: $1: $(tail -3 "$TMP/timed.log")"
    t1=$(now)
    calc "$t1 - $t0" 2
}

first=1
for SCALE in $SCALES; do
    M=M$SCALE S=S$SCALE
    start_cluster "$M"; start_cluster "$S"
    if (( first )); then
        CFG="$TMP/boot.yml"
        printf 'master: {host: 127.0.0.1, port: %s, database: bench, user: postgres, sslmode: disable}\nstandby: {host: 127.0.0.1, port: %s, database: bench, user: postgres, sslmode: disable}\n' "${PORT[$M]}" "${PORT[$S]}" >"$CFG"
        copy_lifeboat "$CFG"
        first=0
        java -cp "$TMP/lifeboat/lifeboat.jar" io.lifeboat.testkit.S3ServerMain \
            $(for i in $(seq 1 $(( REPEAT * 10 ))); do echo "bench$i"; done) >"$TMP/s3-server.out" 2>"$TMP/s3-server.log" &
        S3_PID=$!
        s3_up() { [[ -s $TMP/s3-server.out ]]; }
        wait_until 60 "the s3 server" s3_up
        read -r S3_ENDPOINT S3_KEY S3_SECRET <"$TMP/s3-server.out"
        log "s3 server $S3_ENDPOINT"
    fi
    log "scale $SCALE: loading the master (random filler)"
    for c in "$M" "$S"; do
        "$PGBIN/pgbench" -i -q -I dtp -s "$SCALE" -h "$TMP/$c" -p "${PORT[$c]}" -U postgres bench >"$TMP/init-$c.log" 2>&1
    done
    sql "$M" "truncate pgbench_accounts, pgbench_branches, pgbench_tellers;
        insert into pgbench_branches select g, 0 from generate_series(1, $SCALE) g;
        insert into pgbench_tellers select g, (g - 1) / 10 + 1, 0 from generate_series(1, 10 * $SCALE) g;
        insert into pgbench_accounts select g, (g - 1) / 100000 + 1, 0,
            substr(md5(random()::text) || md5(random()::text) || md5(random()::text), 1, 84)
            from generate_series(1, 100000 * $SCALE) g;
        alter table pgbench_history add column hid bigserial primary key"
    sql "$S" "alter table pgbench_history add column hid bigserial primary key"
    sql "$M" "vacuum analyze"
    result "archive_db_size_s$SCALE" "$(calc "$(sql "$M" "select pg_database_size('bench')") / 1e9" 2)" GB

    CFG="$TMP/lifeboat-$SCALE.yml"
    base="master: {host: 127.0.0.1, port: ${PORT[$M]}, database: bench, user: postgres, sslmode: disable}
standby: {host: 127.0.0.1, port: ${PORT[$S]}, database: bench, user: postgres, sslmode: disable}
replication: {slot: $SLOT, publication: lifeboat_bench}"
    printf '%s\n' "$base" >"$CFG"
    log "scale $SCALE: lifeboat sync run (initial copy to the standby)"
    "$LB" -c "$CFG" sync run >"$TMP/lifeboat-sync-$SCALE.log" 2>&1 &
    LB_PID=$!
    applied() { [[ $(sql "$S" "select count(*) from lifeboat.applied_position where slot_name = '$SLOT'" 2>/dev/null) == 1 ]]; }
    wait_until 1800 "the initial sync" applied
    kill -TERM "$LB_PID"; wait "$LB_PID" || true; LB_PID=""
    [[ $(sql "$S" "select count(*) from pgbench_accounts") == $(( 100000 * SCALE )) ]] || die "the standby is incomplete"
    sql "$S" "vacuum analyze"; sql "$S" "checkpoint"

    DUMP="$PGBIN/pg_dump -h $TMP/$S -p ${PORT[$S]} -U postgres -d bench -Fc"
    floor=(); pgz=(); gpgp=(); zgpg=(); lbfs=(); lbs3=(); rss=()
    for i in $(seq 1 "$REPEAT"); do
        floor+=("$(timed "$DUMP -Z0 >/dev/null")")
        pgz+=("$(timed "$DUMP >/dev/null")")
        rm -rf "$TMP/split"; mkdir "$TMP/split"
        gpgp+=("$(timed "$DUMP | gpg --batch --trust-model always --encrypt -r $KEY | split -b 4G - $TMP/split/x")")
        rm -rf "$TMP/split"; mkdir "$TMP/split"
        zgpg+=("$(timed "$DUMP -Z0 | zstd -q -T2 -$LEVEL | gpg --batch --trust-model always --compress-algo none --encrypt -r $KEY | split -b 4G - $TMP/split/x")")
        rm -rf "$TMP/split" "$TMP/fs-target"; mkdir "$TMP/fs-target"   # a target must exist before a run
        printf '%s\narchive:\n  compression_level: %s\n  recipients: [%s]\n  targets:\n    - {name: local, type: filesystem, path: %s}\n' \
            "$base" "$LEVEL" "$TMP/bench.pub.asc" "$TMP/fs-target" >"$TMP/fs-$SCALE.yml"
        t0=$(now)
        /usr/bin/time -f '%M' -o "$TMP/rss" "$LB" -c "$TMP/fs-$SCALE.yml" archive run \
            >"$TMP/archive-fs.out" 2>"$TMP/lifeboat-archive-fs.log" || die "archive run (fs) failed: $(tail -3 "$TMP/lifeboat-archive-fs.log")"
        t1=$(now)
        lbfs+=("$(calc "$t1 - $t0" 2)"); rss+=("$(calc "$(tail -1 "$TMP/rss") / 1024" 0)")
        log "$(cat "$TMP/archive-fs.out")"
        bucket="bench$(( (SCALE % 7) * REPEAT + i ))"
        printf '%s\narchive:\n  compression_level: %s\n  recipients: [%s]\n  targets:\n    - {name: s3, type: s3, bucket: %s, endpoint: "%s", path_style: true, access_key_id: %s, secret_access_key: %s}\n' \
            "$base" "$LEVEL" "$TMP/bench.pub.asc" "$bucket" "$S3_ENDPOINT" "$S3_KEY" "$S3_SECRET" >"$TMP/s3-$SCALE.yml"
        t0=$(now)
        "$LB" -c "$TMP/s3-$SCALE.yml" archive run \
            >"$TMP/archive-s3.out" 2>"$TMP/lifeboat-archive-s3.log" || die "archive run (s3) failed: $(tail -3 "$TMP/lifeboat-archive-s3.log")"
        t1=$(now)
        lbs3+=("$(calc "$t1 - $t0" 2)")
        log "round $i: floor ${floor[-1]}s, pg_dump -Fc ${pgz[-1]}s, gpg pipeline ${gpgp[-1]}s, zstd|gpg ${zgpg[-1]}s, lifeboat fs ${lbfs[-1]}s (RSS ${rss[-1]} MB), s3 ${lbs3[-1]}s"
    done
    # restore: lifeboat archive restore (the last filesystem backup) against pg_restore -j 2 from a local,
    # unencrypted custom-format dump file, each into a fresh database on the master's server
    $DUMP >"$TMP/local.dump"
    id=$(awk '{ sub(":", "", $2); print $2; exit }' "$TMP/archive-fs.out")
    pgr=(); lbr=()
    for i in $(seq 1 "$REPEAT"); do
        sql_db "$M" postgres "drop database if exists r_pg"; sql_db "$M" postgres "create database r_pg"
        pgr+=("$(timed "$PGBIN/pg_restore -j 2 -h $TMP/$M -p ${PORT[$M]} -U postgres -d r_pg $TMP/local.dump")")
        sql_db "$M" postgres "drop database if exists r_lb"; sql_db "$M" postgres "create database r_lb"
        lbr+=("$(timed "$LB -c $TMP/fs-$SCALE.yml archive restore $id --to 'host=$TMP/$M port=${PORT[$M]} user=postgres dbname=r_lb' --key $TMP/bench.key.asc --passphrase-file $TMP/bench.pass")")
        [[ $(sql_db "$M" r_lb "select count(*) from pgbench_accounts") == $(( 100000 * SCALE )) ]] || die "the restored database is incomplete"
        log "restore round $i: pg_restore -j 2 ${pgr[-1]}s, lifeboat archive restore ${lbr[-1]}s"
    done
    sql_db "$M" postgres "drop database r_pg"; sql_db "$M" postgres "drop database r_lb"
    rm -f "$TMP/local.dump"
    result "pg_restore_j2_local_file_s$SCALE" "$(median "${pgr[@]}")" s
    result "lifeboat_archive_restore_s$SCALE" "$(median "${lbr[@]}")" s
    result "lifeboat_restore_vs_pg_restore_j2_s$SCALE" "$(calc "$(median "${lbr[@]}") / $(median "${pgr[@]}")" 2)" "x (goal <= 1.2)"
    f=$(median "${floor[@]}"); g=$(median "${gpgp[@]}"); l=$(median "${lbfs[@]}")
    result "floor_pg_dump_Z0_s$SCALE" "$f" s
    result "pg_dump_Fc_s$SCALE" "$(median "${pgz[@]}")" s
    result "gpg_pipeline_s$SCALE" "$g" s
    result "zstd_gpg_pipeline_s$SCALE" "$(median "${zgpg[@]}")" s
    result "lifeboat_archive_fs_s$SCALE" "$l" s
    result "lifeboat_archive_s3_s$SCALE" "$(median "${lbs3[@]}")" s
    result "lifeboat_fs_vs_floor_s$SCALE" "$(calc "$l / $f" 2)" "x (goal <= 1.5)"
    result "gpg_pipeline_vs_lifeboat_fs_s$SCALE" "$(calc "$g / $l" 2)" "x faster (goal >= 3)"
    result "lifeboat_archive_peak_rss_s$SCALE" "$(median "${rss[@]}")" "MB (goal <= 512)"
    result "stored_size_s$SCALE" "$(grep -o 'stored as [^ ]* [^ ]*' "$TMP/archive-fs.out" | cut -d' ' -f3-)" "(dump $(grep -o '[^ ]* [^ ]* dump' "$TMP/archive-fs.out" | cut -d' ' -f1-2))"
    for c in "$M" "$S"; do
        timeout 40 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/$c/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        rm -rf "$TMP/$c/data"
    done
    rm -rf "$TMP/fs-target"
done
