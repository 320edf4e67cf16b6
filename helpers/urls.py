"""Every address a Bybit V5 client may dial, kept as data.

Two tables live here:

* :data:`REST` — the REST base URLs: mainnet, its alternative host ``bytick``,
  testnet, demo trading, and the regional mainnet sites. Each row says which
  ``pybit.unified_trading.HTTP(...)`` arguments build it (``None`` when pybit
  has no arguments for that host).
* :data:`WEBSOCKET` — the WebSocket URLs for every environment and channel.

A notebook shows them with :func:`table` (or :func:`rest_table` / :func:`ws_table`); code asks for
one address with :func:`rest_url` and :func:`ws_url`. Old tutorials use the
pre-V5 addresses; :func:`legacy_table` maps each one to its V5 replacement.

Environments (the values of ``BYBIT_ENV``):

``local``
    the course's local exchange. Same paths as Bybit, but ``http://`` and
    ``ws://`` on ``127.0.0.1`` and a port chosen when it starts, so its URLs
    are built from that base (``local_url=``).
``testnet``
    Bybit's test network (``api-testnet``, ``stream-testnet``); its own keys, play money.
``demo``
    demo trading on mainnet (``api-demo``). Its WebSocket host ``stream-demo``
    serves **only the private stream**; public market data comes from
    mainnet's streams, which carry identical data. WebSocket order entry
    (``/v5/trade``) is not offered on demo at all.
``mainnet``
    the real exchange (``api``, ``stream``), real money.

Facts come from Bybit's V5 documentation (integration guide, WebSocket
connect page, demo trading page) and from pybit 5.17.0's URL templates.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bybit_spec.topics import STREAM_PATHS

ENVIRONMENTS: tuple[str, ...] = ("local", "testnet", "demo", "mainnet")
"""The values ``BYBIT_ENV`` may take, in the order the course introduces them."""

CHANNELS: tuple[str, ...] = ("spot", "linear", "inverse", "option", "private", "trade")
"""WebSocket channels every environment is asked about.

