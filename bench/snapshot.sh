#!/usr/bin/env bash
# `lifeboat snapshot take` (btrfs) on a master under a fixed-rate pgbench load: what the snapshot costs the writers.
#
#   sudo bench/snapshot.sh                  # SCALES="70 350" (~1 GB and ~5 GB) REPEAT=3 RATE=200
#   SCALES=10 REPEAT=1 bench/snapshot.sh    # quick smoke run
#
# Root only: the master's data directory lives on a btrfs subvolume of a loop volume (sparse image in the temp
# dir), the master runs as the postgres OS user on a free 127.0.0.1 port. Everything is removed at exit.
# For each scale: pgbench -i, then pgbench -R RATE with per-transaction logs (-l) runs while `snapshot take` is run
# REPEAT times, LOAD_GAP seconds apart. For each take:
#   - the window: the snapshot's own record (snapshot.json: started_at .. finished_at, i.e. session open, backup
#     start with its checkpoint, sync, snapshot, backup stop, WAL copy);
#   - the longest client-side latency (latency + schedule lag) of the transactions overlapping that window, against
#     the longest in an equal window without a snapshot (the one just before it). Goal: added stall <= 100 ms;
#   - write-blocked time (0 for btrfs: no freeze), the lock step (pg_backup_start's fast checkpoint) and `take` wall
#     time with and without that checkpoint (the snapshot's own record, and the whole command incl. JVM start). Goal: take time independent of size (within 2x) and < 2 s excluding
#     the checkpoint.
# References measured in the same load, LOAD_GAP apart: a plain CHECKPOINT (what pg_backup_start's fast checkpoint
# costs by itself) and a bare `btrfs subvolume snapshot -r` of the volume (what the filesystem costs by itself).
# Results are lines `name: value unit` on stdout; progress goes to stderr.
set -Eeuo pipefail
export LC_ALL=C TZ=UTC

SCALES=${SCALES:-"70 350"}
REPEAT=${REPEAT:-3}
RATE=${RATE:-200}
LOAD_GAP=${LOAD_GAP:-8}                     # seconds of load before, between and after the takes
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
KEEP_TMP=${KEEP_TMP:-0}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER=${LIFEBOAT:-$REPO/lifeboat}
CLUSTER_SETTINGS="max_wal_size = 4GB"
(( EUID == 0 )) || { echo "bench/snapshot.sh needs root (loop device, mount)" >&2; exit 2; }

