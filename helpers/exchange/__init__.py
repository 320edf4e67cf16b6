"""The local exchange: a small server that speaks Bybit's V5 protocol on your own machine.

Bybit's real servers are not always reachable (no network in a classroom, no API
keys yet, testnet down, CI without internet), so the course runs its own
imitation. It answers on Bybit's own paths (``/v5/market/kline``,
``/v5/order/create`` ...) with Bybit's own envelope, error codes, signature check
and rate-limit headers, so ``pybit`` talks to it over real sockets with only its
address changed::

    from pybit.unified_trading import HTTP
    from helpers.exchange import LocalExchange

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

From a shell, for a whole classroom: ``python -m helpers.exchange --help``.
"""
from .app import create_app
from .runner import LocalExchange
from .settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig

__all__ = ["LocalExchange", "ExchangeConfig", "create_app", "DEMO_API_KEY", "DEMO_API_SECRET"]
