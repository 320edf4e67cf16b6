"""How orders trade on the local exchange: matching, fills, cancels (a request is checked in :mod:`.orders`).

The local exchange has no other traders. Instead an order meets the *simulated*
order book of :class:`~local_exchange.market.Market`:

* a **Market** order takes liquidity at once, level after level of the book
  (one execution per level, so a big order shows several fills and an average
  price); what the book cannot fill is cancelled (Market orders are IOC);
* a **Limit** order whose price crosses the book fills at once, as a *taker*,
  at book prices no worse than its limit; the rest (GTC) *rests* with status
  ``New``/``PartiallyFilled``;
* a resting order fills later, as a *maker* at its own price, when the live
  last price reaches it (Buy: last <= price; Sell: last >= price). The server
  calls :func:`sweep_account` every 100 ms for that.

``timeInForce``: ``GTC`` rests; ``IOC`` cancels what did not fill at once;
``FOK`` fills completely at once or not at all; ``PostOnly`` never takes: a
PostOnly order that would cross is accepted (you get an ``orderId``) and then
cancelled with ``rejectReason="EC_PostOnlyWillTakeLiquidity"`` — as Bybit does.

Spot: a fill moves the coins of the pair. The fee is charged in the coin you
*receive* (a Buy pays its fee in the base coin, a Sell in the quote coin), as on
Bybit spot. Resting spot orders lock what they may spend (``locked`` in the
wallet). A spot **Market Buy** ``qty`` is an amount of the *quote* coin
(``qty="100"`` buys BTC for 100 USDT) unless ``marketUnit="baseCoin"``.

Linear (USDT perpetuals): a fill changes the position its ``positionIdx`` names
(average entry price, realised PnL when it shrinks, closes or flips; a hedge-mode
side never flips, see :mod:`local_exchange.position_mode`) and pays the fee from
the USDT wallet balance. An order is refused with 110007 when USDT available balance
(equity − position IM − order IM − spot locks) cannot cover its margin + fee.

Only ``spot`` and ``linear`` trade here; ``inverse`` and ``option`` orders get
10001 with a message saying so.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from bybit_spec.errors import LEVERAGE_OVER_RISK_LIMIT, RISK_LIMIT_EXCEEDED, TPSL_PARTLY_FILLED

from . import closed_pnl, ledger
from .errors import (
    INSUFFICIENT_AVAILABLE,
    INSUFFICIENT_FOR_LEVERAGE,
    LEVERAGE_NOT_MODIFIED,
    ORDER_NOT_EXISTS,
    QTY_TRUNCATED,
    SPOT_BALANCE_INSUFFICIENT,
    SPOT_ORDER_NOT_EXISTS,
    BybitError,
    param_error,
)
from .ids import new_exec_id, next_seq
from .numbers import ONE, ZERO, fmt, fmt_dp
from .orders import (
    check_notional,
    check_order_grid,
    check_price,
    check_qty,
    instrument_of,
    is_multiple,
    new_order,
    not_traded,
    read_order_request,
    trading_category,
)
from .params import Params
from .position_mode import indexes
from .records import ISOLATED_MARGIN, PARTIAL_TPSL, UNTRIGGERED, Execution, Order, Position
from .risk_limits import max_value_at, tier_for
from .triggers import (
    FALL,
    RISE,
    TRIGGER_BYS,
    check_room,
    check_side,
    check_tpsl_side,
    current_price,
    is_due,
    kind_filter,
)
from .unsupported import unsupported

if TYPE_CHECKING:  # the account is only annotated here: accounts imports matching (Accounts.sweep)
    from .accounts import Account
    from .market import Instrument, Market

AVG_PLACES = Decimal("1e-10")           # precision of a position's average entry price
BOOK_DEPTH = 200                         # levels a taker order may walk

MISSING_SCOPE = "Missing some parameters that must be filled in, symbol or settleCoin or baseCoin"


# --------------------------------------------------------------------------------------------
# Marking an account as changed
# --------------------------------------------------------------------------------------------
Op = TypeVar("Op", bound=Callable[..., object])


def changes_account(op: Op) -> Op:
    """Bump the account's :attr:`~local_exchange.accounts.Account.version` before and after ``op``.

    Every operation below that may change an account (its first argument) wears
    this decorator, so views cached by version (``wallet_balance_json``) never
    outlive a change: the bump before means a listener asking for the wallet
    while the operation publishes is not served the answer from before it; the
    bump after (in ``finally``) means nothing cached while it ran, nor a change
    cut short by an error, outlives the operation.
    """
    @functools.wraps(op)
    def run(account: Account, *args, **kwargs):
        account.touch()
        try:
            return op(account, *args, **kwargs)
        finally:
            account.touch()

    return run  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Collecting what changed, to notify listeners once per request
# --------------------------------------------------------------------------------------------
@dataclass
class Changes:
    """Orders, fills and positions touched by one request or sweep."""

    orders: dict[str, Order] = field(default_factory=dict)
    executions: list[Execution] = field(default_factory=list)
    positions: dict[tuple[str, int], Position] = field(default_factory=dict)    # by Position.key
    wallet: bool = False

    def publish(self, account: Account, market: Market, now_ms: int) -> None:
        """Call the account's listeners: order, execution, position, wallet (in that order)."""
        if not account.listeners:
            return
        if self.orders:
            account.emit("order", [o.to_event() for o in self.orders.values()])
        if self.executions:
            account.emit("execution", [e.to_event() for e in self.executions])
        if self.positions:
            items = []
            for pos in self.positions.values():
                inst = market.instrument("linear", pos.symbol)
                if inst is not None:
                    mark = market.mark_price("linear", pos.symbol, now_ms)
                    liq = account.liq_price(market, pos, now_ms)
                    items.append(pos.to_event(inst, mark, account.fees["linear"].taker, liq))
            account.emit("position", items)
        if self.wallet:
            account.emit("wallet", [account.wallet_balance(market, now_ms)])


