#!/usr/bin/env bash
# Lifeboat replication vs PostgreSQL native logical replication, on throwaway local clusters.
#
#   sudo bench/replication.sh                       # PARTS=initial,tpcb,updates,lag: about 10 minutes on 2 cores
#   PARTS=updates REPEAT=5 bench/replication.sh     # only the long catch-up
#   PARTS=bigtx bench/replication.sh                # only the 5M-row transaction (peak RSS), about 5-10 minutes
#   SCALE=2 TXNS=2000 UPDATE_ROWS=20000 REPEAT=1 LAG_SECONDS=10 bench/replication.sh   # quick smoke run
#   LIFEBOAT=/path/to/other/checkout/lifeboat bench/replication.sh    # benchmark another checkout's build
#   LIFEBOAT_B=/other/checkout/lifeboat bench/replication.sh          # A/B: a second build on a standby of its own
#   LIFEBOAT_B_JAVA_OPTS='-XX:TieredStopAtLevel=1' bench/replication.sh  # A/B: the same build, other JVM options
#
# PostgreSQL 15 clusters (run as the postgres OS user, in a temp dir under /tmp, on free 127.0.0.1 ports):
#   M = master, N = standby for native logical replication (CREATE SUBSCRIPTION), L = standby for Lifeboat
#   (`lifeboat sync run`), and with an A/B run L2 = standby for the second Lifeboat (slot and publication of its
#   own). They are always stopped and removed at exit. Only one replicator runs at a time.
# pgbench_history gets a primary key (hid bigserial) before anything is copied: Lifeboat does not stream tables
# without one (it recopies them every fullcopy_interval), so without it the comparison would be meaningless.
#
# Parts (PARTS, comma-separated, in this order whatever the order given):
#   initial  `pg_dump -a | psql` into empty tables vs Lifeboat's initial sync (MB/s of the tables'
#            pg_total_relation_size on the master); without this part both standbys are loaded once, untimed
#   tpcb     backlog catch-up: TXNS pgbench TPC-B transactions (4 row changes each) piled up while every
#            replicator is stopped, then each one alone catches up (rows/s)
#   updates  the same with UPDATE_ROWS simple updates (UPDATES_PER_TXN per transaction, random accounts): the long
#            backlog, where JIT warm-up is a small part
#   lag      steady lag at LAG_RATE tps for LAG_SECONDS, one replicator at a time, sampled every ~200 ms on the
#            standby as clock_timestamp() - newest pgbench_history.mtime present there (same machine, same clock)
#   bigtx    one master transaction inserting BIGTX_ROWS rows (BIGTX_PAD bytes of text each), caught up like a
#            backlog; Lifeboat's peak RSS (VmHWM of the sync run JVM) is the figure. Not in the default set.
# Every catch-up reports rows/s from the start (native: ALTER SUBSCRIPTION ENABLE; Lifeboat: `sync run` start,
# JVM and engine start included) and from the first applied change, and the CPU per row change from the first
# applied change to the end: the Lifeboat JVM's by thread (/proc/PID/task/*/stat, names from `jcmd Thread.print`),
# and each cluster's (postmaster, its children, and the children it reaped).
# Results are lines `name: value unit` on stdout; progress goes to stderr.
set -Eeuo pipefail
export LC_ALL=C TZ=UTC

PARTS=${PARTS:-initial,tpcb,updates,lag}
SCALE=${SCALE:-10}
TXNS=${TXNS:-20000}                       # tpcb: pgbench transactions per backlog
UPDATE_ROWS=${UPDATE_ROWS:-400000}        # updates: row changes per backlog
UPDATES_PER_TXN=${UPDATES_PER_TXN:-10}
BIGTX_ROWS=${BIGTX_ROWS:-5000000}
BIGTX_PAD=${BIGTX_PAD:-100}
BIGTX_REPEAT=${BIGTX_REPEAT:-1}
REPEAT=${REPEAT:-3}
LAG_RATE=${LAG_RATE:-500}
LAG_SECONDS=${LAG_SECONDS:-60}
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CATCHUP_TIMEOUT=${CATCHUP_TIMEOUT:-600}   # seconds, per catch-up
BIGTX_TIMEOUT=${BIGTX_TIMEOUT:-1800}      # seconds, per catch-up of the big transaction
KEEP_TMP=${KEEP_TMP:-0}                   # 1: keep the temp dir (logs) even on success; clusters are removed anyway
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER=${LIFEBOAT:-$REPO/lifeboat}       # the ./lifeboat launcher of the checkout to benchmark
LIFEBOAT_B=${LIFEBOAT_B:-}                 # a second launcher to compare (A/B), or empty
LIFEBOAT_B_JAVA_OPTS=${LIFEBOAT_B_JAVA_OPTS:-}
PUB_NATIVE=bench_pub
SUB_NATIVE=bench_sub
TABLES="pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history, bench_big"
PER_CLIENT=$(( (TXNS + CLIENTS - 1) / CLIENTS ))
TXNS=$(( PER_CLIENT * CLIENTS ))
UPD_TXNS=$(( (UPDATE_ROWS + UPDATES_PER_TXN - 1) / UPDATES_PER_TXN ))
UPD_PER_CLIENT=$(( (UPD_TXNS + CLIENTS - 1) / CLIENTS ))
UPD_TXNS=$(( UPD_PER_CLIENT * CLIENTS ))
# The logical replication launcher waits this long between worker starts (default 5s): without it, re-enabling the
# subscription would add up to 5s of idle time to native's catch-up.
CLUSTER_SETTINGS="max_wal_size = 4GB
wal_retrieve_retry_interval = '200ms'"
HZ=$(getconf CLK_TCK)

