"""The order book: synthesized around the live price, deterministic in time.

There are no other traders here, so the book is *made up*, but made up the
same way every time. For a symbol and a 100 ms time bucket:

* the best bid and best ask straddle the last price (``bid <= last <= ask``),
  one to a few ticks apart;
* each deeper price level is present or absent, and has a size, according to a
  hash of (seed, symbol, price, epoch), where a level's *epoch* advances every
  1-5 seconds at a pace and phase of its own. So between two buckets only a few
  levels change, as on a real exchange, and a WebSocket feed of deltas stays small;
* sizes are skewed (many small levels, a few large) and depend on the level's own
  price and epoch only, not on its distance from the top: when the price moves,
  the levels it does not cross keep their sizes, so a delta carries the levels
  the move crossed or uncovered and the few re-quoted ones (see
  ``benchmarks/book_deltas.py``), not the whole book.

The hash is SplitMix64 computed on numpy ``uint64`` arrays (wrap-around
arithmetic), so a 200-level side costs a few microseconds.

What traders do on the exchange shows on top of this made-up book: fills take
liquidity for a while and resting orders are added to the public book
(:mod:`local_exchange.book_effects`, applied by ``Market.raw_book`` and
``Market.public_raw_book``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

BUCKET_MS = 100                      # the book changes at most every 100 ms
U_ORIGIN_BUCKET = 1_704_067_200_000 // BUCKET_MS   # update ids count buckets since 2024-01-01

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_MASK = (1 << 64) - 1


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer on a ``uint64`` array: a fast, well-mixed hash."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def mix(x: int) -> int:
    """The same SplitMix64 finalizer on one Python integer (for the top of the book)."""
    z = (x + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


_PRICE_MUL = 0x2545F4914F6CDD1D
_INV53 = 1.0 / 9007199254740992.0


def _size(h2: int, base_lots: float) -> int:
    """Lots at the best level from its hash (same arithmetic as the array path)."""
    u = ((h2 >> 11) + 0.5) * _INV53
    return 1 + math.floor(base_lots * (0.1 + 2.5 * u * u))


def _top(key: int, best: int, bucket: int, base_lots: float) -> int:
    """Size (lots) of the best level of one side: :func:`_side` for ``depth == 1``, in pure Python."""
    h1 = mix(best ^ key)
    period = 10 + h1 % 40
    epoch = (bucket + h1 % period) // period
    h2 = mix(mix(((best * _PRICE_MUL) & _MASK) ^ key) ^ epoch)
    return _size(h2, base_lots)


def _u64(value: int) -> np.uint64:
    return np.uint64(value & _MASK)


@dataclass
class Book:
    """An order-book snapshot: ``bids`` price-descending, ``asks`` price-ascending.

    Each side is a list of ``(price, size)`` Decimals, best level first.
    ``u`` (update id) and ``seq`` (cross sequence) increase with time.
    """

    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]
    ts: int
    u: int
    seq: int


@dataclass(frozen=True)
class RawBook:
    """The same book as integers: prices in ticks, sizes in lots (qty steps)."""

    bid_ticks: np.ndarray
    bid_lots: np.ndarray
    ask_ticks: np.ndarray
    ask_lots: np.ndarray
    ts: int
    u: int
    seq: int


def bucket_ids(t_ms: int) -> tuple[int, int, int, int]:
    """``(bucket, ts, u, seq)`` of the 100 ms bucket containing ``t_ms``."""
    bucket = t_ms // BUCKET_MS
    u = bucket - U_ORIGIN_BUCKET
    return bucket, bucket * BUCKET_MS, u, 10_000_000_000 + 16 * u


def _side(key: int, best: int, direction: int, bucket: int, depth: int, base_lots: float) -> tuple[np.ndarray, np.ndarray]:
    """Prices (ticks) and sizes (lots) of one side, best first.

    78 % of price levels are present, so ``depth * 1.5 + 24`` candidates hold
    ``depth`` present ones with room to spare (below ``depth * 1.4 + 8`` a
    25-level side came up short about once in 2,000 books).
    """
    n = int(depth * 1.5) + 24
    offsets = np.arange(n, dtype=np.int64)
    prices = best + direction * offsets
    if direction < 0:
        prices = prices[prices >= 1]
        offsets = offsets[: len(prices)]
    p = prices.astype(np.uint64)
    k = _u64(key)
    h1 = mix64(p ^ k)
    period = np.uint64(10) + h1 % np.uint64(40)            # 1 to 5 s per level
    epoch = (np.uint64(bucket) + h1 % period) // period
    h2 = mix64(mix64(p * np.uint64(_PRICE_MUL) ^ k) ^ epoch)
    present = (h2 % np.uint64(100) < np.uint64(78)) | (offsets == 0)
    u = ((h2 >> _S11).astype(np.float64) + 0.5) * _INV53
    # sizes: skewed (many small, a few large), growing with the distance from the top
    lots = 1 + np.floor(base_lots * (0.1 + 2.5 * u * u)).astype(np.int64)
    return prices[present][:depth], lots[present][:depth]


def synthesize(key: int, last_ticks: int, t_ms: int, depth: int, base_lots: float, max_spread: int = 2) -> RawBook:
    """The book of one symbol at ``t_ms`` around ``last_ticks``, ``depth`` levels a side.

    ``key`` identifies (seed, symbol); ``base_lots`` is the typical size of a
    level; ``max_spread`` the widest best-bid/best-ask gap in ticks.
    """
    bucket, ts, u, seq = bucket_ids(t_ms)
    h = mix(bucket ^ (key & _MASK))
    spread = 1 + h % max(1, max_spread)
    below = (h >> 16) % (spread + 1)                    # 0..spread ticks below the last price
    best_bid = max(1, last_ticks - below)
    best_ask = best_bid + spread
    if best_ask < last_ticks:
        best_ask = last_ticks
    if depth == 1:   # the common "top of book" question, without numpy
        return RawBook(np.array([best_bid]), np.array([_top(key, best_bid, bucket, base_lots)]),
                       np.array([best_ask]), np.array([_top(key ^ 0x5555, best_ask, bucket, base_lots)]), ts, u, seq)
    bt, bl = _side(key, best_bid, -1, bucket, depth, base_lots)
    at, al = _side(key ^ 0x5555, best_ask, +1, bucket, depth, base_lots)
    return RawBook(bt, bl, at, al, ts, u, seq)


def to_book(raw: RawBook, tick: Decimal, qty_step: Decimal, price_scale: int, qty_scale: int) -> Book:
    """The :class:`Book` of Decimals for a :class:`RawBook`."""
    pq = Decimal(1).scaleb(-price_scale)
    qq = Decimal(1).scaleb(-qty_scale)

    def side(ticks: np.ndarray, lots: np.ndarray) -> list[tuple[Decimal, Decimal]]:
        return [((tick * int(t)).quantize(pq), (qty_step * int(q)).quantize(qq))
                for t, q in zip(ticks.tolist(), lots.tolist())]

    return Book(side(raw.bid_ticks, raw.bid_lots), side(raw.ask_ticks, raw.ask_lots), raw.ts, raw.u, raw.seq)
