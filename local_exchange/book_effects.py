"""What traders do to the made-up market: their fills take liquidity and are public trades; resting orders show.

The book of :mod:`local_exchange.book` is synthesized around the price, the
same for everyone. Two things traders do show in it, as on a real exchange:

* **A taker's fills consume levels.** What a Market order (or a Limit order that
  crosses) took at a price is missing from that level for :data:`REFILL_MS`:
  the next order walks further into the book, and every client sees the gap
  (REST and WebSocket alike) until the made-up market makers refill it.
* **Their fills are public trades.** Every fill of an account's order is a
  trade of the market: ``/v5/market/recent-trade`` and ``publicTrade.*`` list it
  among the made-up trades, with the taker's side (the account's own side for
  a taker fill, the other side when its resting order was hit).
* **Resting limit orders are in the public book.** Every account's resting
  Limit orders add their remaining size at their price to the book the public
  endpoints show (``/v5/market/orderbook``, the ``orderbook.*`` streams, the
  best bid and ask of ``tickers``): on a classroom server students see each
  other's orders. A resting bid at or above the best ask (or an ask at or below
  the best bid) is left out, so the book never crosses.

Simplified, and not Bybit: orders of different accounts never trade with each
other. A taker's fills come from the made-up liquidity alone (so an order takes
no liquidity from another account's resting order it can see in the public
book), and a resting order still fills when the last price reaches it
(:mod:`local_exchange.matching`). The candles and 24 h volumes follow the
made-up trades only.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from .book import RawBook

REFILL_MS = 3_000          # how long taken liquidity stays missing from its level
BID, ASK = -1, 1

#: ``(category, symbol) -> [(side, price, remaining qty), ...]``: the resting limit orders of every account
RestingOrders = Callable[[str, str], Iterable[tuple[str, Decimal, Decimal]]]


@dataclass
class Taken:
    lots: int
    until_ms: int


KEPT_TRADES = 1_000          # accounts' trades remembered per symbol, newest kept


@dataclass
class BookEffects:
    """Liquidity taken from each book, the accounts' trades, and where to find the resting orders."""

    resting: RestingOrders | None = None
    _taken: dict[tuple[str, str], dict[tuple[int, int], Taken]] = field(default_factory=dict)
    _trades: dict[tuple[str, str], deque[dict]] = field(default_factory=dict)

    def trade(self, category: str, symbol: str, item: dict) -> None:
        """Remember one public trade item (``/v5/market/recent-trade``'s shape) of an account's fill."""
        self._trades.setdefault((category, symbol), deque(maxlen=KEPT_TRADES)).append(item)

    def trades(self, category: str, symbol: str, now_ms: int, limit: int) -> list[dict]:
        """The accounts' trades up to ``now_ms``, newest first, at most ``limit``."""
        kept = self._trades.get((category, symbol))
        if not kept:
            return []
        return [d for d in reversed(kept) if int(d["time"]) <= now_ms][:limit]

    def take(self, category: str, symbol: str, side: int, fills: Iterable[tuple[int, int]], now_ms: int) -> None:
        """Note ``fills`` (ticks, lots) taken from ``side`` (:data:`ASK` for a buyer) at ``now_ms``."""
        taken = self._taken.setdefault((category, symbol), {})
        for ticks, lots in fills:
            old = taken.get((side, ticks))
            before = old.lots if old is not None and old.until_ms > now_ms else 0
            taken[side, ticks] = Taken(before + lots, now_ms + REFILL_MS)

    def missing(self, category: str, symbol: str, t_ms: int) -> dict[tuple[int, int], int]:
        """``(side, ticks) -> lots`` still missing at ``t_ms`` (what has refilled is forgotten)."""
        taken = self._taken.get((category, symbol))
        if not taken:
            return {}
        for key in [k for k, v in taken.items() if v.until_ms <= t_ms]:
            del taken[key]
        return {key: v.lots for key, v in taken.items()}


def deplete(raw: RawBook, missing: dict[tuple[int, int], int], depth: int) -> RawBook:
    """``raw`` less the ``missing`` lots (a level taken whole is gone), cut back to ``depth`` levels a side."""
    def side(ticks: np.ndarray, lots: np.ndarray, which: int) -> tuple[np.ndarray, np.ndarray]:
        left = lots - np.array([missing.get((which, t), 0) for t in ticks.tolist()], dtype=lots.dtype)
        keep = left > 0
        return ticks[keep][:depth], left[keep][:depth]

    bt, bl = side(raw.bid_ticks, raw.bid_lots, BID)
    at, al = side(raw.ask_ticks, raw.ask_lots, ASK)
    return RawBook(bt, bl, at, al, raw.ts, raw.u, raw.seq)


def with_orders(raw: RawBook, orders: Iterable[tuple[str, int, int]], depth: int) -> RawBook:
    """``raw`` with resting orders ``(side, ticks, lots)`` added at their prices, never crossing the book."""
    bids = dict(zip(raw.bid_ticks.tolist(), raw.bid_lots.tolist()))
    asks = dict(zip(raw.ask_ticks.tolist(), raw.ask_lots.tolist()))
    best_bid = max(bids) if bids else 0
    best_ask = min(asks) if asks else None
    for side, ticks, lots in orders:
        if lots <= 0:
            continue
        if side == "Buy" and (best_ask is None or ticks < best_ask):
            bids[ticks] = bids.get(ticks, 0) + lots
        elif side == "Sell" and ticks > best_bid:
            asks[ticks] = asks.get(ticks, 0) + lots
    bid_ticks = sorted(bids, reverse=True)[:depth]
    ask_ticks = sorted(asks)[:depth]
    return RawBook(np.array(bid_ticks, dtype=np.int64), np.array([bids[t] for t in bid_ticks], dtype=np.int64),
                   np.array(ask_ticks, dtype=np.int64), np.array([asks[t] for t in ask_ticks], dtype=np.int64),
                   raw.ts, raw.u, raw.seq)
