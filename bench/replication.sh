#!/usr/bin/env bash
# Lifeboat replication vs PostgreSQL native logical replication, on throwaway local clusters.
#
#   sudo bench/replication.sh            # SCALE=10 TXNS=20000 REPEAT=3 LAG_RATE=500 LAG_SECONDS=60
#   SCALE=2 TXNS=2000 REPEAT=1 LAG_SECONDS=10 bench/replication.sh   # quick smoke run
#   LIFEBOAT=/path/to/other/checkout/lifeboat bench/replication.sh    # benchmark another checkout's build
#
# Three PostgreSQL 15 clusters (run as the postgres OS user, in a temp dir under /tmp, on free 127.0.0.1 ports):
#   M = master (pgbench TPC-B), N = standby for native logical replication (CREATE SUBSCRIPTION),
#   L = standby for Lifeboat (`lifeboat sync run`). They are always stopped and removed at exit.
# pgbench_history gets a primary key (hid bigserial) before anything is copied: Lifeboat does not stream tables
# without one (it recopies them every fullcopy_interval), so without it the comparison would be meaningless.
#
# Measures:
#   1. initial sync: `pg_dump -a | psql` into empty tables vs Lifeboat's initial sync (MB/s of the tables'
#      pg_total_relation_size on the master)
#   2. backlog catch-up: the same TXNS pgbench transactions (4 row changes each) piled up while both replicators
#      are stopped, then each one alone catches up (rows/s); Lifeboat's time includes JVM and engine start, so a
#      variant from the first applied change is reported too
#   3. steady lag at LAG_RATE tps for LAG_SECONDS, one replicator at a time, sampled every ~200 ms on the standby
#      as clock_timestamp() - newest pgbench_history.mtime present there (same machine, same clock)
# Results are lines `name: value unit` on stdout; progress goes to stderr.
set -Eeuo pipefail
export LC_ALL=C TZ=UTC

SCALE=${SCALE:-10}
TXNS=${TXNS:-20000}
REPEAT=${REPEAT:-3}
LAG_RATE=${LAG_RATE:-500}
LAG_SECONDS=${LAG_SECONDS:-60}
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CATCHUP_TIMEOUT=${CATCHUP_TIMEOUT:-600}   # seconds, per catch-up
KEEP_TMP=${KEEP_TMP:-0}                   # 1: keep the temp dir (logs) even on success; clusters are removed anyway
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER=${LIFEBOAT:-$REPO/lifeboat}       # the ./lifeboat launcher of the checkout to benchmark
SLOT=lifeboat_bench
PUB_NATIVE=bench_pub
SUB_NATIVE=bench_sub
TABLES="pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history"
PER_CLIENT=$(( (TXNS + CLIENTS - 1) / CLIENTS ))
TXNS=$(( PER_CLIENT * CLIENTS ))
ROWS=$(( TXNS * 4 ))   # TPC-B: 3 updates + 1 insert per transaction
# The logical replication launcher waits this long between worker starts (default 5s): without it, re-enabling the
# subscription would add up to 5s of idle time to native's catch-up.
CLUSTER_SETTINGS="max_wal_size = 4GB
wal_retrieve_retry_interval = '200ms'"

# shellcheck source=lib.sh
source "$REPO/bench/lib.sh"
cleanup_extra() { poll_close; }

ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

[[ $EUID -eq 0 ]] || die "run as root (clusters run as the postgres OS user via runuser)"
[[ -x $PGBIN/postgres ]] || die "no PostgreSQL at $PGBIN (set PGBIN)"
id postgres >/dev/null 2>&1 || die "no postgres OS user"
(( TXNS >= 1 && REPEAT >= 1 )) || die "TXNS and REPEAT must be positive"

TMP=$(mktemp -d /tmp/lifeboat-bench.XXXXXX)
chmod 755 "$TMP"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'FAILED_AT="line $LINENO: $BASH_COMMAND"' ERR

# --- clusters ------------------------------------------------------------------------------------------------------




