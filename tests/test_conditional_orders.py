"""Conditional orders: they wait Untriggered, fire when the watched price crosses, and refuse a wrong side."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session
from test_matching import NOW, FakeMarket, code_of

from local_exchange.accounts import Accounts
from local_exchange.catalog import _ms
from local_exchange.errors import BybitError
from local_exchange.market import Market
from local_exchange.matching import cancel_all, cancel_order, place_order, sweep_account
from local_exchange.params import Params

T0 = _ms("2026-01-05") + 14 * 3_600_000


@pytest.fixture
def world():
    market = Market(7, now_ms=T0)
    account = Accounts(market).add("k", "s")
    return market, account


def first_rise(market: Market, symbol: str, category: str = "linear") -> tuple[D, int]:
    """A trigger a few ticks above the price at T0 that the price reaches later, and when it does."""
    start = market.last_price(category, symbol, T0)
    best = start
    for k in range(1, 36_000):                      # one hour, step by step
        price = market.last_price(category, symbol, T0 + k * 100)
        if price > start + D("0.5"):
            return price, T0 + k * 100
        best = max(best, price)
    raise AssertionError("the price did not rise within an hour")


def test_a_rise_trigger_waits_then_fires_as_a_market_order(world):
    market, account = world
    trigger, reached = first_rise(market, "BTCUSDT")
    events: list[tuple[str, str]] = []
    account.listeners.append(lambda topic, data: events.extend((topic, d.get("orderStatus", "")) for d in data))
    order = place_order(account, market, Params({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                                 "orderType": "Market", "qty": "0.010", "triggerPrice": str(trigger),
                                                 "triggerDirection": 1}), T0)
    assert order.status == "Untriggered" and order.stop_order_type == "Stop"
    assert account.order_im(market) == 0 and "BTCUSDT" not in {s for s, p in account.positions.items() if p.size}
    sweep_account(account, market, reached - 100)                     # not yet
    assert order.status == "Untriggered"
    sweep_account(account, market, reached)
    assert order.status == "Filled" and account.positions["BTCUSDT", 0].size == D("0.010")
    statuses = [s for topic, s in events if topic == "order"]
    assert statuses[:3] == ["Untriggered", "Triggered", "Filled"]
    row = order.to_dict()
    assert (row["stopOrderType"], row["triggerDirection"], row["triggerBy"]) == ("Stop", 1, "LastPrice")


def test_a_trigger_on_the_wrong_side_is_refused(world):
    market, account = world
    last = market.last_price("linear", "BTCUSDT", T0)
    base = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.010"}
    below, above = str(last - D("100")), str(last + D("100"))
    assert code_of(place_order, account, market, Params({**base, "triggerPrice": below, "triggerDirection": 1}), T0) == 110092
    assert code_of(place_order, account, market, Params({**base, "triggerPrice": above, "triggerDirection": 2}), T0) == 110093
    assert code_of(place_order, account, market, Params({**base, "triggerPrice": above}), T0) == 10001   # direction?
    assert account.orders == {}


def test_cancelled_before_it_fires_it_is_deactivated(world):
    market, account = world
    last = market.last_price("linear", "ETHUSDT", T0)
    order = place_order(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "side": "Sell",
                                                 "orderType": "Limit", "qty": "0.10", "price": str(last - 50),
                                                 "triggerPrice": str(last - 40), "triggerDirection": 2}), T0)
    cancel_order(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "orderId": order.order_id}), T0)
    assert order.status == "Deactivated" and not account.open_ids


def test_a_spot_stop_order_reserves_nothing_until_it_fires(world):
    market, account = world
    usdt = account.wallet["USDT"]
    last = market.last_price("spot", "BTCUSDT", T0)
    order = place_order(account, market, Params({"category": "spot", "symbol": "BTCUSDT", "side": "Buy",
                                                 "orderType": "Limit", "qty": "0.001", "price": str(last * 2),
                                                 "triggerPrice": str(last * 2), "orderFilter": "StopOrder"}), T0)
    assert order.status == "Untriggered" and order.locked == 0 and account.spot_locked("USDT") == 0
    assert account.wallet["USDT"] == usdt


@pytest.fixture(scope="module")
def session():
    with own_exchange() as exchange:
        yield pybit_session(exchange)


def test_over_rest_it_is_listed_amended_and_cancelled(session):
    last = D(session.get_tickers(category="linear", symbol="BTCUSDT")["result"]["list"][0]["lastPrice"])
    trigger = (last * D("1.5")).quantize(D("0.1"))
    placed = session.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.001",
                                 triggerPrice=str(trigger), triggerDirection=1, triggerBy="MarkPrice")
    order_id = placed["result"]["orderId"]
    listed = session.get_open_orders(category="linear", symbol="BTCUSDT", orderFilter="StopOrder")["result"]["list"]
    assert [(o["orderId"], o["orderStatus"], o["triggerBy"]) for o in listed] == [(order_id, "Untriggered", "MarkPrice")]
    assert D(listed[0]["triggerPrice"]) == trigger
    session.amend_order(category="linear", symbol="BTCUSDT", orderId=order_id, triggerPrice=str(trigger + 1))
    again = session.get_open_orders(category="linear", symbol="BTCUSDT", orderId=order_id)["result"]["list"][0]
    assert D(again["triggerPrice"]) == trigger + 1
    with pytest.raises(InvalidRequestError) as caught:
        session.amend_order(category="linear", symbol="BTCUSDT", orderId=order_id, triggerPrice=str(last - 1000))
    assert caught.value.status_code == 110092
    session.cancel_order(category="linear", symbol="BTCUSDT", orderId=order_id)
    history = session.get_order_history(category="linear", orderId=order_id)["result"]["list"]
    assert history[0]["orderStatus"] == "Deactivated"


# ---------------------------------------------------------------------------------------------
# on a fixed fake market: spot reserves, cancel-all by kind, closeOnTrigger, the 170140 hint
# ---------------------------------------------------------------------------------------------

class IndexedMarket(FakeMarket):
    def index_price(self, category, symbol, t_ms):
        return self.prices[symbol]


@pytest.fixture
def market() -> IndexedMarket:
    return IndexedMarket()


@pytest.fixture
def account(market):
    return Accounts(market).add("k", "s")


def place(account, market, **kw):
    return place_order(account, market, Params(kw), NOW)


LINEAR = dict(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.01")


def test_spot_stop_order_reserves_nothing_tpsl_order_reserves_at_once(account, market):
    base = dict(category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.1", price="95000")
    stop = place(account, market, **base, triggerPrice="96000", orderFilter="StopOrder")
    assert stop.status == "Untriggered" and account.spot_locked("USDT") == 0
    tpsl = place(account, market, **base, triggerPrice="96000", orderFilter="tpslOrder")
    assert account.spot_locked("USDT") == D("9500") and tpsl.to_dict()["stopOrderType"] == "tpslOrder"
    # cancel-all on spot cancels normal orders only unless orderFilter says otherwise
    assert cancel_all(account, market, Params({"category": "spot"}), NOW) == []
    done = cancel_all(account, market, Params({"category": "spot", "orderFilter": "tpslOrder"}), NOW)
    assert done == [tpsl] and tpsl.status == "Deactivated" and account.spot_locked("USDT") == 0
    market.prices["BTCUSDT"] = D("96000")
    sweep_account(account, market, NOW + 1)
    assert stop.status == "New" and account.spot_locked("USDT") == D("9500")


def test_spot_market_buy_with_a_base_amount_gets_a_hint(account, market):
    with pytest.raises(BybitError) as info:
        place(account, market, category="spot", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.001")
    assert info.value.code == 170140
    assert info.value.message.startswith("Order value exceeded lower limit")
    assert 'marketUnit="baseCoin"' in info.value.message


def test_close_on_trigger_with_qty_zero_closes_the_whole_position(account, market):
    place(account, market, **{**LINEAR, "qty": "0.02"})
    o = place(account, market, category="linear", symbol="BTCUSDT", side="Sell", orderType="Market", qty="0",
              reduceOnly=True, closeOnTrigger=True)
    assert o.status == "Filled" and o.cum_qty == D("0.02") and account.positions["BTCUSDT", 0].size == 0
