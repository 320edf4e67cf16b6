"""Batch orders over REST: each item handled as its single request, one failing does not stop the rest."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session


@pytest.fixture(scope="module")
def session():
    with own_exchange() as exchange:
        yield pybit_session(exchange)


def far_bid(session, symbol: str) -> str:
    last = D(session.get_tickers(category="linear", symbol=symbol)["result"]["list"][0]["lastPrice"])
    return str((last / 2).quantize(D("0.1") if symbol == "BTCUSDT" else D("0.01")))


def test_place_amend_and_cancel_a_batch(session):
    limit = {"side": "Buy", "orderType": "Limit"}
    orders = [{**limit, "symbol": "BTCUSDT", "qty": "0.001", "price": far_bid(session, "BTCUSDT"), "orderLinkId": "batch-1"},
              {**limit, "symbol": "ETHUSDT", "qty": "0.01", "price": far_bid(session, "ETHUSDT"), "orderLinkId": "batch-2"},
              {**limit, "symbol": "ETHUSDT", "qty": "0.0001", "price": "1", "orderLinkId": "bad"}]
    reply = session.place_batch_order(category="linear", request=orders)
    codes = [r["code"] for r in reply["retExtInfo"]["list"]]
    assert codes[:2] == [0, 0] and codes[2] != 0                     # the bad one fails alone
    assert [i["orderLinkId"] for i in reply["result"]["list"]] == ["batch-1", "batch-2", ""]
    assert all(i["createAt"] for i in reply["result"]["list"][:2])
    listed = {o["orderLinkId"] for o in session.get_open_orders(category="linear", settleCoin="USDT")["result"]["list"]}
    assert {"batch-1", "batch-2"} <= listed
    amended = session.amend_batch_order(category="linear", request=[{"symbol": "BTCUSDT", "orderLinkId": "batch-1",
                                                                     "qty": "0.002"}])
    assert amended["retExtInfo"]["list"] == [{"code": 0, "msg": "OK"}] and "createAt" not in amended["result"]["list"][0]
    both = [{"symbol": "BTCUSDT", "orderLinkId": "batch-1"}, {"symbol": "ETHUSDT", "orderLinkId": "batch-2"}]
    cancelled = session.cancel_batch_order(category="linear", request=both)
    assert [r["code"] for r in cancelled["retExtInfo"]["list"]] == [0, 0]
    assert session.get_open_orders(category="linear", settleCoin="USDT")["result"]["list"] == []


@pytest.mark.parametrize("category, request_, words", [
    ("linear", [], "non-empty list"),
    ("spot", [{"symbol": "BTCUSDT"}] * 11, "at most 10"),
    ("linear", [{"symbol": "BTCUSDT"}] * 21, "at most 20"),
])
def test_a_malformed_batch_is_refused_whole(session, category, request_, words):
    with pytest.raises(InvalidRequestError) as caught:
        session.place_batch_order(category=category, request=request_)
    assert caught.value.status_code == 10001 and words in caught.value.message