# A persistent psql session for polling (one at a time): no process start per sample, and autocommit, so no
# snapshot is held between samples.
POLL_PID=""
poll_open() { # cluster
    coproc POLLER { exec stdbuf -oL "$PGBIN/psql" -X -At -v VERBOSITY=terse -h "$TMP/$1" -p "${PORT[$1]}" \
        -U postgres -d bench 2>&1; }
    POLL_PID=$POLLER_PID
    POLL_IN=${POLLER[1]}
    POLL_OUT=${POLLER[0]}
}
poll() { # sql (one row) -> POLL_RESULT; an error becomes "ERROR ..."
    echo "$1" >&"$POLL_IN"
    IFS= read -r -t 20 POLL_RESULT <&"$POLL_OUT" || die "poller: no answer to: $1"
    if [[ $POLL_RESULT == *ERROR:* ]]; then POLL_RESULT="ERROR $POLL_RESULT"; fi
}
poll_close() {
    [[ -n $POLL_PID ]] || return 0
    exec {POLL_IN}>&-
    for _ in $(seq 1 50); do kill -0 "$POLL_PID" 2>/dev/null || break; sleep 0.1; done
    kill "$POLL_PID" 2>/dev/null || true
    wait "$POLL_PID" 2>/dev/null || true
    POLL_PID=""
}


history_count() { sql "$1" "select count(*) from pgbench_history"; }
caught_up() { [[ $(history_count "$1") == "$(history_count M)" ]]; }

# --- native logical replication ------------------------------------------------------------------------------------

native_disable() {
    sql N "alter subscription $SUB_NATIVE disable"
    wait_until 60 "native apply worker to stop" native_stopped
}
native_stopped() {
    [[ $(sql N "select count(*) from pg_stat_subscription where subname = '$SUB_NATIVE' and pid is not null") == 0 ]] &&
        [[ $(sql M "select count(*) from pg_replication_slots where slot_name = '$SUB_NATIVE' and active") == 0 ]]
}
native_enable() { sql N "alter subscription $SUB_NATIVE enable"; }

# --- Lifeboat ------------------------------------------------------------------------------------------------------

CFG="$TMP/lifeboat.yml"
lb_start() { # log file
    LB_LOG=$1
    "$LB" -c "$CFG" sync run >"$LB_LOG" 2>&1 &
    LB_PID=$!
}
lb_alive() {
    kill -0 "$LB_PID" 2>/dev/null && return 0
    die "lifeboat exited unexpectedly, see $LB_LOG: $(tail -n 3 "$LB_LOG" | tr '\n' ' ')"
}
lb_stop() {
    [[ -n $LB_PID ]] || return 0
    kill -TERM "$LB_PID" 2>/dev/null || true
    local deadline=$(( SECONDS + 60 ))
    while kill -0 "$LB_PID" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
    if kill -0 "$LB_PID" 2>/dev/null; then
        log "lifeboat did not stop within 60s of SIGTERM, killing it"
        kill -KILL "$LB_PID" 2>/dev/null || true
    fi
    local rc=0
    wait "$LB_PID" 2>/dev/null || rc=$?
    (( rc == 0 || rc == 143 )) || log "lifeboat exited with status $rc (log: $LB_LOG)"
    LB_PID=""
    wait_until 60 "lifeboat's slot to become inactive" slot_inactive
}
slot_inactive() {
    [[ $(sql M "select count(*) from pg_replication_slots where slot_name = '$SLOT' and active") == 0 ]]
}
lb_cpu_seconds() { # user+system CPU of the running lifeboat JVM so far
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$LB_PID/stat" 2>/dev/null || echo "?"
}

# --- catch-up measurement ------------------------------------------------------------------------------------------

