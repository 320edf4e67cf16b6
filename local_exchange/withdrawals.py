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
account's uid (:mod:`.addresses`): well formed, stable, and not real; and, as
internal-transfer addresses (``addressType`` 1), the UIDs of the other
accounts of the same local exchange.

Internal transfers (``forceChain=2``, ``address`` a UID of the book): off chain
(``withdrawType`` 1), free, without a minimum, and done at once (``success``,
not cancellable). The money is credited to the receiver's deposit account (``UNIFIED`` or
``FUND``, see :mod:`.deposits`), which lists it in its internal deposit
records (``/v5/asset/deposit/query-internal-record``). Sending to oneself gets
131075, to a UID the exchange does not know 131077.

Where the money shows: the part taken from the unified account is a
``TRANSFER_OUT`` of its transaction log (and a ``wallet`` push); every
movement of the funding account is a line of its history (:mod:`.fund_log`).

Chosen where Bybit's docs are silent: withdrawal ids count up from 100001; a
request over the balance gets 131212 "Insufficient balance" (the transfer
code); an amount under the chain's ``withdrawMin`` or over ``withdrawMax``
gets 131096; memos/tags are not modelled, so any ``tag`` gets 131081; the
``EARN`` account is refused with 10001 (the local exchange has no earn
account); ``timestamp`` is required but not checked against replays (a
repeated ``requestId`` is: 131082); an internal deposit's ``address`` (Bybit:
the sender's email or phone) is the sender's UID.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
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
    WITHDRAW_TO_ONESELF,
    WITHDRAW_UNKNOWN_RECEIVER,
)

from . import addresses, ledger
from .chains import CHAINS, WITHDRAW_MAX, Chain, every_chain, find_chain
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
SOURCES = ("FUND", "UTA")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_ids = itertools.count(100_001)