# shellcheck source=lib.sh
source "$REPO/bench/lib.sh"
cleanup_extra() { poll_close; }

ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
has_part() { [[ ",$PARTS," == *",$1,"* ]]; }

[[ $EUID -eq 0 ]] || die "run as root (clusters run as the postgres OS user via runuser)"
[[ -x $PGBIN/postgres ]] || die "no PostgreSQL at $PGBIN (set PGBIN)"
id postgres >/dev/null 2>&1 || die "no postgres OS user"
(( TXNS >= 1 && REPEAT >= 1 && UPD_TXNS >= 1 && BIGTX_ROWS >= 1 )) || die "sizes and REPEAT must be positive"
for p in ${PARTS//,/ }; do
    [[ $p =~ ^(initial|tpcb|updates|lag|bigtx)$ ]] || die "unknown part '$p' in PARTS (initial,tpcb,updates,lag,bigtx)"
done

TMP=$(mktemp -d /tmp/lifeboat-bench.XXXXXX)
chmod 755 "$TMP"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'FAILED_AT="line $LINENO: $BASH_COMMAND"' ERR

# --- the replicators compared --------------------------------------------------------------------------------------

# Each Lifeboat variant has its own standby cluster, slot, publication, config and copy of the build.
VARIANTS=(lifeboat)
declare -A V_CLUSTER=([lifeboat]=L) V_SLOT=([lifeboat]=lifeboat_bench) V_OPTS=([lifeboat]="${LIFEBOAT_JAVA_OPTS:-}")
declare -A V_LAUNCHER=([lifeboat]="$LAUNCHER") V_LB=() V_JAR=() V_CFG=() V_VERSION=()
if [[ -n $LIFEBOAT_B || -n $LIFEBOAT_B_JAVA_OPTS ]]; then
    VARIANTS+=(lifeboat_b)
    V_CLUSTER[lifeboat_b]=L2
    V_SLOT[lifeboat_b]=lifeboat_bench_b
    V_OPTS[lifeboat_b]="$LIFEBOAT_B_JAVA_OPTS"
    V_LAUNCHER[lifeboat_b]="${LIFEBOAT_B:-$LAUNCHER}"
fi
PARTICIPANTS=(native "${VARIANTS[@]}")

history_count() { sql "$1" "select count(*) from pgbench_history"; }
caught_up() { [[ $(history_count "$1") == "$(history_count M)" ]]; }
standby_of() { if [[ $1 == native ]]; then echo N; else echo "${V_CLUSTER[$1]}"; fi; }

# --- CPU accounting ------------------------------------------------------------------------------------------------

# "tid ticks" for every thread of a process (utime + stime; the fields after the command name, which may hold
# spaces and parentheses).
thread_ticks() { # pid
    { cat /proc/"$1"/task/*/stat 2>/dev/null || true; } \
        | awk '{ tid = $1; sub(/^.*\) /, ""); print tid, $12 + $13 }'
}
# Ticks of a whole cluster so far: the postmaster, its live children, and the children it has reaped. A child
# may exit between the listing and the reading: cat skips it (its time is then in the postmaster's cutime).
cluster_ticks() { # cluster
    local pm
    pm=$(head -1 "$TMP/$1/data/postmaster.pid")
    # shellcheck disable=SC2046
    { cat "/proc/$pm/stat" $(pgrep -P "$pm" | sed 's|.*|/proc/&/stat|') 2>/dev/null || true; } \
        | awk -v pm="$pm" '{ pid = $1; sub(/^.*\) /, ""); t += $12 + $13; if (pid == pm) t += $14 + $15 } END { print t + 0 }'
}
# Java thread names by native id (jcmd Thread.print lists JVM-internal threads too). GC and compiler workers add up
# under one name (#N, CompilerThreadN); pools keep their numbers, since the engine's polling thread (which runs
# Lifeboat's consumer and apply) and its record pool are both pool-N-thread-1. Falls back to the kernel's comm.
thread_names() { # pid -> "tid name" lines
    local pid=$1 hex name
    for t in /proc/"$pid"/task/*; do printf '%s %s\n' "${t##*/}" "$(cat "$t/comm" 2>/dev/null)"; done
    jcmd "$pid" Thread.print 2>/dev/null | awk '/ nid=0x/ && match($0, /^"[^"]*"/) {
        name = substr($0, 2, RLENGTH - 2); match($0, / nid=0x[0-9a-f]+/)
        print substr($0, RSTART + 7, RLENGTH - 7), name }' | while read -r hex name; do
        echo "$(( 16#$hex )) $name"
    done || true
}
# Writes "name us_per_row" lines: each thread group's CPU between two thread_ticks snapshots, per row change.
thread_cpu_per_row() { # before-file after-file names-file rows
    awk -v rows="$4" -v hz="$HZ" '
        FILENAME == ARGV[1] { before[$1] = $2; next }
        FILENAME == ARGV[2] { after[$1] = $2; next }
        { tid = $1; $1 = ""; n = substr($0, 2)
          gsub(/#[0-9]+/, "#N", n); gsub(/CompilerThread[0-9]+/, "CompilerThreadN", n); gsub(/[^A-Za-z0-9]+/, "_", n)
          name[tid] = n }
        END {
            for (t in after) { g = (t in name) ? name[t] : "unknown"; d = after[t] - before[t]; sum[g] += d; total += d }
            for (g in sum) if (sum[g] > 0) printf "%s %.2f\n", g, sum[g] / hz / rows * 1e6
            printf "TOTAL %.2f\n", total / hz / rows * 1e6 }' "$1" "$2" "$3"
}

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

LB_VARIANT=""
lb_start() { # variant log-file
    LB_VARIANT=$1
    LB_LOG=$2
    LIFEBOAT_JAR="${V_JAR[$1]}" LIFEBOAT_JAVA_OPTS="${V_OPTS[$1]}" "${V_LB[$1]}" -c "${V_CFG[$1]}" sync run \
        >"$LB_LOG" 2>&1 &
    LB_PID=$!
}
# Dies when Lifeboat has exited, unless LB_MAY_EXIT=1 (the big transaction: an out-of-memory exit is a result).
lb_alive() {
    kill -0 "$LB_PID" 2>/dev/null && return 0
    (( ${LB_MAY_EXIT:-0} )) && return 1
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
    wait_until 60 "lifeboat's slot to become inactive" slot_inactive "${V_SLOT[$LB_VARIANT]}"
}
slot_inactive() { # slot
    [[ $(sql M "select count(*) from pg_replication_slots where slot_name = '$1' and active") == 0 ]]
}
lb_cpu_seconds() { # user+system CPU of the running lifeboat JVM so far
    awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz }' "/proc/$LB_PID/stat" 2>/dev/null || echo "?"
}
lb_wait_initial_sync() { # variant: until its applied_position row exists
    local c=${V_CLUSTER[$1]} deadline=$(( SECONDS + CATCHUP_TIMEOUT ))
    poll_open "$c"
    while :; do
        poll "select count(*) from lifeboat.applied_position where slot_name = '${V_SLOT[$1]}';"
        [[ $POLL_RESULT == 1 ]] && break
        lb_alive
        (( SECONDS < deadline )) || die "lifeboat initial sync ($1) did not finish within ${CATCHUP_TIMEOUT}s"
        sleep 0.05
    done
    poll_close
}