The four public channels carry market data for one ``category``; ``private``
carries your orders, executions, positions and wallet; ``trade`` accepts
orders over the WebSocket. (Bybit also has ``spread`` and ``misc/status``
public streams on mainnet and testnet; they are listed in :data:`WEBSOCKET`
as extra rows.)
"""

_PATHS: dict[str, str] = STREAM_PATHS   # kept once in bybit_spec.topics


@dataclass(frozen=True)
class RestURL:
    """One REST base URL: prepend it to a path such as ``/v5/market/time``."""

    env: str          # "mainnet", "testnet", "demo", or "mainnet" for regional sites
    site: str         # who it is for: "Global", "Netherlands", ...
    url: str
    pybit: str | None  # the HTTP(...) arguments that build this URL, or None if pybit cannot
    note: str = ""


@dataclass(frozen=True)
class WebSocketURL:
    """One WebSocket URL. ``url`` is ``None`` where the environment has no such stream."""

    env: str
    channel: str
    url: str | None
    note: str = ""


@dataclass(frozen=True)
class LegacyURL:
    """A pre-V5 address found in old tutorials, and what replaces it in V5."""

    old: str
    product: str
    v5: str


REST: tuple[RestURL, ...] = (
    RestURL("mainnet", "Global", "https://api.bybit.com", "HTTP()", "primary host"),
    RestURL("mainnet", "Global (alternative host)", "https://api.bytick.com", 'HTTP(domain="bytick")',
            "same service; the docs say both hosts are available"),
    RestURL("testnet", "Testnet", "https://api-testnet.bybit.com", "HTTP(testnet=True)",
            "keys are created on testnet.bybit.com"),
    RestURL("demo", "Demo trading", "https://api-demo.bybit.com", "HTTP(demo=True)",
            "keys are created on bybit.com while in Demo Trading mode"),
    RestURL("demo", "Demo trading on testnet", "https://api-demo-testnet.bybit.com",
            "HTTP(testnet=True, demo=True)",
            "built by pybit but not in Bybit's docs, which say not to use demo trading on testnet"),
    RestURL("mainnet", "Netherlands", "https://api.bybit.nl", 'HTTP(tld="nl")',
            "accounts registered on a regional site must use its host"),
    RestURL("mainnet", "Turkey", "https://api.bybit.tr", None,
            'formerly https://api.bybit-tr.com, which pybit builds with HTTP(domain="bybit-tr")'),
    RestURL("mainnet", "Kazakhstan", "https://api.bybit.kz", 'HTTP(tld="kz")'),
    RestURL("mainnet", "Georgia", "https://api.bybitgeorgia.ge", None),
    RestURL("mainnet", "United Arab Emirates", "https://api.bybit.ae", None),
    RestURL("mainnet", "EEA", "https://api.bybit.eu", 'HTTP(tld="eu")',
            "API access for third-party (broker) applications only"),
    RestURL("mainnet", "Indonesia", "https://api.bybit.id", None),
    RestURL("mainnet", "Japan", "https://api.manepa.jp", None),
    RestURL("testnet", "Japan (testnet)", "https://api-testnet.manepa.jp", None),
)
"""Every REST base URL. Rows with ``pybit=None`` need ``session.endpoint = url`` after creating the session."""


def _ws_rows() -> tuple[WebSocketURL, ...]:
    rows: list[WebSocketURL] = []
    for env, host in (("mainnet", "wss://stream.bybit.com"), ("testnet", "wss://stream-testnet.bybit.com")):
        for channel in CHANNELS:
            rows.append(WebSocketURL(env, channel, host + _PATHS[channel]))
    demo_public = ("demo has no public streams; use mainnet's, whose market data is identical "
                   "(pybit's demo=True would dial stream-demo for these too)")
    for channel in CHANNELS:
        if channel == "private":
            rows.append(WebSocketURL("demo", channel, "wss://stream-demo.bybit.com/v5/private",
                                     "the only stream the demo host serves"))
        elif channel == "trade":
            rows.append(WebSocketURL("demo", channel, None,
                                     "WebSocket order entry is not supported on demo; place orders over REST"))
        else:
            rows.append(WebSocketURL("demo", channel, "wss://stream.bybit.com" + _PATHS[channel], demo_public))
    for env, host in (("mainnet", "wss://stream.bybit.com"), ("testnet", "wss://stream-testnet.bybit.com")):
        rows.append(WebSocketURL(env, "spread", host + _PATHS["spread"], "spread trading market data"))
        rows.append(WebSocketURL(env, "misc/status", host + _PATHS["misc/status"],
                                 "system status (was /v5/public/proxy until 2025-07)"))
    return tuple(rows)


WEBSOCKET: tuple[WebSocketURL, ...] = _ws_rows()
"""Every WebSocket URL of testnet, demo and mainnet, one row per (env, channel)."""

LEGACY: tuple[LegacyURL, ...] = (
    LegacyURL("wss://stream.bybit.com/realtime", "inverse perpetual/futures (v2), public and private",
              "wss://stream.bybit.com/v5/public/inverse (private topics: /v5/private)"),
    LegacyURL("wss://stream.bybit.com/realtime_public", "USDT perpetual, public", "wss://stream.bybit.com/v5/public/linear"),
    LegacyURL("wss://stream.bybit.com/realtime_private", "USDT perpetual, private", "wss://stream.bybit.com/v5/private"),
    LegacyURL("wss://stream.bybit.com/spot/quote/ws/v1", "spot v1, public", "wss://stream.bybit.com/v5/public/spot"),
    LegacyURL("wss://stream.bybit.com/spot/quote/ws/v2", "spot v2, public", "wss://stream.bybit.com/v5/public/spot"),
    LegacyURL("wss://stream.bybit.com/spot/ws", "spot, private", "wss://stream.bybit.com/v5/private"),
    LegacyURL("wss://stream.bybit.com/perpetual/ws/v1/realtime_public", "USDC perpetual, public",
              "wss://stream.bybit.com/v5/public/linear"),
    LegacyURL("wss://stream.bybit.com/trade/option/usdc/public/v1", "USDC options, public",
              "wss://stream.bybit.com/v5/public/option"),
    LegacyURL("wss://stream.bybit.com/trade/option/usdc/private/v1", "USDC options, private",
              "wss://stream.bybit.com/v5/private"),
    LegacyURL("wss://stream.bybit.com/contract/usdt/public/v3", "V3 USDT contracts, public",
              "wss://stream.bybit.com/v5/public/linear"),
    LegacyURL("wss://stream.bybit.com/contract/inverse/public/v3", "V3 inverse contracts, public",
              "wss://stream.bybit.com/v5/public/inverse"),
    LegacyURL("wss://stream.bybit.com/contract/usdc/public/v3", "V3 USDC contracts, public",
              "wss://stream.bybit.com/v5/public/linear"),
    LegacyURL("wss://stream.bybit.com/option/usdc/public/v3", "V3 USDC options, public",
              "wss://stream.bybit.com/v5/public/option"),
    LegacyURL("wss://stream.bybit.com/spot/public/v3", "V3 spot, public", "wss://stream.bybit.com/v5/public/spot"),
    LegacyURL("wss://stream.bybit.com/contract/private/v3", "V3 contracts, private", "wss://stream.bybit.com/v5/private"),
    LegacyURL("wss://stream.bybit.com/unified/private/v3", "V3 unified margin, private", "wss://stream.bybit.com/v5/private"),
    LegacyURL("wss://stream.bybit.com/spot/private/v3", "V3 spot, private", "wss://stream.bybit.com/v5/private"),
)
"""Pre-V5 WebSocket URLs (testnet used ``stream-testnet.bybit.com`` with the same paths).

