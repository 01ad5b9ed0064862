#!/usr/bin/env python3
"""Reference counts and speed of OpenAI's Python tiktoken, for llmkit's token benchmarks.

Loads the encodings through ../shared/tools/tiktoken_ref.py (tiktoken's own rank files, offline)
but reads files byte-exact: tiktoken_ref.py opens files in text mode, whose universal newlines
turn "\\r\\n" into "\\n" before counting, which changes counts of CRLF text.

  python3 benches/tiktoken_count.py o200k_base FILE...          # "<tokens>\\t<file>"
  python3 benches/tiktoken_count.py o200k_base --time FILE...   # also encode-only MB/s
  python3 benches/tiktoken_count.py o200k_base --threads N FILE...  # encode_ordinary_batch
"""
import os, sys, time

here = os.path.dirname(os.path.abspath(__file__))
for d in (os.path.join(here, "..", "..", "shared", "tools"), "/work/shared/tools"):
    if os.path.exists(os.path.join(d, "tiktoken_ref.py")):
        sys.path.insert(0, d)
        break
from tiktoken_ref import encoding  # noqa: E402


def main():
    args = sys.argv[1:]
    timed = "--time" in args
    args = [a for a in args if a != "--time"]
    threads = 1
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i : i + 2]
    enc = encoding(args[0])
    paths = args[1:]
    texts = [open(p, "rb").read().decode("utf-8") for p in paths]
    t = time.perf_counter()
    if threads > 1:
        counts = [len(ids) for ids in enc.encode_ordinary_batch(texts, num_threads=threads)]
    else:
        counts = [len(enc.encode_ordinary(text)) for text in texts]
    dt = time.perf_counter() - t
    for n, p in zip(counts, paths):
        print(f"{n}\t{p}")
    if timed:
        mb = sum(len(x.encode()) for x in texts) / 1e6
        print(f"encode-only: {mb:.2f} MB in {dt:.3f} s = {mb / dt:.2f} MB/s", file=sys.stderr)


if __name__ == "__main__":
    main()
