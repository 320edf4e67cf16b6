"""Bybit's rate limits, kept as data, with where each number comes from.

A notebook shows them with the ``*_table()`` functions (pandas DataFrames);
code reads the constants (the :class:`helpers.ratelimit.Limiter` paces itself
with :data:`IP_REQUESTS` per :data:`IP_WINDOW_S`).

There are two layers on REST, and separate rules for WebSockets:

* **per IP address**: at most 600 requests in any 5-second window, for every
  REST call together (public and private). Going over answers **HTTP 403**
  ("403, access too frequent") and bans the address for about 10 minutes.
* **per account (UID) and endpoint**: e.g. 10 orders per second on linear.
  Going over answers HTTP 200 with **retCode 10006** "Too many visits!", and
  every private reply says how much is left in three ``X-Bapi-Limit*`` headers.
* **WebSocket**: limits on new connections and on what one connection may
  subscribe to; once subscribed, updates cost nothing against the REST limits.

Older tutorials (2021-2022) quote "50 requests per second for 2 minutes, 70
requests per second for 5 seconds": that was the IP limit of the pre-V5
(inverse/linear v2) API, replaced in 2023. :func:`history_table` sets the old
numbers beside today's.

Sources: Bybit's V5 docs, *Rate Limit Rules* (``docs/v5/rate-limit``) and its
change history, *Connect* (``docs/v5/websocket/wss-authentication``), and the
retired v2 docs (``bybit-exchange/docs-legacy``, ``locales/en.yml``). The course
keeps a summary in ``reference/rate-limits.md`` (sections 1 to 5).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bybit_spec import limits as spec
from bybit_spec.limits import LIMIT_HEADERS  # shown by headers_table

# The numbers are written down once, in bybit_spec.limits; the local exchange enforces the same ones.
IP_REQUESTS = spec.IP_REQUESTS
"""Requests allowed per IP address within any :data:`IP_WINDOW_S` seconds (all REST calls together)."""

IP_WINDOW_S = spec.IP_WINDOW_MS / 1000
"""The rolling window of the IP limit, in seconds."""

IP_BAN_S = spec.IP_BAN_MS // 1000
"""How long an address is banned after breaking the IP limit: "at least 10 minutes"."""

ENDPOINT_WINDOW_S = spec.ENDPOINT_WINDOW_MS / 1000
"""The rolling window of the per-UID, per-endpoint limits ("per second")."""


@dataclass(frozen=True)
class EndpointLimit:
    """One row of the per-UID table: ``limit`` requests per second on ``path`` (for ``category``)."""

    method: str
    path: str
    category: str        # "all" when every category shares one number
    limit: int           # per second, default account level
    upgradable: bool     # Bybit raises it on request (VIP levels, market makers)


_TRADE = ("inverse", "linear", "option", "spot")


def _per_category(path: str, upgradable: bool = True) -> list[EndpointLimit]:
    return [EndpointLimit("POST", path, cat, spec.endpoint_limit(path, cat, "POST"), upgradable) for cat in _TRADE]


def _row(method: str, path: str, category: str = "all") -> EndpointLimit:
    return EndpointLimit(method, path, category, spec.endpoint_limit(path, category.split(", ")[0], method), False)


ENDPOINTS: tuple[EndpointLimit, ...] = (
    *_per_category("/v5/order/create"),
    *_per_category("/v5/order/amend"),
    *_per_category("/v5/order/cancel"),
    *_per_category("/v5/order/cancel-all"),
    *_per_category("/v5/order/create-batch"),
    _row("GET", "/v5/order/realtime"),
    _row("GET", "/v5/order/history"),
    _row("GET", "/v5/execution/list"),
    _row("GET", "/v5/position/list", "inverse, linear, option"),
    _row("POST", "/v5/position/set-leverage", "inverse, linear"),
    _row("POST", "/v5/position/trading-stop", "inverse, linear, option"),
    _row("GET", "/v5/account/wallet-balance"),
    _row("GET", "/v5/account/info"),
    _row("GET", "/v5/account/fee-rate"),
    _row("GET", "/v5/user/query-api"),
)
"""Per-UID, per-endpoint limits (per second) a learner meets; ``reference/rate-limits.md`` §2 has the full list.

