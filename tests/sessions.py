"""A local exchange of a test module's own, and pybit sessions on it.

Tests that trade use their own exchange (no limits, no IP ban, extra accounts
as asked), so that no other test's orders show in what they read back.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pybit.unified_trading import HTTP, WebSocket

from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig


@contextmanager
def own_exchange(*accounts: tuple[str, str]) -> Iterator[LocalExchange]:
    """A running exchange on a free port, with the demo account and ``accounts`` (key, secret)."""
    config = ExchangeConfig(port=0, ip_limit=False, limits="off", extra_accounts=tuple(accounts))
    with LocalExchange(config) as running:
        yield running


def pybit_session(exchange: LocalExchange, key: str = DEMO_API_KEY, secret: str = DEMO_API_SECRET) -> HTTP:
    """A real pybit ``HTTP`` session signing with ``key`` and pointed at ``exchange``."""
    session = HTTP(api_key=key, api_secret=secret, max_retries=1)
    session.endpoint = exchange.url
    return session


class LocalWebSocket(WebSocket):
    """pybit's own ``WebSocket`` dialling the local exchange on ``port`` (only the address changes)."""

    port = 0

    def _connect(self, url):
        return super()._connect(url.replace("wss://{SUBDOMAIN}.{DOMAIN}.com", f"ws://127.0.0.1:{self.port}"))


def close(ws: WebSocket) -> None:
    """``ws.exit()`` with a time limit: after a crash in its socket thread pybit's exit() never returns."""
    done = threading.Thread(target=ws.exit, daemon=True)
    done.start()
    done.join(5)
    assert not done.is_alive(), "pybit's exit() hung: its socket thread crashed"
