"""The premium index of a perpetual, and its klines (``/v5/market/premium-index-price-kline``).

The premium index measures how far the perpetual trades from its index
(``(impact price - index) / index``), sampled every minute. It is what the
**funding rate** is made of: at each funding time Bybit averages the premium
index ``P`` over the 8 hours before it and settles

    ``funding rate = P + clamp(0.01 % - P, -0.05 %, +0.05 %)``

(0.01 % is the interest rate part). So when the average premium stays within
0.05 % of 0.01 %, the rate is exactly 0.01 %; beyond that band, it follows the
premium at a distance of 0.05 %.

Here the model runs that formula backwards: the funding rates are those
``/v5/market/funding/history`` shows (:meth:`Market.funding_rate`), and each
8-hour interval's minute premiums are built so that their plain average ``P``
gives back that interval's rate through the formula above (``P = rate + 0.05 %``
for a rate over 0.01 %, ``rate - 0.05 %`` under it, somewhere inside the band for
exactly 0.01 %). On top of ``P`` the minute values wave and jitter, and the
waves are corrected to average exactly zero over the interval. Average the
480 one-minute closes before a funding time, apply the formula, and you get the
rate settled then: a check a learner can run.

Values are integers counted in millionths and written with 6 decimals
(``"-0.000587"``), as Bybit writes them. A one-minute candle opens at the
previous minute's close, closes at the minute's premium, and its high and low
add small wicks; longer candles aggregate minutes exactly (open first, close
last, high max, low min). The still-open minute moves from its open towards its
close as the minute passes ("the last value when the candle is not closed").

Where the docs are silent: the docs list ``category=linear`` only; inverse
perpetuals fund the same way, so they are answered too. The premium here is not
derived from the order book or the mark price (whose own small premium drives
the mark-price klines): it is the funding rate's side of the story.
"""
from __future__ import annotations

import math
import weakref
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .catalog import DAY_MS, EPOCH_MS, Instrument
from .market import FUNDING_MS, candle_range, fixed
from .prices import MINUTE_MS, MINUTES_PER_DAY, candle_start, rng_for, unit

if TYPE_CHECKING:
    from .market import Market

INTEREST = 100            # 0.01 % in millionths
BAND = 500                # 0.05 % in millionths
INTERVAL_MINUTES = FUNDING_MS // MINUTE_MS        # 480 one-minute premiums per funding interval
INTERVALS_PER_DAY = DAY_MS // FUNDING_MS

INTEREST_RATE = Decimal("0.0001")
BAND_RATE = Decimal("0.0005")

Quad = tuple[int, int, int, int]      # open, high, low, close (millionths)


def funding_from_premium(p: Decimal) -> Decimal:
    """Bybit's funding formula: ``P + clamp(0.01 % - P, -0.05 %, +0.05 %)`` (rates as fractions)."""
    return p + min(max(INTEREST_RATE - p, -BAND_RATE), BAND_RATE)


