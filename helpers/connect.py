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

WebSockets: :func:`websocket` returns pybit's ``WebSocket`` (a public channel
or ``private``) or ``WebSocketTrading`` (``trade``) for the same environment;
for ``local`` it dials the same local exchange. Its sockets pause between
reconnection attempts (:class:`ReconnectBackoff`), so a stream outlives a
server restart of several seconds; a refused topic or a raising callback is
printed and leaves the socket running, and a subscribe on a socket closed for
good raises with the cause instead of waiting forever (:class:`SubscriptionReport`).

The module is organised around one question, "which base address and which keys
for this environment?" (:func:`_local_base_url` and :mod:`helpers.urls`). REST
sessions (:func:`http`) answer it with ``urls.rest_url``; WebSocket connections
for a channel answer it with ``urls.ws_url(env, channel, local_url=...)`` and
use the same local exchange.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pybit
from pybit.unified_trading import HTTP, WebSocket, WebSocketTrading

from bybit_spec.topics import PUBLIC_CHANNELS
from local_exchange.settings import ExchangeConfig

from . import config, logs, stream, urls

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
_exchange: Any = None   # the LocalExchange started in this kernel (local_exchange.runner)


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

    Returns a ``local_exchange.runner.LocalExchange``: ``.url`` is its address,
    ``.wire.entries(5)`` the last five requests it received (API key masked).
    Calling it again returns the same running exchange. Pass an
    ``ExchangeConfig`` (e.g. ``ExchangeConfig(limits="teaching")``) to get one with
    different settings: if the running one differs, it is stopped and a new one
    started, and sessions made earlier keep pointing at the old, stopped address.
    The exchange stops by itself when Python exits.
    """
    global _exchange
    from local_exchange.runner import LocalExchange  # imported here: only local needs the server

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


def base_url() -> str:
    """The address :func:`http` and :func:`websocket` use on ``BYBIT_ENV=local``.

    The shared server's (``BYBIT_LOCAL_URL``) when one is set, otherwise the
    exchange in this kernel (started if needed). Notebooks build raw requests
    and raw WebSocket connections on it, so they reach the same server, with
    the same keys, as pybit does::

        urls.ws_url("local", "private", local_url=connect.base_url())
    """
    settings = config.settings()
    if settings.env != "local":
        raise config.ConfigError(f"base_url() is the local exchange's address, but BYBIT_ENV={settings.env}; "
                                 f"use urls.rest_url({settings.env!r}) or urls.ws_url({settings.env!r}, channel)")
    return _local_base_url(settings)


def wire(limit: int | None = None) -> list[dict[str, Any]]:
    """The last ``limit`` requests the local exchange received, oldest first (API keys masked).

    Each entry has ``method``, ``path``, ``query``, ``body``, ``headers``,
    ``status`` and ``retCode``: exactly what pybit put on the wire. Only the
    exchange in this kernel shows its log: a shared classroom server
    (``BYBIT_LOCAL_URL``) keeps every student's requests on the instructor's
    machine, so this raises and says how to see your own.
    """
    settings = config.settings()
    if settings.env != "local" or settings.local_url is not None:
        where = (f"the shared server {settings.local_url} keeps its log on its own machine"
                 if settings.env == "local" else f"Bybit's {settings.env} servers show no wire log")
        raise config.ConfigError(f"no wire log to show: {where}. To see what pybit sends, run this notebook "
                                 f"with BYBIT_ENV=local and without BYBIT_LOCAL_URL (a private exchange "
                                 f"starts in the kernel).")
    return local_exchange().wire.entries(limit)


def drop_websockets(channel: str | None = None, how: str = "lost") -> list[dict[str, Any]]:
    """Make the local exchange break this machine's WebSocket connections, to watch pybit recover.

    ``channel`` limits it to one channel (``"linear"``, ``"private"``, ...);
    every channel when None. ``how="lost"`` ends each connection with no
    close frame, as a failed network or a crashed server does: pybit reconnects
    and resubscribes (``restart_on_error=True``). ``how="close"`` sends a close
    frame first, as a server shutting down politely does (pybit reconnects after
    that too). Returns one dict per dropped connection (``channel``,
    ``connId``, ``topics``). Only your own connections are dropped, also on a
    shared classroom server (``POST /local/ws-drop``, see :mod:`local_exchange.ws_drops`).
    """
    import requests

    settings = config.settings()
    if settings.env != "local":
        raise config.ConfigError(f"drop_websockets() is a control of the local exchange; Bybit's {settings.env} "
                                 f"servers have none. To see a real drop, switch your wifi off for a minute "
                                 f"while a stream runs (notebook 04 says what happens then).")
    query = {"how": how, **({"channel": channel} if channel else {})}
    reply = requests.post(_local_base_url(settings) + "/local/ws-drop", params=query, timeout=10).json()
    if reply.get("retCode") != 0:
        raise ValueError(f"drop_websockets(): {reply.get('retMsg')}")
    return list(reply["result"]["dropped"])


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


# -- WebSocket ---------------------------------------------------------------------------------

WS_CHANNELS: tuple[str, ...] = urls.CHANNELS
"""Channels :func:`websocket` accepts: ``spot``, ``linear``, ``inverse``, ``option``, ``private``, ``trade``."""

PUBLIC_WS_CHANNELS: tuple[str, ...] = PUBLIC_CHANNELS

WS_DEFAULTS: dict[str, Any] = {
    "restart_on_error": True,     # reconnect and resubscribe after a dropped connection (pybit's default)
    "retries": 10,                # connection attempts before giving up (0 = forever), paused as ReconnectBackoff says
    "ping_interval": 20,          # seconds between pings, as Bybit asks
    "ping_timeout": 10,           # no pong within this → reconnect
    "private_auth_expire": 10,    # auth signature valid for 10 s (pybit's 1 s fails on a slow machine)
}
"""Defaults :func:`websocket` passes to pybit unless you pass your own value."""


log = logging.getLogger(__name__)


class ReconnectBackoff:
    """A pause between pybit's connection attempts: exponential backoff, bounded.

    pybit 5.17.0 reconnects a dropped socket (``restart_on_error=True``) by
    calling ``_connect`` again, which tries ``retries`` times *with no pause*:
    on loopback all ten attempts are refused within about 0.1 s, and pybit then
    gives up for good, so a server that restarts in two seconds is never found
    again. Mixed into pybit's ``WebSocket``/``WebSocketTrading``, this class
    waits after each refused attempt: :attr:`first_pause_s`, then twice as
    long each time, at most :attr:`max_pause_s`. With the course's 10 attempts
    a socket keeps trying for about 18 s (``retries=0`` tries forever, at
    ``max_pause_s`` apart); once connected it signs in and resubscribes as
    pybit always does.

    How: pybit runs each attempt in a thread and starts the next one when that
    thread ends. A refused attempt ends by calling ``_on_error`` in that thread,
    so the pause is taken there (only while ``attempting_connection`` is set;
    a dropped live connection is retried at once). ``exit()`` cuts a pause
    short and stops a reconnection that is under way: pybit's attempt loop
    ends when it sees a connection, so on the thread running that loop, and
    only there, ``is_connected()`` says yes once the user has closed the
    socket. Nothing of pybit's network code is replaced: only its policy
    methods (``_connect``, ``_on_error``, ``is_connected``, ``exit``) are overridden.
    """

    first_pause_s: float = 0.2
    max_pause_s: float = 3.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._failed_attempts = 0
        self._closed_by_user = False
        self._wake = threading.Event()
        self._internal = threading.local()      # set while pybit itself runs exit() on this thread
        super().__init__(*args, **kwargs)

    def pause_after(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th refused attempt in a row (1, 2, ...)."""
        return min(self.first_pause_s * 2 ** (failures - 1), self.max_pause_s)

    def _connect(self, url: str) -> None:
        previous = getattr(self._internal, "active", False)
        self._internal.active = True
        self._failed_attempts = 0
        try:
            super()._connect(url)  # type: ignore[misc]
        except Exception:
            if not self._closed_by_user:
                raise                        # pybit gave up: its own error, as without the backoff
        finally:
            self._internal.active = previous
        if self._closed_by_user:             # exit() was called while reconnecting: stay closed
            super().exit()  # type: ignore[misc]
        elif self._failed_attempts:
            # pybit's own exit() ran after each refused attempt and left "exited" set,
            # which would silence its custom pings on the new connection.
            self.exited = False

    def _on_error(self, error: BaseException) -> None:
        previous = getattr(self._internal, "active", False)
        self._internal.active = True
        try:
            if getattr(self, "attempting_connection", False) and not self._closed_by_user:
                self._failed_attempts += 1
                retries = getattr(self, "retries", 0)
                last = bool(retries) and self._failed_attempts >= retries     # pybit gives up now: no pause
                if not last:
                    pause = self.pause_after(self._failed_attempts)
                    log.info("WebSocket %s: connection attempt %d failed (%s); next in %.1f s",
                             getattr(self, "ws_name", "?"), self._failed_attempts, type(error).__name__, pause)
                    self._wake.wait(pause)
            super()._on_error(error)  # type: ignore[misc]
        finally:
            self._internal.active = previous

    def is_connected(self) -> bool:
        if self._closed_by_user and getattr(self._internal, "active", False):
            return True                      # ends pybit's attempt loop after exit() (see the class docstring)
        return bool(super().is_connected())  # type: ignore[misc]

    def exit(self) -> None:
        """Close the socket for good (also stops a reconnection under way)."""
        if not getattr(self._internal, "active", False):
            self._closed_by_user = True
            self._wake.set()
        super().exit()  # type: ignore[misc]


