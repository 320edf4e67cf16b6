"""Closed PnL: one record per order that closed (part of) a linear position.

Bybit's ``GET /v5/position/closed-pnl`` lists, newest first, what each closing
order realised: the size it closed, the average entry and exit prices, and

    closedPnl = (avgExitPrice - avgEntryPrice) x closedSize x direction - openFee - closeFee

where ``direction`` is +1 for closing a long (a Sell) and -1 for closing a short,
``closeFee`` is the part of the order's fees paid on the closed quantity, and
``openFee`` the share of the fees paid opening the position that the closed
quantity carries (the position keeps the rest, :attr:`Position.entry_fees`).
An order filled in several parts is one record (``fillCount`` counts them).

Chosen where Bybit's docs are silent: ``openFee`` is pro-rated by size; a
fill that flips a position closes the old side (recorded here) and opens the
new one at the fill price, its fee split by quantity between the two.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .numbers import ZERO, fmt, fmt_dp

if TYPE_CHECKING:
    from .accounts import Account
    from .records import Order, Position

FEE_PLACES = Decimal("1e-12")           # pro-rated fee shares (fills' fees have at most 10 decimals)


@dataclass
class ClosedPnl:
    """What one order realised by closing a position (money as exact Decimals)."""

    seq: int
    symbol: str
    order_id: str
    side: str
    qty: Decimal
    order_price: Decimal
    order_type: str
    leverage: Decimal
    tick_size: Decimal
    created: int
    updated: int
    closed_size: Decimal = ZERO
    entry_value: Decimal = ZERO
    exit_value: Decimal = ZERO
    open_fee: Decimal = ZERO
    close_fee: Decimal = ZERO
    fills: int = 0

    @property
    def closed_pnl(self) -> Decimal:
        direction = 1 if self.side == "Sell" else -1         # a Sell closes a long
        return (self.exit_value - self.entry_value) * direction - self.open_fee - self.close_fee

    def to_dict(self) -> dict[str, Any]:
        """The item of ``/v5/position/closed-pnl``."""
        size = self.closed_size or Decimal(1)
        return {
            "symbol": self.symbol,
            "orderType": self.order_type,
            "leverage": fmt(self.leverage),
            "updatedTime": str(self.updated),
            "side": self.side,
            "orderId": self.order_id,
            "closedPnl": fmt(self.closed_pnl),
            "openFee": fmt(self.open_fee),
            "closeFee": fmt(self.close_fee),
            "avgEntryPrice": fmt((self.entry_value / size).quantize(Decimal("0.00000001"))),
            "qty": fmt(self.qty),
            "cumEntryValue": fmt(self.entry_value),
            "createdTime": str(self.created),
            "orderPrice": fmt_dp(self.order_price, self.tick_size) if self.order_price else "0",
            "closedSize": fmt(self.closed_size),
            "avgExitPrice": fmt((self.exit_value / size).quantize(Decimal("0.00000001"))),
            "execType": "Trade",
            "fillCount": str(self.fills),
            "cumExitValue": fmt(self.exit_value),
        }


def split_fee(pos: Position, size_before: Decimal, closed: Decimal, qty: Decimal, fee: Decimal) -> tuple[Decimal, Decimal]:
    """``(open_fee, close_fee)`` of a fill that closed ``closed`` of ``qty``; moves the position's ``entry_fees``.

    The fill's fee is split by quantity between the closing part and any opening
    part (a flip or an increase); the opening part is added to ``entry_fees``.
    Shares are rounded to :data:`FEE_PLACES` and what one side gets the other
    does not, so no fee is lost or counted twice.
    """
    close_fee = (fee * closed / qty).quantize(FEE_PLACES) if closed < qty else fee
    if closed == 0:
        open_fee = ZERO
    elif closed == abs(size_before):            # the whole position: all its opening fees, exactly
        open_fee = pos.entry_fees
    else:
        open_fee = (pos.entry_fees * closed / abs(size_before)).quantize(FEE_PLACES)
    pos.entry_fees += (fee - close_fee) - open_fee
    return open_fee, close_fee


def record(account: Account, order: Order, pos: Position, entry_price: Decimal, price: Decimal, closed: Decimal,
           open_fee: Decimal, close_fee: Decimal, seq: int, now_ms: int) -> None:
    """Add one closing fill to its order's record (a new record for the order's first closing fill)."""
    last = account.closed_pnl[-1] if account.closed_pnl else None
    if last is None or last.order_id != order.order_id:
        last = ClosedPnl(seq=seq, symbol=order.symbol, order_id=order.order_id, side=order.side, qty=order.qty,
                         order_price=order.price or ZERO, order_type=order.order_type, leverage=pos.leverage,
                         tick_size=order.tick_size, created=now_ms, updated=now_ms)
        account.closed_pnl.append(last)
    last.closed_size += closed
    last.entry_value += entry_price * closed
    last.exit_value += price * closed
    last.open_fee += open_fee
    last.close_fee += close_fee
    last.fills += 1
    last.updated = now_ms
