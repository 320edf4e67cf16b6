"""The long/short account ratio of a perpetual (``/v5/market/account-ratio``).

Of all accounts holding a position in a contract, the share holding a long
(``buyRatio``) and the share holding a short (``sellRatio``); the two add up to 1.
It is a crowd-sentiment gauge: it counts *accounts*, not contracts, so a
lopsided ratio says what most small traders do, not where the money is.

Here it is a pure function of (seed, symbol, time), sampled every 5 minutes: a
slow swing around 50 %, and a contrarian crowd (after the price fell over the
last day, more accounts are long, "buying the dip"; after a rally, fewer). The
row of a longer ``period`` at time ``t`` is the 5-minute value at ``t``, so
every period agrees where their timestamps meet. Ratios have 4 decimals and
``sellRatio = 1 - buyRatio`` exactly.

Rules from the docs: ``period`` is one of ``5min 15min 30min 1h 4h 1d`` (the
open-interest spelling, kept once in :mod:`bybit_spec.intervals`), ``limit`` 1-500
(default 50), nothing before 2020-07-20. Where they are silent: rows are newest
first and paged with an opaque ``nextPageCursor`` holding the next row's time
("" on the last page), as ``open-interest`` here.
"""
from __future__ import annotations

import math
from decimal import Decimal

from bybit_spec.intervals import OPEN_INTEREST_INTERVALS

from .catalog import DAY_MS, EPOCH_MS, Instrument, _ms
from .market import Market, series_page
from .prices import MINUTE_MS, unit

PERIODS = OPEN_INTEREST_INTERVALS          # the same six spellings and lengths
EARLIEST_MS = _ms("2020-07-20")
SAMPLE_MS = 300_000


def buy_ratio(market: Market, inst: Instrument, t_ms: int) -> Decimal:
    """The share of accounts long ``inst`` at ``t_ms`` (4 decimals, within 0.05 .. 0.95)."""
    t = t_ms - t_ms % SAMPLE_MS
    phase = unit(market.seed, "ls-phase", inst.category, inst.symbol)
    swing = 0.08 * math.sin(2 * math.pi * (t / (9 * DAY_MS) + phase)) \
        + 0.03 * math.sin(2 * math.pi * (t / (DAY_MS * 1.3) + 2 * phase))
    noise = 0.02 * (unit(market.seed, "ls", inst.category, inst.symbol, t) - 0.5)
    minute = t - (t - EPOCH_MS) % MINUTE_MS
    day_ago = max(minute - DAY_MS, inst.launch_ms - (inst.launch_ms - EPOCH_MS) % MINUTE_MS)
    change = math.log(market.prices.family_price(inst.family, minute) / market.prices.family_price(inst.family, day_ago))
    ratio = 0.5 + swing + noise - 1.5 * change
    return Decimal(f"{min(0.95, max(0.05, ratio)):.4f}")


def ratio_rows(market: Market, inst: Instrument, period: str, start: int | None, end: int | None, limit: int,
               cursor: str | None, now_ms: int) -> tuple[list[dict], str]:
    """Rows newest first and the ``nextPageCursor``; an unusable cursor raises ``ValueError``."""
    times, next_cursor = series_page(PERIODS[period], max(inst.launch_ms, EARLIEST_MS), start, end, cursor, limit,
                                     now_ms)
    out: list[dict] = []
    for t in times:
        buy = buy_ratio(market, inst, t)
        out.append({"symbol": inst.symbol, "buyRatio": str(buy), "sellRatio": str(1 - buy), "timestamp": str(t)})
    return out, next_cursor
