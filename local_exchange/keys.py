"""What an API key may do: read-only or read-write, and its permission groups.

On Bybit a key is *read-only* or *read-write*, and a read-write key holds
permissions by group (``ContractTrade: ["Order", "Position"]``, ``Spot:
["SpotTrade"]``, ``Wallet: ["AccountTransfer", ...]``, ...). A request that
changes something needs a read-write key holding the permission its endpoint
belongs to; otherwise Bybit answers 10005 "Permission denied, please check your
API key permissions.". Reading (every GET) needs nothing more than a valid key.

``POST /v5/user/update-api`` changes the calling key (``readOnly``, and any
``permissions`` group it sends). :data:`WRITES` maps each endpoint that changes
something to the permission it needs, by category where that matters.

Chosen where Bybit's docs are silent: a key may always call ``update-api`` on
itself (on Bybit a locked-out key is replaced on the website; a restart of the
local exchange gives every key its defaults back).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from bybit_spec.errors import PERMISSION_DENIED

from .errors import BybitError, param_error

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "ContractTrade": ["Order", "Position"],
    "Spot": ["SpotTrade"],
    "Wallet": ["AccountTransfer", "SubMemberTransferList"],
    "Options": ["OptionsTrade"],
    "Derivatives": ["DerivativesTrade"],
    "CopyTrading": [],
    "BlockTrade": [],
    "Exchange": ["ExchangeHistory"],
    "NFT": [],
    "Affiliate": [],
    "Earn": [],
    "FiatP2P": [],
    "FiatBitPay": [],
    "FiatConvertBroker": [],
    "BitCard": [],
    "ByXPost": [],
}
"""A new key's permissions (what query-api shows for a fresh read-write key)."""

_ORDER = {"spot": ("Spot", "SpotTrade"), "*": ("ContractTrade", "Order")}
_POSITION = {"*": ("ContractTrade", "Position")}

WRITES: dict[str, dict[str, tuple[str, str]]] = {
    **{f"/v5/order/{name}": _ORDER for name in ("create", "amend", "cancel", "cancel-all", "create-batch",
                                                "amend-batch", "cancel-batch", "disconnected-cancel-all")},
    **{f"/v5/position/{name}": _POSITION for name in ("set-leverage", "switch-mode", "trading-stop",
                                                      "set-auto-add-margin", "add-margin", "set-risk-limit")},
    "/v5/account/set-margin-mode": _POSITION,
    "/v5/asset/transfer/inter-transfer": {"*": ("Wallet", "AccountTransfer")},
    # sub-accounts and their keys (members.py): Bybit takes any of Account Transfer, Subaccount Transfer
    # or Withdrawal; a course key holds Account Transfer. universal-transfer checks its own (universal.py).
    **{f"/v5/user/{name}": {"*": ("Wallet", "AccountTransfer")}
       for name in ("create-sub-member", "create-sub-api", "frozen-sub-member", "del-submember",
                    "update-sub-api", "delete-sub-api", "delete-api", "agreement")},
    "/v5/asset/transfer/save-transfer-sub-member": {"*": ("Wallet", "AccountTransfer")},
}
"""Endpoint -> category (or ``*``) -> the (group, permission) a key needs to call it."""


@dataclass
class KeySettings:
    """One key's settings (``/v5/user/query-api`` shows them)."""

    read_only: bool = False
    permissions: dict[str, list[str]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_PERMISSIONS))

    def allows(self, path: str, category: str) -> bool:
        """May this key call ``path`` (for ``category``)?"""
        needs = WRITES.get(path)
        if needs is None:
            return True
        if self.read_only:
            return False
        group, permission = needs.get(category) or needs["*"]
        return permission in self.permissions.get(group, [])

    def update(self, read_only: Any, permissions: Any) -> None:
        """Apply an ``update-api`` request: ``readOnly`` 0/1, and any permission groups sent."""
        if read_only is not None and read_only != "":
            if str(read_only) not in ("0", "1"):
                raise param_error("params error: readOnly invalid (0: read and write, 1: read only)")
            self.read_only = str(read_only) == "1"
        if permissions is None or permissions == "":
            return
        if not isinstance(permissions, dict) or not all(
                isinstance(v, list) and all(isinstance(x, str) for x in v) for v in permissions.values()):
            raise param_error('params error: permissions must be an object of lists, e.g. {"Spot": ["SpotTrade"]}')
        unknown = sorted(set(permissions) - set(DEFAULT_PERMISSIONS))
        if unknown:
            raise param_error(f"params error: permissions has unknown groups {unknown}")
        for group, granted in permissions.items():
            self.permissions[group] = list(dict.fromkeys(granted))


def permission_denied() -> BybitError:
    return BybitError(PERMISSION_DENIED, "Permission denied, please check your API key permissions.")


def check(settings: KeySettings, path: str, category: Any) -> None:
    """10005 unless the key may call ``path`` for ``category``."""
    if not settings.allows(path, category if isinstance(category, str) else "*"):
        raise permission_denied()
