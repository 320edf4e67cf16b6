"""The private stream ``/v5/private`` over real sockets.

A local exchange runs in a background thread (port 0). Raw aiohttp clients check
the exact frames (auth and subscribe replies, message envelopes); the last tests
drive the unmodified pybit ``WebSocket("private", ...)``, pointed at the local
exchange by rewriting the ``wss://{SUBDOMAIN}.{DOMAIN}.{TLD}`` prefix of its URL.
Every wait is bounded: a missing message fails the test instead of hanging it.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import queue
import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from pybit.unified_trading import HTTP, WebSocket
from waiting import DEADLINE_S, until, until_async

from helpers.signing import json_body, signed_headers, websocket_auth_args
from local_exchange.clock import now_ms
from local_exchange.runner import LocalExchange
from local_exchange.settings import ExchangeConfig
from local_exchange.state import ACCOUNTS, MARKET, WS_CONNECTIONS
from local_exchange.ws_private import FAST_FIELDS, build_messages, parse_topic

TIMEOUT = 5.0
_keys = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# Shared helpers (test_ws_trade.py imports them too)
# ---------------------------------------------------------------------------------------------
def start_exchange(**settings: Any) -> LocalExchange:
    return LocalExchange(ExchangeConfig(port=0, ip_limit=False, **settings)).start()


def new_account(ex: LocalExchange) -> tuple[str, str]:
    """A fresh account, so no test sees another test's orders."""
    key = f"ws-key-{next(_keys)}-{time.monotonic_ns()}"
    secret = f"secret-of-{key}"
    ex.app[ACCOUNTS].add(key, secret)
    return key, secret


def ws_url(ex: LocalExchange, path: str) -> str:
    return ex.url.replace("http://", "ws://") + path


def run(coro: Any) -> Any:
    """Run one async test body with an overall deadline."""
    return asyncio.run(asyncio.wait_for(coro, 20))


async def recv(ws: aiohttp.ClientWebSocketResponse, timeout: float = TIMEOUT) -> dict:
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def recv_until(ws: aiohttp.ClientWebSocketResponse, want: Callable[[dict], bool],
                     timeout: float = TIMEOUT) -> dict:
    """The first message ``want`` accepts (others are skipped), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "message did not arrive in time"
        message = await recv(ws, left)
        if want(message):
            return message


async def nothing_more(ws: aiohttp.ClientWebSocketResponse, wait: float = 0.3) -> None:
    """Assert that no message arrives within ``wait`` seconds."""
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive(timeout=wait)


def auth_frame(key: str, secret: str, ahead_ms: int = 5000, **extra: Any) -> dict:
    return {**extra, "op": "auth", "args": websocket_auth_args(key, secret, int(time.time() * 1000) + ahead_ms)}


async def rest_post(ex: LocalExchange, key: str, secret: str, path: str, params: dict) -> dict:
    """A signed REST POST, as pybit would send it."""
    body = json_body(params)
    headers = signed_headers(key, secret, int(time.time() * 1000), body)
    headers["Content-Type"] = "application/json"
    async with aiohttp.ClientSession() as http:
        async with http.post(ex.url + path, data=body, headers=headers) as response:
            return await response.json()


async def rest_get(ex: LocalExchange, key: str, secret: str, path: str, params: dict) -> dict:
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    headers = signed_headers(key, secret, int(time.time() * 1000), query)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{ex.url}{path}?{query}", headers=headers) as response:
            return await response.json()


def local(cls: type, port: int) -> type:
    """A pybit WebSocket class that connects to ``ws://127.0.0.1:port`` instead of Bybit."""
    prefix = re.compile(r"^wss://[^/]+")

    class Local(cls):  # type: ignore[misc, valid-type]
        def _connect(self, url: str) -> None:
            super()._connect(prefix.sub(f"ws://127.0.0.1:{port}", url))

    Local.__name__ = f"Local{cls.__name__}"
    return Local


MARKET_BUY = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.01"}


@pytest.fixture(scope="module")
def ex():
    exchange = start_exchange()
    yield exchange
    exchange.stop()


async def signed_in(http: aiohttp.ClientSession, ex: LocalExchange, key: str, secret: str,
                    topics: list[str] | None = None) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(ws_url(ex, "/v5/private"))
    await ws.send_json(auth_frame(key, secret))
    assert (await recv(ws))["success"] is True
    if topics:
        await ws.send_json({"op": "subscribe", "req_id": "sub", "args": topics})
        reply = await recv(ws)
        assert reply["success"] is True, reply
    return ws


