#!/usr/bin/env bash
# `lifeboat sync validate` and `sync resync` on a large table, against what reading / copying it costs anyway.
#
#   sudo bench/validate.sh                      # SCALE=100 (10M rows in pgbench_accounts) REPEAT=3
#   SCALE=5 REPEAT=1 bench/validate.sh          # quick smoke run (RESYNC_REPEAT defaults to REPEAT)
#   LIFEBOAT=/path/to/other/checkout/lifeboat bench/validate.sh
#
# Two PostgreSQL 15 clusters (run as the postgres OS user, in a temp dir under /tmp, on free 127.0.0.1 ports):
# M = master, S = standby kept by `lifeboat sync run`, which runs for the whole benchmark. Always removed at exit.
# pgbench_history gets a primary key (hid bigserial) as in bench/replication.sh, so Lifeboat streams it.
# Autovacuum is off on both clusters so that no autovacuum of 10M freshly copied rows lands in a timed section;
# the tables are vacuumed explicitly (untimed) where that matters.
#
# Measures, in one run:
#   1. validate: `sync validate --table public.pgbench_accounts` (wall time of the command, JVM start included)
#      against the read floor: `COPY pgbench_accounts TO '/dev/null'` on master and standby at the same time
#      (server side, both finished). Goal: validate <= 1.5x the floor.
#   2. resync: `sync resync --table public.pgbench_accounts` while `sync run` keeps running, against
#      `pg_dump -t public.pgbench_accounts | psql` from the master into an empty database on the same standby
#      server (pg_dump's way: create table, COPY, then build the primary key). Goal: resync at least as fast.
#   3. one more `sync validate` of every replicated table after the resyncs, with a few streamed transactions.
# Results are lines `name: value unit` on stdout; progress goes to stderr.
set -Eeuo pipefail
export LC_ALL=C TZ=UTC

SCALE=${SCALE:-100}
REPEAT=${REPEAT:-3}
RESYNC_REPEAT=${RESYNC_REPEAT:-$REPEAT}    # resync and pg_dump | psql rounds (the slowest part)
INIT_STEPS=${INIT_STEPS:-dtgvp}            # pgbench -i -I steps (g: client-side data generation)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SYNC_TIMEOUT=${SYNC_TIMEOUT:-1200}         # seconds, for Lifeboat's initial sync
CMD_TIMEOUT=${CMD_TIMEOUT:-900}            # seconds, per timed command (validate, resync, COPY, pg_dump)
KEEP_TMP=${KEEP_TMP:-0}                    # 1: keep the temp dir (logs) even on success; clusters are removed anyway
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER=${LIFEBOAT:-$REPO/lifeboat}        # the ./lifeboat launcher of the checkout to benchmark
SLOT=lifeboat_bench
TABLE=public.pgbench_accounts
DUMPDB=dumpcopy                             # the pg_dump | psql target database on the standby server
# No autovacuum of 10M freshly copied rows may land in a timed step; the script vacuums untimed instead.
CLUSTER_SETTINGS="maintenance_work_mem = 256MB
max_wal_size = 8GB
autovacuum = off"

# shellcheck source=lib.sh
source "$REPO/bench/lib.sh"

secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
PHASES=()
PHASE_NAME="" PHASE_T0=""
phase() { # name: ends the running phase (recording its duration) and starts the next ("" = none)
    if [[ -n $PHASE_NAME ]]; then
        local s; s=$(secs_between "$PHASE_T0" "$(now)")
        PHASES+=("$PHASE_NAME $s")
        result "phase_${PHASE_NAME}_seconds" "$s" s
    fi
    PHASE_NAME=$1 PHASE_T0=$(now)
    [[ -z $1 ]] || log "--- phase $1"
}

[[ $EUID -eq 0 ]] || die "run as root (clusters run as the postgres OS user via runuser)"
[[ -x $PGBIN/postgres ]] || die "no PostgreSQL at $PGBIN (set PGBIN)"
id postgres >/dev/null 2>&1 || die "no postgres OS user"
(( SCALE >= 1 && REPEAT >= 1 && RESYNC_REPEAT >= 1 )) || die "SCALE and REPEAT must be positive"

TMP=$(mktemp -d /tmp/lifeboat-validate.XXXXXX)
chmod 755 "$TMP"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'FAILED_AT="line $LINENO: $BASH_COMMAND"' ERR

# --- clusters ------------------------------------------------------------------------------------------------------





# --- Lifeboat ------------------------------------------------------------------------------------------------------

