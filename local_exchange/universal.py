"""Universal transfers: money moving between a master account and its sub-accounts.

An inter-transfer (:mod:`local_exchange.transfers`) moves a coin between the two
wallets of *one* UID. A universal transfer (``/v5/asset/transfer/universal-transfer``)
moves it between two UIDs of one family, master to sub, sub to master or sub
to sub, each side naming its wallet (``FUND`` or ``UNIFIED``). It is done at
once (``status: SUCCESS``); the money leaves one account and arrives in the
other, so the family's total never changes.

The rules, in the order they are checked:

* who may send it: the master's key may move money between any two UIDs of the
  family, holding one of the ``Wallet`` permissions :data:`MASTER_PERMISSIONS`
  (10005 without); a sub-account's key only from itself to its master, and only
  with the ``Wallet: SubMemberTransferList`` permission (131227 without it); a
  read-only key cannot transfer (10005). A UID outside the family answers 131202
  "Invalid memberId";
* ``fromMemberId`` and ``toMemberId`` must differ (10001: use an inter-transfer
  within one UID);
* ``transferId`` is the client's UUID, once per family: sending one again
  answers 131214 "TransferId exist", so a retried request never moves money twice;
* the amount is positive (131215) with at most 8 decimals (131210), and no more
  than the source wallet can spare (131228 "your balance is not enough", the
  code the docs name for this endpoint): all of ``FUND``, of ``UNIFIED`` what new
  orders could still use (:func:`local_exchange.transfers.transferable`).

Each unified wallet it touches gets a ``TRANSFER_OUT``/``TRANSFER_IN`` entry in
its transaction log and a push on its private ``wallet`` stream. The record is
kept by the master (it lists the whole family's transfers) and by each sub
involved (it lists its own). Chosen where the docs are silent: transfers to and
from a frozen sub-account go through (freezing stops its key, not its money),
and the same-UID code.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bybit_spec.errors import (
    INVALID_MEMBER_ID,
    MESSAGES,
    SUB_NO_UNIVERSAL_PERMISSION,
    TRANSFER_AMOUNT_ACCURACY,
    TRANSFER_AMOUNT_ERROR,
    TRANSFER_ID_EXISTS,
    TRANSFER_SAFE_AMOUNT,
)

from . import ledger
from .errors import BybitError, param_error
from .ids import next_seq
from .keys import permission_denied
from .matching import Changes
from .numbers import ZERO, fmt
from .transfers import EIGHT_DECIMALS, transferable

if TYPE_CHECKING:  # imported for type checkers only
    from .accounts import Account, Accounts
    from .market import Market

#: A master's key needs one of these ``Wallet`` permissions to send a universal transfer.
MASTER_PERMISSIONS = frozenset({"AccountTransfer", "SubMemberTransfer", "SubMemberTransferList"})


@dataclass(frozen=True)
class UniversalTransfer:
    transfer_id: str
    coin: str
    amount: Decimal
    from_uid: int
    to_uid: int
    from_type: str
    to_type: str
    time: int
    seq: int
    status: str = "SUCCESS"

    def to_dict(self) -> dict[str, Any]:
        """The item of ``/v5/asset/transfer/query-universal-transfer-list``."""
        return {"transferId": self.transfer_id, "coin": self.coin, "amount": fmt(self.amount),
                "timestamp": str(self.time), "status": self.status,
                "fromAccountType": self.from_type, "toAccountType": self.to_type,
                "fromMemberId": str(self.from_uid), "toMemberId": str(self.to_uid)}


def master_of(accounts: Accounts, account: Account) -> Account:
    """The master of ``account``'s family (``account`` itself for a master)."""
    if not account.member.is_sub:
        return account
    master = accounts.by_uid(account.member.parent_uid)
    if master is None:      # a master is never removed; kept for type checkers
        raise BybitError(INVALID_MEMBER_ID, MESSAGES[INVALID_MEMBER_ID])
    return master


def _member(accounts: Accounts, master: Account, uid: int) -> Account:
    if uid != master.uid and uid not in master.member.subs:
        raise BybitError(INVALID_MEMBER_ID, MESSAGES[INVALID_MEMBER_ID])
    found = accounts.by_uid(uid)
    if found is None:
        raise BybitError(INVALID_MEMBER_ID, MESSAGES[INVALID_MEMBER_ID])
    return found


def universal_transfer(accounts: Accounts, caller: Account, market: Market, transfer_id: str, coin: str,
                       amount: Decimal, from_uid: int, to_uid: int, from_type: str, to_type: str,
                       now_ms: int) -> UniversalTransfer:
    """Move ``amount`` of ``coin`` from one UID's wallet to another's, at once (see the module docstring)."""
    wallet_permissions = set(caller.key.permissions.get("Wallet", []))
    if caller.key.read_only or not (caller.member.is_sub or wallet_permissions & MASTER_PERMISSIONS):
        raise permission_denied()
    master = master_of(accounts, caller)
    if caller.member.is_sub:
        if "SubMemberTransferList" not in caller.key.permissions.get("Wallet", []):
            raise BybitError(SUB_NO_UNIVERSAL_PERMISSION, MESSAGES[SUB_NO_UNIVERSAL_PERMISSION])
        if from_uid != caller.uid or to_uid != master.uid:
            raise BybitError(INVALID_MEMBER_ID, MESSAGES[INVALID_MEMBER_ID] + ": a sub-account's key transfers "
                                                                              "from itself to its master only")
    source, target = _member(accounts, master, from_uid), _member(accounts, master, to_uid)
    if source is target:
        raise param_error("params error: fromMemberId and toMemberId are the same UID; "
                          "move money within one UID with an inter-transfer")
    if any(t.transfer_id == transfer_id for t in master.member.universal):
        raise BybitError(TRANSFER_ID_EXISTS, "TransferId exist")
    if amount <= 0:
        raise BybitError(TRANSFER_AMOUNT_ERROR, "Amount error")
    if amount != amount.quantize(EIGHT_DECIMALS):
        raise BybitError(TRANSFER_AMOUNT_ACCURACY, "Amount accuracy error")
    if amount > transferable(source, from_type, coin, market, now_ms):
        raise BybitError(TRANSFER_SAFE_AMOUNT, MESSAGES[TRANSFER_SAFE_AMOUNT])
    for account in (source, target):
        account.touch()
    try:
        wallet_out = source.fund if from_type == "FUND" else source.wallet
        wallet_in = target.fund if to_type == "FUND" else target.wallet
        wallet_out[coin] = wallet_out.get(coin, ZERO) - amount
        wallet_in[coin] = wallet_in.get(coin, ZERO) + amount
        if from_type == "UNIFIED":
            ledger.record_transfer_out(source, coin, amount, now_ms)
        if to_type == "UNIFIED":
            ledger.record_transfer_in(target, coin, amount, now_ms)
        done = UniversalTransfer(transfer_id, coin, amount, from_uid, to_uid, from_type, to_type, now_ms,
                                 next_seq())
        keepers: list[Account] = []
        for keeper in (master, source, target):        # the master once, even when it is a side
            if not any(keeper is kept for kept in keepers):
                keepers.append(keeper)
                keeper.member.universal.append(done)
    finally:
        for account in (source, target):
            account.touch()
    if from_type == "UNIFIED":
        Changes(wallet=True).publish(source, market, now_ms)
    if to_type == "UNIFIED":
        Changes(wallet=True).publish(target, market, now_ms)
    return done
