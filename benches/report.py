#!/usr/bin/env python3
"""The plain-Python peer of `llmkit cost report` for benches/cost-report.sh: stream a ledger
line by line, json.loads each line, sum requests/tokens/cost per model in dicts.

Prices are the same data/prices.json entries, standard or batch rate, cached tokens at the
cache price; models outside the table are counted as unpriced. (No long-context tiers: the
bench ledger has no prompt above 200k tokens.)
"""
import json
import sys

prices_path, files = sys.argv[1], sys.argv[2:]
with open(prices_path, encoding="utf-8") as f:
    table = json.load(f)

rows = {}
for path in files:
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            usage = rec.get("usage")
            if usage is None:
                continue
            model = rec["model"]
            r = rows.get(model)
            if r is None:
                r = rows[model] = {"requests": 0, "input": 0, "cached": 0, "output": 0, "reasoning": 0, "cost": 0.0}
            r["requests"] += 1
            if rec.get("cache_hit"):
                continue
            inp, cached, out = usage["input_tokens"], usage.get("cached_tokens", 0), usage["output_tokens"]
            r["input"] += inp
            r["cached"] += cached
            r["output"] += out
            r["reasoning"] += usage.get("reasoning_tokens", 0)
            p = table.get(model)
            if p is None:
                continue
            if rec.get("batch"):
                i = p.get("input_cost_per_token_batches", p["input_cost_per_token"] / 2)
                c = p.get("cache_read_input_token_cost_batches", i)
                o = p.get("output_cost_per_token_batches", p["output_cost_per_token"] / 2)
            else:
                i = p["input_cost_per_token"]
                c = p.get("cache_read_input_token_cost", i)
                o = p["output_cost_per_token"]
            r["cost"] += (inp - cached) * i + cached * c + out * o

total = sum(r["cost"] for r in rows.values())
for model, r in sorted(rows.items(), key=lambda kv: -kv[1]["cost"]):
    print(f"{model}\t{r['requests']}\t{r['input']}\t{r['cached']}\t{r['output']}\t{r['reasoning']}\t{r['cost']:.6f}")
print(f"TOTAL\t{total:.6f}")
