#!/usr/bin/env bash
# Replication lag of `lifeboat run` at a steady write rate while the service's own snapshot and archive jobs run,
# against the same lag with neither (goal: loaded p99 within 2x the quiet p99).
#
#   sudo bench/service-load.sh                                  # LAG_SECONDS=120 ROUNDS=1, about 15 minutes
#   LAG_SECONDS=30 LAG_WARMUP=10 ARCHIVE_GB=0.5 bench/service-load.sh   # quick smoke run
#   ROUNDS=3 bench/service-load.sh                              # A B, B A, A B: medians of 3 of each
#
# Root only: the master's data directory lives on a btrfs subvolume of a loop volume (a sparse image in the temp
# dir), so the service's snapshots are real btrfs snapshots; the master M and the standby S run as the postgres OS
# user on free 127.0.0.1 ports, in a temp dir under /tmp. Everything (servers, the service, the volume, the loop
# device, the temp dir) is removed at exit, on failure and Ctrl-C too.
#
# Set-up: pgbench -i -s SCALE on M (pgbench_history given a primary key, hid bigserial, so Lifeboat streams it, as in
# bench/replication.sh), the schema on S, `lifeboat sync run` for the initial copy, then one `lifeboat run` whose
# archive window (archive.window, UTC) opened a minute ago: it runs tonight's archive, validation and recovery
# dry-run once, so that the quiet phases find them done (the service counts them from the archive store and the
# catalog). Then S gets a table of its own, bulk.filler, ARCHIVE_GB of random hex text (about 2:1 for zstd, like
# real data; unlogged, not on the master, not replicated): the archive dumps the whole standby database, so this
# makes one archive last about as long as a phase without replicating gigabytes first. pg_dump reads it, the service
# compresses and encrypts it, like any table.
#
# Each phase is a fresh `lifeboat run` (so both pay the same JVM start): started, replication caught up, pgbench -R
# LAG_RATE on M from then on, and from the next minute boundary at least START_ALLOWANCE + LAG_WARMUP s after the
# start the lag sampled on S every ~200 ms for LAG_SECONDS (lib.sh's lag_sample: clock_timestamp() minus the newest
# replicated pgbench_history.mtime); then the service is stopped with SIGTERM.
#   quiet (A)   the set-up's config: no snapshots block, and tonight's jobs already done: replication only
#   loaded (B)  the same plus snapshots (btrfs, schedule SNAPSHOT_EVERY, verified as by default: the service takes,
#               verifies and prunes each one on its own schedule), an empty archive target, and an archive window
#               that opens at that minute boundary: the service starts its nightly archive then, on a warm JVM, with
#               the nightly validation beside it as every night (reported; it is short at these sizes)
# The service has no way to start a job on demand and runs one archive per window, so when its archive ends before
# the phase does (ARCHIVE_REPEAT=1, the default), `lifeboat archive run` processes against the same config follow
# back to back until the phase ends (a separate JVM each: the service's own contention is only in its own archive;
# the results say how much of the phase each covered).
# Rounds alternate the order (A B, B A, ...) so drift on a shared machine touches both; ROUNDS >= 2 reports medians.
# The bench fails when no snapshot or no archive overlapped a loaded phase, or when the dry-run (or, in a quiet
# phase, the validation) ran. Results are lines `name: value unit` on stdout; progress goes to stderr.
set -Eeuo pipefail
export LC_ALL=C TZ=UTC

