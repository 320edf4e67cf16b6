"""Liquidation of a cross-margin unified account, as the sweep of the market runs it.

Bybit watches a unified account in cross margin as a whole. ``wallet-balance``
shows the two figures that decide: ``totalMarginBalance`` (every coin at its
USD price, plus the unrealised PnL) and ``totalMaintenanceMargin``; their
ratio is ``accountMMRate``. When it reaches 100 % the account is liquidated.
The local exchange checks this at every sweep (:meth:`Accounts.sweep`), after
fills, funding and TP/SL, and then:

1. cancels every open linear order (``cancelType`` ``CancelAllBeforeLiq``);
2. closes every linear position with a reduce-only Market order through the
   book (``createType`` ``CreateByLiq``), paying the taker fee; the fills are
   written to the transaction log with ``type`` ``LIQUIDATION``. What the book
   (or the instrument's market-order maximum) cannot take at once is closed by
   the next sweeps, for as long as the account is still in danger.

Simplified, and chosen where the docs are silent: Bybit first reduces a
position in steps (laddered liquidation, by risk tier) and hands what is left
to its engine at the bankruptcy price (``BustTrade``); here everything closes
at once at market, as ordinary executions (``execType`` ``Trade``). The money
still reconciles: what the closes realise is in the wallet and the log (the
USDT balance may end below zero, a debt, as a unified account allows).

Each position's ``liqPrice`` (:meth:`Account.liq_price`) is the mark price at
which this check would fire, the wallet and the other positions' marks held
where they are: Bybit too calls it an *estimate* in cross margin.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .errors import BybitError
from .matching import LIQUIDATION_ORDER, cancel_linear, place_order
from .numbers import ZERO, fmt
from .params import Params

if TYPE_CHECKING:  # imported for type checkers only
    from .accounts import Account
    from .market import Market

log = logging.getLogger(__name__)

CANCEL_BEFORE_LIQUIDATION = "CancelAllBeforeLiq"


def in_danger(account: Account, market: Market, now_ms: int) -> bool:
    """True when the margin balance has fallen to the maintenance margin (``accountMMRate`` >= 100 %)."""
    mm = account.maintenance_margin()
    return mm > ZERO and account.margin_balance(market, now_ms) <= mm


def liquidate(account: Account, market: Market, now_ms: int) -> None:
    """Cancel every linear order, then close every linear position at market (see the module docstring)."""
    cancel_linear(account, market, now_ms, CANCEL_BEFORE_LIQUIDATION)
    for pos in [p for p in account.positions.values() if p.size]:
        inst = market.instrument("linear", pos.symbol)
        if inst is None:
            continue
        qty = min(abs(pos.size), inst.max_mkt_qty)     # a bigger position closes over several sweeps
        close = Params({"category": "linear", "symbol": pos.symbol, "side": "Sell" if pos.size > 0 else "Buy",
                        "orderType": "Market", "qty": fmt(qty), "reduceOnly": True, "positionIdx": pos.idx})
        try:
            place_order(account, market, close, now_ms, create_type=LIQUIDATION_ORDER)
        except BybitError as error:      # no book to close against: the next sweep tries again
            log.warning("liquidation of %s on %s could not close the position: %s", account.uid, pos.symbol, error)
