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
hf() { hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$WORK/hf.json" "$@" >/dev/null 2>&1 || hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$WORK/hf.json" "$@" >/dev/null; median "$WORK/hf.json"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
mbs() { python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
ms() { python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) * 1000))" "$1"; }
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}'; }

TREE_FILES=$(find "$WORK/tree" -type f | sort | tr "\n" " ")
echo "## llmkit tokens vs Python tiktoken $(python3 -c 'import tiktoken; print(tiktoken.__version__)')"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; medians of $RUNS runs (hyperfine), whole process unless noted."
echo
echo "| input | encoding | llmkit | tiktoken (1 thread) | ratio | tiktoken encode-only MB/s | tiktoken 2 threads | ratio |"
echo "|---|---|---|---|---|---|---|---|"
for enc in o200k_base cl100k_base; do
  for input in big.txt tree; do
    path=$WORK/$input
    mb=$(size_mb "$path")
    if [ "$input" = tree ]; then
      read -r ours theirs theirs2 < <(hf "$LLMKIT tokens -q -e $enc $path" "$REF $enc $TREE_FILES" "$REF $enc --threads 2 $TREE_FILES" | tr ' ' '\n' | paste -sd' ')
    else
      read -r ours theirs theirs2 < <(hf "$LLMKIT tokens -q -e $enc $path" "$REF $enc $path" "$REF $enc --threads 2 $path" | tr ' ' '\n' | paste -sd' ')
    fi
    # Encode-only speed as tiktoken_count.py reports it (one run; startup and file reading excluded).
    if [ "$input" = tree ]; then only=$($REF $enc --time $TREE_FILES 2>&1 >/dev/null | sed 's/.*= //; s/ MB\/s//'); else only=$($REF $enc --time "$path" 2>&1 >/dev/null | sed 's/.*= //; s/ MB\/s//'); fi
    label="$input ($mb MB$([ "$input" = tree ] && echo ", 2,000 files"))"
    echo "| $label | $enc | $(ms "$ours") ms = $(mbs "$mb" "$ours") MB/s | $(ms "$theirs") ms = $(mbs "$mb" "$theirs") MB/s | **$(ratio "$theirs" "$ours")x** | $only | $(ms "$theirs2") ms | $(ratio "$theirs2" "$ours")x |"
  done
done
echo
echo "| check | median | target |"
echo "|---|---|---|"
echo "hi" > "$WORK/hi.txt"
hi=$(hyperfine -N --style none --warmup 5 --runs $((RUNS * 10)) --input "$WORK/hi.txt" --export-json "$WORK/hf.json" "$LLMKIT tokens" >/dev/null 2>&1 && median "$WORK/hf.json" || hf "sh -c 'echo hi | $LLMKIT tokens'")
echo "| \`echo hi \| llmkit tokens\` | $(ms "$hi") ms | < 60 ms |"
for adv in letters.txt cjk.txt; do
  t=$(hf "$LLMKIT tokens $WORK/$adv")
  echo "| $adv (1 MB, no spaces) | $(ms "$t") ms ($($LLMKIT tokens "$WORK/$adv") tokens) | < 100 ms |"
done
for adv in letters.txt cjk.txt; do
  start=$(date +%s.%N)
  if timeout 60 $REF o200k_base "$WORK/$adv" >/dev/null 2>&1; then
    echo "| tiktoken on $adv | $(python3 -c "import time,sys; print('%.0f ms' % ((time.time()-float(sys.argv[1]))*1000))" "$start") (one run) | (for comparison) |"
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
  mem=$(rss "$LLMKIT" tokens "$WORK/huge.txt")
  secs=$(python3 -c "import time,sys; print('%.1f' % (time.time()-float(sys.argv[1])))" "$start")
  n=$("$LLMKIT" tokens "$WORK/huge.txt")
  expect=$(( $("$LLMKIT" tokens "$WORK/big.txt") * 40 ))
  echo "| huge.txt (1 GB) | $mem MB ($secs s, $n tokens; 40 x big.txt = $expect) | not run (holds the text and ids in memory) |"
fi
