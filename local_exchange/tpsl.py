"""Take-profit and stop-loss on a linear position (``tpslMode=Full``): set, watched, executed.

``POST /v5/position/trading-stop`` puts a take-profit and/or a stop-loss price
on the whole position (``"0"`` removes one). The exchange's sweep then watches
the price each one names (``tpTriggerBy``/``slTriggerBy``: last, mark or index
price): when it reaches the take-profit (a long: at or above it; a short: at or
below) or the stop-loss (a long: at or below; a short: at or above), the whole
position is closed with a reduce-only market order (``stopOrderType``
``TakeProfit`` or ``StopLoss``, ``createType`` ``CreateByTakeProfit`` /
``CreateByStopLoss``), and both prices are cleared, as Bybit clears them when
the position closes.

The side of each price is checked when it is set, against the price it watches
(Bybit's wording): a long's take-profit must be above it, its stop-loss below;
a short's the reverse. ``Partial`` mode, trailing stops and limit TP/SL orders
are refused by :mod:`local_exchange.unsupported` (never silently dropped).
"""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from bybit_spec.errors import TPSL_NOT_MODIFIED

from .errors import BybitError, param_error
from .ids import next_seq
from .matching import Changes, changes_account, place_order
from .numbers import ZERO, fmt
from .params import Params
from .position_mode import check_idx
from .triggers import TRIGGER_BYS, check_tpsl_side, current_price
from .unsupported import unsupported

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market
    from .records import Position

log = logging.getLogger(__name__)


def check_side(pos: Position, kind: str, price: Decimal, base: Decimal, by: str) -> None:
    """10001 when a take-profit or stop-loss lies on the wrong side of the price it watches."""
    check_tpsl_side(pos.size > 0, kind, price, base, by)


@changes_account
def set_trading_stop(account: Account, market: Market, p: Params, now_ms: int) -> Position:
    """``/v5/position/trading-stop`` in ``Full`` mode (see the module docstring)."""
    p.category(("linear",))
    symbol = p.str("symbol", required=True)
    inst = market.instrument("linear", symbol)
    if inst is None:
        raise param_error("params error: symbol invalid")
    if p.str("tpslMode", required=True, choices=("Full", "Partial")) == "Partial":
        raise unsupported("tpslMode", "Partial-mode TP/SL")
    idx = p.int("positionIdx", default=0)
    check_idx(account, inst, idx)
    pos = account.positions.get((symbol, idx))
    if pos is None or pos.size == 0:
        raise param_error("can not set tp/sl/ts for zero position")
    take_profit = p.decimal("takeProfit", positive=False)
    stop_loss = p.decimal("stopLoss", positive=False)
    tp_by = p.str("tpTriggerBy", default=pos.tp_trigger_by, choices=TRIGGER_BYS)
    sl_by = p.str("slTriggerBy", default=pos.sl_trigger_by, choices=TRIGGER_BYS)
    for name, value in (("takeProfit", take_profit), ("stopLoss", stop_loss)):
        if value is not None and value < 0:
            raise param_error(f"params error: {name} cannot be less than 0 (0 removes it)")
    new = (pos.take_profit if take_profit is None else take_profit, pos.stop_loss if stop_loss is None else stop_loss,
           tp_by, sl_by)
    if new == (pos.take_profit, pos.stop_loss, pos.tp_trigger_by, pos.sl_trigger_by):
        raise BybitError(TPSL_NOT_MODIFIED, "not modified")
    if take_profit:
        check_side(pos, "TakeProfit", take_profit, current_price(market, "linear", symbol, tp_by, now_ms), tp_by)
    if stop_loss:
        check_side(pos, "StopLoss", stop_loss, current_price(market, "linear", symbol, sl_by, now_ms), sl_by)
    pos.take_profit, pos.stop_loss, pos.tp_trigger_by, pos.sl_trigger_by = new
    pos.updated = now_ms
    pos.seq = next_seq()
    Changes(positions={pos.key: pos}).publish(account, market, now_ms)
    return pos


def due(pos: Position, market: Market, now_ms: int) -> str | None:
    """``TakeProfit`` or ``StopLoss`` if its price has been reached now, else ``None``."""
    long = pos.size > 0
    if pos.take_profit:
        price = current_price(market, "linear", pos.symbol, pos.tp_trigger_by, now_ms)
        if (long and price >= pos.take_profit) or (not long and price <= pos.take_profit):
            return "TakeProfit"
    if pos.stop_loss:
        price = current_price(market, "linear", pos.symbol, pos.sl_trigger_by, now_ms)
        if (long and price <= pos.stop_loss) or (not long and price >= pos.stop_loss):
            return "StopLoss"
    return None


def check_positions(account: Account, market: Market, now_ms: int) -> None:
    """Close every position whose take-profit or stop-loss has been reached (the sweep calls this)."""
    for pos in list(account.positions.values()):
        if pos.size == 0 or not (pos.take_profit or pos.stop_loss):
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
        pos.take_profit = pos.stop_loss = ZERO
