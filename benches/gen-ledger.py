#!/usr/bin/env python3
"""Write a deterministic llmkit ledger (JSON Lines) of about SIZE_MB megabytes.

Usage: python3 benches/gen-ledger.py OUT.jsonl [SIZE_MB]   (default 1024)
Lines look like the ones `llmkit chat`/`batch` append (crate::usage::LedgerLine), with a mix
of models, users, projects, days, cached/reasoning tokens, batch and cache-hit lines.
"""
import json
import random
import sys

out = sys.argv[1]
size = int(float(sys.argv[2]) * 1024 * 1024) if len(sys.argv) > 2 else 1024 * 1024 * 1024
rng = random.Random(42)
models = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o-2024-08-06"),
    ("openai", "o3-mini"),
    ("openai", "gpt-5"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("openai", "gemini/gemini-2.5-flash"),
    ("openai", "my-local-llama"),
]
urls = {"openai": "https://api.openai.com/v1/chat/completions", "anthropic": "https://api.anthropic.com/v1/messages"}
users = [f"user-{i:03d}" for i in range(50)]
projects = ["support", "research", "etl", "web"]
written = 0
n = 0
with open(out, "w", encoding="utf-8") as f:
    while written < size:
        provider, model = models[rng.randrange(len(models))]
        day = 1 + (n * 30) // 4_000_000 % 30
        inp = rng.randrange(50, 20000)
        cached = rng.randrange(0, inp) if rng.random() < 0.4 else 0
        out_t = rng.randrange(1, 4000)
        reasoning = rng.randrange(0, out_t) if model in ("o3-mini", "gpt-5") else 0
        line = {
            "ts": f"2026-11-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z",
            "provider": provider,
            "profile": provider,
            "url": urls[provider],
            "model": model,
            "command": "batch" if n % 3 else "chat",
            "id": f"req-{n:012d}",
            "status": 200,
            "usage": {
                "input_tokens": inp,
                "cached_tokens": cached,
                "cache_write_tokens": 0,
                "output_tokens": out_t,
                "reasoning_tokens": reasoning,
            },
            "latency_ms": round(rng.uniform(100, 20000), 1),
            "retries": 0,
            "user": users[rng.randrange(len(users))],
            "project": projects[rng.randrange(len(projects))],
            "key_name": "OPENAI_API_KEY" if provider == "openai" else "ANTHROPIC_API_KEY",
        }
        if n % 50 == 0:
            line["batch"] = True
        if n % 97 == 0:
            line["cache_hit"] = True
        s = json.dumps(line, separators=(",", ":")) + "\n"
        f.write(s)
        written += len(s)
        n += 1
print(f"{out}: {n} lines, {written / 1e6:.0f} MB", file=sys.stderr)
