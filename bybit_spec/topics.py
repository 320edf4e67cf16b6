"""The WebSocket streams and topics of V5: which exist, and on which stream.

Public topics (``orderbook.50.BTCUSDT``, ``publicTrade.BTCUSDT``, ...) live on
one stream per category (``/v5/public/linear`` ...). Private topics (``order``,
``wallet``, ...) need the authenticated ``/v5/private`` stream and carry no
symbol; some also exist per category (``order.spot``). Source: V5 *WebSocket*
pages (``reference/websocket.md`` §4-5).
"""
from __future__ import annotations

PUBLIC_CHANNELS: tuple[str, ...] = ("spot", "linear", "inverse", "option")
"""The public streams; each carries the market data of one ``category``."""

STREAM_PATHS: dict[str, str] = {
    **{channel: f"/v5/public/{channel}" for channel in PUBLIC_CHANNELS},
    "spread": "/v5/public/spread",
    "misc/status": "/v5/public/misc/status",
    "private": "/v5/private",
    "trade": "/v5/trade",
}
"""WebSocket stream -> its path on the stream host (``spread`` and ``misc/status``: mainnet and testnet only)."""

LIQUIDATION_CATEGORIES: tuple[str, ...] = ("linear", "inverse")
"""``allLiquidation`` exists for futures only."""

PRIVATE_TOPICS: tuple[str, ...] = ("order", "execution", "execution.fast", "position", "wallet", "greeks",
                                   "spread.order", "spread.execution")
"""All-in-one private topics (no symbol; one subscription covers every category).

``spread.order`` and ``spread.execution`` carry spread trading (combination
orders and their legs; Bybit's *Spread Trading* pages).
"""

PRIVATE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "order": ("spot", "linear", "inverse", "option"),
    "execution": ("spot", "linear", "inverse", "option"),
    "execution.fast": ("spot", "linear", "inverse", "option"),
    "position": ("linear", "inverse", "option"),
}
"""Private topics that also exist per category (``order.spot``, ``position.linear``, ...).

Bybit refuses a request that mixes ``order`` with ``order.spot``: pick one form.
"""

RPI_ORDERBOOK_CATEGORIES: tuple[str, ...] = ("spot", "linear", "inverse")
"""``orderbook.rpi.{symbol}`` (50 levels with RPI sizes apart, every 100 ms): spot and futures, not option."""

PRICE_LIMIT_CATEGORIES: tuple[str, ...] = ("spot", "linear", "inverse")
"""``priceLimit.{symbol}`` (the order price limits, every 300 ms)."""

CONTRACT_GROUPS: dict[str, tuple[str, ...]] = {"linear": ("USDT", "USDC"), "inverse": ("inverse",)}
"""The ``{group}`` of ``insurance.{group}`` and ``adlAlert.{group}`` per public stream (both every 1 s):
``USDT`` and ``USDC`` contracts on linear, ``inverse`` on inverse."""

SYSTEM_STATUS_TOPIC = "system.status"
"""The one topic of the ``misc/status`` stream (platform maintenance; no fixed push interval)."""
