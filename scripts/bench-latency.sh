#!/usr/bin/env bash
# Publish-to-handler latency at a fixed rate: our worker (bulk 1, and bulk 100 with a 50 ms
# flush) beside a raw lapin and a raw amqprs consumer (one awaited ack per message), all at
# prefetch 256, in one run, interleaved so that each sees the same machine and broker.
#
#   scripts/bench-latency.sh                          # 1,000 and 5,000 msg/s, 20 s per point
#   RATES=1000 DURATION=5 scripts/bench-latency.sh    # quick look
#   CONSUMERS="aw-bulk1 lapin" REPEATS=3 scripts/bench-latency.sh
#
# Each point: `latency-publish --reset` empties the queue, the consumer starts, the publisher
# waits for it to attach, sends WARMUP seconds of unrecorded messages, then DURATION seconds
# of recorded ones (persistent, ~200 B, confirms on), each stamped with its publish instant;
# the consumer records receive minus publish in its handler and prints a LATENCY line on the
# last message (examples/latency-bench).
#
# Other load: the CPU every other process (kernel threads too) used over the publishing
# period, in cores (the sum over /proc, as the machine-wide counters of this VM lag when idle). A run above BUSY cores (0.3) is marked busy and
# taken again, up to RETRIES (2) more times; the table keeps the quiet runs (or says busy).
# A run that recorded fewer messages than it published is marked lost.
#
# Prints one LATRESULT line per run and a table of medians over the quiet runs; raw lines are
# appended to target/bench/latency-<date>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATES="${RATES:-1000 5000}"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-2}"
REPEATS="${REPEATS:-1}"
RETRIES="${RETRIES:-2}"
BUSY="${BUSY:-0.3}"
CONSUMERS="${CONSUMERS:-aw-bulk1 aw-bulk100 lapin amqprs}"
export BENCH_QUEUE="${BENCH_QUEUE:-aw.bench.latency}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
LOG="$ROOT/target/bench/latency-$(date +%Y%m%d).log"
mkdir -p "$(dirname "$LOG")"

(cd "$ROOT" && cargo build --release -q -p latency-bench --bins)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
CONSUMER_LOG="$(mktemp /tmp/bench-latency-consumer.XXXXXX)"
SNAP0="$(mktemp)" SNAP1="$(mktemp)"
# The broker on 5672 is shared: the queue goes when the script does.
trap 'rm -f "$CONSUMER_LOG" "$SNAP0" "$SNAP1"; timeout 60 rabbitmqctl -q delete_queue "$BENCH_QUEUE" >/dev/null 2>&1 || true' EXIT

# The command line of each consumer under test.
command_of() {
    case "$1" in
        aw-bulk1) echo "env BENCH_BULK=1 BENCH_PREFETCH=256 $BIN/latency-aw" ;;
        aw-bulk100) echo "env BENCH_BULK=100 BENCH_FLUSH_MS=50 BENCH_PREFETCH=256 $BIN/latency-aw" ;;
        lapin) echo "env BENCH_PREFETCH=256 $BIN/latency-lapin" ;;
        amqprs) echo "env BENCH_PREFETCH=256 $BIN/latency-amqprs" ;;
        *) echo "unknown consumer $1" >&2; exit 2 ;;
    esac
}

snapshot() { # "pid ticks" of every process (kernel threads too)
    cat /proc/[0-9]*/stat 2>/dev/null | awk '{pid = $1; sub(/.*\) /, ""); print pid, $12 + $13}'
}
ticks_in() { # ticks_in SNAPSHOT PID: that process's ticks in the snapshot (0 if absent)
    awk -v pid="$2" '$1 == pid {t = $2} END {print t + 0}' "$1"
}
others_ticks() { # others_ticks BEFORE AFTER EXCLUDED_PIDS...: CPU ticks of the rest in between
    local before=$1 after=$2; shift 2
    awk -v skip=" $* " 'NR == FNR {t0[$1] = $2; next}
        ($1 in t0) && index(skip, " " $1 " ") == 0 {sum += $2 - t0[$1]} END {print sum + 0}' \
        "$before" "$after"
}
broker_pid() {
    ss -Hltnp 'sport = :5672' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}
calc() { # calc EXPRESSION: awk's arithmetic, two decimals
    awk "BEGIN {printf \"%.2f\", $1}"
}
field() { # field NAME LINE
    tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k {print $2}'
}