Market-data endpoints (``/v5/market/...``) have no per-UID limit: only the IP limit applies to them.
"""


@dataclass(frozen=True)
class Rule:
    """One rule with its number, its unit, and where it is written down."""

    rule: str
    value: str
    source: str


IP_RULES: tuple[Rule, ...] = (
    Rule("requests per IP, all REST endpoints together", f"{IP_REQUESTS} in any {IP_WINDOW_S:g} s window",
         "Rate Limit Rules, 'HTTP IP limit' (since 2024-02)"),
    Rule("answer when over it", "HTTP 403 \"403, access too frequent\"", "Rate Limit Rules"),
    Rule("ban after a violation", "at least 10 minutes, lifted automatically", "Rate Limit Rules (2025 wording)"),
    Rule("per account (UID) and endpoint", "rolling 1 s window, see the endpoint table",
         "Rate Limit Rules, 'API rate limit'"),
    Rule("answer when over it", "HTTP 200, retCode 10006 \"Too many visits!\"", "Rate Limit Rules"),
)
"""The REST rules of today (``reference/rate-limits.md`` §1-3)."""

WEBSOCKET_RULES: tuple[Rule, ...] = (
    Rule("new connections per IP", "500 within 5 minutes, counted per WebSocket domain", "Connect; Rate Limit Rules"),
    Rule("open market-data connections per IP", "1,000 per category (spot, linear, inverse, option)",
         "Rate Limit Rules (1,500 until 2025-04)"),
    Rule("args per public connection", "21,000 characters in total", "Connect"),
    Rule("topics per subscribe request (spot)", "10", "Connect"),
    Rule("topics per connection (option)", "2,000", "Connect"),
    Rule("topics per connection (linear, inverse)", "no limit for now", "Connect"),
    Rule("heartbeat", "send {\"op\": \"ping\"} every 20 s", "Connect"),
    Rule("idle private connection", "closed after 10 min without ping or data", "Connect"),
    Rule("order entry over /v5/trade", "3,000 requests per second per IP (10403)", "WebSocket Trade Guideline"),
)
"""WebSocket limits (``reference/rate-limits.md`` §4). Updates pushed on a subscription cost no REST budget."""

HISTORY: tuple[tuple[str, str, str, str], ...] = (
    ("2020 to 2022 (v2 API)", "GET/DELETE: 50 req/s for 2 consecutive minutes, 70 req/s for 5 consecutive seconds; "
     "POST: 20 req/s for 2 min, 50 req/s for 5 s", "403 Access denied; 'usually 30 minutes'",
     "docs-legacy locales/en.yml ip_rate_para_understanding (rate-limits.md §5)"),
    ("2023-01 (V5 launch)", "the same v2 numbers, copied", "about 30 minutes, permanent if repeated",
     "V5 Rate Limit Rules, first version (rate-limits.md §1)"),
    ("2023-02-28", "120 req/s for 5 consecutive seconds, GET and POST shared", "about 30 minutes",
     "V5 Rate Limit Rules history (rate-limits.md §1)"),
    ("2023-11-01", "120 requests in any 5-second window", "about 30 minutes",
     "V5 Rate Limit Rules history (rate-limits.md §1)"),
    ("2024-02-08", "600 requests in any 5-second window", "about 30 minutes",
     "V5 Rate Limit Rules history (rate-limits.md §1)"),
    ("today (2025 wording)", "600 requests in any 5-second window", "at least 10 minutes, lifted automatically",
     "V5 Rate Limit Rules (rate-limits.md §1)"),
)
"""How the IP limit changed: (period, limit, ban, source)."""


def ip_table() -> pd.DataFrame:
    """Today's REST rules, IP and per-endpoint layers (columns rule, value, source)."""
    return pd.DataFrame([r.__dict__ for r in IP_RULES], columns=["rule", "value", "source"])


def endpoint_table() -> pd.DataFrame:
    """The per-UID, per-endpoint limits (columns method, path, category, per_second, upgradable)."""
    rows = [{"method": e.method, "path": e.path, "category": e.category, "per_second": e.limit,
             "upgradable": e.upgradable} for e in ENDPOINTS]
    return pd.DataFrame(rows, columns=["method", "path", "category", "per_second", "upgradable"])


def websocket_table() -> pd.DataFrame:
    """The WebSocket connection and subscription limits (columns rule, value, source)."""
    return pd.DataFrame([r.__dict__ for r in WEBSOCKET_RULES], columns=["rule", "value", "source"])


def history_table() -> pd.DataFrame:
    """The IP limit through time, the numbers older tutorials quote first (columns period, ip_limit, ban, source)."""
    return pd.DataFrame(HISTORY, columns=["period", "ip_limit", "ban", "source"])


def headers_table() -> pd.DataFrame:
    """The three ``X-Bapi-Limit*`` headers and what each means (columns header, meaning)."""
    return pd.DataFrame(list(LIMIT_HEADERS.items()), columns=["header", "meaning"])


def endpoint_limit(path: str, category: str = "linear") -> int | None:
    """Today's per-second limit of ``path`` for ``category``, or None if the table has no row for it.

    ``endpoint_limit("/v5/order/create", "spot")`` is 20. Market-data paths give
    None: only the IP limit applies to them.
    """
    for e in ENDPOINTS:
        if e.path == path and (e.category == category or e.category == "all"
                               or category in e.category.split(", ")):
            return e.limit
    return None
