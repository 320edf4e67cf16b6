"""Money in equals money out, to the last decimal, over random sessions on the real market model.

Each session runs 17 hours of model time in 7-minute steps (so funding settles
twice) with spot and linear orders of every kind the exchange simulates:
market and limit orders, conditional orders, brackets with take-profit and
stop-loss, stop-losses, trailing stops and Partial stop-loss orders set on the
position, cancellations; in some sessions ETHUSDT
trades in hedge mode, a long and a short side by side, and in some the
account uses isolated margin. The exchange's sweep
runs at every step, as the server runs it: it fires triggers, fills resting
orders, settles funding and executes TP/SL. Then the books must balance.
"""
from __future__ import annotations

import random
from decimal import Decimal as D

import pytest

from local_exchange.accounts import TEST_FUNDS, Accounts
from local_exchange.catalog import _ms
from local_exchange.errors import BybitError
from local_exchange.isolated import set_margin_mode
from local_exchange.market import Market
from local_exchange.matching import cancel_order, place_order
from local_exchange.params import Params
from local_exchange.position_mode import HEDGE, switch
from local_exchange.records import ISOLATED_MARGIN
from local_exchange.tpsl import set_trading_stop

T0 = _ms("2026-01-05") + 3 * 3_600_000
STEP_MS = 7 * 60_000
STEPS = 150


def random_order(rng: random.Random, market: Market, t: int, hedged: tuple[str, ...] = ()) -> dict:
    symbol = rng.choice(["BTCUSDT", "ETHUSDT"])
    category = rng.choice(["linear", "linear", "spot"])
    inst = market.instrument(category, symbol)
    last = market.last_price(category, symbol, t)
    side = rng.choice(["Buy", "Sell"])
    qty = inst.qty_step * rng.randint(1, 40 if symbol == "BTCUSDT" else 400)
    if category == "spot":
        qty *= 10
    p: dict = {"category": category, "symbol": symbol, "side": side, "qty": str(qty), "orderType": "Market"}
    if category == "spot" and side == "Buy":
        p["marketUnit"] = "baseCoin"
    kind = rng.random()
    tick = inst.tick_size
    away = (last * D(rng.choice(["0.001", "0.003", "0.01"])) / tick).quantize(D(1)) * tick
    if kind < 0.3:
        p["orderType"] = "Limit"
        p["price"] = str(last - away if side == "Buy" else last + away)
    elif kind < 0.5 and category == "linear":                 # a conditional order
        up = rng.random() < 0.5
        p["triggerPrice"] = str(last + away if up else last - away)
        p["triggerDirection"] = 1 if up else 2
    elif kind < 0.7 and category == "linear":                 # a bracket
        p["takeProfit"] = str(last + away if side == "Buy" else last - away)
        p["stopLoss"] = str(last - away if side == "Buy" else last + away)
    if category == "linear" and symbol in hedged:
        p["positionIdx"] = rng.choice([1, 2])              # a Sell on 1 or a Buy on 2 closes that side
    if category == "linear" and rng.random() < 0.1:
        p["reduceOnly"] = True
        p.pop("takeProfit", None)
        p.pop("stopLoss", None)
    return p


@pytest.mark.parametrize("seed, hedge, isolated", [(0, False, False), (1, False, False), (2, False, False),
                                                    (3, True, False), (4, True, True), (5, False, True)])
