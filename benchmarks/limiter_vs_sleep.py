"""The same 300 private requests under Bybit's real limits, four ways: no guard, pybit's retry, sleep(2), the limiter.

Run::

    python benchmarks/limiter_vs_sleep.py                 # about 11 minutes: sleep(2) x 300 really runs
    python benchmarks/limiter_vs_sleep.py --sleep-n 10    # sleep(2) on 10 calls, extrapolated to 300

Each strategy gets a fresh local exchange (``limits="bybit"``: 50 per second on
``/v5/position/list``, 600 requests per 5 s per IP) and calls
``get_positions(category="linear", symbol="BTCUSDT")`` ``--n`` times in a row:

1. **no guard**: pybit with ``retry_codes={10002}``, so a 10006 raises at once (counted as an error);
2. **pybit's retry**: pybit's defaults; it sleeps until ``X-Bapi-Limit-Reset-Timestamp`` on each 10006;
3. **sleep(2)**: ``time.sleep(2)`` after every call (``ratelimit.fixed_sleep_guard``);
4. **limiter**: ``ratelimit.Limiter().wrap(session)`` with ``return_response_headers=True``.

A second part does the same for a public endpoint (``get_tickers``, no
budget headers, only the IP limit) with ``--public-n`` requests: no guard
meets the 403 ban; the limiter paces itself with its own rolling window.

Prints a table; asserts nothing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pybit.unified_trading import HTTP  # noqa: E402

from helpers import logs, ratelimit  # noqa: E402
from local_exchange.runner import LocalExchange  # noqa: E402
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig  # noqa: E402


def session(exchange: LocalExchange, **kwargs) -> HTTP:
    s = HTTP(api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, **kwargs)
    s.endpoint = exchange.url
    return s


def run_private(name: str, n: int, sleep_n: int) -> ratelimit.Run:
    args = {"category": "linear", "symbol": "BTCUSDT"}
    with LocalExchange(ExchangeConfig(limits="bybit")).start() as exchange:
        if name == "no guard":
            s = session(exchange, retry_codes={10002})
            return ratelimit.measure(name, lambda: s.get_positions(**args), n)
        if name == "pybit's retry":
            s = session(exchange)
            return ratelimit.measure(name, lambda: s.get_positions(**args), n)
        if name == "sleep(2)":
            guarded = ratelimit.fixed_sleep_guard(session(exchange).get_positions, 2.0)
            run = ratelimit.measure(name, lambda: guarded(**args), sleep_n)
            return run if sleep_n == n else ratelimit.extrapolate(run, n)
        limited = ratelimit.Limiter().wrap(session(exchange, return_response_headers=True))
        return ratelimit.measure(name, lambda: limited.get_positions(**args), n)


def run_public(name: str, n: int) -> ratelimit.Run:
    args = {"category": "linear", "symbol": "BTCUSDT"}
    with LocalExchange(ExchangeConfig(limits="bybit")).start() as exchange:
        if name == "no guard":
            s = session(exchange)
            return ratelimit.measure(name, lambda: s.get_tickers(**args), n)
        limited = ratelimit.Limiter().wrap(session(exchange))
        return ratelimit.measure(name, lambda: limited.get_tickers(**args), n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="private requests per strategy (default 300)")
    parser.add_argument("--sleep-n", type=int, default=None,
                        help="run sleep(2) on this many and extrapolate (default: all --n, 2 s each)")
    parser.add_argument("--public-n", type=int, default=1000, help="public requests per strategy (default 1000)")
    opts = parser.parse_args()
    logs.setup_logging()
    sleep_n = opts.sleep_n or opts.n
    print(f"private: {opts.n} x get_positions, Bybit's limits (50/s on this endpoint, 600 per 5 s per IP)", flush=True)
    runs = []
    for name in ("no guard", "pybit's retry", "limiter", "sleep(2)"):
        runs.append(run_private(name, opts.n, sleep_n))
        print("  ", runs[-1].row(), flush=True)
    print(ratelimit.runs_frame(runs).to_string(index=False))
    print(f"\npublic: {opts.public_n} x get_tickers (no budget headers; only the IP limit)", flush=True)
    public = [run_public(name, opts.public_n) for name in ("no guard", "limiter")]
    print(ratelimit.runs_frame(public).to_string(index=False))
    print(f"(sleep(2) would take {2 * opts.public_n} s for these)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
