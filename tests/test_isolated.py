"""Isolated margin: each position stands on its own margin, is topped up or liquidated alone (local_exchange.isolated)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session
from test_matching import NOW, FakeMarket

from local_exchange.accounts import Accounts
from local_exchange.errors import BybitError
from local_exchange.isolated import add_margin, set_auto_add, set_margin_mode
from local_exchange.matching import place_order, set_leverage
from local_exchange.params import Params
from local_exchange.position_mode import HEDGE, switch


def trade(account, market, side, qty, symbol="ETHUSDT", **extra):
    return place_order(account, market, Params({"category": "linear", "symbol": symbol, "side": side,
                                                "orderType": "Market", "qty": qty, **extra}), NOW)


def code(fn, *args) -> int:
    with pytest.raises(BybitError) as caught:
        fn(*args)
    return caught.value.code


@pytest.fixture
def world():
    market = FakeMarket()
    accounts = Accounts(market)
    account = accounts.add("k", "s")
    set_margin_mode(account, "ISOLATED_MARGIN")
    return market, accounts, account


def test_an_isolated_position_sets_its_margin_aside_and_keeps_its_profit(world):
    market, _, account = world
    before = account.available("USDT", market, NOW)
    trade(account, market, "Buy", "5")
    pos = account.positions["ETHUSDT", 0]
    fee = sum(e.fee for e in account.executions)
    assert pos.isolated and pos.margin == pos.value / 10
    assert account.available("USDT", market, NOW) == before - pos.margin - fee
    market.prices["ETHUSDT"] += 100                      # a profit, but not to spend until closed
    assert account.available("USDT", market, NOW) == before - pos.margin - fee
    trade(account, market, "Sell", "2")                  # closing 2 of 5 frees 2/5 of the margin
    assert pos.margin == pos.value / 10


def test_add_margin_moves_the_liquidation_price_and_has_limits(world):
    market, _, account = world
    trade(account, market, "Buy", "5")
    pos = account.positions["ETHUSDT", 0]
    liq = account.liq_price(market, pos, NOW)
    assert liq == pos.avg_price + (pos.mm - pos.margin) / pos.size
    add_margin(account, market, "ETHUSDT", 0, D("100"), NOW)
    assert account.liq_price(market, pos, NOW) == liq - D("100") / 5          # 20 further away
    add_margin(account, market, "ETHUSDT", 0, D("-100"), NOW)
    assert code(add_margin, account, market, "ETHUSDT", 0, D("-1"), NOW) == 110078   # below the initial margin
    assert code(add_margin, account, market, "ETHUSDT", 0, D("1000000"), NOW) == 110014
    assert code(add_margin, account, market, "BTCUSDT", 0, D("10"), NOW) == 110033   # no BTCUSDT position
    assert code(add_margin, account, market, "ETHUSDT", 0, D("0.00001"), NOW) == 10001


def test_at_its_liquidation_price_only_that_position_is_closed(world):
    market, accounts, account = world
    trade(account, market, "Buy", "5")
    trade(account, market, "Buy", "0.01", symbol="BTCUSDT")
    eth = account.positions["ETHUSDT", 0]
    liq = account.liq_price(market, eth, NOW)
    market.prices["ETHUSDT"] = liq + D("0.5")
    accounts.sweep(market, NOW + 1)
    assert eth.size == D("5")
    market.prices["ETHUSDT"] = liq - D("0.5")
    accounts.sweep(market, NOW + 2)
    assert eth.size == 0 and account.positions["BTCUSDT", 0].size == D("0.01")
    assert any(o.create_type == "CreateByLiq" for o in account.orders.values())
    for coin, balance in account.wallet.items():                   # the log still adds up
        assert sum(e.change for e in account.ledger if e.currency == coin) == balance


def test_auto_add_margin_tops_up_instead_of_liquidating(world):
    market, accounts, account = world
    trade(account, market, "Buy", "5")
    set_auto_add(account, "ETHUSDT", 0, True, NOW)
    pos = account.positions["ETHUSDT", 0]
    margin = pos.margin
    market.prices["ETHUSDT"] = account.liq_price(market, pos, NOW) - D("0.5")
    accounts.sweep(market, NOW + 1)
    assert pos.size == D("5") and pos.margin == margin + pos.value / 10


def test_in_hedge_mode_each_side_has_its_own_leverage(world):
    market, _, account = world
    switch(account, market, "linear", "ETHUSDT", None, HEDGE)
    set_leverage(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "buyLeverage": "5",
                                          "sellLeverage": "20"}), NOW)
    trade(account, market, "Buy", "1", positionIdx=1)
    trade(account, market, "Sell", "1", positionIdx=2)
    long, short = account.positions["ETHUSDT", 1], account.positions["ETHUSDT", 2]
    assert (long.leverage, short.leverage) == (5, 20)
    assert long.margin == long.value / 5 and short.margin == short.value / 20


def test_the_margin_mode_changes_only_with_nothing_open(world):
    market, _, account = world
    assert code(set_margin_mode, account, "ISOLATED_MARGIN") == 110026
    trade(account, market, "Buy", "1")
    assert code(set_margin_mode, account, "REGULAR_MARGIN") == 110073
    trade(account, market, "Sell", "1")
    set_margin_mode(account, "REGULAR_MARGIN")
    assert code(add_margin, account, market, "ETHUSDT", 0, D("10"), NOW) == 110015


def test_over_pybit():
    with own_exchange() as exchange:
        session = pybit_session(exchange)
        linear = {"category": "linear", "symbol": "BTCUSDT"}
        assert session.set_margin_mode(setMarginMode="ISOLATED_MARGIN")["result"] == {"reasons": []}
        assert session.get_account_info()["result"]["marginMode"] == "ISOLATED_MARGIN"
        session.place_order(**linear, side="Sell", orderType="Market", qty="0.010")
        assert session.set_auto_add_margin(**linear, autoAddMargin=1)["retCode"] == 0
        result = session.add_or_reduce_margin(**linear, margin="25")["result"]
        (row,) = session.get_positions(**linear)["result"]["list"]
        assert result["positionIM"] == row["positionIM"] and row["autoAddMargin"] == 1
        assert float(row["bustPrice"]) > float(row["liqPrice"]) > float(row["avgPrice"])     # a short
        with pytest.raises(InvalidRequestError) as caught:
            session.set_margin_mode(setMarginMode="REGULAR_MARGIN")
        assert caught.value.status_code == 110073