# --- catch-up measurement ------------------------------------------------------------------------------------------

# Polls standby $1 until its pgbench_history has every row of the master's (the row with the master's highest hid
# is there, then the exact count agrees). Sets CU_END (epoch s), CU_FIRST (first backlog row visible), for
# Lifeboat CU_FIRST_POS (applied_position changed), CU_LSN, CU_RSS_KB (largest VmRSS sampled) and CU_FAILED (it
# exited, with LB_MAY_EXIT=1); at the first applied change it snapshots the CPU counters into $TMP/cpu-first-*.
catchup_poll() { # standby base_hid target_hid target_count t0 participant timeout
    local c=$1 base=$2 target_hid=$3 target_count=$4 t0=$5 who=$6 limit=$7 start_lsn="" q deadline lifeboat=0
    [[ $who != native ]] && lifeboat=1
    CU_END="" CU_FIRST="" CU_FIRST_POS="" CU_LSN="" CU_RSS_KB=0 CU_FAILED=0
    if (( lifeboat )); then
        start_lsn=$(sql "$c" "select coalesce((select lsn::text from lifeboat.applied_position where slot_name = '${V_SLOT[$who]}'), '-')")
        q="select exists (select 1 from pgbench_history where hid > $base)::int,
                  exists (select 1 from pgbench_history where hid = $target_hid)::int,
                  coalesce((select lsn::text from lifeboat.applied_position where slot_name = '${V_SLOT[$who]}'), '-');"
    else
        q="select exists (select 1 from pgbench_history where hid > $base)::int,
                  exists (select 1 from pgbench_history where hid = $target_hid)::int, '-';"
    fi
    q=$(tr -s ' \n' ' ' <<<"$q")
    poll_open "$c"
    deadline=$(awk -v t="$t0" -v l="$limit" 'BEGIN { printf "%d", t + l }')
    while :; do
        poll "$q"
        local t rss; t=$(now)
        if [[ $POLL_RESULT != ERROR* ]]; then
            IFS='|' read -r any last lsn <<<"$POLL_RESULT"
            if [[ -z $CU_FIRST && $any == 1 ]]; then
                CU_FIRST=$t
                (( lifeboat )) || cpu_snapshot first "$who"
            fi
            if [[ -z $CU_FIRST_POS && $lifeboat == 1 && $lsn != "$start_lsn" ]]; then
                CU_FIRST_POS=$t
                cpu_snapshot first "$who"
            fi
            CU_LSN=$lsn
            if [[ $last == 1 ]]; then
                poll "select count(*) from pgbench_history;"
                if [[ $POLL_RESULT == "$target_count" ]]; then CU_END=$(now); break; fi
            fi
        fi
        if (( lifeboat )); then
            rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$LB_PID/status" 2>/dev/null || echo 0)
            (( ${rss:-0} > CU_RSS_KB )) && CU_RSS_KB=$rss
            lb_alive || { CU_FAILED=1; break; }
        fi
        if (( ${t%.*} >= deadline )); then
            (( ${LB_MAY_EXIT:-0} )) && { CU_FAILED=2; break; }
            poll_close
            die "standby $c did not catch up within ${limit}s"
        fi
        sleep 0.05
    done
    poll_close
}
cpu_snapshot() { # first|end participant
    local c; c=$(standby_of "$2")
    cluster_ticks M >"$TMP/cpu-$1-M"
    cluster_ticks "$c" >"$TMP/cpu-$1-standby"
    [[ $2 != native ]] && thread_ticks "$LB_PID" >"$TMP/cpu-$1-jvm"
    return 0
}