TMP=$(mktemp -d /tmp/lifeboat-bench-snapshot.XXXXXX)
chmod 755 "$TMP"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
VOLUME_IMAGE="$TMP/volume.img"
MOUNT="$TMP/vol"
cleanup_extra() {
    for c in "${CLUSTERS[@]}"; do
        [[ -f $TMP/$c/data/postmaster.pid ]] && timeout 40 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/$c/data" \
            -m immediate -w -t 30 stop >/dev/null 2>&1
    done
    CLUSTERS=()
    if mountpoint -q "$MOUNT"; then
        for s in "$MOUNT"/snapshots/*/volume "$MOUNT"/snapshots/.verify-*; do
            [[ -d $s ]] && btrfs subvolume delete "$s" >/dev/null 2>&1
        done
        umount "$MOUNT" || umount -l "$MOUNT"
    fi
    rm -f "$VOLUME_IMAGE"
}
trap cleanup EXIT INT TERM

truncate -s 64G "$VOLUME_IMAGE"
DEVICE=$(losetup -f --show "$VOLUME_IMAGE")
mkfs.btrfs -q -f "$DEVICE" >/dev/null
mkdir -p "$MOUNT"
mount "$DEVICE" "$MOUNT"
losetup -d "$DEVICE"
btrfs subvolume create "$MOUNT/pg" >/dev/null
chmod 755 "$MOUNT" "$MOUNT/pg"
log "btrfs volume mounted at $MOUNT"

C=vol/pg/master
start_cluster "$C"
CONFIG="$TMP/lifeboat.yml"
cat >"$CONFIG" <<EOF
master: {host: 127.0.0.1, port: ${PORT[$C]}, database: bench, user: postgres, sslmode: disable}
standby: {host: 127.0.0.1, port: ${PORT[$C]}, database: postgres, user: postgres, sslmode: disable}
snapshots:
  provider: btrfs
  volume: $MOUNT/pg
  directory: $MOUNT/snapshots
  schedule: 1s,1d/7d   # every take fills its own slot: none is pruned during the run
  verify: false
EOF
copy_lifeboat "$CONFIG"
LB=("$LB" -c "$CONFIG")   # the copied launcher, as copy_lifeboat set it

# max client-side latency (ms) of transactions overlapping [from, to] (epoch seconds) in pgbench's -l logs
max_latency() {
    cat "$TMP"/load/pgbench_log.* | awk -v from="$1" -v to="$2" '
        { done = $5 + $6 / 1e6; lat = ($3 + ($7 == "" ? 0 : $7)) / 1e6; start = done - lat
          if (done >= from && start <= to && lat > max) max = lat }
        END { printf "%.1f", max * 1000 }'
}
json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }
epoch_of() { date -d "$1" +%s.%N; }

for SCALE in $SCALES; do
    log "scale $SCALE: pgbench -i"
    FAILED_AT="pgbench -i -s $SCALE"
    "$PGBIN/pgbench" -i -q -s "$SCALE" -I dtgvp -h "$TMP/$C" -p "${PORT[$C]}" -U postgres bench >"$TMP/init-$SCALE.log" 2>&1
    size=$(sql "$C" "select pg_database_size('bench')")
    result "snapshot_db_size_s$SCALE" "$(calc "$size / 1e9" 2)" GB
    sql "$C" "checkpoint"
    rm -rf "$TMP/load"; mkdir -p "$TMP/load"; chown postgres: "$TMP/load"
    duration=$(( LOAD_GAP * (3 * REPEAT + 1) + REPEAT * 16 + 10 ))
    FAILED_AT="pgbench load"
    (cd "$TMP/load" && exec "$PGBIN/pgbench" -n -R "$RATE" -c 4 -j 2 -T "$duration" -l -h "$TMP/$C" -p "${PORT[$C]}" \
        -U postgres bench >"$TMP/load-$SCALE.log" 2>&1) &
    LOAD_PID=$!
    BG_PIDS+=("$LOAD_PID")
    ckpt_during=(); ckpt_before=(); bare_during=(); bare_before=()
    takes=(); walls=(); during=(); before=(); added=(); blocked=(); ckpt=()
    for i in $(seq 1 "$REPEAT"); do
        sleep "$LOAD_GAP"
        FAILED_AT="snapshot take $i (scale $SCALE)"
        t0=$(now)
        "${LB[@]}" snapshot take >"$TMP/take-$SCALE-$i.log" 2>"$TMP/lifeboat-take-$SCALE-$i.log" \
            || die "snapshot take failed: $(tail -3 "$TMP/lifeboat-take-$SCALE-$i.log")"
        t1=$(now)
        name=$(awk 'NR==1 { sub(":", "", $2); print $2 }' "$TMP/take-$SCALE-$i.log")
        meta="$MOUNT/snapshots/$name/snapshot.json"
        from=$(epoch_of "$(json_field "$meta" started_at)")
        to=$(epoch_of "$(json_field "$meta" finished_at)")
        len=$(calc "$to - $from" 3)
        lock=$(json_field "$meta" step_millis.lock)
        wall=$(calc "$t1 - $t0" 3)
        sleep 2   # let pgbench write the log lines of the window
        d=$(max_latency "$from" "$to")
        # the reference window ends 1 s before the take command started, so the JVM's start is not in it either
        b=$(max_latency "$(calc "$t0 - 1 - $len" 3)" "$(calc "$t0 - 1" 3)")
        takes+=("$len"); walls+=("$wall"); ckpt+=("$lock")
        during+=("$d"); before+=("$b"); added+=("$(calc "$d - $b" 1)"); blocked+=("$(json_field "$meta" write_blocked_millis)")
        # references in the same run: PostgreSQL's own fast checkpoint, and a bare btrfs snapshot of the volume
        sleep "$LOAD_GAP"
        r0=$(now); sql "$C" "checkpoint"; r1=$(now); sleep 2
        ckpt_during+=("$(max_latency "$r0" "$r1")"); ckpt_before+=("$(max_latency "$(calc "$r0 - 1 - ($r1 - $r0)" 3)" "$(calc "$r0 - 1" 3)")")
        sleep "$LOAD_GAP"
        r0=$(now); btrfs subvolume snapshot -r "$MOUNT/pg" "$MOUNT/bare-$SCALE-$i" >/dev/null; r1=$(now); sleep 2
        btrfs subvolume delete "$MOUNT/bare-$SCALE-$i" >/dev/null
        bare_during+=("$(max_latency "$r0" "$r1")"); bare_before+=("$(max_latency "$(calc "$r0 - 1 - ($r1 - $r0)" 3)" "$(calc "$r0 - 1" 3)")")
        log "take $i: wall ${wall}s (checkpoint ${lock} ms), window ${len}s: max latency ${d} ms vs ${b} ms before"
        # keep the volume's snapshots from piling up: only the first of each hour is kept by the schedule anyway
    done
    wait "$LOAD_PID" || true
    result "snapshot_take_s$SCALE" "$(median "${takes[@]}")" s
    result "snapshot_take_excluding_checkpoint_s$SCALE" "$(calc "$(median "${takes[@]}") - $(median "${ckpt[@]}") / 1000" 3)" s
    result "snapshot_take_command_wall_s$SCALE" "$(median "${walls[@]}")" s
    result "snapshot_checkpoint_s$SCALE" "$(calc "$(median "${ckpt[@]}") / 1000" 3)" s
    result "snapshot_write_blocked_s$SCALE" "$(median "${blocked[@]}")" ms
    result "snapshot_max_latency_during_s$SCALE" "$(median "${during[@]}")" ms
    result "snapshot_max_latency_equal_window_before_s$SCALE" "$(median "${before[@]}")" ms
    result "snapshot_added_stall_s$SCALE" "$(median "${added[@]}")" ms
    result "snapshot_added_stall_worst_s$SCALE" "$(printf '%s\n' "${added[@]}" | sort -g | tail -1)" ms
    result "reference_checkpoint_max_latency_s$SCALE" "$(median "${ckpt_during[@]}")" ms
    result "reference_checkpoint_max_latency_equal_window_before_s$SCALE" "$(median "${ckpt_before[@]}")" ms
    result "reference_bare_btrfs_snapshot_max_latency_s$SCALE" "$(median "${bare_during[@]}")" ms
    result "reference_bare_btrfs_snapshot_max_latency_equal_window_before_s$SCALE" "$(median "${bare_before[@]}")" ms
    FAILED_AT=""
done
