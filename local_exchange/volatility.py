"""Historical (realised) volatility of an option's underlying (``/v5/market/historical-volatility``).

Historical volatility says how much a coin's price *has* moved, where implied
volatility (an option's ``markIv``) says how much the option market *expects*
it to move. Bybit publishes it hourly for each option base coin, over several
look-back periods (7 days, 30 days, ...).

Here it is computed from the very price path every other endpoint shows: at
each whole hour ``t``, take the coin's hourly log returns over the ``period``
days before ``t`` and annualise their standard deviation,
``sigma_hour x sqrt(24 x 365)``. So it is a pure function of (seed, coin, hour),
and a calm stretch of the BTCUSDT chart shows as a low value.

Rules from the docs: ``startTime`` and ``endTime`` come together or not at all
(without them: the latest hour); they may span at most 30 days, within the
last two years. Periods per base coin are the docs' enum (``optionPeriod``).

Where the docs are silent: rows are newest first, as the other history
endpoints here; ``quoteCoin`` (``USD`` or ``USDT``) does not change the value
(USDT counts 1 USD here); a ``startTime`` before the two years, a range over 30
days, an unknown ``baseCoin`` or ``period`` all answer 10001.
"""
from __future__ import annotations

import math

import numpy as np

from .catalog import DAY_MS
from .market import Market

HOUR_MS = 3_600_000
MAX_RANGE_MS = 30 * DAY_MS
HISTORY_MS = 2 * 365 * DAY_MS
DEFAULT_PERIOD = 7
ANNUAL = math.sqrt(24 * 365)

_LONG = (7, 14, 21, 30, 60, 90, 180, 270)
OPTION_PERIODS: dict[str, tuple[int, ...]] = {"BTC": _LONG, "ETH": _LONG, "SOL": _LONG[:6]}
"""Base coin -> the ``period`` values (days) Bybit publishes for it (docs' ``optionPeriod`` enum)."""


def hours(start_ms: int | None, end_ms: int | None, now_ms: int) -> list[int]:
    """The whole hours a request covers, newest first: the latest hour when no range is given."""
    latest = now_ms - now_ms % HOUR_MS
    if start_ms is None or end_ms is None:
        return [latest]
    last = min(end_ms, latest)
    last -= last % HOUR_MS
    first = start_ms + (-start_ms % HOUR_MS)
    return list(range(last, first - 1, -HOUR_MS))


def volatility(market: Market, base_coin: str, period_days: int, times: list[int]) -> list[float]:
    """Annualised volatility of ``base_coin``'s hourly log returns over ``period_days`` before each time."""
    if not times:
        return []
    lo, hi = min(times) - period_days * DAY_MS, max(times)
    stamps = range(lo, hi + 1, HOUR_MS)
    logp = np.log([market.prices.family_price(base_coin, t) for t in stamps])
    returns = np.diff(logp)
    n = period_days * 24
    csum = np.concatenate(([0.0], np.cumsum(returns)))
    csq = np.concatenate(([0.0], np.cumsum(returns * returns)))
    out = []
    for t in times:
        end = (t - lo) // HOUR_MS            # returns[end - n:end] end at t
        s, sq = csum[end] - csum[end - n], csq[end] - csq[end - n]
        var = max(0.0, (sq - s * s / n) / (n - 1))
        out.append(math.sqrt(var) * ANNUAL)
    return out


def volatility_rows(market: Market, base_coin: str, period_days: int, times: list[int]) -> list[dict]:
    """The ``result`` list: ``{"period": int, "value": str, "time": str}`` per hour, newest first."""
    values = volatility(market, base_coin, period_days, times)
    return [{"period": period_days, "value": f"{v:.8f}", "time": str(t)} for t, v in zip(times, values)]
