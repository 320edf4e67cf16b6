"""Withdrawals from the funding account, to the addresses of the account's address book.

On Bybit a withdrawal leaves the *funding* account (``FUND``); with
``accountType=UTA`` the system first moves the money from the unified account
to the funding one, and ``FUND,UTA`` takes what the funding account lacks from
the unified one. The amount and the chain's fee (:mod:`.chains`) leave at once:

* ``feeType=0`` (default): ``amount`` is what arrives, the funding account pays
  ``amount + withdrawFee``;
* ``feeType=1``: the funding account pays ``amount``, ``amount - withdrawFee`` arrives.

The record then moves through Bybit's statuses by the clock alone, so the same
withdrawal reads the same at the same moment (:meth:`Withdrawal.status`):

=======================  ================================================================
since creation           ``status``
=======================  ================================================================
0 to 60 s                ``SecurityCheck``: risk review; ``txID`` ``""``; cancellable
60 s to 3 min            ``Pending``: broadcast, waiting for confirmations; ``txID`` set
from 3 min               ``success``
=======================  ================================================================

A cancel (``/v5/asset/withdraw/cancel``) is accepted during ``SecurityCheck``
only (later: 131099); the record becomes ``CancelByUser`` and amount and fee go
back to the funding account.

The address book: Bybit lets an API key withdraw only to an address saved in
the account's address book (131083 otherwise), and the book is kept on the
website. Each local account's book holds one *universal* address per chain
(``coin: "baseCoin"``, usable for any coin on that chain), derived from the
account's uid (:mod:`.addresses`): well formed, stable, and not real.

Chosen where Bybit's docs are silent: withdrawal ids count up from 100001; a
request over the balance gets 131212 "Insufficient balance" (the transfer
code); an amount under the chain's ``withdrawMin`` gets 131096; memos/tags are
not modelled, so any ``tag`` gets 131081; ``forceChain=2`` (to a Bybit UID)
and the ``EARN`` account are refused with 10001 (the local exchange has
neither internal withdrawals nor an earn account). Every withdrawal is on
chain (``withdrawType`` 0).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bybit_spec.errors import (
    TRANSFER_INSUFFICIENT,
    WITHDRAW_CHAIN_MISMATCH,
    WITHDRAW_LIMITS,
    WITHDRAW_NO_TAG,
    WITHDRAW_NOT_CANCELLABLE,
    WITHDRAW_NOT_IN_BOOK,
    WITHDRAW_REPEATED,
)

from . import addresses, ledger
from .chains import CHAINS, Chain, every_chain, find_chain
from .errors import BybitError, param_error
from .ids import next_seq
from .matching import Changes, changes_account
from .numbers import ZERO, fmt
from .transfers import EIGHT_DECIMALS, transferable

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market

SECURITY_CHECK_MS = 60_000
"""How long a withdrawal stays in ``SecurityCheck`` (the only status it can be cancelled in)."""
PENDING_MS = 120_000
"""How long it then stays ``Pending`` before ``success``."""
STATUSES = ("SecurityCheck", "Pending", "success", "CancelByUser")
SOURCES = ("FUND", "UTA")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_ids = itertools.count(100_001)


@dataclass(frozen=True)
class BookEntry:
    """One address of the address book (``/v5/asset/withdraw/query-address``)."""

    chain: Chain
    address: str
    created: int

    def to_dict(self) -> dict[str, Any]:
        return {"coin": "baseCoin", "chain": self.chain.chain, "address": self.address, "tag": "",
                "remark": "Universal Address", "status": 0, "addressType": 0, "verified": 1,
                "createdAt": str(self.created // 1000)}


def address_book(account: Account) -> list[BookEntry]:
    """The account's saved addresses: one universal address per chain (see the module docstring)."""
    return [BookEntry(chain, addresses.derive(chain.family, f"book/{account.uid}/{chain.chain}"), account.created)
            for chain in every_chain()]


@dataclass
class Withdrawal:
    """One withdrawal; its status is a function of the clock (see the module docstring)."""

    withdraw_id: str
    seq: int
    coin: str
    chain: Chain
    address: str
    amount: Decimal                     # what arrives
    fee: Decimal
    created: int
    request_id: str = ""
    from_uta: Decimal = ZERO            # the part moved out of the unified account first
    cancelled_at: int | None = field(default=None)

    @property
    def debited(self) -> Decimal:
        """What left the funding account: amount and fee."""
        return self.amount + self.fee

    def status(self, now_ms: int) -> str:
        if self.cancelled_at is not None and now_ms >= self.cancelled_at:
            return "CancelByUser"
        age = now_ms - self.created
        if age < SECURITY_CHECK_MS:
            return "SecurityCheck"
        return "Pending" if age < SECURITY_CHECK_MS + PENDING_MS else "success"

    def updated(self, now_ms: int) -> int:
        """When the status last changed (the creation time while in ``SecurityCheck``)."""
        status = self.status(now_ms)
        if status == "CancelByUser" and self.cancelled_at is not None:
            return self.cancelled_at
        return self.created + {"SecurityCheck": 0, "Pending": SECURITY_CHECK_MS,
                               "success": SECURITY_CHECK_MS + PENDING_MS}[status]

    def tx_id(self, now_ms: int) -> str:
        """The chain's transaction hash, from broadcast on (``""`` before, and when cancelled)."""
        if self.status(now_ms) in ("SecurityCheck", "CancelByUser"):
            return ""
        return addresses.tx_hash(self.chain.family, f"{self.withdraw_id}/{self.address}")

    def to_dict(self, now_ms: int) -> dict[str, Any]:
        """The item of ``/v5/asset/withdraw/query-record`` as of ``now_ms``."""
        return {"coin": self.coin, "chain": self.chain.chain, "amount": fmt(self.amount),
                "txID": self.tx_id(now_ms), "status": self.status(now_ms), "toAddress": self.address, "tag": "",
                "withdrawFee": fmt(self.fee), "createTime": str(self.created),
                "updateTime": str(self.updated(now_ms)), "withdrawId": self.withdraw_id, "withdrawType": 0,
                "fee": "", "tax": "0", "taxRate": "0", "taxType": ""}


