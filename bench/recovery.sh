#!/usr/bin/env bash
# `lifeboat recover`: time to a writable, verified database for each rung, against what PostgreSQL does by itself.
#
#   sudo bench/recovery.sh                     # SCALE=64 (pgbench) + TEXT_MB=128 of random text: ~1.2 GB, REPEAT=3
#   SCALE=4 REPEAT=1 bench/recovery.sh         # quick smoke run (TEXT_MB defaults to 2 x SCALE)
#   RUNGS=offsite-dump bench/recovery.sh       # only some parts (comma-separated: dry-run, restart-master,
#                                              # promote-standby, latest-snapshot, older-snapshots, offsite-dump)
#
# Root only. On a btrfs loop volume (a sparse image in a temp dir under /tmp), three subvolumes: pg holds the master M
# (the volume the snapshots are taken of, as in production), sb the Lifeboat standby S (kept by `sync run`), ps a
# physical streaming standby P of M (pg_basebackup -R), the reference for promotion. Every cluster runs as the postgres
# OS user on free 127.0.0.1 ports, and is stopped and removed at exit, with the volume.
# The world: pgbench -i -s SCALE on M, pgbench_history given a primary key, a table of TEXT_MB of random md5 text
# (does not compress much); S gets the schema and `sync run` copies everything; then snapshot 1, `archive run` (to a
# filesystem target), a little pgbench traffic, snapshot 2, a little more traffic, S catches up, `sync run` stops,
# P catches up, a local `pg_dump -Fc` is taken (the restore reference) and M is stopped (fast). S and P are then
# kept as read-only btrfs snapshots, so each promotion starts from the same standby. amcheck is installed on S's
# database (STANDBY_AMCHECK=1), so that promote-standby's verification runs pg_amcheck as on the other rungs.
# Then, each timed REPEAT times (median reported), every Lifeboat step being `recover --from RUNG --force --json`
# (a world reset between: M stopped again, S or P back to its saved state, the recovery target removed):
#   dry-run          `recover --auto --dry-run --json` over all rungs; the per-rung verification times come from its
#                    log lines ("RUNG CANDIDATE: verified in N ms"). Goal <= 60 s.
#   restart-master   vs `pg_ctl start -w` of the same stopped master. Goal: <= 2x pg_ctl start plus verification.
#   promote-standby  vs `SELECT pg_promote()` on P. Goal <= 10 s.
#   latest-snapshot, older-snapshots   Goal <= 30 s plus verification.
#   offsite-dump     vs initdb + start + `pg_restore -j 2` of the local dump into the new cluster (the same volume).
#                    Goal <= 1.2x.
# Every time runs until a write succeeds on the result (an INSERT, rolled back), JVM start included for Lifeboat.
# The data loss is what `recover --json` reports (data_loss_seconds, data_loss_bytes). Verification and execution
# times come from the command's own log lines.
# Results are lines `name: value unit` on stdout, then the table (lines starting with '#'); progress goes to stderr.
set -Eeuo pipefail
export LC_ALL=C TZ=UTC

SCALE=${SCALE:-64}
TEXT_MB=${TEXT_MB:-$(( SCALE * 2 ))}
REPEAT=${REPEAT:-3}
RUNGS=${RUNGS:-dry-run,restart-master,promote-standby,latest-snapshot,older-snapshots,offsite-dump}
STANDBY_AMCHECK=${STANDBY_AMCHECK:-1}
TRAFFIC_SECONDS=${TRAFFIC_SECONDS:-5}      # pgbench traffic after each snapshot (the loss the later rungs report)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CMD_TIMEOUT=${CMD_TIMEOUT:-1800}           # seconds, any one command
KEEP_TMP=${KEEP_TMP:-0}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER=${LIFEBOAT:-$REPO/lifeboat}
SLOT=lifeboat_bench
CLUSTER_SETTINGS="max_wal_size = 8GB
autovacuum = off"
(( EUID == 0 )) || { echo "bench/recovery.sh needs root (loop device, mount, clusters as the postgres user)" >&2; exit 2; }

TMP=$(mktemp -d /tmp/lifeboat-bench-recovery.XXXXXX)
chmod 755 "$TMP"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
VOLUME_IMAGE="$TMP/volume.img"
MOUNT="$TMP/vol"
TARGET="$MOUNT/recovered"
REFNEW="$MOUNT/refnew"
M=vol/pg/M S=vol/sb/S P=vol/ps/P