# Results of every catch-up, by "kind.participant.measure": space-separated values, one per repeat.
declare -A CU=()
cu_add() { CU[$1]="${CU[$1]:-}${CU[$1]:+ }$2"; }
cu_median() { [[ -n ${CU[$1]:-} ]] && median ${CU[$1]} || echo "-"; }

# Records rows/s from the start and from the first apply, and CPU per row change after the first apply.
catchup_one() { # kind participant rows timeout
    local kind=$1 who=$2 rows=$3 limit=$4 c t0 ms first_ms t_first
    c=$(standby_of "$who")
    t0=$(now)
    if [[ $who == native ]]; then
        native_enable
    else
        lb_start "$who" "$TMP/$who-$kind-$r.log"
    fi
    catchup_poll "$c" "$base_hid" "$target_hid" "$target_count" "$t0" "$who" "$limit"
    if (( CU_FAILED )); then
        local why="exited: $(grep -m1 -E 'OutOfMemoryError|error|ERROR' "$LB_LOG" | cut -c1-160)"
        (( CU_FAILED == 2 )) && why="not caught up within ${limit}s"
        log "catch-up $kind #$r $who FAILED ($why); peak RSS sampled $(( CU_RSS_KB / 1024 )) MB"
        cu_add "$kind.$who.failed" 1
        cu_add "$kind.$who.rss_sampled_mb" "$(( CU_RSS_KB / 1024 ))"
        FAILURES+=("$kind #$r $who: $why")
        FAILED_WHO[$who]=1
        lb_stop || true
        return 0
    fi
    cpu_snapshot end "$who"
    ms=$(ms_between "$t0" "$CU_END")
    t_first=$CU_FIRST
    [[ $who != native ]] && t_first=$CU_FIRST_POS
    first_ms=$(ms_between "$t_first" "$CU_END")
    cu_add "$kind.$who.start" "$(calc "$rows / ($ms / 1000)" 0)"
    cu_add "$kind.$who.first" "$(calc "$rows / ($first_ms / 1000)" 0)"
    cu_add "$kind.$who.start_ms" "$(ms_between "$t0" "$t_first")"
    local m s
    m=$(awk -v a="$(cat "$TMP/cpu-first-M")" -v hz="$HZ" -v n="$rows" '{ printf "%.2f", ($1 - a) / hz / n * 1e6 }' "$TMP/cpu-end-M")
    s=$(awk -v a="$(cat "$TMP/cpu-first-standby")" -v hz="$HZ" -v n="$rows" '{ printf "%.2f", ($1 - a) / hz / n * 1e6 }' "$TMP/cpu-end-standby")
    cu_add "$kind.$who.cpu_master" "$m"
    cu_add "$kind.$who.cpu_standby" "$s"
    local note=""
    if [[ $who != native ]]; then
        local hwm
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$LB_PID/status" 2>/dev/null || echo 0)
        cu_add "$kind.$who.cpu_total_s" "$(lb_cpu_seconds)"
        cu_add "$kind.$who.rss_peak_mb" "$(( hwm / 1024 ))"
        thread_names "$LB_PID" >"$TMP/thread-names"
        thread_cpu_per_row "$TMP/cpu-first-jvm" "$TMP/cpu-end-jvm" "$TMP/thread-names" "$rows" \
            | sed "s/^/$r /" >>"$TMP/threads-$kind-$who.txt"
        local jvm
        jvm=$(awk -v r="$r" '$1 == r && $2 == "TOTAL" { print $3 }' "$TMP/threads-$kind-$who.txt" | tail -1)
        cu_add "$kind.$who.cpu_jvm" "$jvm"
        note="; JVM ${jvm} us/row after the first apply, ${CU[$kind.$who.cpu_total_s]##* } s in all; peak RSS $(( hwm / 1024 )) MB"
        lb_stop
    else
        native_disable
    fi
    log "catch-up $kind #$r $who: $ms ms from start (${CU[$kind.$who.start]##* } rows/s), $first_ms ms from the" \
        "first apply (${CU[$kind.$who.first]##* } rows/s); CPU per row: master $m us, standby $s us$note"
}

