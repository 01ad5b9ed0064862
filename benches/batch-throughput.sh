#!/usr/bin/env bash
# Throughput and memory of `llmkit batch` against the embedded mock (`llmkit serve`), and the
# OpenAI cookbook's parallel request processor (a labelled re-implementation, see
# cookbook_parallel_processor.py) as the reference. Loopback only. Results: benches/batch.md.
#
#   benches/batch-throughput.sh [limits|speed|memory|cookbook|all]   (default: all)
#
# REPEAT (default 3) runs per configuration; medians are quoted. The machine is shared and
# noisy (other builds run at the same time): look at the spread, not only the median.
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT="${1:-all}"
REPEAT="${REPEAT:-3}"
N_LIMITED="${N_LIMITED:-3000}"
N_SPEED="${N_SPEED:-50000}"
N_MEMORY="${N_MEMORY:-1000000}"

command -v python3 >/dev/null || { apt-get update && apt-get install -y python3 python3-pip; }
[ -x /usr/bin/time ] || { apt-get update && apt-get install -y time; }
python3 -c "import aiohttp, tiktoken" 2>/dev/null || pip install --quiet aiohttp tiktoken

cargo build --release --quiet
BIN="$PWD/target/release/llmkit"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# Requests that cost 100 tokens each against the mock's limiter (prompt in chat format + max_tokens),
# so --rpm 3000 and --tpm 300000 bind equally: 50 requests/s, 5000 tokens/s.
gen() { # gen N FILE
  python3 - "$1" "$2" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        body = {"model": "gpt-4o-mini", "max_tokens": 80,
                "messages": [{"role": "user", "content": f"Summarize item {i:07d} of the benchmark in one line please"}]}
        f.write(json.dumps({"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}) + "\n")
PY
}

# Start `llmkit serve` on a free port with the given knobs; sets MOCK_URL and MOCK_PID.
serve() {
  local log="$WORK/serve.log"
  "$BIN" serve --addr 127.0.0.1:0 "$@" 2>"$log" &
  MOCK_PID=$!
  for _ in $(seq 100); do
    MOCK_URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$log" | head -1)
    [ -n "$MOCK_URL" ] && break
    sleep 0.05
  done
  [ -n "$MOCK_URL" ] || { cat "$log"; exit 1; }
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# One batch run; prints "wall_s rate_limited succeeded".
run_batch() { # run_batch INPUT extra-args...
  local input="$1"; shift
  rm -f "$WORK/out.jsonl" "$WORK/out.errors.jsonl"
  "$BIN" batch "$input" -o "$WORK/out.jsonl" --base-url "$MOCK_URL/v1" --provider mock \
    --no-ledger --no-progress --format json -q "$@" >"$WORK/summary.json"
  python3 -c "import json;s=json.load(open('$WORK/summary.json'));print(s['wall_s'],s['rate_limited'],s['succeeded'])"
}

limits() {
  gen "$N_LIMITED" "$WORK/in.jsonl"
  serve --rpm 3000 --tpm 300000 --ttft 200ms --itl 5ms
  # Ideal: the buckets start full (50 requests / 5000 tokens), then admit 50 requests/s; the
  # last request then takes its latency (200 ms + 15 x 5 ms for the mock's 16-token reply).
  IDEAL=$(python3 -c "print(round(($N_LIMITED - 50) / 50 + 0.275, 3))")
  echo "ideal wall time for $N_LIMITED requests: ${IDEAL}s"
  for mode in configured learned; do
    : >"$WORK/$mode.txt"
    for i in $(seq "$REPEAT"); do
      if [ "$mode" = configured ]; then
        r=$(run_batch "$WORK/in.jsonl" --rpm 3000 --tpm 300000 -j 64)
      else
        r=$(run_batch "$WORK/in.jsonl" -j 64)
      fi
      echo "$mode run $i: wall_s rate_limited succeeded = $r"
      echo "$r" >>"$WORK/$mode.txt"
    done
    med=$(cut -d' ' -f1 "$WORK/$mode.txt" | median)
    r429=$(cut -d' ' -f2 "$WORK/$mode.txt" | median)
    echo "$mode: median wall ${med}s = $(python3 -c "print(round(100*($med/$IDEAL-1),1))")% over ideal; median 429s $r429 ($(python3 -c "print(round(100*$r429/$N_LIMITED,2))")% of requests)"
  done
  kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true
}

cookbook() {
  gen "$N_LIMITED" "$WORK/in.jsonl"
  python3 -c "
import json
with open('$WORK/in.jsonl') as f, open('$WORK/bodies.jsonl', 'w') as o:
    for l in f: o.write(json.dumps(json.loads(l)['body']) + '\n')"
  serve --rpm 3000 --tpm 300000 --ttft 200ms --itl 5ms
  python3 benches/cookbook_parallel_processor.py --requests "$WORK/bodies.jsonl" --save "$WORK/cb.jsonl" \
    --url "$MOCK_URL/v1/chat/completions" --max_requests_per_minute 3000 --max_tokens_per_minute 300000
  kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true
}

speed() {
  gen "$N_SPEED" "$WORK/speed.jsonl"
  serve
  : >"$WORK/speed.txt"
  for i in $(seq "$REPEAT"); do
    r=$(run_batch "$WORK/speed.jsonl" -j 64)
    rate=$(python3 -c "w,_,s='$r'.split();print(round(int(s)/float(w)))")
    echo "speed run $i: $r -> $rate requests/s"
    echo "$rate" >>"$WORK/speed.txt"
  done
  echo "unlimited zero-latency mock: median $(median <"$WORK/speed.txt") requests/s over $N_SPEED requests"
  kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true
}

memory() {
  gen "$N_MEMORY" "$WORK/big.jsonl"
  serve
  rm -f "$WORK/out.jsonl"
  /usr/bin/time -v "$BIN" batch "$WORK/big.jsonl" -o "$WORK/out.jsonl" --base-url "$MOCK_URL/v1" \
    --provider mock --no-ledger --no-progress --format json -q -j 64 \
    >"$WORK/summary.json" 2>"$WORK/time.txt"
  cat "$WORK/summary.json"
  grep -E "Maximum resident|Elapsed" "$WORK/time.txt"
  echo "output lines: $(wc -l <"$WORK/out.jsonl")"
  kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true
}

case "$WHAT" in
  limits) limits ;;
  cookbook) cookbook ;;
  speed) speed ;;
  memory) memory ;;
  all) limits; cookbook; speed; memory ;;
  *) echo "usage: $0 [limits|speed|memory|cookbook|all]" >&2; exit 2 ;;
esac