CFG="$TMP/lifeboat.yml"
lb() { # one lifeboat command from the copied jar, bounded
    timeout "$CMD_TIMEOUT" "$LB" -c "$CFG" "$@"
}
lb_start() {
    LB_LOG="$TMP/lifeboat-sync-run.log"
    "$LB" -c "$CFG" sync run >"$LB_LOG" 2>&1 &
    LB_PID=$!
}
lb_alive() {
    kill -0 "$LB_PID" 2>/dev/null && return 0
    die "lifeboat sync run exited unexpectedly, see $LB_LOG: $(tail -n 3 "$LB_LOG" | tr '\n' ' ')"
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
}
lb_cpu_seconds() { # user+system CPU of the running sync run JVM so far
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$LB_PID/stat" 2>/dev/null || echo "?"
}
applied() { [[ $(sql S "select count(*) from lifeboat.applied_position where slot_name = '$SLOT'" 2>/dev/null) == 1 ]]; }
history_count() { sql "$1" "select count(*) from pgbench_history"; }
accounts_count() { sql "$1" "select count(*) from pgbench_accounts"; }
history_caught_up() { lb_alive; [[ $(history_count S) == "$(history_count M)" ]]; }
probe() { # a few master transactions, then wait until the standby has them: replication streams
    "$PGBIN/pgbench" -n -t 20 -c 1 -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >"$TMP/pgbench-probe.log" 2>&1 \
        || die "pgbench probe failed: $TMP/pgbench-probe.log"
    wait_until 120 "lifeboat to stream the probe transactions" history_caught_up
}
checkpoint_both() { sql M "checkpoint"; sql S "checkpoint"; }

# --- 0. set up -----------------------------------------------------------------------------------------------------

log "temp dir $TMP; SCALE=$SCALE REPEAT=$REPEAT RESYNC_REPEAT=$RESYNC_REPEAT INIT_STEPS=$INIT_STEPS"
BENCH_START=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
phase setup
for c in M S; do start_cluster "$c"; done
log "clusters: master 127.0.0.1:${PORT[M]}, standby :${PORT[S]}"

cat >"$CFG" <<EOF
master:
  host: 127.0.0.1
  port: ${PORT[M]}
  database: bench
  user: postgres
  sslmode: disable
standby:
  host: 127.0.0.1
  port: ${PORT[S]}
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

phase pgbench_init
log "pgbench -i -I $INIT_STEPS -s $SCALE on the master; pgbench_history gets a primary key (hid bigserial)"
"$PGBIN/pgbench" -i -q -I "$INIT_STEPS" -s "$SCALE" -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
    >"$TMP/pgbench-init.log" 2>&1 || die "pgbench -i failed: $TMP/pgbench-init.log"
log "$(grep -m1 '^done in' "$TMP/pgbench-init.log" || tail -1 "$TMP/pgbench-init.log")"
sql M "alter table pgbench_history add column hid bigserial primary key"
sql M "vacuum analyze"
sql M "checkpoint"
"$PGBIN/pg_dump" --schema-only -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
    | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/S" -p "${PORT[S]}" -U postgres -d bench >/dev/null
ROWS=$(accounts_count M)
MB=$(calc "$(sql M "select pg_total_relation_size('$TABLE')") / 1e6" 1)
HEAP_MB=$(calc "$(sql M "select pg_relation_size('$TABLE')") / 1e6" 1)
result accounts_rows "$ROWS" rows
result accounts_size "$MB" "MB (pg_total_relation_size on the master; heap $HEAP_MB MB; 1 MB = 10^6 bytes)"

# --- 1. initial sync, then streaming -------------------------------------------------------------------------------

phase initial_sync
t0=$(now)
lb_start
deadline=$(( SECONDS + SYNC_TIMEOUT ))
until applied; do
    lb_alive
    (( SECONDS < deadline )) || die "lifeboat initial sync did not finish within ${SYNC_TIMEOUT}s"
    sleep 0.2
done
t1=$(now)
s=$(secs_between "$t0" "$t1")
[[ $(accounts_count S) == "$ROWS" ]] || die "after the initial sync the standby has $(accounts_count S) of $ROWS accounts"
log_line=$(grep -o 'initial sync: .* in [0-9]* ms' "$LB_LOG" | tail -1 || true)
result lifeboat_initial_sync_seconds "$s" "s (sync run start to applied_position row, incl. JVM start; log: ${log_line:-none})"
probe
log "lifeboat streams (probe transactions applied); sync run JVM CPU so far $(lb_cpu_seconds) s"
# Untimed: set hint bits / visibility map on the freshly copied standby table, as the master's already are.
sql S "vacuum analyze"
checkpoint_both

# --- 2. validate vs the read floor ---------------------------------------------------------------------------------

