"""Running the local exchange in the background of a notebook or a test.

::

    from local_exchange import LocalExchange

    with LocalExchange() as exchange:          # port 0: the system picks a free port
        print(exchange.url)                    # http://127.0.0.1:54321
        session = HTTP(api_key="demo-api-key", api_secret="demo-api-secret")
        session.endpoint = exchange.url        # pybit now talks to the local exchange
        session.get_wallet_balance(accountType="UNIFIED")

The server runs in a daemon thread with its own asyncio event loop, so the
notebook's cells (and pybit's blocking calls) keep running while it serves.
It listens with a backlog of :data:`LISTEN_BACKLOG` connections (a whole
classroom connecting at once is not made to retry), and a malformed request (an
``https://`` URL, a lowercase method, raw bytes in the path, an HTTP/2 preface)
costs one line in the log, not a traceback (:class:`MalformedRequestLog`).
:meth:`LocalExchange.start` returns only once the port accepts connections, and
raises here, in the caller, if it cannot start (for example a port in use).
The server stops with :meth:`LocalExchange.stop`, at the end of a ``with``
block, or when Python exits.
"""
from __future__ import annotations

import asyncio
import atexit
import errno
import logging
import sys
import threading
from collections.abc import Callable, MutableMapping
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from .app import create_app
from .settings import ExchangeConfig
from .state import WIRE
from .wirelog import WireLog

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
#: Connections the kernel queues before the server accepts them (aiohttp's default is 128).
#: Linux caps it at net.core.somaxconn (4096 on current kernels).
LISTEN_BACKLOG = 1024


class MalformedRequestLog(logging.LoggerAdapter):
    """aiohttp's server logger, with a request that is not HTTP/1.1 logged in one line.

    aiohttp logs every unparsable request (a TLS ClientHello from an ``https://``
    URL, ``get`` in lowercase, raw bytes in the path, an HTTP/2 preface) with a
    full traceback at ERROR. On a classroom server one student's typo would flood
    the instructor's terminal, so those become one WARNING line naming the client
    and the problem. Every other record (a real bug) passes through unchanged.
    """

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        info = kwargs.get("exc_info")
        error = info if isinstance(info, BaseException) else sys.exc_info()[1] if info is True else None
        if isinstance(error, HttpProcessingError):
            if self.logger.isEnabledFor(logging.WARNING):
                text = str(msg) % args if args else str(msg)
                self.logger.warning("%s: malformed HTTP request refused (%s: %s)", text,
                                    type(error).__name__, _first_line(error.message))
            return
        self.logger.log(level, msg, *args, **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs


def _first_line(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else "unparsable request"
    line = line.rstrip(":")
    if line.startswith("Received HTTPS traffic"):
        line += "; the local exchange speaks http:// and ws://"
    return line[:200]


class ExchangeStartError(RuntimeError):
    """The local exchange could not start; the message says why and what to do."""


def _explain(error: BaseException, host: str, port: int) -> str:
    if isinstance(error, OSError) and error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1), 10048):
        return (f"port {port} on {host} is already in use (another local exchange, or another program). "
                f"Stop that one, choose another port (--port / ExchangeConfig(port=...)), "
                f"or use port 0 to let the system pick a free port.")
    if isinstance(error, OSError) and error.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
        return (f"cannot listen on {host}:{port} ({error.strerror}). Use host 127.0.0.1 for this "
                f"machine only, 0.0.0.0 for every network interface, and a port above 1024.")
    return f"could not start on {host}:{port}: {error!r}"


class LocalExchange:
    """One local exchange server running in a background thread.

    ``.url``, ``.host`` and ``.port`` say where it listens (the real port, even
    when the config asked for port 0), ``.app`` is the aiohttp application (its
    state: ``app[ACCOUNTS]``, ``app[MARKET]`` ...) and ``.wire`` the wire log.
    ``app_factory`` builds the application (tests pass one with their own routes).
    Stopping and starting again serves a fresh exchange (new accounts, empty wire log).
    """

    def __init__(
        self,
        config: ExchangeConfig | None = None,
        app_factory: Callable[[ExchangeConfig], web.Application] = create_app,
    ) -> None:
        self.config = config or ExchangeConfig()
        self._factory = app_factory
        self.app: web.Application = app_factory(self.config)
        self._served = False
        self.host: str = self.config.host
        self.port: int = self.config.port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- public face ---------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (give it to pybit as ``session.endpoint``)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def wire(self) -> WireLog:
        """The wire log: ``exchange.wire.entries(5)`` shows the last five requests."""
        return self.app[WIRE]

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> LocalExchange:
        """Start serving; returns once connections are accepted. Calling it again is harmless."""
        if self.running:
            return self
        if self._served:   # an aiohttp app runs on one event loop only: a restart serves a fresh exchange
            self.app = self._factory(self.config)
        self._served = True
        started = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(started, failure), name=f"local-exchange:{self.config.port}", daemon=True
        )
        self._thread.start()
        if not started.wait(START_TIMEOUT_S):
            raise ExchangeStartError(f"the local exchange did not start within {START_TIMEOUT_S:.0f} s")
        if failure:
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None
            raise ExchangeStartError(_explain(failure[0], self.config.host, self.config.port)) from failure[0]
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Stop serving: close connections, cancel background tasks, end the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if thread.is_alive() and not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(STOP_TIMEOUT_S)
            except Exception:
                pass
        thread.join(STOP_TIMEOUT_S)
        self._thread = None
        atexit.unregister(self.stop)

    def __enter__(self) -> LocalExchange:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalExchange {self.url} {state} limits={self.config.limits}>"

    # -- inside the server thread --------------------------------------------------
    def _serve(self, started: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._startup())
            except BaseException as error:  # reported to the caller of start()
                failure.append(error)
                loop.run_until_complete(self._cleanup())
                return
            finally:
                started.set()
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _startup(self) -> None:
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None,
                               logger=MalformedRequestLog(logging.getLogger("aiohttp.server")))
        self._runner = runner
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port, backlog=LISTEN_BACKLOG)
        await site.start()
        address = runner.addresses[0]
        self.host = self.config.host
        self.port = int(address[1])

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _shutdown(self) -> None:
        await self._cleanup()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        loop = asyncio.get_running_loop()
        loop.call_soon(loop.stop)
