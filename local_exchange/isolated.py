"""Isolated margin: each position stands on a margin of its own.

A unified account trades with **cross** margin (``REGULAR_MARGIN``, the default)
or **isolated** margin (``ISOLATED_MARGIN``), chosen with
``POST /v5/account/set-margin-mode`` and shown by ``account/info``. With cross
margin the whole wallet stands behind every position, and the account is
liquidated as a whole (:mod:`local_exchange.liquidation`). With isolated
margin each perpetual position sets aside its own margin when it opens:

* the margin grows by ``qty x price / leverage`` of what opens and shrinks in
  proportion to what closes (:func:`local_exchange.matching._apply_to_position`);
  it is the position's ``positionIM``, and is not available for new orders;
* the position's unrealised profit is not available either, until it closes;
* ``POST /v5/position/add-margin`` adds to it (``margin=10``) or takes back
  (``margin=-10``) down to the initial margin its leverage asks for;
* ``liqPrice`` is where margin + unrealised PnL falls to the maintenance
  margin, and ``bustPrice`` where it falls to zero; at ``liqPrice`` only that
  position is liquidated, unless ``set-auto-add-margin`` is on and the wallet
  can top it up (by one more initial margin) first;
* with hedge mode, the two sides may have different leverage.

Where the docs are silent, the local exchange chooses: the margin mode changes
only while the account has no open perpetual position and no open perpetual
order (110073 "Set margin mode failed" otherwise, with the reason); portfolio
margin is not simulated (10001, saying where to try it).
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from bybit_spec.errors import (
    ADD_MARGIN_INSUFFICIENT,
    AUTO_ADD_MARGIN_ISOLATED_ONLY,
    CROSS_MARGIN_POSITION,
    MARGIN_MODE_NOT_MODIFIED,
    MESSAGES,
    NO_POSITION_FOR_MARGIN,
    REDUCE_MARGIN_TOO_MUCH,
    SET_MARGIN_MODE_FAILED,
)

from .errors import BybitError, param_error
from .ids import next_seq
from .matching import Changes, changes_account
from .numbers import ZERO
from .records import ISOLATED_MARGIN, Position

if TYPE_CHECKING:  # imported for type checkers only
    from .accounts import Account
    from .market import Market

MARGIN_STEP = Decimal("0.0001")         # add-margin: "Support up to 4 decimal"


def _refuse(code: int, detail: str = "") -> BybitError:
    return BybitError(code, MESSAGES[code] + (f" {detail}" if detail else ""))


@changes_account
def set_margin_mode(account: Account, mode: str) -> None:
    """``REGULAR_MARGIN`` or ``ISOLATED_MARGIN`` for the whole account (see the module docstring)."""
    if mode == account.margin_mode:
        raise _refuse(MARGIN_MODE_NOT_MODIFIED)
    if any(pos.size for pos in account.positions.values()):
        raise _refuse(SET_MARGIN_MODE_FAILED, "Close every perpetual position before you switch the margin mode.")
    if any(o.category == "linear" for o in account.open_orders()):
        raise _refuse(SET_MARGIN_MODE_FAILED, "Cancel every open perpetual order before you switch the margin mode.")
    account.margin_mode = mode


def _isolated_position(account: Account, symbol: str, idx: int) -> Position:
    """The open isolated position ``(symbol, idx)``: 110015 in cross margin, 110033 when there is none."""
    if account.margin_mode != ISOLATED_MARGIN:
        raise _refuse(CROSS_MARGIN_POSITION)
    pos = account.positions.get((symbol, idx))
    if pos is None or pos.size == 0:
        raise _refuse(NO_POSITION_FOR_MARGIN)
    return pos


@changes_account
def add_margin(account: Account, market: Market, symbol: str, idx: int, amount: Decimal, now_ms: int) -> Position:
    """Add ``amount`` to the position's margin, or take ``-amount`` back (down to its initial margin)."""
    pos = _isolated_position(account, symbol, idx)
    if amount == 0 or amount % MARGIN_STEP != 0:
        raise param_error("params error: margin invalid (a non-zero amount, at most 4 decimals)")
    if amount > 0 and amount > account.available("USDT", market, now_ms):
        raise _refuse(ADD_MARGIN_INSUFFICIENT)
    if amount < 0 and pos.margin + amount < pos.value / pos.leverage:
        raise _refuse(REDUCE_MARGIN_TOO_MUCH)
    pos.margin += amount
    _changed(account, market, pos, now_ms)
    return pos


def set_auto_add(account: Account, symbol: str, idx: int, on: bool, now_ms: int) -> None:
    """``set-auto-add-margin``: 110076 in cross margin; kept on the position (flat or not)."""
    if account.margin_mode != ISOLATED_MARGIN:
        raise _refuse(AUTO_ADD_MARGIN_ISOLATED_ONLY)
    pos = account.position(symbol, now_ms, idx)
    pos.auto_add_margin = on
    account.touch()


def topped_up(account: Account, market: Market, pos: Position, now_ms: int) -> bool:
    """Before liquidating an isolated position with auto-add on: add one initial margin if the wallet has it."""
    extra = pos.value / pos.leverage
    if not pos.auto_add_margin or extra > account.available("USDT", market, now_ms):
        return False
    account.touch()
    pos.margin += extra
    _changed(account, market, pos, now_ms)
    return True


def equity(pos: Position, mark: Decimal) -> Decimal:
    """What stands behind an isolated position: its margin plus its unrealised PnL."""
    return pos.margin + pos.unrealised(mark) if pos.size else ZERO


def _changed(account: Account, market: Market, pos: Position, now_ms: int) -> None:
    pos.updated = now_ms
    pos.seq = next_seq()
    Changes(positions={pos.key: pos}, wallet=True).publish(account, market, now_ms)
