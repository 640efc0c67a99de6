"""Real clients: visitors who are some way off, and visitors who send their request slowly.

wrk closes each connection the instant a response arrives, which no real visitor
does. This benchmark is a small asyncio client (wrk cannot delay its close):

* ``close after N ms``: a fixed number of requests in flight, each on a new
  connection, as a browser sends them (HTTP/1.1, keep-alive); once the whole
  response is read the client starts its next request at once and closes this
  connection N ms later, as a browser N ms away does. A server that waits for
  the client's close before serving anyone else loses throughput here.
* ``50 slow clients``: 50 connections that send their request headers one byte
  at a time (and start again whenever the server drops them), while the normal
  clients read pages. Their latency is what the slow clients cost everyone else.

Every scenario runs against the app and against the ceiling (``bench.ceiling``, a
trivial WSGI app replaying a stored response) served by the same gunicorn
configuration (``deploy/gunicorn.conf.py``), in the same run. Everything goes to
127.0.0.1; the number of connections and the time are bounded.

Targets: with 20 ms clients, at least 0.5 × the 0 ms throughput (app and ceiling);
with 50 slow clients trickling, the normal clients' p99 under 100 ms (app).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bench.harness import bench_env, capture, ceiling, gunicorn

IN_FLIGHT = 16  # requests in flight at any time, as wrk -c16 in the other benchmarks
SLOW_CLIENTS = 50
SLOW_BYTE_INTERVAL = 0.05  # seconds between two bytes of a slow client's request
REQUEST_TIMEOUT = 10.0  # a normal request not answered by then counts as failed
MAX_LINGERING = 4000  # connections waiting for their delayed close, at most
CLOSE_DELAYS_MS = (0, 20, 50)
ROUNDS = 4  # slices per close delay, taking turns
TARGET_DELAYED_RATIO = 0.5  # 20 ms clients' req/s ≥ this × the 0 ms clients' req/s
TARGET_SLOW_P99_MS = 100.0


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    elapsed: float = 0.0
    slow_cut_off: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000

    def line(self) -> str:
        failed = f"   ({self.failures} failed)" if self.failures else ""
        return (f"{self.rps:8.0f} req/s   p50 {self.percentile(0.5):7.2f} ms   "
                f"p99 {self.percentile(0.99):7.2f} ms{failed}")


def request_bytes(port: int, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Safari/537.36\r\n"
        "Accept: text/html,application/xhtml+xml\r\nAccept-Language: en-GB,en;q=0.9\r\n\r\n"
    ).encode()


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one whole response (Content-Length or chunked or to the close); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    if b"\r\ncontent-length:" in lowered:
        length = int(lowered.split(b"\r\ncontent-length:", 1)[1].split(b"\r\n", 1)[0])
        await reader.readexactly(length)
    elif b"\r\ntransfer-encoding: chunked" in lowered:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
    return status


async def close_later(writer: asyncio.StreamWriter, delay: float, lingering: set) -> None:
    try:
        await asyncio.sleep(delay)
    finally:
        writer.close()
        lingering.discard(writer)


async def normal_client(port: int, path: str, delay: float, until: float, result: Result,
                        lingering: set, tasks: set) -> None:
    raw = request_bytes(port, path)
    while time.monotonic() < until:
        started = time.perf_counter()
        writer = None
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(raw)
                status = await read_response(reader)
            if status != 200:
                raise ValueError(status)
        except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            result.failures += 1
            if writer is not None:
                writer.close()
            continue
        result.latencies.append(time.perf_counter() - started)
        if delay <= 0 or len(lingering) >= MAX_LINGERING:
            writer.close()
        else:
            lingering.add(writer)
            task = asyncio.ensure_future(close_later(writer, delay, lingering))
            tasks.add(task)
            task.add_done_callback(tasks.discard)


async def slow_client(port: int, path: str, until: float, result: Result) -> None:
    """Send the request a byte at a time; when the server gives up on us, start again."""
    raw = request_bytes(port, path)
    while time.monotonic() < until:
        writer = None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for byte in range(len(raw)):
                if time.monotonic() >= until:
                    break
                writer.write(raw[byte:byte + 1])
                await writer.drain()
                await asyncio.sleep(SLOW_BYTE_INTERVAL)
                if reader.at_eof() or writer.is_closing():
                    raise ConnectionResetError
            else:
                await asyncio.wait_for(reader.read(), REQUEST_TIMEOUT)
        except (OSError, TimeoutError):
            result.slow_cut_off += 1
            await asyncio.sleep(0.1)
        finally:
            if writer is not None:
                writer.close()


async def scenario(port: int, path: str, seconds: float, delay_ms: int = 0, slow: int = 0) -> Result:
    result = Result()
    lingering: set = set()
    tasks: set = set()
    loop_end = time.monotonic() + seconds
    slow_tasks = [asyncio.ensure_future(slow_client(port, path, loop_end + 1, result)) for _ in range(slow)]
    if slow:
        await asyncio.sleep(min(2.0, seconds / 4))  # let the slow clients take their connections
        loop_end = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(
        normal_client(port, path, delay_ms / 1000, loop_end, result, lingering, tasks) for _ in range(IN_FLIGHT)
    ))
    result.elapsed = time.monotonic() - started
    for task in slow_tasks:
        task.cancel()
    await asyncio.gather(*slow_tasks, *tasks, return_exceptions=True)
    for writer in list(lingering):
        writer.close()
    return result


def measure(servers: dict[str, str], path: str, seconds: float) -> dict[str, dict[str, Result]]:
    """Each scenario for ``seconds`` on each server (the app and the ceiling, both up).
    The close delays and the servers take turns in short slices, so a burst of load from
    elsewhere on the machine falls on all of them alike."""
    ports = {name: int(url.rsplit(":", 1)[1]) for name, url in servers.items()}
    results: dict[str, dict[str, Result]] = {name: {} for name in servers}
    for port in ports.values():
        asyncio.run(scenario(port, path, 1.0))  # warm up: first requests per worker
    for _ in range(ROUNDS):
        for delay in CLOSE_DELAYS_MS:
            for name, port in ports.items():
                part = asyncio.run(scenario(port, path, seconds / ROUNDS, delay_ms=delay))
                total = results[name].setdefault(f"close after {delay} ms", Result())
                total.latencies += part.latencies
                total.failures += part.failures
                total.elapsed += part.elapsed
    # Longer than the server's limit on a request's headers (keepalive), so it is reached.
    for name, port in ports.items():
        results[name][f"{SLOW_CLIENTS} slow clients"] = asyncio.run(scenario(port, path, seconds, slow=SLOW_CLIENTS))
    return results


def run(seconds: int = 20) -> bool:
    seconds = max(6, min(seconds, 8))  # four scenarios, app and ceiling: bounded time
    env = bench_env()
    with gunicorn("webapp:create_app()", env) as base, ceiling(capture(base + "/"), env) as ceiling_url:
        results = measure({"app": base, "ceiling": ceiling_url}, "/", seconds)
    app, bare = results["app"], results["ceiling"]

    print(f"Real clients: / from the page cache, gunicorn -c deploy/gunicorn.conf.py, {IN_FLIGHT} requests in "
          f"flight, a new connection each, {seconds} s per scenario")
    print(f"  {'':24s} {'app':47s} ratio   ceiling")
    for label in app:
        ratio = app[label].rps / bare[label].rps if bare[label].rps else 0.0
        print(f"  {label:24s} {app[label].line():47s} {ratio:5.2f}   {bare[label].line()}")
    slow_label = f"{SLOW_CLIENTS} slow clients"
    print(f"  the {SLOW_CLIENTS} slow clients send a byte every {SLOW_BYTE_INTERVAL * 1000:.0f} ms; "
          f"the server cut them off {app[slow_label].slow_cut_off} times (app), "
          f"{bare[slow_label].slow_cut_off} (ceiling)")
    met = True
    for name, results in (("app", app), ("ceiling", bare)):
        base_rps = results["close after 0 ms"].rps
        delayed = results["close after 20 ms"].rps / base_rps if base_rps else 0.0
        failures = sum(result.failures for result in results.values())
        print(f"  {name:8s} 20 ms clients at {delayed:.2f} × the 0 ms throughput (target ≥ {TARGET_DELAYED_RATIO}); "
              f"50 ms at {results['close after 50 ms'].rps / base_rps if base_rps else 0.0:.2f} ×; "
              f"{failures} failed requests")
        met = met and delayed >= TARGET_DELAYED_RATIO and not failures
    slow_p99 = app[slow_label].percentile(0.99)
    print(f"  app p99 with {SLOW_CLIENTS} slow clients trickling: {slow_p99:.1f} ms (target < {TARGET_SLOW_P99_MS:.0f} ms; "
          f"ceiling's {bare[slow_label].percentile(0.99):.1f} ms)")
    return met and slow_p99 < TARGET_SLOW_P99_MS