LAG_RATE=${LAG_RATE:-500}                 # pgbench transactions per second on the master
LAG_SECONDS=${LAG_SECONDS:-120}           # sampled seconds per phase
LAG_WARMUP=${LAG_WARMUP:-30}              # seconds of load (at least) before sampling starts
START_ALLOWANCE=${START_ALLOWANCE:-60}    # seconds planned for the service's start and catch-up in each phase
ROUNDS=${ROUNDS:-1}
SCALE=${SCALE:-10}                        # pgbench scale of the replicated tables
ARCHIVE_GB=${ARCHIVE_GB:-4}               # size of the standby-only table in the dump (10^9 bytes)
ARCHIVE_REPEAT=${ARCHIVE_REPEAT:-1}       # 1: separate archive runs keep an archive going once the service's ends
SNAPSHOT_EVERY=${SNAPSHOT_EVERY:-30s}     # the loaded config's snapshots.schedule spacing
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
START_LIMIT=${START_LIMIT:-300}           # seconds, for each start-up, initial copy and catch-up
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
KEEP_TMP=${KEEP_TMP:-0}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER=${LIFEBOAT:-$REPO/lifeboat}
SLOT=lifeboat_bench
CLUSTER_SETTINGS="max_wal_size = 4GB"
HZ=$(getconf CLK_TCK)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

[[ $EUID -eq 0 ]] || die "run as root (loop device, mount; clusters run as the postgres OS user via runuser)"
[[ -x $PGBIN/postgres ]] || die "no PostgreSQL at $PGBIN (set PGBIN)"
for tool in btrfs mkfs.btrfs losetup gpg basenc; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ $LAG_RATE =~ ^[0-9]+$ && $LAG_SECONDS =~ ^[0-9]+$ && $LAG_WARMUP =~ ^[0-9]+$ && $ROUNDS =~ ^[0-9]+$ ]] \
    && (( LAG_RATE >= 1 && LAG_SECONDS >= 10 && ROUNDS >= 1 )) \
    || die "LAG_RATE, ROUNDS >= 1 and LAG_SECONDS >= 10 must be whole numbers"
