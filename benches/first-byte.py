#!/usr/bin/env python3
"""Time from the first SSE byte leaving a server to the first answer byte on llmkit's stdout.

One Python process plays both ends, so both timestamps come from the same monotonic clock:

  server thread   accepts llmkit's request, sends the response headers and a role-only
                  chunk, waits 200 ms (llmkit is now idle, blocked reading the socket),
                  takes t0 = monotonic_ns() and sends ONE chunk carrying the first text
                  byte, waits 200 ms more, then sends the rest and [DONE].
  reader thread   blocks in os.read() on llmkit's stdout pipe and takes t1 at the first byte.

t1 - t0 is the whole path: kernel loopback, llmkit's HTTP/SSE decode, our callback, the
write(2) to the pipe, and the Python reader waking up. The Python side adds its own wake-up
latency, so the number is an upper bound for llmkit's share.

usage: first-byte.py LLMKIT_BINARY [RUNS]
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def chunk(delta, finish=None):
    return json.dumps({
        "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    })


def serve_one(listener, stamps):
    conn, _ = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        body += conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                 b"cache-control: no-cache\r\nconnection: close\r\n\r\n")
    conn.sendall(("data: " + chunk({"role": "assistant", "content": ""}) + "\n\n").encode())
    time.sleep(0.2)
    first = ("data: " + chunk({"content": "X"}) + "\n\n").encode()
    stamps["t0"] = time.monotonic_ns()
    conn.sendall(first)
    time.sleep(0.2)
    rest = "".join("data: " + chunk({"content": w}) + "\n\n" for w in [" rest", " of", " it"])
    rest += "data: " + chunk({}, "stop") + "\n\ndata: [DONE]\n\n"
    conn.sendall(rest.encode())
    conn.close()


def one_run(binary, home):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    stamps = {}
    server = threading.Thread(target=serve_one, args=(listener, stamps))
    server.start()
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=home, OPENAI_API_KEY="sk-bench",
               LLMKIT_LEDGER=os.path.join(home, "ledger.jsonl"))
    env.pop("LLMKIT_CONFIG", None)
    proc = subprocess.Popen(
        [binary, "chat", "--base-url", f"http://127.0.0.1:{port}/v1", "-m", "gpt-4o-mini",
         "--no-save", "hi"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    fd = proc.stdout.fileno()
    first = os.read(fd, 1)
    t1 = time.monotonic_ns()
    rest = proc.stdout.read()
    proc.wait()
    server.join()
    listener.close()
    text = (first + rest).decode()
    if proc.returncode != 0 or not text.startswith("X rest of it"):
        sys.exit(f"unexpected run: exit {proc.returncode}, stdout {text!r}, stderr {proc.stderr.read()!r}")
    return (t1 - stamps["t0"]) / 1e6


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    with tempfile.TemporaryDirectory() as home:
        ms = sorted(one_run(binary, home) for _ in range(runs))
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    print(f"first SSE byte -> stdout, {runs} runs: median {statistics.median(ms):.3f} ms, "
          f"p90 {p(0.9):.3f} ms, min {ms[0]:.3f} ms, max {ms[-1]:.3f} ms")


if __name__ == "__main__":
    main()
