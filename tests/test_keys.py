"""A key's read-only flag and permissions are enforced on the endpoints they govern."""
from __future__ import annotations

import json
import time

import pytest
import websocket
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

from helpers import signing

KEY, SECRET = "keys-key", "keys-secret"
BUY = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.001"}


@pytest.fixture
def exchange():
    with own_exchange((KEY, SECRET)) as running:
        yield running


@pytest.fixture
def session(exchange):
    return pybit_session(exchange, KEY, SECRET)


def denied(call, **params) -> bool:
    with pytest.raises(InvalidRequestError) as caught:
        call(**params)
    assert caught.value.message.startswith("Permission denied, please check your API key permissions.")
    return caught.value.status_code == 10005


def test_a_read_only_key_reads_but_cannot_trade_or_transfer(session):
    info = session.modify_master_api_key(readOnly=1)["result"]
    assert info["readOnly"] == 1 and session.get_api_key_information()["result"]["readOnly"] == 1
    assert session.get_wallet_balance(accountType="UNIFIED")["retCode"] == 0          # reading is fine
    assert denied(session.place_order, **BUY)
    assert denied(session.set_leverage, category="linear", symbol="BTCUSDT", buyLeverage="5", sellLeverage="5")
    assert denied(session.create_internal_transfer, transferId="5b3bc8c5-4ab6-4e0a-9a8f-1d5c1a0a9e02", coin="USDT",
                  amount="1", fromAccountType="UNIFIED", toAccountType="FUND")
    assert session.get_order_history(category="linear")["result"]["list"] == []         # nothing was placed
    session.modify_master_api_key(readOnly=0)
    assert session.place_order(**BUY)["retCode"] == 0


def test_a_missing_permission_blocks_only_what_it_governs(session):
    session.modify_master_api_key(permissions={"Spot": []})
    assert denied(session.place_order, category="spot", symbol="BTCUSDT", side="Buy", orderType="Market", qty="10")
    assert session.place_order(**BUY)["retCode"] == 0                                    # contracts still allowed
    assert session.get_api_key_information()["result"]["permissions"]["Spot"] == []


def test_the_trade_socket_enforces_it_too(exchange, session):
    session.modify_master_api_key(readOnly=1)
    ws = websocket.create_connection(exchange.url.replace("http", "ws") + "/v5/trade", timeout=5)
    try:
        ws.send(json.dumps({"op": "auth", "args": signing.websocket_auth_args(KEY, SECRET, 10**13)}))
        assert json.loads(ws.recv())["retCode"] == 0
        ws.send(json.dumps({"reqId": "r", "header": {"X-BAPI-TIMESTAMP": str(int(time.time() * 1000))},
                            "op": "order.create", "args": [BUY]}))
        assert json.loads(ws.recv())["retCode"] == 10005
    finally:
        ws.close()


@pytest.mark.parametrize("params, words", [
    ({"readOnly": 2}, "readOnly invalid"),
    ({"permissions": {"Spot": "SpotTrade"}}, "object of lists"),
    ({"permissions": {"Moon": []}}, "unknown groups"),
    ({"ips": "10.0.0.1"}, "ips"),
])
def test_bad_updates_get_10001(session, params, words):
    with pytest.raises(InvalidRequestError) as caught:
        session.modify_master_api_key(**params)
    assert caught.value.status_code == 10001 and words in caught.value.message


def test_member_type(session):
    assert session.get_uid_wallet_type()["result"]["accounts"][0]["accountType"] == ["UNIFIED", "FUND"]