# Polls standby $1 until its pgbench_history has every row of the master's (the row with the master's highest hid
# is there, then the exact count agrees). Sets CU_END (epoch s), CU_FIRST (first backlog row visible) and,
# for Lifeboat, CU_FIRST_POS (applied_position changed) and CU_LSN.
catchup_poll() { # standby base_hid target_hid target_count t0 is_lifeboat
    local c=$1 base=$2 target_hid=$3 target_count=$4 t0=$5 lifeboat=$6 start_lsn="" q deadline
    CU_END="" CU_FIRST="" CU_FIRST_POS="" CU_LSN=""
    if (( lifeboat )); then
        start_lsn=$(sql L "select coalesce((select lsn::text from lifeboat.applied_position where slot_name = '$SLOT'), '-')")
        q="select exists (select 1 from pgbench_history where hid > $base)::int,
                  exists (select 1 from pgbench_history where hid = $target_hid)::int,
                  coalesce((select lsn::text from lifeboat.applied_position where slot_name = '$SLOT'), '-');"
    else
        q="select exists (select 1 from pgbench_history where hid > $base)::int,
                  exists (select 1 from pgbench_history where hid = $target_hid)::int, '-';"
    fi
    q=$(tr -s ' \n' ' ' <<<"$q")
    poll_open "$c"
    deadline=$(awk -v t="$t0" -v l="$CATCHUP_TIMEOUT" 'BEGIN { printf "%d", t + l }')
    while :; do
        poll "$q"
        local t; t=$(now)
        if [[ $POLL_RESULT != ERROR* ]]; then
            IFS='|' read -r any last lsn <<<"$POLL_RESULT"
            [[ -z $CU_FIRST && $any == 1 ]] && CU_FIRST=$t
            [[ -z $CU_FIRST_POS && $lifeboat == 1 && $lsn != "$start_lsn" ]] && CU_FIRST_POS=$t
            CU_LSN=$lsn
            if [[ $last == 1 ]]; then
                poll "select count(*) from pgbench_history;"
                if [[ $POLL_RESULT == "$target_count" ]]; then CU_END=$(now); break; fi
            fi
        fi
        (( lifeboat )) && lb_alive
        (( ${t%.*} < deadline )) || { poll_close; die "standby $c did not catch up within ${CATCHUP_TIMEOUT}s"; }
        sleep 0.05
    done
    poll_close
}

# --- lag measurement -----------------------------------------------------------------------------------------------

# Runs pgbench at a fixed rate on the master while sampling, on standby $1, the age of its newest pgbench_history
# row. mtime is the master transaction's start time (CURRENT_TIMESTAMP), a timestamp in UTC; the newest row is found
# among the 20 highest hid (bigserial, so roughly insertion order) through the primary key, not by a full scan.
lag_run() { # standby name
    local c=$1 name=$2 samples="$TMP/lag-$2.txt" pgb="$TMP/pgbench-lag-$2.log" pid t_end
    : >"$samples"
    log "$name: pgbench -R $LAG_RATE -T $LAG_SECONDS on master, sampling lag on the standby every 200 ms"
    timeout $(( LAG_SECONDS + 60 )) "$PGBIN/pgbench" -n -R "$LAG_RATE" -T "$LAG_SECONDS" -c "$CLIENTS" -j "$THREADS" \
        -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >"$pgb" 2>&1 &
    pid=$!
    BG_PIDS+=("$pid")
    sleep 2
    poll_open "$c"
    t_end=$(( SECONDS + LAG_SECONDS - 3 ))
    local q="select round(extract(epoch from clock_timestamp()::timestamp - max(mtime)) * 1000, 1) from
             (select mtime from pgbench_history order by hid desc limit 20) s;"
    q=$(tr -s ' \n' ' ' <<<"$q")
    while (( SECONDS < t_end )); do
        poll "$q"
        [[ $POLL_RESULT == ERROR* ]] && die "lag sample failed: $POLL_RESULT"
        echo "$POLL_RESULT" >>"$samples"
        [[ $c == L ]] && lb_alive
        sleep 0.2
    done
    poll_close
    wait "$pid" || die "pgbench (lag, $name) failed: $pgb"
    local n p50 p99 max tps
    n=$(wc -l <"$samples")
    p50=$(sort -g "$samples" | awk -v n="$n" 'NR == int((n * 50 + 99) / 100) { printf "%d", $1 }')
    p99=$(sort -g "$samples" | awk -v n="$n" 'NR == int((n * 99 + 99) / 100) { printf "%d", $1 }')
    max=$(sort -g "$samples" | tail -1 | awk '{ printf "%d", $1 }')
    tps=$(awk '/^tps = / { printf "%d", $3 }' "$pgb")
    result "${name}_lag_p50" "$p50" ms
    result "${name}_lag_p99" "$p99" ms
    result "${name}_lag_max" "$max" ms
    result "${name}_lag_samples" "$n" samples
    result "${name}_lag_master_tps" "$tps" tps
}

# --- 0. set up -----------------------------------------------------------------------------------------------------

log "temp dir $TMP; SCALE=$SCALE TXNS=$TXNS REPEAT=$REPEAT LAG_RATE=$LAG_RATE LAG_SECONDS=$LAG_SECONDS"
BENCH_START=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for c in M N L; do start_cluster "$c"; done
log "clusters: master 127.0.0.1:${PORT[M]}, native standby :${PORT[N]}, lifeboat standby :${PORT[L]}"

cat >"$CFG" <<EOF
master:
  host: 127.0.0.1
  port: ${PORT[M]}
  database: bench
  user: postgres
  sslmode: disable
