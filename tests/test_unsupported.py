"""Documented parameters the local exchange does not implement are refused by name, never ignored."""
from __future__ import annotations

import json
import time

import pytest
import websocket
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

from helpers import signing
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET
from local_exchange.unsupported import UNSUPPORTED

ORDER = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.001"}
PYBIT = {"/v5/order/create": "place_order", "/v5/order/amend": "amend_order", "/v5/order/cancel": "cancel_order",
         "/v5/order/cancel-all": "cancel_all_orders", "/v5/order/realtime": "get_open_orders",
         "/v5/order/history": "get_order_history", "/v5/position/trading-stop": "set_trading_stop"}


@pytest.fixture(scope="module")
def exchange():
    with own_exchange() as running:
        yield running


@pytest.fixture(scope="module")
def session(exchange):
    return pybit_session(exchange, DEMO_API_KEY, DEMO_API_SECRET)


ROWS = [(path, name) for path, rows in UNSUPPORTED.items() for name in rows]


@pytest.mark.parametrize("path, name", ROWS, ids=[f"{p.rsplit('/', 1)[1]}-{n}" for p, n in ROWS])
def test_each_unsupported_parameter_is_refused_by_name(session, path, name):
    with pytest.raises(InvalidRequestError) as caught:
        getattr(session, PYBIT[path])(**ORDER, **{name: "1"})
    assert caught.value.status_code == 10001
    assert f"params error: {name} (" in caught.value.message
    assert "not supported by the local exchange" in caught.value.message
    assert "BYBIT_ENV=testnet" in caught.value.message


def test_nothing_was_placed_by_a_refused_order(session):
    before = session.get_order_history(category="linear")["result"]["list"]
    with pytest.raises(InvalidRequestError):
        session.place_order(**ORDER, tpLimitPrice="200000")
    assert session.get_order_history(category="linear")["result"]["list"] == before


def test_values_that_mean_off_are_let_through(session):
    reply = session.place_order(**ORDER, smpType="None", isLeverage=0, orderFilter="Order", takeProfit="",
                                tpOrderType="Market")
    assert reply["retCode"] == 0


def test_the_trade_socket_refuses_them_too(exchange):
    ws = websocket.create_connection(exchange.url.replace("http", "ws") + "/v5/trade", timeout=5)
    try:
        expires = 10**13
        ws.send(json.dumps({"op": "auth", "args": signing.websocket_auth_args(DEMO_API_KEY, DEMO_API_SECRET, expires)}))
        assert json.loads(ws.recv())["retCode"] == 0
        ws.send(json.dumps({"reqId": "tp", "header": {"X-BAPI-TIMESTAMP": str(int(time.time() * 1000))}, "op": "order.create",
                            "args": [{**ORDER, "slLimitPrice": "1000"}]}))
        reply = json.loads(ws.recv())
        assert reply["retCode"] == 10001 and "slLimitPrice" in reply["retMsg"]
        header = {"X-BAPI-TIMESTAMP": str(int(time.time() * 1000))}
        ws.send(json.dumps({"reqId": "b", "header": header, "op": "order.create-batch",
                            "args": [{"category": "linear", "request": [{**ORDER, "bboSideType": "Queue"}]}]}))
        batch = json.loads(ws.recv())
        assert batch["retExtInfo"]["list"][0]["code"] == 10001 and "bboSideType" in batch["retExtInfo"]["list"][0]["msg"]
    finally:
        ws.close()
