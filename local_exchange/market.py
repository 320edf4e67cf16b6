"""The market model: instruments, prices, books, trades, tickers and klines.

:class:`Market` is what the REST handlers (``routes_market.py``), the WebSocket
streams and the matching engine ask about the market. It holds no clock: every
question comes with the time ``t_ms`` it is asked for, and the answer is a pure
function of (seed, symbol, time). Ask twice, get the same answer; ask for a
moment in 2023 and get what the market "was" then.

Prices come from :mod:`local_exchange.prices`, books from
:mod:`local_exchange.book`, the list of symbols from
:mod:`local_exchange.catalog`. This module turns them into Bybit's shapes:
numbers as strings with the instrument's decimals, rows newest first.
"""
from __future__ import annotations

import base64
import binascii
import math
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

import numpy as np

from bybit_spec.intervals import KLINE_INTERVALS, MINUTE_INTERVALS, OPEN_INTEREST_INTERVALS

from . import catalog
from .book import Book, RawBook, mix64, synthesize, to_book
from .book_effects import ASK, BID, BookEffects, deplete, with_orders
from .catalog import DAY_MS, EPOCH_MS, Instrument, instrument_info
from .clock import now_ms as _clock_now
from .encoding import encode
from .prices import (
    MINUTE_MS,
    STEP_MS,
    STEPS_PER_MINUTE,
    PriceModel,
    black_scholes,
    candle_index,
    candle_start,
    interval_minutes,
    key64,
    unit,
)

__all__ = ["Market", "Instrument", "Book", "KLINE_INTERVALS", "OI_INTERVALS"]

OI_INTERVALS = OPEN_INTEREST_INTERVALS   # kept once in bybit_spec.intervals
FUNDING_MS = 8 * 3_600_000
CHUNK = {"D": 64, "W": 16, "M": 12}       # candles per cached chunk of formatted rows


def fixed(n: int, decimals: int) -> str:
    """An integer count of ``10**-decimals`` written as a decimal string: ``fixed(12345, 2) == "123.45"``."""
    if decimals <= 0:
        return str(n)
    sign = "-" if n < 0 else ""
    s = str(-n if n < 0 else n)
    if len(s) <= decimals:
        s = "0" * (decimals - len(s) + 1) + s
    return f"{sign}{s[:-decimals]}.{s[-decimals:]}"


def trim(x: float, places: int) -> str:
    """A float rounded to ``places`` decimals, without trailing zeros (``"0.0001"``)."""
    s = f"{x:.{places}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def encode_cursor(value: int) -> str:
    """An opaque, URL-safe page token (base64 of ``"n=<value>"``, no padding)."""
    return base64.urlsafe_b64encode(f"n={value}".encode()).decode().rstrip("=")


