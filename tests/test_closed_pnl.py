"""Closed PnL: each closing order's record reconciles with its fills, and all records with the money."""
from __future__ import annotations

import random
from decimal import Decimal as D

import pytest
from sessions import own_exchange, pybit_session
from test_matching import NOW, FakeMarket

from local_exchange.accounts import Accounts
from local_exchange.errors import BybitError
from local_exchange.matching import place_order, sweep_account
from local_exchange.params import Params


def market_order(account, market, side, qty, symbol="ETHUSDT", t=NOW):
    return place_order(account, market, Params({"category": "linear", "symbol": symbol, "side": side,
                                                "orderType": "Market", "qty": qty}), t)


def test_a_round_trip_is_one_record_with_its_fees():
    market = FakeMarket()
    account = Accounts(market).add("k", "s")
    market_order(account, market, "Buy", "0.50")
    market.prices["ETHUSDT"] += D("25")
    closing = market_order(account, market, "Sell", "0.50")
    opening_fills = [e for e in account.executions if e.side == "Buy"]
    closing_fills = [e for e in account.executions if e.order_id == closing.order_id]
    (record,) = account.closed_pnl
    entry = sum(e.value for e in opening_fills) / D("0.50")
    exit_ = sum(e.value for e in closing_fills) / D("0.50")
    fees = sum(e.fee for e in account.executions)
    assert record.closed_size == D("0.50") and record.fills == len(closing_fills)
    assert record.open_fee == sum(e.fee for e in opening_fills) and record.close_fee == sum(e.fee for e in closing_fills)
    assert record.closed_pnl == (exit_ - entry) * D("0.50") - fees
    assert record.closed_pnl == sum(e.pnl for e in closing_fills) - fees
    row = record.to_dict()
    assert (row["side"], row["closedSize"], row["execType"]) == ("Sell", "0.5", "Trade")
    assert row["fillCount"] == str(len(closing_fills))


def test_a_flip_closes_the_old_side_and_carries_the_new_sides_fee():
    market = FakeMarket()
    account = Accounts(market).add("k", "s")
    market_order(account, market, "Buy", "0.30")
    flip = market_order(account, market, "Sell", "0.50")
    fee = sum(e.fee for e in account.executions if e.order_id == flip.order_id)
    (record,) = account.closed_pnl
    assert record.closed_size == D("0.30")
    assert record.close_fee == (fee * D("0.30") / D("0.50")).quantize(D("1e-12"))
    pos = account.positions["ETHUSDT", 0]
    assert pos.size == D("-0.20") and pos.entry_fees == fee - record.close_fee     # no fee lost or counted twice


@pytest.mark.parametrize("seed", range(4))
def test_all_records_reconcile_with_the_fills(seed):
    """Every fee is either in a record (open or close fee) or still carried by an open position."""
    market = FakeMarket()
    rng = random.Random(seed)
    account = Accounts(market).add("k", "s")
    for step in range(150):
        sym = rng.choice(["BTCUSDT", "ETHUSDT"])
        market.prices[sym] += (D("0.10") if sym == "BTCUSDT" else D("0.01")) * rng.randint(-40, 40)
        inst = market.instrument("linear", sym)
        p = {"category": "linear", "symbol": sym, "side": rng.choice(["Buy", "Sell"]),
             "orderType": rng.choice(["Market", "Limit"]),
             "qty": str(inst.qty_step * rng.randint(1, 600 if sym == "BTCUSDT" else 4000))}
        if p["orderType"] == "Limit":
            p["price"] = str(market.prices[sym] + inst.tick_size * rng.randint(-30, 30))
        try:
            place_order(account, market, Params(p), NOW + step)
        except BybitError:
            pass
        sweep_account(account, market, NOW + step)
    assert len(account.closed_pnl) > 10
    fills = [e for e in account.executions if e.category == "linear"]
    carried = sum(pos.entry_fees for pos in account.positions.values())
    assert sum(r.closed_pnl for r in account.closed_pnl) == sum(e.pnl for e in fills) - sum(e.fee for e in fills) + carried
    assert all(pos.entry_fees == 0 for pos in account.positions.values() if pos.size == 0)
    assert sum(r.closed_size for r in account.closed_pnl) == sum(e.closed_size for e in fills)


@pytest.fixture(scope="module")
def session():
    with own_exchange(("pnl-key", "pnl-secret")) as exchange:
        yield pybit_session(exchange, "pnl-key", "pnl-secret")


def test_closed_pnl_over_rest_matches_the_executions(session):
    assert session.get_closed_pnl(category="linear")["result"] == {"category": "linear", "list": [], "nextPageCursor": ""}
    session.place_order(category="linear", symbol="ETHUSDT", side="Buy", orderType="Market", qty="0.10")
    session.place_order(category="linear", symbol="ETHUSDT", side="Sell", orderType="Market", qty="0.10",
                        reduceOnly=True)
    (row,) = session.get_closed_pnl(category="linear", symbol="ETHUSDT")["result"]["list"]
    fills = session.get_executions(category="linear", symbol="ETHUSDT")["result"]["list"]
    buy = [f for f in fills if f["side"] == "Buy"]
    sell = [f for f in fills if f["side"] == "Sell"]
    fees = sum(D(f["execFee"]) for f in fills)
    gross = sum(D(f["execValue"]) for f in sell) - sum(D(f["execValue"]) for f in buy)
    assert D(row["closedPnl"]) == gross - fees
    assert D(row["openFee"]) + D(row["closeFee"]) == fees and row["closedSize"] == "0.1"
    assert D(row["cumExitValue"]) - D(row["cumEntryValue"]) == gross


def test_closed_pnl_refuses_what_bybit_refuses(session):
    from pybit.exceptions import InvalidRequestError

    for params, words in (({}, "category"), ({"category": "spot"}, "Illegal category"),
                          ({"category": "linear", "limit": "101"}, "limit invalid"),
                          ({"category": "linear", "startTime": "0", "endTime": str(8 * 86_400_000)}, "7 days")):
        with pytest.raises(InvalidRequestError) as caught:
            session.get_closed_pnl(**params)
        assert caught.value.status_code == 10001 and words in caught.value.message, params
