#!/usr/bin/env python3
"""Generate data/<encoding>.vocab: o200k_base and cl100k_base token tables for llmkit's
small-input tokenizer (src/tokenize.rs, `small` module).

Why: the linear-time tokenizer (bpe-openai) spends tens of milliseconds building its tables at
start-up, too slow for `echo hi | llmkit tokens`. These files are searched in place (no start-up
work): tokens sorted by their bytes, front-coded in blocks of 16, each with its rank.

Format (little endian):
  b"LKV1", u32 token count, u32 block count, u32 block size
  u32 offset of each block (from the start of the entry data)
  entries: u8 bytes shared with the previous entry (0 at a block start), u8 suffix length,
           suffix, u24 rank

The ranks come from OpenAI's tiktoken files, loaded offline by ../../shared/tools/tiktoken_ref.py
(pip install tiktoken). Rerun after a tiktoken-rs update and commit the result:
  python3 scripts/gen-vocab-tables.py
"""
import os, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "tools"))
from tiktoken_ref import encoding  # noqa: E402

BLOCK = 16


def build(name):
    ranks = encoding(name)._mergeable_ranks
    items = sorted(ranks.items())
    assert max(len(t) for t, _ in items) < 256 and max(r for _, r in items) < 1 << 24
    data = bytearray()
    offsets = []
    prev = b""
    for i, (tok, rank) in enumerate(items):
        if i % BLOCK == 0:
            offsets.append(len(data))
            shared = 0
        else:
            shared = 0
            while shared < min(len(prev), len(tok), 255) and prev[shared] == tok[shared]:
                shared += 1
        suffix = tok[shared:]
        data += bytes([shared, len(suffix)]) + suffix + rank.to_bytes(3, "little")
        prev = tok
    head = b"LKV1" + struct.pack("<III", len(items), len(offsets), BLOCK)
    head += b"".join(struct.pack("<I", o) for o in offsets)
    out = os.path.join(HERE, "..", "data", f"{name}.vocab")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as f:
        f.write(head + bytes(data))
    print(f"{out}: {len(items)} tokens, {len(head) + len(data)} bytes")


for name in ("o200k_base", "cl100k_base"):
    build(name)
