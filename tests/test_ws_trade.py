"""Order entry over WebSocket (``/v5/trade``) over real sockets.

Raw aiohttp clients check the exact reply frames and error codes (each compared
with what REST answers for the same request); the last test drives the unmodified
pybit ``WebSocketTrading``. Every wait is bounded.
"""
from __future__ import annotations

import queue
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pybit.unified_trading import WebSocketTrading

sys.path.insert(0, str(Path(__file__).parent))
from test_ws_private import (  # noqa: E402
    MARKET_BUY,
    TIMEOUT,
    auth_frame,
    local,
    new_account,
    recv,
    recv_until,
    rest_post,
    run,
    signed_in,
    start_exchange,
    ws_url,
)

from helpers.signing import websocket_auth_args  # noqa: E402
from local_exchange.state import ACCOUNTS  # noqa: E402

HEADER_KEYS = ["X-Bapi-Limit", "X-Bapi-Limit-Status", "X-Bapi-Limit-Reset-Timestamp", "Traceid", "Timenow"]
FAR_BELOW = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
             "qty": "0.01", "price": "1000"}


@pytest.fixture(scope="module")
def ex():
    exchange = start_exchange()
    yield exchange
    exchange.stop()


def now_ms() -> int:
    return int(time.time() * 1000)


def op_frame(op: str, request: Any, req_id: str | None = None, **header: Any) -> dict:
    frame: dict[str, Any] = {}
    if req_id is not None:
        frame["reqId"] = req_id
    frame["header"] = {"X-BAPI-TIMESTAMP": now_ms(), **header}
    frame["op"] = op
    frame["args"] = [request]
    return frame


async def trade_ws(http: aiohttp.ClientSession, ex, key: str, secret: str) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(ws_url(ex, "/v5/trade"))
    await ws.send_json(auth_frame(key, secret))
    reply = await recv(ws)
    assert reply["retCode"] == 0, reply
    return ws


async def ask(ws: aiohttp.ClientWebSocketResponse, frame: dict) -> dict:
    await ws.send_json(frame)
    return await recv(ws)


# ---------------------------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------------------------
def test_auth_reply_shapes_and_codes(ex):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(ex, "/v5/trade")) as ws:
                bad_sign = {"op": "auth", "args": websocket_auth_args(key, "nope", now_ms() + 5000)}
                reply = await ask(ws, bad_sign)
                assert reply["retCode"] == 10004 and reply["retMsg"].startswith("error sign! origin_string[GET/realtime")
                reply = await ask(ws, {"op": "auth", "args": websocket_auth_args("nobody", secret, now_ms() + 5000)})
                assert (reply["retCode"], reply["retMsg"]) == (10003, "API key is invalid.")
                reply = await ask(ws, {"op": "auth", "args": websocket_auth_args(key, secret, now_ms() - 10)})
                assert (reply["retCode"], reply["retMsg"]) == (10001, "Params Error")
                reply = await ask(ws, {"op": "auth", "args": "x"})
                assert reply["retCode"] == 10001
                # before auth, an order op is refused
                reply = await ask(ws, op_frame("order.create", MARKET_BUY, "early"))
                assert (reply["reqId"], reply["retCode"], reply["retMsg"]) == ("early", 10003, "Request not authorized")
                reply = await ask(ws, auth_frame(key, secret))
                assert reply == {"retCode": 0, "retMsg": "OK", "op": "auth", "connId": reply["connId"]}
                assert reply["connId"]
                reply = await ask(ws, auth_frame(key, secret, reqId="again"))
                assert list(reply) == ["reqId", "retCode", "retMsg", "op", "connId"]
                assert (reply["reqId"], reply["retCode"]) == ("again", 20001)
                pong = await ask(ws, {"op": "ping"})
                assert pong["op"] == "pong" and pong["retCode"] == 0
    run(body())


# ---------------------------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------------------------
def test_create_reply_shape_and_private_stream_sees_the_order(ex):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            private = await signed_in(http, ex, key, secret, ["order", "execution", "wallet"])
            ws = await trade_ws(http, ex, key, secret)
            reply = await ask(ws, op_frame("order.create", {**MARKET_BUY, "orderLinkId": "ws-1"}, "c-1"))
            assert list(reply) == ["reqId", "retCode", "retMsg", "op", "data", "retExtInfo", "header", "connId"]
            assert (reply["reqId"], reply["retCode"], reply["retMsg"], reply["op"]) == ("c-1", 0, "OK", "order.create")
            assert reply["data"]["orderLinkId"] == "ws-1" and reply["retExtInfo"] == {}
            assert list(reply["header"]) == HEADER_KEYS
            assert reply["header"]["X-Bapi-Limit"] == "10" and reply["header"]["X-Bapi-Limit-Status"] == "9"
            assert int(reply["header"]["X-Bapi-Limit-Reset-Timestamp"]) <= int(reply["header"]["Timenow"])
            assert len(reply["header"]["Traceid"]) == 32
            order = await recv_until(private, lambda m: m["topic"] == "order")
            assert order["data"][0]["orderId"] == reply["data"]["orderId"]
            assert order["data"][0]["orderLinkId"] == "ws-1"
            fill = await recv_until(private, lambda m: m["topic"] == "execution")
            assert fill["data"][0]["orderId"] == reply["data"]["orderId"]
            await recv_until(private, lambda m: m["topic"] == "wallet")
            # without reqId, none is echoed
            reply = await ask(ws, op_frame("order.create", MARKET_BUY))
            assert "reqId" not in reply and reply["retCode"] == 0
            await ws.close()
            await private.close()
    run(body())


