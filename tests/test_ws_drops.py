"""``POST /local/ws-drop``: the exchange breaks the caller's WebSockets on demand, and pybit recovers.

Every wait is bounded (``until``, ``Collector.reached``).
"""
from __future__ import annotations

import json

import pytest
import requests
import websocket

from helpers import config, connect, stream, topics
from helpers.orderbook import OrderBook
from local_exchange.runner import LocalExchange


@pytest.fixture
def exchange(monkeypatch):
    """A private local exchange that connect.websocket() dials (through BYBIT_LOCAL_URL)."""
    running = LocalExchange().start()
    monkeypatch.setenv("BYBIT_LOCAL_URL", running.url)
    yield running
    running.stop()


def _raw(exchange: LocalExchange, channel: str, topic: str) -> websocket.WebSocket:
    ws = websocket.create_connection(exchange.url.replace("http", "ws") + f"/v5/public/{channel}", timeout=10)
    ws.send(json.dumps({"op": "subscribe", "args": [topic]}))
    return ws


def _ends(ws: websocket.WebSocket) -> bool:
    """Read until the connection ends; True when it did (a read timeout means it is still open)."""
    try:
        while ws.recv():
            pass
    except websocket.WebSocketTimeoutException:
        return False
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        return True
    return True


def test_drop_ends_only_the_chosen_channel(exchange):
    linear = _raw(exchange, "linear", "tickers.BTCUSDT")
    spot = _raw(exchange, "spot", "tickers.BTCUSDT")
    try:
        assert json.loads(linear.recv())["success"] is True and json.loads(spot.recv())["success"] is True
        reply = requests.post(exchange.url + "/local/ws-drop", params={"channel": "linear"}, timeout=10).json()
        assert reply["retCode"] == 0
        (dropped,) = reply["result"]["dropped"]
        assert dropped["channel"] == "linear" and dropped["topics"] == ["tickers.BTCUSDT"]
        assert _ends(linear)
        spot.settimeout(10)
        assert "topic" in json.loads(spot.recv())            # the spot socket still streams
    finally:
        linear.close()
        spot.close()


def test_close_sends_a_close_frame_first(exchange):
    ws = _raw(exchange, "linear", "tickers.BTCUSDT")
    try:
        json.loads(ws.recv())
        reply = requests.post(exchange.url + "/local/ws-drop", params={"how": "close"}, timeout=10).json()
        assert [d["channel"] for d in reply["result"]["dropped"]] == ["linear"]
        opcode, frame = ws.recv_data_frame(True)
        while opcode != websocket.ABNF.OPCODE_CLOSE:
            opcode, frame = ws.recv_data_frame(True)
        assert int.from_bytes(frame.data[:2], "big") == 1001 and frame.data[2:] == b"dropped on request"
    finally:
        ws.close()


def test_bad_arguments_get_10001_and_drop_nothing(exchange):
    ws = _raw(exchange, "linear", "tickers.BTCUSDT")
    try:
        json.loads(ws.recv())
        for query, word in (({"channel": "futures"}, "channel"), ({"how": "gently"}, "how")):
            reply = requests.post(exchange.url + "/local/ws-drop", params=query, timeout=10).json()
            assert reply["retCode"] == 10001 and f"{word} invalid" in reply["retMsg"]
        ws.settimeout(10)
        assert "topic" in json.loads(ws.recv())
    finally:
        ws.close()


def test_pybit_reconnects_resubscribes_and_the_book_resyncs_from_a_new_snapshot(exchange):
    ws = connect.websocket("linear", raw=True)
    book = OrderBook("BTCUSDT")
    kept = stream.Collector(on_message=book.apply)
    try:
        stream.subscribe_topic(ws, topics.orderbook("BTCUSDT", 50), kept)
        assert kept.reached(n=3, timeout=10)
        dropped = connect.drop_websockets("linear")
        assert [d["topics"] for d in dropped] == [["orderbook.50.BTCUSDT"]]
        assert kept.reached(until=lambda m: book.counts.snapshot == 2, timeout=20), book.counts
        assert kept.reached(n=kept.count + 3, timeout=10)
        assert book.counts.gap == 0 and not book.needs_resync and not book.crossed
        assert ws.is_connected() and ws.closed_because is None
    finally:
        ws.exit()


def test_a_silent_drop_is_noticed_by_the_ping_timeout(exchange, caplog):
    # how=silent: the connection stays open but quiet both ways, as when the wifi drops;
    # only the unanswered ping tells pybit, which then reconnects as after any drop.
    ws = connect.websocket("linear", raw=True, ping_interval=2, ping_timeout=1)
    book = OrderBook("BTCUSDT")
    kept = stream.Collector(on_message=book.apply)
    try:
        stream.subscribe_topic(ws, topics.orderbook("BTCUSDT", 50), kept)
        assert kept.reached(n=3, timeout=10)
        (dropped,) = connect.drop_websockets("linear", how="silent")
        assert dropped["topics"] == ["orderbook.50.BTCUSDT"]
        assert kept.reached(until=lambda m: book.counts.snapshot == 2, timeout=30), book.counts
        assert any("ping/pong timed out" in r.getMessage() for r in caplog.records)
        assert not book.needs_resync and ws.is_connected()
    finally:
        ws.exit()


def test_drop_websockets_is_local_only(monkeypatch):
    monkeypatch.setenv("BYBIT_ENV", "testnet")
    monkeypatch.setenv("BYBIT_API_KEY", "k" * 18)
    monkeypatch.setenv("BYBIT_API_SECRET", "s" * 36)
    with pytest.raises(config.ConfigError, match="switch your wifi off"):
        connect.drop_websockets()


def test_drop_websockets_reports_a_bad_channel(exchange):
    with pytest.raises(ValueError, match="channel invalid"):
        connect.drop_websockets("futures")
