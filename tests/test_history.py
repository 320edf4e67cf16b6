"""helpers.history: every tradable symbol, bulk download under a limiter, and the on-disk cache."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers import connect, frames, history, klines

DAY = 86_400_000
T0 = 1_735_689_600_000   # 2025-01-01 00:00 UTC


class FakeSession:
    """Instruments in pages of `limit`, and daily candles like Bybit's (newest first, within [start, end])."""

    def __init__(self, instruments: list[dict], first: int = T0, days: int = 40) -> None:
        self.instruments = instruments
        self.times = [first + i * DAY for i in range(days)]
        self.kline_calls: list[dict] = []
        self.info_calls: list[dict] = []

    def get_instruments_info(self, **params):
        self.info_calls.append(params)
        offset = int(params.get("cursor") or 0)
        page = self.instruments[offset: offset + params["limit"]]
        more = offset + params["limit"] < len(self.instruments)
        return {"retCode": 0, "retMsg": "OK", "result": {
            "category": params["category"], "list": page,
            "nextPageCursor": str(offset + params["limit"]) if more else ""}}

    def get_kline(self, **params):
        self.kline_calls.append(params)
        chosen = sorted((t for t in self.times if params["start"] <= t <= params["end"]), reverse=True)
        chosen = chosen[: params["limit"]]
        base = 1 + sum(map(ord, params["symbol"])) / 1000
        rows = [[str(t), repr(base), repr(base * 1.1), repr(base / 1.1), repr(base + (t - T0) / DAY / 7), "10", "0.1"]
                for t in chosen]
        return {"retCode": 0, "retMsg": "OK", "result": {"symbol": params["symbol"], "category": params["category"],
                                                         "list": rows}}


def instrument(symbol: str, status: str = "Trading", quote: str = "USDT") -> dict:
    return {"symbol": symbol, "status": status, "quoteCoin": quote}


class RecordingLimiter:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def wait(self, path: str) -> float:
        self.paths.append(path)
        return 0.0


# -- tradable_symbols ------------------------------------------------------------------------

def test_tradable_symbols_follows_every_page_and_keeps_only_trading():
    items = [instrument(f"S{i}USDT") for i in range(7)] + [instrument("OLDUSDT", status="Closed"),
                                                          instrument("BTCUSDC", quote="USDC")]
    session = FakeSession(items)
    got = history.tradable_symbols(session, "linear", page_size=3)
    assert got == [f"S{i}USDT" for i in range(7)] + ["BTCUSDC"]
    assert len(session.info_calls) == 3
    assert [c["cursor"] for c in session.info_calls] == ["", "3", "6"]
    assert history.tradable_symbols(session, "linear", page_size=3, quote_coin="USDT") == got[:-1]


def test_tradable_symbols_stops_on_a_repeated_cursor():
    class Stuck(FakeSession):
        def get_instruments_info(self, **params):
            return {"result": {"list": [instrument("AUSDT")], "nextPageCursor": "same"}}

    with pytest.raises(RuntimeError, match="twice"):
        history.tradable_symbols(Stuck([]), page_size=1)


def test_tradable_symbols_against_the_local_exchange_small_pages_equal_one_page():
    session = connect.http()
    one_page = history.tradable_symbols(session, "linear")
    paged = history.tradable_symbols(session, "linear", page_size=7)
    assert paged == one_page
    assert "BTCUSDT" in one_page and len(one_page) > 7


# -- the cache -------------------------------------------------------------------------------

def test_cache_round_trip_is_exact(tmp_path):
    awkward = [0.1 + 0.2, 1e-8, 123456.789, 2 / 3, 96543.21, 5e-324]
    rows = [[str(T0 + i * DAY), repr(v), repr(v * 3), repr(v / 7), repr(v + 1), "12.5", repr(v * 1e6)]
            for i, v in enumerate(awkward)]
    original = frames.klines(rows)
    cache = history.KlineCache(tmp_path)
    path = cache.put(original, "BTCUSDT", "D", T0, T0 + 10 * DAY)
    assert path.exists() and path.parent.name == "linear" and "BTCUSDT_D_" in path.name
    back = cache.get("BTCUSDT", "D", T0, T0 + 10 * DAY)
    pd.testing.assert_frame_equal(back, original, check_exact=True)
    assert back.index.dtype == original.index.dtype
    assert back.attrs["symbol"] == "BTCUSDT" and back.attrs["interval"] == "D"
    assert cache.get("BTCUSDT", "D", T0, T0 + 11 * DAY) is None      # another window: another file
    assert cache.get("ETHUSDT", "D", T0, T0 + 10 * DAY) is None
    assert cache.clear() == 1 and cache.files() == []