class PremiumIndex:
    """Premium index of every perpetual of one :class:`Market`: a pure function of (seed, symbol, time)."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self._interval = lru_cache(maxsize=1024)(self._interval_uncached)
        self._day = lru_cache(maxsize=512)(self._day_uncached)
        self._day_quad: dict[tuple[str, str, int], Quad] = {}

    # ---- the minute premiums

    def target(self, inst: Instrument, settle_ms: int) -> int:
        """The average premium (millionths) of the interval ending at ``settle_ms``: what gives its funding rate."""
        rate = round(self.market.funding_rate(inst, settle_ms) * 1_000_000)
        if rate > INTEREST:
            return rate + BAND
        if rate < INTEREST:
            return rate - BAND
        inside = unit(self.market.seed, "premium-band", inst.category, inst.symbol, settle_ms)
        return INTEREST + round((inside - 0.5) * 1.6 * BAND)

    def _interval_uncached(self, category: str, symbol: str, settle_ms: int) -> np.ndarray:
        """The 480 minute closes of the funding interval ending at ``settle_ms``; their mean is the target exactly."""
        inst = self.market.instrument(category, symbol)
        assert inst is not None, "asked only for listed instruments"
        rng = rng_for(self.market.seed, "premium-index", category, symbol, settle_ms)
        j = np.arange(INTERVAL_MINUTES)
        phase = rng.random(2) * 2 * math.pi
        wave = (150.0 * np.sin(2 * math.pi * j / INTERVAL_MINUTES + phase[0])
                + 60.0 * np.sin(2 * math.pi * 3 * j / INTERVAL_MINUTES + phase[1])
                + 40.0 * rng.standard_normal(INTERVAL_MINUTES))
        w = np.rint(wave).astype(np.int64)
        w[-1] -= int(w.sum())                # the waves average exactly zero over the interval
        return self.target(inst, settle_ms) + w

    def _day_uncached(self, category: str, symbol: str, day: int) -> tuple[np.ndarray, ...]:
        """One UTC day's 1440 minute candles: open, high, low, close arrays (millionths)."""
        day_ms = EPOCH_MS + day * DAY_MS
        closes = np.concatenate([self._interval(category, symbol, day_ms + (k + 1) * FUNDING_MS)
                                 for k in range(INTERVALS_PER_DAY)])
        before = int(self._interval(category, symbol, day_ms)[-1])
        opens = np.concatenate(([before], closes[:-1]))
        rng = rng_for(self.market.seed, "premium-wicks", category, symbol, day)
        up = np.rint(np.abs(rng.standard_normal(MINUTES_PER_DAY)) * 25).astype(np.int64)
        down = np.rint(np.abs(rng.standard_normal(MINUTES_PER_DAY)) * 25).astype(np.int64)
        return opens, np.maximum(opens, closes) + up, np.minimum(opens, closes) - down, closes, up, down

    # ---- any span of time

    def _whole_day(self, inst: Instrument, day: int) -> Quad:
        key = (inst.category, inst.symbol, day)
        got = self._day_quad.get(key)
        if got is None:
            o, h, lo, c, _, _ = self._day(inst.category, inst.symbol, day)
            got = self._day_quad[key] = (int(o[0]), int(h.max()), int(lo.min()), int(c[-1]))
        return got

    def _live_minute(self, inst: Instrument, now_ms: int) -> Quad:
        """The minute containing ``now_ms`` as seen then: moving from its open towards its close."""
        day, off = divmod(now_ms - EPOCH_MS, DAY_MS)
        i, into = divmod(off, MINUTE_MS)
        o, _, _, c, up, down = self._day(inst.category, inst.symbol, day)
        share = into / MINUTE_MS
        o_i, c_i = int(o[i]), int(c[i])
        now = o_i + round((c_i - o_i) * share)
        return (o_i, max(o_i, now) + round(int(up[i]) * share), min(o_i, now) - round(int(down[i]) * share), now)

    def span(self, inst: Instrument, start_ms: int, end_ms: int, now_ms: int) -> Quad | None:
        """The candle of ``[start_ms, end_ms)`` (minute boundaries) as known at ``now_ms``; ``None`` if empty."""
        start_ms = max(start_ms, inst.launch_ms - (inst.launch_ms - EPOCH_MS) % MINUTE_MS)
        now_minute = now_ms - (now_ms - EPOCH_MS) % MINUTE_MS
        closed_end = min(end_ms, now_minute)
        parts: list[Quad] = []
        t = start_ms
        while t < closed_end:
            day, off = divmod(t - EPOCH_MS, DAY_MS)
            day_end = EPOCH_MS + (day + 1) * DAY_MS
            if off == 0 and day_end <= closed_end:
                parts.append(self._whole_day(inst, day))
                t = day_end
                continue
            stop = min(day_end, closed_end)
            i0, i1 = off // MINUTE_MS, (stop - EPOCH_MS - day * DAY_MS) // MINUTE_MS
            o, h, lo, c, _, _ = self._day(inst.category, inst.symbol, day)
            parts.append((int(o[i0]), int(h[i0:i1].max()), int(lo[i0:i1].min()), int(c[i1 - 1])))
            t = stop
        if start_ms <= now_minute < end_ms:
            parts.append(self._live_minute(inst, now_ms))
        if not parts:
            return None
        return parts[0][0], max(p[1] for p in parts), min(p[2] for p in parts), parts[-1][3]

    def kline_rows(self, inst: Instrument, interval: str, start: int | None, end: int | None, limit: int,
                   now_ms: int) -> list[list[str]]:
        """``[start, open, high, low, close]`` rows, newest first, chosen as ``/v5/market/kline`` chooses them."""
        first, last, _ = candle_range(inst, interval, start, end, limit, now_ms)
        rows: list[list[str]] = []
        for idx in range(last, first - 1, -1):
            s = candle_start(interval, idx)
            q = self.span(inst, s, candle_start(interval, idx + 1), now_ms)
            if q is not None:
                rows.append([str(s), *(fixed(v, 6) for v in q)])
        return rows


_BY_MARKET: weakref.WeakKeyDictionary[Market, PremiumIndex] = weakref.WeakKeyDictionary()


def premium_index(market: Market) -> PremiumIndex:
    """The :class:`PremiumIndex` of ``market`` (made once, kept as long as the market lives)."""
    got = _BY_MARKET.get(market)
    if got is None:
        got = _BY_MARKET[market] = PremiumIndex(market)
    return got
