"""Automatic risk limits: a position's tier follows its value, sets its maintenance margin and caps its leverage."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session
from test_matching import NOW, FakeMarket

from local_exchange.accounts import Accounts
from local_exchange.errors import BybitError
from local_exchange.matching import place_order, set_leverage, sweep_account
from local_exchange.params import Params
from local_exchange.risk_limits import tier_for, tiers


def order(account, market, **kw):
    return place_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", **kw}), NOW)


def leverage(account, market, lev):
    set_leverage(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "buyLeverage": lev,
                                          "sellLeverage": lev}), NOW)


def code(fn, *args, **kw) -> int:
    with pytest.raises(BybitError) as caught:
        fn(*args, **kw)
    return caught.value.code


@pytest.fixture
def world():
    market = FakeMarket(level_qty=D("100"))                 # a deep book: 100 BTC a level
    account = Accounts(market).add("k", "s")
    return market, account


def test_the_tier_follows_the_value_and_sets_the_maintenance_margin(world):
    market, account = world
    inst = market.instrument("linear", "BTCUSDT")
    first, second = tiers(inst)[:2]
    leverage(account, market, "50")
    order(account, market, orderType="Market", qty="1")
    pos = account.positions["BTCUSDT", 0]
    assert pos.tier == first and pos.mm == pos.value * first.maintenance_margin
    order(account, market, orderType="Market", qty=str((first.risk_limit_value / 100_000).quantize(D(1))))
    assert pos.value > first.risk_limit_value and pos.tier == second == tier_for(inst, pos.value)
    assert pos.mm == pos.value * second.maintenance_margin - second.mm_deduction
    row = pos.to_dict(inst, D("100000"), D("0"))
    assert (row["riskId"], row["riskLimitValue"]) == (2, str(second.risk_limit_value))


def test_an_order_beyond_what_the_leverage_allows_is_refused_with_the_leverage_to_use(world):
    market, account = world
    inst = market.instrument("linear", "BTCUSDT")
    leverage(account, market, "100")
    big = str((tiers(inst)[0].risk_limit_value / 50_000).quantize(D(1)) + 1)     # just over tier 1 at 50,000
    with pytest.raises(BybitError) as caught:
        order(account, market, orderType="Limit", qty=big, price="50000")
    assert caught.value.code == 110090 and "adjust your leverage to 50 or below" in caught.value.message
    leverage(account, market, "50")
    assert order(account, market, orderType="Limit", qty=big, price="50000").status == "New"


def test_leverage_the_position_has_outgrown_is_refused(world):
    market, account = world
    inst = market.instrument("linear", "BTCUSDT")
    leverage(account, market, "50")
    order(account, market, orderType="Market", qty=str((tiers(inst)[0].risk_limit_value / 100_000).quantize(D(1)) + 1))
    assert code(leverage, account, market, "100") == 110013
    leverage(account, market, "40")                          # tier 2 allows up to 50x


def test_set_risk_limit_answers_and_changes_nothing():
    with own_exchange() as exchange:
        session = pybit_session(exchange)
        linear = {"category": "linear", "symbol": "BTCUSDT"}
        tier2 = session.get_risk_limit(**linear)["result"]["list"][1]
        reply = session.set_risk_limit(**linear, riskId=2)["result"]
        assert reply == {"category": "linear", "riskId": 2, "riskLimitValue": tier2["riskLimitValue"]}
        assert session.get_positions(**linear)["result"]["list"][0]["riskId"] == 1      # automatic: unchanged
        with pytest.raises(InvalidRequestError) as caught:
            session.set_risk_limit(**linear, riskId=99)
        assert caught.value.status_code == 110031


def test_a_conditional_order_that_would_outgrow_the_leverage_is_cancelled_when_it_fires(world):
    market, account = world
    leverage(account, market, "100")
    waiting = order(account, market, orderType="Market", qty="25", triggerPrice="100100", triggerDirection=1)
    assert waiting.status == "Untriggered"          # no margin, no risk limit until it fires
    market.prices["BTCUSDT"] = D("100100")
    sweep_account(account, market, NOW + 1)         # what the exchange's sweep does for each account
    assert (waiting.status, waiting.reject_reason) == ("Cancelled", "EC_Others")
    assert ("BTCUSDT", 0) not in account.positions or account.positions["BTCUSDT", 0].size == 0
