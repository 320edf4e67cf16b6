"""Take-profit, stop-loss and trailing stop on a linear position: set, watched, executed.

``POST /v5/position/trading-stop`` has two modes.

**Full** (``tpslMode=Full``) protects the whole position. A take-profit and/or
a stop-loss price (``"0"`` removes one) watch the price ``tpTriggerBy`` /
``slTriggerBy`` name (last, mark or index price): when the take-profit is
reached (a long: at or above it; a short: at or below) or the stop-loss (a long:
at or below; a short: at or above), the whole position is closed with a
reduce-only market order (``stopOrderType`` ``TakeProfit`` / ``StopLoss``,
``createType`` ``CreateByTakeProfit`` / ``CreateByStopLoss``). A **trailing
stop** (``trailingStop``: a price distance) starts at once, or when the last
price reaches ``activePrice`` (a long's above the price, a short's below); from
then on it follows the best last price, and closes the position
(``TrailingStop``) when the price comes back by the distance. All three are
cleared when the position closes, as Bybit clears them. The sweep checks them
at every pass (every 100 ms on a running exchange).

**Partial** (``tpslMode=Partial``) adds *orders*: a take-profit and/or stop-loss
for ``tpSize`` (= ``slSize``) of the position, each a reduce-only conditional
order (:mod:`local_exchange.triggers`) with ``stopOrderType``
``PartialTakeProfit`` / ``PartialStopLoss``, closing at market or, with
``tpOrderType=Limit``, with a limit order at ``tpLimitPrice``. They show in the
open orders, can be cancelled like any order, fire once each, never close more
than is left of the position, and are cancelled (``CancelByTpSlTsClear``) when
the position closes. At most 20 wait on one position (110061); a size above the
position's answers 110058.

The side of each price is checked when it is set, against the price it watches
(Bybit's wording): a long's take-profit must be above it, its stop-loss below;
a short's the reverse. Where the docs are silent: the trailing distance must be
a multiple of the tick and below the last price, and Full mode refuses
Partial's parameters (``tpSize``, limit prices, ``Limit`` order types) with
10001 rather than ignoring them.
"""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from bybit_spec.errors import MESSAGES, TOO_MANY_PARTIAL, TPSL_NOT_MODIFIED, TPSL_SIZE_TOO_LARGE

from .errors import BybitError, param_error
from .ids import next_seq
from .matching import Changes, changes_account, partial_tpsl_leg, place_order
from .numbers import ZERO, fmt
from .params import Params
from .position_mode import check_idx
from .records import PARTIAL_TPSL
from .triggers import TRIGGER_BYS, check_tpsl_side, current_price

if TYPE_CHECKING:
    from .accounts import Account
    from .catalog import Instrument
    from .market import Market
    from .records import Position

log = logging.getLogger(__name__)

ORDER_TYPES = ("Market", "Limit")
MAX_PARTIAL = 20                     # Partial-mode TP/SL orders per position (110061)


def check_side(pos: Position, kind: str, price: Decimal, base: Decimal, by: str) -> None:
    """10001 when a take-profit or stop-loss lies on the wrong side of the price it watches."""
    check_tpsl_side(pos.size > 0, kind, price, base, by)


@changes_account
def set_trading_stop(account: Account, market: Market, p: Params, now_ms: int) -> Position:
    """``/v5/position/trading-stop``: Full mode on the position, Partial mode as orders (see the module docstring)."""
    p.category(("linear",))
    symbol = p.str("symbol", required=True)
    inst = market.instrument("linear", symbol)
    if inst is None:
        raise param_error("params error: symbol invalid")
    mode = p.str("tpslMode", required=True, choices=("Full", "Partial"))
    idx = p.int("positionIdx", default=0)
    check_idx(account, inst, idx)
    pos = account.positions.get((symbol, idx))
    if pos is None or pos.size == 0:
        raise param_error("can not set tp/sl/ts for zero position")
    for name in ("takeProfit", "stopLoss", "trailingStop", "activePrice", "tpSize", "slSize", "tpLimitPrice",
                 "slLimitPrice"):
        value = p.decimal(name, positive=False)
        if value is not None and value < 0:
            raise param_error(f"params error: {name} cannot be less than 0" + (" (0 removes it)" if name in (
                "takeProfit", "stopLoss", "trailingStop") else ""))
    if mode == "Partial":
        _add_partial(account, market, p, pos, inst, now_ms)
        return pos
    for name in ("tpSize", "slSize", "tpLimitPrice", "slLimitPrice"):
        if p.decimal(name, positive=False):
            raise param_error(f"params error: {name} works only with tpslMode=Partial (Full mode closes the whole "
                              "position at market)")
    for name in ("tpOrderType", "slOrderType"):
        if p.str(name, default="Market", choices=ORDER_TYPES) != "Market":
            raise param_error(f"params error: {name}=Limit works only with tpslMode=Partial")
    _set_full(account, market, p, pos, inst, now_ms)
    return pos