def test_cache_keeps_price_klines_and_empty_frames(tmp_path):
    cache = history.KlineCache(tmp_path)
    price = frames.klines([[str(T0), "1.5", "2", "1", "1.75"]])
    cache.put(price, "ETHUSDT", "60", T0, T0 + DAY, price="mark")
    pd.testing.assert_frame_equal(cache.get("ETHUSDT", "60", T0, T0 + DAY, price="mark"), price)
    empty = frames.klines([])
    cache.put(empty, "NEWUSDT", "D", T0, T0 + DAY)
    assert cache.get("NEWUSDT", "D", T0, T0 + DAY).empty


def test_cache_refuses_odd_names_and_foreign_files(tmp_path):
    cache = history.KlineCache(tmp_path)
    with pytest.raises(ValueError, match="file name"):
        cache.path("../../etc", "D", T0, T0)
    path = cache.path("BTCUSDT", "D", T0, T0)
    path.parent.mkdir(parents=True)
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="delete it"):
        cache.get("BTCUSDT", "D", T0, T0)


def test_cache_directory_setting(monkeypatch, tmp_path):
    monkeypatch.delenv(history.CACHE_VARIABLE, raising=False)
    assert history.default_cache_dir() == history.COURSE_ROOT / ".cache" / "klines"
    assert (history.COURSE_ROOT / "helpers" / "history.py").exists()
    monkeypatch.setenv(history.CACHE_VARIABLE, str(tmp_path / "mine"))
    assert history.KlineCache().directory == tmp_path / "mine"


# -- download --------------------------------------------------------------------------------

def test_download_then_reuse_the_cache(tmp_path):
    session = FakeSession([], days=40)
    limiter = RecordingLimiter()
    first = history.download(session, ["BTCUSDT", "ETHUSDT", "BTCUSDT"], "D", T0, T0 + 29 * DAY,
                             cache=tmp_path, limiter=limiter, progress=False)
    assert list(first.frames) == ["BTCUSDT", "ETHUSDT"]
    assert first.downloaded == ["BTCUSDT", "ETHUSDT"] and first.from_cache == []
    assert first.requests == len(session.kline_calls) == 2
    assert limiter.paths == ["/v5/market/kline"] * 2
    assert all(len(df) == 30 for df in first.frames.values())

    second = history.download(session, ["BTCUSDT", "ETHUSDT"], "D", T0, T0 + 29 * DAY,
                              cache=history.KlineCache(tmp_path), limiter=limiter, progress=False)
    assert second.from_cache == ["BTCUSDT", "ETHUSDT"] and second.downloaded == []
    assert second.requests == 0 and len(session.kline_calls) == 2 and len(limiter.paths) == 2
    for symbol in first.frames:
        pd.testing.assert_frame_equal(second.frames[symbol], first.frames[symbol], check_exact=True)
    pd.testing.assert_frame_equal(second.closes(), first.closes(), check_exact=True)


def test_download_pages_long_windows_and_asks_the_limiter_before_each_request(tmp_path):
    session = FakeSession([], days=2500)
    calls: list[str] = []

    class Acquiring:
        def acquire(self, path: str) -> None:
            calls.append(path)

    got = history.download(session, ["BTCUSDT"], "D", T0, T0 + 2400 * DAY, cache=False,
                           limiter=Acquiring(), progress=False)
    assert got.requests == 3 == len(calls) == len(session.kline_calls)
    assert len(got.frames["BTCUSDT"]) == 2401
    with pytest.raises(TypeError, match="wait"):
        history.download(session, ["BTCUSDT"], "D", T0, T0 + DAY, cache=False, limiter=42, progress=False)


def test_unfinished_windows_are_never_cached(tmp_path):
    now = T0 + 10 * DAY + 3_600_000                  # an hour into the day starting T0 + 10 days
    assert history.is_finished(T0 + 9 * DAY, "D", now_ms=now)
    assert not history.is_finished(T0 + 10 * DAY, "D", now_ms=now)
    session = FakeSession([], days=5)
    future_end = klines.to_ms(pd.Timestamp.now(tz="UTC").normalize()) + 3 * DAY
    history.download(session, ["BTCUSDT"], "D", T0, future_end, cache=tmp_path, progress=False)
    history.download(session, ["BTCUSDT"], "D", T0, future_end, cache=tmp_path, progress=False)
    assert len(session.kline_calls) == 2 and history.KlineCache(tmp_path).files() == []