phase validate
copy_floor_once() { # -> FLOOR_S
    local t0 p1 p2 ok=1
    t0=$(now)
    timeout "$CMD_TIMEOUT" "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$TMP/M" -p "${PORT[M]}" -U postgres \
        -d bench -c "copy $TABLE to '/dev/null'" >/dev/null & p1=$!
    timeout "$CMD_TIMEOUT" "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$TMP/S" -p "${PORT[S]}" -U postgres \
        -d bench -c "copy $TABLE to '/dev/null'" >/dev/null & p2=$!
    BG_PIDS+=("$p1" "$p2")
    wait "$p1" || ok=0
    wait "$p2" || ok=0
    (( ok )) || die "COPY ... TO '/dev/null' failed"
    FLOOR_S=$(secs_between "$t0" "$(now)")
}
validate_once() { # log file -> VAL_S, VAL_OWN_S, VAL_IN_SYNC
    local out=$1 t0 rc=0
    t0=$(now)
    lb sync validate --table "$TABLE" --json >"$out" 2>"$out.err" || rc=$?
    VAL_S=$(secs_between "$t0" "$(now)")
    (( rc == 0 || rc == 2 )) || die "sync validate failed (exit $rc): $(tail -n 5 "$out.err" | tr '\n' ' ')"
    VAL_OWN_S=$(calc "$(grep -m1 -o '"duration_ms" *: *[0-9]*' "$out" | grep -o '[0-9]*$') / 1000")
    if (( rc == 0 )) && grep -m1 -q '"in_sync" *: *true' "$out"; then VAL_IN_SYNC=yes; else VAL_IN_SYNC=NO; fi
}
log "warm-up: one untimed concurrent COPY ... TO '/dev/null' on both servers"
copy_floor_once
log "warm-up took ${FLOOR_S}s"
FLOORS=() VALS=() VAL_OWNS=() VAL_SYNC=()
for r in $(seq 1 "$REPEAT"); do
    checkpoint_both
    # Alternate who goes first, so neither is always the one reading after the other.
    for what in $( (( r % 2 )) && echo "floor validate" || echo "validate floor"); do
        if [[ $what == floor ]]; then
            copy_floor_once
            FLOORS+=("$FLOOR_S")
            log "read floor #$r: concurrent COPY to /dev/null on master and standby ${FLOOR_S}s"
        else
            validate_once "$TMP/validate-$r.json"
            VALS+=("$VAL_S") VAL_OWNS+=("$VAL_OWN_S") VAL_SYNC+=("$VAL_IN_SYNC")
            log "validate #$r: ${VAL_S}s wall (its own duration_ms ${VAL_OWN_S}s), in sync: $VAL_IN_SYNC"
        fi
    done
    lb_alive
done
v=$(median "${VALS[@]}"); v_own=$(median "${VAL_OWNS[@]}"); f=$(median "${FLOORS[@]}")
result validate_seconds "$v" "s (median of ${VALS[*]}; wall time of sync validate --table $TABLE, incl. JVM start)"
result validate_own_seconds "$v_own" "s (median of ${VAL_OWNS[*]}; its JSON duration_ms)"
result validate_in_sync "$( [[ " ${VAL_SYNC[*]} " == *" NO "* ]] && echo NO || echo yes)" "(runs: ${VAL_SYNC[*]})"
result copy_floor_seconds "$f" "s (median of ${FLOORS[*]}; COPY $TABLE TO '/dev/null' on master and standby concurrently)"
result validate_ratio "$(calc "$v / $f")" "x (validate wall / floor; goal <= 1.5)"
result validate_own_ratio "$(calc "$v_own / $f")" "x (validate's own duration / floor)"
result validate_rows_per_s "$(calc "$ROWS / $v" 0)" "rows/s (per side)"

# --- 3. resync vs pg_dump | psql -----------------------------------------------------------------------------------

