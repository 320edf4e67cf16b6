"""Liquidation, as the sweep of the market runs it: a cross-margin account as a whole, an isolated position alone.

Bybit watches a unified account in cross margin as a whole. ``wallet-balance``
shows the two figures that decide: ``totalMarginBalance`` (every collateral
coin at its USD price, plus the unrealised PnL) and ``totalMaintenanceMargin``; their
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

With isolated margin (:mod:`local_exchange.isolated`) each position is checked
on its own: when its margin plus unrealised PnL falls to its maintenance
margin, that position alone is closed the same way (after an automatic top-up,
if ``autoAddMargin`` is on and the wallet has it).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .errors import BybitError
from .isolated import equity, topped_up
from .matching import LIQUIDATION_ORDER, cancel_linear, place_order
from .numbers import ZERO, fmt
from .params import Params

if TYPE_CHECKING:  # imported for type checkers only
    from .accounts import Account
    from .market import Market
    from .records import Position

log = logging.getLogger(__name__)

CANCEL_BEFORE_LIQUIDATION = "CancelAllBeforeLiq"


def check(account: Account, market: Market, now_ms: int) -> None:
    """The sweep's check: each isolated position on its own, then the cross-margin account as a whole."""
    for pos in [p for p in account.positions.values() if p.size and p.isolated]:
        mark = market.mark_price("linear", pos.symbol, now_ms)
        if equity(pos, mark) <= pos.mm and not topped_up(account, market, pos, now_ms):
            _close(account, market, pos, now_ms)
    if in_danger(account, market, now_ms):
        cancel_linear(account, market, now_ms, CANCEL_BEFORE_LIQUIDATION)
        for pos in [p for p in account.positions.values() if p.size and not p.isolated]:
            _close(account, market, pos, now_ms)


def in_danger(account: Account, market: Market, now_ms: int) -> bool:
    """True when a cross-margin account's margin balance has fallen to its maintenance margin.

    That is ``accountMMRate`` >= 100 %. (An account's positions are all cross or
    all isolated: the margin mode changes only with none open.)
    """
    if any(p.isolated for p in account.positions.values() if p.size):
        return False
    mm = account.maintenance_margin()
    return mm > ZERO and account.margin_balance(market, now_ms) <= mm


def _close(account: Account, market: Market, pos: Position, now_ms: int) -> None:
    """Close ``pos`` with a reduce-only Market order (``CreateByLiq``), as much as one order may."""
    inst = market.instrument("linear", pos.symbol)
    if inst is None:
        return
    qty = min(abs(pos.size), inst.max_mkt_qty)     # a bigger position closes over several sweeps
    close = Params({"category": "linear", "symbol": pos.symbol, "side": "Sell" if pos.size > 0 else "Buy",
                    "orderType": "Market", "qty": fmt(qty), "reduceOnly": True, "positionIdx": pos.idx})
    try:
        place_order(account, market, close, now_ms, create_type=LIQUIDATION_ORDER)
    except BybitError as error:      # no book to close against: the next sweep tries again
        log.warning("liquidation of %s on %s could not close the position: %s", account.uid, pos.symbol, error)
