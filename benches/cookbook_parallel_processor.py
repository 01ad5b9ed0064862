#!/usr/bin/env python3
"""
RE-IMPLEMENTATION (not the original file) of the algorithm of the OpenAI cookbook's
`examples/api_request_parallel_processor.py`, written from its documentation for
llmkit's batch benchmark. The original is a script in the openai-cookbook repository, not a
package on PyPI, so it cannot be installed here; this file follows its documented behaviour:

- requests are read from a JSONL file one at a time;
- a request "bucket" and a token "bucket", each holding up to one minute of the configured
  limit (it starts full) and refilled continuously at limit/60 per second;
- a request's token cost is estimated once, before sending: 4 tokens per message plus the
  tokens of every message field (cl100k_base), minus 1 per `name`, plus 2 for the reply primer,
  plus n * max_tokens (15 when unset); never reconciled with the real usage;
- the main loop wakes every 1 ms and sends the next request when both buckets allow it;
- any rate-limit answer (here: HTTP 429, which is more generous than the original's check of
  the error body) pauses *all* sending for 15 seconds; rate-limit headers are ignored;
- failed requests go to a retry queue that is served before new requests, up to 5 attempts.

It prints one JSON line: requests, succeeded, failed, rate_limited (429 answers), wall_s.
"""

import argparse
import asyncio
import json
import time

import os
import sys

import aiohttp

# tiktoken downloads its rank files at run time, which cannot work offline: load cl100k_base
# from the files cargo already fetched, through the shared helper the token benchmarks use.
_here = os.path.dirname(os.path.abspath(__file__))
for _d in (os.path.join(_here, "..", "..", "shared", "tools"), "/work/shared/tools"):
    if os.path.exists(os.path.join(_d, "tiktoken_ref.py")):
        sys.path.insert(0, _d)
        break
from tiktoken_ref import encoding  # noqa: E402

PAUSE_AFTER_RATE_LIMIT_S = 15.0
LOOP_SLEEP_S = 0.001


def token_cost(request, enc):
    completion = request.get("n", 1) * request.get("max_tokens", 15)
    tokens = 0
    for message in request["messages"]:
        tokens += 4
        for key, value in message.items():
            tokens += len(enc.encode(value))
            if key == "name":
                tokens -= 1
    return tokens + 2 + completion


class Stats:
    def __init__(self):
        self.in_progress = 0
        self.succeeded = 0
        self.failed = 0
        self.rate_limited = 0
        self.last_rate_limit = 0.0


async def call(session, url, job, retry_queue, stats, out):
    request, attempts_left = job
    try:
        async with session.post(url, json=request) as resp:
            status = resp.status
            body = await resp.json(content_type=None)
    except Exception as e:  # connection errors count as failures to retry
        status, body = None, {"error": {"message": str(e)}}
    if status == 200 and "error" not in body:
        stats.succeeded += 1
        stats.in_progress -= 1
        out.write(json.dumps([request, body]) + "\n")
        return
    if status == 429:
        stats.rate_limited += 1
        stats.last_rate_limit = time.time()
    if attempts_left > 0:
        retry_queue.put_nowait((request, attempts_left))
    else:
        stats.failed += 1
        stats.in_progress -= 1


async def main(args):
    enc = encoding("cl100k_base")
    stats = Stats()
    retry_queue = asyncio.Queue()
    req_capacity = args.max_requests_per_minute
    tok_capacity = args.max_tokens_per_minute
    last = time.time()
    pending = None  # (request, attempts_left, cost)
    started = time.time()
    total = 0
    with open(args.requests) as f, open(args.save, "w") as out:
        lines = iter(f)
        exhausted = False
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            while True:
                if pending is None:
                    if not retry_queue.empty():
                        request, attempts = retry_queue.get_nowait()
                        pending = (request, attempts, token_cost(request, enc))
                    elif not exhausted:
                        try:
                            request = json.loads(next(lines))
                            pending = (request, args.max_attempts, token_cost(request, enc))
                            stats.in_progress += 1
                            total += 1
                        except StopIteration:
                            exhausted = True
                now = time.time()
                elapsed = now - last
                last = now
                req_capacity = min(req_capacity + args.max_requests_per_minute * elapsed / 60.0,
                                   args.max_requests_per_minute)
                tok_capacity = min(tok_capacity + args.max_tokens_per_minute * elapsed / 60.0,
                                   args.max_tokens_per_minute)
                if pending is not None and req_capacity >= 1 and tok_capacity >= pending[2]:
                    req_capacity -= 1
                    tok_capacity -= pending[2]
                    request, attempts, _ = pending
                    asyncio.create_task(call(session, args.url, (request, attempts - 1), retry_queue, stats, out))
                    pending = None
                if stats.in_progress == 0 and exhausted and pending is None and retry_queue.empty():
                    break
                await asyncio.sleep(LOOP_SLEEP_S)
                since = time.time() - stats.last_rate_limit
                if since < PAUSE_AFTER_RATE_LIMIT_S:
                    await asyncio.sleep(PAUSE_AFTER_RATE_LIMIT_S - since)
    print(json.dumps({
        "requests": total,
        "succeeded": stats.succeeded,
        "failed": stats.failed,
        "rate_limited": stats.rate_limited,
        "wall_s": round(time.time() - started, 3),
    }))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--requests", required=True, help="JSONL of chat-completions bodies")
    p.add_argument("--save", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--max_requests_per_minute", type=float, default=1500)
    p.add_argument("--max_tokens_per_minute", type=float, default=125000)
    p.add_argument("--max_attempts", type=int, default=5)
    asyncio.run(main(p.parse_args()))
