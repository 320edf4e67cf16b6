"""A local order book kept from the raw WebSocket ``snapshot`` and ``delta`` messages.

Subscribing to ``orderbook.{depth}.{symbol}`` gives one ``snapshot`` (the whole
book, up to ``depth`` levels a side), then a ``delta`` whenever it changes.
Keeping your own copy means applying every delta to the snapshot, in order:

* a level ``[price, size]`` whose price is new is **inserted**;
* a known price gets its size **replaced**;
* size ``"0"`` **deletes** the level.

Two numbers let you check that nothing was missed (Bybit's docs, *Orderbook*):

``u`` (update id)
    one more with every message of the stream: a delta whose ``u`` is not the
    previous ``u + 1`` means messages were lost, and the book is no longer
    right. ``u == 1`` in a snapshot means Bybit's service restarted: throw the
    old book away.
``seq`` (cross sequence)
    never decreases; it lets you order messages from different depths.

A new ``snapshot`` may arrive at any moment (after a reconnect, or a problem on
Bybit's side): it replaces the book. Level-1 books are snapshot-only, and the
same snapshot (same ``u``) is re-sent after 3 s without change.

::

    book = OrderBook("BTCUSDT")
    for message in messages:            # raw messages, in the order received
        what = book.apply(message)      # "snapshot", "delta", "gap", ...
    book.best_bid, book.best_ask, book.spread
    plots.depth(book.to_frame())

**Use raw messages.** pybit 5.17.0 merges the deltas into a book of its own
before calling you back and labels every message ``"snapshot"`` (and it
appends new levels unsorted and can fail on a delete). Give this class the
messages as the server sent them: ``helpers.connect.websocket(channel,
raw=True)`` asks pybit to hand them over unmerged (pybit's own
``callback_function=`` argument), or read them with a plain
``websocket-client`` connection.

After a gap the book marks itself ``needs_resync`` and ignores deltas until it
can be trusted again. Two ways back:

1. wait for the next ``snapshot`` (unsubscribe and subscribe again to get one
   at once), or
2. :meth:`OrderBook.resync_from_rest`: load ``get_orderbook`` from REST, then keep
   applying deltas, skipping those already contained in it (``u`` not above the
   REST book's). This works only when REST and the stream share ``u`` numbers:
   on Bybit, REST's ``u`` matches the WebSocket's deepest book (linear 1000 /
   500, spot 200), so for other depths prefer option 1.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import pandas as pd

from . import frames

Outcome = Literal["snapshot", "restart", "delta", "gap", "skipped", "ignored"]
"""What :meth:`OrderBook.apply` did with a message.

``snapshot``  the book was replaced by the message.
``restart``   a snapshot with ``u == 1`` (Bybit restarted its service): replaced too.
``delta``     the delta was applied.
``gap``       the delta's ``u`` did not follow (or ``seq`` went back): nothing applied,
              the book now ``needs_resync``.
``skipped``   an old delta, already contained in a REST snapshot loaded with
              :meth:`OrderBook.load_snapshot`: nothing to do.
