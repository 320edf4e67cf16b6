"""The public topics beside books and trades: RPI book, price limits, insurance pools, ADL alerts, system status.

pybit's own ``WebSocket`` subscribes to each on a running exchange and gets its
first message (a refused topic would kill pybit's socket); the feeds driven
with a clock of the test's own show that RPI deltas rebuild the REST book and
that insurance deltas carry the isolated pools only, when their balances move.
"""
from __future__ import annotations

import json
import threading

import pytest
import websocket
from sessions import LocalWebSocket, close
from waiting import until

from local_exchange.feeds import InsuranceFeed, RpiBookFeed, parse_topic
from local_exchange.insurance import POOLS, adl_item
from local_exchange.market import Market
from local_exchange.rpi_book import rpi_result
from local_exchange.runner import LocalExchange
from local_exchange.settings import ExchangeConfig


@pytest.fixture(scope="module")
def exchange():
    with LocalExchange(ExchangeConfig(port=0, ip_limit=False, limits="off")) as running:
        yield running




def collector() -> tuple[dict[str, list[dict]], object]:
    got: dict[str, list[dict]] = {}
    lock = threading.Lock()

    def callback(message: dict) -> None:
        with lock:
            got.setdefault(message["topic"], []).append(message)
    return got, callback


@pytest.mark.parametrize("channel, symbol", [("linear", "BTCUSDT"), ("spot", "ETHUSDT"), ("inverse", "BTCUSD")])
def test_pybit_gets_the_rpi_book_and_the_price_limits(exchange, channel, symbol):
    LocalWebSocket.port = exchange.port
    got, callback = collector()
    ws = LocalWebSocket(testnet=False, channel_type=channel)
    try:
        ws.rpi_orderbook_stream(symbol, callback)
        ws.price_limit_stream(symbol, callback)
        wanted = {f"orderbook.rpi.{symbol}", f"priceLimit.{symbol}"}
        assert until(lambda: wanted <= set(got)) and ws.is_connected()
        first = got[f"orderbook.rpi.{symbol}"][0]
        assert first["type"] == "snapshot" and len(first["data"]["b"]) == 50 == len(first["data"]["a"])
        assert all(len(level) == 3 for level in first["data"]["b"] + first["data"]["a"])
        limit = got[f"priceLimit.{symbol}"][0]["data"]
        assert limit["symbol"] == symbol and float(limit["sellLmt"]) < float(limit["buyLmt"])
    finally:
        close(ws)


def test_pybit_gets_the_insurance_pools(exchange):
    LocalWebSocket.port = exchange.port
    got, callback = collector()
    linear = LocalWebSocket(testnet=False, channel_type="linear")
    inverse = LocalWebSocket(testnet=False, channel_type="inverse")
    try:
        linear.insurance_pool_stream(["USDT", "USDC"], callback)
        inverse.insurance_pool_stream("inverse", callback)
        assert until(lambda: {"insurance.USDT", "insurance.inverse"} <= set(got))
        assert linear.is_connected() and inverse.is_connected()          # insurance.USDC accepted, silent
        usdt = got["insurance.USDT"][0]
        assert usdt["type"] == "snapshot"
        assert {d["symbols"] for d in usdt["data"]} == {p.name for p in POOLS if p.coin == "USDT" and not p.shared}
        assert {d["coin"] for d in got["insurance.inverse"][0]["data"]} == {"BTC", "ETH", "XRP"}
    finally:
        close(linear)
        close(inverse)


def test_adl_alert_stream_agrees_with_the_rest_endpoint(exchange):
    ws = websocket.create_connection(f"ws://127.0.0.1:{exchange.port}/v5/public/inverse", timeout=10)
    try:
        ws.send(json.dumps({"op": "subscribe", "req_id": "adl", "args": ["adlAlert.inverse"]}))
        assert json.loads(ws.recv())["success"] is True
        message = json.loads(ws.recv())
    finally:
        ws.close()
    assert message["topic"] == "adlAlert.inverse" and message["type"] == "snapshot"
    assert [d["s"] for d in message["data"]] == ["BTCUSD", "ETHUSD", "XRPUSD"]
    market = Market(7)
    rest = adl_item(market, "BTCUSD", message["ts"])
    btc = message["data"][0]
    assert btc["c"] == "BTC" and btc["b"] == float(rest["balance"]) and btc["pr"] == float(rest["pnlRatio"])