log = logging.getLogger(__name__)

LIQUIDATION_ORDER = "CreateByLiq"      # createType of the orders a liquidation places (liquidation.py)


def _insufficient(category: str) -> BybitError:
    if category == "spot":
        return BybitError(SPOT_BALANCE_INSUFFICIENT, "Balance insufficient")
    return BybitError(INSUFFICIENT_AVAILABLE, "ab not enough for new order")


def _levels(market: Market, order: Order, now_ms: int) -> list[tuple[Decimal, Decimal]]:
    """The book side an order takes from, best first, cut at the order's limit price."""
    book = market.book(order.category, order.symbol, now_ms, BOOK_DEPTH)
    levels = book.asks if order.side == "Buy" else book.bids
    if order.order_type == "Limit":
        if order.side == "Buy":
            levels = [lv for lv in levels if lv[0] <= order.price]
        else:
            levels = [lv for lv in levels if lv[0] >= order.price]
    return [(Decimal(p), Decimal(s)) for p, s in levels]


def _plan(order: Order, levels: list[tuple[Decimal, Decimal]], cap: Decimal | None = None
          ) -> list[tuple[Decimal, Decimal]]:
    """The fills (price, base qty) a taker order would get from these levels.

    ``cap`` limits the base quantity (reduce-only orders). Quote-sized orders spend
    ``qty`` of the quote coin, each fill rounded down to ``qtyStep``.
    """
    fills: list[tuple[Decimal, Decimal]] = []
    if order.quote_sized:
        budget = order.qty - order.cum_value
        for price, size in levels:
            q = min(size, (budget / price).quantize(order.qty_step, rounding=ROUND_DOWN))
            q = (q // order.qty_step) * order.qty_step
            if q <= 0:
                break
            fills.append((price, q))
            budget -= q * price
        return fills
    remaining = order.qty - order.cum_qty
    if cap is not None:
        remaining = min(remaining, cap)
    for price, size in levels:
        if remaining <= 0:
            break
        q = min(size, remaining)
        fills.append((price, q))
        remaining -= q
    return fills


def _reduce_cap(account: Account, order: Order) -> Decimal | None:
    """For a reduce-only linear order: the most it may fill (the opposite position size)."""
    if not order.reduce_only or order.category != "linear":
        return None
    pos = account.positions.get((order.symbol, order.position_idx))
    size = pos.size if pos else ZERO
    if order.side == "Buy":
        return max(-size, ZERO)
    return max(size, ZERO)


# --------------------------------------------------------------------------------------------
# Fills
# --------------------------------------------------------------------------------------------
def _fill(account: Account, market: Market, order: Order, price: Decimal, qty: Decimal,
          is_maker: bool, now_ms: int, changes: Changes) -> Execution:
    """Book one execution: update order, wallet, position; remember the fill."""
    inst = market.instrument(order.category, order.symbol)
    assert inst is not None, "orders are accepted only on listed instruments"
    rates = account.fees[order.category]
    rate = rates.maker if is_maker else rates.taker
    value = qty * price
    pnl = closed = ZERO
    if order.category == "spot":
        base, quote = inst.base_coin, inst.quote_coin
        w = account.wallet
        if order.side == "Buy":
            fee, fee_coin = qty * rate, base
            w[quote] = w.get(quote, ZERO) - value
            w[base] = w.get(base, ZERO) + qty - fee
        else:
            fee, fee_coin = value * rate, quote
            w[base] = w.get(base, ZERO) - qty
            w[quote] = w.get(quote, ZERO) + value - fee
        mark = market.last_price("spot", order.symbol, now_ms)
    else:
        fee, fee_coin = value * rate, inst.settle_coin
        pos = account.position(order.symbol, now_ms, order.position_idx)
        if pos.size == 0:                   # a new holding takes the account's margin mode
            pos.isolated, pos.margin = account.margin_mode == ISOLATED_MARGIN, ZERO
        size_before, entry_before = pos.size, pos.avg_price
        pnl, closed = _apply_to_position(pos, order.side, qty, price, fee, now_ms)
        pos.retier(inst)
        if size_before and not pos.size:
            _clear_partial_tpsl(account, pos, order, now_ms, changes)
        open_fee, close_fee = closed_pnl.split_fee(pos, size_before, closed, qty, fee)
        if (order.take_profit or order.stop_loss) and order.tpsl_mode != "Partial" and pos.size \
                and (pos.size > 0) == (order.side == "Buy"):
            pos.take_profit, pos.stop_loss = order.take_profit, order.stop_loss       # attached TP/SL
            pos.tp_trigger_by = order.tp_trigger_by or "LastPrice"
            pos.sl_trigger_by = order.sl_trigger_by or "LastPrice"
        if closed:
            closed_pnl.record(account, order, pos, entry_before, price, closed, open_fee, close_fee, next_seq(), now_ms)
        account.wallet[fee_coin] = account.wallet.get(fee_coin, ZERO) + pnl - fee
        order.closed_pnl += pnl
        changes.positions[pos.key] = pos
        mark = market.mark_price("linear", order.symbol, now_ms)
    order.cum_qty += qty
    order.cum_value += value
    order.cum_fee += fee
    order.fee_coin = fee_coin
    order.updated = now_ms
    leaves = ZERO if order.quote_sized else order.qty - order.cum_qty
    execution = Execution(
        exec_id=new_exec_id(order.category), category=order.category, symbol=order.symbol,
        order_id=order.order_id, order_link_id=order.order_link_id, side=order.side,
        order_type=order.order_type, order_price=order.price, order_qty=order.qty,
        leaves_qty=leaves, price=price, qty=qty, value=value, fee=fee, fee_coin=fee_coin,
        fee_rate=rate, is_maker=is_maker, time=now_ms, mark_price=mark, closed_size=closed,
        pnl=pnl, tick_size=order.tick_size, qty_step=order.qty_step,
        market_unit=order.market_unit, seq=next_seq())
    account.executions.append(execution)
    taker_side = order.side if not is_maker else ("Sell" if order.side == "Buy" else "Buy")
    market.record_trade(order.category, order.symbol, taker_side, price, qty, execution.exec_id, execution.seq,
                        now_ms)                         # a public trade, for everyone (book_effects.py)
    if order.category == "spot":
        ledger.record_trade(account, execution, inst.base_coin, inst.quote_coin, ZERO)
    else:
        ledger.record_trade(account, execution, inst.base_coin, inst.settle_coin, pos.size,
                            "LIQUIDATION" if order.create_type == LIQUIDATION_ORDER else "TRADE")
    changes.executions.append(execution)
    changes.orders[order.order_id] = order
    changes.wallet = True
    return execution


def _apply_to_position(pos: Position, side: str, qty: Decimal, price: Decimal, fee: Decimal,
                       now_ms: int) -> tuple[Decimal, Decimal]:
    """Move a position by one fill; returns (gross realised PnL, closed size).

    Same direction (or from flat): the average entry price becomes the
    size-weighted mean. Opposite direction: the overlap is closed at ``price``
    against the average entry (PnL = (price − avg) × closed, sign by side);
    anything beyond the old size opens a new position at ``price`` (a flip).
    An isolated position's margin grows by the initial margin of what opens
    and shrinks in proportion to what closes.
    """
    delta = qty if side == "Buy" else -qty
    old = pos.size
    pnl = closed = ZERO
    if old == 0 or (old > 0) == (delta > 0):
        if old == 0:
            pos.open_time = now_ms
            pos.cur_realised = ZERO
        new_size = old + delta
        # stored to 10 decimals so that later PnL (price − avg) × qty stays exact
        pos.avg_price = ((abs(old) * pos.avg_price + qty * price) / abs(new_size)).quantize(AVG_PLACES)
        pos.size = new_size
        pos.cur_realised -= fee
        if pos.isolated:
            pos.margin += qty * price / pos.leverage
    else:
        closed = min(abs(old), qty)
        direction = ONE if old > 0 else -ONE
        pnl = (price - pos.avg_price) * closed * direction
        new_size = old + delta
        if pos.isolated:
            pos.margin -= pos.margin * closed / abs(old)
        if new_size == 0:
            pos.avg_price = ZERO
            pos.margin = ZERO
            pos.clear_tpsl()                             # Bybit clears TP/SL with the position
            pos.cur_realised += pnl - fee
        elif (new_size > 0) != (old > 0):          # flipped: the remainder opens at this price
            pos.avg_price = price
            if pos.isolated:
                pos.margin = abs(new_size) * price / pos.leverage
            pos.clear_tpsl()
            pos.open_time = now_ms
            pos.cur_realised = pnl - fee
        else:
            pos.cur_realised += pnl - fee
        pos.size = new_size
    pos.cum_realised += pnl - fee
    pos.updated = now_ms
    pos.seq = next_seq()
    return pnl, closed


def partial_tpsl_leg(long: bool, symbol: str, idx: int, kind: str, price: Decimal, by: str, order_type: str,
                     limit_price: Decimal, qty: Decimal) -> dict[str, Any]:
    """The order request of one Partial-mode TP/SL (``kind`` ``TakeProfit`` or ``StopLoss``) of a position.

    A reduce-only conditional order on the position's closing side, rising to a
    long's take-profit (falling to its stop-loss; a short's the other way).
    """
    leg: dict[str, Any] = {"category": "linear", "symbol": symbol, "side": "Sell" if long else "Buy",
                           "orderType": order_type, "qty": fmt(qty), "triggerPrice": fmt(price),
                           "triggerDirection": RISE if (kind == "TakeProfit") == long else FALL, "triggerBy": by,
                           "reduceOnly": True, "positionIdx": idx}
    if order_type == "Limit":
        leg["price"] = fmt(limit_price)
    return leg


def arm_partial_tpsl(account: Account, market: Market, orders: Iterable[Order], now_ms: int) -> None:
    """For each finished order with Partial TP/SL attached: its TP/SL orders, for what it filled.

    Placed once the order is done (filled, or cancelled after filling some), so
    one order makes one take-profit and one stop-loss, whatever its fills. One
    whose trigger the price has already passed is not placed: a warning says so.
    """
    for order in list(orders):
        if order.tpsl_mode != "Partial" or order.tpsl_armed or order.is_open or not order.cum_qty:
            continue
        order.tpsl_armed = True
        for kind, price, by, order_type, limit in (
                ("TakeProfit", order.take_profit, order.tp_trigger_by, order.tp_order_type, order.tp_limit_price),
                ("StopLoss", order.stop_loss, order.sl_trigger_by, order.sl_order_type, order.sl_limit_price)):
            if not price:
                continue
            leg = partial_tpsl_leg(order.side == "Buy", order.symbol, order.position_idx, kind, price,
                                   by or "LastPrice", order_type, limit, order.cum_qty)
            try:
                place_order(account, market, Params(leg), now_ms, create_type=f"CreateByPartial{kind}",
                            stop_order_type=f"Partial{kind}")
            except BybitError as error:
                log.warning("the Partial %s of order %s was not placed: %s", kind, order.order_id, error)


def _clear_partial_tpsl(account: Account, pos: Position, closing: Order, now_ms: int, changes: Changes) -> None:
    """A position closed: its waiting Partial-mode TP/SL orders go with it (``CancelByTpSlTsClear``)."""
    for order in account.open_orders():
        if (order is not closing and order.category == "linear" and order.stop_order_type in PARTIAL_TPSL
                and (order.symbol, order.position_idx) == pos.key):
            _finish(account, order, _cancelled_status(order), now_ms, changes, cancel_type="CancelByTpSlTsClear")


def _push_position(account: Account, order: Order, now_ms: int, changes: Changes) -> None:
    """Add the position a linear order acts on to ``changes`` (Bybit pushes it with every order event)."""
    pos = account.position(order.symbol, now_ms, order.position_idx)
    changes.positions[pos.key] = pos


def _finish(account: Account, order: Order, status: str, now_ms: int, changes: Changes,
            reject_reason: str | None = None, cancel_type: str | None = None) -> None:
    """Close an order: final status, locks released, no longer resting."""
    order.status = status
    if reject_reason:
        order.reject_reason = reject_reason
    if cancel_type:
        order.cancel_type = cancel_type
    order.locked = ZERO
    order.lock_coin = ""
    order.updated = now_ms
    account.open_ids.pop(order.order_id, None)
    changes.orders[order.order_id] = order
    changes.wallet = True


def _cancelled_status(order: Order) -> str:
    """Spot alone has ``PartiallyFilledCanceled``; derivatives say ``Cancelled``; untriggered ``Deactivated``."""
    if order.status == "Untriggered":
        return "Deactivated"
    if order.cum_qty > 0 and order.category == "spot":
        return "PartiallyFilledCanceled"
    return "Cancelled"


def _rest(account: Account, order: Order, inst: Instrument, changes: Changes) -> None:
    """Leave an order on the book; spot orders lock what they may spend."""
    order.status = "PartiallyFilled" if order.cum_qty > 0 else "New"
    account.open_ids[order.order_id] = None
    _relock(order, inst)
    changes.orders[order.order_id] = order
    changes.wallet = changes.wallet or order.category == "spot"      # spot locks changed


def _relock(order: Order, inst: Instrument) -> None:
    if order.category != "spot":
        return
    leaves = order.qty - order.cum_qty
    if order.side == "Buy":
        order.lock_coin, order.locked = inst.quote_coin, leaves * order.price
    else:
        order.lock_coin, order.locked = inst.base_coin, leaves


def _take_then_rest(account: Account, market: Market, order: Order, inst: Instrument,
                    now_ms: int, changes: Changes) -> None:
    """Match an order against the book now; then rest it, or finish it."""
    levels = _levels(market, order, now_ms)
    if order.time_in_force == "PostOnly":
        if levels:
            _finish(account, order, "Cancelled", now_ms, changes,
                    reject_reason="EC_PostOnlyWillTakeLiquidity")
        else:
            _rest(account, order, inst, changes)
        return
    cap = _reduce_cap(account, order)
    plan = _plan(order, levels, cap)
    if order.time_in_force == "FOK":
        planned = sum((q for _, q in plan), ZERO)
        if planned < order.qty - order.cum_qty:
            _finish(account, order, "Cancelled", now_ms, changes,
                    reject_reason="EC_NoImmediateQtyToFill")
            return
    for price, q in plan:
        _fill(account, market, order, price, q, False, now_ms, changes)
    if plan:
        market.take_liquidity(order.category, order.symbol, order.side, plan, now_ms)   # gone for a while
    done = (order.quote_sized and bool(plan)) or (not order.quote_sized and order.cum_qty >= order.qty)
    if done:
        _finish(account, order, "Filled", now_ms, changes)
    elif order.order_type == "Market" or order.time_in_force == "IOC":
        reason = None if order.cum_qty else "EC_NoImmediateQtyToFill"
        _finish(account, order, _cancelled_status(order), now_ms, changes, reject_reason=reason)
    else:
        _rest(account, order, inst, changes)


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


@changes_account
def place_order(account: Account, market: Market, p: Params, now_ms: int, create_type: str = "",
                stop_order_type: str = "") -> Order:
    """``POST /v5/order/create``, in four steps. Returns the order (maybe finished).

    The exchange places orders of its own through here too (a take-profit, a
    liquidation): ``create_type`` and ``stop_order_type`` say so on the order
    from its first event on.

    Steps 1 to 3 are in :mod:`local_exchange.orders`:

    1. :func:`read_order_request`: the parameters, each checked (10001 and friends);
    2. :func:`check_order_grid`: size and price on the instrument's grid, notional
       above the minimum (170134, 170137, 110094, ...);
    3. :func:`new_order` and :func:`_fit_reduce_only`, then :func:`_check_funds`:
       the order, trimmed to the position if reduce-only, and paid for;
    4. :func:`_book_and_match`: remembered, matched against the book, the rest
       rests; the changes are published once.

    A refusal at any step raises :class:`BybitError` before the account changes.
    """
    request = read_order_request(account, market, p, now_ms)
    check_order_grid(request)
    order = new_order(request, now_ms)
    order.create_type = create_type or order.create_type
    order.stop_order_type = stop_order_type or order.stop_order_type
    if request.trigger is not None:              # a conditional order waits for its trigger
        _arm(account, market, order, request.inst, now_ms)
        return order
    _fit_reduce_only(account, order)
    _check_funds(account, market, order, request.inst, now_ms)
    _check_risk_limit(account, market, order, request.inst, now_ms)
    _book_and_match(account, market, order, request.inst, now_ms)
    return order


def _check_risk_limit(account: Account, market: Market, order: Order, inst: Instrument, now_ms: int) -> None:
    """110090 when the filled order would take the position beyond what its leverage allows (risk_limits.py)."""
    if order.category != "linear" or order.reduce_only:
        return
    pos = account.position(order.symbol, now_ms, order.position_idx)
    delta = order.qty if order.side == "Buy" else -order.qty
    price = order.price if order.order_type == "Limit" else market.last_price("linear", order.symbol, now_ms)
    value = abs(pos.size + delta) * price
    if value > max_value_at(inst, pos.leverage):
        needed = tier_for(inst, value).max_leverage
        raise BybitError(RISK_LIMIT_EXCEEDED, "Order placement failed as your position may exceed the max limit. "
                                              f"Please adjust your leverage to {fmt(needed)} or below to increase "
                                              "the max. position limit")


def _fit_reduce_only(account: Account, order: Order) -> None:
    """A reduce-only order is refused with no position (110017) and trimmed to the position (as Bybit does)."""
    if not order.reduce_only:
        return
    cap = _reduce_cap(account, order)
    if not cap:
        raise BybitError(QTY_TRUNCATED, "current position is zero, cannot fix reduce-only order qty")
    if order.qty > cap:
        order.qty = cap


def _book_and_match(account: Account, market: Market, order: Order, inst: Instrument, now_ms: int) -> None:
    """Step 4 of :func:`place_order`: remember the order, take liquidity, rest the rest, publish the changes."""
    account.orders[order.order_id] = order
    if order.order_link_id:
        account.link_ids[order.order_link_id] = order.order_id
    changes = Changes()
    changes.orders[order.order_id] = order
    _take_then_rest(account, market, order, inst, now_ms, changes)
    if order.category == "linear":               # Bybit pushes the position on every order event
        _push_position(account, order, now_ms, changes)
    changes.publish(account, market, now_ms)
    arm_partial_tpsl(account, market, changes.orders.values(), now_ms)


def _check_funds(account: Account, market: Market, order: Order, inst: Instrument,
                 now_ms: int) -> None:
    """Refuse an order the wallet cannot pay for (spot 170131, linear 110007)."""
    if order.category == "spot":
        if order.side == "Buy":
            coin = inst.quote_coin
            if order.order_type == "Limit":
                need = order.qty * order.price
            elif order.quote_sized:
                need = order.qty
            else:
                need = sum((p * q for p, q in _plan(order, _levels(market, order, now_ms))), ZERO)
        else:
            coin = inst.base_coin
            if order.quote_sized:
                need = sum((q for _, q in _plan(order, _levels(market, order, now_ms))), ZERO)
            else:
                need = order.qty
        if need > account.available(coin, market, now_ms):
            raise _insufficient("spot")
        return
    if order.reduce_only:
        return
    taker = account.fees["linear"].taker
    if order.order_type == "Limit":
        need = account.order_im(market, extra=order) - account.order_im(market)
        need += order.qty * order.price * taker
    else:
        plan = _plan(order, _levels(market, order, now_ms))
        filled = sum((q for _, q in plan), ZERO)
        value = sum((p * q for p, q in plan), ZERO)
        est = value / filled if filled else market.last_price("linear", order.symbol, now_ms)
        pos = account.positions.get((order.symbol, order.position_idx))
        size = pos.size if pos else ZERO
        opposite = max(-size, ZERO) if order.side == "Buy" else max(size, ZERO)
        opening = max(order.qty - opposite, ZERO)
        lev = pos.leverage if pos else Decimal(10)
        need = opening * est / lev + order.qty * est * taker
    if need > account.available("USDT", market, now_ms):
        raise _insufficient("linear")


def _find_open(account: Account, p: Params, category: str, symbol: str, action: str) -> Order:
    """The open order a cancel/amend names; 110001 / 170213 when unknown or finished."""
    order_id = p.str("orderId")
    link_id = p.str("orderLinkId")
    if not order_id and not link_id:
        raise param_error("Missing some parameters that must be filled in, orderId or orderLinkId")
    order = account.find_order(order_id, link_id)
    if order is None or not order.is_open or order.category != category or order.symbol != symbol:
        if category == "spot":
            raise BybitError(SPOT_ORDER_NOT_EXISTS, "Order does not exist.")
        raise BybitError(ORDER_NOT_EXISTS, f"order not exists or too late to {action}")
    return order


@changes_account
def cancel_order(account: Account, market: Market, p: Params, now_ms: int) -> Order:
    """``POST /v5/order/cancel``."""
    category = trading_category(p)
    inst = instrument_of(market, category, p)
    order = _find_open(account, p, category, inst.symbol, "cancel")
    changes = Changes()
    _finish(account, order, _cancelled_status(order), now_ms, changes, cancel_type="CancelByUser")
    if category == "linear":
        _push_position(account, order, now_ms, changes)
    changes.publish(account, market, now_ms)
    arm_partial_tpsl(account, market, [order], now_ms)      # for what it filled before the cancel
    return order


@changes_account
def cancel_all(account: Account, market: Market, p: Params, now_ms: int) -> list[Order]:
    """``POST /v5/order/cancel-all``: every open order of the category matching the filter.

    Linear needs one of ``symbol`` > ``baseCoin`` > ``settleCoin`` (in that priority).
    ``orderFilter`` picks the kind (:func:`~.triggers.kind_filter`): spot cancels only
    normal orders unless told otherwise, linear every kind.
    """
    category = trading_category(p)
    matches = scope_filter(market, category, p, require=(category == "linear"))
    of_kind = kind_filter(p, "Order" if category == "spot" else None)
    changes = Changes()
    done = []
    for order in account.open_orders():
        if order.category == category and matches(order.symbol) and of_kind(order):
            _finish(account, order, _cancelled_status(order), now_ms, changes,
                    cancel_type="CancelAll" if category == "linear" else "CancelByUser")
            done.append(order)
            if category == "linear":
                _push_position(account, order, now_ms, changes)
    changes.publish(account, market, now_ms)
    arm_partial_tpsl(account, market, done, now_ms)
    return done


@changes_account
def cancel_linear(account: Account, market: Market, now_ms: int, cancel_type: str) -> list[Order]:
    """Cancel every open linear order (the exchange's own cancel, e.g. before a liquidation)."""
    changes = Changes()
    done = []
    for order in account.open_orders():
        if order.category == "linear":
            _finish(account, order, _cancelled_status(order), now_ms, changes, cancel_type=cancel_type)
            _push_position(account, order, now_ms, changes)
            done.append(order)
    changes.publish(account, market, now_ms)
    return done


def scope_filter(market: Market, category: str, p: Params, require: bool):
    """A predicate on symbols from ``symbol`` / ``baseCoin`` / ``settleCoin`` (first one given wins)."""
    symbol = p.str("symbol")
    base = p.str("baseCoin")
    settle = p.str("settleCoin")
    if symbol:
        return lambda s: s == symbol
    if base:
        return lambda s: getattr(market.instrument(category, s), "base_coin", None) == base
    if settle:
        return lambda s: getattr(market.instrument(category, s), "settle_coin", None) == settle
    if require:
        raise param_error(MISSING_SCOPE)
    return lambda s: True


@changes_account
def amend_order(account: Account, market: Market, p: Params, now_ms: int) -> Order:
    """``POST /v5/order/amend``: new ``qty``, ``price`` and/or TP/SL (``takeProfit``, ``stopLoss``) for an open order.

    The new qty must exceed what already filled. A new price that crosses the
    book fills at once, as a taker (a PostOnly order is cancelled instead).
    """
    category = trading_category(p)
    inst = instrument_of(market, category, p)
    order = _find_open(account, p, category, inst.symbol, "replace")
    if order.status == "Untriggered":
        return _amend_untriggered(account, market, order, inst, p, now_ms)
    qty = p.decimal("qty")
    price = p.decimal("price")
    new_qty = order.qty if qty is None else qty
    new_price = order.price if price is None else price
    tpsl = _amended_tpsl(order, p, new_price)
    if new_qty == order.qty and new_price == order.price:
        if tpsl == (order.take_profit, order.stop_loss, order.tp_trigger_by, order.sl_trigger_by):
            raise param_error("The order remains unchanged as the parameters entered match the existing ones")
        order.take_profit, order.stop_loss, order.tp_trigger_by, order.sl_trigger_by = tpsl
        order.updated = now_ms
        Changes(orders={order.order_id: order}).publish(account, market, now_ms)
        return order
    if qty is not None:
        check_qty(inst, qty, False)
        if qty <= order.cum_qty:
            raise param_error("Qty invalid: the new qty must be greater than the filled qty "
                              f"{fmt_dp(order.cum_qty, inst.qty_step)}")
    if price is not None:
        check_price(inst, price)
    check_notional(inst, new_qty * new_price)
    old = (order.qty, order.price, order.locked, order.lock_coin)
    # take the order off the book while checking funds for its new shape
    account.open_ids.pop(order.order_id, None)
    order.locked, order.lock_coin = ZERO, ""
    order.qty, order.price = new_qty, new_price
    try:
        probe = Order(**{**order.__dict__, "cum_qty": ZERO, "cum_value": ZERO,
                         "qty": new_qty - order.cum_qty})
        _check_funds(account, market, probe, inst, now_ms)
    except BybitError:
        order.qty, order.price, order.locked, order.lock_coin = old
        account.open_ids[order.order_id] = None
        raise
    order.take_profit, order.stop_loss, order.tp_trigger_by, order.sl_trigger_by = tpsl    # all checks passed
    order.updated = now_ms
    changes = Changes()
    changes.orders[order.order_id] = order
    _take_then_rest(account, market, order, inst, now_ms, changes)
    if category == "linear":
        _push_position(account, order, now_ms, changes)
    changes.wallet = True
    changes.publish(account, market, now_ms)
    arm_partial_tpsl(account, market, [order], now_ms)
    return order


def _amended_tpsl(order: Order, p: Params, price: Decimal) -> tuple[Decimal, Decimal, str, str]:
    """The TP/SL an amend leaves on a resting linear order (``"0"`` removes one), its sides checked.

    110059 once the order has partly filled: its TP/SL is then the position's
    (``position/trading-stop`` changes it).
    """
    tp, sl = p.decimal("takeProfit", positive=False), p.decimal("stopLoss", positive=False)
    tp_by = p.str("tpTriggerBy", choices=TRIGGER_BYS)
    sl_by = p.str("slTriggerBy", choices=TRIGGER_BYS)
    current = (order.take_profit, order.stop_loss, order.tp_trigger_by, order.sl_trigger_by)
    if tp is None and sl is None and tp_by is None and sl_by is None:
        return current
    if order.category != "linear":
        raise unsupported("takeProfit" if tp is not None else "stopLoss", "take-profit / stop-loss on a spot order")
    if order.reduce_only:
        raise param_error("params error: a reduce-only order opens nothing to protect")
    if order.cum_qty > 0:
        raise BybitError(TPSL_PARTLY_FILLED, "Not allowed to modify the TP/SL of a partially filled open order")
    for name, value in (("takeProfit", tp), ("stopLoss", sl)):
        if value is not None and value < 0:
            raise param_error(f"params error: {name} cannot be less than 0 (0 removes it)")
    new_tp = order.take_profit if tp is None else tp
    new_sl = order.stop_loss if sl is None else sl
    new_tp_by = (tp_by or order.tp_trigger_by or "LastPrice") if new_tp else ""
    new_sl_by = (sl_by or order.sl_trigger_by or "LastPrice") if new_sl else ""
    buy = order.side == "Buy"
    if new_tp:
        check_tpsl_side(buy, "TakeProfit", new_tp, price, new_tp_by)
    if new_sl:
        check_tpsl_side(buy, "StopLoss", new_sl, price, new_sl_by)
    return new_tp, new_sl, new_tp_by, new_sl_by


@changes_account
def set_leverage(account: Account, market: Market, p: Params, now_ms: int) -> None:
    """``POST /v5/position/set-leverage``.

    Buy and sell leverage must be equal, except for a hedge-mode symbol with
    isolated margin, where ``buyLeverage`` sets the long side (positionIdx 1) and
    ``sellLeverage`` the short side (2), as Bybit's page says. An isolated
    position's margin follows its new leverage (more margin for less leverage:
    110012 if the wallet cannot give it).
    """
    category = p.category(("linear", "inverse"))
    if category != "linear":
        raise not_traded(category)
    inst = instrument_of(market, category, p)
    buy = p.decimal("buyLeverage", required=True)
    sell = p.decimal("sellLeverage", required=True)
    top = Decimal(inst.max_leverage)
    for name, value in (("buyLeverage", buy), ("sellLeverage", sell)):
        if value < 1 or value > top or not is_multiple(value, Decimal("0.01")):
            raise param_error(f"params error: {name} invalid (must be in [1, {fmt(top)}], "
                              "step 0.01)")
    idxs = indexes(account, inst)
    apart = idxs == (1, 2) and account.margin_mode == ISOLATED_MARGIN
    if buy != sell and not apart:
        raise param_error("params error: buyLeverage must equal sellLeverage, except in hedge mode with "
                          "isolated margin")
    sides = [account.position(inst.symbol, now_ms, idx) for idx in idxs]
    wanted = [sell if idx == 2 else buy for idx in idxs]
    if all(pos.leverage == lev for pos, lev in zip(sides, wanted)):
        raise BybitError(LEVERAGE_NOT_MODIFIED, "leverage not modified")
    for pos, lev in zip(sides, wanted):
        if pos.value > max_value_at(inst, lev):
            raise BybitError(LEVERAGE_OVER_RISK_LIMIT, "Cannot set leverage due to risk limit level.")
    old = [(pos.leverage, pos.margin) for pos in sides]
    for pos, lev in zip(sides, wanted):
        pos.leverage = lev
        if pos.isolated and pos.size:
            pos.margin = pos.value / lev
    if account.available("USDT", market, now_ms) < 0:
        for pos, (lev, margin) in zip(sides, old):
            pos.leverage, pos.margin = lev, margin
        raise BybitError(INSUFFICIENT_FOR_LEVERAGE, "Insufficient available balance.")
    changes = Changes(wallet=True)
    for pos in sides:
        pos.updated = now_ms
        pos.seq = next_seq()
        changes.positions[pos.key] = pos
    changes.publish(account, market, now_ms)


# --------------------------------------------------------------------------------------------
# Conditional orders (the trigger's rules are in :mod:`.triggers`)
# --------------------------------------------------------------------------------------------
def _untriggered_on(account: Account, category: str, symbol: str) -> int:
    """How many conditional orders wait on ``symbol`` (Partial TP/SL orders have a cap of their own, tpsl.py)."""
    return sum(1 for o in account.open_orders() if o.status == UNTRIGGERED and o.category == category
               and o.symbol == symbol and o.stop_order_type not in PARTIAL_TPSL)


def _arm(account: Account, market: Market, order: Order, inst: Instrument, now_ms: int) -> None:
    """Step 4 of ``place_order`` for a conditional order: keep it waiting, publish it."""
    if order.stop_order_type not in PARTIAL_TPSL:
        check_room(_untriggered_on(account, order.category, order.symbol), order.category)
    if order.reduce_only and not _reduce_cap(account, order):
        raise BybitError(QTY_TRUNCATED, "current position is zero, cannot fix reduce-only order qty")
    if order.stop_order_type == "tpslOrder":
        _check_funds(account, market, order, inst, now_ms)
    order.status = UNTRIGGERED
    account.orders[order.order_id] = order
    if order.order_link_id:
        account.link_ids[order.order_link_id] = order.order_id
    account.open_ids[order.order_id] = None
    changes = Changes()
    if order.stop_order_type == "tpslOrder":
        _relock(order, inst)
        changes.wallet = True
    changes.orders[order.order_id] = order
    changes.publish(account, market, now_ms)


def _trigger_due(account: Account, market: Market, now_ms: int) -> None:
    """Fire every waiting order whose trigger the price has reached (oldest first)."""
    for order in [o for o in account.open_orders() if o.status == UNTRIGGERED]:
        if is_due(order, market, now_ms):
            _fire(account, market, order, now_ms)


def _fire(account: Account, market: Market, order: Order, now_ms: int) -> None:
    """The trigger is crossed: ``Triggered``, then placed as a normal order (see the module docstring)."""
    inst = market.instrument(order.category, order.symbol)
    assert inst is not None, "orders are accepted only on listed instruments"
    account.touch()
    order.status = "Triggered"
    order.updated = now_ms
    Changes(orders={order.order_id: order}).publish(account, market, now_ms)
    account.open_ids.pop(order.order_id, None)
    order.status = "New"                              # from here on, a normal order being placed
    order.locked, order.lock_coin = ZERO, ""          # a tpslOrder's reserve becomes the order's own
    if order.order_type == "Market":
        order.last_price_on_created = market.last_price(order.category, order.symbol, now_ms)
    changes = Changes(orders={order.order_id: order}, wallet=True)
    try:
        if order.reduce_only:
            cap = _reduce_cap(account, order)
            if not cap:
                raise _Cancel("EC_ReduceOnlySetButNotReducePosition")
            order.qty = min(order.qty, cap)
        try:
            _check_funds(account, market, order, inst, now_ms)
            _check_risk_limit(account, market, order, inst, now_ms)
        except BybitError:
            raise _Cancel("EC_Others") from None
    except _Cancel as cancel:
        _finish(account, order, "Cancelled", now_ms, changes, reject_reason=cancel.reason)
    else:
        _take_then_rest(account, market, order, inst, now_ms, changes)
    if order.category == "linear":
        _push_position(account, order, now_ms, changes)
    changes.publish(account, market, now_ms)
    arm_partial_tpsl(account, market, [order], now_ms)
    account.touch()


class _Cancel(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _amend_untriggered(account: Account, market: Market, order: Order, inst: Instrument,
                      p: Params, now_ms: int) -> Order:
    """``/v5/order/amend`` of a waiting conditional order: trigger, ``qty``, ``price`` and its TP/SL."""
    trigger = p.decimal("triggerPrice")
    by = p.str("triggerBy", choices=TRIGGER_BYS) if order.category == "linear" else None
    qty = p.decimal("qty")
    price = p.decimal("price")
    if price is not None and order.order_type == "Market":
        raise param_error("params error: price cannot be amended on a Market order")
    new_trigger = order.trigger_price if trigger is None else trigger
    new_by = by or order.trigger_by
    new_qty = order.qty if qty is None else qty
    new_price = order.price if price is None else price
    tpsl = _amended_tpsl(order, p, new_price if order.order_type == "Limit" else new_trigger)
    if (new_trigger, new_by, new_qty, new_price, tpsl) == (order.trigger_price, order.trigger_by, order.qty,
                                                          order.price, (order.take_profit, order.stop_loss,
                                                                        order.tp_trigger_by, order.sl_trigger_by)):
        raise param_error("The order remains unchanged as the parameters entered match the existing ones")
    if trigger is not None:
        check_price(inst, trigger)
    if qty is not None:
        check_qty(inst, qty, order.order_type == "Market")
    if price is not None:
        check_price(inst, price)
    if order.order_type == "Limit":
        check_notional(inst, new_qty * new_price)
    now_price = current_price(market, order.category, order.symbol, new_by or "LastPrice", now_ms)
    if order.category == "linear":
        check_side(order.trigger_direction, new_trigger, now_price, new_by)
        direction = order.trigger_direction
    else:
        direction = RISE if new_trigger > now_price else FALL
    old = (order.qty, order.price, order.locked, order.lock_coin)
    if order.stop_order_type == "tpslOrder":             # its reserve must still be paid for
        order.locked, order.lock_coin = ZERO, ""
        probe = Order(**{**order.__dict__, "qty": new_qty, "price": new_price})
        try:
            _check_funds(account, market, probe, inst, now_ms)
        except BybitError:
            order.qty, order.price, order.locked, order.lock_coin = old
            raise
    order.trigger_price, order.trigger_by = new_trigger, new_by
    order.qty, order.price, order.trigger_direction = new_qty, new_price, direction
    order.take_profit, order.stop_loss, order.tp_trigger_by, order.sl_trigger_by = tpsl
    if order.stop_order_type == "tpslOrder":
        _relock(order, inst)
    order.updated = now_ms
    Changes(orders={order.order_id: order}, wallet=True).publish(account, market, now_ms)
    return order


@changes_account
def sweep_account(account: Account, market: Market, now_ms: int) -> None:
    """Fire the conditional orders whose trigger is crossed (:mod:`.triggers`), then fill
    (as maker, at their own price) the resting orders the last price has reached."""
    _trigger_due(account, market, now_ms)
    changes = Changes()
    last_prices: dict[tuple[str, str], Decimal] = {}
    for order_id in list(account.open_ids):
        order = account.orders[order_id]
        if order.status == "Untriggered":
            continue
        key = (order.category, order.symbol)
        if key not in last_prices:
            last_prices[key] = market.last_price(order.category, order.symbol, now_ms)
        last = last_prices[key]
        if not ((order.side == "Buy" and last <= order.price) or
                (order.side == "Sell" and last >= order.price)):
            continue
        qty = order.qty - order.cum_qty
        cap = _reduce_cap(account, order)
        if cap is not None:
            qty = min(qty, cap)
        order.locked, order.lock_coin = ZERO, ""
        if qty > 0:
            _fill(account, market, order, order.price, qty, True, now_ms, changes)
        if order.cum_qty >= order.qty:
            _finish(account, order, "Filled", now_ms, changes)
        else:                                     # reduce-only order outgrew its position
            _finish(account, order, _cancelled_status(order), now_ms, changes,
                    reject_reason="EC_ReduceOnlySetButNotReducePosition")
    if changes.orders:
        changes.publish(account, market, now_ms)
        arm_partial_tpsl(account, market, list(changes.orders.values()), now_ms)
