"""Bounded collection: N messages, a condition, or a timeout with a clear message; callbacks never raise."""
from __future__ import annotations

import threading
import time

import pytest
from waiting import DEADLINE_S

from helpers import stream
from helpers.stream import Collector, RawRouter, StreamTimeout, collect, messages


class FakeWebSocket:
    """Just enough of pybit's WebSocket: subscribe() starts a thread that pushes ``count`` messages."""

    standard_private_topics = ["order", "wallet"]
    standard_public_topics: list[str] = []

    def __init__(self, count: int = 100, every: float = 0.001, connected: bool = True) -> None:
        self.count, self.every, self.connected = count, every, connected
        self.subscribed: list[str] = []
        self.unsubscribed: list[str] = []
        self.callback_directory: dict = {}
        self.exited = False
        self._stop = threading.Event()

    def is_connected(self) -> bool:
        return self.connected and not self.exited

    def subscribe(self, topic, callback, symbol=False):
        if isinstance(symbol, str):
            symbol = [symbol]
        names = [topic.format(symbol=s) for s in symbol]
        for name in names:
            if name in self.callback_directory:
                raise Exception(f"You have already subscribed to this topic: {name}")
            self.callback_directory[name] = callback
            self.subscribed.append(name)

            def push(name=name):
                for i in range(self.count):
                    if self._stop.is_set():
                        return
                    callback({"topic": name, "type": "snapshot", "ts": i, "data": {"i": i}})
                    time.sleep(self.every)

            threading.Thread(target=push, daemon=True).start()

    def unsubscribe(self, topic):
        self.unsubscribed.append(topic)

    def exit(self):
        self.exited = True
        self._stop.set()


def test_collect_returns_exactly_n_and_closes():
    ws = FakeWebSocket()
    got = collect(ws, "tickers.BTCUSDT", n=5, timeout=5)
    assert len(got) == 5 and got.complete
    assert [m["data"]["i"] for m in got] == [0, 1, 2, 3, 4]
    assert ws.subscribed == ["tickers.BTCUSDT"] and ws.exited


def test_collect_keep_open_unsubscribes_instead():
    ws = FakeWebSocket()
    collect(ws, ["kline.1.BTCUSDT", "kline.1.ETHUSDT"], n=4, timeout=5, close=False)
    assert not ws.exited
    assert ws.unsubscribed == ["kline.1.BTCUSDT", "kline.1.ETHUSDT"]


def test_collect_until_condition():
    ws = FakeWebSocket()
    got = collect(ws, "tickers.BTCUSDT", n=None, until=lambda m: m["data"]["i"] == 7, timeout=5)
    assert got[-1]["data"]["i"] >= 7


def test_timeout_raises_with_counts_and_partial_messages():
    ws = FakeWebSocket(count=3)
    started = time.monotonic()
    with pytest.raises(StreamTimeout) as info:
        collect(ws, "orderbook.50.BTCUSDT", n=10, timeout=0.3)
    assert time.monotonic() - started < 2
    text = str(info.value)
    assert "got 3 of 10 messages on orderbook.50.BTCUSDT in 0.3 s" in text
    assert len(info.value.messages) == 3 and info.value.wanted == 10
    assert ws.exited


def test_timeout_with_nothing_hints_at_symbol_and_channel():
    ws = FakeWebSocket(count=0)
    with pytest.raises(StreamTimeout, match="symbol right.*category"):
        collect(ws, "tickers.BTCUSDT", n=1, timeout=0.2)


def test_partial_returns_what_arrived_with_a_note():
    ws = FakeWebSocket(count=2)
    got = collect(ws, "tickers.BTCUSDT", n=10, timeout=0.3, partial=True)
    assert len(got) == 2 and not got.complete and "got 2 of 10" in got.note


def test_not_connected_fails_fast_with_explanation(monkeypatch):
    monkeypatch.setattr(stream, "CONNECT_WAIT_S", 0.2)
    ws = FakeWebSocket(connected=False)
    with pytest.raises(StreamTimeout, match="not connected"):
        collect(ws, "tickers.BTCUSDT", n=1, timeout=5)
    assert ws.subscribed == []


def test_callback_exceptions_are_kept_not_raised():
    ws = FakeWebSocket()

    def broken(message):
        raise KeyError("oops")

    got = collect(ws, "tickers.BTCUSDT", n=5, timeout=5, on_message=broken)
    assert len(got) == 5 and len(got.errors) >= 5
    assert isinstance(got.errors[0][1], KeyError)


