"""Ready-to-use pybit sessions for the environment ``BYBIT_ENV`` chooses.

::

    from helpers import connect
    session = connect.http()            # a pybit.unified_trading.HTTP
    session.get_server_time()

The same cell works in every environment (see :mod:`helpers.config`):

``local`` (default)
    starts the course's local exchange on a free loopback port the first time
    it is needed (running the cell again reuses it; it stops when the kernel
    exits) and returns ``HTTP(api_key="demo-api-key", api_secret="demo-api-secret")``
    pointed at it. With ``BYBIT_LOCAL_URL`` set, the shared server at that
    address is used instead and nothing is started.
``testnet`` / ``demo``
    ``HTTP(testnet=True, ...)`` / ``HTTP(demo=True, ...)`` with your keys.
``mainnet``
    ``HTTP(...)`` with your keys. Unless ``BYBIT_ALLOW_MAINNET_ORDERS=1`` is set,
    the session is a :class:`GuardedHTTP`: reading data and cancelling work,
    but every method that places or amends an order raises
    :class:`MainnetOrdersDisabled` before anything is sent.

The module is organised around one question, "which base address and which keys
for this environment?" (:func:`_local_base_url` and :mod:`helpers.urls`). REST
sessions (:func:`http`) answer it with ``urls.rest_url``; WebSocket connections
for a channel answer it with ``urls.ws_url(env, channel, local_url=...)`` and
use the same local exchange.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import pybit
from pybit.unified_trading import HTTP

from . import config, logs
from .exchange.settings import ExchangeConfig

ORDER_METHODS: tuple[str, ...] = (
    "place_order",
    "amend_order",
    "place_batch_order",
    "amend_batch_order",
    "set_trading_stop",      # creates take-profit / stop-loss orders on a position
    "spread_place_order",
    "spread_amend_order",
)
"""pybit HTTP methods that create or change orders: refused on mainnet without the opt-in.

