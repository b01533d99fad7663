# Shared by the benchmarks under bench/: sourced after each script has set PGBIN, TMP, REPO, LAUNCHER and
# KEEP_TMP. Clusters run as the postgres OS user on free loopback ports, with their sockets inside $TMP.

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 2; }
RESULTS=()
result() { # name value unit
    printf '%s: %s %s\n' "$1" "$2" "$3"
    RESULTS+=("$1: $2 $3")
}
now() { echo "$EPOCHREALTIME"; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A PORT=()
CLUSTERS=()
LB_PID=""
BG_PIDS=()
FAILED_AT=""

free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$(( 20000 + RANDOM % 40000 ))
        [[ " ${PORT[*]} " == *" $p "* ]] && continue
        [[ -z $(ss -Hltn "sport = :$p") ]] && { echo "$p"; return; }
    done
    die "no free port found"
}

start_cluster() { # name; CLUSTER_SETTINGS holds lines the benchmark adds to every postgresql.conf
    local c=$1 dir="$TMP/$1"
    mkdir -p "$dir"
    chown postgres: "$dir"
    PORT[$c]=$(free_port)
    runuser -u postgres -- "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale \
        >"$dir/initdb.log" 2>&1 || die "initdb $c failed: $dir/initdb.log"
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = ${PORT[$c]}
unix_socket_directories = '$dir'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
shared_buffers = 256MB
checkpoint_timeout = 30min
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = warning
$CLUSTER_SETTINGS
EOF
    CLUSTERS+=("$c")
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
        || die "cluster $c did not start: $dir/postgres.log"
    sql_db "$c" postgres "create database bench"
}

sql_db() { # cluster database sql
    "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$TMP/$1" -p "${PORT[$1]}" -U postgres -d "$2" -c "$3"
}
sql() { sql_db "$1" bench "$2"; }   # cluster sql

wait_until() { # timeout_s description command...
    local limit=$1 what=$2 deadline
    shift 2
    deadline=$(( SECONDS + limit ))
    until "$@"; do
        (( SECONDS < deadline )) || die "timed out after ${limit}s waiting for $what"
        sleep 0.1
    done
}

# Stops Lifeboat, background jobs and every cluster; keeps the logs when the run failed (or KEEP_TMP=1).
# A benchmark may define cleanup_extra for resources of its own.
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM ERR
    declare -F cleanup_extra >/dev/null && cleanup_extra
    poll_close
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    if [[ -n $LB_PID ]] && kill -0 "$LB_PID" 2>/dev/null; then
        kill -TERM "$LB_PID" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$LB_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$LB_PID" 2>/dev/null
    fi
    for c in "${CLUSTERS[@]}"; do
        local data="$TMP/$c/data"
        if [[ -f $data/postmaster.pid ]]; then
            timeout 40 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1
            if [[ -f $data/postmaster.pid ]]; then
                kill -KILL "$(head -1 "$data/postmaster.pid")" 2>/dev/null
                sleep 1
            fi
        fi
    done
    if (( rc == 0 )) && [[ $KEEP_TMP != 1 ]]; then
        rm -rf "$TMP"
    else
        rm -rf "$TMP/lifeboat" "$TMP/lifeboat_b"   # the copied jars and lib/
        for c in "${CLUSTERS[@]}"; do rm -rf "$TMP/$c/data"; done
        if (( rc != 0 )); then
            log "FAILED (exit $rc)${FAILED_AT:+ at $FAILED_AT}; clusters removed, logs kept:"
            for f in "$TMP"/*.log "$TMP"/*/postgres.log; do
                [[ -f $f ]] && log "  $f"
            done
            for f in "$TMP"/lifeboat-*.log; do
                [[ -f $f ]] || continue
                log "last lines of $f:"
                tail -n 15 "$f" | sed 's/^/    /' >&2
            done
        else
            log "kept $TMP"
        fi
    fi
    exit "$rc"
}

# The launcher builds Lifeboat now if needed; then the jar, its lib/ and the launcher are copied into the temp dir
# and run from there as LB (the launcher with LIFEBOAT_JAR set: the same JVM options an operator gets), so no
# rebuild - e.g. after someone edits a source file during the run - can land inside a timed section or change the
# code halfway. Sets LB, LB_JAR and LB_VERSION, and exports LIFEBOAT_JAR=LB_JAR. A benchmark that compares two
# builds calls it once per build, with that build's launcher and a directory name of its own.
copy_lifeboat() { # config file [launcher [directory name under $TMP]]
    local launcher=${2:-$LAUNCHER} dir="$TMP/${3:-lifeboat}" rc=0
    env -u LIFEBOAT_JAR "$launcher" -c "$1" config check >"$TMP/config-check.log" 2>&1 || rc=$?
    (( rc <= 1 )) || die "lifeboat config check failed: $(cat "$TMP/config-check.log")"
    mkdir "$dir"
    cp -a "$(dirname "$launcher")/cli/target/lifeboat.jar" "$(dirname "$launcher")/cli/target/lib" "$launcher" \
        "$dir/"
    LB_JAR="$dir/lifeboat.jar"
    export LIFEBOAT_JAR="$LB_JAR"
    LB="$dir/$(basename "$launcher")"
    "$LB" version >"$dir.version.txt" 2>&1 \
        || die "the copied lifeboat jar does not run: $(cat "$dir.version.txt")"
    LB_VERSION="$(head -1 "$dir.version.txt") from $(dirname "$launcher") ($(git -C "$(dirname "$launcher")" describe --always --dirty 2>/dev/null || echo 'not a git checkout'))"
    log "$LB_VERSION"
}

# A persistent psql session on database bench for polling (one at a time): no process start per sample, and
# autocommit, so no snapshot is held between samples.
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

# Replication lag as the benchmarks define it: on the standby, clock_timestamp() minus the newest pgbench_history
# mtime present there (same machine, same clock), in ms. mtime is the master transaction's start time
# (CURRENT_TIMESTAMP), a timestamp in UTC (the clusters run with timezone UTC); the newest row is found among the
# 20 highest hid (pgbench_history given a primary key hid bigserial, so roughly insertion order) through the primary
# key, not by a full scan. Samples every ~200 ms into a file, a line "lag epoch-seconds" each (percentile reads the
# first number), until SECONDS reaches `until`; `check` (a command) runs after every sample, e.g. to die when the
# replicator has exited.
LAG_QUERY="select round(extract(epoch from clock_timestamp()::timestamp - max(mtime)) * 1000, 1) from (select mtime from pgbench_history order by hid desc limit 20) s;"
lag_sample() { # standby until samples-file [check]
    local check=${4:-true}
    poll_open "$1"
    while (( SECONDS < $2 )); do
        poll "$LAG_QUERY"
        [[ $POLL_RESULT == ERROR* ]] && die "lag sample failed: $POLL_RESULT"
        echo "$POLL_RESULT $EPOCHREALTIME" >>"$3"
        $check
        sleep 0.2
    done
    poll_close
}
percentile() { # file pct -> the nearest-rank percentile of the lines' first numbers, whole (100: the maximum)
    local n
    n=$(wc -l <"$1")
    sort -g "$1" | awk -v n="$n" -v p="$2" 'NR == int((n * p + 99) / 100) { printf "%d", $1 }'
}
