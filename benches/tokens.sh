#!/usr/bin/env bash
# Speed and memory of `llmkit tokens`, side by side with OpenAI's Python tiktoken on the same
# files in the same run. Prints a markdown report (copied into benches/tokens.md).
#
#   benches/tokens.sh                 # everything (needs ~1.2 GB free in /tmp)
#   RUNS=3 SKIP_GB=1 benches/tokens.sh
#
# Inputs (in $WORK, default /tmp/llmkit-bench-tokens), all deterministic:
#   big.txt      25 MB of real text: the Rust sources and docs of the crates in Cargo.lock
#   tree/        2,000 files taken from the same sources
#   letters.txt  1 MB of one repeated letter;  cjk.txt  1 MB of CJK with no spaces
#   huge.txt     1 GB (big.txt repeated) for peak memory
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${WORK:-/tmp/llmkit-bench-tokens}
RUNS=${RUNS:-5}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || [ ! -x /usr/bin/time ]; then
  (apt-get update -qq && apt-get install -y -qq hyperfine time) >/dev/null
fi
python3 -c "import tiktoken" 2>/dev/null || pip install -q tiktoken
cargo fetch -q
cargo build -q --release
LLMKIT=$ROOT/target/release/llmkit
REF="python3 $ROOT/benches/tiktoken_count.py"

mkdir -p "$WORK"
if [ ! -f "$WORK/big.txt" ]; then
  python3 - "$WORK" <<'PY'
import glob, os, random, shutil, sys
work = sys.argv[1]
srcs = sorted(p for p in glob.glob(os.path.expanduser("~/.cargo/registry/src/*/*/**/*"), recursive=True)
              if p.endswith((".rs", ".md", ".toml")) and os.path.isfile(p))
texts = []
for p in srcs:
    try:
        texts.append((p, open(p, "rb").read().decode("utf-8")))
    except (UnicodeDecodeError, OSError):
        pass
big, n = [], 0
for _, t in texts:
    big.append(t)
    n += len(t.encode())
    if n >= 25_000_000:
        break
data = "".join(big).encode()[:25_000_000]
while True:  # cut on a character boundary
    try:
        data.decode()
        break
    except UnicodeDecodeError:
        data = data[:-1]
open(os.path.join(work, "big.txt"), "wb").write(data)
tree = os.path.join(work, "tree")
shutil.rmtree(tree, ignore_errors=True)
os.makedirs(tree)
picked = [t for t in texts if 2_000 <= len(t[1].encode()) <= 200_000][:2000]
for i, (p, t) in enumerate(picked):
    sub = os.path.join(tree, f"d{i // 100:02}")
    os.makedirs(sub, exist_ok=True)
    open(os.path.join(sub, f"f{i:04}_{os.path.basename(p)}"), "w", encoding="utf-8", newline="").write(t)
rng = random.Random(7)
open(os.path.join(work, "letters.txt"), "w").write("a" * 1_000_000)
cjk = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(333_334))
open(os.path.join(work, "cjk.txt"), "w", encoding="utf-8").write(cjk)
PY
fi
if [ -z "${SKIP_GB:-}" ] && [ ! -f "$WORK/huge.txt" ]; then
  for _ in $(seq 40); do cat "$WORK/big.txt"; done > "$WORK/huge.txt"
fi

median() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join('%.4f' % x['median'] for x in r))" "$1"; }
size_mb() { python3 -c "import os,sys; print('%.2f' % (sum(os.path.getsize(os.path.join(d,f)) for d,_,fs in os.walk(sys.argv[1]) for f in fs)/1e6 if os.path.isdir(sys.argv[1]) else os.path.getsize(sys.argv[1])/1e6))" "$1"; }
# hf WARMUP RUNS COMMAND: median wall time in seconds (hyperfine, no shell).
hf() { hyperfine -N --style none --warmup "$1" --runs "$2" --export-json "$WORK/hf.json" "$3" >/dev/null 2>>"$WORK/hyperfine.log"; median "$WORK/hf.json"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
mbs() { python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
ms() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) * 1000))" "$1"; }
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}'; }
same() { [ "$1" = "$2" ] && echo "equal" || echo "DIFFERENT ($1 vs $2)"; }
PYRUNS=${PYRUNS:-3}

