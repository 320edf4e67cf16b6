"""Funding: what open perpetual positions pay or receive at each funding time.

A perpetual never expires, so Bybit keeps its price near the index with a
*funding rate*: at 00:00, 08:00 and 16:00 UTC every open position settles
``position value at the mark price x rate``. With a positive rate, longs pay
and shorts receive; with a negative one, the reverse. The rate is the one
``/v5/market/funding/history`` shows for that time (:meth:`Market.funding_rate`).

A settlement moves the settle coin's wallet balance, adds to the position's
realised PnL (``cumRealisedPnl``, ``curRealisedPnl``), writes a ``SETTLEMENT``
entry in the transaction log (:func:`local_exchange.ledger.record_funding`) and
is pushed on the private stream (``position`` and ``wallet``). The exchange's
sweep calls :func:`settle_funding` for every account with an open position; it
settles each funding time once, for the positions open at that time.

Chosen where Bybit's docs are silent: the amount is rounded to 8 decimals
(half up), and the mark price is the one at the funding time itself.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from . import ledger
from .ids import next_seq
from .market import FUNDING_MS, trim
from .matching import Changes, changes_account
from .numbers import ZERO

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market

EIGHT_DECIMALS = Decimal("0.00000001")


def funding_times(after_ms: int, until_ms: int) -> list[int]:
    """The funding times in ``(after_ms, until_ms]``, oldest first."""
    first = (after_ms // FUNDING_MS + 1) * FUNDING_MS
    return list(range(first, until_ms + 1, FUNDING_MS))


def funding_amount(size: Decimal, mark: Decimal, rate: Decimal) -> Decimal:
    """What a position of signed ``size`` receives (> 0) or pays (< 0) at ``mark`` and ``rate``."""
    return (-size * mark * rate).quantize(EIGHT_DECIMALS, rounding=ROUND_HALF_UP)


def settle_funding(account: Account, market: Market, now_ms: int) -> None:
    """Settle every funding time since the last one this account settled, up to ``now_ms``.

    Cheap when no funding time has passed (the common case: the sweep calls it every tick).
    """
    times = funding_times(account.funded_until, now_ms)
    account.funded_until = max(account.funded_until, now_ms)
    if times:
        _settle(account, market, times, now_ms)


@changes_account
def _settle(account: Account, market: Market, times: list[int], now_ms: int) -> None:
    changes = Changes()
    for t in times:
        for pos in account.positions.values():
            if pos.size == 0 or pos.open_time > t:
                continue
            inst = market.instrument("linear", pos.symbol)
            if inst is None:
                continue
            rate = Decimal(trim(market.funding_rate(inst, t), 6))
            mark = market.mark_price("linear", pos.symbol, t)
            amount = funding_amount(pos.size, mark, rate)
            coin = inst.settle_coin
            account.wallet[coin] = account.wallet.get(coin, ZERO) + amount
            pos.cum_realised += amount
            pos.cur_realised += amount
            pos.updated = t
            pos.seq = next_seq()
            ledger.record_funding(account, pos.symbol, inst.base_coin, coin, pos.size, mark, rate, amount, t)
            changes.positions[pos.key] = pos
            changes.wallet = True
    if changes.positions:
        changes.publish(account, market, now_ms)
