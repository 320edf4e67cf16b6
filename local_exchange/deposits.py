"""Deposits in a paper world: the test funds, shown as the deposits that brought them.

A local account starts with its test funds (:data:`~local_exchange.accounts.TEST_FUNDS`)
in the *unified* account. No blockchain can send anything more to the local
exchange, so the deposit history is exactly those funds: one successful on-chain
deposit (``status`` 3) per coin, dated when the account was created, to the
account's own deposit address on the coin's first chain, with a transaction
hash and block hash derived from it (not real). On Bybit a deposit lands in the
account set by ``/v5/asset/deposit/deposit-to-account`` (``FUND`` unless changed);
the test funds landed in ``UNIFIED``, so a local account starts with its deposit
account set to ``UNIFIED``. The transaction log shows each of them as a
``TRANSFER_IN`` at the same time, as Bybit logs a deposit credited to the
unified account.

``deposit-to-account`` stores the new setting (``UNIFIED`` or ``FUND``; ``EARN``
is refused, there is no earn account). Bybit has no endpoint that reads it
back; it shows where the next deposit lands. Here that is an internal transfer
from another local account (a ``forceChain=2`` withdrawal to this account's UID,
see :mod:`.withdrawals`): it is credited to the account set here.

Deposit addresses (``/v5/asset/deposit/query-address``) are derived from the
uid, the coin and the chain (:mod:`.addresses`): well formed for the chain and
the same on every call, but nobody holds their keys: never send real coins to one.

Internal deposits (``query-internal-record``) are those transfers from other
local accounts; a fresh account has none.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import addresses
from .accounts import TEST_FUNDS
from .chains import Chain, chains_of
from .errors import param_error
from .numbers import fmt

if TYPE_CHECKING:
    from .accounts import Account

DEPOSIT_ACCOUNTS = ("UNIFIED", "FUND")
SUCCESS = 3
"""``depositStatus`` 3: success, the final status."""


def deposit_address(account: Account, coin: str, chain: Chain) -> str:
    """The account's deposit address for ``coin`` on ``chain`` (stable, not real)."""
    return addresses.derive(chain.family, f"deposit/{account.uid}/{coin}/{chain.chain}")


def set_deposit_account(account: Account, kind: str) -> None:
    """Where deposits will be credited: ``UNIFIED`` or ``FUND``."""
    if kind == "EARN":
        raise param_error("params error: accountType EARN is not supported by the local exchange (it has no "
                          "earn account); use UNIFIED or FUND")
    if kind not in DEPOSIT_ACCOUNTS:
        raise param_error("params error: accountType invalid (UNIFIED, FUND or EARN)")
    account.asset.deposit_account = kind


@dataclass(frozen=True)
class Deposit:
    """One on-chain deposit (``/v5/asset/deposit/query-record``)."""

    deposit_id: int
    coin: str
    chain: Chain
    amount: Decimal
    to_address: str
    time: int

    def to_dict(self) -> dict[str, Any]:
        seed = f"{self.deposit_id}/{self.to_address}"
        return {"coin": self.coin, "chain": self.chain.chain, "amount": fmt(self.amount),
                "txID": addresses.tx_hash(self.chain.family, seed), "status": SUCCESS,
                "toAddress": self.to_address, "tag": "", "depositFee": "", "successAt": str(self.time),
                "confirmations": str(self.chain.confirmation), "txIndex": "0",
                "blockHash": hashlib.sha256(("block/" + seed).encode()).hexdigest(), "batchReleaseLimit": "-1",
                "depositType": "0", "fromAddress": "", "taxDepositRecordsId": "0", "taxStatus": 0,
                "id": str(self.deposit_id)}


def deposits(account: Account) -> list[Deposit]:
    """The account's deposits, newest first: the test funds (see the module docstring)."""
    found = []
    for index, (coin, amount) in enumerate(sorted(TEST_FUNDS.items())):
        chain = chains_of(coin)[0]
        found.append(Deposit(account.uid * 100 + index, coin, chain, amount,
                             deposit_address(account, coin, chain), account.created))
    return sorted(found, key=lambda d: d.deposit_id, reverse=True)
