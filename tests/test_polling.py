"""helpers.polling: ticker tracking, the arithmetic of a comparison, and a short live run."""
from __future__ import annotations

import pytest

from helpers import polling
from helpers.polling import TickerTracker, Update


def ticker(last: str, bid: str = "1", ask: str = "2") -> dict:
    return {"symbol": "BTCUSDT", "lastPrice": last, "bid1Price": bid, "bid1Size": "1", "ask1Price": ask,
            "ask1Size": "1", "markPrice": last, "volume24h": "5"}


def test_tracker_merges_deltas_and_records_only_changes():
    times = iter([10.0, 10.1, 10.2, 10.3])
    tracker = TickerTracker(clock=lambda: next(times))
    tracker({"type": "snapshot", "ts": 9_990, "data": ticker("100")})
    tracker({"type": "delta", "ts": 10_090, "data": {"symbol": "BTCUSDT", "volume24h": "6"}})   # not a price change
    tracker({"type": "delta", "ts": 10_190, "data": {"symbol": "BTCUSDT", "lastPrice": "101"}})
    tracker({"op": "pong"})
    assert tracker.messages == 3
    assert [u.state[0] for u in tracker.updates] == ["100", "101"]
    assert tracker.updates[1].delay_ms == pytest.approx(10.0)
    assert tracker.ticker["volume24h"] == "6"


def test_combine_dates_polled_states_by_the_stream_and_counts_misses():
    s = [polling.state_of(ticker(p)) for p in ("100", "101", "102", "103")]
    ws = [Update(0.95, 0.90, s[0]), Update(1.01, 1.00, s[1]), Update(1.11, 1.10, s[2]), Update(1.21, 1.20, s[3])]
    polls = [(1.05, 1.04, s[1]), (1.55, 1.54, s[3])]            # saw 101 and 103, missed 102
    c = polling.combine(ws, polls, requests=2, window=(1.0, 1.6), poll_label="REST")
    rows = c.frame().set_index("method")
    assert rows.loc["WebSocket", "updates_seen"] == 3 and rows.loc["WebSocket", "requests"] == 0
    assert rows.loc["REST", "updates_seen"] == 2 and rows.loc["REST", "updates_missed"] == 1
    assert c.delays()["REST"] == pytest.approx([50.0, 350.0])     # 1.05-1.00, 1.55-1.20
    assert rows.loc["WebSocket", "updates_missed"] == 0


def test_combine_uses_reply_time_when_the_stream_never_had_the_state():
    s = polling.state_of(ticker("7"))
    c = polling.combine([], [(2.0, 1.99, s)], 1, (1.0, 3.0), "REST")
    assert c.delays()["REST"] == pytest.approx([10.0])
    assert c.frame().set_index("method").loc["WebSocket", "updates_missed"] == 1


def test_compare_rejects_bad_window():
    with pytest.raises(ValueError, match="positive"):
        polling.compare(None, None, window_s=0)


def test_compare_live_short_window():
    from pybit.unified_trading import HTTP

    from helpers import stream, urls
    from helpers.connect import LocalWebSocket
    from local_exchange.runner import LocalExchange

    with LocalExchange().start() as exchange:
        session = HTTP()
        session.endpoint = exchange.url
        router = stream.RawRouter()
        ws = LocalWebSocket("linear", urls.ws_url("local", "linear", local_url=exchange.url),
                            testnet=False, callback_function=router)
        router.ws, ws.course_router = ws, router
        c = polling.compare(session, ws, window_s=1.0, poll_every_s=0.5)
    # What holds on any machine, however slow: the poller never asks more than once per 0.5 s
    # slot (a slow reply makes it ask less, never more), each reply shows at most one state,
    # the stream costs no request, and nothing arrives before the exchange stamped it.
    rows = c.frame().set_index("method")
    assert 0 < rows.loc["REST every 0.5 s", "requests"] <= 2
    assert rows.loc["REST every 0.5 s", "updates_seen"] <= rows.loc["REST every 0.5 s", "requests"]
    assert rows.loc["WebSocket", "requests"] == 0
    assert all(d >= 0 for d in c.delays()["WebSocket"])


def test_combine_dates_a_returning_price_by_its_latest_appearance():
    a, b = polling.state_of(ticker("100")), polling.state_of(ticker("101"))
    ws = [Update(1.01, 1.0, a), Update(1.11, 1.1, b), Update(1.21, 1.2, a)]
    c = polling.combine(ws, [(1.25, 1.24, a)], 1, (1.0, 1.3), "REST")
    assert c.delays()["REST"] == pytest.approx([50.0])           # from 1.2, not from 1.0
