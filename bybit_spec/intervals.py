"""Kline (candle) intervals, as Bybit spells them in ``interval`` and in ``kline.{interval}.{symbol}``.

Minutes are plain numbers (``"1"`` ... ``"720"``); a day, a week and a month
are ``"D"``, ``"W"`` and ``"M"``. ``"60"`` is one hour: there is no ``"1h"``.
Source: V5 *Get Kline* and *WebSocket Kline* (``reference/market-data.md``).
"""
from __future__ import annotations

KLINE_INTERVALS: tuple[str, ...] = ("1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M")
"""Every kline interval, shortest first (REST ``/v5/market/kline`` and the ``kline`` topic)."""

MINUTE_INTERVALS: tuple[str, ...] = KLINE_INTERVALS[:10]
"""The intervals counted in minutes (``"1"`` to ``"720"``); the rest are calendar units."""

OPEN_INTEREST_INTERVALS: dict[str, int] = {"5min": 300_000, "15min": 900_000, "30min": 1_800_000,
                                           "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}
"""``intervalTime`` of ``/v5/market/open-interest`` -> its length in milliseconds (spelled unlike klines)."""
