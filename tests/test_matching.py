"""Orders against the simulated book: fills, fees, positions, validation codes.

A small fake market (fixed prices, a regular book) stands in for
``local_exchange.market.Market`` so every number below can be worked out by hand.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal as D
from fractions import Fraction

import pytest

from local_exchange.accounts import TEST_FUNDS, Account, Accounts
from local_exchange.errors import BybitError
from local_exchange.matching import amend_order, cancel_all, cancel_order, place_order, set_leverage
from local_exchange.params import Params

NOW = 1_760_000_000_000


@dataclass(frozen=True)
class FakeInstrument:
    category: str
    symbol: str
    base_coin: str
    quote_coin: str
    settle_coin: str
    tick_size: D
    qty_step: D
    min_qty: D
    max_qty: D
    max_mkt_qty: D
    min_notional: D
    max_leverage: D = D(100)
    quote_precision: D = D("0.00000001")
    price_scale: int = 2
    contract_type: str = ""
    launch_ms: int = 0


@dataclass
class FakeBook:
    bids: list
    asks: list
    ts: int = NOW
    u: int = 1
    seq: int = 1


@dataclass
class FakeMarket:
    """Prices set by hand; the book has ``levels`` levels of ``level_qty`` one tick apart."""

    prices: dict = field(default_factory=lambda: {"BTCUSDT": D("100000"), "ETHUSDT": D("3000")})
    level_qty: D = D("0.5")
    levels: int = 20

    def __post_init__(self) -> None:
        self._inst = {}
        for base, tick in (("BTC", "0.10"), ("ETH", "0.01")):
            sym = base + "USDT"
            self._inst[("linear", sym)] = FakeInstrument(
                "linear", sym, base, "USDT", "USDT", D(tick), D("0.001"), D("0.001"), D("1000"),
                D("100"), D("5"), contract_type="LinearPerpetual")
            self._inst[("spot", sym)] = FakeInstrument(
                "spot", sym, base, "USDT", "USDT", D("0.01"), D("0.000001"), D("0.00001"), D("100"),
                D("50"), D("1"))
        self._inst[("inverse", "BTCUSD")] = FakeInstrument(
            "inverse", "BTCUSD", "BTC", "USD", "BTC", D("0.5"), D("1"), D("1"), D("1000000"),
            D("100000"), D("0"), contract_type="InversePerpetual")

    def instruments(self, category):
        return [i for (c, _), i in self._inst.items() if c == category]

    def instrument(self, category, symbol):
        return self._inst.get((category, symbol))

    def last_price(self, category, symbol, t_ms):
        return self.prices[symbol]

    def mark_price(self, category, symbol, t_ms):
        return self.prices[symbol]

    def take_liquidity(self, category, symbol, side, fills, now_ms):
        """The hand-set book refills at once (the real one: local_exchange.book_effects)."""

    def record_trade(self, category, symbol, taker_side, price, qty, exec_id, seq, now_ms):
        """No public trades here (the real market: local_exchange.book_effects)."""

    def book(self, category, symbol, t_ms, depth):
        tick = self._inst[(category, symbol)].tick_size
        p = self.prices[symbol]
        n = min(depth, self.levels)
        return FakeBook(bids=[(p - tick * k, self.level_qty) for k in range(1, n + 1)],
                        asks=[(p + tick * k, self.level_qty) for k in range(1, n + 1)])


@pytest.fixture
def market() -> FakeMarket:
    return FakeMarket()


@pytest.fixture
def account(market) -> Account:
    return Accounts(market).add("k", "s")


def order(account, market, **kw):
    return place_order(account, market, Params(kw), NOW)


def code_of(fn, *args) -> int:
    with pytest.raises(BybitError) as info:
        fn(*args)
    return info.value.code


def rejects(account, market, **kw) -> int:
    """The retCode an order with these parameters is refused with."""
    return code_of(order_from, account, market, kw)


def order_from(account, market, kw):
    return place_order(account, market, Params(kw), NOW)


# ---------------------------------------------------------------------------------------------
# spot
# ---------------------------------------------------------------------------------------------
def test_spot_market_buy_qty_is_quote_and_walks_the_book(account, market):
    o = order(account, market, category="spot", symbol="BTCUSDT", side="Buy", orderType="Market",
              qty="75000")
    fills = [e for e in account.executions if e.order_id == o.order_id]
    # asks: 100000.01 x 0.5 (=50000.005), then 100000.02: remaining 24999.995 buys 0.249999
    assert [(e.price, e.qty) for e in fills] == [(D("100000.01"), D("0.5")),
                                                 (D("100000.02"), D("0.249999"))]
    assert o.status == "Filled" and o.market_unit == "quoteCoin"
    spent = sum(e.value for e in fills)
    assert account.wallet["USDT"] == TEST_FUNDS["USDT"] - spent
    fee = sum(e.fee for e in fills)
    assert fee == D("0.749999") * D("0.001") and {e.fee_coin for e in fills} == {"BTC"}
    assert account.wallet["BTC"] == 1 + D("0.749999") - fee
    d = o.to_dict()
    assert d["qty"] == "75000" and d["cumExecQty"] == "0.749999" and d["leavesQty"] == "0.000000"
    assert d["avgPrice"] == str((spent / D("0.749999")).normalize())


def test_spot_market_buy_in_base_coin_and_sell_fee_in_quote(account, market):
    o = order(account, market, category="spot", symbol="ETHUSDT", side="Buy", orderType="Market",
              qty="1", marketUnit="baseCoin")
    assert o.cum_qty == 1 and o.cum_value == D("3000.015") and account.wallet["ETH"] == D("10.999")
    s = order(account, market, category="spot", symbol="ETHUSDT", side="Sell", orderType="Market", qty="2")
    assert s.cum_value == D("0.5") * (D("2999.99") + D("2999.98") + D("2999.97") + D("2999.96"))
    assert s.fee_coin == "USDT" and s.cum_fee == s.cum_value * D("0.001")
    assert account.wallet["ETH"] == D("8.999")
    assert account.wallet["USDT"] == 100000 - D("3000.015") + s.cum_value - s.cum_fee


def test_spot_limit_crossing_fills_then_rests_and_locks(account, market):
    o = order(account, market, category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit",
              qty="0.8", price="100000.01")
    assert o.status == "PartiallyFilled" and o.cum_qty == D("0.5")   # one level within the limit
    assert all(not e.is_maker for e in account.executions)
    assert o.locked == D("0.3") * D("100000.01") and account.spot_locked("USDT") == o.locked
    market.prices["BTCUSDT"] = D("100000.01")
    account_sweep(account, market)
    assert o.status == "Filled" and account.executions[-1].is_maker
    assert account.executions[-1].price == D("100000.01") and account.spot_locked("USDT") == 0
    assert account.wallet["USDT"] == 100000 - D("0.8") * D("100000.01")


def account_sweep(account, market):
    from local_exchange.matching import sweep_account
    sweep_account(account, market, NOW + 1)


def test_resting_limit_fills_only_when_last_price_reaches_it(account, market):
    o = order(account, market, category="spot", symbol="BTCUSDT", side="Sell", orderType="Limit",
              qty="0.1", price="101000")
    assert o.status == "New" and account.spot_locked("BTC") == D("0.1")
    market.prices["BTCUSDT"] = D("100999.99")
    account_sweep(account, market)
    assert o.status == "New"
    market.prices["BTCUSDT"] = D("101000")
    account_sweep(account, market)
    assert o.status == "Filled" and o.avg_price == 101000
    assert account.wallet["USDT"] == 100000 + D("10100") * D("0.999")


def test_time_in_force_ioc_fok_postonly(account, market):
    ioc = order(account, market, category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit",
                qty="2", price="100000.2", timeInForce="IOC")
    assert ioc.status == "Cancelled" and ioc.cum_qty == 1             # 0.5 at .1 and .2
    fok = order(account, market, category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit",
                qty="2", price="100000.2", timeInForce="FOK")
    assert fok.status == "Cancelled" and fok.cum_qty == 0
    assert fok.reject_reason == "EC_NoImmediateQtyToFill"
    post = order(account, market, category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit",
                 qty="0.01", price="100000.1", timeInForce="PostOnly")
    assert post.status == "Cancelled" and post.reject_reason == "EC_PostOnlyWillTakeLiquidity"
    rest = order(account, market, category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit",
                 qty="0.01", price="99000", timeInForce="PostOnly")
    assert rest.status == "New" and rest.order_id in account.open_ids
    spot_ioc = order(account, market, category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit",
                     qty="0.6", price="100000.01", timeInForce="IOC")
    assert spot_ioc.status == "PartiallyFilledCanceled"


def test_spot_errors(account, market):
    base = dict(category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.01", price="90000")
    assert rejects(account, market, **{**base, "symbol": "NOPE"}) == 170121
    assert rejects(account, market, **{**base, "qty": "0.0000001"}) == 170137
    assert rejects(account, market, **{**base, "qty": "0.000002"}) == 170136
    assert rejects(account, market, **{**base, "price": "90000.001"}) == 170134
    assert rejects(account, market, **{**base, "qty": "0.00001", "price": "1"}) == 170140
    assert rejects(account, market, **{**base, "qty": "2"}) == 170131
    assert rejects(account, market, **{**base, "side": "Sell", "qty": "1.5"}) == 170131
    order(account, market, **{**base, "orderLinkId": "dup-1"})
    assert rejects(account, market, **{**base, "orderLinkId": "dup-1"}) == 170141


# ---------------------------------------------------------------------------------------------
# linear
# ---------------------------------------------------------------------------------------------
def test_linear_position_open_add_reduce_flip(account, market):
    def mkt(side, qty):
        return order(account, market, category="linear", symbol="ETHUSDT", side=side,
                     orderType="Market", qty=qty)

    mkt("Buy", "0.5")                         # 0.5 @ 3000.01
    mkt("Buy", "0.5")                         # 0.5 @ 3000.01 (book is static)
    pos = account.positions["ETHUSDT", 0]
    assert pos.size == 1 and pos.avg_price == D("3000.01")
    market.prices["ETHUSDT"] = D("3100")
    s = mkt("Sell", "0.4")                    # closes 0.4 @ 3099.99
    assert s.closed_pnl == (D("3099.99") - D("3000.01")) * D("0.4")
    assert pos.size == D("0.6") and pos.avg_price == D("3000.01")
    flip = mkt("Sell", "1.0")                 # 0.5 @ 3099.99, 0.5 @ 3099.98: closes 0.6, opens 0.4
    e1, e2 = account.executions[-2:]
    assert (e1.closed_size, e2.closed_size) == (D("0.5"), D("0.1"))
    assert pos.size == D("-0.4") and pos.avg_price == D("3099.98") and pos.side == "Sell"
    fees = sum(e.fee for e in account.executions)
    gross = s.closed_pnl + flip.closed_pnl
    assert pos.cum_realised == gross - fees
    assert account.wallet["USDT"] == 100000 + gross - fees
    market.prices["ETHUSDT"] = D("3000")
    assert pos.unrealised(D("3000")) == (D("3000") - D("3099.98")) * D("-0.4")
    row = pos.to_dict(market.instrument("linear", "ETHUSDT"), D("3000"), D("0.00055"))
    assert row["side"] == "Sell" and row["size"] == "0.400" and row["positionIdx"] == 0
    assert row["unrealisedPnl"] == "39.992" and row["positionIM"] == "123.9992"


def test_linear_errors(account, market):
    base = dict(category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.01", price="90000")
    assert rejects(account, market, **{**base, "symbol": "NOPE"}) == 10001
    assert rejects(account, market, **{**base, "qty": "0.0105"}) == 10001
    assert rejects(account, market, **{**base, "qty": "2000"}) == 10001
    assert rejects(account, market, **{**base, "price": "90000.05"}) == 10001
    assert rejects(account, market, **{**base, "qty": "0.001", "price": "1000"}) == 110094
    assert rejects(account, market, **{**base, "qty": "20"}) == 110007
    assert rejects(account, market, **{**base, "price": None}) == 10001
    assert rejects(account, market, **{**base, "side": "buy"}) == 10001
    assert rejects(account, market, **{**base, "orderType": "Stop"}) == 10001
    assert rejects(account, market, **{**base, "positionIdx": 1}) == 10001
    assert rejects(account, market, **{**base, "category": "inverse", "symbol": "BTCUSD"}) == 10001
    assert rejects(account, market, **{**base, "reduceOnly": True}) == 110017
    order(account, market, **{**base, "orderLinkId": "a"})
    assert rejects(account, market, **{**base, "orderLinkId": "a"}) == 110072
    with pytest.raises(BybitError) as info:
        order(account, market, **{**base, "category": "option", "symbol": "X"})
    assert "spot and linear" in info.value.message


def test_margin_counts_resting_orders(account, market):
    base = dict(category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit", price="90000")
    order(account, market, **base, qty="10")          # IM 90000 at 10x
    assert account.order_im(market) == D("90000")
    assert rejects(account, market, **base, qty="1.5") == 110007
    # a sell order that only offsets other buys still needs its own margin on the other side
    order(account, market, **{**base, "side": "Sell", "price": "110000"}, qty="0.5")
    assert account.order_im(market) == D("90000") + D("5500")


def test_reduce_only_is_trimmed_to_position(account, market):
    order(account, market, category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.3")
    r = order(account, market, category="linear", symbol="BTCUSDT", side="Sell", orderType="Market",
              qty="1", reduceOnly=True)
    assert r.qty == D("0.3") and r.status == "Filled" and account.positions["BTCUSDT", 0].size == 0


def test_cancel_amend_and_leverage(account, market):
    lin = dict(category="linear", symbol="BTCUSDT")
    o = order(account, market, **lin, side="Buy", orderType="Limit", qty="0.01", price="90000", orderLinkId="x1")
    amend_order(account, market, Params({**lin, "orderLinkId": "x1", "qty": "0.02", "price": "91000"}), NOW)
    assert (o.qty, o.price, o.status) == (D("0.02"), D("91000"), "New")
    assert code_of(amend_order, account, market, Params({**lin, "orderId": o.order_id, "qty": "0.02"}), NOW) == 10001
    amend_order(account, market, Params({**lin, "orderId": o.order_id, "price": "100000.1"}), NOW)
    assert o.status == "Filled" and o.avg_price == D("100000.1")      # amended across: taker fill
    assert code_of(cancel_order, account, market, Params({**lin, "orderId": o.order_id}), NOW) == 110001
    assert code_of(amend_order, account, market, Params({**lin, "orderId": "nope", "qty": "1"}), NOW) == 110001
    sp = order(account, market, category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit",
               qty="0.01", price="90000")
    cancel_order(account, market, Params({"category": "spot", "symbol": "BTCUSDT", "orderId": sp.order_id}), NOW)
    assert sp.status == "Cancelled" and sp.cancel_type == "CancelByUser" and account.spot_locked("USDT") == 0
    assert code_of(cancel_order, account, market,
                   Params({"category": "spot", "symbol": "BTCUSDT", "orderId": sp.order_id}), NOW) == 170213
    assert code_of(cancel_all, account, market, Params({"category": "linear"}), NOW) == 10001
    lev = dict(lin, buyLeverage="5", sellLeverage="5")
    set_leverage(account, market, Params(lev), NOW)
    assert account.positions["BTCUSDT", 0].leverage == 5
    assert code_of(set_leverage, account, market, Params(lev), NOW) == 110043
    assert code_of(set_leverage, account, market, Params(dict(lin, buyLeverage="101", sellLeverage="101")), NOW) == 10001
    assert code_of(set_leverage, account, market, Params(dict(lin, buyLeverage="0.5", sellLeverage="0.5")), NOW) == 10001


def test_listeners_get_websocket_shaped_events(account, market):
    seen = []
    account.listeners.append(lambda topic, data: seen.append((topic, data)))
    order(account, market, category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.6")
    assert [t for t, _ in seen] == ["order", "execution", "position", "wallet"]
    (o,), execs, (p,), (w,) = (d for _, d in seen)
    assert o["orderStatus"] == "Filled" and o["category"] == "linear" and o["positionIdx"] == 0
    assert len(execs) == 2 and execs[0]["execPrice"] == "100000.10" and execs[0]["isMaker"] is False
    assert p["size"] == "0.600" and p["side"] == "Buy" and p["entryPrice"] == p["avgPrice"]
    assert w["accountType"] == "UNIFIED" and any(c["coin"] == "USDT" for c in w["coin"])


# ---------------------------------------------------------------------------------------------
# money reconciles over a random session
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_random_session_reconciles(seed, market):
    rng = random.Random(seed)
    account = Accounts(market).add("r", "s")
    from local_exchange.matching import sweep_account
    placed = rejected = 0
    for step in range(150):
        sym = rng.choice(["BTCUSDT", "ETHUSDT"])
        tick = D("0.10") if sym == "BTCUSDT" else D("0.01")
        market.prices[sym] += tick * rng.randint(-40, 40)          # a moving price
        category = rng.choice(["spot", "linear"])
        inst = market.instrument(category, sym)
        side = rng.choice(["Buy", "Sell"])
        kind = rng.choice(["Market", "Limit"])
        q = inst.qty_step * rng.randint(1, 600 if sym == "BTCUSDT" else 4000) * (1000 if category == "spot" else 1)
        p = {"category": category, "symbol": sym, "side": side, "orderType": kind, "qty": str(q)}
        if kind == "Limit":
            p["price"] = str(market.prices[sym] + inst.tick_size * rng.randint(-30, 30))
            p["timeInForce"] = rng.choice(["GTC", "GTC", "IOC", "PostOnly"])
        elif category == "spot" and side == "Buy":
            p["marketUnit"] = rng.choice(["baseCoin", "quoteCoin"])
            if p["marketUnit"] == "quoteCoin":
                p["qty"] = str(rng.randint(10, 5000))
        if category == "linear" and rng.random() < 0.15:
            p["reduceOnly"] = True
        try:
            place_order(account, market, Params(p), NOW + step)
            placed += 1
        except BybitError as e:
            assert e.code in (170131, 110007, 110017, 170136, 170140, 110094), e
            rejected += 1
        if rng.random() < 0.1 and account.open_ids:
            oid = rng.choice(list(account.open_ids))
            o = account.orders[oid]
            cancel_order(account, market, Params({"category": o.category, "symbol": o.symbol, "orderId": oid}), NOW)
        sweep_account(account, market, NOW + step)
    assert placed > 50

    ex = account.executions
    spot = [e for e in ex if e.category == "spot"]
    lin = [e for e in ex if e.category == "linear"]
    usdt = (TEST_FUNDS["USDT"] - sum(e.fee for e in lin) - sum(e.fee for e in spot if e.fee_coin == "USDT")
            + sum(e.pnl for e in lin)
            - sum(e.value for e in spot if e.side == "Buy") + sum(e.value for e in spot if e.side == "Sell"))
    assert account.wallet["USDT"] == usdt
    for coin in ("BTC", "ETH"):
        mine = [e for e in spot if e.symbol == coin + "USDT"]
        expect = (TEST_FUNDS[coin] + sum(e.qty - e.fee for e in mine if e.side == "Buy")
                  - sum(e.qty for e in mine if e.side == "Sell"))
        assert account.wallet[coin] == expect

    # replay linear fills with exact fractions: size, average entry and realised PnL agree
    for sym in ("BTCUSDT", "ETHUSDT"):
        size, avg, pnl = Fraction(0), Fraction(0), Fraction(0)
        for e in (e for e in lin if e.symbol == sym):
            q, px = Fraction(e.qty), Fraction(e.price)
            d = q if e.side == "Buy" else -q
            if size == 0 or (size > 0) == (d > 0):
                avg = (abs(size) * avg + q * px) / abs(size + d)
            else:
                closed = min(abs(size), q)
                pnl += (px - avg) * closed * (1 if size > 0 else -1)
                if (size + d) * size < 0:
                    avg = px
                elif size + d == 0:
                    avg = Fraction(0)
            size += d
        pos = account.positions.get((sym, 0))
        assert (pos.size if pos else 0) == size
        if pos and pos.size:
            assert abs(Fraction(pos.avg_price) - avg) < Fraction(1, 10**9)   # stored to 10 decimals
        assert abs(Fraction(sum((e.pnl for e in lin if e.symbol == sym), D(0))) - pnl) < Fraction(1, 10**6)

    # orders and their executions agree; statuses are consistent
    by_order: dict = {}
    for e in ex:
        by_order.setdefault(e.order_id, []).append(e)
    for o in account.orders.values():
        fills = by_order.get(o.order_id, [])
        assert o.cum_qty == sum((e.qty for e in fills), D(0))
        assert o.cum_value == sum((e.value for e in fills), D(0))
        assert o.cum_fee == sum((e.fee for e in fills), D(0))
        d = o.to_dict(history=True)
        if o.status == "Filled":
            assert D(d["leavesQty"]) == 0 and o.cum_qty > 0
        if o.status == "New":
            assert o.cum_qty == 0 and o.order_id in account.open_ids
        if o.status in ("Cancelled", "Filled", "PartiallyFilledCanceled"):
            assert o.order_id not in account.open_ids
        if not o.quote_sized:
            assert o.cum_qty <= o.qty
    # locks equal what the resting spot orders may still spend
    assert account.spot_locked("USDT") == sum(
        ((o.qty - o.cum_qty) * o.price for o in account.open_orders() if o.category == "spot" and o.side == "Buy"), D(0))
