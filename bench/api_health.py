"""How fast ``/api/health`` answers while the Dagster webserver hangs: `python bench/api_health.py`.

Starts ``moo-markets api`` against a TCP server that accepts connections and
never answers (what a SIGSTOPped webserver looks like), then times health
calls: alone, and while requests for ``/api/scheduler/jobs`` hold every pooled
connection to the hung webserver. Prints the median and maximum latency.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hung_server() -> tuple[socket.socket, list[socket.socket]]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return listener, held


def timings(client: httpx.Client, count: int) -> list[float]:
    values = []
    for _ in range(count):
        started = time.monotonic()
        body = client.get("/api/health").json()["data"]["dagster"]
        values.append(time.monotonic() - started)
        assert body["reachable"] is False, body
    return values


def report(label: str, values: list[float]) -> None:
    print(f"{label}: median {statistics.median(values):.3f} s, max {max(values):.3f} s "
          f"({len(values)} calls)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    listener, _held = hung_server()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOO_MARKETS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "moo_markets.cli", "--log-level", "WARNING", "api", "--port",
         str(port), "--dagster-url", f"http://127.0.0.1:{listener.getsockname()[1]}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get("/api/health")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("moo-markets api did not start") from None
                time.sleep(0.1)
        report("health, webserver hung", timings(client, args.calls))

        # Reads that wait on the hung webserver hold every pooled connection (20 by default).
        def stuck_read() -> None:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/scheduler/jobs", timeout=10)
            except httpx.HTTPError:
                pass

        readers = [threading.Thread(target=stuck_read, daemon=True) for _ in range(25)]
        for reader in readers:
            reader.start()
        time.sleep(0.5)
        report("health, webserver hung, pool held by 25 reads", timings(client, args.calls))
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # uvicorn waits for the reads stuck on the webserver
            process.kill()
            process.wait()
        listener.close()


if __name__ == "__main__":
    main()
