"""The exchange's clock, in one place so tests and lessons can shift it.

``now_ms()`` is what the server believes the time is. A lesson about clock skew
(retCode 10002) moves the *client's* clock, never this one.
"""
from __future__ import annotations

import time


def now_ms() -> int:
    """Milliseconds since the Unix epoch, UTC."""
    return time.time_ns() // 1_000_000


def now_ns() -> int:
    """Nanoseconds since the Unix epoch, UTC (``/v5/market/time`` reports both)."""
    return time.time_ns()
