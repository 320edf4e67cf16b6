"""The price history of every symbol: a pure function of (seed, symbol, time).

Ask for the BTCUSDT price at 2023-05-04 12:34:56.700 with seed 7 and you get the
same number on every run, every machine, before and after a restart. Nothing is
stored; everything is recomputed (and cached) from random numbers whose seeds
are derived with :mod:`hashlib` from the seed and a name, never from Python's
``hash()`` (which changes between processes).

How a price is built
--------------------
Time starts at :data:`EPOCH_MS` (2020-01-01 UTC). Prices are made of
*components*, each a random walk in log space:

* one **market** factor (everything crypto moves with it),
* one factor per **sector** (``l1``, ``meme``, ``defi``, ``pay``, ``gold``),
* one **idiosyncratic** factor per coin.

``log price = log p0 + beta_m * market + beta_s * sector + own``,
with ``p0`` the coin's price on the anchor day (:data:`ANCHOR_DAY`, mid-November
2025) so today's prices look like a real market's. Coins sharing a sector and a
large ``beta_m`` (ETH and SOL, two meme coins) move together; tokenised gold
(XAUT) barely follows the rest.

Each component has a **daily level** that follows a mean-reverting
Ornstein-Uhlenbeck walk (``x[d+1] = (1 - kappa) x[d] + sigma eps``): it wanders
like a random walk over weeks but cannot drift to zero or infinity over years.
Inside a day the component follows a **Brownian bridge** pinned to that day's
and the next day's levels, sampled once per minute; so one day can be computed
without computing any other day.

From the log path come **one-minute candles**, the atomic unit: the close is
the path at the end of the minute, rounded to the instrument's tick grid, the
open is the previous close, and the high and low add random *wicks*. Prices are
integers counted in ticks and volumes integers counted in lots, so a 1-hour
candle is *exactly* the aggregate of its sixty 1-minute candles (open first,
close last, high max, low min, volume and turnover summed): no rounding can
creep in.

Inside the current minute a **sub-minute path** of 600 steps (one per 100 ms)
runs from the open to the close, touching the high and the low and never leaving
them. The live last price at time ``t`` is that path at ``t``, which is why the
still-open candle of a kline request always agrees with the ticker.

Mark price = index price x (1 + a small deterministic premium); the index price
is the path itself.

Determinism rests on numpy's ``PCG64`` streams (stable across platforms) and on
IEEE arithmetic. ``exp`` may differ in its last bit between CPUs, which could
only matter for a price exactly halfway between two ticks: not seen in practice.

Memory: a day of one symbol's minute candles is ~70 kB; the caches hold a few
hundred days (about 60 MB at most), whole-day candles are kept for good (tiny).
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from bybit_spec import intervals

from .catalog import COINS, DAY_MS, EPOCH_MS, OPTIONS, CoinSpec, Instrument, _ms

MINUTE_MS = 60_000
MINUTES_PER_DAY = 1440
STEPS_PER_MINUTE = 600            # sub-minute path: one step per 100 ms
STEP_MS = MINUTE_MS // STEPS_PER_MINUTE
HORIZON_DAYS = 365 * 31           # daily levels are defined up to about 2050
ANCHOR_DAY = (_ms("2025-11-15") - EPOCH_MS) // DAY_MS
WEEK0_MS = EPOCH_MS - 2 * DAY_MS  # Monday 2019-12-30, start of week number 0

# Components: name -> (daily sigma, daily mean reversion kappa)
MARKET = ("market", 0.025, 0.0015)
SECTORS: dict[str, tuple[float, float]] = {
    "store": (0.0, 0.003),        # BTC has no sector factor of its own
    "l1": (0.015, 0.003),
    "meme": (0.030, 0.003),
    "defi": (0.018, 0.003),
    "pay": (0.014, 0.003),
    "gold": (0.008, 0.003),
}
IDIO_KAPPA = 0.004

KLINE_INTERVALS = intervals.KLINE_INTERVALS   # Bybit's intervals, kept once in bybit_spec.intervals


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    """A numpy generator seeded from ``seed`` and a name such as ("bridge", "market", 2150).

    The name is hashed with BLAKE2b into four 32-bit words for a ``SeedSequence``:
    the same parts give the same random numbers in every process.
    """
    digest = hashlib.blake2b(repr((seed,) + parts).encode(), digest_size=16).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence(words))


def unit(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) from ``seed`` and a name (cheap, no numpy)."""
    digest = hashlib.blake2b(repr((seed,) + parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0 ** 64


def key64(seed: int, *parts: object) -> int:
    """A deterministic 64-bit integer from ``seed`` and a name."""
    digest = hashlib.blake2b(repr((seed,) + parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class Candles(NamedTuple):
    """Arrays of candles: prices in ticks, volume in lots, turnover in turnover units."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    turnover: np.ndarray


Candle = tuple[int, int, int, int, int, int]   # (open, high, low, close, volume, turnover)


@dataclass(frozen=True)
class SubPath:
    """The 600-step (100 ms) path of one minute, with running max and min."""

    ticks: np.ndarray
    high_so_far: np.ndarray
    low_so_far: np.ndarray


def merge(parts: list[Candle | None]) -> Candle | None:
    """Aggregate consecutive candles: open first, high max, low min, close last, sums."""
    have = [p for p in parts if p is not None]
    if not have:
        return None
    return (
        have[0][0], max(p[1] for p in have), min(p[2] for p in have), have[-1][3],
        sum(p[4] for p in have), sum(p[5] for p in have),
    )


# ---------------------------------------------------------------- interval arithmetic

def interval_minutes(interval: str) -> int:
    """Minutes per candle for ``1`` ... ``720`` and ``D``; 0 for ``W`` and ``M``."""
    if interval == "D":
        return MINUTES_PER_DAY
    if interval in ("W", "M"):
        return 0
    return int(interval)


def candle_index(interval: str, t_ms: int) -> int:
    """Number of the candle that contains ``t_ms`` (candle 0 starts at or before the epoch)."""
    k = interval_minutes(interval)
    if k:
        return (t_ms - EPOCH_MS) // (k * MINUTE_MS)
    if interval == "W":
        return (t_ms - WEEK0_MS) // (7 * DAY_MS)
    d = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
    return (d.year - 2020) * 12 + d.month - 1


def candle_start(interval: str, idx: int) -> int:
    """Start time (ms) of candle number ``idx``; weeks start Monday 00:00 UTC, months on the 1st."""
    k = interval_minutes(interval)
    if k:
        return EPOCH_MS + idx * k * MINUTE_MS
    if interval == "W":
        return WEEK0_MS + idx * 7 * DAY_MS
    year, month = 2020 + idx // 12, idx % 12 + 1
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp() * 1000)


# ---------------------------------------------------------------- the model

class PriceModel:
    """All price paths of one seed, with the caches that make them fast.

    Public methods take an :class:`~local_exchange.catalog.Instrument` and a
    time in epoch milliseconds; ``kind`` is ``"last"`` (traded price),
    ``"index"`` (same path) or ``"mark"`` (index x (1 + premium)).
    """

    def __init__(self, seed: int = 7, day_cache: int = 512, minute_cache: int = 1024) -> None:
        self.seed = seed
        self._specs: dict[str, CoinSpec] = {c.base: c for c in COINS}
        self._levels: dict[str, np.ndarray] = {}
        self._anchor: dict[str, float] = {}
        self._day_candles: dict[tuple, Candle | None] = {}
        self._insts: dict[tuple[str, str], Instrument] = {}
        self._bridge = lru_cache(maxsize=day_cache)(self._bridge_uncached)
        self._family_day = lru_cache(maxsize=day_cache)(self._family_day_uncached)
        self._minutes = lru_cache(maxsize=day_cache)(self._minutes_uncached)
        self._subpath = lru_cache(maxsize=minute_cache)(self._subpath_uncached)

    def register(self, inst: Instrument) -> None:
        """Make an instrument known (the caches are keyed by category and symbol)."""
        self._insts[(inst.category, inst.symbol)] = inst

    # ---- components: daily levels and intraday bridges

    def _component(self, name: str) -> tuple[float, float]:
        if name == "market":
            return MARKET[1], MARKET[2]
        if name.startswith("sector:"):
            return SECTORS[name[7:]]
        return self._specs[name[5:]].idio, IDIO_KAPPA   # "idio:BTC"

    def levels(self, name: str) -> np.ndarray:
        """Daily log-levels of one component, day 0 = the epoch (computed once)."""
        got = self._levels.get(name)
        if got is None:
            sigma, kappa = self._component(name)
            eps = rng_for(self.seed, "levels", name).standard_normal(HORIZON_DAYS + 1).tolist()
            x = eps[0] * sigma / math.sqrt(2 * kappa) if sigma else 0.0   # start in equilibrium
            keep = 1.0 - kappa
            out = [0.0] * (HORIZON_DAYS + 1)
            for d in range(HORIZON_DAYS + 1):
                out[d] = x
                x = keep * x + sigma * eps[d]
            got = self._levels[name] = np.array(out)
        return got

    def _bridge_uncached(self, name: str, day: int) -> np.ndarray:
        """1441 minute-boundary log-levels of a component on one day (a Brownian bridge)."""
        lv = self.levels(name)
        a, b = float(lv[day]), float(lv[day + 1])
        sigma, _ = self._component(name)
        steps = rng_for(self.seed, "bridge", name, day).standard_normal(MINUTES_PER_DAY)
        walk = np.empty(MINUTES_PER_DAY + 1)
        walk[0] = 0.0
        np.cumsum(steps * (sigma / math.sqrt(MINUTES_PER_DAY)), out=walk[1:])
        frac = np.arange(MINUTES_PER_DAY + 1) / MINUTES_PER_DAY
        path = a + frac * (b - a) + (walk - frac * walk[-1])
        path[0], path[-1] = a, b                       # pinned exactly: days join bit for bit
        return path

    def _family_day_uncached(self, family: str, day: int) -> tuple[np.ndarray, ...]:
        """A coin's log-price path (1441 points), wick factors and volume multipliers for a day."""
        spec = self._specs[family]
        names = ("market", f"sector:{spec.sector}", f"idio:{family}")
        betas = (spec.beta_m, spec.beta_s, 1.0)
        const = math.log(spec.price) - sum(b * float(self.levels(n)[ANCHOR_DAY]) for n, b in zip(names, betas))
        logp = const + betas[0] * self._bridge(names[0], day)
        logp = logp + betas[1] * self._bridge(names[1], day)
        logp = logp + self._bridge(names[2], day)
        sigma_min = self.daily_vol(family) / math.sqrt(MINUTES_PER_DAY)
        rng = rng_for(self.seed, "minute", family, day)
        up = np.exp(np.abs(rng.standard_normal(MINUTES_PER_DAY)) * (0.6 * sigma_min))
        down = np.exp(-np.abs(rng.standard_normal(MINUTES_PER_DAY)) * (0.6 * sigma_min))
        moves = np.abs(np.diff(logp)) / sigma_min
        volume = np.exp(0.6 * rng.standard_normal(MINUTES_PER_DAY) - 0.18) * (0.6 + 0.5 * moves)
        return logp, up, down, volume

    def daily_vol(self, family: str) -> float:
        """Model daily volatility (standard deviation of daily log returns) of a coin."""
        spec = self._specs[family]
        s_sigma = SECTORS[spec.sector][0]
        return math.sqrt((spec.beta_m * MARKET[1]) ** 2 + (spec.beta_s * s_sigma) ** 2 + spec.idio ** 2)

    def family_price(self, family: str, t_ms: int) -> float:
        """The coin's model price (a float, not on any tick grid) at a minute boundary."""
        m = (t_ms - EPOCH_MS) // MINUTE_MS
        day, i = divmod(m, MINUTES_PER_DAY)
        return math.exp(float(self._family_day(family, day)[0][i]))

    # ---- one-minute candles

    def volume_unit_lots(self, inst: Instrument) -> int:
        """Kline volumes are multiples of this many qty steps (spot: 1000, so sums stay small)."""
        return 1000 if inst.category == "spot" else 1

    def _minutes_uncached(self, category: str, symbol: str, day: int, kind: str) -> Candles:
        inst = self._insts[(category, symbol)]
        logp, up, down, vmult = self._family_day(inst.family, day)
        ticks = np.maximum(np.rint(np.exp(logp) / inst.tick_float), 1.0)
        if kind == "mark":
            ticks = np.maximum(np.rint(ticks * (1.0 + self.premium(inst, day))), 1.0)
            base = self._minutes(category, symbol, day, "last")
            o, c = ticks[:-1], ticks[1:]
            hi = np.maximum(o, c)
            lo = np.minimum(o, c)
            prem = 1.0 + self.premium(inst, day)[1:]
            high = np.maximum(hi, np.rint(base.high * prem))
            low = np.maximum(np.minimum(lo, np.rint(base.low * prem)), 1.0)
            return Candles(o.astype(np.int64), high.astype(np.int64), low.astype(np.int64),
                           c.astype(np.int64), base.volume, base.turnover)
        o, c = ticks[:-1], ticks[1:]
        hi = np.maximum(o, c)
        lo = np.minimum(o, c)
        high = np.maximum(hi, np.rint(hi * up))
        low = np.maximum(np.minimum(lo, np.rint(lo * down)), 1.0)
        usd = inst.usd_volume_day / MINUTES_PER_DAY * vmult
        typical = (high + low + c) // 3
        if inst.category == "inverse":
            volume = np.rint(usd)                                   # USD contracts
            turnover = np.rint(volume / (typical * inst.tick_float) * 1e8)   # in 1e-8 coin
        else:
            lot = float(inst.qty_step) * self.volume_unit_lots(inst)
            volume = np.rint(usd / (c * inst.tick_float) / lot)     # in volume units
            turnover = volume * typical                             # in (volume unit x tick)
        as_int = lambda a: a.astype(np.int64)   # noqa: E731
        return Candles(as_int(o), as_int(high), as_int(low), as_int(c), as_int(volume), as_int(turnover))

    def minutes(self, inst: Instrument, day: int, kind: str = "last") -> Candles:
        """The 1440 one-minute candles of a UTC day (day 0 = 2020-01-01), ``kind`` last or mark.

        ``index`` candles are the ``last`` candles: the index price is the path itself.
        """
        return self._minutes(inst.category, inst.symbol, day, "mark" if kind == "mark" else "last")

    def premium(self, inst: Instrument, day: int) -> np.ndarray:
        """Mark-price premium at the 1441 minute boundaries of a day (a few basis points)."""
        phase = unit(self.seed, "premium", inst.category, inst.symbol)
        m = day * MINUTES_PER_DAY + np.arange(MINUTES_PER_DAY + 1) - 1
        return 0.0003 * np.sin(2 * np.pi * (m / 733.0 + phase)) + 0.0001 * np.sin(2 * np.pi * (m / 97.0 + 2 * phase))

    def day_candle(self, inst: Instrument, day: int, kind: str = "last") -> Candle | None:
        """One whole UTC day as a candle, or ``None`` before the instrument's launch."""
        kind = "mark" if kind == "mark" else "last"
        key = (inst.category, inst.symbol, day, kind)
        if key in self._day_candles:
            return self._day_candles[key]
        got: Candle | None = None
        if EPOCH_MS + (day + 1) * DAY_MS > inst.launch_ms:
            m = self.minutes(inst, day, kind)
            got = (int(m.open[0]), int(m.high.max()), int(m.low.min()), int(m.close[-1]),
                   int(m.volume.sum()), int(m.turnover.sum()))
        self._day_candles[key] = got
        return got

    def interval_candles(self, inst: Instrument, day: int, k: int, kind: str = "last") -> Candles:
        """A day's candles of ``k`` minutes (k divides 1440), aggregated exactly from 1-minute ones."""
        m = self.minutes(inst, day, kind)
        if k == 1:
            return m
        n = MINUTES_PER_DAY // k
        return Candles(
            m.open[::k], m.high.reshape(n, k).max(axis=1), m.low.reshape(n, k).min(axis=1),
            m.close[k - 1::k], m.volume.reshape(n, k).sum(axis=1), m.turnover.reshape(n, k).sum(axis=1),
        )

    # ---- inside the minute

    def _subpath_uncached(self, category: str, symbol: str, minute: int, kind: str) -> SubPath:
        inst = self._insts[(category, symbol)]
        day, i = divmod(minute, MINUTES_PER_DAY)
        m = self.minutes(inst, day, kind)
        o, hi, lo, c = int(m.open[i]), int(m.high[i]), int(m.low[i]), int(m.close[i])
        n = STEPS_PER_MINUTE
        if hi == lo:
            ticks = np.full(n, o, dtype=np.int64)
        else:
            rng = rng_for(self.seed, "sub", inst.family, minute, kind)   # shared by spot, perp, inverse
            a, b = sorted(int(x) for x in rng.choice(np.arange(1, n - 1), 2, replace=False))
            high_first = rng.random() < (0.7 if c < o else 0.3 if c > o else 0.5)
            first, second = (hi, lo) if high_first else (lo, hi)
            xs = np.array([0, a, b, n - 1])
            ys = np.array([o, first, second, c], dtype=float)
            t = np.arange(n)
            walk = np.cumsum(rng.standard_normal(n)) * ((hi - lo) * 0.35 / math.sqrt(n))
            noise = walk - np.interp(t, xs, walk[xs])          # zero at every anchor
            ticks = np.clip(np.rint(np.interp(t, xs, ys) + noise), lo, hi).astype(np.int64)
            ticks[xs] = ys.astype(np.int64)
        return SubPath(ticks, np.maximum.accumulate(ticks), np.minimum.accumulate(ticks))

    def subpath(self, inst: Instrument, minute: int, kind: str = "last") -> SubPath:
        """The 100 ms path inside minute number ``minute`` (minute 0 = the epoch)."""
        return self._subpath(inst.category, inst.symbol, minute, "mark" if kind == "mark" else "last")

    def ticks_at(self, inst: Instrument, t_ms: int, kind: str = "last") -> int:
        """The price at ``t_ms`` in ticks: a point of the sub-minute path."""
        minute, r = divmod(t_ms - EPOCH_MS, MINUTE_MS)
        return int(self.subpath(inst, minute, kind).ticks[r // STEP_MS])

    def live_minute(self, inst: Instrument, t_ms: int, kind: str = "last") -> Candle:
        """The candle of the minute containing ``t_ms``, as seen at ``t_ms`` (still open).

        Close = price now, high/low = extremes of the path so far, volume and
        turnover the elapsed share of the minute's totals.
        """
        minute, r = divmod(t_ms - EPOCH_MS, MINUTE_MS)
        step = r // STEP_MS
        sp = self.subpath(inst, minute, kind)
        day, i = divmod(minute, MINUTES_PER_DAY)
        m = self.minutes(inst, day, kind)
        frac_num, frac_den = step + 1, STEPS_PER_MINUTE
        return (int(sp.ticks[0]), int(sp.high_so_far[step]), int(sp.low_so_far[step]), int(sp.ticks[step]),
                int(m.volume[i]) * frac_num // frac_den, int(m.turnover[i]) * frac_num // frac_den)

    # ---- any span of time

    def span(self, inst: Instrument, start_ms: int, end_ms: int, now_ms: int, kind: str = "last") -> Candle | None:
        """Aggregate of all trading in ``[start_ms, end_ms)`` as known at ``now_ms``.

        ``start_ms`` and ``end_ms`` are on minute boundaries. Whole past days come
        from cached day candles, partial days from minute arrays, and the minute
        containing ``now_ms`` from the live path. ``None`` if nothing traded.
        """
        start_ms = max(start_ms, inst.launch_ms)
        now_minute = now_ms - (now_ms - EPOCH_MS) % MINUTE_MS
        closed_end = min(end_ms, now_minute)
        parts: list[Candle | None] = []
        t = start_ms
        while t < closed_end:
            day, off = divmod(t - EPOCH_MS, DAY_MS)
            day_end = EPOCH_MS + (day + 1) * DAY_MS
            if off == 0 and day_end <= closed_end:
                parts.append(self.day_candle(inst, day, kind))
                t = day_end
                continue
            stop = min(day_end, closed_end)
            i0, i1 = off // MINUTE_MS, (stop - EPOCH_MS - day * DAY_MS) // MINUTE_MS
            m = self.minutes(inst, day, kind)
            parts.append((int(m.open[i0]), int(m.high[i0:i1].max()), int(m.low[i0:i1].min()),
                          int(m.close[i1 - 1]), int(m.volume[i0:i1].sum()), int(m.turnover[i0:i1].sum())))
            t = stop
        if start_ms <= now_minute < end_ms:
            parts.append(self.live_minute(inst, now_ms, kind))
        return merge(parts)


# ---------------------------------------------------------------- options

def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def option_iv(inst: Instrument, spot: float) -> float:
    """Implied volatility: the coin's base level plus a gentle smile in log-moneyness."""
    base_iv = OPTIONS[inst.base_coin][3]
    k = math.log(float(inst.strike) / spot)
    return base_iv + 0.4 * k * k


def black_scholes(inst: Instrument, spot: float, t_ms: int) -> dict[str, float]:
    """Black-Scholes value and greeks of a European option (rate 0), with the model IV.

    Returns price, iv, delta, gamma, vega (per 1 vol point), theta (per day).
    """
    strike = float(inst.strike)
    iv = option_iv(inst, spot)
    years = max(inst.delivery_ms - t_ms, 60_000) / (365.0 * DAY_MS)
    sd = iv * math.sqrt(years)
    d1 = (math.log(spot / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    if inst.option_type == "Call":
        price = spot * norm_cdf(d1) - strike * norm_cdf(d2)
        delta = norm_cdf(d1)
    else:
        price = strike * norm_cdf(-d2) - spot * norm_cdf(-d1)
        delta = norm_cdf(d1) - 1.0
    gamma = norm_pdf(d1) / (spot * sd)
    vega = spot * norm_pdf(d1) * math.sqrt(years) / 100.0
    theta = -spot * norm_pdf(d1) * iv / (2 * math.sqrt(years)) / 365.0
    return {"price": price, "iv": iv, "delta": delta, "gamma": gamma, "vega": vega, "theta": theta}


ReferencePrice = Callable[[str, int], float]
