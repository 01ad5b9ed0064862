#!/usr/bin/env python3
"""Independent observer for replay timing: a tiny loopback HTTP server that notes when each
request arrives (time.perf_counter_ns at the end of its headers) and answers a minimal
OpenAI chat completion at once. It knows nothing about llmkit, so the inter-arrival times it
sees are an outside measurement of how faithfully `llmkit replay` reproduces recorded offsets.

usage: replay_observer.py PORT_FILE ARRIVALS_FILE EXPECTED_REQUESTS TIMEOUT_S
Writes the bound port to PORT_FILE, then one arrival time (ns) per line to ARRIVALS_FILE once
EXPECTED_REQUESTS have arrived or TIMEOUT_S has passed.
"""
import asyncio
import json
import sys
import time

BODY = json.dumps({
    "id": "chatcmpl-observer", "object": "chat.completion", "created": 0, "model": "observer",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}).encode()


async def main():
    port_file, arrivals_file, expected, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    arrivals = []
    done = asyncio.Event()

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrivals.append(time.perf_counter_ns())
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                             + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
                await writer.drain()
                if len(arrivals) >= expected:
                    done.set()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    with open(port_file, "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    try:
        await asyncio.wait_for(done.wait(), timeout)
    except asyncio.TimeoutError:
        pass
    server.close()
    with open(arrivals_file, "w") as f:
        f.write("\n".join(str(a) for a in arrivals) + "\n")


asyncio.run(main())
