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
  refused from other machines) with a unified wallet of test funds and a
  funding account; orders match against the book and fills update orders,
  positions and wallet, with one-way or hedge mode, cross or isolated margin,
  TP/SL, risk tiers, funding and liquidation; sub-accounts with their own keys;
* Bybit's **rate limits** (or low "teaching" ones) with the real headers, and
  the 403 IP ban;
* a **wire log** of every request it saw, at ``GET /local/wire``, with notes on
  mistakes Bybit answers in silence (``wirenotes``);
* ``POST /local/ws-drop``, which breaks the caller's WebSockets on demand
  (``ws_drops``), to watch pybit reconnect. Everything that is not Bybit's
  lives under ``/local/``.

From a shell, for a whole classroom: ``python -m local_exchange --help``.

Where things are (one module per subject):

* market data: ``market`` (prices, books, klines, tickers, trades), ``prices``,
  ``catalog`` (the instruments), ``book`` and ``book_effects`` (what traders do to
  it), ``feeds`` (the public streams), ``risk_limits``, ``premium_index``,
  ``volatility``, ``insurance``, ``deliveries``, ``account_ratio``, ``price_limits``,
  ``index_components``, ``fee_groups``, ``rpi_book``;
* trading: ``orders`` (reading a request), ``matching`` (what it does),
  ``triggers`` (conditional orders), ``tpsl``, ``batch``, ``position_mode``,
  ``isolated``, ``liquidation``, ``funding``, ``closed_pnl``, ``order_checks``,
  ``dcp``, ``unsupported``; the records and their JSON in ``records``;
* accounts and money: ``accounts``, ``account_settings``, ``keys``, ``members``
  (sub-accounts), ``ledger`` (the transaction log), ``transfers``, ``universal``,
  ``asset_book``, ``deposits``, ``withdrawals``, ``chains``, ``addresses``,
  ``convert``, ``small_balance``, ``fund_log``, ``overview``;
* the web layer: ``app``, ``routes_*`` (by endpoint group), ``ws_public``,
  ``ws_private``, ``ws_trade``, ``ws_common``, ``ws_drops``, ``auth``, ``envelope``,
  ``params``, ``limits``, ``wirelog``, ``wirenotes``, ``served`` (what is served,
  for the README), ``classroom``, ``runner``, ``state``.

Layers. The **model** (``market``, ``accounts``, ``records``, ``orders``, ``matching``,
``book``, ``prices``, ``catalog``, ``params``, ``errors``, ``limits``, ``feeds``,
``encoding``, ...) never imports aiohttp; the **web layer** (``app``,
``routes_*``, ``ws_*``, ``envelope``, ``wirelog``, ``runner``, ``state``) turns
requests into model calls. Facts of Bybit's protocol (intervals, depths, topics,
limits, error codes, the signature) come from :mod:`bybit_spec`; nothing here
imports :mod:`helpers`. ``tests/test_import_layers.py`` checks all of this.

How to add a REST endpoint, in this order:

1. Read the wire shape in Bybit's docs (and ``reference/rest.md``): path,
   method, parameters, the ``result`` JSON, the retCodes it answers with.
2. A fact of the protocol (a rate limit, a new error code, an interval) goes in
   :mod:`bybit_spec` first (``limits.ENDPOINT_LIMITS``, ``errors``); the error's
   constructor, if it needs one, in :mod:`.errors`.
3. The model: the state and the rule in ``market.py`` / ``accounts.py`` /
   ``orders.py`` / ``matching.py``, the JSON item beside its record (``records.py``) or in
   ``shapes.py`` for a fixed answer; parameters read with :class:`.params.Params`.
4. The handler: one ``@routes.get`` / ``@routes.post`` function in the
   ``routes_*.py`` module of its group that reads the request, calls the model
   and answers with :mod:`.envelope`.
5. Registration: a handler in an existing ``routes`` table is served at once; a
   new ``routes_*.py`` module goes into ``app.bybit_routes``. Then
   ``python course.py exchange --routes README.md`` rewrites the README's list
   of what is served, and a call in ``benchmarks/pybit_coverage.py`` (``CALLS``)
   shows the pybit method answering with the docs' keys and types.
6. Tests: the model in ``tests/test_<model>.py``, the wire (envelope, retCodes,
   rate-limit headers) in ``tests/test_routes_<area>.py``, and pybit's own call
   against a running exchange if a notebook uses it.

How to add a WebSocket topic, in this order:

1. Read the wire shape in Bybit's docs (and ``reference/websocket.md``): the
   topic's name, snapshot and delta messages, how often it is pushed.
2. The table in :mod:`bybit_spec` (``topics.py``, ``orderbook.py``,
   ``intervals.py``), which :mod:`helpers.topics` then accepts too.
3. The model: a public topic is parsed in ``feeds.parse_topic`` and served by a
   :class:`~.feeds.Feed` subclass (registered in the kind -> class table at the
   end of ``feeds.py``); a private topic is an account change that
   :class:`~.accounts.Account` emits (``matching.Changes.publish``).
4. The handler and registration: public streams need nothing more
   (``ws_public.py`` routes every feed); a private topic, once in
   ``bybit_spec.topics.PRIVATE_TOPICS``, needs its account change mapped in
   ``FEEDS`` in ``ws_private.py``.
5. Tests: ``tests/test_feeds.py`` for the messages, ``tests/test_ws_public.py``
   or ``tests/test_ws_private.py`` for subscribing over a real socket.
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