phase resync
resync_once() { # -> RS_S, RS_OWN_S
    local out="$TMP/resync-$1.txt" t0 rc=0
    t0=$(now)
    lb sync resync --table "$TABLE" >"$out" 2>"$out.err" || rc=$?
    RS_S=$(secs_between "$t0" "$(now)")
    (( rc == 0 )) || die "sync resync failed (exit $rc): $(tail -n 5 "$out.err" | tr '\n' ' ')"
    grep -q "^$TABLE: copied again ($ROWS rows in" "$out" || die "sync resync said: $(cat "$out")"
    RS_OWN_S=$(calc "$(grep -o 'rows in [0-9]* ms' "$out" | grep -o '[0-9][0-9]*' | tail -1) / 1000")
}
pgdump_once() { # -> PD_S; into a freshly created, empty database on the standby server
    local t0 ok=1 n
    PGOPTIONS='-c client_min_messages=warning' sql_db S postgres "drop database if exists $DUMPDB"
    sql_db S postgres "create database $DUMPDB"
    sql S "checkpoint"
    t0=$(now)
    timeout "$CMD_TIMEOUT" "$PGBIN/pg_dump" -t "$TABLE" -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
        | timeout "$CMD_TIMEOUT" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/S" -p "${PORT[S]}" -U postgres \
            -d "$DUMPDB" >/dev/null || ok=0
    PD_S=$(secs_between "$t0" "$(now)")
    (( ok )) || die "pg_dump -t $TABLE | psql failed"
    n=$(sql_db S "$DUMPDB" "select count(*) from $TABLE")
    [[ $n == "$ROWS" ]] || die "pg_dump | psql copied $n of $ROWS rows"
}
RSS=() RS_OWNS=() PDS=()
for r in $(seq 1 "$RESYNC_REPEAT"); do
    for what in $( (( r % 2 )) && echo "resync pgdump" || echo "pgdump resync"); do
        checkpoint_both
        if [[ $what == resync ]]; then
            resync_once "$r"
            RSS+=("$RS_S") RS_OWNS+=("$RS_OWN_S")
            log "resync #$r: ${RS_S}s wall (its own report ${RS_OWN_S}s); sync run still alive"
            lb_alive
        else
            pgdump_once
            PDS+=("$PD_S")
            log "pg_dump | psql #$r: ${PD_S}s"
        fi
    done
done
sql_db S postgres "drop database if exists $DUMPDB"
rs=$(median "${RSS[@]}"); rs_own=$(median "${RS_OWNS[@]}"); pd=$(median "${PDS[@]}")
result resync_seconds "$rs" "s (median of ${RSS[*]}; wall time of sync resync --table $TABLE while sync run runs, incl. JVM start)"
result resync_own_seconds "$rs_own" "s (median of ${RS_OWNS[*]}; its 'copied again (... in N ms)' line)"
result pgdump_psql_seconds "$pd" "s (median of ${PDS[*]}; pg_dump -t $TABLE | psql into an empty database on the standby server)"
result resync_speed_ratio "$(calc "$pd / $rs")" "x (pg_dump|psql / resync wall; goal >= 1.0)"
result resync_own_speed_ratio "$(calc "$pd / $rs_own")" "x (pg_dump|psql / resync's own time)"
result resync_mb_per_s "$(calc "$MB / $rs" 1)" "MB/s (pg_total_relation_size / resync wall)"

# --- 4. after the resyncs: still streaming, still identical --------------------------------------------------------

phase final_validate
probe
log "sync run still streams after the resyncs; its JVM CPU so far $(lb_cpu_seconds) s"
rc=0
t0=$(now)
lb sync validate >"$TMP/validate-final.txt" 2>"$TMP/validate-final.err" || rc=$?
s=$(secs_between "$t0" "$(now)")
sed 's/^/  validate: /' "$TMP/validate-final.txt" >&2
(( rc == 0 || rc == 2 )) || die "final sync validate failed (exit $rc): $(tail -n 5 "$TMP/validate-final.err" | tr '\n' ' ')"
FINAL=$( (( rc == 0 )) && echo yes || echo NO)
result final_validate_all_in_sync "$FINAL" "($(tail -1 "$TMP/validate-final.txt"); ${s}s wall)"
lb_alive
phase ""
lb_stop

# --- summary -------------------------------------------------------------------------------------------------------

TOTAL=$(( SECONDS - BENCH_START ))
result total_seconds "$TOTAL" s
cat <<EOF

== summary ($TOTAL s) ==
$LB_VERSION
pgbench scale $SCALE: pgbench_accounts $ROWS rows, $MB MB with its index; master and standby (autovacuum off) and
Lifeboat share one $(nproc)-core machine, so every figure is noisy; validate figures are medians of $REPEAT run(s),
resync figures of $RESYNC_REPEAT.
Load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) (this benchmark alone keeps both cores
busy, ~2-3; much more than that is other work).
Phases: $(printf '%s s, ' "${PHASES[@]}" | sed 's/, $//').
- validate: ${v}s (own ${v_own}s) vs ${f}s to COPY the table to /dev/null on both servers at once: $(calc "$v / $f")x
  (goal <= 1.5x: $(awk -v a="$v" -v b="$f" 'BEGIN { print (a <= 1.5 * b) ? "met" : "NOT met" }')); in sync every time: $( [[ " ${VAL_SYNC[*]} " == *" NO "* ]] && echo NO || echo yes).
- resync while sync run runs: ${rs}s (own ${rs_own}s) vs pg_dump -t | psql into an empty database ${pd}s:
  speed $(calc "$pd / $rs")x (goal >= 1.0x: $(awk -v a="$pd" -v b="$rs" 'BEGIN { print (a >= b) ? "met" : "NOT met" }')).
- after the resyncs, with streamed transactions on top: all tables in sync: $FINAL.
EOF
