"""Trailing stops follow the price and close the position; Partial TP/SL are orders for part of it, set on the
position (tpsl.py) or sent with the order that opens it; an open order's TP/SL can be amended until it fills."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from test_matching import NOW, FakeMarket

from local_exchange.accounts import Accounts
from local_exchange.errors import BybitError
from local_exchange.matching import amend_order, place_order
from local_exchange.params import Params
from local_exchange.tpsl import set_trading_stop


@pytest.fixture
def world():
    market = FakeMarket()
    accounts = Accounts(market)
    account = accounts.add("k", "s")
    place_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                         "orderType": "Market", "qty": "0.010"}), NOW)
    return market, accounts, account


def stop(account, market, **params):
    return set_trading_stop(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "positionIdx": 0,
                                                     "tpslMode": "Full", **params}), NOW)


def code(fn, *args, **kw) -> int:
    with pytest.raises(BybitError) as caught:
        fn(*args, **kw)
    return caught.value.code


def walk(market, accounts, *prices):
    for k, price in enumerate(prices, 1):
        market.prices["BTCUSDT"] = D(price)
        accounts.sweep(market, NOW + k)


def test_a_trailing_stop_follows_the_best_price_and_closes_on_the_way_back(world):
    market, accounts, account = world
    pos = account.positions["BTCUSDT", 0]
    stop(account, market, trailingStop="500")
    walk(market, accounts, "100400", "100000")               # up 400, back 400: still open
    assert pos.size == D("0.010") and pos.trail_peak == 100400
    walk(market, accounts, "99900")                          # back 500 from the best: closed
    assert pos.size == 0 and not pos.guarded
    (closing,) = [o for o in account.orders.values() if o.create_type == "CreateByTrailingStop"]
    assert closing.stop_order_type == "TrailingStop" and closing.reduce_only


def test_with_an_active_price_it_starts_only_there(world):
    market, accounts, account = world
    pos = account.positions["BTCUSDT", 0]
    stop(account, market, trailingStop="500", activePrice="101000")
    walk(market, accounts, "100800", "100200")               # a drop of 600, but not started yet
    assert pos.size == D("0.010") and pos.trail_peak == 0
    walk(market, accounts, "101000", "100600", "100500")
    assert pos.size == 0


def test_a_trailing_stop_is_checked_and_can_be_removed(world):
    market, _, account = world
    assert code(stop, account, market, trailingStop="500", activePrice="99000") == 10001     # below a long's price
    assert code(stop, account, market, trailingStop="500.05") == 10001                       # off the tick
    assert code(stop, account, market, activePrice="101000") == 10001                        # nothing to start
    stop(account, market, trailingStop="500")
    row = account.positions["BTCUSDT", 0].to_dict(market.instrument("linear", "BTCUSDT"), D("100000"), D("0"))
    assert row["trailingStop"] == "500.00"
    stop(account, market, trailingStop="0")
    assert not account.positions["BTCUSDT", 0].guarded
    assert code(stop, account, market, trailingStop="0") == 34040                            # not modified


def partial(account, market, **params):
    return set_trading_stop(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "positionIdx": 0,
                                                     "tpslMode": "Partial", **params}), NOW)


def test_partial_tp_and_sl_are_orders_for_part_of_the_position(world):
    market, accounts, account = world
    partial(account, market, takeProfit="101000", stopLoss="99000", tpSize="0.004", slSize="0.004")
    tp, sl = sorted(account.open_orders(), key=lambda o: o.stop_order_type, reverse=True)
    assert (tp.stop_order_type, sl.stop_order_type) == ("PartialTakeProfit", "PartialStopLoss")
    assert tp.status == sl.status == "Untriggered" and tp.reduce_only and tp.qty == D("0.004")
    assert tp.create_type == "CreateByPartialTakeProfit" and tp.side == "Sell"
    walk(market, accounts, "101000")
    assert tp.status == "Filled" and account.positions["BTCUSDT", 0].size == D("0.006")
    assert sl.status == "Untriggered"
    place_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Sell",
                                         "orderType": "Market", "qty": "0.006", "reduceOnly": True}), NOW)
    assert (sl.status, sl.cancel_type) == ("Deactivated", "CancelByTpSlTsClear")   # gone with the position


def test_partial_limits_and_checks(world):
    market, _, account = world
    assert code(partial, account, market, takeProfit="101000", tpSize="0.011") == 110058    # more than the position
    assert code(partial, account, market, takeProfit="101000", tpSize="0.004", slSize="0.003") == 10001
    assert code(partial, account, market, takeProfit="99000", tpSize="0.004") == 10001      # a long's TP below
    assert code(partial, account, market, takeProfit="101000") == 10001                     # no size
    assert code(partial, account, market, takeProfit="101000", tpSize="0.001", tpOrderType="Limit") == 10001
    partial(account, market, takeProfit="101000", tpSize="0.001", tpOrderType="Limit", tpLimitPrice="100990")
    for _ in range(19):
        partial(account, market, takeProfit="101000", tpSize="0.001")
    assert code(partial, account, market, takeProfit="101000", tpSize="0.001") == 110061    # a 21st
    limit = [o for o in account.open_orders() if o.order_type == "Limit"]
    assert len(limit) == 1 and limit[0].price == D("100990")


def amend(account, market, order, **params):
    return amend_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT",
                                                "orderId": order.order_id, **params}), NOW)


def test_an_open_orders_tp_and_sl_are_amended_and_checked(world):
    market, _, account = world
    resting = place_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                                   "orderType": "Limit", "qty": "0.010", "price": "90000",
                                                   "takeProfit": "95000"}), NOW)
    amend(account, market, resting, takeProfit="96000", stopLoss="85000", slTriggerBy="MarkPrice")
    assert (resting.take_profit, resting.stop_loss, resting.sl_trigger_by) == (96000, 85000, "MarkPrice")
    amend(account, market, resting, takeProfit="0")
    assert resting.take_profit == 0 and resting.tp_trigger_by == "" and resting.stop_loss == 85000
    assert code(amend, account, market, resting, stopLoss="91000") == 10001          # above a buy's price
    assert code(amend, account, market, resting, qty="0.0101", takeProfit="97000") == 10001     # qty off the step
    assert resting.take_profit == 0 and resting.qty == D("0.010")                  # a refused amend changes nothing
    assert code(amend, account, market, resting, stopLoss="85000") == 10001          # unchanged
    partly = place_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                                  "orderType": "Limit", "qty": "1.000", "price": "100000.1"}), NOW)
    assert partly.status == "PartiallyFilled"
    assert code(amend, account, market, partly, takeProfit="120000") == 110059


def test_partial_tp_and_sl_sent_with_an_order_become_orders_for_what_it_filled(world):
    market, _, account = world
    opening = place_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                                   "orderType": "Market", "qty": "0.020", "tpslMode": "Partial",
                                                   "takeProfit": "101000", "stopLoss": "99000"}), NOW)
    legs = {o.stop_order_type: o for o in account.open_orders()}
    assert set(legs) == {"PartialTakeProfit", "PartialStopLoss"}
    assert all(o.qty == opening.cum_qty == D("0.020") and o.reduce_only for o in legs.values())
    assert account.positions["BTCUSDT", 0].take_profit == 0           # not the position's: orders of their own
    assert opening.to_dict()["tpslMode"] == "Partial"


def test_a_resting_orders_partial_tp_waits_for_its_fill_and_can_be_a_limit_order(world):
    market, accounts, account = world
    resting = place_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                                   "orderType": "Limit", "qty": "0.005", "price": "99500",
                                                   "tpslMode": "Partial", "takeProfit": "100500",
                                                   "tpOrderType": "Limit", "tpLimitPrice": "100490"}), NOW)
    assert resting.to_dict()["tpLimitPrice"] == "100490.00"
    assert [o for o in account.open_orders() if o.stop_order_type] == []          # nothing until it fills
    walk(market, accounts, "99500")
    assert resting.status == "Filled"
    (tp,) = [o for o in account.open_orders() if o.stop_order_type == "PartialTakeProfit"]
    assert (tp.order_type, tp.price, tp.qty, tp.trigger_price) == ("Limit", D("100490"), D("0.005"), D("100500"))