def test_amend_and_cancel_then_cancel_again_matches_rest(ex):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            ws = await trade_ws(http, ex, key, secret)
            created = await ask(ws, op_frame("order.create", FAR_BELOW, "a-1"))
            order_id = created["data"]["orderId"]
            which = {"category": "linear", "symbol": "BTCUSDT", "orderId": order_id}
            amended = await ask(ws, op_frame("order.amend", {**which, "price": "1100"}, "a-2"))
            assert (amended["retCode"], amended["op"], amended["data"]["orderId"]) == (0, "order.amend", order_id)
            assert str(ex.app[ACCOUNTS].get(key).orders[order_id].price) == "1100"
            cancelled = await ask(ws, op_frame("order.cancel", which, "a-3"))
            assert (cancelled["retCode"], cancelled["op"]) == (0, "order.cancel")
            again = await ask(ws, op_frame("order.cancel", which, "a-4"))
            rest = await rest_post(ex, key, secret, "/v5/order/cancel", which)
            assert again["retCode"] == rest["retCode"] == 110001
            assert again["retMsg"] == rest["retMsg"]
            await ws.close()
    run(body())


@pytest.mark.parametrize("request_", [
    {**MARKET_BUY, "qty": "0.0001"},                        # below the minimum
    {**MARKET_BUY, "qty": "0.0123456"},                     # off the qty step
    {**MARKET_BUY, "symbol": "NOPEUSDT"},                   # unknown symbol
    {**MARKET_BUY, "category": "inverse"},                  # category not traded here
    {k: v for k, v in MARKET_BUY.items() if k != "side"},  # missing side
    {**FAR_BELOW, "price": "1000.01"},                      # off the tick
    {**MARKET_BUY, "category": "spot", "symbol": "BTCUSDT", "qty": "0.1"},   # spot: below min amount
    {**MARKET_BUY, "qty": "500"},                           # not enough margin
])
def test_error_codes_equal_rest(ex, request_):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            ws = await trade_ws(http, ex, key, secret)
            reply = await ask(ws, op_frame("order.create", request_, "e-1"))
            rest = await rest_post(ex, key, secret, "/v5/order/create", request_)
            assert rest["retCode"] != 0
            assert (reply["retCode"], reply["retMsg"]) == (rest["retCode"], rest["retMsg"])
            assert reply["data"] == {} and reply["reqId"] == "e-1"
            await ws.close()
    run(body())


def test_frame_checks(ex):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            ws = await trade_ws(http, ex, key, secret)
            ok = await ask(ws, op_frame("order.create", FAR_BELOW, "dup"))
            assert ok["retCode"] == 0
            reply = await ask(ws, op_frame("order.create", FAR_BELOW, "dup"))
            assert reply["retCode"] == 20006
            reply = await ask(ws, op_frame("order.create", FAR_BELOW, "x" * 37))
            assert reply["retCode"] == 10001
            frame = op_frame("order.create", FAR_BELOW, "no-ts")
            del frame["header"]["X-BAPI-TIMESTAMP"]
            assert (await ask(ws, frame))["retCode"] == 10001
            reply = await ask(ws, {**op_frame("order.create", FAR_BELOW, "old"),
                                   "header": {"X-BAPI-TIMESTAMP": now_ms() - 60_000}})
            assert reply["retCode"] == 10002 and "recv_window" in reply["retMsg"]
            reply = await ask(ws, {**op_frame("order.create", FAR_BELOW, "wide"),
                                   "header": {"X-BAPI-TIMESTAMP": now_ms() - 60_000, "X-BAPI-RECV-WINDOW": "90000"}})
            assert reply["retCode"] == 0
            reply = await ask(ws, {**op_frame("order.create", FAR_BELOW, "args"), "args": FAR_BELOW})
            assert reply["retCode"] == 10001
            reply = await ask(ws, op_frame("order.explode", FAR_BELOW, "op"))
            assert (reply["retCode"], reply["op"]) == (10404, "order.explode")
            await ws.send_str("not json")
            assert (await recv(ws))["retCode"] != 0
            # still usable
            assert (await ask(ws, op_frame("order.create", FAR_BELOW, "last")))["retCode"] == 0
            await ws.close()
    run(body())


