#!/usr/bin/env bash
# Speed and memory of `llmkit cost report` over a ~1 GB ledger, side by side with a plain
# Python script doing the same aggregation (json.loads + dict sums, benches/report.py), in one
# run: REPEATS runs each, medians, MB/s, the ratio, and peak RSS (/usr/bin/time -v). A run on a
# 1/16 prefix of the file shows whether memory grows with the input.
#
#   benches/cost-report.sh                 # SIZE_MB=1024 REPEATS=3
#   SIZE_MB=256 REPEATS=5 benches/cost-report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB="${SIZE_MB:-1024}"
REPEATS="${REPEATS:-3}"
LEDGER="${LEDGER:-${TMPDIR:-/tmp}/llmkit-bench-ledger-${SIZE_MB}MB.jsonl}"
SMALL="${LEDGER%.jsonl}.prefix.jsonl"
if [ ! -x /usr/bin/time ]; then
  apt-get update && apt-get install -y time
fi
[ -s "$LEDGER" ] || python3 benches/gen-ledger.py "$LEDGER" "$SIZE_MB"
[ -s "$SMALL" ] || head -c $(( $(stat -c %s "$LEDGER") / 16 )) "$LEDGER" | sed '$d' > "$SMALL"
cargo build --release --quiet
LLMKIT=target/release/llmkit
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# run LABEL FILE CMD... : one timed run; appends "label wall_s rss_kb" to $TMP/runs
run() {
  local label="$1" file="$2"
  shift 2
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$TMP/time" "$@" > "$TMP/out.$label"
  t1=$(date +%s.%N)
  local rss cpu
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time")
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$TMP/time")
  echo "$label $(echo "$t1 - $t0" | bc -l) $rss $(stat -c %s "$file") $cpu" >> "$TMP/runs"
}

for i in $(seq "$REPEATS"); do
  run llmkit "$LEDGER" "$LLMKIT" -q cost report --format json "$LEDGER"
  LLMKIT_COST_THREADS=1 run llmkit-1thread "$LEDGER" "$LLMKIT" -q cost report --format json "$LEDGER"
  run python "$LEDGER" python3 benches/report.py data/prices.json "$LEDGER"
done
run llmkit-prefix "$SMALL" "$LLMKIT" -q cost report --format json "$SMALL"
run python-prefix "$SMALL" python3 benches/report.py data/prices.json "$SMALL"

python3 - "$TMP/runs" "$TMP/out.llmkit" "$TMP/out.python" <<'PY'
import json, statistics, sys
runs, cpu = {}, {}
for line in open(sys.argv[1]):
    label, wall, rss, size, secs = line.split()
    runs.setdefault(label, []).append((float(wall), int(rss), int(size)))
    cpu.setdefault(label, []).append(float(secs))
ours = json.load(open(sys.argv[2]))["total"]["cost_usd"]
theirs = float([l for l in open(sys.argv[3]) if l.startswith("TOTAL")][0].split()[1])
size = runs["llmkit"][0][2]
print(f"file: {size / 1e6:.0f} MB, {len(runs['llmkit'])} runs each (median wall time)")
med = {}
for label in ("llmkit", "llmkit-1thread", "python"):
    walls = [w for w, _, _ in runs[label]]
    med[label] = statistics.median(walls)
    c = statistics.median(cpu[label])
    rss = max(r for _, r, _ in runs[label])
    print(f"{label:14} median {med[label]:7.2f} s  {size / 1e6 / med[label]:7.1f} MB/s  "
          f"CPU {c:6.2f} s ({size / 1e6 / c:6.1f} MB per CPU-second)  peak RSS {rss / 1024:6.1f} MiB"
          f"  (runs: {', '.join(f'{w:.2f}' for w in walls)})")
print(f"ratio (wall): llmkit is {med['python'] / med['llmkit']:.1f}x faster than the Python script "
      f"({med['python'] / med['llmkit-1thread']:.1f}x on one thread)")
for label in ("llmkit", "python"):
    small = runs[label + "-prefix"][0]
    big = max(r for _, r, _ in runs[label])
    print(f"{label:7} peak RSS on a {small[2] / 1e6:.0f} MB prefix: {small[1] / 1024:.1f} MiB; on {size / 1e6:.0f} MB: {big / 1024:.1f} MiB")
print(f"total cost: llmkit {ours:.6f} USD, python {theirs:.6f} USD")
PY