standby:
  host: 127.0.0.1
  port: ${PORT[L]}
  database: bench
  user: postgres
  sslmode: disable
replication:
  slot: $SLOT
  publication: lifeboat_bench
  tables:
    include:
      - public.pgbench_*
EOF
copy_lifeboat "$CFG"

log "pgbench -i -s $SCALE on the master; pgbench_history gets a primary key (hid bigserial)"
"$PGBIN/pgbench" -i -q -s "$SCALE" -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >"$TMP/pgbench-init.log" 2>&1 \
    || die "pgbench -i failed: $TMP/pgbench-init.log"
sql M "alter table pgbench_history add column hid bigserial primary key"
sql M "vacuum analyze"
sql M "checkpoint"
for c in N L; do
    "$PGBIN/pg_dump" --schema-only -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
        | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/$c" -p "${PORT[$c]}" -U postgres -d bench >/dev/null
done
BYTES=$(sql M "select sum(pg_total_relation_size(oid)) from pg_class where relkind = 'r' and relname like 'pgbench\_%'")
MB=$(calc "$BYTES / 1e6" 1)
result table_size "$MB" "MB (pg_total_relation_size of the 4 pgbench tables on the master, 1 MB = 10^6 bytes)"

# --- 1. initial sync -----------------------------------------------------------------------------------------------

NATIVE_INIT=()
for r in $(seq 1 "$REPEAT"); do
    sql N "truncate $TABLES"
    sql N "checkpoint"
    t0=$(now)
    "$PGBIN/pg_dump" -a -t 'pgbench_*' -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
        | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/N" -p "${PORT[N]}" -U postgres -d bench >/dev/null
    t1=$(now)
    ms=$(ms_between "$t0" "$t1")
    NATIVE_INIT+=("$(calc "$MB / ($ms / 1000)" 1)")
    log "initial sync #$r: pg_dump -a | psql took $ms ms (${NATIVE_INIT[-1]} MB/s)"
done

LB_INIT=() LB_INIT_LOG=()
for r in $(seq 1 "$REPEAT"); do
    if (( r > 1 )); then
        lb_stop
        sql L "delete from lifeboat.applied_position"
        sql M "select pg_drop_replication_slot('$SLOT')" >/dev/null
    fi
    sql L "truncate $TABLES"
    sql L "checkpoint"
    poll_open L
    t0=$(now)
    lb_start "$TMP/lifeboat-initial-$r.log"
    deadline=$(( SECONDS + CATCHUP_TIMEOUT ))
    while :; do
        poll "select count(*) from lifeboat.applied_position where slot_name = '$SLOT';"
        [[ $POLL_RESULT == 1 ]] && break
        lb_alive
        (( SECONDS < deadline )) || die "lifeboat initial sync did not finish within ${CATCHUP_TIMEOUT}s"
        sleep 0.05
    done
    t1=$(now)
    poll_close
    ms=$(ms_between "$t0" "$t1")
    wait_until 30 "the initial sync log line" grep -q 'initial sync: .* in [0-9]* ms' "$LB_LOG"
    log_ms=$(grep -o 'initial sync: .* in [0-9]* ms' "$LB_LOG" | grep -o '[0-9]* ms' | tail -1 | cut -d' ' -f1)
    LB_INIT+=("$(calc "$MB / ($ms / 1000)" 1)")
    LB_INIT_LOG+=("$(calc "$MB / ($log_ms / 1000)" 1)")
    log "initial sync #$r: lifeboat sync run start to applied_position row $ms ms (${LB_INIT[-1]} MB/s);" \
        "its log says $log_ms ms (${LB_INIT_LOG[-1]} MB/s)"
done
n_init=$(median "${NATIVE_INIT[@]}")
l_init=$(median "${LB_INIT[@]}")
l_init_log=$(median "${LB_INIT_LOG[@]}")
result native_pgdump_initial_mb_per_s "$n_init" "MB/s (median of ${NATIVE_INIT[*]})"
result lifeboat_initial_sync_mb_per_s "$l_init" "MB/s (median of ${LB_INIT[*]}; sync run start to applied_position row, incl. JVM start)"
result lifeboat_initial_sync_log_mb_per_s "$l_init_log" "MB/s (median of ${LB_INIT_LOG[*]}; from the 'initial sync: ... in N ms' log line)"
result lifeboat_initial_sync_ratio "$(calc "$l_init / $n_init")" "x (lifeboat wall / pg_dump|psql)"
result lifeboat_initial_sync_log_ratio "$(calc "$l_init_log / $n_init")" "x (lifeboat logged copy time / pg_dump|psql)"