def _set_full(account: Account, market: Market, p: Params, pos: Position, inst: Instrument, now_ms: int) -> None:
    """Full mode: the take-profit, stop-loss and trailing stop of the whole position."""
    symbol = pos.symbol
    take_profit = p.decimal("takeProfit", positive=False)
    stop_loss = p.decimal("stopLoss", positive=False)
    trailing = p.decimal("trailingStop", positive=False)
    active = p.decimal("activePrice", positive=False)
    tp_by = p.str("tpTriggerBy", default=pos.tp_trigger_by, choices=TRIGGER_BYS)
    sl_by = p.str("slTriggerBy", default=pos.sl_trigger_by, choices=TRIGGER_BYS)
    if active and not trailing and not pos.trailing_stop:
        raise param_error("params error: activePrice starts a trailing stop: send trailingStop with it")
    new = (pos.take_profit if take_profit is None else take_profit, pos.stop_loss if stop_loss is None else stop_loss,
           tp_by, sl_by, pos.trailing_stop if trailing is None else trailing,
           pos.trail_active if active is None else active)
    if new == (pos.take_profit, pos.stop_loss, pos.tp_trigger_by, pos.sl_trigger_by, pos.trailing_stop,
               pos.trail_active):
        raise BybitError(TPSL_NOT_MODIFIED, "not modified")
    if take_profit:
        check_side(pos, "TakeProfit", take_profit, current_price(market, "linear", symbol, tp_by, now_ms), tp_by)
    if stop_loss:
        check_side(pos, "StopLoss", stop_loss, current_price(market, "linear", symbol, sl_by, now_ms), sl_by)
    last = market.last_price("linear", symbol, now_ms)
    if trailing:
        if trailing % inst.tick_size:
            raise param_error(f"params error: trailingStop invalid ({fmt(trailing)} is not a multiple of tickSize "
                              f"{fmt(inst.tick_size)})")
        if trailing >= last:
            raise param_error(f"params error: trailingStop:{fmt(trailing)} must be smaller than the last price "
                              f"{fmt(last)}")
    if active and (active <= last if pos.size > 0 else active >= last):
        side, relation = ("Buy", "higher") if pos.size > 0 else ("Sell", "lower")
        raise param_error(f"ActivePrice:{fmt(active)} set for {side} position should be {relation} than "
                          f"base_price:{fmt(last)}??LastPrice")
    trail_changed = new[4:] != (pos.trailing_stop, pos.trail_active)
    (pos.take_profit, pos.stop_loss, pos.tp_trigger_by, pos.sl_trigger_by, pos.trailing_stop,
     pos.trail_active) = new
    if trail_changed:       # (re)started: at once from the last price, or when activePrice is reached
        pos.trail_peak = last if pos.trailing_stop and not pos.trail_active else ZERO
    pos.updated = now_ms
    pos.seq = next_seq()
    Changes(positions={pos.key: pos}).publish(account, market, now_ms)


