"""Order-book depths per category, and how often Bybit pushes each one.

A public ``orderbook.{depth}.{symbol}`` subscription is accepted only for a
depth the category serves; each depth has its own push interval (at most one
message per interval). Depth 1 is snapshot-only. Depth 500 was retired in
2025 and 1000 added. Source: V5 *WebSocket Orderbook* (``reference/websocket.md`` §4).
"""
from __future__ import annotations

ORDERBOOK_PUSH_MS: dict[str, dict[int, int]] = {
    "linear": {1: 10, 50: 20, 200: 100, 1000: 200},
    "inverse": {1: 10, 50: 20, 200: 100, 1000: 200},
    "spot": {1: 10, 50: 20, 200: 100, 1000: 200},
    "option": {25: 20, 100: 100},
}
"""category -> depth -> push interval in milliseconds (at most one message per interval)."""

ORDERBOOK_DEPTHS: dict[str, tuple[int, ...]] = {c: tuple(d) for c, d in ORDERBOOK_PUSH_MS.items()}
"""category -> the depths it serves, smallest first."""
