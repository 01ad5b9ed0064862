#!/usr/bin/env bash
# Cross-check `llmkit tokens` against OpenAI's Python tiktoken (encode_ordinary) on a larger,
# deterministically generated corpus, for o200k_base and cl100k_base. Exit 1 on any difference.
#
#   benches/tokens-crosscheck.sh            # builds release, corpus in /tmp/llmkit-crosscheck
#   LLMKIT=target/debug/llmkit MB=2 benches/tokens-crosscheck.sh
#
# Reference counts come from benches/tiktoken_count.py: OpenAI's tiktoken with its own rank files
# loaded offline by ../shared/tools/tiktoken_ref.py, files read byte-exact.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/llmkit-crosscheck}
CORPUS=$OUT/corpus
MB=${MB:-6}

python3 -c "import tiktoken" 2>/dev/null || pip install -q tiktoken
cargo fetch -q
if [ -z "${LLMKIT:-}" ]; then
  cargo build -q --release
  LLMKIT=target/release/llmkit
fi

rm -rf "$OUT" && mkdir -p "$CORPUS"
python3 - "$CORPUS" "$MB" <<'PY'
import os, random, sys
out, mb = sys.argv[1], float(sys.argv[2])
rng = random.Random(20240501)
words = ("the of and to in is was for that with as on by at from it an be this are or which have not "
         "tokenizer encoding model request response latency throughput stream retry budget batch "
         "Straße naïve café résumé coöperate Zürich São Ærø İstanbul ǅemal").split()
fragments = [
    " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", " \n", "'s", "'S", "'ll", "'LL", "'re", "'ve", "'m", "'d", "'",
    "\u2019", "\u2019s", ".", ",", ";", ":", "!", "?", "...", "/", "//", "://", "-", "--", "_", "(", ")", "[", "]",
    "{", "}", "\"", "<", ">", "<|endoftext|>", "<|endofprompt|>", "<|fim_prefix|>", "<|im_start|>", "<|", "|>",
    "0", "7", "42", "123", "2024", "3.14159", "1234567890123", "\u0663\u0664", "\u00b2", "\u216b",
    "\u4e2d\u6587", "\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5", "\u65e5\u672c\u8a9e", "\u3072\u3089\u304c\u306a",
    "\u30ab\u30bf\u30ab\u30ca", "\ud55c\uad6d\uc5b4", "\u041f\u0440\u0438\u0432\u0435\u0442", "\u0645\u0631\u062d\u0628\u0627",
    "\u0928\u092e\u0938\u094d\u0924\u0947", "e\u0301", "a\u0308", "\u0301", "\U0001f600", "\U0001f680", "\U0001f44d\U0001f3fd",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f1eb\U0001f1f7", "\u2764\ufe0f", "\u00a0", "\u2028", "\u3000",
    "\u200b", "\ufeff", "\u2026", "\u2014", "$", "%", "&", "#", "@", "\\", "`", "~", "^", "|", "=", "+", "*",
]
code = ["fn main() {\n", "    let x = vec![1, 2, 3];\n", "    println!(\"{x:?}\");\n", "}\n", "def f(a, b):\n",
        "    return a + b  # add\n", "if (x != null && y >= 0) { return; }\n", "SELECT id, name FROM users WHERE id = 42;\n",
        "<div class=\"row\">&nbsp;</div>\n", "{\"key\": [1, 2.5, null, true], \"s\": \"v\\n\"}\n"]

def document(size):
    parts, n = [], 0
    while n < size:
        r = rng.random()
        if r < 0.45:
            w = rng.choice(words)
            w = w.upper() if rng.random() < 0.1 else (w.capitalize() if rng.random() < 0.2 else w)
            piece = (" " if rng.random() < 0.8 else "") + w
        elif r < 0.85:
            piece = rng.choice(fragments)
        elif r < 0.95:
            piece = rng.choice(code)
        else:
            piece = rng.choice(fragments) * rng.randint(2, 40)
        parts.append(piece)
        n += len(piece.encode())
    return "".join(parts)

files = int(max(1, mb * 4))
for i in range(files):
    with open(os.path.join(out, f"doc{i:03}.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(document(256 * 1024))
adversarial = {
    "letters.txt": "a" * 20000,
    "cjk.txt": "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(20000)),
    "digits.txt": "".join(rng.choice("0123456789") for _ in range(50000)),
    "spaces.txt": " " * 30000 + "x" + "\n" * 5000 + "\t \r\n" * 3000,
    "mixed-runs.txt": ("x" * 999 + " " * 999 + "\u00e9" * 999 + "1" * 999 + "!" * 999) * 4,
}
for name, text in adversarial.items():
    with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)
PY

status=0
for enc in o200k_base cl100k_base; do
  python3 benches/tiktoken_count.py "$enc" "$CORPUS"/*.txt | sort -k2 > "$OUT/ref-$enc.tsv"
  "$LLMKIT" tokens -q -e "$enc" --format csv "$CORPUS" | tail -n +2 \
    | awk -F, '{print $2 "\t" $1}' | sort -k2 > "$OUT/llmkit-$enc.tsv"
  if diff -u "$OUT/ref-$enc.tsv" "$OUT/llmkit-$enc.tsv" > "$OUT/diff-$enc.txt"; then
    echo "$enc: $(wc -l < "$OUT/ref-$enc.tsv") files, $(du -sh "$CORPUS" | cut -f1), all counts equal to tiktoken's"
  else
    echo "$enc: MISMATCH (see $OUT/diff-$enc.txt)"; head -20 "$OUT/diff-$enc.txt"; status=1
  fi
done
exit $status