# One run: prints its LATRESULT line; returns 1 if it was busy.
run_once() {
    local name=$1 rate=$2 pid broker started c0 k0 published latency elapsed
    "$BIN/latency-publish" --reset
    : >"$CONSUMER_LOG"
    # shellcheck disable=SC2046 # the command is words on purpose
    BENCH_LABEL="$name" setsid $(command_of "$name") >"$CONSUMER_LOG" 2>&1 &
    pid=$!
    broker=$(broker_pid)
    started=$(date +%s.%N)
    snapshot >"$SNAP0"
    published=$("$BIN/latency-publish" --rate "$rate" --seconds "$DURATION" --warmup "$WARMUP") || {
        kill -TERM -- "-$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
        echo "LATRESULT label=$name rate=$rate status=failed" | tee -a "$LOG"; return 0; }
    elapsed=$(calc "$(date +%s.%N) - $started")
    local c1 k1
    snapshot >"$SNAP1"
    c0=$(ticks_in "$SNAP0" "$pid") k0=$(ticks_in "$SNAP0" "$broker")
    c1=$(ticks_in "$SNAP1" "$pid") k1=$(ticks_in "$SNAP1" "$broker")
    for _ in $(seq 1 300); do # the last message was published: its line comes within 30 s
        latency=$(grep -m1 '^LATENCY ' "$CONSUMER_LOG" || true)
        [ -n "$latency" ] && break
        sleep 0.1
    done
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ -z "$latency" ]; then
        echo "LATRESULT label=$name rate=$rate status=failed (no LATENCY line)" | tee -a "$LOG"
        tail -5 "$CONSUMER_LOG" >&2
        return 0
    fi
    local n expected pub_cpu other status=ok
    n=$(field n "$latency") expected=$((rate * DURATION))
    pub_cpu=$(field cpu_s "$published")
    # Ticks are 10 ms. The broker, the consumer and the publisher (gone by now, so in
    # neither snapshot) are the run's own load; every other process is other load.
    other=$(calc "$(others_ticks "$SNAP0" "$SNAP1" "$pid" "$broker") / 100 / $elapsed")
    [ "$n" -lt "$expected" ] && status=lost
    local busy=no
    [ "$(calc "($other > $BUSY)")" = 1.00 ] && busy=yes
    echo "LATRESULT ${latency#LATENCY } rate=$rate expected=$expected status=$status busy=$busy" \
        "other_cores=$other publisher_cores=$(calc "$pub_cpu / $elapsed")" \
        "consumer_cores=$(calc "($c1 - $c0) / 100 / $elapsed") broker_cores=$(calc "($k1 - $k0) / 100 / $elapsed")" \
        "consumer_cpu_us_per_msg=$(calc "($c1 - $c0) * 10000 / ($rate * ($DURATION + $WARMUP))")" \
        "$(sed 's/^PUBLISHED /pub_/; s/ / pub_/g' <<<"$published")" | tee -a "$LOG"
    [ "$busy" = no ]
}

touch "$LOG"
RUN_START=$(wc -l <"$LOG")
for r in $(seq 1 "$REPEATS"); do
    for rate in $RATES; do
        for name in $CONSUMERS; do
            echo "== repeat $r/$REPEATS: $name at $rate msg/s" >&2
            for attempt in $(seq 0 "$RETRIES"); do
                run_once "$name" "$rate" && break
                echo "   busy machine (other load above $BUSY cores): again ($((attempt + 1))/$RETRIES)" >&2
            done
        done
    done
done

SUMMARY="$(mktemp)"
tail -n +"$((RUN_START + 1))" "$LOG" >"$SUMMARY"
python3 - "$SUMMARY" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    if not line.startswith("LATRESULT "):
        continue
    kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    runs.setdefault((int(kv["rate"]), kv["label"]), []).append(kv)
print()
print("| rate msg/s | consumer | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms "
      "| consumer CPU us/msg | other load (cores) | runs kept |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (rate, label), kvs in sorted(runs.items()):
    ok = [k for k in kvs if k.get("status") == "ok"]
    quiet = [k for k in ok if k.get("busy") == "no"] or ok
    if not quiet:
        print(f"| {rate} | {label} | failed | | | | | | | 0 of {len(kvs)} |")
        continue
    def med(f):
        return statistics.median(float(k[f]) for k in quiet)
    p = [f"{med(f) / 1000:.2f}" for f in ("p50_us", "p90_us", "p99_us", "p999_us", "max_us")]
    mark = "" if quiet[0].get("busy") == "no" else " (busy)"
    cpu, other = med("consumer_cpu_us_per_msg"), med("other_cores")
    print(f"| {rate} | {label} | {' | '.join(p)} | {cpu:.1f} | {other:.2f}{mark} | {len(quiet)} of {len(kvs)} |")
EOF
rm -f "$SUMMARY"
