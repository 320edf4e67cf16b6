"""Typed keys for the state one aiohttp application holds.

Set once in :func:`local_exchange.app.create_app`; handlers read them with
``request.app[MARKET]`` and so on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:  # imported for type checkers only, to keep imports acyclic
    from .accounts import Account, Accounts
    from .feeds import Feeds
    from .limits import RateLimiter
    from .market import Market
    from .params import Params
    from .settings import ExchangeConfig
    from .wirelog import WireLog
    from .ws_common import Connection

CONFIG: web.AppKey[ExchangeConfig] = web.AppKey("config")
MARKET: web.AppKey[Market] = web.AppKey("market")
ACCOUNTS: web.AppKey[Accounts] = web.AppKey("accounts")
LIMITS: web.AppKey[RateLimiter] = web.AppKey("limits")
WIRE: web.AppKey[WireLog] = web.AppKey("wire")
WS_CONNECTIONS: web.AppKey[set[Connection]] = web.AppKey("ws_connections")  # open WebSockets (ws_common.py)
FEEDS: web.AppKey[Feeds] = web.AppKey("feeds")          # shared public-stream publishers (feeds.py)

# Keys set on each request by the middleware in app.py
PARAMS: web.RequestKey[Params] = web.RequestKey("params")        # Params over the query or JSON body
ACCOUNT: web.RequestKey[Account] = web.RequestKey("account")     # the signed-in Account, private endpoints only
