"""Take-profit and stop-loss on a position: set with their side checked, executed when reached."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

from local_exchange.accounts import Accounts
from local_exchange.catalog import _ms
from local_exchange.errors import BybitError
from local_exchange.market import Market
from local_exchange.matching import place_order
from local_exchange.params import Params
from local_exchange.tpsl import set_trading_stop

T0 = _ms("2026-01-05") + 14 * 3_600_000


def first_move(market: Market, up: bool) -> tuple[D, int]:
    """A price a little above (or below) the last price at T0 that the path reaches, and when."""
    start = market.last_price("linear", "BTCUSDT", T0)
    for k in range(1, 36_000):
        price = market.last_price("linear", "BTCUSDT", T0 + k * 100)
        if (up and price > start + 1) or (not up and price < start - 1):
            return price, T0 + k * 100
    raise AssertionError("no move within an hour")


@pytest.fixture
def world():
    market = Market(7, now_ms=T0)
    accounts = Accounts(market)
    account = accounts.add("k", "s")
    place_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                         "orderType": "Market", "qty": "0.010"}), T0)
    return market, accounts, account


def stop(account, market, **params):
    return set_trading_stop(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "tpslMode": "Full",
                                                     "positionIdx": 0, **params}), T0)


@pytest.mark.parametrize("up, name", [(True, "takeProfit"), (False, "stopLoss")])
def test_a_reached_price_closes_the_whole_position(world, up, name):
    market, accounts, account = world
    price, reached = first_move(market, up)
    stop(account, market, **{name: str(price)})
    assert account.positions["BTCUSDT", 0].to_dict(market.instrument("linear", "BTCUSDT"), price, D("0"))[name] != ""
    accounts.sweep(market, reached - 100)
    assert account.positions["BTCUSDT", 0].size == D("0.010")                 # not yet
    accounts.sweep(market, reached)
    pos = account.positions["BTCUSDT", 0]
    assert pos.size == 0 and pos.take_profit == pos.stop_loss == 0
    closing = list(account.orders.values())[-1]
    kind = "TakeProfit" if up else "StopLoss"
    assert (closing.side, closing.reduce_only, closing.status) == ("Sell", True, "Filled")
    assert closing.to_dict()["stopOrderType"] == kind and closing.to_dict()["createType"] == f"CreateBy{kind}"
    assert account.closed_pnl[-1].order_id == closing.order_id


def test_prices_on_the_wrong_side_are_refused_with_bybits_wording(world):
    market, _, account = world
    last = market.last_price("linear", "BTCUSDT", T0)
    with pytest.raises(BybitError) as caught:
        stop(account, market, takeProfit=str(last - 100))
    assert caught.value.code == 10001
    assert caught.value.message.startswith("TakeProfit:") and "set for Buy position should be higher than base_price:" \
        in caught.value.message and caught.value.message.endswith("??LastPrice")
    with pytest.raises(BybitError) as caught:
        stop(account, market, stopLoss=str(last + 100))
    assert "should be lower than" in caught.value.message


def test_nothing_to_protect_or_nothing_changed(world):
    market, accounts, account = world
    last = market.last_price("linear", "BTCUSDT", T0)
    stop(account, market, takeProfit=str(last + 500))
    with pytest.raises(BybitError) as caught:
        stop(account, market, takeProfit=str(last + 500))
    assert caught.value.code == 34040
    stop(account, market, takeProfit="0")                                   # 0 removes it
    assert account.positions["BTCUSDT", 0].take_profit == 0
    other = accounts.add("flat", "s")
    with pytest.raises(BybitError) as caught:
        stop(other, market, takeProfit=str(last + 500))
    assert caught.value.message == "can not set tp/sl/ts for zero position"


@pytest.fixture(scope="module")
def session():
    with own_exchange() as exchange:
        yield pybit_session(exchange)


def test_over_rest_the_position_shows_it_and_partial_parameters_need_partial_mode(session):
    session.place_order(category="linear", symbol="ETHUSDT", side="Buy", orderType="Market", qty="0.10")
    last = D(session.get_tickers(category="linear", symbol="ETHUSDT")["result"]["list"][0]["lastPrice"])
    tp, sl = (last * D("1.1")).quantize(D("0.01")), (last * D("0.9")).quantize(D("0.01"))
    assert session.set_trading_stop(category="linear", symbol="ETHUSDT", tpslMode="Full", positionIdx=0,
                                    takeProfit=str(tp), stopLoss=str(sl))["retCode"] == 0
    pos = session.get_positions(category="linear", symbol="ETHUSDT")["result"]["list"][0]
    assert (D(pos["takeProfit"]), D(pos["stopLoss"])) == (tp, sl)
    for extra, words in (({"tpslMode": "Partial"}, "needs tpSize"), ({"tpOrderType": "Limit"}, "only with tpslMode"),
                         ({"tpLimitPrice": str(tp)}, "only with tpslMode=Partial")):
        with pytest.raises(InvalidRequestError) as caught:
            session.set_trading_stop(**{"category": "linear", "symbol": "ETHUSDT", "tpslMode": "Full",
                                        "positionIdx": 0, "takeProfit": str(tp + 1), **extra})
        assert caught.value.status_code == 10001 and words in caught.value.message
    session.place_order(category="linear", symbol="ETHUSDT", side="Sell", orderType="Market", qty="0.10",
                        reduceOnly=True)
    assert session.get_positions(category="linear", symbol="ETHUSDT")["result"]["list"][0]["takeProfit"] == ""


def test_a_bracket_order_hands_its_tp_and_sl_to_the_position(session):
    last = D(session.get_tickers(category="linear", symbol="BTCUSDT")["result"]["list"][0]["lastPrice"])
    tp, sl = (last * D("1.05")).quantize(D("0.1")), (last * D("0.95")).quantize(D("0.1"))
    placed = session.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.001",
                                 takeProfit=str(tp), stopLoss=str(sl), slTriggerBy="MarkPrice")
    order = session.get_order_history(category="linear", orderId=placed["result"]["orderId"])["result"]["list"][0]
    assert (D(order["takeProfit"]), D(order["stopLoss"]), order["slTriggerBy"]) == (tp, sl, "MarkPrice")
    pos = session.get_positions(category="linear", symbol="BTCUSDT")["result"]["list"][0]
    assert (D(pos["takeProfit"]), D(pos["stopLoss"])) == (tp, sl)
    session.place_order(category="linear", symbol="BTCUSDT", side="Sell", orderType="Market", qty="0.001",
                        reduceOnly=True)


@pytest.mark.parametrize("params, words", [
    ({"takeProfit": "1"}, "should be higher than base_price"),
    ({"stopLoss": "10000000"}, "should be lower than base_price"),
    ({"takeProfit": "10000000", "reduceOnly": True}, "reduce-only order opens nothing to protect"),
    ({"takeProfit": "10000000", "tpOrderType": "Limit"}, "work only with tpslMode=Partial"),
    ({"takeProfit": "10000000", "tpslMode": "Partial", "tpOrderType": "Limit"}, "tpLimitPrice is required"),
])
def test_a_bracket_that_cannot_work_is_refused(session, params, words):
    with pytest.raises(InvalidRequestError) as caught:
        session.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.001", **params)
    assert caught.value.status_code == 10001 and words in caught.value.message


def test_spot_orders_take_no_tp_or_sl_here(session):
    with pytest.raises(InvalidRequestError) as caught:
        session.place_order(category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.001",
                            price="1000", takeProfit="2000")
    assert caught.value.status_code == 10001 and "not supported by the local exchange" in caught.value.message