# One backlog per repeat, made by the function named, then caught up by each participant alone; who goes first
# rotates, so page-cache warmth of the master's WAL does not favour one side.
catchup_part() { # kind rows make-backlog-function repeats timeout
    local kind=$1 rows=$2 make=$3 repeats=$4 limit=$5 n=${#PARTICIPANTS[@]}
    for r in $(seq 1 "$repeats"); do
        base_hid=$(sql M "select coalesce(max(hid), 0) from pgbench_history")
        "$make"
        target_lsn=$(sql M "select pg_current_wal_lsn()")
        target_hid=$(sql M "select max(hid) from pgbench_history")
        target_count=$(history_count M)
        (( target_hid > base_hid )) || die "backlog $kind #$r added no pgbench_history row"
        sql M "checkpoint"
        log "backlog $kind #$r: master at $target_lsn"
        for i in $(seq 0 $(( n - 1 ))); do
            catchup_one "$kind" "${PARTICIPANTS[$(( (i + r - 1) % n ))]}" "$rows" "$limit"
        done
    done
}

catchup_report() { # kind description
    local kind=$1 n_start n_first
    result "${kind}_backlog" "$2" ""
    n_start=$(cu_median "$kind.native.start")
    n_first=$(cu_median "$kind.native.first")
    for who in "${PARTICIPANTS[@]}"; do
        local k="$kind.$who" s f
        if [[ -n ${CU[$k.failed]:-} ]]; then
            result "${kind}_${who}_failed" "$(wc -w <<<"${CU[$k.failed]}")" "catch-up(s) (peak RSS sampled ${CU[$k.rss_sampled_mb]} MB)"
        fi
        [[ -n ${CU[$k.start]:-} ]] || continue
        s=$(cu_median "$k.start")
        f=$(cu_median "$k.first")
        result "${kind}_${who}_catchup_rows_per_s" "$s" "rows/s (median of ${CU[$k.start]}; from $([[ $who == native ]] && echo 'ALTER SUBSCRIPTION ENABLE' || echo 'sync run start, JVM and engine start included'))"
        result "${kind}_${who}_catchup_from_first_apply_rows_per_s" "$f" "rows/s (median of ${CU[$k.first]})"
        result "${kind}_${who}_start_to_first_apply" "$(cu_median "$k.start_ms")" "ms (median of ${CU[$k.start_ms]})"
        result "${kind}_${who}_cpu_per_row_master" "$(cu_median "$k.cpu_master")" "us of the master cluster's CPU per row change after the first apply (median of ${CU[$k.cpu_master]})"
        result "${kind}_${who}_cpu_per_row_standby" "$(cu_median "$k.cpu_standby")" "us of the standby cluster's CPU per row change after the first apply (median of ${CU[$k.cpu_standby]})"
        if [[ $who != native ]]; then
            result "${kind}_${who}_cpu_per_row_jvm" "$(cu_median "$k.cpu_jvm")" "us of JVM CPU per row change after the first apply (median of ${CU[$k.cpu_jvm]})"
            # Each thread group's median over the repeats (a group missing from a run counts as 0 there).
            awk -v reps="$(wc -w <<<"${CU[$k.start]}")" '$2 != "TOTAL" { n[$2]++; v[$2, n[$2]] = $3 }
                END { for (g in n) {
                        for (i = 1; i <= reps; i++) a[i] = (i <= n[g]) ? v[g, i] : 0
                        for (i = 2; i <= reps; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
                        printf "%s %.2f\n", g, (reps % 2) ? a[(reps + 1) / 2] : (a[reps / 2] + a[reps / 2 + 1]) / 2 } }' \
                "$TMP/threads-$kind-$who.txt" | sort -k2,2gr | head -12 \
                | while read -r g v; do result "${kind}_${who}_cpu_per_row_thread.$g" "$v" "us (median)"; done
            result "${kind}_${who}_cpu_total" "$(cu_median "$k.cpu_total_s")" "s of JVM CPU per catch-up, start included (median of ${CU[$k.cpu_total_s]})"
            result "${kind}_${who}_peak_rss" "$(cu_median "$k.rss_peak_mb")" "MB (VmHWM of the sync run JVM; median of ${CU[$k.rss_peak_mb]})"
            [[ $n_start != - ]] && result "${kind}_${who}_catchup_ratio" "$(calc "$s / $n_start")" "x (${who} / native, both from start)"
            [[ $n_first != - ]] && result "${kind}_${who}_catchup_from_first_apply_ratio" "$(calc "$f / $n_first")" "x (${who} / native, both from first apply)"
        fi
    done
}

# --- backlogs ------------------------------------------------------------------------------------------------------

backlog_tpcb() {
    log "backlog tpcb #$r: $TXNS pgbench transactions ($CLIENTS clients) with every replicator stopped"
    "$PGBIN/pgbench" -n -t "$PER_CLIENT" -c "$CLIENTS" -j "$THREADS" -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
        >"$TMP/pgbench-tpcb-$r.log" 2>&1 || die "pgbench failed: $TMP/pgbench-tpcb-$r.log"
    log "backlog tpcb #$r: $(grep -m1 '^tps' "$TMP/pgbench-tpcb-$r.log")"
}
# A pgbench_history row before and after the updates: the first tells when a standby applies the backlog's
# first transaction, the last when it has the whole backlog.
history_marker() { sql M "insert into pgbench_history (tid, bid, aid, delta, mtime) values (1, 1, 1, 0, now())"; }
backlog_updates() {
    local script="$TMP/updates.sql"
    { echo "\\set aid random(1, 100000 * :scale)"; echo "begin;"
      for _ in $(seq 1 "$UPDATES_PER_TXN"); do
          echo "\\set aid random(1, 100000 * :scale)"
          echo "update pgbench_accounts set abalance = abalance + 1 where aid = :aid;"
      done
      echo "end;"; } >"$script"
    log "backlog updates #$r: $UPD_TXNS transactions of $UPDATES_PER_TXN updates ($CLIENTS clients)"
    history_marker
    "$PGBIN/pgbench" -n -f "$script" -t "$UPD_PER_CLIENT" -c "$CLIENTS" -j "$THREADS" -h "$TMP/M" -p "${PORT[M]}" \
        -U postgres bench >"$TMP/pgbench-updates-$r.log" 2>&1 || die "pgbench failed: $TMP/pgbench-updates-$r.log"
    history_marker
    log "backlog updates #$r: $(grep -m1 '^tps' "$TMP/pgbench-updates-$r.log")"
}
backlog_bigtx() {
    log "backlog bigtx #$r: one transaction inserting $BIGTX_ROWS rows of $BIGTX_PAD bytes of text"
    history_marker
    sql M "insert into bench_big (id, v, pad)
           select g, g % 1000, repeat(md5(g::text), ($BIGTX_PAD + 31) / 32)::varchar($BIGTX_PAD)
           from generate_series((select coalesce(max(id), 0) + 1 from bench_big),
                                (select coalesce(max(id), 0) from bench_big) + $BIGTX_ROWS) g"
    history_marker
}

# --- lag measurement -----------------------------------------------------------------------------------------------

# Runs pgbench at a fixed rate on the master while sampling, on standby $1, the age of its newest pgbench_history
# row (lag_sample in lib.sh).
lag_run() { # standby name
    local c=$1 name=$2 samples="$TMP/lag-$2.txt" pgb="$TMP/pgbench-lag-$2.log" pid t_end
    : >"$samples"
    log "$name: pgbench -R $LAG_RATE -T $LAG_SECONDS on master, sampling lag on the standby every 200 ms"
    timeout $(( LAG_SECONDS + 60 )) "$PGBIN/pgbench" -n -R "$LAG_RATE" -T "$LAG_SECONDS" -c "$CLIENTS" -j "$THREADS" \
        -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >"$pgb" 2>&1 &
    pid=$!
    BG_PIDS+=("$pid")
    sleep 2
    local check=true
    [[ $name != native ]] && check=lb_alive
    lag_sample "$c" $(( SECONDS + LAG_SECONDS - 3 )) "$samples" "$check"
    wait "$pid" || die "pgbench (lag, $name) failed: $pgb"
    local n p50 p99 max tps
    n=$(wc -l <"$samples")
    p50=$(percentile "$samples" 50)
    p99=$(percentile "$samples" 99)
    max=$(percentile "$samples" 100)
    tps=$(awk '/^tps = / { printf "%d", $3 }' "$pgb")
    result "${name}_lag_p50" "$p50" ms
    result "${name}_lag_p99" "$p99" ms
    result "${name}_lag_max" "$max" ms
    result "${name}_lag_samples" "$n" samples
    result "${name}_lag_master_tps" "$tps" tps
}

# --- 0. set up -----------------------------------------------------------------------------------------------------

log "temp dir $TMP; PARTS=$PARTS SCALE=$SCALE TXNS=$TXNS UPDATE_ROWS=$UPDATE_ROWS REPEAT=$REPEAT; compared: ${PARTICIPANTS[*]}"
BENCH_START=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
CLUSTER_NAMES=(M N)
for v in "${VARIANTS[@]}"; do CLUSTER_NAMES+=("${V_CLUSTER[$v]}"); done
for c in "${CLUSTER_NAMES[@]}"; do start_cluster "$c"; done
log "clusters: master 127.0.0.1:${PORT[M]}, native standby :${PORT[N]}, lifeboat standby :${PORT[L]}${PORT[L2]:+, lifeboat_b standby :${PORT[L2]:-}}"

for v in "${VARIANTS[@]}"; do
    V_CFG[$v]="$TMP/$v.yml"
    cat >"${V_CFG[$v]}" <<EOF
master:
  host: 127.0.0.1
  port: ${PORT[M]}
  database: bench
  user: postgres
  sslmode: disable
standby:
  host: 127.0.0.1
  port: ${PORT[${V_CLUSTER[$v]}]}
  database: bench
  user: postgres
  sslmode: disable
replication:
  slot: ${V_SLOT[$v]}
  publication: ${V_SLOT[$v]}
  tables:
    include:
      - public.pgbench_*
      - public.bench_big
EOF
    copy_lifeboat "${V_CFG[$v]}" "${V_LAUNCHER[$v]}" "$v"
    V_LB[$v]=$LB
    V_JAR[$v]=$LB_JAR
    V_VERSION[$v]=$LB_VERSION
done

log "pgbench -i -s $SCALE on the master; pgbench_history gets a primary key (hid bigserial)"
"$PGBIN/pgbench" -i -q -s "$SCALE" -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >"$TMP/pgbench-init.log" 2>&1 \
    || die "pgbench -i failed: $TMP/pgbench-init.log"
sql M "alter table pgbench_history add column hid bigserial primary key"
sql M "create table bench_big (id bigint primary key, v integer not null, pad varchar($BIGTX_PAD) not null)"
sql M "vacuum analyze"
sql M "checkpoint"
for c in "${CLUSTER_NAMES[@]:1}"; do
    "$PGBIN/pg_dump" --schema-only -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
        | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/$c" -p "${PORT[$c]}" -U postgres -d bench >/dev/null
done
BYTES=$(sql M "select sum(pg_total_relation_size(oid)) from pg_class where relkind = 'r' and relname like 'pgbench\_%'")
MB=$(calc "$BYTES / 1e6" 1)
result table_size "$MB" "MB (pg_total_relation_size of the 4 pgbench tables on the master, 1 MB = 10^6 bytes)"

# --- 1. initial sync (or an untimed load of both standbys) ---------------------------------------------------------

native_load() {
    sql N "truncate $TABLES"
    sql N "checkpoint"
    "$PGBIN/pg_dump" -a -t 'pgbench_*' -t bench_big -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
        | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/N" -p "${PORT[N]}" -U postgres -d bench >/dev/null
}
if has_part initial; then
    NATIVE_INIT=()
    for r in $(seq 1 "$REPEAT"); do
        t0=$(now)
        native_load
        t1=$(now)
        ms=$(ms_between "$t0" "$t1")
        NATIVE_INIT+=("$(calc "$MB / ($ms / 1000)" 1)")
        log "initial sync #$r: pg_dump -a | psql took $ms ms (${NATIVE_INIT[-1]} MB/s, truncate and checkpoint included)"
    done
    n_init=$(median "${NATIVE_INIT[@]}")
    result native_pgdump_initial_mb_per_s "$n_init" "MB/s (median of ${NATIVE_INIT[*]})"
else
    native_load
fi
# Subscribe without copying: the data is there (the last pg_dump above, with the master idle since). The slot is
# made now, disabled, so that it keeps every change from here on while the Lifeboat variants make their copies.
sql M "create publication $PUB_NATIVE for table $TABLES"
sql N "create subscription $SUB_NATIVE connection 'host=127.0.0.1 port=${PORT[M]} dbname=bench user=postgres' publication $PUB_NATIVE with (copy_data = false, enabled = false)"
for v in "${VARIANTS[@]}"; do
    c=${V_CLUSTER[$v]}
    INIT=() INIT_LOG=()
    reps=1
    has_part initial && reps=$REPEAT
    for r in $(seq 1 "$reps"); do
        if (( r > 1 )); then
            lb_stop
            sql "$c" "delete from lifeboat.applied_position"
            sql M "select pg_drop_replication_slot('${V_SLOT[$v]}')" >/dev/null
        fi
        sql "$c" "truncate $TABLES"
        sql "$c" "checkpoint"
        t0=$(now)
        lb_start "$v" "$TMP/$v-initial-$r.log"
        lb_wait_initial_sync "$v"
        t1=$(now)
        ms=$(ms_between "$t0" "$t1")
        wait_until 30 "the initial sync log line" grep -q 'initial sync: .* in [0-9]* ms' "$LB_LOG"
        log_ms=$(grep -o 'initial sync: .* in [0-9]* ms' "$LB_LOG" | grep -o '[0-9]* ms' | tail -1 | cut -d' ' -f1)
        INIT+=("$(calc "$MB / ($ms / 1000)" 1)")
        INIT_LOG+=("$(calc "$MB / ($log_ms / 1000)" 1)")
        log "initial sync #$r $v: sync run start to applied_position row $ms ms (${INIT[-1]} MB/s);" \
            "its log says $log_ms ms (${INIT_LOG[-1]} MB/s)"
    done
    if has_part initial; then
        l_init=$(median "${INIT[@]}")
        l_init_log=$(median "${INIT_LOG[@]}")
        result "${v}_initial_sync_mb_per_s" "$l_init" "MB/s (median of ${INIT[*]}; sync run start to applied_position row, incl. JVM start)"
        result "${v}_initial_sync_log_mb_per_s" "$l_init_log" "MB/s (median of ${INIT_LOG[*]}; from the 'initial sync: ... in N ms' log line)"
        result "${v}_initial_sync_ratio" "$(calc "$l_init / $n_init")" "x ($v wall / pg_dump|psql)"
        result "${v}_initial_sync_log_ratio" "$(calc "$l_init_log / $n_init")" "x ($v logged copy time / pg_dump|psql)"
    fi
    "$PGBIN/pgbench" -n -t 20 -c 1 -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >/dev/null 2>&1
    wait_until 120 "$v to stream the probe transactions" caught_up "$c"
    lb_stop
done

native_enable
wait_until 120 "native replication to stream the probe transactions" caught_up N
native_disable
log "every replicator streams; all stopped"

# --- 2. backlog catch-ups ------------------------------------------------------------------------------------------

FAILURES=()
declare -A FAILED_WHO=()
if has_part tpcb; then
    catchup_part tpcb $(( TXNS * 4 )) backlog_tpcb "$REPEAT" "$CATCHUP_TIMEOUT"
fi
if has_part updates; then
    catchup_part updates $(( UPD_TXNS * UPDATES_PER_TXN + 2 )) backlog_updates "$REPEAT" "$CATCHUP_TIMEOUT"
fi

# --- 3. steady lag -------------------------------------------------------------------------------------------------

if has_part lag; then
    for v in "${VARIANTS[@]}"; do
        lb_start "$v" "$TMP/$v-lag.log"
        "$PGBIN/pgbench" -n -t 20 -c 1 -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >/dev/null 2>&1
        wait_until "$CATCHUP_TIMEOUT" "$v to catch up before its lag run" caught_up "${V_CLUSTER[$v]}"
        lag_run "${V_CLUSTER[$v]}" "$v"
        lb_stop
    done
    native_enable
    wait_until "$CATCHUP_TIMEOUT" "native replication to catch up before its lag run" caught_up N
    lag_run N native
    native_disable
fi

# --- 4. one big transaction ----------------------------------------------------------------------------------------

if has_part bigtx; then
    LB_MAY_EXIT=1
    catchup_part bigtx $(( BIGTX_ROWS + 2 )) backlog_bigtx "$BIGTX_REPEAT" "$BIGTX_TIMEOUT"
    LB_MAY_EXIT=0
fi

# --- checks and summary --------------------------------------------------------------------------------------------

if has_part tpcb || has_part updates || has_part bigtx; then
    log "checking that the standbys equal the master"
    for who in native "${VARIANTS[@]}"; do
        c=$(standby_of "$who")
        [[ -n ${FAILED_WHO[$who]:-} ]] && continue
        if [[ $who != native ]]; then
            lb_start "$who" "$TMP/$who-final.log"
            wait_until "$CATCHUP_TIMEOUT" "$who to catch up before the check" caught_up "$c"
            lb_stop
        else
            native_enable
            wait_until "$CATCHUP_TIMEOUT" "native to catch up before the check" caught_up N
            native_disable
        fi
    done
    digest() {
        sql "$1" "select md5(string_agg(aid || ':' || abalance, ',' order by aid)) from pgbench_accounts"
        sql "$1" "select md5(string_agg(tid || ':' || tbalance, ',' order by tid)) from pgbench_tellers"
        sql "$1" "select md5(string_agg(bid || ':' || bbalance, ',' order by bid)) from pgbench_branches"
        sql "$1" "select md5(string_agg(concat_ws(':', hid, tid, bid, aid, delta, mtime), ',' order by hid)) from pgbench_history"
        sql "$1" "select count(*), coalesce(sum(id), 0), md5(coalesce(string_agg(pad, '' order by id) filter (where id % 1000 = 0), '')) from bench_big"
    }
    d_m=$(digest M)
    for who in native "${VARIANTS[@]}"; do
        if [[ -n ${FAILED_WHO[$who]:-} ]]; then
            result "${who}_standby_equals_master" skipped "(a catch-up failed)"
            continue
        fi
        [[ $(digest "$(standby_of "$who")") == "$d_m" ]] && eq=yes || eq=NO
        result "${who}_standby_equals_master" "$eq" ""
    done
fi

has_part tpcb && catchup_report tpcb "$TXNS TPC-B transactions ($(( TXNS * 4 )) row changes: 3 updates + 1 insert each)"
has_part updates && catchup_report updates "$UPD_TXNS transactions of $UPDATES_PER_TXN single-row updates ($(( UPD_TXNS * UPDATES_PER_TXN )) row changes) + 2 marker inserts"
has_part bigtx && catchup_report bigtx "one transaction inserting $BIGTX_ROWS rows ($BIGTX_PAD bytes of text each) + 2 marker inserts"
for f in "${FAILURES[@]}"; do log "failed: $f"; done

cat <<EOF

== summary ($(( SECONDS - BENCH_START )) s) ==
Parts: $PARTS. pgbench scale $SCALE ($MB MB of tables), pgbench_history given a primary key (hid bigserial) on all
servers so that Lifeboat streams it. Compared: ${PARTICIPANTS[*]}
$(for v in "${VARIANTS[@]}"; do echo "  $v: ${V_VERSION[$v]}${V_OPTS[$v]:+, LIFEBOAT_JAVA_OPTS=${V_OPTS[$v]}}"; done)
Every cluster and replicator shares one $(nproc)-core machine, so every figure is noisy: catch-ups are medians of
$REPEAT run(s) (bigtx: $BIGTX_REPEAT), lag is a single ${LAG_SECONDS}s run per replicator; compare ratios to native.
Load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) (anything above ~2 is other work).
EOF
for p in tpcb updates bigtx; do
    has_part "$p" || continue
    line="- $p catch-up, rows/s from start / from the first apply: native $(cu_median "$p.native.start") / $(cu_median "$p.native.first")"
    for v in "${VARIANTS[@]}"; do
        line+="; $v $(cu_median "$p.$v.start") / $(cu_median "$p.$v.first") (JVM $(cu_median "$p.$v.cpu_jvm") us/row, peak RSS $(cu_median "$p.$v.rss_peak_mb") MB)"
    done
    echo "$line"
done
(( ${#FAILURES[@]} == 0 )) || echo "- FAILED catch-ups: ${FAILURES[*]}"
