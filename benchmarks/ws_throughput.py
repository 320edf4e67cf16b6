"""How many WebSocket messages per second the local exchange pushes, and how late they arrive.

Run::

    python benchmarks/ws_throughput.py                      # 5 s per scenario
    python benchmarks/ws_throughput.py --duration 10 --saturation-connections 12

Scenarios (every client runs in a separate process; the exchange runs the way a
notebook runs it, in a background thread of this process):

1. **Bybit's real push rates**: one connection to ``/v5/public/linear``
   subscribed to 20 symbols x 4 topics (``orderbook.50``, ``publicTrade``,
   ``tickers``, ``kline.1``), read by
   a. a raw client (aiohttp's WebSocket client: receive, ``json.loads``, count);
   b. pybit's ``WebSocket`` with its own dispatcher (``connect.websocket("linear")``:
      it merges every order-book delta into its copy and deep-copies the whole
      book for each callback);
   c. pybit with ``raw=True`` (``callback_function=``: messages passed on unmerged).
2. **Saturation**: the real rates of 20 x 4 topics add up to only about a
   thousand messages a second (a 50-level book changes at most ten times a
   second, a ticker ten times, a kline once), far below the 20,000/s target by
   construction. So the same measurement runs again with many connections,
   each subscribed to every linear symbol x 4 topics: the exchange encodes and
   frames each message once and writes it to every subscriber, which is the
   cost a busy classroom server pays.

Latency is the client's clock at receipt minus the message's ``ts`` (the
exchange's clock when it generated the message, in ms), same machine, so it
includes the server's queueing, the loopback, and the client's own parsing
(for pybit: its dispatch and, for order books, its merge and deep copy). ``ts``
has millisecond resolution, so figures below 1 ms are rounding.

Targets: >= 20,000 msgs/s to raw clients, >= 5,000 msgs/s through pybit
callbacks, p99 < 5 ms. This prints numbers; it asserts nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KINDS = ("orderbook.50.{s}", "publicTrade.{s}", "tickers.{s}", "kline.1.{s}")


def topics_for(symbols: list[str]) -> list[str]:
    return [kind.format(s=s) for s in symbols for kind in KINDS]


def _summary(counts: int, elapsed: float, latencies: list[float]) -> dict[str, Any]:
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    return {"rate": counts / elapsed if elapsed else 0.0, "count": counts, "p50": pct(0.50), "p99": pct(0.99),
            "max": lat[-1] if lat else float("nan")}


# -- clients (run in a child process) -----------------------------------------------------------------

def raw_client(ws_url: str, per_conn: list[list[str]], warmup: float, duration: float, out: Any) -> None:
    """aiohttp WebSocket connections; count topic messages and their latency after ``warmup``."""
    import aiohttp

    async def main() -> dict[str, Any]:
        counts = [0]
        latencies: list[float] = []
        start_at = time.time() + warmup
        stop_at = start_at + duration

        async def one(session: aiohttp.ClientSession, topics: list[str]) -> None:
            async with session.ws_connect(ws_url, max_msg_size=0) as ws:
                for i in range(0, len(topics), 10):
                    await ws.send_str(json.dumps({"op": "subscribe", "req_id": str(i), "args": topics[i:i + 10]}))
                while True:
                    left = stop_at - time.time()
                    if left <= 0:
                        return
                    try:
                        msg = await asyncio.wait_for(ws.receive(), left)
                    except TimeoutError:
                        return
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        return
                    now = time.time()
                    data = json.loads(msg.data)
                    if "topic" in data and now >= start_at:
                        counts[0] += 1
                        latencies.append(now * 1000 - data["ts"])

        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(one(session, t) for t in per_conn))
        return _summary(counts[0], duration, latencies)

    out.put(asyncio.run(main()))


def pybit_client(local_url: str, per_conn: list[list[str]], raw: bool, warmup: float, duration: float,
                 out: Any) -> None:
    """pybit WebSockets made by helpers.connect (one thread each); count callbacks after ``warmup``."""
    os.environ["BYBIT_ENV"] = "local"
    os.environ["BYBIT_LOCAL_URL"] = local_url
    from helpers import connect, stream

    lock = threading.Lock()
    counts = [0]
    latencies: list[float] = []
    start_at = [float("inf")]

    def callback(message: dict) -> None:
        now = time.time()
        if now >= start_at[0]:
            with lock:
                counts[0] += 1
                latencies.append(now * 1000 - message["ts"])

    sockets = []
    for topics in per_conn:
        ws = connect.websocket("linear", raw=raw)
        for topic in topics:
            stream.subscribe_topic(ws, topic, callback)
        sockets.append(ws)
    start_at[0] = time.time() + warmup
    time.sleep(warmup + duration)      # a benchmark process, not a notebook: it only waits for the window
    with lock:
        result = _summary(counts[0], duration, list(latencies))
    for ws in sockets:
        ws.exit()
    out.put(result)


def run_in_process(target: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, out))
    proc.start()
    try:
        return out.get(timeout=90)
    except Exception:
        return {"rate": float("nan"), "count": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    finally:
        proc.join(20)
        if proc.is_alive():
            proc.terminate()


# -- main -----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=1.5, help="seconds before counting starts")
    parser.add_argument("--symbols", type=int, default=20, help="symbols in the real-rate scenario")
    parser.add_argument("--saturation-connections", type=int, default=24,
                        help="raw connections in the saturation scenario, each subscribed to every linear symbol")
    parser.add_argument("--pybit-connections", type=int, default=6,
                        help="pybit connections in the saturation scenario (one thread each)")
    args = parser.parse_args()

    from local_exchange.market import Market
    from local_exchange.runner import LocalExchange
    from local_exchange.settings import ExchangeConfig

    exchange = LocalExchange(ExchangeConfig(ip_limit=False)).start()
    ws_url = exchange.url.replace("http://", "ws://") + "/v5/public/linear"
    every = [i.symbol for i in Market(ExchangeConfig().seed).instruments("linear")]
    real = topics_for(every[:args.symbols])
    saturated = topics_for(every)
    n_sat, n_py = args.saturation_connections, args.pybit_connections

    rows = []
    scenarios = [
        ("real rates, raw client", 1, len(real), raw_client, (ws_url, [real])),
        ("real rates, pybit callbacks", 1, len(real), pybit_client, (exchange.url, [real], False)),
        ("real rates, pybit raw=True", 1, len(real), pybit_client, (exchange.url, [real], True)),
        ("saturation, raw client", n_sat, len(saturated), raw_client, (ws_url, [saturated] * n_sat)),
        # pybit's own dispatcher merges and deep-copies every book: half the sockets, or it falls behind
        ("saturation, pybit callbacks", max(1, n_py // 2), len(saturated), pybit_client,
         (exchange.url, [saturated] * max(1, n_py // 2), False)),
        ("saturation, pybit raw=True", n_py, len(saturated), pybit_client,
         (exchange.url, [saturated] * n_py, True)),
    ]
    print(f"local exchange {exchange.url}; {os.cpu_count()} CPUs; {args.duration:.0f} s measured per scenario "
          f"after {args.warmup:.1f} s warm-up; clients in a separate process\n")
    for name, conns, topics_n, target, targs in scenarios:
        result = run_in_process(target, *targs, args.warmup, args.duration)
        rows.append((name, conns, topics_n, result))
        print(f"  {name}: {result['rate']:,.0f} msgs/s, p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms",
              flush=True)
    exchange.stop()

    print()
    header = f"{'scenario':32} {'conns':>5} {'topics/conn':>11} {'msgs/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    print(header)
    print("-" * len(header))
    for name, conns, topics_n, r in rows:
        print(f"{name:32} {conns:>5} {topics_n:>11} {r['rate']:>10,.0f} {r['p50']:>7.1f} {r['p99']:>7.1f} "
              f"{r['max']:>7.1f}")
    print()
    best_raw = max((r["rate"] for name, _, _, r in rows if "raw client" in name and r["rate"] == r["rate"]), default=0)
    best_pybit = max((r["rate"] for name, _, _, r in rows if "pybit" in name and r["rate"] == r["rate"]), default=0)
    real_p99 = max(r["p99"] for name, _, _, r in rows if name.startswith("real"))
    print(f"targets: raw >= 20,000 msgs/s: {best_raw:,.0f} ({'met' if best_raw >= 20_000 else 'NOT met'}); "
          f"pybit >= 5,000 msgs/s: {best_pybit:,.0f} ({'met' if best_pybit >= 5_000 else 'NOT met'}); "
          f"p99 < 5 ms at real rates: {real_p99:.1f} ms ({'met' if real_p99 < 5 else 'NOT met'})")
    print("The real-rate rows are what a notebook sees: at Bybit's push rates 20 symbols x 4 topics give about "
          "500 msgs/s (every linear symbol: about 1,000) per connection, so 20,000/s needs many connections; "
          "the saturation rows measure that ceiling. nan = the client fell too far behind to report.")


if __name__ == "__main__":
    main()
