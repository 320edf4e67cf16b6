"""The funding account's history (``/v5/asset/fundinghistory``), rebuilt from what moved it.

The unified account has its transaction log (:mod:`.ledger`); money in the
funding account (``FUND``) is not in it. Bybit lists the funding account's
movements apart, one line per change of one coin: ``ioDirection`` ``I`` (in)
or ``O`` (out), ``txnAmt`` (always positive) and ``afterAmt``, the coin's
funding balance after it.

The local exchange keeps no second log: the lines are rebuilt on each call
from the records that moved the funding account, in the order they happened:

* inter-transfers to or from ``UNIFIED`` (:mod:`.transfers`): "Transfer";
* withdrawals (:mod:`.withdrawals`): the amount and fee out ("Withdraw"), the
  part first moved in from the unified account ("Transfer"), and the refund of
  a cancelled one ("Withdraw");
* internal transfers from other local accounts credited to ``FUND`` ("Deposit");
* converts in ``eb_convert_funding`` (:mod:`.convert`): one line per coin ("Convert").

So for every coin the lines add up to the funding balance, which
``tests/test_withdrawals.py`` checks. The account starts with an empty funding
account, so there is no opening line. Chosen where the docs are silent: the
``showBusiType``/``description`` keys (Bybit's are localisation keys).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .numbers import ZERO, fmt

if TYPE_CHECKING:
    from .accounts import Account


@dataclass(frozen=True)
class Line:
    """One movement of one coin in the funding account (``change`` signed: > 0 in)."""

    time: int
    seq: int
    coin: str
    change: Decimal
    business: str
    description: str


@dataclass(frozen=True)
class Shown:
    """A :class:`Line` with its place in the history and the balance after it."""

    index: int
    line: Line
    after: Decimal

    def to_dict(self, uid: int) -> dict[str, str]:
        line = self.line
        key = line.business.replace(" ", "")
        return {"memberId": str(uid), "currency": line.coin, "ioDirection": "I" if line.change > 0 else "O",
                "txnAmt": fmt(abs(line.change)), "afterAmt": fmt(self.after),
                "createTime": str(line.time // 1000), "showBusiType": f"fundingAccountRecord{key}",
                "showBusiTypeEn": line.business, "description": f"fundingAccountRecord{key}",
                "descriptionEn": line.description}


def lines(account: Account) -> list[Line]:
    """Every movement of the funding account, oldest first."""
    found: list[Line] = []
    for t in account.transfers:
        sign = 1 if t.to_type == "FUND" else -1
        found.append(Line(t.time, t.seq, t.coin, sign * t.amount, "Transfer",
                          f"Transfer {'from' if sign > 0 else 'to'} Unified Trading Account"))
    for w in account.asset.withdrawals:
        if w.from_uta:
            found.append(Line(w.created, w.seq, w.coin, w.from_uta, "Transfer",
                              "Transfer from Unified Trading Account for a withdrawal"))
        found.append(Line(w.created, w.seq, w.coin, -w.debited, "Withdraw",
                          f"Withdrawal {w.withdraw_id} (amount and fee)"))
        if w.cancelled_at is not None:
            found.append(Line(w.cancelled_at, w.seq, w.coin, w.debited, "Withdraw",
                              f"Cancelled withdrawal {w.withdraw_id} refunded"))
    for d in account.asset.internal_deposits:
        if d.to_type == "FUND":
            found.append(Line(d.time, d.seq, d.coin, d.amount, "Deposit", f"Internal transfer from UID {d.from_uid}"))
    for c in account.asset.converts:
        q = c.quote
        if q.kind == "eb_convert_funding":
            found.append(Line(c.time, c.seq, q.from_coin, -q.from_amount, "Convert", f"Convert to {q.to_coin}"))
            found.append(Line(c.time, c.seq, q.to_coin, q.to_amount, "Convert", f"Convert from {q.from_coin}"))
    return sorted(found, key=lambda line: (line.time, line.seq))       # stable: a record's lines keep their order


def history(account: Account) -> list[Shown]:
    """The lines newest first, each with the coin's balance after it."""
    balances: dict[str, Decimal] = {}
    shown = []
    for index, line in enumerate(lines(account)):
        balances[line.coin] = balances.get(line.coin, ZERO) + line.change
        shown.append(Shown(index, line, balances[line.coin]))
    return shown[::-1]


def balances(account: Account) -> dict[str, Decimal]:
    """Each coin's funding balance by the history (equal to ``account.fund``)."""
    total: dict[str, Decimal] = {}
    for line in lines(account):
        total[line.coin] = total.get(line.coin, ZERO) + line.change
    return total