def test_subscribe_function_form():
    ws = FakeWebSocket()
    both = {"orderbook.1.BTCUSDT", "orderbook.1.ETHUSDT"}
    seen: set[str] = set()

    def until_both(message) -> bool:       # each symbol's messages come from its own thread, in any order
        seen.add(message["topic"])
        return seen == both

    got = collect(ws, lambda cb: ws.subscribe("orderbook.1.{symbol}", cb, ["BTCUSDT", "ETHUSDT"]),
                  n=None, until=until_both, timeout=DEADLINE_S)
    assert ws.subscribed == ["orderbook.1.BTCUSDT", "orderbook.1.ETHUSDT"]
    assert {m["topic"] for m in got} == both


def test_private_topic_is_subscribed_without_symbol():
    ws = FakeWebSocket()
    collect(ws, "order", n=1, timeout=5)
    assert ws.subscribed == ["order"]
    ws2 = FakeWebSocket()
    collect(ws2, "order.spot", n=1, timeout=5)
    assert ws2.subscribed == ["order.spot"]


def test_already_subscribed_gets_a_clear_error():
    ws = FakeWebSocket()
    ws.subscribe("tickers.{symbol}", lambda m: None, "BTCUSDT")
    with pytest.raises(ValueError, match="already subscribed"):
        collect(ws, "tickers.BTCUSDT", n=1, timeout=1)


def test_messages_is_a_bounded_loop():
    ws = FakeWebSocket()
    seen = [m["data"]["i"] for m in messages(ws, "tickers.BTCUSDT", limit=4, timeout=5)]
    assert seen == [0, 1, 2, 3] and ws.exited


def test_messages_ends_at_timeout_or_raises():
    ws = FakeWebSocket(count=2)
    started = time.monotonic()
    assert len(list(messages(ws, "tickers.BTCUSDT", limit=10, timeout=0.3))) == 2
    assert time.monotonic() - started < 2
    with pytest.raises(StreamTimeout, match="got 1 of 10"):
        list(messages(FakeWebSocket(count=1), "tickers.BTCUSDT", limit=10, timeout=0.2, partial=False))


def test_messages_break_early_still_closes():
    ws = FakeWebSocket()
    gen = messages(ws, "tickers.BTCUSDT", limit=100, timeout=5)
    for _ in gen:
        break
    gen.close()
    assert ws.exited


def test_collector_wait_counts_threads_and_bounds_memory():
    c = Collector(maxlen=10)
    threads = [threading.Thread(target=lambda: [c({"i": i}) for i in range(100)]) for _ in range(4)]
    for t in threads:
        t.start()
    assert c.reached(n=400, timeout=5)
    assert c.count == 400 and len(c.messages) == 10
    assert not c.reached(n=401, timeout=0.05)


def test_collector_until_sees_earlier_messages_and_survives_broken_condition():
    c = Collector()
    c({"x": 1})
    assert c.reached(until=lambda m: m["x"] == 1, timeout=0.1)
    assert not c.reached(until=lambda m: m["missing"], timeout=0.05)
    assert c.errors


def test_raw_router_routes_by_topic_and_keeps_replies():
    router = RawRouter()
    got = []

    class WS:
        callback_directory = {"orderbook.50.BTCUSDT": got.append, "tickers.X": lambda m: 1 / 0}

    router({"op": "auth", "success": True})            # before the socket exists
    router.ws = WS()
    delta = {"topic": "orderbook.50.BTCUSDT", "type": "delta", "data": {"u": 2}}
    router(delta)
    router({"success": False, "ret_msg": "error:handler not found,topic:x", "op": "subscribe"})
    router({"topic": "tickers.X"})
    assert got == [delta] and got[0]["type"] == "delta"
    assert len(router.replies) == 2 and len(router.errors) == 1


def test_wait_returns_the_messages_or_raises_a_timeout_that_says_how_many_came():
    c = stream.Collector()
    for i in range(3):
        c({"topic": "t", "x": i})
    assert [m["x"] for m in c.wait(n=3, timeout=0.1)] == [0, 1, 2]
    with pytest.raises(stream.StreamTimeout, match="got 3 of 5 messages") as caught:
        c.wait(n=5, timeout=0.05)
    assert len(caught.value.messages) == 3