REST hosts did not change: ``api.bybit.com`` / ``api-testnet.bybit.com``;
only the paths moved under ``/v5/``.
"""


def _check_env(env: str) -> str:
    name = str(env).strip().lower()
    if name not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {env!r}; choose one of: {', '.join(ENVIRONMENTS)}")
    return name


def _local_base(local_url: str | None) -> str:
    if not local_url:
        raise ValueError(
            "the local exchange's URL depends on the port it started on; pass local_url= "
            "(for example helpers.connect.local_exchange().url)"
        )
    return local_url.rstrip("/")


def rest_url(env: str, local_url: str | None = None) -> str:
    """The REST base URL of ``env`` (``local``, ``testnet``, ``demo`` or ``mainnet``).

    >>> rest_url("testnet")
    'https://api-testnet.bybit.com'

    For ``local`` pass the running server's address as ``local_url``; it is
    returned unchanged (without a trailing ``/``).
    """
    name = _check_env(env)
    if name == "local":
        return _local_base(local_url)
    return next(row.url for row in REST if row.env == name)


def ws_url(env: str, channel: str, local_url: str | None = None) -> str:
    """The WebSocket URL for one ``channel`` of ``env``.

    ``channel`` is one of :data:`CHANNELS` (``spot``, ``linear``, ``inverse``,
    ``option``, ``private``, ``trade``), or ``spread`` / ``misc/status`` on
    testnet and mainnet.

    >>> ws_url("testnet", "linear")
    'wss://stream-testnet.bybit.com/v5/public/linear'
    >>> ws_url("demo", "linear")     # demo has no public streams: mainnet's data is the same
    'wss://stream.bybit.com/v5/public/linear'

    For ``local`` the URL is built from the server's ``http://`` address
    (``local_url``): ``http://127.0.0.1:8765`` → ``ws://127.0.0.1:8765/v5/public/linear``.
    Raises ``ValueError`` for an unknown channel (naming the valid ones) and for
    a stream the environment does not offer (saying what to do instead).
    """
    name = _check_env(env)
    if name == "local":
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r} for local; choose one of: {', '.join(CHANNELS)}")
        base = _local_base(local_url)
        if base.startswith("https://"):
            base = "wss://" + base[len("https://"):]
        elif base.startswith("http://"):
            base = "ws://" + base[len("http://"):]
        return base + _PATHS[channel]
    rows = {row.channel: row for row in WEBSOCKET if row.env == name}
    if channel not in rows:
        raise ValueError(f"unknown channel {channel!r} for {name}; choose one of: {', '.join(rows)}")
    row = rows[channel]
    if row.url is None:
        raise ValueError(f"{name} has no {channel!r} stream: {row.note}")
    return row.url


def rest_table() -> pd.DataFrame:
    """All REST base URLs as a DataFrame (columns env, site, url, pybit, note)."""
    return pd.DataFrame([row.__dict__ for row in REST], columns=["env", "site", "url", "pybit", "note"])


def ws_table() -> pd.DataFrame:
    """All WebSocket URLs as a DataFrame (columns env, channel, url, note)."""
    return pd.DataFrame([row.__dict__ for row in WEBSOCKET], columns=["env", "channel", "url", "note"])


def table() -> pd.DataFrame:
    """Every REST and WebSocket URL in one DataFrame, for a notebook to show.

    Columns: ``kind`` (``REST`` or ``WebSocket``), ``env``, ``name`` (the site
    of a REST host, the channel of a stream), ``url`` (empty where the
    environment has no such stream), ``pybit`` (the HTTP arguments that build a
    REST URL) and ``note``.
    """
    rest = rest_table().rename(columns={"site": "name"}).assign(kind="REST")
    ws = ws_table().rename(columns={"channel": "name"}).assign(kind="WebSocket", pybit=None)
    both = pd.concat([rest, ws], ignore_index=True)
    return both[["kind", "env", "name", "url", "pybit", "note"]]


def legacy_table() -> pd.DataFrame:
    """Pre-V5 WebSocket URLs next to their V5 replacements (columns old, product, v5)."""
    return pd.DataFrame([row.__dict__ for row in LEGACY], columns=["old", "product", "v5"])
