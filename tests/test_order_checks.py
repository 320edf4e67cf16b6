"""Pre-check on the model at a fixed time: its "after" is the wallet after the same order, fills included."""
from __future__ import annotations

import pytest

from local_exchange.accounts import Accounts
from local_exchange.catalog import _ms
from local_exchange.errors import BybitError
from local_exchange.market import Market
from local_exchange.matching import place_order
from local_exchange.order_checks import margin_rates_e4, pre_check
from local_exchange.params import Params

T0 = _ms("2026-01-05") + 14 * 3_600_000


@pytest.fixture
def world():
    market = Market(7, now_ms=T0)
    return market, Accounts(market).add("k", "s")


@pytest.mark.parametrize("order", [
    {"side": "Buy", "orderType": "Market", "qty": "0.5"},                  # fills: position margin and a fee
    {"side": "Sell", "orderType": "Market", "qty": "0.2"},
    {"side": "Buy", "orderType": "Limit", "qty": "0.3", "price": "1000"},   # rests: order margin
])
def test_post_rates_are_the_wallets_after_the_same_order_at_the_same_time(world, order):
    market, account = world
    pushed: list[str] = []
    account.listeners.append(lambda topic, data: pushed.append(topic))
    request = {"category": "linear", "symbol": "BTCUSDT", **order}
    before = margin_rates_e4(account, market, T0)
    book, trades = market.raw_book("linear", "BTCUSDT", T0, 50), market.trades("linear", "BTCUSDT", T0, 20)
    check = pre_check(account, market, Params(request), T0)
    assert (check["preImrE4"], check["preMmrE4"]) == before
    assert pushed == [] and account.orders == {} and margin_rates_e4(account, market, T0) == before
    after = market.raw_book("linear", "BTCUSDT", T0, 50)         # the market shows no trace of the trial
    assert after.ask_lots.tolist() == book.ask_lots.tolist() and after.bid_lots.tolist() == book.bid_lots.tolist()
    assert market.trades("linear", "BTCUSDT", T0, 20) == trades
    place_order(account, market, Params(request), T0)
    assert margin_rates_e4(account, market, T0) == (check["postImrE4"], check["postMmrE4"])
    assert check["postImrE4"] > check["preImrE4"]


def test_an_order_the_account_cannot_pay_for_is_refused_as_placing_it_would_be(world):
    market, account = world
    with pytest.raises(BybitError) as caught:
        pre_check(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                           "orderType": "Market", "qty": "100"}), T0)
    assert caught.value.code == 110007 and account.orders == {}
