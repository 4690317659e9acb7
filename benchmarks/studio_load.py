"""The studio under load: many clients at once, and its resident memory over many requests.

Starts `gen studio` on a run in a child process, then sends sample requests from CLIENTS
threads (stdlib http.client, no browser) and reads every stream to its end. Prints, as JSON
lines: per phase the number of requests, how many answered 200 with a complete stream (a
"done" event), the slowest, the wall time, and the server's VmRSS (/proc/PID/status) after it.

    python benchmarks/studio_load.py --run RUN_FOLDER [--clients 16 --requests 64]
        [--more 2000 --every 40 --length 50]

Phase 1 is the burst (CLIENTS clients, REQUESTS requests in all). With --more N it then sends
N more requests, 4 at a time, and records VmRSS every --every requests: the memory figure is
RSS after all of them against RSS after the first --every.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_request(port: int, run: str, length: int, i: int, timeout: float = 120) -> tuple[int, bool, float]:
    """(status, complete stream, seconds)."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    body = json.dumps({"run": run, "length": length, "rng_seed": i, "temperature": 0.8})
    try:
        conn.request("POST", "/api/sample", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read().decode()
    finally:
        conn.close()
    events = [json.loads(line) for line in data.splitlines() if line.strip()]
    done = resp.status == 200 and bool(events) and events[-1].get("type") == "done" and \
        any(e.get("type") == "tokens" for e in events)
    return resp.status, done, time.perf_counter() - t0


def burst(port: int, run: str, clients: int, requests: int, length: int) -> dict:
    results: list[tuple[int, bool, float]] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                r = one_request(port, run, length, i)
            except Exception as e:  # a refused or dropped connection counts as a failure
                r = (0, False, float("nan"))
                print(f"request {i}: {type(e).__name__}: {e}", file=sys.stderr)
            with lock:
                results.append(r)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted({r[0] for r in results})
    return {"requests": len(results), "ok": sum(r[0] == 200 and r[1] for r in results),
            "statuses": statuses, "slowest_s": round(max(r[2] for r in results), 2),
            "wall_s": round(time.perf_counter() - t0, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, required=True, help="run folder to sample from")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=64)
    ap.add_argument("--length", type=int, default=50)
    ap.add_argument("--more", type=int, default=0, help="then this many more, 4 at a time")
    ap.add_argument("--every", type=int, default=40)
    args = ap.parse_args()
    run = args.run.resolve()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "gen", "studio", "--runs", str(run.parent),
                               "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        one_request(port, run.name, 5, 0)  # loads the model
        print(json.dumps({"phase": "start", "rss_mb": round(rss_mb(server.pid), 1)}), flush=True)
        out = burst(port, run.name, args.clients, args.requests, args.length)
        print(json.dumps({"phase": "burst", "clients": args.clients, **out,
                          "rss_mb": round(rss_mb(server.pid), 1)}), flush=True)
        sent = 0
        while sent < args.more:
            n = min(args.every, args.more - sent)
            out = burst(port, run.name, 4, n, args.length)
            sent += n
            print(json.dumps({"phase": "more", "sent": sent, "ok": out["ok"],
                              "statuses": out["statuses"],
                              "rss_mb": round(rss_mb(server.pid), 1)}), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