# Native: the data is there (last pg_dump above, master idle since), so subscribe without copying.
sql M "create publication $PUB_NATIVE for table $TABLES"
sql N "create subscription $SUB_NATIVE connection 'host=127.0.0.1 port=${PORT[M]} dbname=bench user=postgres' publication $PUB_NATIVE with (copy_data = false)"
# Both streaming: a few transactions must reach both standbys.
"$PGBIN/pgbench" -n -t 20 -c 1 -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >/dev/null 2>&1
wait_until 120 "lifeboat to stream the probe transactions" caught_up L
wait_until 120 "native replication to stream the probe transactions" caught_up N
log "both replicators are streaming"
lb_stop
native_disable

# --- 2. backlog catch-up -------------------------------------------------------------------------------------------

NATIVE_CU=() NATIVE_CU_FIRST=() LB_CU=() LB_CU_FIRST=() LB_CU_POS=() LB_START_MS=() LB_CPU=()
catchup_native() {
    local t0 ms first_ms
    t0=$(now)
    native_enable
    catchup_poll N "$base_hid" "$target_hid" "$target_count" "$t0" 0
    ms=$(ms_between "$t0" "$CU_END")
    first_ms=$(ms_between "$CU_FIRST" "$CU_END")
    NATIVE_CU+=("$(calc "$ROWS / ($ms / 1000)" 0)")
    NATIVE_CU_FIRST+=("$(calc "$ROWS / ($first_ms / 1000)" 0)")
    local end_lsn
    end_lsn=$(sql N "select latest_end_lsn from pg_stat_subscription where subname = '$SUB_NATIVE'")
    log "catch-up #$r native: $ms ms (${NATIVE_CU[-1]} rows/s), from the first applied row $first_ms ms" \
        "(${NATIVE_CU_FIRST[-1]} rows/s); latest_end_lsn $end_lsn, master was at $target_lsn"
    native_disable
}
catchup_lifeboat() {
    local t0 ms first_ms pos_ms
    t0=$(now)
    lb_start "$TMP/lifeboat-catchup-$r.log"
    catchup_poll L "$base_hid" "$target_hid" "$target_count" "$t0" 1
    LB_CPU+=("$(lb_cpu_seconds)")
    ms=$(ms_between "$t0" "$CU_END")
    first_ms=$(ms_between "$CU_FIRST" "$CU_END")
    pos_ms=$(ms_between "$CU_FIRST_POS" "$CU_END")
    LB_START_MS+=("$(ms_between "$t0" "$CU_FIRST_POS")")
    LB_CU+=("$(calc "$ROWS / ($ms / 1000)" 0)")
    LB_CU_FIRST+=("$(calc "$ROWS / ($first_ms / 1000)" 0)")
    LB_CU_POS+=("$(calc "$ROWS / ($pos_ms / 1000)" 0)")
    log "catch-up #$r lifeboat: $ms ms (${LB_CU[-1]} rows/s) incl. start; first applied_position change after" \
        "${LB_START_MS[-1]} ms, from there $pos_ms ms (${LB_CU_POS[-1]} rows/s); applied lsn $CU_LSN, master was" \
        "at $target_lsn; JVM CPU ${LB_CPU[-1]} s"
    lb_stop
}
for r in $(seq 1 "$REPEAT"); do
    base_hid=$(sql M "select coalesce(max(hid), 0) from pgbench_history")
    log "backlog #$r: $TXNS pgbench transactions ($CLIENTS clients) with both replicators stopped"
    "$PGBIN/pgbench" -n -t "$PER_CLIENT" -c "$CLIENTS" -j "$THREADS" -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
        >"$TMP/pgbench-backlog-$r.log" 2>&1 || die "pgbench failed: $TMP/pgbench-backlog-$r.log"
    log "backlog #$r: $(grep -m1 '^tps' "$TMP/pgbench-backlog-$r.log")"
    target_lsn=$(sql M "select pg_current_wal_lsn()")
    target_hid=$(sql M "select max(hid) from pgbench_history")
    target_count=$(history_count M)
    (( target_hid - base_hid >= TXNS )) || die "backlog has fewer than $TXNS transactions"
    sql M "checkpoint"
    # Alternate who goes first, so page-cache warmth of the master's WAL does not favour one side.
    if (( r % 2 )); then catchup_native; catchup_lifeboat; else catchup_lifeboat; catchup_native; fi