def test_a_random_session_balances_to_the_last_decimal(seed, hedge, isolated):
    rng = random.Random(seed)
    market = Market(7, now_ms=T0)
    accounts = Accounts(market)
    account = accounts.add("r", "s")
    account.created = account.funded_until = T0
    hedged = ("ETHUSDT",) if hedge else ()
    if hedge:
        switch(account, market, "linear", "ETHUSDT", None, HEDGE)
    if isolated:
        set_margin_mode(account, ISOLATED_MARGIN)
    placed = 0
    for step in range(STEPS):
        t = T0 + step * STEP_MS
        try:
            place_order(account, market, Params(random_order(rng, market, t, hedged)), t)
            placed += 1
        except BybitError:
            pass
        pos = account.positions.get(("ETHUSDT", rng.choice([1, 2]) if hedge else 0))
        if pos is not None and pos.size and rng.random() < 0.2:
            last = market.last_price("linear", "ETHUSDT", t)
            stop = (last * D("0.99") if pos.size > 0 else last * D("1.01")).quantize(D("0.01"))
            protect = rng.choice([{"tpslMode": "Full", "stopLoss": str(stop)},          # a stop-loss
                                  {"tpslMode": "Full", "trailingStop": str((last / 200).quantize(D("0.01")))},
                                  {"tpslMode": "Partial", "stopLoss": str(stop),        # a stop for part of it
                                   "slSize": str(max(abs(pos.size) // 2, D("0.01")))}])
            try:
                set_trading_stop(account, market, Params({"category": "linear", "symbol": "ETHUSDT",
                                                          "positionIdx": pos.idx, **protect}), t)
            except BybitError:
                pass
        if account.open_ids and rng.random() < 0.1:
            order = account.orders[rng.choice(list(account.open_ids))]
            cancel_order(account, market, Params({"category": order.category, "symbol": order.symbol,
                                                  "orderId": order.order_id}), t)
        accounts.sweep(market, t + STEP_MS // 2)

    kinds = {e.type for e in account.ledger}
    assert placed > 60 and {"TRADE", "SETTLEMENT"} <= kinds
    assert any(o.stop_order_type == "Stop" and o.status not in ("Untriggered", "Deactivated")
               for o in account.orders.values())                                    # some triggers fired
    assert not any(o.status == "Triggered" for o in account.orders.values())        # never left half-way
    kinds_fired = {o.stop_order_type for o in account.orders.values() if o.cum_qty}
    assert {"TakeProfit", "StopLoss", "TrailingStop"} <= kinds_fired                # TP/SL/TS executed
    if hedge:       # both sides traded, and each position stayed on its own side
        assert {1, 2} <= {account.orders[e.order_id].position_idx for e in account.executions}
        assert all(p.size >= 0 if p.idx == 1 else p.size <= 0 for p in account.positions.values() if p.idx)

    # every coin: the log adds up to the wallet, entry by entry
    for coin, balance in account.wallet.items():
        entries = [e for e in account.ledger if e.currency == coin]
        assert sum(e.change for e in entries) == balance, coin
        assert entries[-1].cash_balance == balance, coin

    # USDT from the fills and the funding alone
    fills = account.executions
    linear = [e for e in fills if e.category == "linear"]
    spot = [e for e in fills if e.category == "spot"]
    funding = sum((e.funding for e in account.ledger if e.type == "SETTLEMENT"), D(0))
    usdt = (TEST_FUNDS["USDT"] + sum(e.pnl for e in linear) - sum(e.fee for e in linear)
            - sum(e.fee for e in spot if e.fee_coin == "USDT") + funding
            - sum(e.value for e in spot if e.side == "Buy") + sum(e.value for e in spot if e.side == "Sell"))
    assert account.wallet["USDT"] == usdt

    # closed PnL: every linear fee is in a record or still carried by an open position
    carried = sum((p.entry_fees for p in account.positions.values()), D(0))
    assert sum(r.closed_pnl for r in account.closed_pnl) == sum(e.pnl for e in linear) - sum(e.fee for e in linear) + carried

    if isolated:    # every position set its own margin aside: the initial margin of what is still open
        held = [p for p in account.positions.values() if p.size]
        assert held and all(p.isolated and abs(p.margin - p.value / p.leverage) < D("1e-6") for p in held)

    # waiting conditional orders hold no margin
    waiting = [o for o in account.open_orders() if o.status == "Untriggered"]
    resting = [o for o in account.open_orders() if o.status != "Untriggered" and o.category == "linear"]
    if waiting and not resting:
        assert account.order_im(market) == 0
