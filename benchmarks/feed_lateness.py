"""How late the public feeds publish, against the tick each push is scheduled for, under classroom load.

Run::

    python benchmarks/feed_lateness.py                        # 50 clients x 5 topics, 10 s measured
    python benchmarks/feed_lateness.py --clients 50 --symbols 50 --duration 20

Every feed of :mod:`local_exchange.feeds` publishes on a grid: a 20 ms
``orderbook.50`` feed owes a push at ...000, ...020, ... ms (plus
``TICK_OFFSET_MS``), and the exchange calls ``feed.tick(t)`` to make it. The
*lateness* of a scheduled push is the wall-clock time at which ``tick`` ran
minus the grid time it was due. A tick that comes so late that it passes one or
more grid points makes up for each of them at once (a book feed publishes every
missed delta), so each grid point it covers counts with its own lateness.

The load: ``--clients`` WebSocket clients (aiohttp, in a separate process, as
students' laptops are separate machines) on ``/v5/public/linear``, each
subscribed to 5 topics of one symbol at Bybit's push rates: ``orderbook.1``
(10 ms), ``orderbook.50`` (20 ms), ``publicTrade`` (polled every 20 ms),
``tickers`` (100 ms) and ``kline.1`` (1 s). Client ``i`` takes symbol
``i % --symbols``, so ``--symbols 1`` is a class following one notebook and
``--symbols 50`` one where everybody picked their own coin. Each client parses
every message (``json.loads``), as pybit does.

The exchange runs as a notebook runs it, in a background thread of this
process, with ``--limits off``. The figures are measured inside the exchange,
wrapping each feed class's ``tick``; this prints numbers and asserts nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KINDS = ("orderbook.1.{s}", "orderbook.50.{s}", "publicTrade.{s}", "tickers.{s}", "kline.1.{s}")


# -- the clients (a child process) ----------------------------------------------------------------

def clients(ws_url: str, per_client: list[list[str]], stop_at: float, out: Any) -> None:
    """One aiohttp WebSocket per entry of ``per_client``; subscribe, then read and parse until ``stop_at``."""
    import aiohttp

    async def one(session: aiohttp.ClientSession, topics: list[str], counts: list[int]) -> None:
        async with session.ws_connect(ws_url, max_msg_size=0) as ws:
            await ws.send_str(json.dumps({"op": "subscribe", "req_id": "1", "args": topics}))
            while (left := stop_at - time.time()) > 0:
                try:
                    msg = await asyncio.wait_for(ws.receive(), left)
                except TimeoutError:
                    return
                if msg.type != aiohttp.WSMsgType.TEXT:
                    return
                json.loads(msg.data)
                counts[0] += 1

    async def main() -> int:
        counts = [0]
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(one(session, topics, counts) for topics in per_client))
        return counts[0]

    out.put(asyncio.run(main()))


# -- measuring inside the exchange ----------------------------------------------------------------

class Lateness:
    """Collects the lateness (ms) of every grid point the feeds' ticks cover within a time window."""

    def __init__(self, offset_ms: int) -> None:
        self.offset = offset_ms
        self.start = float("inf")
        self.stop = float("inf")
        self.samples: list[float] = []
        self.by_topic: dict[str, list[float]] = {}
        self.late_ticks = 0          # ticks that covered more than one grid point
        self._due: dict[int, float] = {}
        self.feeds: set[int] = set()

    def wrap(self, tick: Callable[[Any, int], None]) -> Callable[[Any, int], None]:
        def timed(feed: Any, now: int) -> None:
            t = time.time() * 1000
            interval = feed.interval_ms
            due = self._due.get(id(feed))
            if due is None:                                  # the grid point this first tick answers
                due = (t - self.offset) // interval * interval + self.offset
            covered = 0
            kind = feed.topic.split(".")[0] + (f".{feed.spec.depth}" if feed.spec.depth else "")
            while due <= t + 0.5:
                if self.start <= due < self.stop:
                    self.samples.append(t - due)
                    self.by_topic.setdefault(kind, []).append(t - due)
                due += interval
                covered += 1
            if self.start <= t < self.stop:
                self.feeds.add(id(feed))
                self.late_ticks += covered > 1
            self._due[id(feed)] = due
            tick(feed, now)

        return timed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="WebSocket clients (default 50)")
    parser.add_argument("--symbols", type=int, default=10,
                        help="distinct symbols among the clients (client i takes symbol i %% N; default 10)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring starts (default 3)")
    args = parser.parse_args()

    from local_exchange import feeds
    from local_exchange.market import Market
    from local_exchange.runner import LocalExchange
    from local_exchange.settings import ExchangeConfig

    lateness = Lateness(feeds.TICK_OFFSET_MS)
    for cls in {*feeds._KINDS.values()}:
        cls.tick = lateness.wrap(cls.tick)  # type: ignore[method-assign,assignment]

    exchange = LocalExchange(ExchangeConfig(limits="off", port=0)).start()
    ws_url = exchange.url.replace("http://", "ws://") + "/v5/public/linear"
    every = [i.symbol for i in Market(ExchangeConfig().seed).instruments("linear")]
    symbols = every[:max(1, min(args.symbols, len(every)))]
    per_client = [[kind.format(s=symbols[i % len(symbols)]) for kind in KINDS] for i in range(args.clients)]

    begin = time.time()
    lateness.start = (begin + args.warmup) * 1000
    lateness.stop = lateness.start + args.duration * 1000
    stop_at = begin + args.warmup + args.duration + 0.5

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=clients, args=(ws_url, per_client, stop_at, out))
    proc.start()
    try:
        received = out.get(timeout=args.warmup + args.duration + 120)
    finally:
        proc.join(20)
        if proc.is_alive():
            proc.terminate()
    exchange.stop()

    samples = lateness.samples
    print(f"{args.clients} clients x {len(KINDS)} topics over {len(symbols)} symbols on /v5/public/linear; "
          f"{os.cpu_count()} CPUs; {args.duration:.0f} s measured after {args.warmup:.0f} s warm-up")
    print(f"  feeds that published: {len(lateness.feeds)}; scheduled pushes measured: {len(samples):,}; "
          f"messages received by the clients: {received:,}")
    print(f"  lateness of a push against its scheduled tick: p50 {percentile(samples, 0.50):.1f} ms, "
          f"p90 {percentile(samples, 0.90):.1f} ms, p99 {percentile(samples, 0.99):.1f} ms, "
          f"max {max(samples, default=float('nan')):.1f} ms")
    print(f"  ticks that came after the next grid point had passed: {lateness.late_ticks:,}")
    for kind, values in sorted(lateness.by_topic.items()):
        print(f"    {kind:<14} {len(values):>7,} pushes  p50 {percentile(values, 0.50):5.1f} ms  "
              f"p99 {percentile(values, 0.99):5.1f} ms")


if __name__ == "__main__":
    main()