[[ $ARCHIVE_GB =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "ARCHIVE_GB must be a number of GB"
[[ $SNAPSHOT_EVERY =~ ^[0-9]+(s|m)$ ]] || die "SNAPSHOT_EVERY must be like 30s or 1m"

TMP=$(mktemp -d /tmp/lifeboat-service-load.XXXXXX)
chmod 755 "$TMP"
VOLUME_IMAGE="$TMP/volume.img"
MOUNT="$TMP/vol"
KEEPER_PID=""

stop_keeper() { # the background loop of separate archive runs, and the run it started
    [[ -n $KEEPER_PID ]] || return 0
    local child
    for child in $(pgrep -P "$KEEPER_PID" 2>/dev/null || true); do kill -TERM "$child" 2>/dev/null || true; done
    kill -TERM "$KEEPER_PID" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$KEEPER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$KEEPER_PID" 2>/dev/null || true
    wait "$KEEPER_PID" 2>/dev/null || true
    KEEPER_PID=""
    return 0
}
# Runs before lib.sh's cleanup: the service, a snapshot verification's scratch server and the master must be gone
# before the volume can be unmounted; lib.sh then removes the clusters' data and the temp dir.
cleanup_extra() {
    stop_keeper
    if [[ -n $LB_PID ]] && kill -0 "$LB_PID" 2>/dev/null; then
        kill -TERM "$LB_PID" 2>/dev/null
        for _ in $(seq 1 200); do kill -0 "$LB_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$LB_PID" 2>/dev/null
        wait "$LB_PID" 2>/dev/null
    fi
    LB_PID=""
    local pidfile pid
    if [[ -d $MOUNT/snapshots ]]; then
        while IFS= read -r pidfile; do
            pid=$(head -1 "$pidfile" 2>/dev/null)
            # A snapshot carries the master's postmaster.pid: only a postmaster running in that very directory is
            # ours (its working directory is its data directory); the pid may be someone else's server by now.
            [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == postgres \
                && $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$(dirname "$(readlink -f "$pidfile")")" ]] \
                && kill -KILL "$pid" 2>/dev/null
        done < <(find "$MOUNT/snapshots" -maxdepth 8 -name postmaster.pid 2>/dev/null)
    fi
    for c in "${CLUSTERS[@]}"; do
        [[ -f $TMP/$c/data/postmaster.pid ]] && timeout 40 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/$c/data" \
            -m immediate -w -t 30 stop >/dev/null 2>&1
    done
    [[ -n ${M:-} && -f $TMP/$M/postgres.log ]] && cp "$TMP/$M/postgres.log" "$TMP/master-postgres.log"
    if mountpoint -q "$MOUNT"; then
        umount "$MOUNT" 2>/dev/null || { sleep 1; umount "$MOUNT" 2>/dev/null; } || umount -l "$MOUNT"
    fi
    local dev
    for dev in $(losetup -j "$VOLUME_IMAGE" 2>/dev/null | cut -d: -f1); do losetup -d "$dev" 2>/dev/null; done
    rm -f "$VOLUME_IMAGE"
    rm -rf "$TMP"/archive-*   # backups: gigabytes, never worth keeping
    [[ -d $TMP/gnupg ]] && GNUPGHOME="$TMP/gnupg" gpgconf --kill gpg-agent 2>/dev/null   # key generation started it
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'FAILED_AT="line $LINENO: $BASH_COMMAND"' ERR

log "temp dir $TMP; LAG_RATE=$LAG_RATE LAG_SECONDS=$LAG_SECONDS LAG_WARMUP=$LAG_WARMUP ROUNDS=$ROUNDS SCALE=$SCALE" \
    "ARCHIVE_GB=$ARCHIVE_GB SNAPSHOT_EVERY=$SNAPSHOT_EVERY ARCHIVE_REPEAT=$ARCHIVE_REPEAT"
BENCH_START=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the btrfs volume, the clusters, the key -----------------------------------------------------------------------

truncate -s 32G "$VOLUME_IMAGE"
DEVICE=$(losetup -f --show "$VOLUME_IMAGE")
mkfs.btrfs -q -f "$DEVICE" >/dev/null
mkdir -p "$MOUNT"
mount "$DEVICE" "$MOUNT"
losetup -d "$DEVICE"   # detached as soon as it is unmounted
btrfs subvolume create "$MOUNT/pg" >/dev/null
chmod 755 "$MOUNT" "$MOUNT/pg"
log "btrfs volume mounted at $MOUNT"

export GNUPGHOME="$TMP/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Lifeboat Bench <bench@example.invalid>' default default never 2>/dev/null
gpg --batch --armor --export bench@example.invalid >"$TMP/bench.pub.asc"

M=vol/pg/master
S=S
start_cluster "$M"
start_cluster "$S"
log "clusters: master 127.0.0.1:${PORT[$M]} (on btrfs), standby :${PORT[$S]}"
log "pgbench -i -s $SCALE on the master; pgbench_history gets a primary key (hid bigserial)"
timeout 1800 "$PGBIN/pgbench" -i -q -s "$SCALE" -h "$TMP/$M" -p "${PORT[$M]}" -U postgres bench >"$TMP/pgbench-init.log" 2>&1 \
    || die "pgbench -i failed: $TMP/pgbench-init.log"
sql "$M" "alter table pgbench_history add column hid bigserial primary key"
sql "$M" "vacuum analyze"
sql "$M" "checkpoint"
"$PGBIN/pg_dump" --schema-only -h "$TMP/$M" -p "${PORT[$M]}" -U postgres bench \
    | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/$S" -p "${PORT[$S]}" -U postgres -d bench >/dev/null

# --- configs -------------------------------------------------------------------------------------------------------

# The set-up's and the quiet phases' window (UTC): opened a minute ago, for 12 hours, so every quiet phase is in the
# occurrence whose jobs the set-up ran.
WINDOW="$(date -u -d '-1 minute' +%H:%M)-$(date -u -d '+11 hours 59 minutes' +%H:%M)"
write_config() { # file archive-target-dir snapshots(0|1) archive-window
    mkdir -p -m 700 "$2"
    cat >"$1" <<EOF
master: {host: 127.0.0.1, port: ${PORT[$M]}, database: bench, user: postgres, sslmode: disable}
standby: {host: 127.0.0.1, port: ${PORT[$S]}, database: bench, user: postgres, sslmode: disable}
replication: {slot: $SLOT, publication: $SLOT}
archive:
  recipients: [$TMP/bench.pub.asc]
  window: $4
  targets:
    - {name: offsite, type: filesystem, path: $2}
service:
  timezone: UTC
EOF
    (( $3 )) || return 0
    cat >>"$1" <<EOF
snapshots:
  provider: btrfs
  volume: $MOUNT/pg
  directory: $MOUNT/snapshots
  schedule: $SNAPSHOT_EVERY,1d/7d
EOF
}
CFG_A="$TMP/quiet.yml"
write_config "$CFG_A" "$TMP/archive-quiet" 0 "$WINDOW"
copy_lifeboat "$CFG_A"

# --- helpers -------------------------------------------------------------------------------------------------------

history_count() { sql "$1" "select count(*) from pgbench_history"; }
caught_up() { lb_alive && [[ $(history_count "$S") == "$(history_count "$M")" ]]; }
lb_alive() {
    kill -0 "$LB_PID" 2>/dev/null && return 0
    die "lifeboat exited unexpectedly, see $LB_LOG: $(tail -n 3 "$LB_LOG" | tr '\n' ' ')"
}
lb_start() { # log-file lifeboat-args...
    LB_LOG=$1
    shift
    "$LB" "$@" >"$LB_LOG" 2>&1 &
    LB_PID=$!
}
lb_stop() { # SIGTERM; the service promises to stop within 30 s
    [[ -n $LB_PID ]] || return 0
    kill -TERM "$LB_PID" 2>/dev/null || true
    local deadline=$(( SECONDS + 60 )) rc=0
    while kill -0 "$LB_PID" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
    if kill -0 "$LB_PID" 2>/dev/null; then
        log "lifeboat did not stop within 60 s of SIGTERM, killing it"
        kill -KILL "$LB_PID" 2>/dev/null || true
    fi
    wait "$LB_PID" 2>/dev/null || rc=$?
    (( rc == 0 || rc == 143 )) || log "lifeboat exited with status $rc (log: $LB_LOG)"
    LB_PID=""
    wait_until 60 "lifeboat's slot to become inactive" slot_inactive
}
slot_inactive() {
    [[ $(sql "$M" "select count(*) from pg_replication_slots where slot_name = '$SLOT' and active") == 0 ]]
}
logged() { lb_alive && grep -Eq "$1" "$LB_LOG" 2>/dev/null; }
probe() { # a few transactions, and the standby has them
    timeout 120 "$PGBIN/pgbench" -n -t 20 -c 1 -h "$TMP/$M" -p "${PORT[$M]}" -U postgres bench >/dev/null 2>&1 \
        || die "the probe transactions failed on the master"
    wait_until "$START_LIMIT" "the standby to catch up" caught_up
}
jvm_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$LB_PID/stat"; }
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
# Runs of a kind in lifeboat.job that overlapped [from, to] (epoch seconds): "count seconds-overlapped".
job_overlap() { # kind from to
    sql "$S" "select count(*), round(coalesce(sum(extract(epoch from
                  least(coalesce(ended_at, now()), to_timestamp($3)) - greatest(started_at, to_timestamp($2)))), 0), 1)
              from lifeboat.job where kind = '$1' and started_at < to_timestamp($3)
               and coalesce(ended_at, now()) > to_timestamp($2)" | tr '|' ' '
}