part() { [[ ",$RUNGS," == *",$1,"* ]]; }

# Stops the postmaster of a data directory: only a process whose working directory is that directory (a copied
# postmaster.pid names some other process).
stop_dir() { # data directory
    local dir=$1 pid
    [[ -f $dir/postmaster.pid ]] || return 0
    pid=$(head -1 "$dir/postmaster.pid")
    [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$(readlink -f "$dir")" ]] || return 0
    timeout 40 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir" -m immediate -w -t 30 stop >/dev/null 2>&1 \
        || kill -KILL "$pid" 2>/dev/null || true
}
# Removes a path on the volume, subvolumes inside it first (deepest first).
remove_path() { # path
    local p=$1
    [[ -e $p ]] || return 0
    while read -r sub; do
        [[ -n $sub ]] && btrfs subvolume delete "$sub" >/dev/null
    done < <(find "$p" -inum 256 -type d 2>/dev/null | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-)
    rm -rf "$p"
}
# Stops every server whose data directory is under a path (a recovered copy's is nested: TARGET/M/data).
stop_under() { # path
    local pidfile
    while read -r pidfile; do stop_dir "$(dirname "$pidfile")"; done < <(find "$1" -maxdepth 5 -name postmaster.pid 2>/dev/null)
}
clear_target() {
    for d in "$TARGET" "$TARGET".* "$REFNEW"; do
        [[ -e $d ]] || continue
        stop_under "$d"
        remove_path "$d"
    done
}
cleanup_extra() {
    if [[ -n $LB_PID ]]; then
        kill -TERM "$LB_PID" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$LB_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$LB_PID" 2>/dev/null
        LB_PID=""
    fi
    if mountpoint -q "$MOUNT"; then
        for c in "${CLUSTERS[@]}"; do stop_dir "$TMP/$c/data"; done
        stop_under "$MOUNT"
        CLUSTERS=()
        for _ in $(seq 1 30); do umount "$MOUNT" 2>/dev/null && break; sleep 1; done
        mountpoint -q "$MOUNT" && umount -l "$MOUNT"
    fi
    rm -f "$VOLUME_IMAGE"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'FAILED_AT="line $LINENO: $BASH_COMMAND"' ERR

pg_ctl_as() { timeout "$CMD_TIMEOUT" runuser -u postgres -- "$PGBIN/pg_ctl" "$@" >/dev/null; }
start_data() { pg_ctl_as -D "$TMP/$1/data" -l "$TMP/$1/postgres.log" -w -t 300 start || die "cluster $1 did not start"; }
stop_data() { pg_ctl_as -D "$TMP/$1/data" -m fast -w -t 300 stop || die "cluster $1 did not stop"; }
# A write that must succeed (rolled back: the world stays as it was): the database is writable.
writable() { # host port database
    "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$1" -p "$2" -U postgres -d "$3" -c "begin" \
        -c "insert into pgbench_history (tid, bid, aid, delta, mtime) values (1, 1, 1, 0, now())" -c "rollback" \
        >/dev/null 2>"$TMP/writable.err" || die "not writable on $1:$2/$3: $(cat "$TMP/writable.err")"
}
secs() { calc "($2 - $1)" 2; }

# --- the volume and the clusters -----------------------------------------------------------------------------------

truncate -s 64G "$VOLUME_IMAGE"
DEVICE=$(losetup -f --show "$VOLUME_IMAGE")
mkfs.btrfs -q -f "$DEVICE" >/dev/null
mkdir -p "$MOUNT"
mount "$DEVICE" "$MOUNT"
losetup -d "$DEVICE"   # auto-clear: the loop device goes with the last unmount
for v in pg sb ps; do btrfs subvolume create "$MOUNT/$v" >/dev/null; done
chmod 755 "$MOUNT" "$MOUNT"/pg "$MOUNT"/sb "$MOUNT"/ps
log "btrfs volume mounted at $MOUNT"
result host_load_average_at_start "$(cut -d' ' -f1 /proc/loadavg)" "(1 min, $(nproc) cores)"

start_cluster "$M"
start_cluster "$S"
log "loading the master: pgbench -i -s $SCALE, $TEXT_MB MB of random text"
"$PGBIN/pgbench" -i -q -s "$SCALE" -I dtGvp -h "$TMP/$M" -p "${PORT[$M]}" -U postgres bench >"$TMP/init.log" 2>&1
sql "$M" "alter table pgbench_history add column hid bigserial primary key"
sql "$M" "create table notes (id bigint primary key, body text);
    insert into notes select g, (select string_agg(md5(random()::text || g || i), '') from generate_series(1, 31) i)
        from generate_series(1, $TEXT_MB * 1024) g"
sql "$M" "vacuum analyze"
size=$(sql "$M" "select pg_database_size('bench')")
result recovery_db_size "$(calc "$size / 1e9" 2)" GB
sql "$M" "checkpoint"
"$PGBIN/pg_dump" -s -h "$TMP/$M" -p "${PORT[$M]}" -U postgres bench \
    | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/$S" -p "${PORT[$S]}" -U postgres -d bench >/dev/null
(( STANDBY_AMCHECK )) && sql "$S" "create extension amcheck"

log "physical standby: pg_basebackup"
PORT[$P]=$(free_port)
mkdir -p "$TMP/$P"; chown postgres: "$TMP/$P"
timeout "$CMD_TIMEOUT" runuser -u postgres -- "$PGBIN/pg_basebackup" -D "$TMP/$P/data" -R -X stream -c fast \
    -h "$TMP/$M" -p "${PORT[$M]}" -U postgres >"$TMP/basebackup.log" 2>&1
printf 'port = %s\nunix_socket_directories = %s\n' "${PORT[$P]}" "'$TMP/$P'" >>"$TMP/$P/data/postgresql.conf"
CLUSTERS+=("$P")
start_data "$P"

# --- Lifeboat's sources: the standby, two snapshots, a backup ------------------------------------------------------

export GNUPGHOME="$TMP/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Lifeboat Bench <bench@example.invalid>' default default never 2>/dev/null
KEY=$(gpg --batch --with-colons --list-keys bench@example.invalid | awk -F: '/^fpr/ { print $10; exit }')
gpg --batch --armor --export "$KEY" >"$TMP/bench.pub.asc"
(umask 077; gpg --batch --armor --pinentry-mode loopback --passphrase '' --export-secret-keys "$KEY" >"$TMP/bench.key.asc"
    : >"$TMP/bench.pass")
mkdir -m 700 "$TMP/offsite"
TARGET_PORT=$(free_port)
CFG="$TMP/lifeboat.yml"
cat >"$CFG" <<EOF
master: {host: 127.0.0.1, port: ${PORT[$M]}, database: bench, user: postgres, sslmode: disable, data_directory: $TMP/$M/data}
standby: {host: 127.0.0.1, port: ${PORT[$S]}, database: bench, user: postgres, sslmode: disable}
replication: {slot: $SLOT, publication: lifeboat_bench}
snapshots:
  provider: btrfs
  volume: $MOUNT/pg
  directory: $MOUNT/snapshots
  schedule: 1s,1d/7d
  verify: false
archive:
  recipients: [$TMP/bench.pub.asc]
  targets:
    - {name: local, type: filesystem, path: $TMP/offsite}
recovery:
  target: {data_directory: $TARGET, port: $TARGET_PORT}
  key: $TMP/bench.key.asc
  passphrase_file: $TMP/bench.pass
EOF
copy_lifeboat "$CFG"

log "lifeboat sync run (initial copy to the standby)"
"$LB" -c "$CFG" sync run >"$TMP/lifeboat-sync.log" 2>&1 &
LB_PID=$!
applied() {
    kill -0 "$LB_PID" 2>/dev/null || die "sync run exited: $(tail -3 "$TMP/lifeboat-sync.log")"
    [[ $(sql "$S" "select count(*) from lifeboat.applied_position where slot_name = '$SLOT'" 2>/dev/null) == 1 ]]
}
wait_until "$CMD_TIMEOUT" "the initial sync" applied
[[ $(sql "$S" "select count(*) from pgbench_accounts") == $(( 100000 * SCALE )) ]] || die "the standby is incomplete"
traffic() { "$PGBIN/pgbench" -n -T "$TRAFFIC_SECONDS" -R 50 -c 2 -h "$TMP/$M" -p "${PORT[$M]}" -U postgres bench \
    >>"$TMP/traffic.log" 2>&1; }
lb() { # log-name args...: one lifeboat command, bounded
    local name=$1; shift
    timeout "$CMD_TIMEOUT" "$LB" -c "$CFG" "$@" >"$TMP/$name.out" 2>"$TMP/lifeboat-$name.log" \
        || die "lifeboat $* failed: $(tail -3 "$TMP/lifeboat-$name.log")"
}
lb take-1 snapshot take
log "$(head -1 "$TMP/take-1.out")"
lb archive archive run
log "$(head -1 "$TMP/archive.out")"
traffic
lb take-2 snapshot take
log "$(head -1 "$TMP/take-2.out")"
traffic
caught_up() { [[ $(sql "$S" "select count(*) from pgbench_history") == $(sql "$M" "select count(*) from pgbench_history") ]]; }
wait_until 300 "the standby to catch up" caught_up
sleep 2   # the master's position, recorded by sync run every second
kill -TERM "$LB_PID"; wait "$LB_PID" || true; LB_PID=""

log "local pg_dump -Fc (the restore reference)"
timeout "$CMD_TIMEOUT" "$PGBIN/pg_dump" -Fc -h "$TMP/$M" -p "${PORT[$M]}" -U postgres -d bench -f "$TMP/local.dump"
end_lsn=$(sql "$M" "select pg_current_wal_lsn()")
replayed() { [[ $(sql "$P" "select pg_last_wal_replay_lsn() >= '$end_lsn'") == t ]]; }
wait_until 300 "the physical standby to replay $end_lsn" replayed
stop_data "$M"
sleep 1   # P receives the shutdown checkpoint
stop_data "$P"
stop_data "$S"
btrfs subvolume snapshot -r "$MOUNT/ps" "$MOUNT/ps.base" >/dev/null
btrfs subvolume snapshot -r "$MOUNT/sb" "$MOUNT/sb.base" >/dev/null
start_data "$S"
log "the world is ready: master stopped, standby up, 2 snapshots, 1 backup"
starts=()
for i in $(seq 1 "$REPEAT"); do
    t0=$(now); timeout 120 "$LB" version >/dev/null 2>&1 || die "lifeboat version failed"; starts+=("$(secs "$t0" "$(now)")")
done
result lifeboat_version_command "$(median "${starts[@]}")" "s (a JVM start and exit: part of every figure below)"

reset_subvolume() { # cluster subvolume: back to the saved state, started
    [[ -f $TMP/$1/data/postmaster.pid ]] && stop_data "$1"
    btrfs subvolume delete "$MOUNT/$2" >/dev/null
    btrfs subvolume snapshot "$MOUNT/$2.base" "$MOUNT/$2" >/dev/null
    start_data "$1"
}

# One `recover`: sets R_TOTAL (s, until a write succeeded), R_VERIFY and R_EXEC (s, from its log), R_LOSS (s), R_BYTES.
recover() { # rung tag
    local rung=$1 tag=$2 t0 t1 json log host port db
    json="$TMP/recover-$tag.json" log="$TMP/lifeboat-recover-$tag.log"
    t0=$(now)
    timeout "$CMD_TIMEOUT" "$LB" -c "$CFG" recover --from "$rung" --force --json --report "$TMP/report-$tag.json" \
        >"$json" 2>"$log" || die "recover --from $rung failed: $(tail -3 "$log")"
    read -r host port db < <(jq -r '.recovered | "\(.host) \(.port) \(.database)"' "$json")
    # A restored dump's cluster asks for a password over TCP; offsite-dump keeps it beside the data directory.
    PGPASSFILE="$(jq -r '.recovered.data_directory // ""' "$json").password" writable "$host" "$port" "$db"
    t1=$(now)
    R_TOTAL=$(secs "$t0" "$t1")
    R_VERIFY=$(sed -nE "s/.* Recovery: $rung .*: verified in ([0-9]+) ms$/\1/p" "$log" | tail -1)
    R_EXEC=$(sed -nE "s/.* Recovery: $rung .*: up on .* in ([0-9]+) ms$/\1/p" "$log" | tail -1)
    [[ -n $R_VERIFY && -n $R_EXEC ]] || die "no verification or execution time in $log"
    R_VERIFY=$(calc "$R_VERIFY / 1000" 2); R_EXEC=$(calc "$R_EXEC / 1000" 2)
    R_REST=$(calc "$R_TOTAL - $R_VERIFY - $R_EXEC" 2)
    R_NOVERIFY=$(calc "$R_TOTAL - $R_VERIFY" 2)
    R_LOSS=$(jq -r '.data_loss_seconds // "?"' "$json"); R_BYTES=$(jq -r '.data_loss_bytes // "?"' "$json")
    log "$rung #$tag: ${R_TOTAL}s to writable (verification ${R_VERIFY}s, execution ${R_EXEC}s, the rest ${R_REST}s), data lost ${R_LOSS}s / ${R_BYTES} bytes"
}

declare -A T=()   # "rung.measure" -> space-separated values, one per repeat
add() { T[$1]="${T[$1]:-}${T[$1]:+ }$2"; }
med() { [[ -n ${T[$1]:-} ]] && median ${T[$1]} || echo "-"; }
TABLE=()
row() { TABLE+=("$(printf '%-18s %9s %8s  %-34s %8s  %-22s %s' "$@")"); }

# --- dry-run -------------------------------------------------------------------------------------------------------

if part dry-run; then
    for i in $(seq 1 "$REPEAT"); do
        FAILED_AT="dry-run $i"
        log="$TMP/lifeboat-dry-run-$i.log"
        t0=$(now)
        rc=0
        timeout "$CMD_TIMEOUT" "$LB" -c "$CFG" recover --auto --dry-run --json >"$TMP/dry-run-$i.json" 2>"$log" || rc=$?
        t1=$(now)
        (( rc == 0 )) || die "the dry-run exited $rc: $(tail -3 "$log")"
        add dry.total "$(secs "$t0" "$t1")"
        # every verification of a rung in this run, summed (a rung may verify more than one candidate)
        while read -r r ms; do add "dry.$r" "$(calc "$ms / 1000" 2)"; done < <(
            sed -nE 's/.* Recovery: ([a-z-]+) .*: .* in ([0-9]+) ms$/\1 \2/p' "$log" \
                | awk '{ t[$1] += $2 } END { for (r in t) print r, t[r] }')
        log "dry-run #$i: $(secs "$t0" "$t1")s; $(jq -r '[.rungs[] | "\(.rung) \(.state)"] | join(", ")' "$TMP/dry-run-$i.json")"
    done
    jq -r '.rungs[] | "\(.rung)\t\(.candidate)\t\(.state)\t\(.reason // "")\t\(.data_loss_seconds // "-") s\t\(.data_loss_bytes // "-") B"' \
        "$TMP/dry-run-$REPEAT.json" | sed 's/^/  /' >&2
    result dry_run_all_rungs "$(med dry.total)" "s (goal <= 60)"
    dominant="" dmax=0
    for r in restart-master master-volume-snapshot promote-standby latest-snapshot older-snapshots offsite-dump; do
        [[ -n ${T[dry.$r]:-} ]] || continue
        v=$(med "dry.$r")
        result "dry_run_verify_${r//-/_}" "$v" s
        if awk -v a="$v" -v b="$dmax" 'BEGIN { exit !(a > b) }'; then dominant=$r dmax=$v; fi
    done
    result dry_run_dominated_by "$dominant" "($dmax s of $(med dry.total) s)"
    row dry-run "$(med dry.total)" "-" "-" "-" "<= 60 s" "slowest verification: $dominant ${dmax}s"
fi

# --- rung 1: restart-master vs pg_ctl start ------------------------------------------------------------------------

if part restart-master; then
    for i in $(seq 1 "$REPEAT"); do
        FAILED_AT="restart-master $i"
        t0=$(now)
        pg_ctl_as -D "$TMP/$M/data" -l "$TMP/$M/postgres.log" -w -t 300 start
        writable 127.0.0.1 "${PORT[$M]}" bench
        t1=$(now)
        add ref1 "$(secs "$t0" "$t1")"
        stop_data "$M"
        recover restart-master "restart-master-$i"
        add r1.total "$R_TOTAL"; add r1.verify "$R_VERIFY"; add r1.exec "$R_EXEC"; add r1.rest "$R_REST"; add r1.nov "$R_NOVERIFY"; add r1.loss "$R_LOSS"; add r1.bytes "$R_BYTES"
        stop_data "$M"
        log "restart-master #$i: pg_ctl start ${T[ref1]##* }s, lifeboat $R_TOTAL s"
    done
    ref=$(med ref1) tot=$(med r1.total) ver=$(med r1.verify)
    result pg_ctl_start "$ref" s
    result restart_master "$tot" s
    result restart_master_verification "$ver" s
    result restart_master_execution "$(med r1.exec)" s
    result restart_master_rest "$(med r1.rest)" "s (JVM start, probes, reference, plan, report, the write check)"
    result restart_master_without_verification "$(med r1.nov)" s
    result restart_master_vs_pg_ctl_start "$(calc "$(med r1.nov) / $ref" 2)" "ratio, verification excluded (goal <= 2)"
    result restart_master_data_loss "$(med r1.loss)" "s, $(med r1.bytes) bytes of WAL"
    row restart-master "$tot" "$ver" "pg_ctl start" "$ref" "<= 2x ref + verify" \
        "$(calc "$(med r1.nov) / $ref" 2)x ref + verify; lost $(med r1.loss) s / $(med r1.bytes) B"
fi

# --- rung 3: promote-standby vs pg_promote() on a physical standby -------------------------------------------------

if part promote-standby; then
    for i in $(seq 1 "$REPEAT"); do
        FAILED_AT="promote-standby $i"
        reset_subvolume "$P" ps
        t0=$(now)
        [[ $(sql "$P" "select pg_promote(true, 60)") == t ]] || die "pg_promote() did not promote within 60 s"
        writable 127.0.0.1 "${PORT[$P]}" bench
        t1=$(now)
        add ref3 "$(secs "$t0" "$t1")"
        stop_data "$P"
        reset_subvolume "$S" sb
        recover promote-standby "promote-standby-$i"
        add r3.total "$R_TOTAL"; add r3.verify "$R_VERIFY"; add r3.exec "$R_EXEC"; add r3.rest "$R_REST"; add r3.loss "$R_LOSS"; add r3.bytes "$R_BYTES"
        log "promote-standby #$i: pg_promote() ${T[ref3]##* }s, lifeboat $R_TOTAL s"
    done
    reset_subvolume "$S" sb
    ref=$(med ref3) tot=$(med r3.total) ver=$(med r3.verify)
    result pg_promote_physical_standby "$ref" s
    result promote_standby "$tot" "s (goal <= 10)"
    result promote_standby_verification "$ver" s
    result promote_standby_execution "$(med r3.exec)" s
    result promote_standby_rest "$(med r3.rest)" "s (JVM start, probes, reference, plan, report, the write check)"
    result promote_standby_vs_pg_promote "$(calc "$tot / $ref" 1)" "ratio"
    result promote_standby_data_loss "$(med r3.loss)" "s, $(med r3.bytes) bytes of WAL"
    row promote-standby "$tot" "$ver" "pg_promote() physical standby" "$ref" "<= 10 s" \
        "$(calc "$tot / $ref" 1)x ref; lost $(med r3.loss) s / $(med r3.bytes) B"
fi

# --- rungs 4 and 5: snapshots --------------------------------------------------------------------------------------

for rung in latest-snapshot older-snapshots; do
    part "$rung" || continue
    k=${rung//-/_}
    for i in $(seq 1 "$REPEAT"); do
        FAILED_AT="$rung $i"
        clear_target
        recover "$rung" "$rung-$i"
        add "$k.total" "$R_TOTAL"; add "$k.verify" "$R_VERIFY"; add "$k.exec" "$R_EXEC"; add "$k.rest" "$R_REST"; add "$k.nov" "$R_NOVERIFY"; add "$k.loss" "$R_LOSS"; add "$k.bytes" "$R_BYTES"
    done
    clear_target
    tot=$(med "$k.total") ver=$(med "$k.verify")
    result "$k" "$tot" s
    result "${k}_verification" "$ver" s
    result "${k}_execution" "$(med "$k.exec")" s
    result "${k}_rest" "$(med "$k.rest")" "s (JVM start, probes, reference, plan, report, the write check)"
    result "${k}_without_verification" "$(med "$k.nov")" "s (goal <= 30)"
    result "${k}_data_loss" "$(med "$k.loss")" "s, $(med "$k.bytes") bytes of WAL"
    row "$rung" "$tot" "$ver" "-" "-" "<= 30 s + verify" \
        "$(med "$k.nov") s + verify; lost $(med "$k.loss") s / $(med "$k.bytes") B"
done

# --- rung 6: offsite-dump vs pg_restore -j 2 into a new cluster ----------------------------------------------------

if part offsite-dump; then
    chown postgres: "$TMP/local.dump"
    for i in $(seq 1 "$REPEAT"); do
        FAILED_AT="offsite-dump $i"
        clear_target
        port=$(free_port)
        t0=$(now)
        mkdir -p "$REFNEW"; chown postgres: "$REFNEW"
        timeout "$CMD_TIMEOUT" runuser -u postgres -- "$PGBIN/initdb" -D "$REFNEW/data" -A trust -U postgres -E UTF8 \
            --no-locale >"$TMP/refnew-initdb.log" 2>&1 || die "initdb failed: $TMP/refnew-initdb.log"
        printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n" "$port" "$REFNEW" \
            >>"$REFNEW/data/postgresql.conf"
        pg_ctl_as -D "$REFNEW/data" -l "$REFNEW/postgres.log" -w -t 300 start
        "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "create database bench" >/dev/null
        t1=$(now)
        timeout "$CMD_TIMEOUT" "$PGBIN/pg_restore" -j 2 -h 127.0.0.1 -p "$port" -U postgres -d bench "$TMP/local.dump" \
            >"$TMP/pg_restore.log" 2>&1 || die "pg_restore failed: $(tail -3 "$TMP/pg_restore.log")"
        writable 127.0.0.1 "$port" bench
        t2=$(now)
        add ref6 "$(secs "$t0" "$t2")"; add ref6.restore "$(secs "$t1" "$t2")"
        stop_dir "$REFNEW/data"
        clear_target
        recover offsite-dump "offsite-dump-$i"
        add r6.total "$R_TOTAL"; add r6.verify "$R_VERIFY"; add r6.exec "$R_EXEC"; add r6.rest "$R_REST"; add r6.nov "$R_NOVERIFY"; add r6.loss "$R_LOSS"; add r6.bytes "$R_BYTES"
        log "offsite-dump #$i: new cluster + pg_restore -j 2 ${T[ref6]##* }s (restore ${T[ref6.restore]##* }s), lifeboat $R_TOTAL s"
    done
    clear_target
    ref=$(med ref6) tot=$(med r6.total) ver=$(med r6.verify)
    result local_dump_size "$(calc "$(stat -c %s "$TMP/local.dump") / 1e6" 0)" MB
    result pg_restore_j2_new_cluster "$ref" "s (initdb + start + pg_restore -j 2)"
    result pg_restore_j2_alone "$(med ref6.restore)" s
    result offsite_dump "$tot" s
    result offsite_dump_verification "$ver" "s (manifest, chunk hashes, full decrypt, pg_restore --list)"
    result offsite_dump_execution "$(med r6.exec)" s
    result offsite_dump_rest "$(med r6.rest)" "s (JVM start, probes, reference, plan, report, the write check)"
    result offsite_dump_vs_pg_restore_j2 "$(calc "$tot / $ref" 2)" "ratio (goal <= 1.2)"
    result offsite_dump_without_verification_vs_pg_restore_j2 "$(calc "$(med r6.nov) / $ref" 2)" ratio
    result offsite_dump_data_loss "$(med r6.loss)" "s, $(med r6.bytes) bytes of WAL"
    row offsite-dump "$tot" "$ver" "initdb+start+pg_restore -j 2" "$ref" "<= 1.2x ref" \
        "$(calc "$tot / $ref" 2)x ref; lost $(med r6.loss) s / $(med r6.bytes) B"
fi

result host_load_average_at_end "$(cut -d' ' -f1 /proc/loadavg)" "(1 min, $(nproc) cores)"
echo "# lifeboat recover, median of $REPEAT, database $(calc "$size / 1e9" 2) GB (SCALE=$SCALE TEXT_MB=$TEXT_MB), $LB_VERSION"
printf '# %-18s %9s %8s  %-34s %8s  %-22s %s\n' RUNG LIFEBOAT_S VERIFY_S REFERENCE REF_S GOAL "RESULT; DATA LOSS"
for r in "${TABLE[@]}"; do echo "# $r"; done