def _add_partial(account: Account, market: Market, p: Params, pos: Position, inst: Instrument, now_ms: int) -> None:
    """Partial mode: a take-profit and/or stop-loss *order* for ``tpSize`` of the position (see the docstring)."""
    if p.decimal("trailingStop", positive=False):
        raise param_error("params error: trailingStop works only with tpslMode=Full")
    take_profit = p.decimal("takeProfit", positive=False) or ZERO
    stop_loss = p.decimal("stopLoss", positive=False) or ZERO
    if not (take_profit or stop_loss):
        raise param_error("params error: tpslMode=Partial adds a take-profit and/or stop-loss order: send "
                          "takeProfit or stopLoss, with tpSize / slSize")
    tp_size, sl_size = p.decimal("tpSize"), p.decimal("slSize")
    if tp_size is not None and sl_size is not None and tp_size != sl_size:
        raise param_error("params error: tpSize and slSize must be equal")
    size = tp_size if tp_size is not None else sl_size
    if size is None:
        raise param_error("params error: tpslMode=Partial needs tpSize (or slSize): how much of the position "
                          "the order closes")
    if size % inst.qty_step:
        raise param_error(f"params error: tpSize invalid ({fmt(size)} is not a multiple of qtyStep "
                          f"{fmt(inst.qty_step)})")
    if size > abs(pos.size):
        raise BybitError(TPSL_SIZE_TOO_LARGE, MESSAGES[TPSL_SIZE_TOO_LARGE])
    legs = []
    for kind, price, prefix in (("TakeProfit", take_profit, "tp"), ("StopLoss", stop_loss, "sl")):
        if not price:
            continue
        by = p.str(f"{prefix}TriggerBy", default="LastPrice", choices=TRIGGER_BYS)
        order_type = p.str(f"{prefix}OrderType", default="Market", choices=ORDER_TYPES)
        check_side(pos, kind, price, current_price(market, "linear", pos.symbol, by, now_ms), by)
        limit = p.decimal(f"{prefix}LimitPrice")
        if order_type == "Limit" and limit is None:
            raise param_error(f"params error: {prefix}LimitPrice is required when {prefix}OrderType=Limit")
        legs.append((kind, partial_tpsl_leg(pos.size > 0, pos.symbol, pos.idx, kind, price, by, order_type,
                                            limit or ZERO, size)))
    waiting = sum(1 for o in account.open_orders() if o.stop_order_type in PARTIAL_TPSL
                  and (o.symbol, o.position_idx) == pos.key)
    if waiting + len(legs) > MAX_PARTIAL:
        raise BybitError(TOO_MANY_PARTIAL, MESSAGES[TOO_MANY_PARTIAL])
    for kind, leg in legs:
        place_order(account, market, Params(leg), now_ms, create_type=f"CreateByPartial{kind}",
                    stop_order_type=f"Partial{kind}")


def due(pos: Position, market: Market, now_ms: int) -> str | None:
    """``TakeProfit``, ``StopLoss`` or ``TrailingStop`` if reached now, else ``None``.

    Moves the trailing stop along: it starts when the last price reaches
    ``activePrice`` (at once without one) and then follows the best last price
    seen; it is reached when the price comes back by the trailing distance.
    """
    long = pos.size > 0
    if pos.take_profit:
        price = current_price(market, "linear", pos.symbol, pos.tp_trigger_by, now_ms)
        if (long and price >= pos.take_profit) or (not long and price <= pos.take_profit):
            return "TakeProfit"
    if pos.stop_loss:
        price = current_price(market, "linear", pos.symbol, pos.sl_trigger_by, now_ms)
        if (long and price <= pos.stop_loss) or (not long and price >= pos.stop_loss):
            return "StopLoss"
    if pos.trailing_stop:
        last = market.last_price("linear", pos.symbol, now_ms)
        if pos.trail_peak:
            pos.trail_peak = max(pos.trail_peak, last) if long else min(pos.trail_peak, last)
        elif (long and last >= pos.trail_active) or (not long and last <= pos.trail_active):
            pos.trail_peak = last
        if pos.trail_peak and (last <= pos.trail_peak - pos.trailing_stop if long
                               else last >= pos.trail_peak + pos.trailing_stop):
            return "TrailingStop"
    return None


def check_positions(account: Account, market: Market, now_ms: int) -> None:
    """Close every position whose take-profit, stop-loss or trailing stop has been reached (the sweep calls this)."""
    for pos in list(account.positions.values()):
        if pos.size == 0 or not pos.guarded:
            continue
        kind = due(pos, market, now_ms)
        if kind is None:
            continue
        close = Params({"category": "linear", "symbol": pos.symbol, "side": "Sell" if pos.size > 0 else "Buy",
                        "orderType": "Market", "qty": fmt(abs(pos.size)), "reduceOnly": True,
                        "positionIdx": pos.idx})
        try:
            place_order(account, market, close, now_ms, create_type=f"CreateBy{kind}", stop_order_type=kind)
        except BybitError as error:        # e.g. no book to close against: drop the TP/SL, say why, go on
            log.warning("%s of %s on %s could not close the position: %s", kind, account.uid, pos.symbol, error)
        pos.clear_tpsl()