def test_progress_bar_reaches_the_total_and_can_be_hidden(tmp_path, capsys):
    session = FakeSession([], days=5)
    history.download(session, ["AUSDT", "BUSDT", "CUSDT"], "D", T0, T0 + 4 * DAY, cache=False)
    shown = capsys.readouterr().err
    assert "3/3" in shown and "100%" in shown
    history.download(session, ["AUSDT"], "D", T0, T0 + 4 * DAY, cache=False, progress=False)
    assert capsys.readouterr().err == ""


def test_bad_arguments():
    with pytest.raises(ValueError, match="after end"):
        history.download(FakeSession([]), ["AUSDT"], "D", T0 + DAY, T0, cache=False, progress=False)
    with pytest.raises(ValueError, match="interval"):
        history.download(FakeSession([]), ["AUSDT"], "1d", T0, T0 + DAY, cache=False, progress=False)


def test_summary_and_closes_align_late_launches():
    late = FakeSession([], first=T0 + 5 * DAY, days=5)
    got = history.download(late, ["NEWUSDT"], "D", T0, T0 + 9 * DAY, cache=False, progress=False)
    early = history.download(FakeSession([], days=10), ["OLDUSDT"], "D", T0, T0 + 9 * DAY, cache=False,
                             progress=False)
    both = history.Download(frames={**early.frames, **got.frames}, interval="D", start_ms=T0, end_ms=T0 + 9 * DAY)
    table = both.closes()
    assert list(table.columns) == ["OLDUSDT", "NEWUSDT"] and len(table) == 10
    assert table["NEWUSDT"].isna().sum() == 5 and not table["OLDUSDT"].isna().any()
    summary = both.summary()
    assert summary.loc["NEWUSDT", "candles"] == 5 and summary.loc["OLDUSDT", "source"] == "exchange"


def test_download_from_the_local_exchange_is_the_same_from_the_cache(tmp_path):
    session = connect.http()
    symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    first = history.download(session, symbols, "D", "2025-01-01", "2025-03-31", cache=tmp_path, progress=False)
    second = history.download(session, symbols, "D", "2025-01-01", "2025-03-31", cache=tmp_path, progress=False)
    assert first.requests == 3 and second.requests == 0
    assert all(len(df) == 90 for df in first.frames.values())
    pd.testing.assert_frame_equal(first.closes(), second.closes(), check_exact=True)
    direct = klines.history(session, "ETHUSDT", "D", "2025-01-01", "2025-03-31")
    pd.testing.assert_frame_equal(second.frames["ETHUSDT"], direct, check_exact=True)
    assert not math.isnan(second.closes().iloc[-1].sum())


def test_download_under_the_course_limiter_waits_when_the_ip_window_is_full():
    from helpers import ratelimit

    now = [1_000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = ratelimit.Limiter(ip_requests=2, ip_window_s=1.0, clock=lambda: now[0], sleep=sleep)
    got = history.download(FakeSession([], days=5), ["AUSDT", "BUSDT", "CUSDT", "DUSDT", "EUSDT"], "D",
                           T0, T0 + 4 * DAY, cache=False, limiter=limiter, progress=False)
    assert got.requests == 5
    calls = limiter.history_frame()
    assert len(calls) == 5 and set(calls["key"]) == {"/v5/market/kline"}
    assert len(slept) == 2 and sum(slept) >= 2.0           # 5 requests, 2 per second: two full waits


def test_source_of_keeps_exchanges_apart(tmp_path):
    class Endpoint:
        def __init__(self, url: str) -> None:
            self.endpoint = url

    assert history.source_of(Endpoint("http://127.0.0.1:50123")) == "local"
    assert history.source_of(connect.http()) == "local"
    assert history.source_of(Endpoint("https://api-testnet.bybit.com")) == "api-testnet-bybit-com"
    cache = history.KlineCache(tmp_path)
    assert cache.path("BTCUSDT", "D", T0, T0, source="api-bybit-com").parts[-3:-1] == ("api-bybit-com", "linear")
    session = FakeSession([], days=3)
    history.download(session, ["AUSDT"], "D", T0, T0 + 2 * DAY, cache=cache, progress=False, source="elsewhere")
    assert [p.relative_to(tmp_path).parts[0] for p in cache.files()] == ["elsewhere"]
    history.download(session, ["AUSDT"], "D", T0, T0 + 2 * DAY, cache=cache, progress=False)
    assert len(session.kline_calls) == 2       # the local cache was empty: downloaded again