def decode_cursor(token: str) -> int | None:
    """The number inside a token from :func:`encode_cursor`, or ``None`` if it is not one."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text.startswith("n=") or not text[2:].lstrip("-").isdigit():
        return None
    return int(text[2:])


def series_page(step: int, first_ms: int, start: int | None, end: int | None, cursor: str | None, limit: int,
                now_ms: int) -> tuple[list[int], str]:
    """One page of a time series with one row every ``step`` ms: its times, newest first, and the next cursor.

    The page ends at ``end`` (at most now), or where the cursor says the
    previous page stopped, and goes back no further than ``start`` and
    ``first_ms`` (the series' first row). The cursor is ``""`` on the last page;
    an unusable one raises ``ValueError``.
    """
    end_t = now_ms if end is None else min(end, now_ms)
    if cursor:
        got = decode_cursor(cursor)
        if got is None:
            raise ValueError("cursor")
        end_t = min(end_t, got)
    lo = max(first_ms, start if start is not None else 0)
    times: list[int] = []
    t = end_t // step * step
    while t >= lo and len(times) < limit:
        times.append(t)
        t -= step
    return times, (encode_cursor(t) if t >= lo and times else "")


def candle_range(inst: Instrument, interval: str, start: int | None, end: int | None, limit: int,
                 now_ms: int) -> tuple[int, int, int]:
    """Which candles a kline request asks for: ``(first, last, current)`` candle numbers.

    Candles whose start lies in ``[start, end]`` qualify (``end`` defaults to now
    and is capped at now); when more than ``limit`` qualify, the ``limit``
    nearest ``end``, except with ``start`` alone: then the ``limit`` candles from
    ``start`` on. Nothing before the instrument's launch. ``current`` is the
    still-open candle; ``last < first`` means no candle qualifies.
    """
    current = candle_index(interval, now_ms)
    launch = candle_index(interval, inst.launch_ms)
    start_idx = launch
    if start is not None and start > now_ms:
        return current + 1, current, current          # nothing has started yet (and no date overflow)
    if start is not None:
        i = candle_index(interval, start)
        if candle_start(interval, i) < start:
            i += 1
        start_idx = max(launch, i)
    if start is not None and end is None:
        return start_idx, min(current, start_idx + limit - 1), current
    end_t = now_ms if end is None else min(end, now_ms)
    last = candle_index(interval, end_t)
    first = max(launch, last - limit + 1, start_idx)
    return first, last, current


class _Fmt:
    """How one instrument writes prices, volumes and turnovers (integers -> strings)."""

    __slots__ = ("price_mult", "price_dec", "vol_mult", "vol_dec", "turn_mult", "turn_dec", "lot_mult")

    def __init__(self, inst: Instrument, volume_unit_lots: int) -> None:
        self.price_dec = inst.price_scale
        self.price_mult = int(inst.tick_size.scaleb(inst.price_scale))
        self.vol_dec = inst.qty_scale
        self.lot_mult = int(inst.qty_step.scaleb(inst.qty_scale))
        self.vol_mult = self.lot_mult * volume_unit_lots
        if inst.category == "inverse":
            self.turn_mult, self.turn_dec = 1, 8
        else:
            self.turn_mult, self.turn_dec = self.vol_mult * self.price_mult, self.vol_dec + self.price_dec

    def price(self, ticks: int) -> str:
        return fixed(ticks * self.price_mult, self.price_dec)

    def lots(self, lots: int) -> str:
        return fixed(lots * self.lot_mult, self.vol_dec)

    def kline_row(self, start: int, c: tuple) -> list[str]:
        pm, pd = self.price_mult, self.price_dec
        return [str(start), fixed(c[0] * pm, pd), fixed(c[1] * pm, pd), fixed(c[2] * pm, pd),
                fixed(c[3] * pm, pd), fixed(c[4] * self.vol_mult, self.vol_dec),
                fixed(c[5] * self.turn_mult, self.turn_dec)]

    def price_row(self, start: int, c: tuple) -> list[str]:
        pm, pd = self.price_mult, self.price_dec
        return [str(start), fixed(c[0] * pm, pd), fixed(c[1] * pm, pd), fixed(c[2] * pm, pd),
                fixed(c[3] * pm, pd)]


class Market:
    """Everything public about the local exchange's market, for one seed.

    ``Market(seed=7)`` lists the instruments of :mod:`~local_exchange.catalog`
    (options: the expiries listed when the market is created) and answers every
    question for any time ``t_ms`` (epoch milliseconds, UTC).
    """

    def __init__(self, seed: int = 7, now_ms: int | None = None) -> None:
        self.seed = seed
        self.prices = PriceModel(seed)
        created = _clock_now() if now_ms is None else now_ms
        self._by_cat = catalog.build(created, self.prices.family_price)
        self._index: dict[tuple[str, str], Instrument] = {}
        self._fmt: dict[tuple[str, str], _Fmt] = {}
        self._key: dict[tuple[str, str], int] = {}
        self._reference: dict[tuple[str, str, int], int] = {}
        self.effects = BookEffects()        # liquidity taken by fills, resting orders shown (book_effects.py)
        for cat, insts in self._by_cat.items():
            for inst in insts:
                k = (cat, inst.symbol)
                self._index[k] = inst
                self.prices.register(inst)
                self._fmt[k] = _Fmt(inst, self.prices.volume_unit_lots(inst))
                self._key[k] = key64(seed, "book", cat, inst.symbol)
        # a day of 1-minute rows is ~0.7 MB of strings: keep the last 128 chunks
        self._chunk = lru_cache(maxsize=128)(self._chunk_uncached)
        self._ticker = lru_cache(maxsize=4096)(self._ticker_uncached)
        self._ticker_json = lru_cache(maxsize=1024)(self._ticker_json_uncached)
        self._price = lru_cache(maxsize=4096)(self._price_uncached)
        self._window = lru_cache(maxsize=4096)(self._window_uncached)
        self._minute_trades = lru_cache(maxsize=256)(self._minute_trades_uncached)

    # ------------------------------------------------------------ instruments

    def instruments(self, category: str) -> list[Instrument]:
        """All instruments of a category, in a stable order (empty for unknown categories)."""
        return list(self._by_cat.get(category, ()))

    def instrument(self, category: str, symbol: str) -> Instrument | None:
        """One instrument, or ``None`` if the category does not list that symbol."""
        return self._index.get((category, symbol))

    def instruments_page(self, category: str, symbol: str | None = None, base_coin: str | None = None,
                         status: str | None = None, limit: int = 500, cursor: str | None = None) -> dict:
        """The ``result`` of ``instruments-info``: filtered, then paged with an opaque cursor.

        Spot has no paging (``limit`` and ``cursor`` are ignored, no ``nextPageCursor``).
        Option lists only ``baseCoin`` (default BTC). An unknown ``cursor`` raises ``ValueError``.
        """
        items = self._by_cat.get(category, [])
        if symbol:
            items = [i for i in items if i.symbol == symbol]
        if category == "option" and not symbol:
            base_coin = base_coin or "BTC"
        if base_coin and category != "spot":
            items = [i for i in items if i.base_coin == base_coin]
        if status and status != "Trading":
            items = []
        if category == "spot":
            return {"category": category, "list": [instrument_info(i) for i in items]}
        offset = 0
        if cursor:
            got = decode_cursor(cursor)
            if got is None or got < 0:
                raise ValueError("cursor")
            offset = got
        page = items[offset:offset + limit]
        more = offset + limit < len(items)
        return {"category": category, "list": [instrument_info(i) for i in page],
                "nextPageCursor": encode_cursor(offset + limit) if more else ""}

    # ------------------------------------------------------------ prices

    def _decimal(self, inst: Instrument, ticks: int) -> Decimal:
        return Decimal(self._fmt[(inst.category, inst.symbol)].price(ticks))

    def last_ticks(self, inst: Instrument, t_ms: int) -> int:
        """The last traded price at ``t_ms``, in ticks."""
        if inst.category == "option":
            return self._option_ticks(inst, t_ms - t_ms % 300_000)
        return self.prices.ticks_at(inst, t_ms)

    def mark_ticks(self, inst: Instrument, t_ms: int) -> int:
        """The mark price at ``t_ms``, in ticks."""
        if inst.category == "option":
            return self._option_ticks(inst, t_ms - t_ms % 1000)
        return self.prices.ticks_at(inst, t_ms, "mark")

    def last_price(self, category: str, symbol: str, t_ms: int) -> Decimal:
        """The last traded price at ``t_ms`` (on the tick grid)."""
        return self._price(category, symbol, "last", t_ms // STEP_MS)

    def mark_price(self, category: str, symbol: str, t_ms: int) -> Decimal:
        """The mark price at ``t_ms``: index x (1 + small premium); options: Black-Scholes value."""
        return self._price(category, symbol, "mark", t_ms // STEP_MS)

    def _price_uncached(self, category: str, symbol: str, kind: str, bucket: int) -> Decimal:
        """A last or mark price as a Decimal, once per 100 ms step (it cannot change within one:
        the path moves every 100 ms, option prices every 1 s or 5 min)."""
        inst = self._index[(category, symbol)]
        t_ms = bucket * STEP_MS
        ticks = self.mark_ticks(inst, t_ms) if kind == "mark" else self.last_ticks(inst, t_ms)
        return self._decimal(inst, ticks)

    def index_price(self, category: str, symbol: str, t_ms: int) -> Decimal:
        """The index price at ``t_ms`` (the price path itself; options: the underlying)."""
        inst = self._index[(category, symbol)]
        if inst.category == "option":
            return Decimal(trim(self.underlying(inst, t_ms), 2))
        return self._decimal(inst, self.prices.ticks_at(inst, t_ms))

    def underlying(self, inst: Instrument, t_ms: int) -> float:
        """The option's underlying price: the coin's USDT perpetual price at ``t_ms``."""
        perp = self._index[("linear", f"{inst.base_coin}USDT")]
        return self.prices.ticks_at(perp, t_ms) * perp.tick_float

    def _option_ticks(self, inst: Instrument, t_ms: int) -> int:
        value = black_scholes(inst, self.underlying(inst, t_ms), t_ms)["price"]
        return max(1, round(value / inst.tick_float))

    # ------------------------------------------------------------ order book

    def _reference_ticks(self, inst: Instrument, t_ms: int) -> int:
        """The price at the start of ``t_ms``'s UTC day: what sets the typical size of a book level.

        Sizes scale with it (a level holds about ``level_usd`` of value), and it
        changes once a day, so a tick of the live price does not re-size every level.
        """
        day_start = t_ms - (t_ms - EPOCH_MS) % DAY_MS
        key = (inst.category, inst.symbol, day_start)
        ticks = self._reference.get(key)
        if ticks is None:
            if len(self._reference) > 4096:
                self._reference.clear()
            ticks = self._reference[key] = self.prices.ticks_at(inst, max(day_start, inst.launch_ms))
        return ticks

    def raw_book(self, category: str, symbol: str, t_ms: int, depth: int) -> RawBook:
        """The book orders trade against at ``t_ms``, as integer arrays (ticks, lots).

        The made-up book less the liquidity recent fills took (:mod:`.book_effects`);
        :meth:`public_raw_book` adds the resting orders to it for the public views.
        """
        missing = self.effects.missing(category, symbol, t_ms)
        if not missing:
            return self._made_up_book(category, symbol, t_ms, depth)
        return deplete(self._made_up_book(category, symbol, t_ms, depth + len(missing)), missing, depth)

    def public_raw_book(self, category: str, symbol: str, t_ms: int, depth: int) -> RawBook:
        """:meth:`raw_book` with every account's resting limit orders in it: what everyone sees."""
        raw = self.raw_book(category, symbol, t_ms, depth)
        if self.effects.resting is None:
            return raw
        inst = self._index[(category, symbol)]
        orders = [(side, int(price / inst.tick_size), int(qty / inst.qty_step))
                  for side, price, qty in self.effects.resting(category, symbol)]
        return with_orders(raw, orders, depth) if orders else raw

    def take_liquidity(self, category: str, symbol: str, side: str, fills: list[tuple[Decimal, Decimal]],
                       now_ms: int) -> None:
        """A taker's ``fills`` (price, qty) leave their levels for a while (a ``side`` buyer takes asks)."""
        inst = self._index[(category, symbol)]
        self.effects.take(category, symbol, ASK if side == "Buy" else BID,
                          [(int(p / inst.tick_size), int(q / inst.qty_step)) for p, q in fills], now_ms)

    def _made_up_book(self, category: str, symbol: str, t_ms: int, depth: int) -> RawBook:
        """The synthesized book (:func:`local_exchange.book.synthesize`) around the price at ``t_ms``."""
        inst = self._index[(category, symbol)]
        center = self.mark_ticks(inst, t_ms) if category == "option" else self.last_ticks(inst, t_ms)
        price = self._reference_ticks(inst, t_ms) * inst.tick_float
        base_lots = max(1.0, inst.level_usd / max(price, 1e-12) / float(inst.qty_step))
        if category == "option":
            base_lots = max(1.0, 20.0 / float(inst.qty_step))
            spread = max(2, int(center * 0.02))
        else:
            spread = 1 if inst.usd_volume_day >= 1e9 else 3
        return synthesize(self._key[(category, symbol)], center, t_ms, depth, base_lots, spread)

    def book(self, category: str, symbol: str, t_ms: int, depth: int) -> Book:
        """The order book at ``t_ms``, ``depth`` levels a side, best first.

        Bids are price-descending, asks ascending, and the best bid and ask
        straddle the last price. It changes every 100 ms; ``u`` and ``seq`` grow.
        """
        inst = self._index[(category, symbol)]
        raw = self.raw_book(category, symbol, t_ms, depth)
        return to_book(raw, inst.tick_size, inst.qty_step, inst.price_scale, inst.qty_scale)

    def orderbook_result(self, category: str, symbol: str, t_ms: int, depth: int) -> dict:
        """The ``result`` of ``GET /v5/market/orderbook``: ``s, b, a, ts, u, seq, cts``."""
        f = self._fmt[(category, symbol)]
        raw = self.public_raw_book(category, symbol, t_ms, depth)
        pm, pd, lm, ld = f.price_mult, f.price_dec, f.lot_mult, f.vol_dec
        b = [[fixed(p * pm, pd), fixed(q * lm, ld)] for p, q in zip(raw.bid_ticks.tolist(), raw.bid_lots.tolist())]
        a = [[fixed(p * pm, pd), fixed(q * lm, ld)] for p, q in zip(raw.ask_ticks.tolist(), raw.ask_lots.tolist())]
        return {"s": symbol, "b": b, "a": a, "ts": raw.ts, "u": raw.u, "seq": raw.seq, "cts": raw.ts - 3}

    # ------------------------------------------------------------ klines

    def kline_rows(self, category: str, symbol: str, interval: str, start: int | None, end: int | None,
                   limit: int, now_ms: int, kind: str = "last") -> list[list[str]]:
        """Kline rows, newest first, as Bybit's ``list``.

        ``kind`` is ``last`` (7 strings: start, open, high, low, close, volume,
        turnover), ``mark`` or ``index`` (5 strings). Candles whose start lies in
        ``[start, end]`` qualify (``end`` defaults to now and is capped at now);
        when more than ``limit`` qualify, the ``limit`` nearest ``end`` are
        returned, except with ``start`` alone: then the ``limit`` candles from
        ``start`` onward, as Bybit does (``start=0&limit=1`` is the earliest
        candle; ccxt's ``fetch_ohlcv(since=...)`` relies on it). Candles before
        the instrument's launch do not exist. The candle containing ``now_ms`` is
        still open: its close is the last price now and its high/low those of
        the path so far.
        """
        inst = self._index[(category, symbol)]
        first, last, current = candle_range(inst, interval, start, end, limit, now_ms)
        if last < first:
            return []
        rows: list[list[str]] = []
        idx = last
        if idx == current:
            rows.append(self._live_row(inst, interval, current, now_ms, kind))
            idx -= 1
        per = self._chunk_size(interval)
        while idx >= first:
            chunk_no = idx // per
            base = chunk_no * per
            upto = per if interval_minutes(interval) else min(per, current - base)
            chunk = self._chunk(category, symbol, interval, kind, chunk_no, upto)
            lo = max(first, base)
            rows.extend(r for r in chunk[lo - base: idx - base + 1][::-1] if r is not None)
            idx = base - 1
        return rows

    @staticmethod
    def _chunk_size(interval: str) -> int:
        k = interval_minutes(interval)
        return 1440 // k if interval in MINUTE_INTERVALS else CHUNK[interval]

    def _chunk_uncached(self, category: str, symbol: str, interval: str, kind: str,
                        chunk_no: int, upto: int) -> list[list[str] | None]:
        """Formatted rows of closed candles ``chunk_no*per .. +upto`` (None before launch)."""
        inst = self._index[(category, symbol)]
        f = self._fmt[(category, symbol)]
        fmt = f.kline_row if kind == "last" else f.price_row
        k = interval_minutes(interval)
        if interval in MINUTE_INTERVALS:
            day = chunk_no
            if EPOCH_MS + (day + 1) * DAY_MS <= inst.launch_ms:
                return [None] * upto
            c = self.prices.interval_candles(inst, day, k, kind)
            step = k * MINUTE_MS
            t0 = EPOCH_MS + day * DAY_MS
            cols = [a.tolist() for a in c]
            return [fmt(t0 + j * step, row) for j, row in enumerate(zip(*cols))]
        out: list[list[str] | None] = []
        per = CHUNK[interval]
        for idx in range(chunk_no * per, chunk_no * per + upto):
            s, e = candle_start(interval, idx), candle_start(interval, idx + 1)
            candle = self.prices.span(inst, s, e, e, kind) if e > inst.launch_ms else None
            out.append(None if candle is None else fmt(s, candle))
        return out

    def _live_row(self, inst: Instrument, interval: str, idx: int, now_ms: int, kind: str) -> list[str]:
        s, e = candle_start(interval, idx), candle_start(interval, idx + 1)
        c = self.prices.span(inst, s, e, now_ms, kind)
        assert c is not None, "the live candle of a listed instrument always has its current minute"
        f = self._fmt[(inst.category, inst.symbol)]
        return f.kline_row(s, c) if kind == "last" else f.price_row(s, c)

    # ------------------------------------------------------------ trades

    def _minute_trades_uncached(self, category: str, symbol: str, minute: int) -> tuple[list, ...]:
        """All public trades of one minute: (times, price ticks, lots, sides, step numbers)."""
        inst = self._index[(category, symbol)]
        sp = self.prices.subpath(inst, minute).ticks
        steps = np.arange(STEPS_PER_MINUTE, dtype=np.uint64)
        h = mix64(steps ^ np.uint64(self._key[(category, symbol)] & 0xFFFFFFFFFFFF)
                  ^ (np.uint64(minute) << np.uint64(12)))
        prev = np.concatenate(([sp[0]], sp[:-1]))
        moved = sp != prev
        keep = moved | (h % np.uint64(10) < np.uint64(3))
        up = (sp > prev) | ((sp == prev) & ((h >> np.uint64(20)) % np.uint64(2) == 0))
        price = sp[0] * inst.tick_float
        base = max(1.0, inst.level_usd * 0.05 / price / float(inst.qty_step))
        u = ((h >> np.uint64(11)).astype(np.float64) + 0.5) / 9007199254740992.0
        lots = 1 + np.floor(base * -np.log(u)).astype(np.int64)
        times = EPOCH_MS + minute * MINUTE_MS + steps.astype(np.int64) * STEP_MS + (h >> np.uint64(40)).astype(np.int64) % STEP_MS
        idx = np.nonzero(keep)[0]
        return (times[idx].tolist(), sp[idx].tolist(), lots[idx].tolist(), up[idx].tolist(),
                idx.tolist(), h[idx].tolist())

    def trades(self, category: str, symbol: str, now_ms: int, limit: int) -> list[dict]:
        """The ``limit`` most recent public trades at ``now_ms``, newest first.

        Trades follow the price path: one wherever the 100 ms path moved (taker
        side ``Buy`` on an uptick, ``Sell`` on a downtick) and some in between;
        the accounts' own fills are among them (:mod:`.book_effects`).
        """
        inst = self._index[(category, symbol)]
        if category == "option":
            return self._option_trades([inst], now_ms, limit)
        f = self._fmt[(category, symbol)]
        out: list[dict] = []
        minute = (now_ms - EPOCH_MS) // MINUTE_MS
        first_minute = (inst.launch_ms - EPOCH_MS) // MINUTE_MS
        spot = category == "spot"
        while len(out) < limit and minute >= first_minute:
            times, ticks, lots, ups, steps, hs = self._minute_trades(category, symbol, minute)
            for j in range(len(times) - 1, -1, -1):
                if times[j] > now_ms:
                    continue
                n = minute * STEPS_PER_MINUTE + steps[j]
                h = hs[j]
                if spot:
                    exec_id = str(2_100_000_000_000_000_000 + n * 64 + inst.symbol_id % 64)
                else:
                    x = f"{h:016x}{(h * 0x9E3779B97F4A7C15 >> 7) & 0xFFFFFFFFFFFFFFFF:016x}"
                    exec_id = f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{x[16:20]}-{x[20:32]}"
                out.append({
                    "execId": exec_id, "symbol": symbol, "price": f.price(ticks[j]), "size": f.lots(lots[j]),
                    "side": "Buy" if ups[j] else "Sell", "time": str(times[j]), "isBlockTrade": False,
                    "isRPITrade": False, "seq": str(n),
                })
                if len(out) == limit:
                    break
            minute -= 1
        ours = self.effects.trades(category, symbol, now_ms, limit)
        if not ours:
            return out
        return sorted(out + ours, key=lambda d: (int(d["time"]), d["execId"]), reverse=True)[:limit]

    def record_trade(self, category: str, symbol: str, taker_side: str, price: Decimal, qty: Decimal,
                     exec_id: str, seq: int, now_ms: int) -> None:
        """An account's fill, as the public trade everyone sees (:mod:`.book_effects`)."""
        inst = self._index[(category, symbol)]
        f = self._fmt[(category, symbol)]
        self.effects.trade(category, symbol, {
            "execId": exec_id, "symbol": symbol, "price": f.price(int(price / inst.tick_size)),
            "size": f.lots(int(qty / inst.qty_step)), "side": taker_side, "time": str(now_ms),
            "isBlockTrade": False, "isRPITrade": False, "seq": str(seq)})

    def option_trades(self, base_coin: str, now_ms: int, limit: int) -> list[dict]:
        """Recent trades of every option on ``base_coin``, newest first."""
        return self._option_trades([i for i in self._by_cat["option"] if i.base_coin == base_coin], now_ms, limit)

    def _option_trades(self, insts: list[Instrument], now_ms: int, limit: int) -> list[dict]:
        out: list[dict] = []
        bucket = now_ms // 600_000
        for b in range(bucket, bucket - 288, -1):          # up to two days back, 10 minutes at a time
            for inst in insts:
                if unit(self.seed, "otrade", inst.symbol, b) > 0.3:
                    continue
                t = b * 600_000 + int(unit(self.seed, "otime", inst.symbol, b) * 600_000)
                if t > now_ms or t < inst.launch_ms or t >= inst.delivery_ms:
                    continue
                f = self._fmt[("option", inst.symbol)]
                spot = self.underlying(inst, t)
                bs = black_scholes(inst, spot, t)
                ticks = max(1, round(bs["price"] / inst.tick_float))
                lots = 1 + int(unit(self.seed, "osize", inst.symbol, b) * 50)
                x = f"{key64(self.seed, 'oid', inst.symbol, b):016x}{key64(self.seed, 'oid2', inst.symbol, b):016x}"
                out.append({
                    "execId": f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{x[16:20]}-{x[20:32]}", "symbol": inst.symbol,
                    "price": f.price(ticks), "size": f.lots(lots),
                    "side": "Buy" if unit(self.seed, "oside", inst.symbol, b) < 0.5 else "Sell",
                    "time": str(t), "isBlockTrade": False, "isRPITrade": False, "seq": str(b),
                    "mP": f.price(max(1, round(bs["price"] / inst.tick_float))), "iP": trim(spot, 2),
                    "mIv": trim(bs["iv"], 4), "iv": trim(bs["iv"], 4),
                })
            if len(out) >= limit:
                break
        out.sort(key=lambda d: -int(d["time"]))
        return out[:limit]

    # ------------------------------------------------------------ funding and open interest

    def funding_rate(self, inst: Instrument, settle_ms: int) -> float:
        """The funding rate settled at ``settle_ms`` (an 8-hour boundary): about +0.01 %, capped."""
        a = unit(self.seed, "funding", inst.category, inst.symbol, settle_ms)
        b = unit(self.seed, "funding2", inst.category, inst.symbol, settle_ms)
        rate = 0.0001 + 0.0003 * (a + b - 1.0)
        return round(max(-0.00375, min(0.00375, rate)), 6)

    def next_funding_ms(self, t_ms: int) -> int:
        """The next funding time after ``t_ms`` (00:00, 08:00, 16:00 UTC)."""
        return (t_ms // FUNDING_MS + 1) * FUNDING_MS

    def funding_history(self, category: str, symbol: str, start: int | None, end: int | None,
                        limit: int, now_ms: int) -> list[dict]:
        """Settled funding rates, newest first: in ``[start, end]`` (``end`` defaults to now)."""
        inst = self._index[(category, symbol)]
        end_t = now_ms if end is None else min(end, now_ms)
        lo = max(inst.launch_ms, start if start is not None else 0)
        t = end_t // FUNDING_MS * FUNDING_MS
        out: list[dict] = []
        while t >= lo and len(out) < limit:
            out.append({"symbol": symbol, "fundingRate": trim(self.funding_rate(inst, t), 6),
                        "fundingRateTimestamp": str(t)})
            t -= FUNDING_MS
        return out

    def open_interest(self, inst: Instrument, t_ms: int) -> float:
        """Open interest at ``t_ms`` (base coin for linear, USD contracts for inverse)."""
        t = t_ms - t_ms % 300_000
        phase = unit(self.seed, "oi-phase", inst.category, inst.symbol)
        wave = 0.25 * math.sin(2 * math.pi * (t / (30 * DAY_MS) + phase)) \
            + 0.10 * math.sin(2 * math.pi * (t / (7 * DAY_MS) + 2 * phase)) \
            + 0.02 * (unit(self.seed, "oi", inst.category, inst.symbol, t) - 0.5)
        size = inst.oi_usd * math.exp(wave)
        if inst.category == "inverse":
            return float(round(size))
        if inst.category == "option":
            return round(size / catalog.coin(inst.base_coin).price / 50, 2)
        step = float(inst.qty_step)
        return round(size / catalog.coin(inst.base_coin).price / step) * step

    def open_interest_history(self, category: str, symbol: str, interval_time: str, start: int | None,
                              end: int | None, limit: int, cursor: str | None, now_ms: int) -> tuple[list[dict], str]:
        """Open-interest rows newest first, and the ``nextPageCursor`` ("" on the last page).

        The cursor holds the timestamp the next page starts from (older rows).
        An unusable cursor raises ``ValueError``.
        """
        inst = self._index[(category, symbol)]
        times, next_cursor = series_page(OI_INTERVALS[interval_time], inst.launch_ms, start, end, cursor, limit, now_ms)
        f = self._fmt[(category, symbol)]
        out: list[dict] = []
        for t in times:
            oi = self.open_interest(inst, t)
            out.append({"openInterest": self._oi_str(inst, f, oi), "singleOpenInterest": self._oi_str(inst, f, oi / 2),
                        "timestamp": str(t)})
        return out, next_cursor

    @staticmethod
    def _oi_str(inst: Instrument, f: _Fmt, oi: float) -> str:
        if inst.category == "inverse":
            return f"{round(oi)}.00000000"
        return f"{oi:.{f.vol_dec}f}"

    # ------------------------------------------------------------ tickers

    def _window_uncached(self, category: str, symbol: str, minute: int) -> tuple:
        """The closed part of the 24 h window ending at minute ``minute``, and the price 1 h ago."""
        inst = self._index[(category, symbol)]
        end = EPOCH_MS + minute * MINUTE_MS
        start = end - DAY_MS
        win = self.prices.span(inst, start, end, end)
        hour_ago = end - 3_600_000
        prev1h = self.prices.ticks_at(inst, hour_ago) if hour_ago >= inst.launch_ms else None
        return win, prev1h

    def _stats24(self, inst: Instrument, t_ms: int) -> tuple:
        minute = (t_ms - EPOCH_MS) // MINUTE_MS
        win, prev1h = self._window(inst.category, inst.symbol, minute)
        live = self.prices.live_minute(inst, t_ms) if t_ms >= inst.launch_ms else None
        if win is None:
            return (live, live[0] if live else 0, prev1h)
        assert live is not None, "a window with trades lies after the launch, so the live minute exists"
        merged = (win[0], max(win[1], live[1]), min(win[2], live[2]), live[3], win[4] + live[4], win[5] + live[5])
        return merged, win[0], prev1h

    def ticker(self, category: str, symbol: str, t_ms: int) -> dict:
        """One ``tickers`` item at ``t_ms`` (cached per 100 ms, the path's resolution)."""
        return self._ticker(category, symbol, t_ms // STEP_MS)

    def ticker_json(self, category: str, symbol: str, t_ms: int) -> bytes:
        """:meth:`ticker` already encoded as JSON, also cached per 100 ms.

        Within one 100 ms step the item cannot change (the price path moves in
        steps of 100 ms), so its bytes are encoded once per step and reused by
        every request in that step.
        """
        return self._ticker_json(category, symbol, t_ms // STEP_MS)

    def _ticker_json_uncached(self, category: str, symbol: str, bucket: int) -> bytes:
        return encode(self._ticker(category, symbol, bucket))

    def tickers(self, category: str, t_ms: int, symbol: str | None = None, base_coin: str | None = None,
                exp_date: str | None = None) -> list[dict]:
        """``tickers`` items for a category, optionally one symbol, one base coin or one expiry."""
        if symbol:
            return [self.ticker(category, symbol, t_ms)]
        insts = self._by_cat.get(category, [])
        if base_coin:
            insts = [i for i in insts if i.base_coin == base_coin]
        if exp_date:
            insts = [i for i in insts if f"-{exp_date}-" in i.symbol]
        bucket = t_ms // STEP_MS
        return [self._ticker(category, i.symbol, bucket) for i in insts if i.launch_ms <= t_ms]

    def _ticker_uncached(self, category: str, symbol: str, bucket: int) -> dict:
        t_ms = bucket * STEP_MS
        inst = self._index[(category, symbol)]
        f = self._fmt[(category, symbol)]
        if category == "option":
            return self._option_ticker(inst, f, t_ms)
        top = self.public_raw_book(category, symbol, t_ms, 1)
        stats, prev24, prev1h = self._stats24(inst, t_ms)
        last = stats[3]
        pct = (last - prev24) / prev24 if prev24 else 0.0
        p = f.price
        if category == "spot":
            return {
                "symbol": symbol, "bid1Price": p(int(top.bid_ticks[0])), "bid1Size": f.lots(int(top.bid_lots[0])),
                "ask1Price": p(int(top.ask_ticks[0])), "ask1Size": f.lots(int(top.ask_lots[0])),
                "lastPrice": p(last), "prevPrice24h": p(prev24), "price24hPcnt": trim(pct, 4),
                "highPrice24h": p(stats[1]), "lowPrice24h": p(stats[2]),
                "turnover24h": fixed(stats[5] * f.turn_mult, f.turn_dec),
                "volume24h": fixed(stats[4] * f.vol_mult, f.vol_dec),
                "usdIndexPrice": p(last),
            }
        mark = self.prices.ticks_at(inst, t_ms, "mark")
        oi = self.open_interest(inst, t_ms)
        mark_f = mark * inst.tick_float
        oi_value = oi / mark_f if category == "inverse" else oi * mark_f
        settle = self.next_funding_ms(t_ms)
        return {
            "symbol": symbol, "lastPrice": p(last), "indexPrice": p(last), "markPrice": p(mark),
            "prevPrice24h": p(prev24), "price24hPcnt": trim(pct, 6), "highPrice24h": p(stats[1]),
            "lowPrice24h": p(stats[2]), "prevPrice1h": p(prev1h if prev1h is not None else prev24),
            "openInterest": self._oi_str(inst, f, oi),
            "openInterestValue": f"{oi_value:.{8 if category == 'inverse' else 2}f}",
            "singleOpenInterest": self._oi_str(inst, f, oi / 2),
            "singleOpenInterestValue": f"{oi_value / 2:.{8 if category == 'inverse' else 2}f}",
            "turnover24h": fixed(stats[5] * f.turn_mult, f.turn_dec),
            "volume24h": fixed(stats[4] * f.vol_mult, f.vol_dec),
            "fundingRate": trim(self.funding_rate(inst, settle), 6), "nextFundingTime": str(settle),
            "predictedDeliveryPrice": "", "basisRate": "", "basis": "", "deliveryFeeRate": "",
            "deliveryTime": "0",
            "ask1Size": f.lots(int(top.ask_lots[0])), "bid1Price": p(int(top.bid_ticks[0])),
            "ask1Price": p(int(top.ask_ticks[0])), "bid1Size": f.lots(int(top.bid_lots[0])),
            "preOpenPrice": "", "preQty": "", "curPreListingPhase": "", "fundingIntervalHour": "8",
            "fundingCap": "0.00375", "basisRateYear": "",
        }

    def _option_ticker(self, inst: Instrument, f: _Fmt, t_ms: int) -> dict:
        spot = self.underlying(inst, t_ms)
        bs = black_scholes(inst, spot, t_ms)
        top = self.raw_book("option", inst.symbol, t_ms, 1)
        last = self.last_ticks(inst, t_ms)
        day_ago = max(inst.launch_ms, t_ms - DAY_MS)
        samples = [self._option_ticks(inst, t) for t in range(day_ago - day_ago % 3_600_000 + 3_600_000, t_ms, 3_600_000)]
        samples.append(last)
        prev = self._option_ticks(inst, day_ago)
        volume = round(unit(self.seed, "ovol", inst.symbol, t_ms // 3_600_000) * 200, 2)
        mark = self.mark_ticks(inst, t_ms)
        return {
            "symbol": inst.symbol, "bid1Price": f.price(int(top.bid_ticks[0])), "bid1Size": f.lots(int(top.bid_lots[0])),
            "bid1Iv": trim(bs["iv"] - 0.01, 4), "ask1Price": f.price(int(top.ask_ticks[0])),
            "ask1Size": f.lots(int(top.ask_lots[0])), "ask1Iv": trim(bs["iv"] + 0.01, 4),
            "lastPrice": f.price(last), "highPrice24h": f.price(max(samples)), "lowPrice24h": f.price(min(samples)),
            "markPrice": f.price(mark), "indexPrice": trim(spot, 2), "markIv": trim(bs["iv"], 4),
            "underlyingPrice": trim(spot, 2), "openInterest": trim(self.open_interest(inst, t_ms), 2),
            "turnover24h": trim(volume * spot, 2), "volume24h": trim(volume, 2),
            "totalVolume": str(int(volume * 40)), "totalTurnover": str(int(volume * 40 * spot)),
            "delta": trim(bs["delta"], 8), "gamma": trim(bs["gamma"], 8), "vega": trim(bs["vega"], 8),
            "theta": trim(bs["theta"], 8), "predictedDeliveryPrice": "0",
            "change24h": trim((last - prev) / prev if prev else 0.0, 4),
        }


def utc(t_ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime (handy in notebooks and tests)."""
    return datetime.fromtimestamp(t_ms / 1000, tz=UTC)