# --- set-up: initial copy, then the nightly jobs once --------------------------------------------------------------

log "lifeboat sync run: initial copy to the standby"
lb_start "$TMP/lifeboat-sync.log" -c "$CFG_A" sync run
applied() { lb_alive && [[ $(sql "$S" "select count(*) from lifeboat.applied_position where slot_name = '$SLOT'" 2>/dev/null) == 1 ]]; }
wait_until "$START_LIMIT" "the initial copy" applied
probe
lb_stop

log "lifeboat run (archive window $WINDOW UTC): tonight's archive, validation and dry-run, once"
lb_start "$TMP/lifeboat-run-setup.log" -c "$CFG_A" run
nightly_done() {
    lb_alive
    [[ $(sql "$S" "select count(distinct kind) from lifeboat.job where kind in ('archive', 'validate', 'dry-run')
                   and state <> 'running'") == 3 ]]
}
wait_until 900 "the first service's archive, validation and dry-run" nightly_done
failed=$(sql "$S" "select string_agg(kind || ': ' || coalesce(detail->>'error', detail->>'message', ''), '; ')
                   from lifeboat.job where kind in ('archive', 'validate', 'dry-run') and state = 'failed'")
[[ -z $failed ]] || die "a nightly job failed in the set-up run, so it would run again in every phase: $failed"
lb_stop

log "the standby's own table bulk.filler: $ARCHIVE_GB GB of random hex text for the archive to dump"
BYTES=$(calc "$ARCHIVE_GB * 1e9 / 97 * 48" 0)   # 48 random bytes a row: 96 hex digits and a newline in the dump
t0=$(now)
# COPY FREEZE into a table created in the same transaction: written once, already frozen (no hint bits left for the
# first phase's dump to set); unlogged, so no WAL either.
cat >"$TMP/bulk.sql" <<'EOF'
begin;
create schema bulk;
create unlogged table bulk.filler (t text not null);
\copy bulk.filler (t) from pstdin with (freeze)
commit;
EOF
head -c "$BYTES" /dev/urandom | basenc --base16 -w 96 \
    | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/$S" -p "${PORT[$S]}" -U postgres -d bench -f "$TMP/bulk.sql" \
    || die "loading bulk.filler failed"
log "bulk.filler: $(sql "$S" "select count(*) from bulk.filler") rows, $(calc "$(sql "$S" "select pg_total_relation_size('bulk.filler')") / 1e9" 2) GB on disk, in $(calc "$(now) - $t0" 0) s"

# --- phases --------------------------------------------------------------------------------------------------------

# Separate `archive run`s, one after another, from the end of the service's own archive until `deadline`
# (epoch seconds); each is cut short (SIGTERM: no manifest) at the deadline. Writes "start end exit" lines.
archive_keeper() { # config deadline out-file log-file
    local start end rc left
    until grep -Eq 'archive: (succeeded|failed)' "$LB_LOG" 2>/dev/null; do
        (( $(date +%s) < $2 )) || return 0
        sleep 0.5
    done
    while :; do
        left=$(( $2 - $(date +%s) ))
        (( left >= 3 )) || return 0
        start=$(now)
        rc=0
        timeout -k 20 -s TERM "$left" "$LB" -c "$1" archive run >>"$4" 2>&1 || rc=$?
        end=$(now)
        echo "$start $end $rc" >>"$3"
    done
}

declare -A P50=() P99=() MAX=() TPS=() NS=() CPU=() BUSY=()
SNAPS=0 ARCHIVES=0 SERVICE_ARCHIVES=0 SEPARATE_ARCHIVES=0
ARCHIVE_COVER=() SERVICE_ARCHIVE_COVER=() SNAP_COVER=() ARCHIVE_RATES=() VALIDATE_SECONDS=() VALIDATIONS=0
phase() { # quiet|loaded round
    local kind=$1 r=$2 cfg samples="$TMP/lag-$1-$2.txt" pgb="$TMP/pgbench-$1-$2.log" pid ts te c0 c1 b0 b1 t0 t1
    local began at warm
    began=$(now)
    # The sampled period starts at a minute boundary far enough away for the service to start, catch up and run
    # LAG_WARMUP s under load first; the loaded config's archive window opens at that minute, so the service starts
    # its archive (and, as every night, its validation) on a warm JVM, as it would at night.
    at=$(( ( ${began%.*} + START_ALLOWANCE + LAG_WARMUP + 59 ) / 60 * 60 ))
    if [[ $kind == loaded ]]; then
        rm -rf "$TMP"/archive-loaded-*
        cfg="$TMP/loaded-$r.yml"
        write_config "$cfg" "$TMP/archive-loaded-$r" 1 \
            "$(date -u -d "@$at" +%H:%M)-$(date -u -d "@$(( at + 12 * 3600 ))" +%H:%M)"
    else
        cfg=$CFG_A
    fi
    log "round $r, $kind: lifeboat run, replication caught up"
    lb_start "$TMP/lifeboat-run-$kind-$r.log" -c "$cfg" run
    wait_until "$START_LIMIT" "lifeboat run to start replicating" logged 'Replicator: replicating'
    probe
    : >"$samples"
    warm=$(calc "$at - $(now)" 0)
    if (( warm < LAG_WARMUP )); then
        log "warning: only $warm s of warm-up before $(date -u -d "@$at" +%T): the service took longer than" \
            "START_ALLOWANCE=$START_ALLOWANCE s to start and catch up"
        if (( warm < 2 )); then   # sample from now on (the loaded window has opened already)
            warm=2
            at=$(( $(date +%s) + warm ))
        fi
    fi
    local opens=""
    [[ $kind == loaded ]] && opens=" (the archive window opens then)"
    log "round $r, $kind: pgbench -R $LAG_RATE for ${warm}+${LAG_SECONDS} s, lag sampled on the standby from" \
        "$(date -u -d "@$at" +%T)$opens"
    timeout $(( warm + LAG_SECONDS + 60 )) "$PGBIN/pgbench" -n -R "$LAG_RATE" -T $(( warm + LAG_SECONDS + 2 )) \
        -c "$CLIENTS" -j "$THREADS" -h "$TMP/$M" -p "${PORT[$M]}" -U postgres bench >"$pgb" 2>&1 &
    pid=$!
    BG_PIDS+=("$pid")
    sleep "$(calc "$at - $(now)" 3 | sed 's/^-.*/0/')"
    ts=$(now)
    if [[ $kind == loaded && $ARCHIVE_REPEAT == 1 ]]; then
        : >"$TMP/separate-archives-$r.txt"
        archive_keeper "$cfg" "$(( at + LAG_SECONDS ))" "$TMP/separate-archives-$r.txt" \
            "$TMP/lifeboat-archive-run-$r.log" &
        KEEPER_PID=$!
    fi
    c0=$(jvm_ticks); read -r b0 t0 < <(cpu_busy)
    lag_sample "$S" $(( SECONDS + LAG_SECONDS )) "$samples" lb_alive
    te=$(now)
    c1=$(jvm_ticks); read -r b1 t1 < <(cpu_busy)
    wait "$pid" || die "pgbench ($kind, round $r) failed: $pgb"
    if [[ -n $KEEPER_PID ]]; then
        local deadline=$(( SECONDS + 60 ))
        while kill -0 "$KEEPER_PID" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.2; done
        stop_keeper
    fi

    local k="$kind.$r" unexpected
    P50[$k]=$(percentile "$samples" 50)
    P99[$k]=$(percentile "$samples" 99)
    MAX[$k]=$(percentile "$samples" 100)
    NS[$k]=$(wc -l <"$samples")
    TPS[$k]=$(awk '/^tps = / { printf "%d", $3 }' "$pgb")
    CPU[$k]=$(calc "100 * ($c1 - $c0) / $HZ / ($te - $ts)" 0)
    BUSY[$k]=$(calc "100 * ($b1 - $b0) / ($t1 - $t0)" 0)
    # The dry-run is done for the day, and tonight's validation too, except in the loaded window that opened now.
    unexpected=$(sql "$S" "select string_agg(kind, ', ') from lifeboat.job where started_at >= to_timestamp($began)
                           and (kind = 'dry-run' or (kind = 'validate' and '$kind' = 'quiet'))")
    [[ -z $unexpected ]] || die "$unexpected ran during the $kind phase (see $LB_LOG)"
    local extra=""
    if [[ $kind == loaded ]]; then
        local sn sn_s ar ar_s va va_s sep=0 sep_s=0
        read -r sn sn_s < <(job_overlap snapshot "$ts" "$te")
        read -r ar ar_s < <(job_overlap archive "$ts" "$te")
        read -r va va_s < <(job_overlap validate "$ts" "$te")
        if [[ -s $TMP/separate-archives-$r.txt ]]; then
            read -r sep sep_s < <(awk -v from="$ts" -v to="$te" '
                { s = $1 > from ? $1 : from; e = $2 < to ? $2 : to; if (e > s) { n++; t += e - s } }
                END { printf "%d %.1f\n", n, t }' "$TMP/separate-archives-$r.txt")
        fi
        SNAPS=$(( SNAPS + sn )); SERVICE_ARCHIVES=$(( SERVICE_ARCHIVES + ar )); SEPARATE_ARCHIVES=$(( SEPARATE_ARCHIVES + sep ))
        ARCHIVES=$(( ARCHIVES + ar + sep )); VALIDATIONS=$(( VALIDATIONS + va ))
        SNAP_COVER+=("$(calc "100 * $sn_s / ($te - $ts)" 0)")
        ARCHIVE_COVER+=("$(calc "100 * ($ar_s + $sep_s) / ($te - $ts)" 0)")
        SERVICE_ARCHIVE_COVER+=("$(calc "100 * $ar_s / ($te - $ts)" 0)")
        VALIDATE_SECONDS+=("$va_s")
        local rate
        rate=$(sql "$S" "select round((detail->>'dump_bytes')::numeric / 1e6 / ((detail->>'duration_ms')::numeric / 1000), 1)
                         from lifeboat.job where kind = 'archive' and state = 'succeeded'
                          and started_at >= to_timestamp($began) order by id limit 1")
        [[ -n $rate ]] && ARCHIVE_RATES+=("$rate")
        extra="; snapshots $sn (busy ${sn_s} s), the service's archive ${ar_s} s${rate:+ (dump ${rate} MB/s)}, separate archive runs $sep (${sep_s} s), validation ${va_s} s"
    fi
    log "round $r, $kind: lag p50/p99/max ${P50[$k]}/${P99[$k]}/${MAX[$k]} ms (${NS[$k]} samples), master ${TPS[$k]} tps," \
        "service JVM ${CPU[$k]} % of a core, machine ${BUSY[$k]} % busy (load $(cut -d' ' -f1 /proc/loadavg))$extra"
    # Where the lag came from: its largest value in each 10 s of the sampled period, and the service's jobs (start
    # in seconds from the first sample, and duration).
    log "round $r, $kind: largest lag in each 10 s (ms): $(awk -v from="$ts" '{ b = int(($2 - from) / 10)
        if (!(b in m) || $1 > m[b]) m[b] = $1; if (b > nb) nb = b } END { for (i = 0; i <= nb; i++) printf "%d ", m[i] }' "$samples")"
    local jobs
    jobs=$(sql "$S" "select string_agg(kind || ' ' || to_char(extract(epoch from started_at) - $ts, 'FMSG990.0') || ' s ('
                         || coalesce(to_char(extract(epoch from ended_at - started_at), 'FM990.0') || ' s', 'running') || ')', ', '
                         order by id) from lifeboat.job where started_at >= to_timestamp($began)")
    [[ -n $jobs ]] && log "round $r, $kind: the service's jobs: $jobs"
    if (( TPS[$k] * 10 < LAG_RATE * 9 )); then
        log "warning: the master ran ${TPS[$k]} tps, short of $LAG_RATE: this machine could not keep the rate (see the machine's load)"
    fi
    lb_stop
}

for r in $(seq 1 "$ROUNDS"); do
    if (( r % 2 )); then phase quiet "$r"; phase loaded "$r"; else phase loaded "$r"; phase quiet "$r"; fi
done

# --- results -------------------------------------------------------------------------------------------------------

med() { # array-name kind
    local -n a=$1
    local v=() r
    for r in $(seq 1 "$ROUNDS"); do v+=("${a[$2.$r]}"); done
    median "${v[@]}"
}
all() { # array-name kind: the rounds' values, for the unit text
    local -n a=$1
    local v=() r
    for r in $(seq 1 "$ROUNDS"); do v+=("${a[$2.$r]}"); done
    echo "${v[*]}"
}
of=""
(( ROUNDS > 1 )) && of=", median of $ROUNDS rounds"
for kind in quiet loaded; do
    result "${kind}_lag_p50" "$(med P50 "$kind")" "ms$of"
    result "${kind}_lag_p99" "$(med P99 "$kind")" "ms$of${of:+: $(all P99 "$kind")}"
    result "${kind}_lag_max" "$(med MAX "$kind")" "ms$of"
    result "${kind}_master_tps" "$(med TPS "$kind")" "tps (pgbench -R $LAG_RATE$of)"
    result "${kind}_service_cpu" "$(med CPU "$kind")" "% of one core (the lifeboat run JVM while sampling$of)"
    result "${kind}_machine_busy" "$(med BUSY "$kind")" "% of all cores (anyone's work$of)"
done
q99=$(med P99 quiet)
l99=$(med P99 loaded)
(( ${q99%.*} > 0 )) || q99=1   # a p99 under 1 ms: compare with 1 ms
ratio=$(calc "$l99 / $q99" 2)
result lag_p99_ratio "$ratio" "x (loaded / quiet; goal <= 2)"
result snapshots_during_load "$SNAPS" "snapshots (take + verify overlapping the sampled ${LAG_SECONDS} s of the $ROUNDS loaded phase(s))"
result validations_during_load "$VALIDATIONS" "validations (the nightly one, which the service starts with the archive; $(median "${VALIDATE_SECONDS[@]}") s of the sampled time$of)"
result archives_during_load "$ARCHIVES" "archives ($SERVICE_ARCHIVES by the service itself, $SEPARATE_ARCHIVES separate archive runs)"
result loaded_archive_running "$(median "${ARCHIVE_COVER[@]}")" "% of the sampled time (the service's own archive: $(median "${SERVICE_ARCHIVE_COVER[@]}") %$of)"
result loaded_snapshot_running "$(median "${SNAP_COVER[@]}")" "% of the sampled time (take + verify$of)"
(( ${#ARCHIVE_RATES[@]} > 0 )) && result loaded_service_archive_dump_rate "$(median "${ARCHIVE_RATES[@]}")" "MB/s (the service's own archive, dump bytes / its duration)"
if awk -v r="$ratio" 'BEGIN { exit !(r <= 2) }'; then goal=met; else goal="not met"; fi
result goal_lag_p99_within_2x "$goal" "(loaded p99 $l99 ms vs quiet p99 $q99 ms)"

cat >&2 <<EOF

== summary ($(( SECONDS - BENCH_START )) s) ==
$LB_VERSION; pgbench scale $SCALE at $LAG_RATE tps ($CLIENTS clients), lag sampled ${LAG_SECONDS} s per phase after
at least ${LAG_WARMUP} s of load, $ROUNDS round(s); loaded: snapshots every $SNAPSHOT_EVERY (btrfs, verified) and the archive of
the standby ($ARCHIVE_GB GB standby-only table + the pgbench tables). Every process shares one $(nproc)-core machine.
Load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg).
EOF
(( SNAPS > 0 )) || die "no snapshot overlapped a loaded phase"
(( ARCHIVES > 0 )) || die "no archive overlapped a loaded phase"
