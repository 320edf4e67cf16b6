"""Fills take liquidity from the book for a while; resting orders show in the public book (book_effects.py)."""
from __future__ import annotations

import json
from decimal import Decimal as D

import numpy as np
import pytest
import websocket
from sessions import own_exchange, pybit_session

from local_exchange.accounts import Accounts
from local_exchange.book import RawBook
from local_exchange.book_effects import REFILL_MS, with_orders
from local_exchange.catalog import _ms
from local_exchange.clock import now_ms
from local_exchange.market import Market
from local_exchange.matching import place_order
from local_exchange.params import Params
from local_exchange.state import MARKET

T0 = _ms("2026-01-05") + 10 * 3_600_000


def buy(account, market, qty, t=T0):
    return place_order(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "side": "Buy",
                                                "orderType": "Market", "qty": qty}), t)


def lists(raw: RawBook) -> tuple[list, ...]:
    return raw.bid_ticks.tolist(), raw.bid_lots.tolist(), raw.ask_ticks.tolist(), raw.ask_lots.tolist()


def test_a_fill_takes_its_levels_and_they_refill():
    market = Market(7, now_ms=T0)
    account = Accounts(market).add("k", "s")
    before = market.raw_book("linear", "ETHUSDT", T0, 50)
    first = buy(account, market, "20")
    after = market.raw_book("linear", "ETHUSDT", T0, 50)
    assert after.ask_ticks[0] > before.ask_ticks[0]                  # the best asks are gone
    assert len(after.ask_ticks) == 50                                # and the book is still 50 deep
    second = buy(account, market, "20")
    assert second.avg_price > first.avg_price                        # the next buyer walks further
    later = T0 + REFILL_MS
    untouched = Market(7, now_ms=T0)                                 # the same market, where nobody traded
    assert market.effects.missing("linear", "ETHUSDT", later - 1)   # still missing just before
    assert lists(market.raw_book("linear", "ETHUSDT", later, 50)) == lists(untouched.raw_book("linear", "ETHUSDT",
                                                                                                later, 50))


def test_resting_orders_are_added_and_never_cross():
    raw = RawBook(np.array([100, 99]), np.array([5, 5]), np.array([101, 102]), np.array([5, 5]), 0, 1, 1)
    shown = with_orders(raw, [("Buy", 100, 3), ("Buy", 98, 2), ("Buy", 101, 9), ("Sell", 100, 9),
                              ("Sell", 103, 1)], depth=3)
    assert shown.bid_ticks.tolist() == [100, 99, 98] and shown.bid_lots.tolist() == [8, 5, 2]
    assert shown.ask_ticks.tolist() == [101, 102, 103] and shown.ask_lots.tolist() == [5, 5, 1]


@pytest.fixture(scope="module")
def exchange():
    with own_exchange(("other-key", "other-secret")) as running:
        yield running


def test_another_traders_resting_order_shows_over_rest_and_the_stream(exchange):
    me, other = pybit_session(exchange), pybit_session(exchange, "other-key", "other-secret")
    linear = {"category": "linear", "symbol": "DOGEUSDT"}
    market = exchange.app[MARKET]
    tick = market.instrument("linear", "DOGEUSDT").tick_size
    best_bid = D(me.get_orderbook(**linear, limit=1)["result"]["b"][0][0])
    # 100 ticks down is 0.6 % of DOGE's price (the price would need many minutes to get there), and
    # well inside the 200 levels of the deep book
    price = str(best_bid - 100 * tick)
    placed = other.place_order(**linear, side="Buy", orderType="Limit", qty="7777", price=price)
    levels = {p: q for p, q in me.get_orderbook(**linear, limit=200)["result"]["b"]}
    assert D(levels[price]) >= 7777                              # in the book every client reads
    ws = websocket.create_connection(exchange.url.replace("http", "ws") + "/v5/public/linear", timeout=10)
    try:
        ws.send(json.dumps({"op": "subscribe", "args": ["orderbook.200.DOGEUSDT"]}))
        snapshot = next(m for m in (json.loads(ws.recv()) for _ in range(5)) if m.get("type") == "snapshot")
        assert D(dict(snapshot["data"]["b"])[price]) >= 7777     # and on the stream
    finally:
        ws.close()
    now = now_ms()
    shown, traded = (market.public_raw_book("linear", "DOGEUSDT", now, 200),
                     market.raw_book("linear", "DOGEUSDT", now, 200))
    at = int(D(price) / tick)
    assert dict(zip(shown.bid_ticks.tolist(), shown.bid_lots.tolist())).get(at, 0) == \
        dict(zip(traded.bid_ticks.tolist(), traded.bid_lots.tolist())).get(at, 0) + 7777
    other.cancel_order(**linear, orderId=placed["result"]["orderId"])
    now = now_ms()
    assert lists(market.public_raw_book("linear", "DOGEUSDT", now, 200)) == lists(
        market.raw_book("linear", "DOGEUSDT", now, 200))         # gone with the order


def test_an_accounts_fill_is_a_public_trade_over_rest_and_the_stream(exchange):
    me, other = pybit_session(exchange), pybit_session(exchange, "other-key", "other-secret")
    ws = websocket.create_connection(exchange.url.replace("http", "ws") + "/v5/public/linear", timeout=10)
    try:
        ws.send(json.dumps({"op": "subscribe", "args": ["publicTrade.ETHUSDT"]}))
        assert json.loads(ws.recv())["success"]
        order_id = other.place_order(category="linear", symbol="ETHUSDT", side="Sell", orderType="Market",
                                     qty="0.37")["result"]["orderId"]
        (fill, *_) = other.get_executions(category="linear", orderId=order_id)["result"]["list"]
        recent = me.get_public_trade_history(category="linear", symbol="ETHUSDT", limit=1000)["result"]["list"]
        (trade,) = [t for t in recent if t["execId"] == fill["execId"]]
        assert (trade["side"], trade["price"], trade["time"]) == ("Sell", fill["execPrice"], fill["execTime"])
        seen: list[dict] = []
        for _ in range(200):                     # trades arrive every few hundred ms; ours is among the next ones
            message = json.loads(ws.recv())
            seen += message.get("data", [])
            if any(t["i"] == fill["execId"] for t in seen):
                break
        (item,) = [t for t in seen if t["i"] == fill["execId"]]
        assert (item["S"], item["p"]) == ("Sell", fill["execPrice"])
    finally:
        ws.close()