Cancelling (``cancel_order``, ``cancel_all_orders``, ``cancel_batch_order``)
stays allowed: it can only reduce risk. ``pre_check_order`` only calculates
margin and places nothing.
"""

_lock = threading.Lock()
_exchange: Any = None   # the LocalExchange started in this kernel (helpers.exchange.runner)


class MainnetOrdersDisabled(PermissionError):
    """A mainnet session was asked to place or amend an order without ``BYBIT_ALLOW_MAINNET_ORDERS=1``."""


def _refuse(name: str) -> Callable[..., Any]:
    def refused(self: HTTP, **kwargs: Any) -> Any:
        raise MainnetOrdersDisabled(
            f"{name}() was refused: this session talks to Bybit mainnet, where orders use real money, "
            f"and the course does not place them there unless you ask it to. "
            f"If you really mean to, set {config.ALLOW_ORDERS_VARIABLE}=1 (environment variable or .env) "
            f"and create the session again with helpers.connect.http(). "
            f"To practise, use BYBIT_ENV=local, testnet or demo. Nothing was sent."
        )

    refused.__name__ = name
    refused.__qualname__ = f"GuardedHTTP.{name}"
    refused.__doc__ = (f"Refused on mainnet unless {config.ALLOW_ORDERS_VARIABLE}=1; "
                       f"raises MainnetOrdersDisabled without sending anything.")
    return refused


class GuardedHTTP(HTTP):
    """pybit's HTTP session for mainnet with order placement switched off.

    Everything else (market data, wallet, positions, cancelling) works as in
    ``HTTP``. The methods in :data:`ORDER_METHODS` raise
    :class:`MainnetOrdersDisabled`. Nothing inside pybit is patched: this is an
    ordinary subclass that overrides those methods.
    """


for _name in ORDER_METHODS:
    setattr(GuardedHTTP, _name, _refuse(_name))
del _name


def local_exchange(exchange_config: ExchangeConfig | None = None) -> Any:
    """The local exchange running in this kernel, started on first use.

    Returns a ``helpers.exchange.runner.LocalExchange``: ``.url`` is its address,
    ``.wire.entries(5)`` the last five requests it received (API key masked).
    Calling it again returns the same running exchange. Pass an
    ``ExchangeConfig`` (e.g. ``ExchangeConfig(limits="teaching")``) to get one with
    different settings: if the running one differs, it is stopped and a new one
    started, and sessions made earlier keep pointing at the old, stopped address.
    The exchange stops by itself when Python exits.
    """
    global _exchange
    from .exchange.runner import LocalExchange  # imported here: only local needs the server

    wanted = exchange_config or ExchangeConfig()
    with _lock:
        current = _exchange
        if current is not None and exchange_config is not None and current.config != wanted:
            current.stop()
            current = None
        if current is None:
            current = LocalExchange(wanted)
        if not current.running:
            current.start()
        _exchange = current
        return current


def stop_local_exchange() -> None:
    """Stop the local exchange started in this kernel, if any (the next session starts a fresh one)."""
    global _exchange
    with _lock:
        if _exchange is not None:
            _exchange.stop()
            _exchange = None


def _local_base_url(settings: config.Settings) -> str:
    """The local exchange's ``http://host:port``: the shared server's, or the one in this kernel."""
    return settings.local_url or local_exchange().url


_ENVIRONMENT_ARGUMENTS = ("testnet", "demo")


def http(**kwargs: Any) -> HTTP:
    """A ``pybit.unified_trading.HTTP`` session for the chosen environment.

    Keyword arguments go to ``HTTP`` unchanged (``recv_window=``,
    ``return_response_headers=True``, ``log_requests=True``, ...). ``api_key``
    and ``api_secret`` may be given to override the configured keys, for
    example to see the error a wrong key produces. ``testnet=`` and ``demo=``
    are refused: the environment is chosen with ``BYBIT_ENV``.

    For ``local`` the session is created exactly as for Bybit, then its address
    is changed::

        session = HTTP(api_key="demo-api-key", api_secret="demo-api-secret")
        session.endpoint = "http://127.0.0.1:54321"

    pybit has no argument for a base URL; it stores ``https://api.bybit.com`` (or
    the testnet/demo host) in ``session.endpoint`` and reads that attribute on
    every call. Overwriting it is the only thing that differs from testnet: the
    signing, headers, retries and error handling are all pybit's own.
    """
    clash = [name for name in _ENVIRONMENT_ARGUMENTS if name in kwargs]
    if clash:
        raise TypeError(
            f"http() chooses the environment from BYBIT_ENV, so {', '.join(clash)}= cannot be passed; "
            f"set BYBIT_ENV=testnet or BYBIT_ENV=demo instead (in the environment or .env)"
        )
    logs.setup_logging()
    settings = config.settings()
    kwargs.setdefault("api_key", settings.api_key)
    kwargs.setdefault("api_secret", settings.api_secret)
    if settings.env == "local":
        base = _local_base_url(settings)
        session = HTTP(**kwargs)
        session.endpoint = base
        return session
    guarded = settings.env == "mainnet" and not settings.allow_mainnet_orders
    cls = GuardedHTTP if guarded else HTTP
    return cls(testnet=settings.env == "testnet", demo=settings.env == "demo", **kwargs)


def session_info() -> dict[str, str]:
    """What the notebook is connected to, safe to print: env, REST URL, masked key, order switch, pybit version.

    For ``local`` this starts the local exchange if needed, so the URL shown is
    the one sessions will use.
    """
    settings = config.settings()
    rest = _local_base_url(settings) if settings.env == "local" else settings.rest_url or ""
    if settings.env == "local":
        where = "shared local exchange" if settings.local_url else "local exchange in this kernel"
    else:
        where = {"testnet": "Bybit testnet", "demo": "Bybit demo trading", "mainnet": "Bybit mainnet (real money)"}[
            settings.env]
    if settings.env != "mainnet":
        orders = "allowed"
    elif settings.allow_mainnet_orders:
        orders = f"ALLOWED on mainnet ({config.ALLOW_ORDERS_VARIABLE}=1)"
    else:
        orders = f"refused (set {config.ALLOW_ORDERS_VARIABLE}=1 to allow)"
    return {
        "env": settings.env,
        "where": where,
        "rest_url": rest,
        "api_key": config.mask(settings.api_key),
        "orders": orders,
        "pybit": pybit.VERSION,
    }
