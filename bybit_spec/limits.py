"""Bybit's rate limits, as numbers (``reference/rate-limits.md`` §1-4).

Two layers on REST:

* **per IP address**: at most :data:`IP_REQUESTS` requests in any rolling
  :data:`IP_WINDOW_MS` window, every REST call together. Going over answers
  **HTTP 403** and bans the address for :data:`IP_BAN_MS`.
* **per account (UID) and endpoint** (and per ``category`` on trade
  endpoints), over a rolling :data:`ENDPOINT_WINDOW_MS` window: the table
  :data:`ENDPOINT_LIMITS`. Going over answers HTTP 200 with **retCode 10006**;
  every private reply carries the three :data:`LIMIT_HEADERS`.

The local exchange enforces these numbers (its ``bybit`` profile);
:mod:`helpers.limits` shows them as tables. Sources: V5 *Rate Limit Rules*
(``docs/v5/rate-limit``; the IP numbers since 2024-02, the ban wording of 2025).
"""
from __future__ import annotations

from collections.abc import Mapping

EndpointLimit = int | Mapping[str, int]
"""One number for every category, or one per category (``"*"``: any other category)."""

IP_REQUESTS = 600
"""Requests allowed per IP address within any :data:`IP_WINDOW_MS` (all REST calls together)."""

IP_WINDOW_MS = 5_000
"""The rolling window of the IP limit (ms)."""

IP_BAN_MS = 600_000
"""How long an address is banned after breaking the IP limit: "at least 10 minutes"."""

ENDPOINT_WINDOW_MS = 1_000
"""The rolling window of the per-UID, per-endpoint limits ("per second")."""

DEFAULT_GET = 50
"""Per-second limit of a private GET the table does not name."""

DEFAULT_POST = 10
"""Per-second limit of a private POST the table does not name."""

_TRADE: Mapping[str, int] = {"linear": 10, "inverse": 10, "option": 10, "spot": 20, "*": 10}

ENDPOINT_LIMITS: Mapping[str, EndpointLimit] = {
    "/v5/order/create": _TRADE,
    "/v5/order/amend": {"linear": 10, "inverse": 10, "option": 10, "spot": 10, "*": 10},
    "/v5/order/cancel": _TRADE,
    "/v5/order/cancel-all": {"linear": 10, "inverse": 10, "option": 1, "spot": 20, "*": 10},
    "/v5/order/create-batch": _TRADE,
    "/v5/order/amend-batch": _TRADE,
    "/v5/order/cancel-batch": _TRADE,
    "/v5/order/realtime": 50,
    "/v5/order/history": 50,
    "/v5/execution/list": 50,
    "/v5/position/list": 50,
    "/v5/position/closed-pnl": 50,
    "/v5/position/set-leverage": 10,
    "/v5/position/switch-mode": 10,
    "/v5/position/trading-stop": 10,
    "/v5/account/wallet-balance": 50,
    "/v5/account/info": 50,
    "/v5/account/transaction-log": 25,
    "/v5/account/fee-rate": 5,
    "/v5/user/query-api": 10,
    # sub-accounts, their keys, universal transfers (the per-minute ones, query-sub-member-list 60/min and the
    # sub deposit address and records 300/min, do not fit the one-second window and keep the GET default)
    "/v5/user/create-sub-member": 1,
    "/v5/user/create-sub-api": 1,
    "/v5/user/frozen-sub-member": 5,
    "/v5/user/update-sub-api": 5,
    "/v5/user/delete-api": 5,
    "/v5/user/delete-sub-api": 5,
    "/v5/user/del-submember": 5,
    "/v5/user/query-sub-members": 10,
    "/v5/user/submembers": 5,
    "/v5/user/escrow_sub_members": 5,
    "/v5/user/sub-apikeys": 10,
    "/v5/user/aff-customer-info": 10,
    "/v5/user/agreement": 20,
    "/v5/user/invitation/referrals": 10,
    "/v5/asset/transfer/universal-transfer": 5,
    "/v5/asset/transfer/query-universal-transfer-list": 5,
    "/v5/asset/transfer/save-transfer-sub-member": 20,
}
"""Per-UID limits per second, default account level: path -> number, or category -> number.

Market-data endpoints (``/v5/market/...``) have none: only the IP limit applies to them.
"""

LIMIT_HEADERS: dict[str, str] = {
    "X-Bapi-Limit": "the endpoint's limit (requests per window)",
    "X-Bapi-Limit-Status": "requests left in the current window",
    "X-Bapi-Limit-Reset-Timestamp": "when a refused caller may try again (ms); otherwise simply the current time",
}
"""The three rate-limit headers of every private reply, and what each means."""


def endpoint_limit(path: str, category: str, method: str = "GET",
                   table: Mapping[str, EndpointLimit] = ENDPOINT_LIMITS,
                   default_get: int = DEFAULT_GET, default_post: int = DEFAULT_POST) -> int:
    """The per-second limit of ``path`` for ``category``; a path not in the table gets the default for ``method``.

    ``table`` and the defaults are Bybit's unless given (the local exchange passes
    its lower "teaching" numbers the same way).

    >>> endpoint_limit("/v5/order/create", "spot"), endpoint_limit("/v5/order/foo", "linear", "POST")
    (20, 10)
    """
    limit = table.get(path)
    if limit is None:
        return default_post if method == "POST" else default_get
    if isinstance(limit, int):
        return limit
    return limit.get(category, limit.get("*", default_post))