``ignored``   a delta while the book needs a resync (or before any snapshot).
"""

_ZERO = Decimal(0)


class OrderBookError(ValueError):
    """A message that is not an order-book message for this book (wrong topic or symbol, bad shape)."""


def _decimal(text: Any, what: str) -> Decimal:
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError) as error:
        raise OrderBookError(f"{what} {text!r} is not a number") from error
    if not value.is_finite() or value < 0:
        raise OrderBookError(f"{what} {text!r} is not a finite, non-negative number")
    return value


@dataclass
class Counts:
    """How many messages of each outcome the book has seen."""

    snapshot: int = 0
    restart: int = 0
    delta: int = 0
    gap: int = 0
    skipped: int = 0
    ignored: int = 0


@dataclass
class OrderBook:
    """One symbol's order book, kept from raw ``orderbook.{depth}.{symbol}`` messages.

    ``symbol`` (optional) makes :meth:`apply` refuse messages for another
    symbol. ``strict`` (default True) requires every delta's ``u`` to be the
    previous ``u + 1``; with ``strict=False`` any increase is accepted (for a
    source that numbers updates but may skip numbers).
    """

    symbol: str | None = None
    strict: bool = True
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    u: int | None = None
    seq: int | None = None
    ts: int | None = None
    needs_resync: bool = True          # until the first snapshot
    last_problem: str | None = None    # why the book last needed a resync
    counts: Counts = field(default_factory=Counts)
    _rest_floor: int | None = None     # after a REST load: deltas with u <= this are already in it

    # -- feeding the book ----------------------------------------------------------------
    def apply(self, message: Mapping[str, Any]) -> Outcome:
        """Apply one raw WebSocket message; returns what happened (see :data:`Outcome`).

        ``message`` is the whole frame: ``{"topic": "orderbook.50.BTCUSDT",
        "type": "snapshot" | "delta", "ts": ..., "data": {"s", "b", "a", "u", "seq"}}``.
        A message for another topic kind or symbol raises :class:`OrderBookError`.
        """
        kind, data = self._check(message)
        u = int(data["u"])
        seq = int(data["seq"]) if data.get("seq") is not None else None
        if kind == "snapshot":
            self._load(data, message.get("ts"))
            outcome: Outcome = "restart" if u == 1 else "snapshot"
            self._count(outcome)
            return outcome
        if self.needs_resync or self.u is None:
            self._count("ignored")
            return "ignored"
        if self._rest_floor is not None:
            if u <= self._rest_floor:
                self._count("skipped")
                return "skipped"
            if u != self._rest_floor + 1 and self.strict:
                return self._gap(f"first delta after the REST snapshot has u={u}, expected {self._rest_floor + 1}")
            self._rest_floor = None
        elif self.strict and u != self.u + 1:
            return self._gap(f"delta u={u} does not follow u={self.u} (expected {self.u + 1}): "
                             f"{'messages were lost' if u > self.u + 1 else 'an old or repeated message'}")
        elif not self.strict and u <= self.u:
            return self._gap(f"delta u={u} is not above u={self.u}")
        if seq is not None and self.seq is not None and seq < self.seq:
            return self._gap(f"delta seq={seq} is below seq={self.seq}: messages out of order")
        self._merge(self.bids, data.get("b", ()), "bid")
        self._merge(self.asks, data.get("a", ()), "ask")
        self.u, self.seq = u, seq if seq is not None else self.seq
        if message.get("ts") is not None:
            self.ts = int(message["ts"])
        self._count("delta")
        return "delta"

    def load_snapshot(self, result: Mapping[str, Any]) -> None:
        """Replace the book with a REST ``get_orderbook`` result (or the whole reply).

        Deltas that follow are applied from ``u + 1`` on; older ones are
        ``skipped``. See the module docstring for when REST and stream ``u``
        numbers agree.
        """
        if "result" in result and isinstance(result["result"], Mapping):
            result = result["result"]
        if self.symbol is not None and result.get("s") not in (None, self.symbol):
            raise OrderBookError(f"REST book is for {result.get('s')!r}, this book keeps {self.symbol!r}")
        self._load(result, result.get("ts"))
        self._rest_floor = self.u

    def resync_from_rest(self, session: Any, category: str = "linear", limit: int | None = None) -> None:
        """Load the book from ``session.get_orderbook(category=..., symbol=..., limit=...)``.

        ``session`` is a pybit ``HTTP`` (``helpers.connect.http()``). ``limit``
        defaults to the number of levels the book holds (at least 50).
        """
        if self.symbol is None:
            raise OrderBookError("resync_from_rest() needs to know the symbol: OrderBook('BTCUSDT')")
        depth = limit or max(50, len(self.bids), len(self.asks))
        self.load_snapshot(session.get_orderbook(category=category, symbol=self.symbol, limit=depth))

    # -- reading the book ----------------------------------------------------------------
    @property
    def best_bid(self) -> Decimal | None:
        """The highest bid price (``None`` for an empty side)."""
        return max(self.bids) if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        """The lowest ask price (``None`` for an empty side)."""
        return min(self.asks) if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        """Halfway between best bid and best ask."""
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else (bid + ask) / 2

    @property
    def spread(self) -> Decimal | None:
        """Best ask minus best bid (never negative in a correct book)."""
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else ask - bid

    @property
    def crossed(self) -> bool:
        """True if the best bid is at or above the best ask: the book is wrong and needs a resync."""
        bid, ask = self.best_bid, self.best_ask
        return bid is not None and ask is not None and bid >= ask

    def levels(self, side: str, n: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """``side`` ``"bid"``/``"b"`` (highest first) or ``"ask"``/``"a"`` (lowest first), ``n`` levels."""
        if side in ("bid", "b", "bids"):
            items = sorted(self.bids.items(), reverse=True)
        elif side in ("ask", "a", "asks"):
            items = sorted(self.asks.items())
        else:
            raise ValueError(f"side is 'bid' or 'ask', not {side!r}")
        return items if n is None else items[:n]

    def as_message_data(self) -> dict[str, Any]:
        """The book in the shape of a snapshot's ``data``: ``{"s", "b", "a", "u", "seq"}``, strings sorted best first."""
        return {
            "s": self.symbol,
            "b": [[str(p), str(s)] for p, s in self.levels("bid")],
            "a": [[str(p), str(s)] for p, s in self.levels("ask")],
            "u": self.u,
            "seq": self.seq,
        }

    def to_frame(self, n: int | None = None) -> pd.DataFrame:
        """The book as :func:`helpers.frames.orderbook` shapes it (``side, level, price, size, cum_size``).

        ``helpers.plots.depth(book.to_frame())`` draws it. ``n`` keeps the best
        ``n`` levels of each side.
        """
        data = self.as_message_data()
        if n is not None:
            data["b"], data["a"] = data["b"][:n], data["a"][:n]
        data["ts"] = self.ts
        return frames.orderbook(data)

    def __repr__(self) -> str:
        state = "needs resync" if self.needs_resync else "in sync"
        return (f"<OrderBook {self.symbol or '?'} {len(self.bids)} bids / {len(self.asks)} asks, "
                f"best {self.best_bid} / {self.best_ask}, u={self.u}, {state}>")

    # -- inside ---------------------------------------------------------------------------
    def _check(self, message: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        if not isinstance(message, Mapping):
            raise OrderBookError(f"a message is a dict (the parsed JSON frame), not {type(message).__name__}")
        topic = str(message.get("topic", ""))
        if not topic.startswith("orderbook."):
            raise OrderBookError(f"not an order-book message (topic {topic!r}); subscribe to orderbook.{{depth}}.{{symbol}}")
        kind = message.get("type")
        data = message.get("data")
        if kind not in ("snapshot", "delta") or not isinstance(data, Mapping) or "u" not in data:
            raise OrderBookError(f"message on {topic} has no type snapshot/delta with data.u; was it merged by pybit? "
                                 f"Use raw messages (helpers.connect.websocket(channel, raw=True)).")
        symbol = data.get("s") or topic.rsplit(".", 1)[-1]
        if self.symbol is None:
            self.symbol = symbol
        elif symbol != self.symbol:
            raise OrderBookError(f"message for {symbol!r} given to the book of {self.symbol!r}")
        return kind, data

    def _load(self, data: Mapping[str, Any], ts: Any) -> None:
        bids: dict[Decimal, Decimal] = {}
        asks: dict[Decimal, Decimal] = {}
        self._merge(bids, data.get("b", ()), "bid")
        self._merge(asks, data.get("a", ()), "ask")
        self.bids, self.asks = bids, asks
        self.u = int(data["u"])
        self.seq = int(data["seq"]) if data.get("seq") is not None else None
        self.ts = int(ts) if ts is not None else None
        self.needs_resync = False
        self._rest_floor = None

    @staticmethod
    def _merge(side: dict[Decimal, Decimal], levels: Any, name: str) -> None:
        for level in levels:
            price = _decimal(level[0], f"{name} price")
            size = _decimal(level[1], f"{name} size")
            if size == _ZERO:
                side.pop(price, None)     # deleting a level we do not hold is harmless
            else:
                side[price] = size

    def _gap(self, why: str) -> Outcome:
        self.needs_resync = True
        self.last_problem = why
        self._count("gap")
        return "gap"

    def _count(self, outcome: Outcome) -> None:
        setattr(self.counts, outcome, getattr(self.counts, outcome) + 1)
