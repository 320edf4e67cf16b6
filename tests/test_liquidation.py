"""A cross-margin account is liquidated where its liqPrice says, and the money still reconciles."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from test_matching import NOW, FakeMarket

from local_exchange import ledger
from local_exchange.accounts import Accounts
from local_exchange.matching import place_order, set_leverage
from local_exchange.params import Params


@pytest.fixture
def world():
    market = FakeMarket()
    accounts = Accounts(market)
    account = accounts.add("k", "s")
    account.wallet.clear()
    account.wallet["USDT"] = D(1000)                       # a small wallet: 1000 USDT and nothing else
    account.ledger.clear()
    ledger.record_transfer_in(account, "USDT", D(1000), NOW)
    set_leverage(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "buyLeverage": "100",
                                          "sellLeverage": "100"}), NOW)
    return market, accounts, account


def buy(account, market, qty, **extra):
    return place_order(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "side": "Buy",
                                                "qty": qty, "orderType": "Market", **extra}), NOW)


def liq_of(account, market) -> D:
    pos = account.positions["ETHUSDT", 0]
    row = pos.to_dict(market.instrument("linear", "ETHUSDT"), market.prices["ETHUSDT"], D("0.00055"),
                      account.liq_price(market, pos, NOW))
    return D(row["liqPrice"])


def test_the_liquidation_price_is_where_the_margin_balance_meets_the_maintenance_margin(world):
    market, _, account = world
    buy(account, market, "9")
    pos = account.positions["ETHUSDT", 0]
    liq = account.liq_price(market, pos, NOW)
    expected = pos.avg_price + (account.maintenance_margin() - account.wallet["USDT"]) / pos.size
    assert liq == expected and pos.avg_price - 100 < liq < pos.avg_price     # about 96 below the entry
    market.prices["ETHUSDT"] = liq
    assert abs(account.margin_balance(market, NOW) - account.maintenance_margin()) < D("1e-12")


def test_a_price_above_it_keeps_the_position_and_one_at_it_liquidates(world):
    market, accounts, account = world
    buy(account, market, "9")
    resting = place_order(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "side": "Buy",
                                                   "qty": "1", "orderType": "Limit", "price": "2500"}), NOW)
    liq = liq_of(account, market)
    market.prices["ETHUSDT"] = liq + D("0.5")
    accounts.sweep(market, NOW + 1)
    assert account.positions["ETHUSDT", 0].size == D("9") and resting.status == "New"
    market.prices["ETHUSDT"] = liq - D("0.5")
    accounts.sweep(market, NOW + 2)
    assert account.positions["ETHUSDT", 0].size == 0
    assert (resting.status, resting.cancel_type) == ("Cancelled", "CancelAllBeforeLiq")
    (closing,) = [o for o in account.orders.values() if o.create_type == "CreateByLiq"]
    assert closing.side == "Sell" and closing.reduce_only and closing.cum_qty == D("9")
    kinds = [e.type for e in account.ledger]
    assert kinds.count("LIQUIDATION") == sum(1 for e in account.executions if e.order_id == closing.order_id)
    assert sum(e.change for e in account.ledger) == account.wallet["USDT"]       # the log still adds up
    lost = D(1000) - account.wallet["USDT"]
    assert D(850) < lost < D(1000)        # most of the wallet: what was left above the maintenance margin


def test_a_short_is_liquidated_above_its_entry(world):
    market, accounts, account = world
    place_order(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "side": "Sell",
                                         "qty": "9", "orderType": "Market"}), NOW)
    liq = liq_of(account, market)
    assert liq > account.positions["ETHUSDT", 0].avg_price
    market.prices["ETHUSDT"] = liq + D("0.5")
    accounts.sweep(market, NOW + 1)
    assert account.positions["ETHUSDT", 0].size == 0


def test_a_well_funded_position_shows_no_liquidation_price(world):
    market, _, account = world
    account.wallet["USDT"] = D(10_000_000)
    buy(account, market, "1")
    pos = account.positions["ETHUSDT", 0]
    assert account.liq_price(market, pos, NOW) is None          # it would take a price below zero
    row = pos.to_dict(market.instrument("linear", "ETHUSDT"), D("3000"), D("0.00055"), None)
    assert row["liqPrice"] == ""
