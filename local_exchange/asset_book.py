"""What an account keeps of its deposits, withdrawals and converts (the ``asset`` field of an account).

Each list is written by the module that owns the operation and read by the
asset endpoints:

* ``deposit_account``: where deposits are credited (``/v5/asset/deposit/deposit-to-account``,
  see :mod:`.deposits`);
* ``withdrawals``: every withdrawal, oldest first, and ``internal_deposits``,
  what other local accounts sent to this one (:mod:`.withdrawals`);
* ``quotes`` and ``converts``: convert quotes by ``quoteTxId``, and the
  converts done, oldest first (:mod:`.convert`);
* ``small_quotes`` and ``small_done``: the same for small balances (:mod:`.small_balance`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .convert import Convert, Quote
    from .small_balance import SmallQuote
    from .withdrawals import InternalDeposit, Withdrawal


@dataclass
class AssetBook:
    """The deposit setting and the records of withdrawals and converts of one account."""

    deposit_account: str = "UNIFIED"
    withdrawals: list[Withdrawal] = field(default_factory=list)
    internal_deposits: list[InternalDeposit] = field(default_factory=list)
    quotes: dict[str, Quote] = field(default_factory=dict)
    converts: list[Convert] = field(default_factory=list)
    small_quotes: dict[str, SmallQuote] = field(default_factory=dict)
    small_done: list[SmallQuote] = field(default_factory=list)
