#!/usr/bin/env bash
# Timing fidelity of `llmkit replay`: does a replay reproduce the recorded inter-arrival times?
#
# A 1,000-request recording with Poisson arrivals (mean gap 20 ms, ~20 s) is replayed at
# --speed 1 and --speed 10 against an independent observer (benches/replay_observer.py: a
# loopback HTTP server that timestamps each request's arrival and answers at once). The error
# of request i is (arrival_i - arrival_0) - (offset_i - offset_0) / speed, over sorted
# sequences. Each speed runs RUNS times; medians of p50/p99/max are reported, next to the
# scheduler's own lag from the replay's JSON report (`schedule_lag_ms`).
#
# The replay and the observer run at nice -10 when allowed (root), so that other jobs on a
# shared machine (compilers) disturb the measurement less; the load average is printed.
#
# usage: benches/replay-timing.sh [RUNS] [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
N=${2:-1000}
command -v python3 >/dev/null || { apt-get update && apt-get install -y python3; }
cargo build --release -q
BIN=target/release/llmkit
NICE=""
if nice -n -10 true 2>/dev/null; then NICE="nice -n -10"; fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK/rec.jsonl" "$N" <<'PY'
import json, random, sys
path, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
t = 0.0
with open(path, "w") as f:
    for i in range(n):
        if i:
            t += rng.expovariate(1 / 20.0)  # mean 20 ms between requests
        f.write(json.dumps({
            "ts": "2026-01-01T00:00:00Z", "offset_ms": round(t, 3), "provider": "openai",
            "url": "http://127.0.0.1/v1/chat/completions", "model": "gpt-4o-mini", "status": 200,
            "latency_ms": 5.0, "usage": {"input_tokens": 9, "output_tokens": 1},
            "id": f"r{i}",
            "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"q{i}"}]},
            "response": {"choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}]},
        }) + "\n")
PY

run_once() { # speed -> prints "p50 p99 max lag_p99" (ms)
  local speed=$1
  rm -f "$WORK/port" "$WORK/arrivals"
  $NICE python3 benches/replay_observer.py "$WORK/port" "$WORK/arrivals" "$N" 120 2>/dev/null &
  local obs=$!
  while [ ! -s "$WORK/port" ]; do sleep 0.05; done
  OPENAI_API_KEY=sk-loopback-dummy $NICE "$BIN" replay "$WORK/rec.jsonl" --speed "$speed" \
    --base-url "http://127.0.0.1:$(cat "$WORK/port")/v1" -j 512 --no-ledger --format json -q \
    > "$WORK/report.json" || true
  wait "$obs"
  python3 - "$WORK/rec.jsonl" "$WORK/arrivals" "$speed" "$WORK/report.json" <<'PY'
import json, sys
rec, arr, speed, report = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
offs = sorted(json.loads(l)["offset_ms"] for l in open(rec))
arrivals = sorted(int(l) for l in open(arr) if l.strip())
assert len(arrivals) == len(offs), f"{len(arrivals)} arrivals for {len(offs)} requests"
raw = [(a - arrivals[0]) / 1e6 - (o - offs[0]) / speed for a, o in zip(arrivals, offs)]
# The start instant is arbitrary: remove the constant shift (the median error), so a late
# first request does not count as an error of every later one.
shift = sorted(raw)[len(raw) // 2]
errs = sorted(abs(e - shift) for e in raw)
q = lambda p: errs[min(len(errs) - 1, int(p * len(errs)))]
lag = json.load(open(report))["schedule_lag_ms"]["p99"]
print(f"{q(0.5):.3f} {q(0.99):.3f} {errs[-1]:.3f} {lag:.3f}")
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "requests=$N runs=$RUNS nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) priority='${NICE:-default}'"
echo "per run: arrival error p50 p99 max, scheduler lag p99 (ms)"
for speed in 1 10; do
  : > "$WORK/runs"
  for _ in $(seq "$RUNS"); do run_once "$speed" | tee -a "$WORK/runs"; done
  echo "speed $speed: median over $RUNS runs (ms): arrival error p50 $(cut -d' ' -f1 "$WORK/runs" | median)" \
       " p99 $(cut -d' ' -f2 "$WORK/runs" | median)  max $(cut -d' ' -f3 "$WORK/runs" | median)" \
       " scheduler lag p99 $(cut -d' ' -f4 "$WORK/runs" | median)"
done