done

log "checking that both standbys equal the master"
digest() {
    sql "$1" "select md5(string_agg(aid || ':' || abalance, ',' order by aid)) from pgbench_accounts" 
    sql "$1" "select md5(string_agg(tid || ':' || tbalance, ',' order by tid)) from pgbench_tellers"
    sql "$1" "select md5(string_agg(bid || ':' || bbalance, ',' order by bid)) from pgbench_branches"
    sql "$1" "select md5(string_agg(concat_ws(':', hid, tid, bid, aid, delta, mtime), ',' order by hid)) from pgbench_history"
}
d_m=$(digest M); d_n=$(digest N); d_l=$(digest L)
[[ $d_n == "$d_m" ]] && result native_standby_equals_master yes "" || result native_standby_equals_master NO ""
[[ $d_l == "$d_m" ]] && result lifeboat_standby_equals_master yes "" || result lifeboat_standby_equals_master NO ""

n_cu=$(median "${NATIVE_CU[@]}"); n_cu_first=$(median "${NATIVE_CU_FIRST[@]}")
l_cu=$(median "${LB_CU[@]}"); l_cu_first=$(median "${LB_CU_FIRST[@]}"); l_cu_pos=$(median "${LB_CU_POS[@]}")
result backlog_transactions "$TXNS" "transactions ($ROWS row changes: 3 updates + 1 insert each)"
result native_catchup_rows_per_s "$n_cu" "rows/s (median of ${NATIVE_CU[*]}; from ALTER SUBSCRIPTION ENABLE)"
result native_catchup_from_first_apply_rows_per_s "$n_cu_first" "rows/s (median of ${NATIVE_CU_FIRST[*]})"
result lifeboat_catchup_rows_per_s "$l_cu" "rows/s (median of ${LB_CU[*]}; from sync run start, incl. JVM + engine start)"
result lifeboat_catchup_from_first_apply_rows_per_s "$l_cu_pos" "rows/s (median of ${LB_CU_POS[*]}; from the first applied_position change)"
result lifeboat_start_to_first_apply "$(median "${LB_START_MS[@]}")" "ms (median of ${LB_START_MS[*]})"
result lifeboat_catchup_cpu "$(median "${LB_CPU[@]}")" "s of JVM CPU per catch-up incl. start (median of ${LB_CPU[*]})"
result lifeboat_catchup_ratio "$(calc "$l_cu / $n_cu")" "x (lifeboat / native, both from start)"
result lifeboat_catchup_from_first_apply_ratio "$(calc "$l_cu_pos / $n_cu_first")" "x (lifeboat / native, both from first apply)"

# --- 3. steady lag -------------------------------------------------------------------------------------------------

lb_start "$TMP/lifeboat-lag.log"
"$PGBIN/pgbench" -n -t 20 -c 1 -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >/dev/null 2>&1
wait_until 120 "lifeboat to stream before the lag run" caught_up L
lag_run L lifeboat
lb_stop
native_enable
wait_until "$CATCHUP_TIMEOUT" "native replication to catch up before its lag run" caught_up N
lag_run N native
native_disable

# --- summary -------------------------------------------------------------------------------------------------------

cat <<EOF

== summary ($(( SECONDS - BENCH_START )) s) ==
pgbench scale $SCALE ($MB MB of tables), pgbench_history given a primary key (hid bigserial) on all servers so that
Lifeboat streams it. Three clusters and both replicators share one $(nproc)-core machine, so every figure is noisy;
initial sync and catch-up are medians of $REPEAT run(s), lag is a single ${LAG_SECONDS}s run per replicator.
Load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) (anything above ~2 is other work).
- initial sync: Lifeboat $l_init MB/s wall ($l_init_log MB/s by its own log) vs pg_dump -a | psql $n_init MB/s.
- catch-up of $TXNS transactions ($ROWS row changes): native $n_cu rows/s, Lifeboat $l_cu rows/s including JVM and
  engine start, $l_cu_pos rows/s from its first applied position (native from its first row: $n_cu_first rows/s).
- lag at $LAG_RATE tps: see *_lag_* above (newest master transaction start time visible on the standby vs the clock;
  sampling granularity 200 ms, includes the ~2 ms between transactions at that rate).
EOF
