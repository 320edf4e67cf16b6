"""Candles (klines): valid intervals, times in milliseconds, and long histories.

Three facts about ``GET /v5/market/kline`` shape this module:

* ``interval`` is one of ``1 3 5 15 30 60 120 240 360 720`` (minutes) or
  ``D W M`` (day, week, month), spelled exactly like that;
* ``start`` and ``end`` are **milliseconds** since 1970, UTC;
* one call returns at most 1000 candles (``limit``, default 200), **newest
  first**. A longer history takes several calls.

:func:`history` makes those calls for you: it asks for the newest 1000 candles
up to ``end``, then moves ``end`` to just before the oldest candle it got, and
repeats until it reaches ``start``. Candles seen twice are kept once, and the
result is a DataFrame sorted oldest first (:func:`helpers.frames.klines`).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from bybit_spec.intervals import KLINE_INTERVALS

from . import frames

INTERVALS: tuple[str, ...] = KLINE_INTERVALS
"""Every ``interval`` Bybit accepts, shortest first (kept in :mod:`bybit_spec.intervals`)."""

MAX_LIMIT = 1000
"""The most candles one kline call returns."""

_MINUTE_MS = 60_000
_DAY_MS = 1440 * _MINUTE_MS

_METHODS = {
    "trade": "get_kline",
    "mark": "get_mark_price_kline",
    "index": "get_index_price_kline",
    "premium": "get_premium_index_price_kline",
}


def check_interval(interval: str | int) -> str:
    """``interval`` as Bybit spells it, or ``ValueError`` listing the valid ones.

    Integers are accepted for minutes (``60`` → ``"60"``). ``"1h"``, ``"d"`` or
    ``"1D"`` are refused with a hint: Bybit itself would answer retCode 10001.
    """
    text = str(interval).strip()
    if text in INTERVALS:
        return text
    hint = ""
    if text.upper() in INTERVALS:
        hint = f" Bybit spells it {text.upper()!r}."
    elif text.lower().endswith("h") and text[:-1].isdigit() and str(int(text[:-1]) * 60) in INTERVALS:
        hint = f" Hours are given in minutes: {str(int(text[:-1]) * 60)!r}."
    elif text.lower().endswith("m") and text[:-1].isdigit() and text[:-1] in INTERVALS:
        hint = f" Minutes are given as a bare number: {text[:-1]!r}."
    raise ValueError(f"unknown kline interval {interval!r}; valid intervals: {' '.join(INTERVALS)} "
                     f"(minutes, then D=day, W=week, M=month).{hint}")


def interval_ms(interval: str | int) -> int:
    """The length of one candle in milliseconds (``"60"`` → 3 600 000).

    ``"M"`` has no fixed length (months have 28 to 31 days); it is counted
    as 30 days here, which is only right for estimating how many candles fit.
    """
    text = check_interval(interval)
    if text == "D":
        return _DAY_MS
    if text == "W":
        return 7 * _DAY_MS
    if text == "M":
        return 30 * _DAY_MS
    return int(text) * _MINUTE_MS


def to_ms(when: Any) -> int:
    """A moment as Bybit wants it: integer milliseconds since 1970-01-01 UTC.

    Accepts an ``int`` (already milliseconds), a ``datetime`` or ``date``
    (a naive one is taken as UTC), a ``pandas.Timestamp``, or a string such as
    ``"2024-01-01"`` or ``"2024-01-01 12:00"`` (UTC unless it names a zone).
    An integer that looks like seconds (10 digits) is refused: multiply it by 1000.
    """
    if isinstance(when, bool):
        raise TypeError("a time cannot be True/False")
    if isinstance(when, int):
        if 0 < when < 100_000_000_000:
            raise ValueError(f"{when} looks like seconds; Bybit wants milliseconds ({when * 1000})")
        return when
    if isinstance(when, (str, dt.date, pd.Timestamp)):
        stamp = pd.Timestamp(when)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return int(stamp.value // 1_000_000)
    raise TypeError(f"cannot read {when!r} as a time; give milliseconds, a datetime or a string like '2024-01-01'")


def history(
    session: Any,
    symbol: str,
    interval: str | int,
    start: Any,
    end: Any,
    category: str = "linear",
    *,
    price: str = "trade",
    limit: int = MAX_LIMIT,
) -> pd.DataFrame:
    """Every candle from ``start`` to ``end`` (both included), oldest first.

    ``session`` is a pybit ``HTTP`` (``helpers.connect.http()``); ``start`` and
    ``end`` take anything :func:`to_ms` reads. ``price`` picks the series:
    ``"trade"`` (``get_kline``), ``"mark"``, ``"index"`` or ``"premium"`` (the
    price klines, four columns). Calls ask for ``limit`` candles each
    (at most 1000) and walk backwards from ``end``.

    >>> df = history(session, "BTCUSDT", "60", "2024-01-01", "2024-03-01")   # doctest: +SKIP
    """
    interval = check_interval(interval)
    if price not in _METHODS:
        raise ValueError(f"unknown price {price!r}; choose one of: {', '.join(_METHODS)}")
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT} (Bybit's cap per call), not {limit}")
    start_ms, end_ms = to_ms(start), to_ms(end)
    if start_ms > end_ms:
        raise ValueError(f"start ({start}) is after end ({end})")
    fetch = getattr(session, _METHODS[price])

    by_start: dict[int, list] = {}
    cursor = end_ms
    while cursor >= start_ms:
        reply = fetch(category=category, symbol=symbol, interval=interval,
                      start=start_ms, end=cursor, limit=int(limit))
        result = reply[0] if isinstance(reply, tuple) else reply
        rows = result["result"]["list"]
        if not rows:
            break
        for row in rows:
            by_start.setdefault(int(row[0]), row)
        oldest = min(int(row[0]) for row in rows)
        if oldest > cursor:
            raise RuntimeError(f"the server returned candles after end={cursor}; stopping to avoid a loop")
        if len(rows) < int(limit) or oldest <= start_ms:
            break
        cursor = oldest - 1

    kept = [row for t, row in by_start.items() if start_ms <= t <= end_ms]
    df = frames.klines({"list": kept})
    df.attrs.update({"symbol": symbol, "category": category, "interval": interval, "price": price})
    return df
