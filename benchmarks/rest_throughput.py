"""How many REST requests per second the local exchange serves, next to a bare aiohttp handler.

Run::

    python benchmarks/rest_throughput.py                # 5 rounds x 1.5 s per endpoint, 32 connections
    python benchmarks/rest_throughput.py --duration 5 --connections 64
    python benchmarks/rest_throughput.py --profile      # also prints where the server spends its time

The exchange runs the way a notebook runs it (a background thread of this
process; IP limit off, per-UID limits lifted so the signed endpoint is not
throttled). A bare aiohttp app that answers a constant JSON body runs the same
way on another port: it is the ceiling, the cost of aiohttp alone. The load
comes from a separate process: a minimal asyncio HTTP/1.1 client keeping N
keep-alive connections busy for a fixed time (cheap per request, so the server
is the bottleneck); the signed request is signed afresh (new
timestamp, new HMAC) every time, as pybit does.

On a shared or virtual machine the rate can jump between levels from one
second to the next; the rounds are interleaved and each ratio is the median of
per-round ratios, so such jumps hit the bare handler and the exchange alike.
This prints numbers; it asserts nothing. Targets on a 2-core machine: market time
and tickers at least 0.7x the bare handler, signed wallet-balance 0.5x,
kline with 200 rows 1,200 requests/s.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import multiprocessing as mp
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web  # noqa: E402

from helpers import signing  # noqa: E402
from local_exchange import ExchangeConfig, LocalExchange  # noqa: E402
from local_exchange.limits import Profile  # noqa: E402
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402
from local_exchange.state import LIMITS  # noqa: E402

UNLIMITED = Profile("benchmark", ip_requests=10**9, ip_window_ms=5_000, ip_ban_ms=1,
                    endpoints={}, default_get=10**9, default_post=10**9)

CASES = [
    # name, path + query, signed?, target (ratio to bare, or absolute req/s)
    ("market/time", "/v5/market/time", False, ("ratio", 0.7)),
    ("market/tickers", "/v5/market/tickers?category=linear&symbol=BTCUSDT", False, ("ratio", 0.7)),
    ("market/kline 200", "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=200", False, ("rps", 1200)),
    ("account/wallet-balance (signed)", "/v5/account/wallet-balance?accountType=UNIFIED", True, ("ratio", 0.5)),
]


def bare_app(_config: ExchangeConfig) -> web.Application:
    """The ceiling: aiohttp answering a small constant JSON body, nothing else."""
    payload = b'{"retCode":0,"retMsg":"OK","result":{"timeSecond":"1","timeNano":"1"},"retExtInfo":{},"time":1}'

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=payload, content_type="application/json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    return app


# -- the load generator (runs in its own process) ---------------------------------------
# A minimal HTTP/1.1 keep-alive client on raw asyncio streams: far cheaper per request than
# a full client library, so the server, not the load generator, is what gets measured.
async def _load(url: str, target: str, signed: bool, connections: int, duration: float, warmup: float) -> tuple[int, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    query = target.partition("?")[2]
    plain = (f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: */*\r\n\r\n").encode()
    ok = bad = 0
    counting = False
    stop_at = 0.0

    def request() -> bytes:
        if not signed:
            return plain
        headers = signing.signed_headers(DEMO_API_KEY, DEMO_API_SECRET, int(time.time() * 1000), query)
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n{lines}\r\n".encode()

    async def worker() -> None:
        nonlocal ok, bad
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while True:
                writer.write(request())
                head = await reader.readuntil(b"\r\n\r\n")
                at = head.lower().find(b"content-length:")
                length = int(head[at + 15:head.index(b"\r\n", at)]) if at >= 0 else 0
                body = await reader.readexactly(length)
                good = head.startswith(b"HTTP/1.1 200") and body.startswith(b'{"retCode":0,')
                if counting:
                    if time.monotonic() >= stop_at:
                        return
                    if good:
                        ok += 1
                    else:
                        bad += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(worker()) for _ in range(connections)]
    await asyncio.sleep(warmup)
    counting = True
    stop_at = time.monotonic() + duration
    await asyncio.sleep(duration)
    await asyncio.wait(tasks, timeout=5)
    for task in tasks:
        task.cancel()
    return ok, bad


def _pin(cpu: int) -> None:
    """With BENCH_PIN=1 (Linux), keep server and client on separate cores."""
    if os.environ.get("BENCH_PIN") and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def _client(url: str, target: str, signed: bool, connections: int, duration: float, warmup: float, out: mp.Queue) -> None:
    _pin(1)
    out.put(asyncio.run(_load(url, target, signed, connections, duration, warmup)))


def measure(url: str, target: str, signed: bool, args: argparse.Namespace) -> tuple[float, int]:
    """Requests per second (good answers only) and the number of bad answers."""
    out: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(
        target=_client, args=(url, target, signed, args.connections, args.duration, args.warmup, out))
    proc.start()
    ok, bad = out.get(timeout=args.duration + args.warmup + 60)
    proc.join(10)
    return ok / args.duration, bad


def _profiled(exchange: LocalExchange, run):
    profiler = cProfile.Profile()
    loop = exchange._loop
    assert loop is not None
    asyncio.run_coroutine_threadsafe(_call(profiler.enable), loop).result()
    try:
        return run()
    finally:
        asyncio.run_coroutine_threadsafe(_call(profiler.disable), loop).result()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        print(text.getvalue())


async def _call(fn) -> None:
    fn()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=1.5, help="seconds measured per endpoint and round")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds of load before measuring")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--rounds", type=int, default=5, help="rounds over all endpoints; medians are shown")
    parser.add_argument("--profile", action="store_true", help="profile the exchange's thread during each run")
    args = parser.parse_args()

    _pin(0)
    exchange = LocalExchange(ExchangeConfig(ip_limit=False)).start()
    exchange.app[LIMITS].profile = UNLIMITED
    bare = LocalExchange(ExchangeConfig(), app_factory=bare_app).start()
    runs: dict[str, list[float]] = {"bare": []}
    errors: dict[str, int] = {"bare": 0}
    try:
        for _ in range(args.rounds):   # interleaved, so a noisy moment hits every endpoint alike
            rps, bad = measure(bare.url, "/v5/market/time", False, args)
            runs["bare"].append(rps)
            errors["bare"] += bad
            for name, target, signed, _goal in CASES:
                def run(target=target, signed=signed):
                    return measure(exchange.url, target, signed, args)
                rps, bad = _profiled(exchange, run) if args.profile else run()
                runs.setdefault(name, []).append(rps)
                errors[name] = errors.get(name, 0) + bad
        base = statistics.median(runs["bare"])
        rows = [("bare aiohttp JSON handler", base, errors["bare"], 1.0, "")]
        for name, _target, _signed, (kind, goal) in CASES:
            rps, bad = statistics.median(runs[name]), errors[name]
            # ratio: median over rounds of (this endpoint / bare in the same round), robust to a noisy host
            ratio = statistics.median(r / b for r, b in zip(runs[name], runs["bare"]) if b)
            met = ratio >= goal if kind == "ratio" else rps >= goal
            want = f">= {goal}x" if kind == "ratio" else f">= {goal:,} req/s"
            rows.append((name, rps, bad, ratio, f"{want}  {'ok' if met else 'MISSED'}"))
    finally:
        exchange.stop()
        bare.stop()

    print(f"\nREST throughput: median of {args.rounds} rounds, {args.connections} connections, "
          f"{args.duration:g} s each, client in a separate process\n")
    print(f"{'endpoint':34} {'req/s':>9} {'errors':>7} {'x bare':>7}  target")
    print("-" * 78)
    for name, rps, bad, ratio, target in rows:
        print(f"{name:34} {rps:9,.0f} {bad:7d} {ratio:7.2f}  {target}")


if __name__ == "__main__":
    main()
