"""helpers.connect.websocket(): the local exchange through pybit, each environment's address, the guards."""
from __future__ import annotations

import pybit._websocket_stream as pybit_stream
import pytest
from pybit.unified_trading import WebSocket, WebSocketTrading
from waiting import until

from helpers import connect, stream, topics
from helpers.orderbook import OrderBook

KEY = "AbCdEfGhIjKlMnOpQr"
SECRET = "0123456789abcdef0123456789abcdef0123"


@pytest.fixture
def dialled(monkeypatch):
    """Replace websocket-client's WebSocketApp: record the URL pybit dials, connect to nothing."""
    urls: list[str] = []

    class Sock:
        connected = True

    class FakeApp:
        def __init__(self, url, **callbacks):
            urls.append(url)
            self.url = url
            self.sock = Sock()

        def run_forever(self, **kwargs):
            return None

        def send(self, data):
            pass

        def close(self):
            self.sock = None

    monkeypatch.setattr(pybit_stream.websocket, "WebSocketApp", FakeApp)
    return urls


# -- addresses per environment (no network) --------------------------------------------------

@pytest.mark.parametrize("channel", ["linear", "spot", "inverse", "option"])
def test_demo_public_channels_dial_mainnet_public_stream(env, dialled, channel):
    env.setenv("BYBIT_ENV", "demo")
    env.setenv("BYBIT_API_KEY", KEY)
    env.setenv("BYBIT_API_SECRET", SECRET)
    ws = connect.websocket(channel)
    ws.exit()
    assert dialled == [f"wss://stream.bybit.com/v5/public/{channel}"]
    assert not ws.demo and ws.api_key is None        # pybit dropped the keys for a public stream


def test_demo_private_dials_stream_demo(env, dialled):
    env.setenv("BYBIT_ENV", "demo")
    env.setenv("BYBIT_API_KEY", KEY)
    env.setenv("BYBIT_API_SECRET", SECRET)
    ws = connect.websocket("private")
    ws.exit()
    assert dialled == ["wss://stream-demo.bybit.com/v5/private"]
    assert ws.api_key == KEY


def test_demo_trade_is_refused_with_reason(env, dialled):
    env.setenv("BYBIT_ENV", "demo")
    env.setenv("BYBIT_API_KEY", KEY)
    env.setenv("BYBIT_API_SECRET", SECRET)
    with pytest.raises(ValueError, match="not supported on demo"):
        connect.websocket("trade")
    assert dialled == []


@pytest.mark.parametrize("channel, url", [
    ("linear", "wss://stream-testnet.bybit.com/v5/public/linear"),
    ("private", "wss://stream-testnet.bybit.com/v5/private"),
    ("trade", "wss://stream-testnet.bybit.com/v5/trade"),
])
def test_testnet_addresses(env, dialled, channel, url):
    env.setenv("BYBIT_ENV", "testnet")
    env.setenv("BYBIT_API_KEY", KEY)
    env.setenv("BYBIT_API_SECRET", SECRET)
    ws = connect.websocket(channel)
    ws.exit()
    assert dialled == [url]
    assert isinstance(ws, WebSocketTrading if channel == "trade" else WebSocket)


def test_mainnet_trade_is_refused_without_opt_in(env, dialled):
    env.setenv("BYBIT_ENV", "mainnet")
    env.setenv("BYBIT_API_KEY", KEY)
    env.setenv("BYBIT_API_SECRET", SECRET)
    with pytest.raises(connect.MainnetOrdersDisabled, match="BYBIT_ALLOW_MAINNET_ORDERS"):
        connect.websocket("trade")
    assert dialled == []
    connect.websocket("private").exit()             # reading your own data stays allowed
    connect.websocket("linear").exit()
    assert dialled == ["wss://stream.bybit.com/v5/private", "wss://stream.bybit.com/v5/public/linear"]


def test_mainnet_trade_with_opt_in(env, dialled):
    env.setenv("BYBIT_ENV", "mainnet")
    env.setenv("BYBIT_API_KEY", KEY)
    env.setenv("BYBIT_API_SECRET", SECRET)
    env.setenv("BYBIT_ALLOW_MAINNET_ORDERS", "1")
    connect.websocket("trade").exit()
    assert dialled == ["wss://stream.bybit.com/v5/trade"]


def test_bad_arguments(env, dialled):
    with pytest.raises(ValueError, match="spot, linear, inverse, option, private, trade"):
        connect.websocket("futures")
    with pytest.raises(TypeError, match="BYBIT_ENV"):
        connect.websocket("linear", testnet=True)
    with pytest.raises(ValueError, match="raw"):
        connect.websocket("trade", raw=True)
    assert dialled == []


