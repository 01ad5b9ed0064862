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

if ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
    apt-get update && apt-get install -y python3 curl
fi
cargo build --release --quiet
BIN=target/release/llmkit
OUT=$(mktemp -d)
SERVER=""
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$OUT"' EXIT

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

# Reference, not a gate: the same mock as its own process (`llmkit serve`), timed by curl (time
# to the first byte of a streamed answer) and by `bench --base-url` (time to the first chunk),
# one request at a time. The difference is what bench adds to a measurement; on a busy machine
# both move together, which separates the machine's noise from bench's own error.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" -q serve --addr 127.0.0.1:$PORT --ttft ${TTFT_MS}ms --itl ${ITL_MS}ms --reply-tokens 32 2> "$OUT/serve.log" &
SERVER=$!
for _ in $(seq 1 50); do grep -q listening "$OUT/serve.log" && break; sleep 0.1; done
BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}],"max_tokens":32,"stream":true}'
echo "running: reference (curl vs bench on llmkit serve) ..."
for i in $(seq 1 30); do
    curl -s -N -o /dev/null -w '%{time_starttransfer}\n' -H 'content-type: application/json' \
        -d "$BODY" "http://127.0.0.1:$PORT/v1/chat/completions"
done > "$OUT/curl.txt"
OPENAI_API_KEY=not-needed "$BIN" -q bench --base-url "http://127.0.0.1:$PORT/v1" -m gpt-4o-mini --prompt-tokens 64 --max-tokens 32 \
    -c 1 -n 30 --warmup 2 --no-progress --format json > "$OUT/ref.json"

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
send = ", ".join("%.3f" % x["send_delay_ms"]["p99"] for x in r)
print(f"\nopen loop achieved request rate: {', '.join(f'{v:.1f}' for v in rps)} req/s; send delay p99: {send} ms")
curl = sorted(float(l) * 1000 for l in open(f"{out}/curl.txt") if l.strip())
ref = json.load(open(f"{out}/ref.json"))
print(f"reference on `llmkit serve`: curl time to first byte p50 {statistics.median(curl):.3f} ms;"
      f" bench first chunk p50 {ref['ttfc_ms']['p50']:.3f} ms, TTFT p50 {ref['ttft_ms']['p50']:.3f} ms,"
      f" TPOT p50 {ref['tpot_ms']['p50']:.3f} ms")
sys.exit(1 if failed else 0)
PY
