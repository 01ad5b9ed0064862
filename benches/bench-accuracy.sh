#!/usr/bin/env bash
# Accuracy of `llmkit bench` against the embedded mock with known latencies.
#
# Checks (each run REPEATS times, the median decides):
#   1. closed loop, concurrency 1:  p50 TTFT within 1 ms of --mock-ttft, p50 TPOT within 1 ms of --mock-itl
#   2. closed loop, concurrency 64: the same
#   3. open loop at 1,000 req/s:    scheduler lag p99 under 1 ms
# Exits non-zero when a check fails. Usage: benches/bench-accuracy.sh  (REPEATS=5 to repeat more)
set -euo pipefail
cd "$(dirname "$0")/.."

REPEATS=${REPEATS:-3}
TTFT_MS=150
ITL_MS=10

if ! command -v python3 >/dev/null; then
    apt-get update && apt-get install -y python3
fi
cargo build --release --quiet
BIN=target/release/llmkit
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "llmkit: $($BIN --version)"
echo

run_streaming() { # concurrency requests warmup name
    local c=$1 n=$2 w=$3 name=$4
    for i in $(seq 1 "$REPEATS"); do
        "$BIN" -q bench --mock --mock-ttft ${TTFT_MS}ms --mock-itl ${ITL_MS}ms \
            --prompt-tokens 64 --max-tokens 32 -c "$c" -n "$n" --warmup "$w" \
            --no-progress --format json > "$OUT/$name.$i.json"
    done
}

run_open_loop() {
    for i in $(seq 1 "$REPEATS"); do
        "$BIN" -q bench --mock --mock-ttft 20ms --mock-itl 1ms --prompt-tokens 32 --max-tokens 4 \
            --rate 1000 --arrival constant -n 5000 --warmup 200 \
            --no-progress --format json > "$OUT/open.$i.json"
    done
}

echo "running: closed loop c=1 ..."
run_streaming 1 40 4 c1
echo "running: closed loop c=64 ..."
run_streaming 64 640 64 c64
echo "running: open loop 1000 req/s ..."
run_open_loop

python3 - "$OUT" "$REPEATS" "$TTFT_MS" "$ITL_MS" <<'PY'
import json, statistics, sys
out, repeats, ttft, itl = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def runs(name):
    return [json.load(open(f"{out}/{name}.{i}.json")) for i in range(1, repeats + 1)]
failed = False
rows = []
def check(label, values, target, tolerance, kind):
    global failed
    med = statistics.median(values)
    ok = abs(med - target) <= tolerance if kind == "within" else med < target
    failed |= not ok
    want = f"{target:g} ± {tolerance:g} ms" if kind == "within" else f"< {target:g} ms"
    rows.append((label, want, ", ".join(f"{v:.3f}" for v in values), f"{med:.3f}", "ok" if ok else "FAIL"))
for name, label in (("c1", "concurrency 1"), ("c64", "concurrency 64")):
    r = runs(name)
    for x in r:
        if x["errors"]:
            print(f"{label}: {x['errors']} errors", file=sys.stderr); failed = True
    check(f"{label}: p50 TTFT", [x["ttft_ms"]["p50"] for x in r], ttft, 1.0, "within")
    check(f"{label}: p50 TPOT", [x["tpot_ms"]["p50"] for x in r], itl, 1.0, "within")
r = runs("open")
check("open loop 1000/s: sched lag p99", [x["sched_lag_ms"]["p99"] for x in r], 1.0, 0, "below")
rps = [x["request_throughput"] for x in r]
print("| check | target | runs (ms) | median | result |")
print("|---|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")
print(f"\nopen loop achieved request rate: {', '.join(f'{v:.1f}' for v in rps)} req/s")
sys.exit(1 if failed else 0)
PY
