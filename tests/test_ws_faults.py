"""Faults on the wire: the exchange dies mid-stream and comes back on the same port, or never comes back.

pybit reconnects and resubscribes by itself (``restart_on_error=True``); the
order book notices the break (a fresh snapshot replaces it, a lost delta is a
gap) and resyncs; collection always ends by its timeout with a message that
says why, instead of hanging. Every wait here is bounded.

pybit alone retries a refused connection immediately, with no pause;
``connect.websocket`` pauses between attempts (see ``test_connect_reconnect.py``
for a restart after an outage). The restart below is immediate.
"""
from __future__ import annotations

import time

import pytest
from waiting import until

from helpers import connect, stream, topics
from helpers.orderbook import OrderBook
from local_exchange.runner import LocalExchange
from local_exchange.settings import ExchangeConfig


@pytest.fixture
def exchange(monkeypatch):
    """A private local exchange that connect.websocket() dials (through BYBIT_LOCAL_URL)."""
    running = {"ex": LocalExchange().start()}
    monkeypatch.setenv("BYBIT_LOCAL_URL", running["ex"].url)

    def restart() -> LocalExchange:
        port = running["ex"].port
        running["ex"].stop()
        running["ex"] = LocalExchange(ExchangeConfig(port=port)).start()
        return running["ex"]

    running["restart"] = restart
    yield running
    running["ex"].stop()


def _wait(predicate, timeout: float) -> bool:
    return until(predicate, timeout)


def test_pybit_reconnects_resubscribes_and_messages_flow_again(exchange):
    ws = connect.websocket("linear", retries=200)
    try:
        before = stream.Collector()
        ws.trade_stream("BTCUSDT", before)               # pybit's own callbacks
        ws.ticker_stream("ETHUSDT", before)
        assert before.reached(n=3, timeout=10)
        old_endpoint = ws.endpoint
        exchange["restart"]()
        seen = before.count
        assert _wait(ws.is_connected, 10), "pybit did not reconnect"
        assert ws.endpoint == old_endpoint               # the same local address, via LocalWebSocket._connect
        # resubscribed: both topics deliver again on the new server
        assert before.reached(until=lambda m: m["topic"] == "tickers.ETHUSDT" and before.count > seen + 1, timeout=10)
        assert before.reached(until=lambda m: m["topic"] == "publicTrade.BTCUSDT" and before.count > seen, timeout=10)
        assert not before.errors
    finally:
        ws.exit()


def test_order_book_sees_the_new_snapshot_after_a_restart(exchange):
    ws = connect.websocket("linear", raw=True, retries=200)
    book = OrderBook("BTCUSDT")
    outcomes: list[str] = []
    collector = stream.Collector(on_message=lambda m: outcomes.append(book.apply(m)))
    try:
        stream.subscribe_topic(ws, topics.orderbook("BTCUSDT", 50), collector)
        assert collector.reached(n=3, timeout=10)
        assert outcomes[0] == "snapshot" and set(outcomes[1:]) == {"delta"}
        exchange["restart"]()
        mark = len(outcomes)
        assert _wait(lambda: "snapshot" in outcomes[mark:] or "restart" in outcomes[mark:], 10), outcomes[mark:]
        assert _wait(lambda: outcomes[-1] == "delta", 10)
        assert not book.needs_resync and not book.crossed and not collector.errors
        rest = connect.http().get_orderbook(category="linear", symbol="BTCUSDT", limit=50)["result"]
        assert rest["u"] >= book.u
    finally:
        ws.exit()


def test_lost_delta_is_a_gap_and_rest_resync_continues(exchange):
    ws = connect.websocket("linear", raw=True)
    book = OrderBook("BTCUSDT")
    outcomes: list[str] = []
    deltas = {"n": 0}

    def lossy(message):                     # the network "loses" the second delta
        if message["type"] == "delta":
            deltas["n"] += 1
            if deltas["n"] == 2:
                return
        outcomes.append(book.apply(message))

    collector = stream.Collector(on_message=lossy)
    try:
        stream.subscribe_topic(ws, topics.orderbook("BTCUSDT", 50), collector)
        assert _wait(lambda: "gap" in outcomes, 10), outcomes
        assert book.needs_resync and "lost" in book.last_problem
        assert _wait(lambda: outcomes[-1] == "ignored", 10)
        book.resync_from_rest(connect.http(), "linear", limit=50)
        mark = len(outcomes)
        assert _wait(lambda: outcomes[mark:].count("delta") >= 2, 10), outcomes[mark:]
        assert set(outcomes[mark:]) <= {"skipped", "delta"}
        assert not book.needs_resync and not book.crossed
    finally:
        ws.exit()


def test_collection_ends_by_timeout_when_the_server_dies_mid_collection(exchange):
    ws = connect.websocket("linear", retries=2)
    started = time.monotonic()
    try:
        killed: list[bool] = []

        def kill_after_first(message):
            if not killed:
                killed.append(True)
                exchange["ex"].stop()

        with pytest.raises(stream.StreamTimeout) as info:
            stream.collect(ws, topics.ticker("BTCUSDT"), n=1000, timeout=2.0, on_message=kill_after_first)
        assert time.monotonic() - started < 8
        text = str(info.value)
        assert text.startswith("got ") and "of 1000 messages on tickers.BTCUSDT" in text
        assert "the socket is closed" in text
    finally:
        ws.exit()


def test_collect_on_a_socket_whose_server_is_gone_fails_fast(exchange, monkeypatch):
    monkeypatch.setattr(stream, "CONNECT_WAIT_S", 0.5)
    ws = connect.websocket("linear", retries=2)
    exchange["ex"].stop()
    assert _wait(lambda: not ws.is_connected(), 5)
    started = time.monotonic()
    with pytest.raises(stream.SocketClosed, match=r"cannot subscribe to tickers\.BTCUSDT: the socket is closed: "):
        stream.collect(ws, topics.ticker("BTCUSDT"), n=1, timeout=5)
    assert time.monotonic() - started < 3
    ws.exit()
