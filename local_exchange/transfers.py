"""The funding account beside the unified one, and transfers between them.

On Bybit, money arrives in the *funding* account (``FUND``: deposits, P2P,
convert) and trades from the *unified* one (``UNIFIED``). An inter-transfer
moves a coin between the two, at once (``status: SUCCESS``):

* ``transferId`` is the client's own UUID; sending one again is refused with
  131214 "TransferId exist", so a retried request never moves money twice;
* from and to must differ (131211); the amount must be positive (131215) with
  at most 8 decimals (131210), and no more than the source can spare (131212):
  all of ``FUND``, or of ``UNIFIED`` what new orders could still use (open
  positions and orders keep their margin) and never more than the balance.

A transfer out of or into the unified wallet is a ``TRANSFER_OUT``/``TRANSFER_IN``
entry of its transaction log and is pushed on the private ``wallet`` stream.
The local exchange's accounts start with their test funds in ``UNIFIED`` and an
empty ``FUND``. Chosen where Bybit's docs are silent: ``transferBalance`` of
``UNIFIED`` is that spare amount; the legacy account types (``SPOT``,
``CONTRACT``) are refused with 10001, as a unified account has none.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from bybit_spec.errors import (
    TRANSFER_AMOUNT_ACCURACY,
    TRANSFER_AMOUNT_ERROR,
    TRANSFER_ID_EXISTS,
    TRANSFER_INSUFFICIENT,
    TRANSFER_SAME_ACCOUNT,
)

from . import ledger
from .errors import BybitError, param_error
from .ids import next_seq
from .matching import Changes, changes_account
from .numbers import ZERO, fmt

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market

ACCOUNT_TYPES = ("FUND", "UNIFIED")
EIGHT_DECIMALS = Decimal("0.00000001")


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    coin: str
    amount: Decimal
    from_type: str
    to_type: str
    time: int
    seq: int
    status: str = "SUCCESS"

    def to_dict(self) -> dict[str, Any]:
        """The item of ``/v5/asset/transfer/query-inter-transfer-list``."""
        return {"transferId": self.transfer_id, "coin": self.coin, "amount": fmt(self.amount),
                "fromAccountType": self.from_type, "toAccountType": self.to_type,
                "timestamp": str(self.time), "status": self.status}


def account_type(value: str, name: str) -> str:
    """``FUND`` or ``UNIFIED``; a legacy or unknown type gets 10001 naming the parameter."""
    if value not in ACCOUNT_TYPES:
        raise param_error(f"params error: {name} invalid (a unified account transfers between FUND and UNIFIED)")
    return value


def transferable(account: Account, kind: str, coin: str, market: Market, now_ms: int) -> Decimal:
    """What can leave ``kind`` of ``coin`` now (see the module docstring)."""
    if kind == "FUND":
        return account.fund.get(coin, ZERO)
    balance = account.wallet.get(coin, ZERO)
    spare = max(ZERO, min(balance, account.available(coin, market, now_ms)))
    return spare.quantize(EIGHT_DECIMALS, rounding=ROUND_DOWN)       # what a transfer may name


@changes_account
def inter_transfer(account: Account, market: Market, transfer_id: str, coin: str, amount: Decimal,
                   from_type: str, to_type: str, now_ms: int) -> Transfer:
    """Move ``amount`` of ``coin`` from one account type to the other, at once."""
    if any(t.transfer_id == transfer_id for t in account.transfers):
        raise BybitError(TRANSFER_ID_EXISTS, "TransferId exist")
    if from_type == to_type:
        raise BybitError(TRANSFER_SAME_ACCOUNT, "fromAccountType can't be the same as toAccountType")
    if amount <= 0:
        raise BybitError(TRANSFER_AMOUNT_ERROR, "Amount error")
    if amount != amount.quantize(EIGHT_DECIMALS):
        raise BybitError(TRANSFER_AMOUNT_ACCURACY, "Amount accuracy error")
    if amount > transferable(account, from_type, coin, market, now_ms):
        raise BybitError(TRANSFER_INSUFFICIENT, "Insufficient balance")
    wallets = {"FUND": account.fund, "UNIFIED": account.wallet}
    wallets[from_type][coin] = wallets[from_type].get(coin, ZERO) - amount
    wallets[to_type][coin] = wallets[to_type].get(coin, ZERO) + amount
    transfer = Transfer(transfer_id, coin, amount, from_type, to_type, now_ms, next_seq())
    account.transfers.append(transfer)
    if from_type == "UNIFIED":
        ledger.record_transfer_out(account, coin, amount, now_ms)
    else:
        ledger.record_transfer_in(account, coin, amount, now_ms)
    Changes(wallet=True).publish(account, market, now_ms)
    return transfer