_DISCONNECTS = ("WebSocketConnectionClosedException", "ConnectionResetError", "WebSocketTimeoutException")
"""Errors after which pybit reconnects (``restart_on_error``); after any other error it closes for good."""


def _ignore(message: dict[str, Any]) -> None:
    """The callback for a message whose topic has none (e.g. one in flight after an unsubscribe)."""


class ClosedReason:
    """Remembers why a pybit socket closed for good, in ``ws.closed_because`` (``None`` while usable).

    pybit closes a socket without reconnecting when anything but a lost
    connection reaches its ``_on_error`` (a failed authentication, a
    ``callback_function=`` of your own raising, a message it cannot handle),
    when it gives up reconnecting, and on ``ws.exit()``. The first of these
    is recorded as one sentence naming the cause, and the ones pybit does on
    its own are printed (``ERROR helpers.connect: ...``) so they appear in the cell.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.closed_because: str | None = None
        super().__init__(*args, **kwargs)

    def _closed(self, cause: str, show: bool = True) -> None:
        if self.closed_because is None:
            self.closed_because = cause
            if show:
                log.error("WebSocket %s: %s", getattr(self, "ws_name", "?"), cause)

    def _on_error(self, error: BaseException) -> None:
        if type(error).__name__ not in _DISCONNECTS and not getattr(self, "attempting_connection", False):
            self._closed(stream.closing_cause(error))     # a refused connection attempt is retried: not this
        super()._on_error(error)  # type: ignore[misc]

    def _connect(self, url: str) -> None:
        try:
            super()._connect(url)  # type: ignore[misc]
        except Exception as error:
            self._closed(f"pybit gave up connecting to {getattr(self, 'endpoint', url)} after "
                         f"{getattr(self, 'retries', '?')} attempts ({type(error).__name__}); is the server "
                         f"running? create a new one")
            raise

    def exit(self) -> None:
        super().exit()  # type: ignore[misc]
        if getattr(self, "_closed_by_user", False):
            self._closed("it was closed with ws.exit(); create a new one", show=False)


class SubscriptionReport(ClosedReason):
    """No subscribe waits forever, and refused topics and raising callbacks are shown, not fatal.

    pybit 5.17.0 closes the socket for good when the server refuses a topic
    (its reply handler raises ``KeyError``: it looks up ``topic[0]`` of the
    JSON frame it sent), when a callback raises, or when a message arrives for
    a topic without a callback (one still in flight after an unsubscribe); the
    next ``ws.*_stream`` call then waits forever in
    ``while not self.is_connected(): sleep(0.1)``. Mixed in before pybit's
    class, this keeps the socket running in all three cases and says what happened:

    * a refused topic is printed once (``WARNING helpers.connect: the server
      refused topic orderbook.25.BTCUSDT: error:handler not found,topic:...``),
      kept in ``ws.refused_topics`` (topic -> the server's ``ret_msg``) and
      dropped from pybit's list, so it is not sent again on reconnect and may be
      subscribed again; accepted topics go to ``ws.confirmed_topics``;
    * every callback is wrapped with :func:`helpers.stream.guarded`: an exception
      is printed once per distinct error and counted in ``ws.callback_errors``;
    * a message for a topic without a callback is dropped.

    A subscribe on a socket that is closed anyway (see :class:`ClosedReason`)
    raises :class:`helpers.stream.SocketClosed` naming the cause: at once when
    the socket is closed for good, after :attr:`subscribe_timeout_s` when it is
    still not connected. Only pybit's policy methods are overridden
    (``subscribe``, ``is_connected``, ``_set_callback``, ``_get_callback``,
    ``_process_subscription_message``, ``_on_error``, ``_connect``, ``exit``).
    """

    subscribe_timeout_s: float = stream.CONNECT_WAIT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.refused_topics: dict[str, str] = {}
        self.confirmed_topics: set[str] = set()
        self.callback_errors = stream.CallbackErrors()
        self._subscribing = threading.local()
        self.channel = str(args[0]) if args else kwargs.get("channel_type", "")
        super().__init__(*args, **kwargs)

    def subscribe(self, topic: str, callback: Callable[[dict[str, Any]], Any], symbol: Any = False) -> None:
        symbols = [symbol] if isinstance(symbol, str) else list(symbol or [])
        wanted = [topic.format(symbol=s) for s in symbols] if symbols else [topic]
        self._subscribing.topics = ", ".join(wanted)
        for name in wanted:
            self.refused_topics.pop(name, None)      # asked again: wait for the server's new answer
        self._subscribing.deadline = time.monotonic() + self.subscribe_timeout_s
        try:
            super().subscribe(topic, callback, symbol)  # type: ignore[misc]
        finally:
            self._subscribing.deadline = None

    def is_connected(self) -> bool:
        connected = bool(super().is_connected())  # type: ignore[misc]
        deadline = getattr(self._subscribing, "deadline", None)
        if connected or deadline is None:
            return connected
        # pybit's subscribe() is waiting on this thread for a connection: bound the wait.
        gone = self.closed_because is not None and not getattr(self, "attempting_connection", False)
        if not gone and time.monotonic() < deadline:
            return False
        self._subscribing.deadline = None
        cause = self.closed_because or (f"still not connected after {self.subscribe_timeout_s:.1f} s (pybit is "
                                        f"reconnecting or has given up: is the server running?); create a new one")
        raise stream.SocketClosed(f"cannot subscribe to {self._subscribing.topics}: the socket is closed: {cause}")

    def _set_callback(self, topic: str, callback_function: Callable[[dict[str, Any]], Any]) -> None:
        super()._set_callback(topic, stream.guarded(callback_function, self.callback_errors, topic))  # type: ignore[misc]

    def _get_callback(self, topic: str) -> Callable[[dict[str, Any]], Any]:
        return self.callback_directory.get(topic, _ignore)  # type: ignore[attr-defined]

    def _process_subscription_message(self, message: dict[str, Any]) -> None:
        self.record_subscribe_reply(message)

    def record_subscribe_reply(self, message: dict[str, Any]) -> None:
        """Note the server's answer to a subscribe: accepted topics, or refused ones with its ``ret_msg``."""
        req_id = message.get("req_id")
        subscriptions: dict[str, str] = getattr(self, "subscriptions", {})
        frame = subscriptions.get(req_id) if req_id else None
        sent: list[str] = list(json.loads(frame).get("args", [])) if frame else []
        data = message.get("data") if isinstance(message.get("data"), dict) else {}
        assert isinstance(data, dict)
        failed = list(data.get("failTopics") or [])
        if message.get("success") is not False and not failed:
            self.confirmed_topics.update(data.get("successTopics") or sent)
            return
        reason = str(message.get("ret_msg") or "no reason given")
        named = [t for t in re.findall(r"topic:([^,\s]+)", reason) if t in sent]
        refused = failed or named or sent
        for topic in refused:
            log.warning("the server refused topic %s: %s", topic, reason)
        for topic in refused:
            self.refused_topics[topic] = reason
            self.callback_directory.pop(topic, None)  # type: ignore[attr-defined]
        if req_id in subscriptions and set(sent) <= set(refused):
            subscriptions.pop(req_id)            # nothing of it to resubscribe after a reconnect
        self.confirmed_topics.update(data.get("successTopics") or [])


class CourseWebSocket(SubscriptionReport, ReconnectBackoff, WebSocket):
    """pybit's ``WebSocket`` with :class:`SubscriptionReport` and :class:`ReconnectBackoff` (testnet, demo, mainnet)."""


class CourseWebSocketTrading(ClosedReason, ReconnectBackoff, WebSocketTrading):
    """pybit's ``WebSocketTrading`` with :class:`ClosedReason` and :class:`ReconnectBackoff` (testnet, mainnet).

    pybit's trading socket already catches exceptions from your callbacks.
    """


class LocalWebSocket(SubscriptionReport, ReconnectBackoff, WebSocket):
    """pybit's ``WebSocket``, dialling the local exchange instead of ``stream.bybit.com``.

    pybit keeps an address template (``wss://{SUBDOMAIN}.{DOMAIN}.com/v5/public/linear``)
    and fills it in inside ``_connect(url)``, called when the socket is created
    and again on every reconnect. This subclass overrides only ``_connect``, to
    hand pybit the local address (``ws://127.0.0.1:PORT/v5/public/linear``)
    instead; a URL without ``{...}`` passes pybit's formatting unchanged.
    Everything else (pings, auth, subscribing, reconnecting and resubscribing)
    is pybit's own code, with the pause between attempts of :class:`ReconnectBackoff`
    and the failure reports of :class:`SubscriptionReport`.
    """

    def __init__(self, channel_type: str, local_ws_url: str, **kwargs: Any) -> None:
        self.local_ws_url = local_ws_url
        super().__init__(channel_type, **kwargs)

    def _connect(self, url: str) -> None:
        super()._connect(self.local_ws_url)


class LocalWebSocketTrading(ClosedReason, ReconnectBackoff, WebSocketTrading):
    """pybit's ``WebSocketTrading`` (orders over ``/v5/trade``), dialling the local exchange.

    Same difference as :class:`LocalWebSocket`: ``_connect`` is handed the local
    address (and attempts are paused by :class:`ReconnectBackoff`).
    """

    def __init__(self, local_ws_url: str, **kwargs: Any) -> None:
        self.local_ws_url = local_ws_url
        super().__init__(**kwargs)

    def _connect(self, url: str) -> None:
        super()._connect(self.local_ws_url)


def _refuse_mainnet_trade() -> None:
    raise MainnetOrdersDisabled(
        f"websocket('trade') was refused: it opens order entry on Bybit mainnet, where orders use real money. "
        f"If you really mean to, set {config.ALLOW_ORDERS_VARIABLE}=1 (environment variable or .env). "
        f"To practise, use BYBIT_ENV=local or testnet. Nothing was sent."
    )


def websocket(channel: str, raw: bool = False, **kwargs: Any) -> WebSocket | WebSocketTrading:
    """A pybit WebSocket for ``channel`` in the chosen environment, connected and ready.

    ``channel`` is ``spot``, ``linear``, ``inverse`` or ``option`` (market data
    of that category), ``private`` (your orders, executions, positions,
    wallet; authenticated with the configured keys) or ``trade`` (placing
    orders over the socket: a ``WebSocketTrading``)::

        ws = connect.websocket("linear")
        ws.ticker_stream("BTCUSDT", callback)       # or helpers.stream.collect(ws, ...)
        ws.exit()                                   # close it when done

    Where it connects:

    ``local``    the local exchange (``ws://127.0.0.1:PORT/v5/...``), through
                 :class:`LocalWebSocket`, which differs from pybit's class only
                 in the address it dials.
    ``testnet``  ``testnet=True``.
    ``demo``     ``private`` with ``demo=True`` (``stream-demo``). Public channels
                 connect to **mainnet's** public stream: demo trading has no public
                 streams of its own (its market data is mainnet's), although pybit's
                 ``demo=True`` would dial ``stream-demo`` for them too. ``trade``
                 is refused: Bybit offers no WebSocket order entry on demo.
    ``mainnet``  the real exchange. ``trade`` is refused unless
                 ``BYBIT_ALLOW_MAINNET_ORDERS=1`` (as :func:`http` refuses orders).

    Keyword arguments go to pybit (``ping_interval=``, ``retries=``,
    ``trace_logging=True`` to print every frame, ...); :data:`WS_DEFAULTS` are
    used for those you leave out. ``testnet=`` and ``demo=`` are refused:
    ``BYBIT_ENV`` chooses.

    ``raw=True`` (public and private channels) asks pybit to pass every message
    on **as received** (pybit's ``callback_function=`` argument with a
    :class:`helpers.stream.RawRouter`): order-book and ticker deltas stay
    deltas, as :class:`helpers.orderbook.OrderBook` needs, instead of pybit's
    merged copy labelled ``"snapshot"``. Callbacks are still registered with
    ``ws.subscribe``/``ws.*_stream``; replies (subscribe, auth) collect in
    ``ws.course_router.replies``.
    """
    clash = [name for name in _ENVIRONMENT_ARGUMENTS if name in kwargs]
    if clash:
        raise TypeError(
            f"websocket() chooses the environment from BYBIT_ENV, so {', '.join(clash)}= cannot be passed; "
            f"set BYBIT_ENV=testnet or BYBIT_ENV=demo instead (in the environment or .env)"
        )
    if channel not in WS_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; choose one of: {', '.join(WS_CHANNELS)} "
                         f"(a public channel is the category: 'linear' for USDT perpetuals, 'spot', ...)")
    if raw and channel == "trade":
        raise ValueError("raw=True is for streams; the trade channel answers each request through its callback")
    logs.setup_logging()
    settings = config.settings()
    if settings.env == "demo" and channel == "trade":
        urls.ws_url("demo", "trade")          # raises ValueError explaining that demo has no WS order entry
    if settings.env == "mainnet" and channel == "trade" and not settings.allow_mainnet_orders:
        _refuse_mainnet_trade()
    options = {**WS_DEFAULTS, **kwargs, "testnet": settings.env == "testnet"}   # pybit requires testnet=
    if channel in ("private", "trade"):
        options.setdefault("api_key", settings.api_key)
        options.setdefault("api_secret", settings.api_secret)
    router = None
    if raw:
        router = stream.RawRouter()
        options["callback_function"] = router
    if settings.env == "local":
        address = urls.ws_url("local", channel, local_url=_local_base_url(settings))
        if channel == "trade":
            ws: Any = LocalWebSocketTrading(address, **options)
        else:
            ws = LocalWebSocket(channel, address, **options)
    else:
        if settings.env == "demo" and channel == "private":
            options["demo"] = True      # public channels stay on mainnet's stream (see above)
        ws = CourseWebSocketTrading(**options) if channel == "trade" else CourseWebSocket(channel, **options)
    if router is not None:
        router.ws = ws
        ws.course_router = router
    return ws
