"""One-way and hedge position mode: ``/v5/position/switch-mode`` and the ``positionIdx`` it asks for.

In **one-way** mode (``mode=0``, every symbol's default) a symbol has one
position, ``positionIdx=0``: a Buy makes it longer (or less short), a Sell the
opposite. In **hedge** mode (``mode=3``) it has two, held apart: ``positionIdx=1``
is the long side and ``positionIdx=2`` the short side. Every order then names the
side it acts on: a Buy on 1 opens or adds to the long, a Sell on 1 closes it; a
Sell on 2 opens or adds to the short, a Buy on 2 closes it. An order whose
``positionIdx`` does not fit the symbol's mode is refused with Bybit's 10001
"position idx not match position mode" (learner pitfall 8).

The rules, from Bybit's page for switch-mode:

* the mode is set per ``symbol``, or per ``coin`` (the settle coin): the symbol's
  own setting wins over its coin's, which wins over one-way;
* a symbol with a position or an open order keeps its mode: by symbol Bybit
  refuses (110024 / 110028); by coin those symbols are left as they are;
* only USDT perpetuals offer hedge mode (110029 for any other contract);
* setting the mode a symbol is already in answers 110025.

Where the page is silent, the local exchange chooses:

* an order on the closing side of a hedge-mode position (a Sell on 1, a Buy on 2)
  is reduce-only, whatever ``reduceOnly`` says, and its order record shows
  ``reduceOnly: true``: it can shrink that position, never turn it around;
* with cross margin (the only margin mode here) both sides share one leverage,
  as the set-leverage page says ``buyLeverage`` must equal ``sellLeverage``;
* switching by coin when every symbol of that coin is already in the mode, or
  has a position or order, answers 110025 too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bybit_spec.errors import (
    HEDGE_NOT_SUPPORTED,
    MESSAGES,
    POSITION_MODE_NOT_MODIFIED,
    SWITCH_WITH_OPEN_ORDERS,
    SWITCH_WITH_POSITION,
)

from .errors import BybitError, param_error

if TYPE_CHECKING:  # imported for type checkers only
    from .accounts import Account
    from .catalog import Instrument
    from .market import Market

ONE_WAY, HEDGE = 0, 3
MODES = (ONE_WAY, HEDGE)
IDX_MISMATCH = "position idx not match position mode"


@dataclass
class PositionModes:
    """An account's mode settings: per symbol, per settle coin (absent: one-way)."""

    by_symbol: dict[str, int] = field(default_factory=dict)
    by_coin: dict[str, int] = field(default_factory=dict)

    def of(self, inst: Instrument) -> int:
        """The mode ``inst`` trades in for this account: its own setting, its coin's, or one-way."""
        if inst.category != "linear":
            return ONE_WAY
        return self.by_symbol.get(inst.symbol, self.by_coin.get(inst.settle_coin, ONE_WAY))


def indexes(account: Account, inst: Instrument) -> tuple[int, ...]:
    """The ``positionIdx`` values a symbol's positions use: ``(0,)`` one-way, ``(1, 2)`` hedge."""
    return (1, 2) if account.modes.of(inst) == HEDGE else (0,)


def check_idx(account: Account, inst: Instrument, idx: int) -> None:
    """10001 unless ``idx`` fits the symbol's mode (0 in one-way mode, 1 or 2 in hedge mode).

    Bybit's message, then (in brackets, the local exchange's own) which mode the
    symbol is in and the ``positionIdx`` it takes.
    """
    if idx not in indexes(account, inst):
        which = ("hedge mode: positionIdx 1 for the long side, 2 for the short side"
                 if account.modes.of(inst) == HEDGE else "one-way mode: positionIdx 0")
        raise param_error(f"{IDX_MISMATCH} ({inst.symbol} is in {which})")


def closes(idx: int, side: str) -> bool:
    """True for an order on the closing side of a hedge-mode position (Sell on 1, Buy on 2)."""
    return (idx == 1 and side == "Sell") or (idx == 2 and side == "Buy")


def _busy(account: Account, symbol: str) -> int | None:
    """110024 if ``symbol`` has a position, 110028 if it has an open order, else ``None``."""
    if any(pos.size for (sym, _), pos in account.positions.items() if sym == symbol):
        return SWITCH_WITH_POSITION
    if any(o.symbol == symbol and o.category == "linear" for o in account.open_orders()):
        return SWITCH_WITH_OPEN_ORDERS
    return None


def _refuse(code: int) -> BybitError:
    return BybitError(code, MESSAGES[code])


def switch(account: Account, market: Market, category: str, symbol: str | None, coin: str | None,
           mode: int) -> None:
    """``POST /v5/position/switch-mode`` for ``symbol`` (wins) or every symbol settled in ``coin``."""
    if symbol is not None:
        inst = market.instrument(category, symbol)
        if inst is None:
            raise param_error("params error: symbol invalid")
        if mode == HEDGE and (inst.contract_type != "LinearPerpetual" or inst.settle_coin != "USDT"):
            raise _refuse(HEDGE_NOT_SUPPORTED)
        if account.modes.of(inst) == mode:
            raise _refuse(POSITION_MODE_NOT_MODIFIED)
        busy = _busy(account, symbol)
        if busy is not None:
            raise _refuse(busy)
        account.modes.by_symbol[symbol] = mode
        return
    assert coin is not None
    instruments = [i for i in market.instruments(category) if i.settle_coin == coin]
    if not instruments:
        raise param_error("params error: coin invalid")
    if mode == HEDGE and (category != "linear" or coin != "USDT"):
        raise _refuse(HEDGE_NOT_SUPPORTED)
    # Symbols with a position or order keep the mode they trade in now, whatever the coin says.
    kept = {i.symbol: account.modes.of(i) for i in instruments if _busy(account, i.symbol) is not None}
    changed = [i for i in instruments if i.symbol not in kept and account.modes.of(i) != mode]
    if not changed:
        raise _refuse(POSITION_MODE_NOT_MODIFIED)
    account.modes.by_coin[coin] = mode
    for inst in instruments:
        account.modes.by_symbol.pop(inst.symbol, None)
    account.modes.by_symbol.update(kept)