# ---------------------------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------------------------
def test_parse_topic_knows_all_in_one_and_categorised_topics():
    assert parse_topic("order") == ("order", None)
    assert parse_topic("order.spot") == ("order", "spot")
    assert parse_topic("execution.fast") == ("execution.fast", None)
    assert parse_topic("execution.fast.linear") == ("execution.fast", "linear")
    assert parse_topic("position.linear") == ("position", "linear")
    for bad in ("position.spot", "wallet.spot", "tickers.BTCUSDT", "order.", "orders", "", None, 5):
        assert parse_topic(bad) is None, bad


def test_build_messages_filters_by_category_and_shapes_fast_execution():
    items = [{"category": "spot", "execType": "Trade", "symbol": "BTCUSDT", "execId": "1", "extra": 1},
             {"category": "linear", "execType": "Trade", "symbol": "BTCUSDT", "execId": "2", "extra": 2}]
    subscribed = {t: parse_topic(t) for t in ("execution.spot", "execution.fast", "order")}
    out = build_messages(subscribed, "execution", items, 123)
    assert [m["topic"] for m in out] == ["execution.spot", "execution.fast"]
    assert [i["execId"] for i in out[0]["data"]] == ["1"]
    assert list(out[0]) == ["id", "topic", "creationTime", "data"] and out[0]["creationTime"] == 123
    assert "id" not in out[1] and list(out[1]["data"][0]) == list(FAST_FIELDS)
    assert build_messages({"order.option": ("order", "option")}, "order", items, 1) == []


# ---------------------------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------------------------
def test_auth_success_reply_shape_with_and_without_req_id(ex):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(ex, "/v5/private")) as ws:
                await ws.send_json(auth_frame(key, secret, req_id="r-1"))
                reply = await recv(ws)
                assert list(reply) == ["req_id", "success", "ret_msg", "op", "conn_id"]
                assert reply["req_id"] == "r-1" and reply["success"] is True and reply["ret_msg"] == ""
                assert reply["op"] == "auth" and reply["conn_id"]
            async with http.ws_connect(ws_url(ex, "/v5/private")) as ws:
                await ws.send_json(auth_frame(key, secret))
                reply = await recv(ws)
                assert list(reply) == ["success", "ret_msg", "op", "conn_id"]
    run(body())


@pytest.mark.parametrize("case", ["bad sign", "expired", "missing args", "string expires garbage", "unknown key",
                                  "repeat"])
def test_auth_failures(ex, case):
    key, secret = new_account(ex)
    now = int(time.time() * 1000)
    frames = {
        "bad sign": {"op": "auth", "args": websocket_auth_args(key, "wrong-secret", now + 5000)},
        "expired": {"op": "auth", "args": websocket_auth_args(key, secret, now - 1)},
        "missing args": {"op": "auth", "args": [key]},
        "string expires garbage": {"op": "auth", "args": [key, "soon", "00"]},
        "unknown key": {"op": "auth", "args": websocket_auth_args("nobody", secret, now + 5000)},
        "repeat": auth_frame(key, secret),
    }
    expected = {"unknown key": "API key is invalid.", "repeat": "Repeat auth"}.get(case, "Params Error")

    async def body():
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(ex, "/v5/private")) as ws:
                if case == "repeat":
                    await ws.send_json(auth_frame(key, secret))
                    assert (await recv(ws))["success"] is True
                await ws.send_json(frames[case])
                reply = await recv(ws)
                assert reply == {"success": False, "ret_msg": expected, "op": "auth", "conn_id": reply["conn_id"]}
                # the connection stays open and answers pings
                await ws.send_json({"op": "ping", "req_id": "p"})
                pong = await recv(ws)
                assert pong["op"] == "pong" and pong["req_id"] == "p"
                if case != "repeat":   # still not signed in
                    await ws.send_json({"op": "subscribe", "args": ["order"]})
                    assert (await recv(ws))["ret_msg"] == "Request not authorized"
    run(body())


# ---------------------------------------------------------------------------------------------
# Subscribe
# ---------------------------------------------------------------------------------------------
def test_subscribe_replies(ex):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(ex, "/v5/private")) as ws:
                await ws.send_json({"op": "subscribe", "req_id": "early", "args": ["order"]})
                reply = await recv(ws)
                assert reply == {"req_id": "early", "success": False, "ret_msg": "Request not authorized",
                                 "op": "subscribe", "conn_id": reply["conn_id"]}
                await ws.send_json(auth_frame(key, secret))
                await recv(ws)
                await ws.send_json({"op": "subscribe", "req_id": "a", "args": ["order", "wallet"]})
                reply = await recv(ws)
                assert list(reply) == ["req_id", "success", "ret_msg", "op", "conn_id"]
                assert reply["success"] is True and reply["ret_msg"] == ""
                for topic, text in (("tickers.BTCUSDT", "error:handler not found,topic:tickers.BTCUSDT"),
                                    ("position.spot", "error:handler not found,topic:position.spot"),
                                    ("order", "error:already subscribed,topic:order")):
                    await ws.send_json({"op": "subscribe", "req_id": "b", "args": ["execution", topic]})
                    reply = await recv(ws)
                    assert reply["success"] is False and reply["ret_msg"] == text
                # a request with a bad topic subscribed none of its topics
                await ws.send_json({"op": "subscribe", "req_id": "c", "args": ["execution"]})
                assert (await recv(ws))["success"] is True
                await ws.send_json({"op": "unsubscribe", "req_id": "c", "args": ["execution"]})
                reply = await recv(ws)
                assert reply == {"req_id": "c", "success": True, "ret_msg": "", "op": "unsubscribe",
                                 "conn_id": reply["conn_id"]}
                # wallet sends no snapshot on subscribe
                await nothing_more(ws)
    run(body())


