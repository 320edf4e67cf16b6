"""Fixed JSON shapes of an account, exactly as Bybit's V5 REST API writes them.

Nothing here computes: these are the answers whose form never depends on
trading (``/v5/account/info``, ``/v5/user/query-api``), filled with one
account's key, uid and creation time. The items that do depend on trading
(orders, executions, positions) are written by their records
(:mod:`local_exchange.records`); the wallet by :class:`~local_exchange.accounts.Account`.
"""
from __future__ import annotations

from typing import Any

from .numbers import iso_utc


def account_info(created_ms: int, margin_mode: str = "REGULAR_MARGIN") -> dict[str, Any]:
    """The result of ``/v5/account/info``: a UTA 2.0 account, in cross (``REGULAR_MARGIN``) or isolated margin."""
    return {
        "unifiedMarginStatus": 5,
        "marginMode": margin_mode,
        "isMasterTrader": False,
        "spotHedgingStatus": "OFF",
        "updatedTime": str(created_ms),
        "dcpStatus": "OFF",
        "timeWindow": 10,
        "smpGroup": 0,
    }


def api_key_info(api_key: str, uid: int, created_ms: int, read_only: bool,
                 permissions: dict[str, list[str]], parent_uid: int = 0, note: str | None = None) -> dict[str, Any]:
    """The result of ``/v5/user/query-api`` (and of ``update-api``): the key's settings, unbound to any IP.

    The secret is never shown (``""``), as on Bybit. ``parent_uid`` is the
    master's UID for a sub-account's key (``isMaster`` false), 0 for a master's.
    """
    created = iso_utc(created_ms)
    return {
        "id": str(uid * 10 + 1),
        "note": "local exchange key" if note is None else note,
        "apiKey": api_key,
        "readOnly": 1 if read_only else 0,
        "secret": "",
        "permissions": permissions,
        "ips": ["*"],
        "type": 1,
        "deadlineDay": -2,
        "expiredAt": "",
        "createdAt": created,
        "unified": 0,
        "uta": 1,
        "userID": uid,
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": parent_uid == 0,
        "parentUid": str(parent_uid),
        "kycLevel": "LEVEL_DEFAULT",
        "kycRegion": "",
        # the ids again as strings, for clients whose JSON numbers lose digits past 2**53
        "userIDInt64": str(uid),
        "inviterIDInt64": "0",
        "affiliateIDInt64": "0",
    }