@dataclass(frozen=True)
class BookEntry:
    """One address of the address book (``/v5/asset/withdraw/query-address``): on chain, or a UID (``chain`` None)."""

    chain: Chain | None
    address: str
    created: int

    @property
    def internal(self) -> bool:
        return self.chain is None

    def to_dict(self) -> dict[str, Any]:
        return {"coin": "" if self.chain is None else "baseCoin", "chain": "" if self.chain is None else self.chain.chain,
                "address": self.address, "tag": "", "remark": "Local account" if self.chain is None
                else "Universal Address", "status": 0, "addressType": 1 if self.chain is None else 0,
                "verified": 1, "createdAt": str(self.created // 1000)}


def address_book(account: Account, others: Iterable[Account] = ()) -> list[BookEntry]:
    """The account's saved addresses: one universal address per chain, then the UIDs of ``others``."""
    on_chain = [BookEntry(chain, addresses.derive(chain.family, f"book/{account.uid}/{chain.chain}"),
                          account.created) for chain in every_chain()]
    return on_chain + [BookEntry(None, str(o.uid), max(account.created, o.created))
                       for o in sorted(others, key=lambda o: o.uid) if o.uid != account.uid]


@dataclass(frozen=True)
class InternalDeposit:
    """Money from another local account (``/v5/asset/deposit/query-internal-record``)."""

    deposit_id: int
    seq: int
    coin: str
    amount: Decimal
    time: int
    from_uid: int
    tx_id: str
    to_type: str                    # the receiver's deposit account it was credited to

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.deposit_id), "amount": fmt(self.amount), "type": 1, "coin": self.coin,
                "address": str(self.from_uid), "status": 2, "createdTime": str(self.time // 1000),
                "fromMemberId": str(self.from_uid), "txID": self.tx_id, "complianceStatus": 0,
                "taxDepositRecordsId": "0", "taxStatus": 0}


@dataclass
class Withdrawal:
    """One withdrawal; its status is a function of the clock (see the module docstring)."""

    withdraw_id: str
    seq: int
    coin: str
    chain: Chain | None                 # None: an internal transfer to the UID ``address``
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
        if self.chain is None:
            return "success"
        age = now_ms - self.created
        if age < SECURITY_CHECK_MS:
            return "SecurityCheck"
        return "Pending" if age < SECURITY_CHECK_MS + PENDING_MS else "success"

    def updated(self, now_ms: int) -> int:
        """When the status last changed (the creation time while in ``SecurityCheck``)."""
        status = self.status(now_ms)
        if status == "CancelByUser" and self.cancelled_at is not None:
            return self.cancelled_at
        if self.chain is None:
            return self.created
        return self.created + {"SecurityCheck": 0, "Pending": SECURITY_CHECK_MS,
                               "success": SECURITY_CHECK_MS + PENDING_MS}[status]

    def tx_id(self, now_ms: int) -> str:
        """The chain's transaction hash, from broadcast on (``""`` before, and when cancelled)."""
        if self.status(now_ms) in ("SecurityCheck", "CancelByUser"):
            return ""
        family = "internal" if self.chain is None else self.chain.family
        return addresses.tx_hash(family, f"{self.withdraw_id}/{self.address}")

    def to_dict(self, now_ms: int) -> dict[str, Any]:
        """The item of ``/v5/asset/withdraw/query-record`` as of ``now_ms``."""
        return {"coin": self.coin, "chain": "" if self.chain is None else self.chain.chain,
                "amount": fmt(self.amount),
                "txID": self.tx_id(now_ms), "status": self.status(now_ms), "toAddress": self.address, "tag": "",
                "withdrawFee": fmt(self.fee), "createTime": str(self.created),
                "updateTime": str(self.updated(now_ms)), "withdrawId": self.withdraw_id,
                "withdrawType": 1 if self.chain is None else 0,
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
def create(account: Account, market: Market, *, coin: str, chain_name: str | None, address: str, amount: Decimal,
           fee_type: int, sources: tuple[str, ...], request_id: str, tag: str, now_ms: int,
           receiver: Account | None = None) -> Withdrawal:
    """Check a withdrawal against the book, the chain and the balances; debit and record it.

    ``receiver``: the local account whose UID ``address`` names (``forceChain=2``,
    resolved by the caller; ``None`` for an on-chain withdrawal).
    """
    if coin not in CHAINS:
        raise param_error(f"params error: coin invalid ({coin} is not a coin of the local exchange)")
    chain = _check_address(account, coin, chain_name, address, tag, receiver)
    if request_id:
        if not _REQUEST_ID.match(request_id):
            raise param_error("params error: requestId invalid (1 to 32 letters and digits)")
        if any(w.request_id == request_id for w in account.asset.withdrawals):
            raise BybitError(WITHDRAW_REPEATED, "Do not repeat the request")
    if amount != amount.quantize(EIGHT_DECIMALS):
        raise param_error("params error: amount invalid (at most 8 decimals)")
    fee = ZERO if chain is None else chain.withdraw_fee
    received = amount - fee if fee_type == 1 else amount
    if received <= 0 or (chain is not None and not chain.withdraw_min <= received <= WITHDRAW_MAX):
        raise BybitError(WITHDRAW_LIMITS, "Withdraw amount does not satify the lower limit or upper limit")
    debit = received + fee
    can = withdrawable(account, coin, market, now_ms)
    from_fund = min(debit, can["FUND"]) if "FUND" in sources else ZERO
    from_uta = debit - from_fund if "UTA" in sources else ZERO
    if from_fund + from_uta < debit or from_uta > can["UTA"]:
        raise BybitError(TRANSFER_INSUFFICIENT, "Insufficient balance")
    if from_uta:
        account.wallet[coin] = account.wallet.get(coin, ZERO) - from_uta
        ledger.record_transfer_out(account, coin, from_uta, now_ms)
    account.fund[coin] = account.fund.get(coin, ZERO) + from_uta - debit
    withdrawal = Withdrawal(str(next(_ids)), next_seq(), coin, chain, address, received, fee,
                            now_ms, request_id, from_uta)
    account.asset.withdrawals.append(withdrawal)
    if from_uta:
        Changes(wallet=True).publish(account, market, now_ms)
    if receiver is not None:
        _credit(receiver, market, withdrawal, account.uid, now_ms)
    return withdrawal


def _check_address(account: Account, coin: str, chain_name: str | None, address: str, tag: str,
                   receiver: Account | None) -> Chain | None:
    """The chain of an on-chain withdrawal (``None`` for an internal one), once the address passed."""
    if tag:
        raise BybitError(WITHDRAW_NO_TAG, "Do not input memo/tag,please.")
    if receiver is not None:
        if receiver.uid == account.uid:
            raise BybitError(WITHDRAW_TO_ONESELF, "InternalAddressCannotBeYourself")
        return None
    chain = None if chain_name is None else find_chain(coin, chain_name)
    if chain is None:
        raise BybitError(WITHDRAW_CHAIN_MISMATCH, "Withdraw address chain or destination tag are not equal")
    if not any(e.chain == chain and e.address == address for e in address_book(account)):
        raise BybitError(WITHDRAW_NOT_IN_BOOK, "Withdraw only allowed from address book")
    return chain


def unknown_receiver() -> BybitError:
    """131077: ``forceChain=2`` names a UID that is no account of this exchange."""
    return BybitError(WITHDRAW_UNKNOWN_RECEIVER, "receive user not exist")


@changes_account
def _credit(receiver: Account, market: Market, withdrawal: Withdrawal, from_uid: int, now_ms: int) -> None:
    """An internal transfer arrives: in the receiver's deposit account, with an internal deposit record."""
    to_type, coin, amount = receiver.asset.deposit_account, withdrawal.coin, withdrawal.amount
    if to_type == "FUND":
        receiver.fund[coin] = receiver.fund.get(coin, ZERO) + amount
    else:
        receiver.wallet[coin] = receiver.wallet.get(coin, ZERO) + amount
        ledger.record_transfer_in(receiver, coin, amount, now_ms)
    receiver.asset.internal_deposits.append(InternalDeposit(
        next(_ids), next_seq(), coin, amount, now_ms, from_uid, withdrawal.tx_id(now_ms), to_type))
    if to_type == "UNIFIED":
        Changes(wallet=True).publish(receiver, market, now_ms)


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