def test_pybit_gets_the_system_status(exchange):
    LocalWebSocket.port = exchange.port
    got, callback = collector()
    ws = LocalWebSocket(testnet=False, channel_type="misc/status")
    try:
        ws.system_status_stream(callback)
        assert until(lambda: "system.status" in got) and ws.is_connected()
        assert got["system.status"][0]["data"] == []           # no maintenance ever happens here
    finally:
        close(ws)


@pytest.mark.parametrize("channel, topic", [
    ("option", "orderbook.rpi.BTCUSDT"), ("option", "priceLimit.BTCUSDT"), ("linear", "insurance.inverse"),
    ("inverse", "insurance.USDT"), ("spot", "insurance.USDT"), ("linear", "priceLimit.NOPEUSDT"),
    ("linear", "system.status"), ("spot", "adlAlert.USDT"), ("linear", "adlAlert.BTC"),
])
def test_topics_on_the_wrong_stream_are_not_found(exchange, channel, topic):
    ws = websocket.create_connection(f"ws://127.0.0.1:{exchange.port}/v5/public/{channel}", timeout=10)
    try:
        ws.send(json.dumps({"op": "subscribe", "req_id": "x", "args": [topic]}))
        reply = json.loads(ws.recv())
    finally:
        ws.close()
    assert reply["success"] is False and reply["ret_msg"] == f"error:handler not found,topic:{topic}"


class Inbox:
    """A subscriber that keeps every frame's JSON."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def push_frame(self, frame: bytes) -> bool:
        start = frame.index(b"{")
        self.messages.append(json.loads(frame[start:]))
        return True


def _apply(side: dict[str, tuple[str, str]], levels: list[list[str]]) -> None:
    for price, normal, rpi in levels:
        if normal == "0" and rpi == "0":
            side.pop(price, None)
        else:
            side[price] = (normal, rpi)


def test_rpi_deltas_rebuild_the_book_rest_shows():
    market = Market(7)
    spec = parse_topic(market, "linear", "orderbook.rpi.ETHUSDT")
    assert spec is not None
    feed, inbox = RpiBookFeed(market, spec), Inbox()
    feed.add(inbox)
    t0 = 1_790_000_000_001
    feed.welcome(inbox, t0)
    for k in range(1, 30):
        feed.tick(t0 + 100 * k)
    snapshot, deltas = inbox.messages[0], inbox.messages[1:]
    assert snapshot["type"] == "snapshot" and deltas and all(m["type"] == "delta" for m in deltas)
    bids = {p: (n, r) for p, n, r in snapshot["data"]["b"]}
    asks = {p: (n, r) for p, n, r in snapshot["data"]["a"]}
    for m in deltas:
        _apply(bids, m["data"]["b"])
        _apply(asks, m["data"]["a"])
    inst = market.instrument("linear", "ETHUSDT")
    assert inst is not None
    rest = rpi_result(market, inst, t0 + 100 * 29, 50)
    assert sorted(bids.items(), key=lambda kv: -float(kv[0])) == [(p, (n, r)) for p, n, r in rest["b"]]
    assert sorted(asks.items(), key=lambda kv: float(kv[0])) == [(p, (n, r)) for p, n, r in rest["a"]]
    assert deltas[-1]["data"]["u"] == rest["u"]


def test_insurance_deltas_come_when_isolated_balances_move():
    market = Market(7)
    spec = parse_topic(market, "linear", "insurance.USDT")
    assert spec is not None
    feed, inbox = InsuranceFeed(market, spec), Inbox()
    feed.add(inbox)
    t0 = 1_790_000_000_000 + 5_000
    feed.welcome(inbox, t0)
    for k in range(1, 10):
        feed.tick(t0 + 1000 * k)                   # the same minute: nothing moved, nothing sent
    assert [m["type"] for m in inbox.messages] == ["snapshot"]
    feed.tick(t0 + 60_000)
    delta = inbox.messages[-1]
    assert delta["type"] == "delta"
    isolated = {p.name for p in POOLS if p.coin == "USDT" and not p.shared}
    assert {d["symbols"] for d in delta["data"]} == isolated
    assert all(int(d["updateTime"]) % 60_000 == 0 for d in delta["data"])
    before = {d["symbols"]: d["balance"] for d in inbox.messages[0]["data"]}
    assert all(before[d["symbols"]] != d["balance"] for d in delta["data"])
