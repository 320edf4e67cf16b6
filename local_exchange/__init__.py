"""The local exchange: a small server that speaks Bybit's V5 protocol on your own machine.

Bybit's real servers are not always reachable (no network in a classroom, no API
keys yet, testnet down, CI without internet), so the course runs its own
imitation. It answers on Bybit's own paths (``/v5/market/kline``,
``/v5/order/create`` ...) with Bybit's own envelope, error codes, signature check
and rate-limit headers, so ``pybit`` talks to it over real sockets with only its
address changed::

    from pybit.unified_trading import HTTP
    from local_exchange import LocalExchange

    exchange = LocalExchange().start()             # background thread, free port
    session = HTTP(api_key="demo-api-key", api_secret="demo-api-secret")
    session.endpoint = exchange.url
    session.get_wallet_balance(accountType="UNIFIED")
    exchange.wire.entries(1)                       # what pybit actually sent
    exchange.stop()

What it holds:

* a **market** whose price history is a pure function of (seed, symbol, time),
  so the same kline request returns the same rows on every machine;
* **accounts**: the built-in demo key (``demo-api-key`` / ``demo-api-secret``,
  refused from other machines) with a unified wallet of test funds; orders
  match against the book and fills update orders, positions and wallet;
* Bybit's **rate limits** (or low "teaching" ones) with the real headers, and
  the 403 IP ban;
* a **wire log** of every request it saw, at ``GET /local/wire``. Everything
  that is not Bybit's lives under ``/local/``.

From a shell, for a whole classroom: ``python -m local_exchange --help``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig

if TYPE_CHECKING:
    from .app import create_app
    from .runner import LocalExchange

__all__ = ["LocalExchange", "ExchangeConfig", "create_app", "DEMO_API_KEY", "DEMO_API_SECRET"]


def __getattr__(name: str) -> Any:
    """Import the web server (aiohttp and every feed) only when it is asked for.

    ``import local_exchange.settings`` stays cheap this way: it pulls in no aiohttp.
    """
    if name == "LocalExchange":
        from .runner import LocalExchange
        return LocalExchange
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(f"module 'local_exchange' has no attribute {name!r}")