TREE_FILES=$(find "$WORK/tree" -type f | sort | tr "\n" " ")
echo "## llmkit tokens vs Python tiktoken $(python3 -c 'import tiktoken; print(tiktoken.__version__)')"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start."
echo "Wall time of the whole process, median of $RUNS runs for llmkit (after 1 warm-up) and $PYRUNS for Python (hyperfine -N)."
echo
echo "| input | encoding | llmkit | tiktoken, 1 thread | ratio | tiktoken encode-only (1 run) | tiktoken, 2 threads | ratio | counts |"
echo "|---|---|---|---|---|---|---|---|---|"
for enc in o200k_base cl100k_base; do
  for input in big.txt tree; do
    path=$WORK/$input
    mb=$(size_mb "$path")
    if [ "$input" = tree ]; then files=$TREE_FILES; else files=$path; fi
    # One untimed run: the reference count and tiktoken's encode-only speed (start-up and
    # reading excluded), as tiktoken_count.py --time reports it.
    ref=$($REF $enc --time $files 2>"$WORK/only.txt" | awk '{s += $1} END {print s}')
    only=$(sed 's/.*= //' "$WORK/only.txt")
    ours_count=$("$LLMKIT" tokens -q -e $enc --format csv "$path" | awk -F, 'NR > 1 {s += $2} END {print s}')
    ours=$(hf 1 "$RUNS" "$LLMKIT tokens -q -e $enc $path")
    theirs=$(hf 0 "$PYRUNS" "$REF $enc $files")
    if [ "$input" = tree ]; then
      theirs2=$(hf 0 "$PYRUNS" "$REF $enc --threads 2 $files")
      two="$(ms "$theirs2") ms | $(ratio "$theirs2" "$ours")x"
      label="tree/ ($mb MB, 2,000 files)"
    else
      two="n/a (one text) | "
      label="big.txt ($mb MB)"
    fi
    echo "| $label | $enc | $(ms "$ours") ms = $(mbs "$mb" "$ours") MB/s | $(ms "$theirs") ms = $(mbs "$mb" "$theirs") MB/s | **$(ratio "$theirs" "$ours")x** | $only | $two | $(same "$ours_count" "$ref") |"
  done
done
echo
echo "| check | median (llmkit) | target |"
echo "|---|---|---|"
echo "hi" > "$WORK/hi.txt"
# `echo hi | llmkit tokens`, with the shell's own cost measured alone and reported beside it.
hi=$(hyperfine -N --style none --warmup 5 --runs $((RUNS * 10)) --export-json "$WORK/hf.json" "sh -c 'echo hi | $LLMKIT tokens'" >/dev/null 2>>"$WORK/hyperfine.log"; median "$WORK/hf.json")
sh_only=$(hyperfine -N --style none --warmup 5 --runs $((RUNS * 10)) --export-json "$WORK/hf.json" "sh -c 'echo hi | cat'" >/dev/null 2>>"$WORK/hyperfine.log"; median "$WORK/hf.json")
echo "| \`sh -c 'echo hi \| llmkit tokens'\` | $(ms "$hi") ms (\`sh -c 'echo hi \| cat'\`: $(ms "$sh_only") ms) | < 60 ms |"
for adv in letters.txt cjk.txt; do
  t=$(hf 1 "$RUNS" "$LLMKIT tokens $WORK/$adv")
  echo "| $adv (1 MB, no spaces) | $(ms "$t") ms ($($LLMKIT tokens "$WORK/$adv") tokens) | < 100 ms |"
done
for adv in letters.txt cjk.txt; do
  start=$(date +%s.%N)
  if timeout 60 $REF o200k_base --time "$WORK/$adv" >/dev/null 2>"$WORK/only.txt"; then
    echo "| tiktoken on $adv (one run) | $(python3 -c "import time,sys; print('%.0f ms' % ((time.time()-float(sys.argv[1]))*1000))" "$start") whole process; encode-only $(sed 's/.*= //' "$WORK/only.txt") | (for comparison) |"
  else
    echo "| tiktoken on $adv | did not finish in 60 s | (for comparison) |"
  fi
done
echo
echo "| peak memory (max RSS, /usr/bin/time -v) | llmkit | tiktoken |"
echo "|---|---|---|"
echo "| echo hi | $(rss "$LLMKIT" tokens "$WORK/hi.txt") MB | $(rss $REF o200k_base "$WORK/hi.txt") MB |"
echo "| big.txt (25 MB) | $(rss "$LLMKIT" tokens "$WORK/big.txt") MB | $(rss $REF o200k_base "$WORK/big.txt") MB |"
if [ -f "$WORK/huge.txt" ]; then
  start=$(date +%s.%N)
  /usr/bin/time -v "$LLMKIT" tokens "$WORK/huge.txt" > "$WORK/huge.count" 2> "$WORK/huge.time"
  secs=$(python3 -c "import time,sys; print('%.1f' % (time.time()-float(sys.argv[1])))" "$start")
  mem=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$WORK/huge.time")
  # Expected: the count of big.txt plus 39 times what one more copy adds (the junction between
  # copies is the same every time; pieces cannot reach from one junction to the next).
  one=$($REF o200k_base "$WORK/big.txt" | cut -f1)
  cat "$WORK/big.txt" "$WORK/big.txt" > "$WORK/two.txt"
  two=$($REF o200k_base "$WORK/two.txt" | cut -f1)
  rm -f "$WORK/two.txt"
  expect=$(( one + 39 * (two - one) ))
  echo "| huge.txt (1 GB = 40 x big.txt) | $mem MB ($secs s; $(cat "$WORK/huge.count") tokens, tiktoken-derived expectation $expect) | not run (it would hold the 1 GB text and its ids) |"
fi
