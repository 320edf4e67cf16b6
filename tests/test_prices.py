"""The price model: deterministic, exactly aggregated, realistic co-movement."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from local_exchange.catalog import DAY_MS, EPOCH_MS, _ms
from local_exchange.market import Market
from local_exchange.prices import MINUTE_MS, STEP_MS, STEPS_PER_MINUTE, candle_index, candle_start

# A fixed moment in the past: the "now" of these tests.
NOW = _ms("2024-06-12") + 13 * 3_600_000 + 17 * MINUTE_MS + 23_456


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(7, now_ms=NOW)


def _digest(rows: list) -> str:
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def test_same_seed_same_history_different_seed_different(market: Market) -> None:
    again = Market(7, now_ms=NOW)
    other = Market(8, now_ms=NOW)
    for interval in ("1", "60", "D"):
        a = market.kline_rows("linear", "BTCUSDT", interval, None, None, 300, NOW)
        assert a == again.kline_rows("linear", "BTCUSDT", interval, None, None, 300, NOW)
        assert a != other.kline_rows("linear", "BTCUSDT", interval, None, None, 300, NOW)


def test_history_is_identical_in_a_fresh_process(market: Market) -> None:
    code = (
        "import hashlib, json; from local_exchange.market import Market;"
        f"m = Market(7, now_ms={NOW});"
        f"rows = m.kline_rows('linear', 'ETHUSDT', '5', None, None, 500, {NOW});"
        "print(hashlib.sha256(json.dumps(rows).encode()).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == _digest(market.kline_rows("linear", "ETHUSDT", "5", None, None, 500, NOW))


def _agg(rows: list[list[str]]) -> tuple:
    """Aggregate kline rows given oldest first, using exact decimal arithmetic on the strings."""
    from decimal import Decimal
    return (rows[0][1], max(rows, key=lambda r: Decimal(r[2]))[2], min(rows, key=lambda r: Decimal(r[3]))[3],
            rows[-1][4], str(sum(Decimal(r[5]) for r in rows)), str(sum(Decimal(r[6]) for r in rows)))


@pytest.mark.parametrize("symbol,category", [("BTCUSDT", "linear"), ("DOGEUSDT", "spot"), ("BTCUSD", "inverse")])
def test_hour_and_day_are_exact_aggregates_of_minutes(market: Market, symbol: str, category: str) -> None:
    hour = _ms("2024-06-11") + 5 * 3_600_000
    minutes = market.kline_rows(category, symbol, "1", hour, hour + 59 * MINUTE_MS, 1000, NOW)[::-1]
    assert len(minutes) == 60 and int(minutes[0][0]) == hour
    (h1,) = market.kline_rows(category, symbol, "60", hour, hour, 1, NOW)
    assert tuple(h1[1:]) == _agg(minutes)
    day = _ms("2024-06-10")
    day_minutes = market.kline_rows(category, symbol, "1", day, day + DAY_MS - 1, 1000, NOW)
    day_minutes += market.kline_rows(category, symbol, "1", day, day + DAY_MS - 1 - 1000 * MINUTE_MS, 1000, NOW)
    day_minutes = sorted(day_minutes, key=lambda r: int(r[0]))
    assert len(day_minutes) == 1440
    (d1,) = market.kline_rows(category, symbol, "D", day, day, 1, NOW)
    assert tuple(d1[1:]) == _agg(day_minutes)


def test_week_and_month_are_exact_aggregates_of_days(market: Market) -> None:
    week = _ms("2024-05-06")                      # a Monday
    days = market.kline_rows("linear", "SOLUSDT", "D", week, week + 6 * DAY_MS, 7, NOW)[::-1]
    (w,) = market.kline_rows("linear", "SOLUSDT", "W", week, week, 1, NOW)
    assert tuple(w[1:]) == _agg(days)
    month = _ms("2024-02-01")
    days = market.kline_rows("linear", "SOLUSDT", "D", month, _ms("2024-02-29"), 100, NOW)[::-1]
    assert len(days) == 29
    (mo,) = market.kline_rows("linear", "SOLUSDT", "M", month, month, 1, NOW)
    assert tuple(mo[1:]) == _agg(days)


def test_candle_boundaries() -> None:
    assert candle_start("W", candle_index("W", _ms("2024-05-09"))) == _ms("2024-05-06")   # Monday
    assert candle_start("M", candle_index("M", _ms("2024-02-29") + 5)) == _ms("2024-02-01")
    assert candle_start("240", candle_index("240", _ms("2024-01-01") + 5 * 3_600_000)) == _ms("2024-01-01") + 4 * 3_600_000


def test_live_path_stays_inside_its_minute_candle(market: Market) -> None:
    inst = market.instrument("linear", "ETHUSDT")
    for minute in range(3_000_000, 3_000_020):
        day, i = divmod(minute, 1440)
        m = market.prices.minutes(inst, day)
        o, h, lo, c = int(m.open[i]), int(m.high[i]), int(m.low[i]), int(m.close[i])
        t0 = EPOCH_MS + minute * MINUTE_MS
        path = [market.prices.ticks_at(inst, t0 + k * STEP_MS) for k in range(STEPS_PER_MINUTE)]
        assert path[0] == o and path[-1] == c
        assert min(path) == lo and max(path) == h       # touches both extremes, never leaves them


def test_minutes_join_across_midnight(market: Market) -> None:
    inst = market.instrument("linear", "BTCUSDT")
    for day in (1000, 1500, 1600):
        assert market.prices.minutes(inst, day).close[-1] == market.prices.minutes(inst, day + 1).open[0]


def _daily_returns(market: Market, symbol: str) -> np.ndarray:
    rows = market.kline_rows("linear", symbol, "D", _ms("2023-06-01"), _ms("2024-05-31"), 1000, NOW)[::-1]
    closes = np.array([float(r[4]) for r in rows])
    return np.diff(np.log(closes))


def test_correlations_and_volatility_look_like_a_market(market: Market) -> None:
    btc, eth = _daily_returns(market, "BTCUSDT"), _daily_returns(market, "ETHUSDT")
    assert len(btc) == 365
    assert np.corrcoef(btc, eth)[0, 1] > 0.6
    assert 0.015 < btc.std() < 0.045
    assert eth.std() > btc.std()
    doge = _daily_returns(market, "DOGEUSDT")
    assert doge.std() > eth.std()


def test_low_correlation_pair(market: Market) -> None:
    rows = lambda s: market.kline_rows("linear", s, "D", _ms("2024-06-02"), _ms("2025-06-01"), 1000, _ms("2025-06-02"))  # noqa: E731
    gold = np.diff(np.log([float(r[4]) for r in rows("XAUTUSDT")[::-1]]))
    btc = np.diff(np.log([float(r[4]) for r in rows("BTCUSDT")[::-1]]))
    assert len(gold) == len(btc) == 364
    assert abs(np.corrcoef(btc, gold)[0, 1]) < 0.3