def test_batch_create_reports_each_order(ex):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            ws = await trade_ws(http, ex, key, secret)
            orders = [{k: v for k, v in FAR_BELOW.items() if k != "category"},
                      {"symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "1000.01"}]
            reply = await ask(ws, op_frame("order.create-batch", {"category": "linear", "request": orders}, "b-1"))
            assert reply["retCode"] == 0
            items, results = reply["data"]["list"], reply["retExtInfo"]["list"]
            assert [r["code"] for r in results][0] == 0 and results[1]["code"] != 0
            assert items[0]["orderId"] and items[1]["orderId"] == ""
            assert list(items[0]) == ["category", "symbol", "orderId", "orderLinkId", "createAt"]
            too_many = {"category": "linear", "request": [orders[0]] * 21}
            assert (await ask(ws, op_frame("order.create-batch", too_many, "b-2")))["retCode"] == 10001
            cancel = {"category": "linear", "request": [{"symbol": "BTCUSDT", "orderId": items[0]["orderId"]}]}
            reply = await ask(ws, op_frame("order.cancel-batch", cancel, "b-3"))
            assert reply["retExtInfo"]["list"] == [{"code": 0, "msg": "OK"}]
            assert list(reply["data"]["list"][0]) == ["category", "symbol", "orderId", "orderLinkId"]
            await ws.close()
    run(body())


def test_rate_limit_is_shared_with_rest():
    exchange = start_exchange(limits="teaching")      # order create: 2 per second per UID
    try:
        key, secret = new_account(exchange)

        async def body():
            async with aiohttp.ClientSession() as http:
                ws = await trade_ws(http, exchange, key, secret)
                first = await ask(ws, op_frame("order.create", FAR_BELOW, "r-1"))
                assert first["header"]["X-Bapi-Limit"] == "2" and first["header"]["X-Bapi-Limit-Status"] == "1"
                rest = await rest_post(exchange, key, secret, "/v5/order/create", FAR_BELOW)
                assert rest["retCode"] == 0
                refused = await ask(ws, op_frame("order.create", FAR_BELOW, "r-3"))
                assert (refused["retCode"], refused["retMsg"]) == (10006, "Too many visits!")
                assert refused["header"]["X-Bapi-Limit-Status"] == "0"
                assert int(refused["header"]["X-Bapi-Limit-Reset-Timestamp"]) > int(refused["header"]["Timenow"]) - 1
                await ws.close()
        run(body())
    finally:
        exchange.stop()


def test_closing_mid_reply_is_harmless(ex):
    key, secret = new_account(ex)

    async def body():
        async with aiohttp.ClientSession() as http:
            ws = await trade_ws(http, ex, key, secret)
            await ws.send_json(op_frame("order.create", FAR_BELOW, "gone"))
            await ws.close()                      # before the (delayed) reply goes out
            ws = await trade_ws(http, ex, key, secret)
            assert (await ask(ws, op_frame("order.create", FAR_BELOW, "next")))["retCode"] == 0
            await ws.close()
    run(body())


# ---------------------------------------------------------------------------------------------
# The real pybit client
# ---------------------------------------------------------------------------------------------
def test_pybit_websocket_trading_places_amends_cancels(ex):
    key, secret = new_account(ex)
    replies: queue.Queue = queue.Queue()
    errors: queue.Queue = queue.Queue()
    session = local(WebSocketTrading, ex.port)(testnet=False, api_key=key, api_secret=secret, retries=3)
    try:
        session.place_order(replies.put, errors.put, **FAR_BELOW)
        created = replies.get(timeout=TIMEOUT)
        assert created["retCode"] == 0 and created["op"] == "order.create"
        order_id = created["data"]["orderId"]
        session.amend_order(replies.put, errors.put, category="linear", symbol="BTCUSDT",
                            orderId=order_id, price="1200")
        assert replies.get(timeout=TIMEOUT)["op"] == "order.amend"
        session.cancel_order(replies.put, errors.put, category="linear", symbol="BTCUSDT", orderId=order_id)
        assert replies.get(timeout=TIMEOUT)["data"]["orderId"] == order_id
        session.cancel_order(replies.put, errors.put, category="linear", symbol="BTCUSDT", orderId=order_id)
        refused = errors.get(timeout=TIMEOUT)
        assert refused["retCode"] == 110001
        assert replies.empty()
    finally:
        session.exit()
