#!/usr/bin/env bash
# Publishing benchmark (issue 3): app.amqp().publish against a raw lapin publisher, both with
# publisher confirms, 4096 publishes in flight, N persistent ~200-byte JSON bodies into one
# durable classic queue; and app.amqp().mandatory().publish against our plain publish (issue
# 19: at least 0.8x), every message routable, so that both do the same work at the broker.
#
#   scripts/bench-publish.sh                        # REPEATS=3, N=200000
#   REPEATS=1 N=50000 scripts/bench-publish.sh      # quick look
#
# The raw side is ../shared/bench's `amqp-bench prefill` (lapin 4.12.3, basic_publish in a
# loop, a VecDeque of 4096 pending confirms). Ours is examples/publish-bench
# (`app.amqp().publish(...)` futures in a FuturesUnordered of 4096). Each repeat uses a fresh
# queue name; before each run the queue is deleted and declared again (empty), and after it
# the script checks that it holds exactly N messages. The order alternates between repeats
# (lapin first, then ours first) so that neither always runs on a warmer broker.
#
# Prints one line per run (rate, CPU of the publishing process), then the median rate of
# each and the median of the per-repeat ratios ours / lapin. Every command is bounded by
# `timeout`; raw lines are appended to target/bench/publish-<date>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
N="${N:-200000}"
REPEATS="${REPEATS:-3}"
WINDOW="${WINDOW:-4096}"
SIZE="${SIZE:-200}"
LIMIT="${LIMIT:-600}" # seconds, per command
LOG="$ROOT/target/bench/publish-$(date +%Y%m%d).log"
mkdir -p "$(dirname "$LOG")"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"

(cd "$ROOT" && cargo build --release -q -p publish-bench)
(cd "$BENCH" && cargo build --release -q -p amqp-bench)
OURS="$ROOT/target/release/publish-bench"
LAPIN="$BENCH/target/release/amqp-bench"

QUEUES=()
cleanup() {
    for q in "${QUEUES[@]}"; do
        timeout 60 rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

# run LABEL QUEUE -- COMMAND...: prints "RUN label=... rate=... secs=... cpu_s=..."
run() {
    local label=$1 queue=$2; shift 3
    local out times depth
    times=$(mktemp)
    # An empty durable queue of that name (delete + declare, as amqp-bench does).
    BENCH_QUEUE="$queue" timeout "$LIMIT" "$LAPIN" prefill --n 0 >/dev/null
    if ! out=$(BENCH_QUEUE="$queue" timeout "$LIMIT" /usr/bin/time -o "$times" -f "%U %S" "$@"); then
        echo "RUN label=$label status=failed output=$(echo "$out" | tr '\n' ' ')" | tee -a "$LOG"
        rm -f "$times"
        return 0
    fi
    depth=$(BENCH_QUEUE="$queue" timeout 60 "$LAPIN" depth | sed -n 's/.*ready=\([0-9]*\).*/\1/p')
    local status=ok
    [ "$depth" = "$N" ] || status="bad-depth-$depth"
    echo "$out" | python3 -c '
import re, sys
label, status, n, cpu = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
text = sys.stdin.read()
m = re.search(r"in ([0-9.]+)s \(([0-9]+) msg/s\)", text)
if not m:
    print(f"RUN label={label} status=unparsed output={text.strip()!r}")
    sys.exit(0)
secs, rate = float(m.group(1)), int(m.group(2))
cpu_s = float(cpu[0]) + float(cpu[1])
print(f"RUN label={label} status={status} n={n} secs={secs:.3f} rate={rate} cpu_s={cpu_s:.2f} "
      f"cpu_us_per_msg={cpu_s * 1e6 / n:.1f}")
' "$label" "$status" "$N" "$(tail -n 1 "$times")" | tee -a "$LOG"
    rm -f "$times"
}

echo "== $(date -u +%FT%TZ) N=$N REPEATS=$REPEATS WINDOW=$WINDOW SIZE=$SIZE" | tee -a "$LOG"
RUN_START=$(wc -l < "$LOG")
for r in $(seq 1 "$REPEATS"); do
    q="aw.bench.publish.$$.$r"
    QUEUES+=("$q")
    lapin_run() { run lapin "$q" -- "$LAPIN" prefill --n "$N" --size "$SIZE" --window "$WINDOW"; }
    ours_run() { run asyncworker "$q" -- "$OURS" --n "$N" --size "$SIZE" --window "$WINDOW"; }
    mandatory_run() { run mandatory "$q" -- env BENCH_MANDATORY=1 "$OURS" --n "$N" --size "$SIZE" --window "$WINDOW"; }
    if [ $((r % 2)) -eq 1 ]; then lapin_run; ours_run; mandatory_run; else mandatory_run; ours_run; lapin_run; fi
    timeout 60 rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true
done

tail -n +"$((RUN_START + 1))" "$LOG" | python3 -c '
import statistics, sys
runs = {"lapin": [], "asyncworker": [], "mandatory": []}
cpu = {"lapin": [], "asyncworker": [], "mandatory": []}
for line in sys.stdin:
    if not line.startswith("RUN "):
        continue
    kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    if kv.get("status") != "ok":
        runs.setdefault(kv["label"], []).append(None)
        continue
    runs[kv["label"]].append(int(kv["rate"]))
    cpu[kv["label"]].append(float(kv["cpu_us_per_msg"]))
lapin, ours, mandatory = runs["lapin"], runs["asyncworker"], runs["mandatory"]
ratios = [o / l for l, o in zip(lapin, ours) if l and o]
m_ratios = [m / o for o, m in zip(ours, mandatory) if o and m]
med = lambda xs: statistics.median(xs) if xs else float("nan")
print()
print("| publisher | msg/s per run | median msg/s | CPU us/msg (median) |")
print("|---|---|---|---|")
for name, key, rates in (("raw lapin (amqp-bench prefill)", "lapin", lapin),
                         ("asyncworker app.amqp().publish", "asyncworker", ours),
                         ("asyncworker app.amqp().mandatory().publish", "mandatory", mandatory)):
    shown = ", ".join("failed" if r is None else str(r) for r in rates)
    print(f"| {name} | {shown} | {med([r for r in rates if r]):.0f} | {med(cpu[key]):.1f} |")
print()
print("per-repeat ratio ours/lapin: " + ", ".join(f"{x:.2f}" for x in ratios))
print(f"median ratio ours/lapin: {med(ratios):.2f} (target >= 0.90)")
print("per-repeat ratio mandatory/plain (ours): " + ", ".join(f"{x:.2f}" for x in m_ratios))
print(f"median ratio mandatory/plain: {med(m_ratios):.2f} (target >= 0.80)")
failed = sum(1 for r in lapin + ours + mandatory if r is None)
if failed:
    print(f"{failed} run(s) failed")
    sys.exit(1)
'