def test_malformed_frames_get_an_answer_and_keep_the_socket(ex):
    async def body():
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(ex, "/v5/private")) as ws:
                for bad in ("not json", "[1, 2]", '{"args": []}', '{"op": "order.create"}'):
                    await ws.send_str(bad)
                    reply = await recv(ws)
                    assert reply["success"] is False and reply["ret_msg"], bad
                await ws.send_json({"op": "subscribe", "args": "order"})
                assert (await recv(ws))["success"] is False
                await ws.send_json({"op": "ping"})
                pong = await recv(ws)
                assert pong["op"] == "pong" and pong["args"][0].isdigit() and "conn_id" in pong
    run(body())


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------
def test_rest_order_pushes_order_execution_position_wallet(ex):
    key, secret = new_account(ex)
    topics = ["order", "execution", "execution.fast", "position", "wallet"]

    async def body():
        async with aiohttp.ClientSession() as http:
            ws = await signed_in(http, ex, key, secret, topics)
            created = await rest_post(ex, key, secret, "/v5/order/create", MARKET_BUY)
            assert created["retCode"] == 0, created
            order_id = created["result"]["orderId"]
            got = [await recv(ws) for _ in topics]
            assert [m["topic"] for m in got] == topics            # order -> execution -> position -> wallet
            order, execution, fast, position, wallet = got
            for m in (order, execution, position, wallet):
                assert list(m) == ["id", "topic", "creationTime", "data"] and m["id"]
                assert isinstance(m["creationTime"], int) and isinstance(m["data"], list)
            assert list(fast) == ["topic", "creationTime", "data"]
            assert order["data"][0]["orderId"] == order_id and order["data"][0]["orderStatus"] == "Filled"
            assert order["data"][0]["category"] == "linear"
            assert execution["data"][0]["orderId"] == order_id and execution["data"][0]["execType"] == "Trade"
            assert list(fast["data"][0]) == list(FAST_FIELDS)
            assert fast["data"][0]["execId"] == execution["data"][0]["execId"]
            # position and wallet show the state after the fill
            rest_pos = await rest_get(ex, key, secret, "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"})
            assert position["data"][0]["size"] == rest_pos["result"]["list"][0]["size"] == "0.010"
            assert position["data"][0]["entryPrice"] == rest_pos["result"]["list"][0]["avgPrice"]
            rest_wallet = await rest_get(ex, key, secret, "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
            usdt = {c["coin"]: c for c in wallet["data"][0]["coin"]}["USDT"]
            rest_usdt = {c["coin"]: c for c in rest_wallet["result"]["list"][0]["coin"]}["USDT"]
            assert usdt["walletBalance"] == rest_usdt["walletBalance"] != "100000"
            await ws.close()
    run(body())


def test_categorised_topic_carries_only_its_category(ex):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            ws = await signed_in(http, ex, key, secret, ["order.spot", "position.linear"])
            linear = await rest_post(ex, key, secret, "/v5/order/create", MARKET_BUY)
            position = await recv(ws)
            assert position["topic"] == "position.linear"
            spot = await rest_post(ex, key, secret, "/v5/order/create",
                                   {"category": "spot", "symbol": "BTCUSDT", "side": "Buy",
                                    "orderType": "Market", "qty": "100"})
            assert spot["retCode"] == 0, spot
            message = await recv(ws)
            assert message["topic"] == "order.spot"
            assert [i["orderId"] for i in message["data"]] == [spot["result"]["orderId"]]
            assert linear["result"]["orderId"] not in json.dumps(message)
            await nothing_more(ws)
            await ws.close()
    run(body())


def test_unsubscribe_and_disconnect_remove_the_listener(ex):
    key, secret = new_account(ex)
    account = ex.app[ACCOUNTS].get(key)

    async def wait_listeners(n: int) -> None:
        assert await until_async(lambda: len(account.listeners) == n), \
            f"listeners: {len(account.listeners)}, expected {n}"

    async def body():
        async with aiohttp.ClientSession() as http:
            assert account.listeners == []
            first = await signed_in(http, ex, key, secret, ["order"])
            second = await signed_in(http, ex, key, secret, ["wallet"])
            await wait_listeners(2)
            await first.send_json({"op": "unsubscribe", "req_id": "u", "args": ["order"]})
            assert (await recv(first))["success"] is True
            await wait_listeners(1)
            await rest_post(ex, key, secret, "/v5/order/create", MARKET_BUY)
            assert (await recv(second))["topic"] == "wallet"
            await nothing_more(first)
            await second.close()
            await wait_listeners(0)
            # a connection dropped without a close handshake is cleaned up too
            third = await signed_in(http, ex, key, secret, ["order", "execution"])
            await wait_listeners(1)
            third._response.connection.transport.abort()
            await wait_listeners(0)
            await first.close()
    run(body())


def price_the_sweep_will_reach(market: Any, start_ms: int, step_ms: int = 100) -> tuple[str, Decimal, int]:
    """A side and limit price that rest now and fill soon after, read from the exchange's deterministic prices.

    A buy below (a sell above) every last price of the next 2 s rests when placed now; the path
    then stays at or beyond that price for a whole second, so the 100 ms sweep cannot miss it.
    Of the two sides, the one reached first. Returns (side, price, when it is reached in ms).
    """
    def last(t: int) -> Decimal:
        return market.last_price("linear", "BTCUSDT", t)

    near = [last(start_ms + i * step_ms) for i in range(21)]
    for begin in range(start_ms + 2000, start_ms + 600_000, step_ms):
        window = [last(begin + i * step_ms) for i in range(10)]
        if max(window) < min(near):
            return "Buy", max(window), begin
        if min(window) > max(near):
            return "Sell", min(window), begin
    pytest.fail("the price path stayed within its range of the next 2 s for 10 minutes")


def test_resting_order_filled_by_the_sweep_is_pushed(ex):
    """A limit order that rests and fills later (the 100 ms sweep) reaches the stream too."""
    key, secret = new_account(ex)
    account = ex.app[ACCOUNTS].get(key)
    side, price, reached_at = price_the_sweep_will_reach(ex.app[MARKET], now_ms())
    wait_s = max(0.0, (reached_at - now_ms()) / 1000) + 1 + DEADLINE_S

    async def body():
        async with aiohttp.ClientSession() as http:
            ws = await signed_in(http, ex, key, secret, ["order"])
            created = await rest_post(ex, key, secret, "/v5/order/create",
                                      {**MARKET_BUY, "side": side, "orderType": "Limit", "price": str(price)})
            assert created["retCode"] == 0, created
            first = await recv(ws)
            assert first["data"][0]["orderStatus"] == "New"
            filled = await recv_until(ws, lambda m: m["data"][0]["orderStatus"] == "Filled", timeout=wait_s)
            order = filled["data"][0]
            assert order["orderId"] == created["result"]["orderId"]
            assert Decimal(order["avgPrice"]) == price and Decimal(order["cumExecQty"]) == Decimal("0.01")
            assert not account.open_ids
            await ws.close()
    asyncio.run(asyncio.wait_for(body(), wait_s + DEADLINE_S))


# ---------------------------------------------------------------------------------------------
# The real pybit client
# ---------------------------------------------------------------------------------------------
def test_pybit_private_stream_receives_order_execution_position_wallet(ex):
    key, secret = new_account(ex)
    inbox: queue.Queue = queue.Queue()
    ws = local(WebSocket, ex.port)("private", testnet=False, api_key=key, api_secret=secret, retries=3)
    try:
        ws.order_stream(inbox.put)
        ws.execution_stream(inbox.put)
        ws.position_stream(inbox.put)
        ws.wallet_stream(inbox.put)
        account = ex.app[ACCOUNTS].get(key)
        assert until(lambda: any(c.state.get("account") is account and len(c.topics) == 4
                                 for c in list(ex.app[WS_CONNECTIONS]))), "pybit never subscribed"
        session = HTTP(api_key=key, api_secret=secret, max_retries=1)
        session.endpoint = ex.url
        order_id = session.place_order(**MARKET_BUY)["result"]["orderId"]
        seen: dict[str, dict] = {}
        deadline = time.monotonic() + TIMEOUT
        while len(seen) < 4:
            seen.setdefault((m := inbox.get(timeout=max(0.01, deadline - time.monotonic())))["topic"], m)
        assert seen["order"]["data"][0]["orderId"] == order_id
        assert seen["execution"]["data"][0]["orderId"] == order_id
        assert seen["position"]["data"][0]["symbol"] == "BTCUSDT"
        assert seen["wallet"]["data"][0]["accountType"] == "UNIFIED"
        assert ws.auth is True
    finally:
        ws.exit()