def test_defaults_and_overrides_reach_pybit(env, dialled):
    env.setenv("BYBIT_ENV", "testnet")
    env.setenv("BYBIT_API_KEY", KEY)
    env.setenv("BYBIT_API_SECRET", SECRET)
    ws = connect.websocket("linear", ping_interval=5, retries=3)
    ws.exit()
    assert (ws.ping_interval, ws.retries, ws.handle_error) == (5, 3, True)


# -- the local exchange through pybit (loopback) --------------------------------------------------

def test_local_public_stream_through_pybit_callbacks():
    ws = connect.websocket("linear")
    assert isinstance(ws, connect.LocalWebSocket) and ws.endpoint.startswith("ws://127.0.0.1:")
    assert ws.endpoint.endswith("/v5/public/linear")
    got = stream.collect(ws, lambda cb: ws.ticker_stream("BTCUSDT", cb), n=2, timeout=10)
    assert [m["topic"] for m in got] == ["tickers.BTCUSDT"] * 2
    assert got[0]["type"] == "snapshot" and "lastPrice" in got[0]["data"]   # pybit merged any delta
    assert not ws.is_connected()


def test_local_raw_mode_keeps_deltas_and_the_book_matches_rest():
    ws = connect.websocket("linear", raw=True)
    got = stream.collect(ws, topics.orderbook("BTCUSDT", 50), n=4, timeout=10)
    assert [m["type"] for m in got] == ["snapshot", "delta", "delta", "delta"]
    book = OrderBook("BTCUSDT")
    assert [book.apply(m) for m in got] == ["snapshot", "delta", "delta", "delta"]
    assert any(r.get("op") == "subscribe" and r.get("success") for r in ws.course_router.replies)
    assert len(book.bids) == 50 and not book.crossed


def test_raw_mode_shows_a_failed_subscription_without_dropping_the_socket():
    ws = connect.websocket("linear", raw=True)
    try:
        with pytest.raises(stream.StreamTimeout, match="refused topic orderbook.50.NOSUCHUSDT: error:handler not found"):
            stream.collect(ws, "orderbook.50.NOSUCHUSDT", n=1, timeout=1.0, close=False)
        assert ws.is_connected()
        assert stream.collect(ws, topics.ticker("ETHUSDT"), n=1, timeout=10, close=False)
    finally:
        ws.exit()


def test_local_private_stream_authenticates_with_demo_keys():
    ws = connect.websocket("private", raw=True)
    try:
        assert ws.endpoint.endswith("/v5/private")
        until(lambda: any(r.get("op") == "auth" for r in ws.course_router.replies))
        auth = [r for r in ws.course_router.replies if r.get("op") == "auth"]
        assert auth and auth[0]["success"] is True
    finally:
        ws.exit()


def test_local_trade_channel_is_pybit_websocket_trading():
    ws = connect.websocket("trade")
    try:
        assert isinstance(ws, WebSocketTrading) and ws.endpoint.endswith("/v5/trade")
        replies = stream.Collector()
        ws.place_order(replies, error_callback=replies, category="linear", symbol="BTCUSDT", side="Buy",
                       orderType="Limit", qty="0.001", price="10000")
        assert replies.reached(1, timeout=10)
        assert replies.messages[0]["op"] == "order.create"
    finally:
        ws.exit()


def test_wait_subscribed_returns_once_the_server_confirmed_and_reports_refusals(env):
    ws = connect.websocket("linear", raw=True)
    try:
        ws.ticker_stream(symbol="BTCUSDT", callback=stream.Collector())
        stream.wait_subscribed(ws, ["tickers.BTCUSDT"], timeout=5)
        stream.subscribe_topic(ws, "tickers.NOSUCHUSDT", stream.Collector())
        with pytest.raises(stream.StreamTimeout, match="refused"):
            stream.wait_subscribed(ws, ["tickers.NOSUCHUSDT"], timeout=5)
        with pytest.raises(stream.StreamTimeout, match="no confirmation for kline.1.BTCUSDT"):
            stream.wait_subscribed(ws, ["kline.1.BTCUSDT"], timeout=0.2)
    finally:
        ws.exit()


def test_wait_subscribed_needs_a_raw_socket(env):
    ws = connect.websocket("linear")
    try:
        with pytest.raises(ValueError, match="raw=True"):
            stream.wait_subscribed(ws, ["tickers.BTCUSDT"])
    finally:
        ws.exit()