def withdrawable(account: Account, coin: str, market: Market, now_ms: int) -> dict[str, Decimal]:
    """What each source could give to a withdrawal of ``coin`` now (``FUND`` and ``UTA``)."""
    return {"FUND": account.fund.get(coin, ZERO), "UTA": transferable(account, "UNIFIED", coin, market, now_ms)}


def parse_sources(text: str) -> tuple[str, ...]:
    """``accountType``: ``FUND``, ``UTA`` or both (comma separated); ``EARN`` is refused (no earn account)."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if "EARN" in names:
        raise param_error("params error: accountType EARN is not supported by the local exchange (it has no "
                          "earn account); use FUND or UTA")
    if not names or any(name not in SOURCES for name in names):
        raise param_error("params error: accountType invalid (FUND, UTA or FUND,UTA)")
    return names


@changes_account
def create(account: Account, market: Market, *, coin: str, chain_name: str, address: str, amount: Decimal,
           fee_type: int, sources: tuple[str, ...], request_id: str, tag: str, now_ms: int) -> Withdrawal:
    """Check a withdrawal request against the book, the chain and the balances; debit and record it."""
    if coin not in CHAINS:
        raise param_error(f"params error: coin invalid ({coin} is not a coin of the local exchange)")
    chain = find_chain(coin, chain_name)
    if chain is None:
        raise BybitError(WITHDRAW_CHAIN_MISMATCH, "Withdraw address chain or destination tag are not equal")
    if tag:
        raise BybitError(WITHDRAW_NO_TAG, "Do not input memo/tag,please.")
    if not any(e.chain.chain == chain.chain and e.address == address for e in address_book(account)):
        raise BybitError(WITHDRAW_NOT_IN_BOOK, "Withdraw only allowed from address book")
    if request_id:
        if not _REQUEST_ID.match(request_id):
            raise param_error("params error: requestId invalid (1 to 32 letters and digits)")
        if any(w.request_id == request_id for w in account.asset.withdrawals):
            raise BybitError(WITHDRAW_REPEATED, "Do not repeat the request")
    if amount != amount.quantize(EIGHT_DECIMALS):
        raise param_error("params error: amount invalid (at most 8 decimals)")
    received = amount - chain.withdraw_fee if fee_type == 1 else amount
    if received < chain.withdraw_min:
        raise BybitError(WITHDRAW_LIMITS, "Withdraw amount does not satify the lower limit or upper limit")
    debit = received + chain.withdraw_fee
    can = withdrawable(account, coin, market, now_ms)
    from_fund = min(debit, can["FUND"]) if "FUND" in sources else ZERO
    from_uta = debit - from_fund if "UTA" in sources else ZERO
    if from_fund + from_uta < debit or from_uta > can["UTA"]:
        raise BybitError(TRANSFER_INSUFFICIENT, "Insufficient balance")
    if from_uta:
        account.wallet[coin] = account.wallet.get(coin, ZERO) - from_uta
        ledger.record_transfer_out(account, coin, from_uta, now_ms)
    account.fund[coin] = account.fund.get(coin, ZERO) + from_uta - debit
    withdrawal = Withdrawal(str(next(_ids)), next_seq(), coin, chain, address, received, chain.withdraw_fee,
                            now_ms, request_id, from_uta)
    account.asset.withdrawals.append(withdrawal)
    if from_uta:
        Changes(wallet=True).publish(account, market, now_ms)
    return withdrawal


def find(account: Account, withdraw_id: str) -> Withdrawal | None:
    return next((w for w in account.asset.withdrawals if w.withdraw_id == withdraw_id), None)


@changes_account
def cancel(account: Account, withdraw_id: str, now_ms: int) -> Withdrawal:
    """Cancel a withdrawal still in ``SecurityCheck``: amount and fee return to the funding account."""
    withdrawal = find(account, withdraw_id)
    if withdrawal is None:
        raise param_error("params error: id invalid (no such withdrawal)")
    if withdrawal.status(now_ms) != "SecurityCheck":
        raise BybitError(WITHDRAW_NOT_CANCELLABLE, "Hot wallet status can cancel the withdraw")
    withdrawal.cancelled_at = now_ms
    account.fund[withdrawal.coin] = account.fund.get(withdrawal.coin, ZERO) + withdrawal.debited
    return withdrawal
