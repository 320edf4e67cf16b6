"""REST polling versus the WebSocket on one ticker: requests spent, updates seen, delays.

Run::

    python benchmarks/polling_vs_websocket.py                  # 10 s per pace
    python benchmarks/polling_vs_websocket.py --window 5 --paces 1 0.1

For each polling pace a fresh local exchange (Bybit's real limits) is started
and ``helpers.polling.compare`` follows ``BTCUSDT`` (linear) both ways for the
same window: ``get_tickers`` every ``pace`` seconds, and a ``tickers.BTCUSDT``
subscription (pybit, ``raw=True``). Delay = arrival minus the exchange's
timestamp of the state (see ``helpers/polling.py``). At 0.01 s the poller
spends 100 requests a second, 83 % of the IP allowance (120/s on average).

Prints a table; asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
from pybit.unified_trading import HTTP  # noqa: E402

from helpers import logs, polling, stream, urls  # noqa: E402
from helpers.connect import LocalWebSocket  # noqa: E402
from local_exchange.runner import LocalExchange  # noqa: E402


def one(pace: float, window: float) -> pd.DataFrame:
    with LocalExchange().start() as exchange:
        rest = HTTP()
        rest.endpoint = exchange.url
        router = stream.RawRouter()
        ws = LocalWebSocket("linear", urls.ws_url("local", "linear", local_url=exchange.url),
                            testnet=False, callback_function=router)
        router.ws, ws.course_router = ws, router
        result = polling.compare(rest, ws, window_s=window, poll_every_s=pace)
    frame = result.frame()
    for i, side in enumerate((result.stream, result.polling)):
        delays = sorted(u.delay_ms for u in side.updates)
        frame.loc[i, "p90_delay_ms"] = round(delays[int(0.9 * (len(delays) - 1))], 1) if delays else None
        frame.loc[i, "mean_delay_ms"] = round(statistics.fmean(delays), 1) if delays else None
    frame.insert(0, "window_s", window)
    return frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=10.0, help="seconds per measurement (default 10)")
    parser.add_argument("--paces", type=float, nargs="+", default=[1.0, 0.1, 0.01],
                        help="polling intervals in seconds (default 1 0.1 0.01)")
    opts = parser.parse_args()
    logs.setup_logging()
    frames = [one(pace, opts.window) for pace in opts.paces]
    with pd.option_context("display.width", 200):
        print(pd.concat(frames, ignore_index=True).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
