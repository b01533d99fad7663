#!/usr/bin/env bash
# What `lifeboat run` costs while nothing happens: CPU and memory of the service over a quiet period.
#
#   sudo bench/service-idle.sh                 # SECONDS_IDLE=600 (10 min), as the goal is stated
#   SECONDS=60 bench/service-idle.sh           # quick run (SECONDS_IDLE=60 works the same)
#
# Fresh clusters M (master) and S (standby) on free 127.0.0.1 ports (as the postgres OS user, in a temp dir under
# /tmp, always removed at exit), a small pgbench schema on both, and `lifeboat run` with replication, a nightly
# archive to a filesystem target whose window lies hours from now, the nightly validation and the daily dry-run
# (which runs once at start: it is waited for before measuring). No writes happen during the measurement: what
# remains is the service's own work (heartbeat and position every second, sequence and schema checks every 10 s,
# slot check, lock checks, scheduling). Measured from /proc/PID of the service's JVM:
#   - CPU: user+system ticks over the idle period, as % of one core        goal < 2 %
#   - RSS at the end (VmRSS) and its peak (VmHWM) over the whole run       goal <= 384 MB
# Results are lines `name: value unit` on stdout; progress goes to stderr.
set -Eeuo pipefail
export LC_ALL=C TZ=UTC

# `SECONDS=60 bench/service-idle.sh`: bash takes a SECONDS from the environment as its own counter's start, so at
# this line it still holds the caller's value; without one it is 0 here, and the default applies.
IDLE=${SECONDS_IDLE:-$SECONDS}
[[ $IDLE =~ ^[0-9]+$ ]] && (( IDLE >= 5 )) || IDLE=600
WARMUP_LIMIT=${WARMUP_LIMIT:-300}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
KEEP_TMP=${KEEP_TMP:-0}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER=${LIFEBOAT:-$REPO/lifeboat}
CLUSTER_SETTINGS=""
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
[[ $EUID -eq 0 ]] || die "run as root (clusters run as the postgres OS user via runuser)"
[[ -x $PGBIN/postgres ]] || die "no PostgreSQL at $PGBIN (set PGBIN)"

TMP=$(mktemp -d /tmp/lifeboat-service-idle.XXXXXX)
chmod 755 "$TMP"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'FAILED_AT="line $LINENO: $BASH_COMMAND"' ERR

export GNUPGHOME="$TMP/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Lifeboat Bench <bench@example.invalid>' default default never 2>/dev/null
gpg --batch --armor --export bench@example.invalid >"$TMP/bench.pub.asc"

log "clusters"
start_cluster M
start_cluster S
"$PGBIN/pgbench" -q -i -s 1 -h "$TMP/M" -p "${PORT[M]}" -U postgres bench >"$TMP/pgbench-init.log" 2>&1
"$PGBIN/pg_dump" -s -h "$TMP/M" -p "${PORT[M]}" -U postgres bench \
    | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP/S" -p "${PORT[S]}" -U postgres -d bench >/dev/null

# The archive window starts three hours from now: nothing nightly runs during the measurement.
WINDOW="$(date -u -d '+3 hours' +%H:00)-$(date -u -d '+4 hours' +%H:00)"
CFG="$TMP/lifeboat.yml"
mkdir -m 700 "$TMP/offsite"
cat >"$CFG" <<EOF
master: {host: 127.0.0.1, port: ${PORT[M]}, database: bench, user: postgres, sslmode: disable}
standby: {host: 127.0.0.1, port: ${PORT[S]}, database: bench, user: postgres, sslmode: disable}
replication: {slot: lifeboat_bench}
archive:
  recipients: [$TMP/bench.pub.asc]
  window: $WINDOW
  targets:
    - {name: offsite, type: filesystem, path: $TMP/offsite}
service:
  timezone: UTC
EOF
copy_lifeboat "$CFG"

LB_LOG="$TMP/lifeboat-run.log"
log "lifeboat run (archive window $WINDOW UTC); waiting for replication and the start-up dry-run"
"$LB" -c "$CFG" run >"$LB_LOG" 2>&1 &
LB_PID=$!
started() {
    kill -0 "$LB_PID" 2>/dev/null || die "lifeboat run exited, see $LB_LOG: $(tail -n 3 "$LB_LOG" | tr '\n' ' ')"
    grep -q 'Replicator: replicating' "$LB_LOG" && grep -Eq 'dry-run: (succeeded|failed)' "$LB_LOG" \
        && grep -Eq 'validate: (succeeded|failed|next run)' "$LB_LOG"
}
wait_until "$WARMUP_LIMIT" "lifeboat run to start replicating and finish its dry-run" started
sleep 5   # let the first sequence, schema and slot rounds pass

ticks() { awk '{ print $14 + $15 }' "/proc/$LB_PID/stat"; }
thread_ticks() { # "ticks name" per thread of the JVM (name from comm, 15 characters)
    local t
    for t in /proc/"$LB_PID"/task/*; do
        awk -v name="$(cat "$t/comm" 2>/dev/null)" '{ print $14 + $15, name }' "$t/stat" 2>/dev/null || true
    done
}
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$LB_PID/status"; }
HZ=$(getconf CLK_TCK)
t0=$(now); c0=$(ticks); thread_ticks >"$TMP/threads0.txt"
log "measuring ${IDLE}s of idle service (no writes)"
sleep "$IDLE"
kill -0 "$LB_PID" 2>/dev/null || die "lifeboat run exited during the measurement, see $LB_LOG"
t1=$(now); c1=$(ticks); thread_ticks >"$TMP/threads1.txt"
rss=$(status_kb VmRSS); hwm=$(status_kb VmHWM); threads=$(status_kb Threads)

cpu=$(calc "100 * ($c1 - $c0) / $HZ / ($t1 - $t0)" 2)
result service_idle_seconds "$(calc "$t1 - $t0" 0)" s
result service_idle_cpu "$cpu" "% of one core (goal < 2)"
result service_idle_rss "$(calc "$rss / 1024" 0)" "MB (goal <= 384)"
result service_peak_rss "$(calc "$hwm / 1024" 0)" "MB (goal <= 384)"
result service_threads "$threads" threads
# Where the CPU went, by thread name (threads of one name added up), for whoever wants to make it smaller.
log "CPU during the idle period by thread (ms):"
awk -v hz="$HZ" 'NR == FNR { before[substr($0, index($0, " ") + 1)] += $1; next }
    { name = substr($0, index($0, " ") + 1); after[name] += $1 }
    END { for (n in after) printf "%8.0f  %s\n", (after[n] - before[n]) * 1000 / hz, n }' \
    "$TMP/threads0.txt" "$TMP/threads1.txt" | sort -rn | head -8 >&2
errors=$(grep -c ' ERROR ' "$LB_LOG" || true)
result service_error_lines "$errors" lines
log "stopping lifeboat run"
kill -TERM "$LB_PID"
rc=0
wait "$LB_PID" || rc=$?
LB_PID=""
(( rc == 0 )) || die "lifeboat run exited $rc after SIGTERM (log: $LB_LOG)"
result service_stop_exit "$rc" code
