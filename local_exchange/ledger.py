"""The transaction log of a unified account: every change of a wallet balance, with its cause.

Bybit's ``GET /v5/account/transaction-log`` lists one entry per change of one
coin's balance. Each entry says what moved it: ``cashFlow`` (money in or out:
a transfer, the value of a spot trade, a position's realised PnL), ``funding``
(received > 0, paid < 0) and ``fee`` (paid > 0); ``change`` is always
``cashFlow + funding - fee`` and ``cashBalance`` the coin's balance after it.
So for each coin, the ``change`` of all entries adds up to its wallet balance,
which ``tests/test_ledger.py`` checks after random trading sessions.

The entries the local exchange writes (one function per kind, called where the
wallet changes):

* :func:`record_transfer_in`: the test funds an account starts with, and money
  moved in from the funding account (``TRANSFER_IN``); :func:`record_transfer_out`
  money moved out to it (``TRANSFER_OUT``, see :mod:`local_exchange.transfers`);
* :func:`record_funding`: a funding settlement of an open position (``SETTLEMENT``,
  see :mod:`local_exchange.funding`);
* :func:`record_trade`: every fill (``TRADE``). A linear fill is one entry in
  the settle coin: ``qty`` the fill's size (no sign), ``size`` the position
  after it (short negative), ``cashFlow`` its realised PnL, ``fee`` its fee.
  A spot fill is one entry per coin it moves, ``qty`` signed as the balance
  moves: a Buy adds the base coin (its fee is charged in it) and takes the
  quote coin; a Sell the reverse, with the fee in the quote coin.

Where Bybit's docs are silent, and what was chosen: a spot fill's two entries
share one ``id`` stem with the coin appended; ``tradePrice`` of a transfer is
``""``; the initial funds are dated when the account was created.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .ids import next_seq
from .numbers import ZERO, fmt

if TYPE_CHECKING:
    from .accounts import Account
    from .records import Execution

TYPES = ("TRANSFER_IN", "TRANSFER_OUT", "TRADE", "SETTLEMENT", "DELIVERY", "LIQUIDATION", "BONUS", "FEE_REFUND",
         "INTEREST", "CURRENCY_BUY", "CURRENCY_SELL")
"""The ``type`` values Bybit documents for a unified account's log (the local exchange writes the first and TRADE)."""


@dataclass(frozen=True)
class Entry:
    """One line of the transaction log (money as exact Decimals; see the module docstring)."""

    seq: int
    time: int
    type: str
    currency: str
    category: str = ""
    symbol: str = ""
    side: str = "None"
    qty: Decimal = ZERO
    size: Decimal = ZERO
    trade_price: Decimal | None = None
    funding: Decimal | None = None
    fee: Decimal = ZERO
    fee_rate: Decimal | None = None
    cash_flow: Decimal = ZERO
    cash_balance: Decimal = ZERO
    trade_id: str = ""
    order_id: str = ""
    order_link_id: str = ""
    base_coin: str = ""                 # the traded instrument's base coin (what ``baseCoin=`` filters on)

    @property
    def change(self) -> Decimal:
        """``cashFlow + funding - fee``: how much the coin's balance moved."""
        return self.cash_flow + (self.funding or ZERO) - self.fee

    def to_dict(self) -> dict[str, Any]:
        """The item of ``/v5/account/transaction-log`` (every value a string, as Bybit sends them)."""
        return {
            "transSubType": "",
            "id": f"{self.seq}_{self.symbol or self.currency}_{self.time}",
            "symbol": self.symbol,
            "side": self.side,
            "funding": "" if self.funding is None else fmt(self.funding),
            "orderLinkId": self.order_link_id,
            "orderId": self.order_id,
            "fee": fmt(self.fee),
            "change": fmt(self.change),
            "cashFlow": fmt(self.cash_flow),
            "transactionTime": str(self.time),
            "type": self.type,
            "feeRate": "" if self.fee_rate is None else fmt(self.fee_rate),
            "bonusChange": "",
            "size": fmt(self.size),
            "qty": fmt(self.qty),
            "cashBalance": fmt(self.cash_balance),
            "currency": self.currency,
            "category": self.category,
            "tradePrice": "" if self.trade_price is None else fmt(self.trade_price),
            "tradeId": self.trade_id,
            "extraFees": "",
        }


def record_transfer_in(account: Account, coin: str, amount: Decimal, time_ms: int) -> None:
    """Money that arrived in the unified wallet (the test funds, at creation)."""
    account.ledger.append(Entry(seq=next_seq(), time=time_ms, type="TRANSFER_IN", currency=coin, qty=amount,
                                cash_flow=amount, cash_balance=account.wallet.get(coin, ZERO)))


def record_transfer_out(account: Account, coin: str, amount: Decimal, time_ms: int) -> None:
    """Money that left the unified wallet (to the funding account)."""
    account.ledger.append(Entry(seq=next_seq(), time=time_ms, type="TRANSFER_OUT", currency=coin, qty=amount,
                                cash_flow=-amount, cash_balance=account.wallet.get(coin, ZERO)))


def record_funding(account: Account, symbol: str, base: str, coin: str, size: Decimal, mark: Decimal,
                   rate: Decimal, amount: Decimal, time_ms: int) -> None:
    """A funding settlement of one position (``SETTLEMENT``): ``funding`` > 0 received, < 0 paid.

    As Bybit's docs say, ``feeRate`` is the market's rate for a long (side Buy) and
    its negative for a short; ``tradePrice`` is the mark price it was settled at.
    """
    side = "Buy" if size > 0 else "Sell"
    account.ledger.append(Entry(seq=next_seq(), time=time_ms, type="SETTLEMENT", currency=coin, category="linear",
                                symbol=symbol, side=side, qty=abs(size), size=size, trade_price=mark, funding=amount,
                                fee_rate=rate if size > 0 else -rate, cash_balance=account.wallet.get(coin, ZERO),
                                base_coin=base))


def record_trade(account: Account, execution: Execution, base: str, quote: str, position_size: Decimal,
                 kind: str = "TRADE") -> None:
    """The entries of one fill, written after the wallet (and position) took it.

    ``base``/``quote`` are the instrument's coins (for linear, ``quote`` is the
    settle coin); ``position_size`` the signed linear position after the fill;
    ``kind`` the entry's ``type`` (``LIQUIDATION`` for a liquidation's fills).
    """
    e = execution

    def entry(coin: str, qty: Decimal, size: Decimal, fee: Decimal, cash_flow: Decimal) -> Entry:
        return Entry(seq=next_seq(), time=e.time, type=kind, currency=coin, category=e.category,
                     symbol=e.symbol, side=e.side, qty=qty, size=size, trade_price=e.price, fee=fee,
                     fee_rate=e.fee_rate, cash_flow=cash_flow, cash_balance=account.wallet.get(coin, ZERO),
                     trade_id=e.exec_id, order_id=e.order_id, order_link_id=e.order_link_id, base_coin=base)

    if e.category != "spot":
        account.ledger.append(entry(quote, e.qty, position_size, e.fee, e.pnl))
        return
    buy = e.side == "Buy"
    base_qty = e.qty if buy else -e.qty
    quote_qty = -e.value if buy else e.value
    account.ledger.append(entry(base, base_qty, ZERO, e.fee if buy else ZERO, base_qty))
    account.ledger.append(entry(quote, quote_qty, ZERO, ZERO if buy else e.fee, quote_qty))
