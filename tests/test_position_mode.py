"""Hedge mode keeps a long and a short of one symbol apart; one-way mode nets them (local_exchange.position_mode)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session
from test_matching import NOW, FakeMarket

from local_exchange.accounts import Accounts
from local_exchange.errors import BybitError
from local_exchange.matching import place_order, set_leverage
from local_exchange.params import Params
from local_exchange.position_mode import HEDGE, ONE_WAY, switch


def trade(account, market, side, qty, idx, symbol="ETHUSDT", **extra):
    return place_order(account, market, Params({"category": "linear", "symbol": symbol, "side": side,
                                                "orderType": "Market", "qty": qty, "positionIdx": idx, **extra}), NOW)


def code(fn, *args, **kwargs) -> int:
    with pytest.raises(BybitError) as caught:
        fn(*args, **kwargs)
    return caught.value.code


@pytest.fixture
def market():
    return FakeMarket()


@pytest.fixture
def hedged(market):
    account = Accounts(market).add("k", "s")
    switch(account, market, "linear", "ETHUSDT", None, HEDGE)
    return account


def test_hedge_mode_holds_a_long_and_a_short_of_one_symbol(hedged, market):
    trade(hedged, market, "Buy", "0.40", 1)
    trade(hedged, market, "Sell", "0.30", 2)
    long, short = hedged.positions["ETHUSDT", 1], hedged.positions["ETHUSDT", 2]
    assert (long.size, short.size) == (D("0.40"), D("-0.30"))     # not netted to +0.10
    assert hedged.position_im() == (long.value + short.value) / 10


def test_the_closing_side_only_reduces_and_realises_pnl(hedged, market):
    trade(hedged, market, "Buy", "0.40", 1)
    market.prices["ETHUSDT"] += D("50")
    close = trade(hedged, market, "Sell", "0.90", 1)             # more than the long: cut to the long
    assert close.reduce_only and close.qty == D("0.40") and close.status == "Filled"
    assert hedged.positions["ETHUSDT", 1].size == 0 and ("ETHUSDT", 2) not in hedged.positions
    (record,) = hedged.closed_pnl
    assert record.closed_size == D("0.40") and record.closed_pnl > 0
    assert code(trade, hedged, market, "Buy", "0.10", 2) == 110017      # nothing short to close


def test_position_idx_must_match_the_mode(hedged, market):
    assert code(trade, hedged, market, "Buy", "0.10", 0) == 10001       # ETHUSDT is in hedge mode
    assert code(trade, hedged, market, "Buy", "0.001", 1, symbol="BTCUSDT") == 10001   # BTCUSDT is not
    trade(hedged, market, "Buy", "0.001", 0, symbol="BTCUSDT")


def test_switching_is_refused_while_a_symbol_has_a_position_or_an_order(hedged, market):
    assert code(switch, hedged, market, "linear", "ETHUSDT", None, HEDGE) == 110025
    trade(hedged, market, "Sell", "0.10", 2)
    assert code(switch, hedged, market, "linear", "ETHUSDT", None, ONE_WAY) == 110024
    trade(hedged, market, "Buy", "0.10", 2)
    place_order(hedged, market, Params({"category": "linear", "symbol": "ETHUSDT", "side": "Buy",
                                        "orderType": "Limit", "qty": "0.10", "price": "2000",
                                        "positionIdx": 1}), NOW)
    assert code(switch, hedged, market, "linear", "ETHUSDT", None, ONE_WAY) == 110028
    assert code(switch, hedged, market, "inverse", "BTCUSD", None, HEDGE) == 110029


def test_by_coin_every_idle_symbol_switches_and_a_busy_one_keeps_its_mode(market):
    account = Accounts(market).add("k", "s")
    trade(account, market, "Buy", "0.001", 0, symbol="BTCUSDT")
    switch(account, market, "linear", None, "USDT", HEDGE)
    eth, btc = market.instrument("linear", "ETHUSDT"), market.instrument("linear", "BTCUSDT")
    assert account.modes.of(eth) == HEDGE and account.modes.of(btc) == ONE_WAY
    trade(account, market, "Sell", "0.001", 0, symbol="BTCUSDT")          # flat now: still one-way
    assert account.modes.of(btc) == ONE_WAY
    switch(account, market, "linear", "BTCUSDT", None, HEDGE)
    assert code(switch, account, market, "linear", None, "USDT", HEDGE) == 110025


def test_leverage_is_one_for_both_sides_with_cross_margin(hedged, market):
    set_leverage(hedged, market, Params({"category": "linear", "symbol": "ETHUSDT", "buyLeverage": "4",
                                         "sellLeverage": "4"}), NOW)
    assert hedged.positions["ETHUSDT", 1].leverage == hedged.positions["ETHUSDT", 2].leverage == 4
    assert code(set_leverage, hedged, market, Params({"category": "linear", "symbol": "ETHUSDT",
                                                      "buyLeverage": "4", "sellLeverage": "5"}), NOW) == 10001


def test_the_money_of_both_sides_adds_up(hedged, market):
    start = hedged.wallet["USDT"]
    trade(hedged, market, "Buy", "0.50", 1)
    trade(hedged, market, "Sell", "0.20", 2)
    market.prices["ETHUSDT"] -= D("40")
    trade(hedged, market, "Sell", "0.50", 1)
    trade(hedged, market, "Buy", "0.20", 2)
    fees = sum(e.fee for e in hedged.executions)
    realised = sum(r.closed_pnl for r in hedged.closed_pnl)

    def paid(idx: int, side: str) -> D:
        return sum(e.value for e in hedged.executions
                   if hedged.orders[e.order_id].position_idx == idx and e.side == side)

    long_pnl, short_pnl = paid(1, "Sell") - paid(1, "Buy"), paid(2, "Sell") - paid(2, "Buy")
    assert long_pnl < 0 < short_pnl                       # the price fell: the long lost, the short won
    assert realised == long_pnl + short_pnl - fees
    assert hedged.wallet["USDT"] - start == realised
    assert sum(e.change for e in hedged.ledger if e.currency == "USDT" and e.type == "TRADE") == realised


def test_over_pybit_the_list_and_the_orders_show_both_sides():
    with own_exchange() as exchange:
        session = pybit_session(exchange)
        linear = {"category": "linear", "symbol": "SOLUSDT"}
        assert session.switch_position_mode(**linear, mode=3)["retCode"] == 0
        rows = session.get_positions(**linear)["result"]["list"]
        assert [(r["positionIdx"], float(r["size"])) for r in rows] == [(1, 0), (2, 0)]
        session.place_order(**linear, side="Buy", orderType="Market", qty="1", positionIdx=1)
        session.place_order(**linear, side="Sell", orderType="Market", qty="2", positionIdx=2)
        rows = session.get_positions(**linear)["result"]["list"]
        assert [(r["positionIdx"], r["side"], float(r["size"])) for r in rows] == [(1, "Buy", 1), (2, "Sell", 2)]
        orders = session.get_order_history(category="linear", symbol="SOLUSDT")["result"]["list"]
        assert sorted(o["positionIdx"] for o in orders) == [1, 2]
        with pytest.raises(InvalidRequestError) as caught:
            session.switch_position_mode(**linear, mode=0)
        assert caught.value.status_code == 110024
        with pytest.raises(InvalidRequestError) as caught:
            session.set_trading_stop(**linear, tpslMode="Full", positionIdx=0, takeProfit="1")
        assert caught.value.message.startswith("position idx not match position mode")
        assert "SOLUSDT is in hedge mode: positionIdx 1 for the long side" in caught.value.message
