"""The public streams of the local exchange over real sockets: raw clients and pybit itself."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
import websocket
from sessions import LocalWebSocket, close
from waiting import DEADLINE_S, until

from local_exchange.book import BUCKET_MS, U_ORIGIN_BUCKET
from local_exchange.runner import LocalExchange
from local_exchange.settings import ExchangeConfig
from local_exchange.state import FEEDS, MARKET


@pytest.fixture(scope="module")
def exchange():
    with LocalExchange(ExchangeConfig(ws_idle_timeout_s=1.0)) as ex:
        yield ex


def connect(exchange, channel: str) -> websocket.WebSocket:
    return websocket.create_connection(f"ws://127.0.0.1:{exchange.port}/v5/public/{channel}", timeout=5)


def ask(ws, frame: dict) -> dict:
    """Send ``frame`` and return its reply (skipping data messages of earlier subscriptions)."""
    ws.send(json.dumps(frame))
    while True:
        msg = json.loads(ws.recv())
        if "topic" not in msg:
            return msg


def collect_until(ws, enough: Callable[[list[dict]], bool], timeout: float = DEADLINE_S) -> list[dict]:
    """Data messages until ``enough(messages)`` holds; fails after ``timeout`` (only when something is broken)."""
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    while not enough(out):
        assert time.monotonic() < deadline, f"not enough after {timeout} s: {len(out)} messages"
        ws.settimeout(max(0.01, deadline - time.monotonic()))
        msg = json.loads(ws.recv())
        if "topic" in msg:
            out.append(msg)
    return out


def option_symbol(exchange) -> str:
    return exchange.app[MARKET].instruments("option")[0].symbol


# ---------------------------------------------------------------- replies

def test_subscribe_reply_shapes_per_channel(exchange):
    for channel, topic, keys in [
        ("linear", "tickers.BTCUSDT", ["success", "ret_msg", "conn_id", "req_id", "op"]),
        ("inverse", "tickers.BTCUSD", ["success", "ret_msg", "conn_id", "req_id", "op"]),
        ("spot", "tickers.BTCUSDT", ["success", "ret_msg", "conn_id", "req_id", "op"]),
        ("option", f"tickers.{option_symbol(exchange)}", ["success", "conn_id", "req_id", "data", "type"]),
    ]:
        ws = connect(exchange, channel)
        try:
            reply = ask(ws, {"op": "subscribe", "req_id": "abc", "args": [topic]})
            first = json.loads(ws.recv())
        finally:
            ws.close()
        assert list(reply) == keys and reply["success"] is True and reply["req_id"] == "abc"
        assert first["topic"] == topic and first["type"] == "snapshot"
        if channel == "spot":
            assert reply["ret_msg"] == "subscribe"
        if channel == "option":
            assert reply["type"] == "COMMAND_RESP" and reply["data"]["successTopics"] == [topic]


@pytest.mark.parametrize("channel,topic,error", [
    ("linear", "tickers.NOPEUSDT", "handler not found"),
    ("linear", "orderbook.500.BTCUSDT", "handler not found"),
    ("linear", "orderbook.50.BTCUSDT.x", "handler not found"),
    ("linear", "order", "handler not found"),
    ("linear", "wallet", "handler not found"),
    ("spot", "allLiquidation.BTCUSDT", "handler not found"),
    ("spot", "orderbook.25.BTCUSDT", "handler not found"),
])
def test_unserved_topics_fail_with_handler_not_found(exchange, channel, topic, error):
    ws = connect(exchange, channel)
    try:
        reply = ask(ws, {"op": "subscribe", "req_id": "x", "args": [topic]})
    finally:
        ws.close()
    assert reply["success"] is False and reply["ret_msg"] == f"error:{error},topic:{topic}"


def test_already_subscribed_and_partial_success(exchange):
    ws = connect(exchange, "linear")
    try:
        assert ask(ws, {"op": "subscribe", "req_id": "1", "args": ["publicTrade.BTCUSDT"]})["success"] is True
        reply = ask(ws, {"op": "subscribe", "req_id": "2", "args": ["kline.1.BTCUSDT", "publicTrade.BTCUSDT"]})
        assert reply == {"success": False, "ret_msg": "error:already subscribed,topic:publicTrade.BTCUSDT",
                         "conn_id": reply["conn_id"], "req_id": "2", "op": "subscribe"}
        msgs = collect_until(ws, lambda got: any(m["topic"] == "kline.1.BTCUSDT" for m in got))
        assert any(m["topic"] == "kline.1.BTCUSDT" for m in msgs)               # the good arg was taken
    finally:
        ws.close()


def test_option_reply_lists_failed_topics(exchange):
    ws = connect(exchange, "option")
    try:
        good = f"tickers.{option_symbol(exchange)}"
        reply = ask(ws, {"op": "subscribe", "args": [good, "tickers.NOPE"]})
    finally:
        ws.close()
    assert reply["success"] is False and reply["data"] == {"failTopics": ["tickers.NOPE"], "successTopics": [good]}


def test_spot_refuses_more_than_10_args_per_request(exchange):
    symbols = [i.symbol for i in exchange.app[MARKET].instruments("spot")][:11]
    ws = connect(exchange, "spot")
    try:
        reply = ask(ws, {"op": "subscribe", "req_id": "s", "args": [f"tickers.{s}" for s in symbols]})
        assert reply["success"] is False and "10" in reply["ret_msg"]
        assert ask(ws, {"op": "subscribe", "args": [f"tickers.{s}" for s in symbols[:10]]})["success"] is True
    finally:
        ws.close()


@pytest.mark.parametrize("args", [None, "tickers.BTCUSDT", [], [1], [["x"]]])
def test_bad_args_are_refused(exchange, args):
    ws = connect(exchange, "linear")
    try:
        frame = {"op": "subscribe", "req_id": "b"}
        if args is not None:
            frame["args"] = args
        reply = ask(ws, frame)
    finally:
        ws.close()
    assert reply["success"] is False and "args" in reply["ret_msg"]


def test_unsubscribe_replies_and_stops_the_feed(exchange):
    feeds = exchange.app[FEEDS]
    ws = connect(exchange, "inverse")
    try:
        ask(ws, {"op": "subscribe", "req_id": "u1", "args": ["orderbook.200.ETHUSD"]})
        assert ("inverse", "orderbook.200.ETHUSD") in feeds.active()
        ws.send(json.dumps({"op": "unsubscribe", "req_id": "u1", "args": ["orderbook.200.ETHUSD"]}))
        reply = json.loads(ws.recv())
        while "topic" in reply:                          # book messages sent before it
            reply = json.loads(ws.recv())
        assert reply == {"success": True, "ret_msg": "", "conn_id": reply["conn_id"], "req_id": "u1", "op": "unsubscribe"}
        assert ("inverse", "orderbook.200.ETHUSD") not in feeds.active()
        again = ask(ws, {"op": "unsubscribe", "req_id": "u2", "args": ["orderbook.200.ETHUSD"]})
        assert again["success"] is False and "not subscribed" in again["ret_msg"]
    finally:
        ws.close()


def test_closing_the_last_subscriber_stops_its_feeds(exchange):
    feeds = exchange.app[FEEDS]
    ws = connect(exchange, "linear")
    ask(ws, {"op": "subscribe", "args": ["orderbook.1000.XRPUSDT", "tickers.XRPUSDT"]})
    assert ("linear", "orderbook.1000.XRPUSDT") in feeds.active()
    ws.close()
    assert until(lambda: ("linear", "orderbook.1000.XRPUSDT") not in feeds.active())
    assert ("linear", "tickers.XRPUSDT") not in feeds.active()


def test_a_socket_with_subscriptions_is_not_idle_but_one_without_is_closed(exchange):
    busy, quiet = connect(exchange, "linear"), connect(exchange, "linear")
    try:
        ask(busy, {"op": "subscribe", "args": ["tickers.ETHUSDT"]})
        quiet.settimeout(DEADLINE_S)
        opcode, data = quiet.recv_data(control_frame=True)     # closed after 1 s without a frame
        assert opcode == websocket.ABNF.OPCODE_CLOSE and b"idle" in data
        closed_at = int(time.time() * 1000)
        # busy, opened first, is now older than the idle timeout and still streams: a ticker stamped
        # after quiet was closed arrives (a close frame instead would end the loop with a failure)
        busy.settimeout(DEADLINE_S)
        deadline = time.monotonic() + DEADLINE_S
        fresh = None
        while fresh is None and time.monotonic() < deadline:
            message = json.loads(busy.recv())
            if message.get("topic") == "tickers.ETHUSDT" and message["ts"] >= closed_at:
                fresh = message
        assert fresh is not None
    finally:
        busy.close()
        quiet.close()


# ---------------------------------------------------------------- streams agree with REST

def test_stream_book_ticker_and_trades_agree_with_the_market(exchange):
    market = exchange.app[MARKET]
    ws = connect(exchange, "linear")
    try:
        ask(ws, {"op": "subscribe", "args": ["orderbook.50.BTCUSDT", "tickers.BTCUSDT", "publicTrade.BTCUSDT"]})
        kinds = ("orderbook", "tickers", "publicTrade")
        msgs = collect_until(ws, lambda got: len(got) >= 20 and all(any(m["topic"].startswith(k) for m in got)
                                                                     for k in kinds))
    finally:
        ws.close()
    book: dict = {}
    ticker: dict = {}
    trades = 0
    for m in msgs:
        topic = m["topic"]
        if topic.startswith("orderbook"):
            data = m["data"]
            if m["type"] == "snapshot":
                book = {"b": dict(data["b"]), "a": dict(data["a"])}
            else:
                for side in "ba":
                    for p, q in data[side]:
                        if q == "0":
                            del book[side][p]
                        else:
                            book[side][p] = q
            t = (data["u"] + U_ORIGIN_BUCKET) * BUCKET_MS      # the book's 100 ms step
            rest = market.orderbook_result("linear", "BTCUSDT", t, 50)
            assert sorted(book["b"].items(), key=lambda x: -Decimal(x[0])) == [tuple(x) for x in rest["b"]]
            assert sorted(book["a"].items(), key=lambda x: Decimal(x[0])) == [tuple(x) for x in rest["a"]]
        elif topic.startswith("tickers"):
            ticker.update(m["data"])
            rest = market.ticker("linear", "BTCUSDT", m["ts"])
            assert ticker["lastPrice"] == rest["lastPrice"] and ticker["bid1Price"] == rest["bid1Price"]
        else:
            recent = {d["execId"]: d for d in market.trades("linear", "BTCUSDT", m["ts"], 200)}
            for item in m["data"]:
                d = recent[item["i"]]
                assert (item["p"], item["v"], item["S"], item["T"]) == (d["price"], d["size"], d["side"], int(d["time"]))
                trades += 1
    assert book and ticker and trades > 0


def test_ts_is_when_the_message_was_made(exchange):
    # How small the delay is depends on the machine (benchmarks/ws_throughput.py measures it);
    # what always holds: no message arrives before its ts, and each topic's ts never goes back.
    ws = connect(exchange, "linear")
    try:
        ask(ws, {"op": "subscribe", "args": ["orderbook.1.BTCUSDT", "orderbook.50.BTCUSDT"]})
        msgs, lags = [], []
        deadline = time.monotonic() + DEADLINE_S
        while len(msgs) < 20 and time.monotonic() < deadline:
            m = json.loads(ws.recv())
            lags.append(time.time() * 1000 - m["ts"])
            msgs.append(m)
    finally:
        ws.close()
    assert len(msgs) == 20 and min(lags) >= 0
    for topic in ("orderbook.1.BTCUSDT", "orderbook.50.BTCUSDT"):
        stamps = [m["ts"] for m in msgs if m["topic"] == topic]
        assert stamps == sorted(stamps)


# ---------------------------------------------------------------- pybit itself



@pytest.mark.parametrize("channel,symbol", [("linear", "BTCUSDT"), ("spot", "ETHUSDT"), ("inverse", "BTCUSD")])
def test_pybit_receives_every_public_topic(exchange, channel, symbol):
    LocalWebSocket.port = exchange.port
    got: dict[str, list] = {}
    lock = threading.Lock()

    def callback(message):
        with lock:
            got.setdefault(message["topic"], []).append(message)

    ws = LocalWebSocket(testnet=False, channel_type=channel)
    try:
        ws.orderbook_stream(50, symbol, callback)
        ws.orderbook_stream(1, symbol, callback)
        ws.ticker_stream(symbol, callback)
        ws.trade_stream(symbol, callback)
        ws.kline_stream(1, symbol, callback)
        if channel != "spot":
            ws.all_liquidation_stream(symbol, callback)
        wanted = {f"orderbook.50.{symbol}", f"orderbook.1.{symbol}", f"tickers.{symbol}", f"kline.1.{symbol}"}
        assert until(lambda: wanted <= set(got)) and ws.is_connected()
        book = got[f"orderbook.50.{symbol}"][-1]["data"]
        assert len(book["b"]) == 50 == len(book["a"])
        ws.unsubscribe(f"tickers.{symbol}")
        assert until(lambda: f"tickers.{symbol}" not in ws.callback_directory) and ws.is_connected()
    finally:
        close(ws)


def test_pybit_option_streams(exchange):
    LocalWebSocket.port = exchange.port
    symbol = option_symbol(exchange)
    got: dict[str, int] = {}
    ws = LocalWebSocket(testnet=False, channel_type="option")
    try:
        ws.orderbook_stream(25, symbol, lambda m: got.__setitem__(m["topic"], got.get(m["topic"], 0) + 1))
        ws.ticker_stream(symbol, lambda m: got.__setitem__(m["topic"], got.get(m["topic"], 0) + 1))
        ws.trade_stream("BTC", lambda m: None)
        assert until(lambda: len(got) >= 2)
        assert set(got) == {f"orderbook.25.{symbol}", f"tickers.{symbol}"} and ws.is_connected()
    finally:
        close(ws)
