"""helpers.klines: intervals, times in ms, and paging a long history backwards."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers import klines

HOUR = 3_600_000
T0 = 1_704_067_200_000   # 2024-01-01 00:00 UTC


class FakeSession:
    """Answers get_kline like Bybit: newest first, at most `cap` rows, within [start, end]."""

    def __init__(self, first: int, last: int, step: int = HOUR, cap: int = 1000) -> None:
        self.times = list(range(first, last + 1, step))
        self.cap = cap
        self.calls: list[dict] = []

    def get_kline(self, **params):
        self.calls.append(params)
        assert params["limit"] <= 1000
        chosen = [t for t in self.times if params["start"] <= t <= params["end"]]
        chosen = sorted(chosen, reverse=True)[: min(params["limit"], self.cap)]
        rows = [[str(t), "1", "2", "0.5", "1.5", "10", "15"] for t in chosen]
        return {"retCode": 0, "retMsg": "OK", "result": {"symbol": params["symbol"], "category": params["category"],
                                                         "list": rows}, "retExtInfo": {}, "time": 0}


@pytest.mark.parametrize("interval,ms", [("1", 60_000), (5, 300_000), ("60", HOUR), ("720", 12 * HOUR),
                                         ("D", 24 * HOUR), ("W", 7 * 24 * HOUR), ("M", 30 * 24 * HOUR)])
def test_interval_ms(interval, ms):
    assert klines.interval_ms(interval) == ms


@pytest.mark.parametrize("bad,hint", [("2", ""), ("1h", "'60'"), ("d", "'D'"), ("15m", "'15'"), ("1D", "")])
def test_unknown_interval_lists_valid_ones(bad, hint):
    with pytest.raises(ValueError) as caught:
        klines.interval_ms(bad)
    message = str(caught.value)
    assert "1 3 5 15 30 60 120 240 360 720 D W M" in message
    assert hint in message


def test_to_ms():
    assert klines.to_ms(T0) == T0
    assert klines.to_ms("2024-01-01") == T0
    assert klines.to_ms(dt.datetime(2024, 1, 1)) == T0                       # naive = UTC
    assert klines.to_ms(dt.datetime(2024, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == T0
    assert klines.to_ms(pd.Timestamp("2024-01-01 01:00", tz="UTC")) == T0 + HOUR
    assert klines.to_ms(dt.date(2024, 1, 1)) == T0
    with pytest.raises(ValueError, match="seconds"):
        klines.to_ms(T0 // 1000)
    with pytest.raises(TypeError):
        klines.to_ms(1.5)


def test_history_pages_backwards_and_deduplicates():
    session = FakeSession(T0, T0 + 2499 * HOUR)
    df = klines.history(session, "BTCUSDT", "60", T0, T0 + 2499 * HOUR)
    assert len(df) == 2500
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert df.index[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert len(session.calls) == 3
    ends = [call["end"] for call in session.calls]
    assert ends[0] == T0 + 2499 * HOUR and ends[1] == T0 + 1500 * HOUR - 1 and ends[2] < ends[1]
    assert all(call["limit"] == 1000 and call["interval"] == "60" for call in session.calls)
    assert df.attrs["symbol"] == "BTCUSDT" and df.attrs["interval"] == "60"


def test_history_with_a_smaller_server_cap_still_gets_everything():
    session = FakeSession(T0, T0 + 449 * HOUR, cap=200)
    df = klines.history(session, "BTCUSDT", 60, T0, T0 + 449 * HOUR, limit=200)
    assert len(df) == 450 and len(session.calls) == 3


def test_history_keeps_only_the_window():
    session = FakeSession(T0 - 50 * HOUR, T0 + 50 * HOUR)
    df = klines.history(session, "BTCUSDT", "60", "2024-01-01", "2024-01-01 10:00")
    assert len(df) == 11
    assert df.index[-1] == pd.Timestamp("2024-01-01 10:00", tz="UTC")


def test_history_validates_before_calling():
    session = FakeSession(T0, T0)
    with pytest.raises(ValueError, match="1 3 5"):
        klines.history(session, "BTCUSDT", "1h", T0, T0 + HOUR)
    with pytest.raises(ValueError, match="1000"):
        klines.history(session, "BTCUSDT", "60", T0, T0 + HOUR, limit=5000)
    with pytest.raises(ValueError, match="after end"):
        klines.history(session, "BTCUSDT", "60", T0 + HOUR, T0)
    assert session.calls == []


def test_history_against_the_local_exchange():
    from helpers import connect

    session = connect.http()
    start, end = pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-03-01", tz="UTC")
    df = klines.history(session, "BTCUSDT", "60", start, end)
    expected = int((end - start) / pd.Timedelta(hours=1)) + 1
    assert len(df) == expected
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert df.index[0] == start and df.index[-1] == end
    assert ((df["high"] >= df[["open", "close"]].max(axis=1)) & (df["low"] <= df[["open", "close"]].min(axis=1))).all()
    again = klines.history(session, "BTCUSDT", "60", start, end)
    pd.testing.assert_frame_equal(df, again)   # deterministic history: same rows every time
