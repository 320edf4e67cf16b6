"""REST polling versus the WebSocket, measured on the same ticker in the same window.

Two ways to follow a price:

* **polling**: ask ``GET /v5/market/tickers`` again and again. Every ask costs
  one request of the IP budget (600 per 5 s for *all* your REST calls), and
  you see the price only as it is at the moment you ask;
* **streaming**: subscribe once to ``tickers.{symbol}``; the exchange pushes
  every change (every 100 ms at most for linear), and no request is spent.

:func:`compare` runs both at once for ``window_s`` seconds and counts, for
each: requests spent, **updates seen** (changes of the ticker's prices and
sizes, :data:`FIELDS`) and updates missed, and the **delay** of each update:

    delay = arrival time here - the exchange's timestamp of that state

For the WebSocket the exchange's timestamp is the message's ``ts``. A REST
reply carries no timestamp per ticker, only the reply's ``time``, so the
state it shows is dated by the stream: the ``ts`` of the latest stream message
that brought that state, at or before the reply's ``time`` (or that ``time``
itself if the reply was first to show it). The delay of a poll is
therefore "how old was the price when I saw it", which a poller cannot know.

Both clocks are this machine's for the local exchange. Against Bybit, the
exchange's clock and yours differ by some milliseconds, which shifts every
delay by the same amount (``session.get_server_time()`` estimates the offset).
"""
from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import stream

FIELDS: tuple[str, ...] = ("lastPrice", "bid1Price", "bid1Size", "ask1Price", "ask1Size", "markPrice")
"""The ticker fields whose change counts as an update (present in both the REST and the stream ticker)."""

Clock = Callable[[], float]


def state_of(ticker: dict[str, Any]) -> tuple[str, ...]:
    """The part of a ticker that defines an update: the values of :data:`FIELDS`."""
    return tuple(str(ticker.get(f, "")) for f in FIELDS)


@dataclass
class Update:
    """One change of the ticker as one side saw it."""

    arrived: float          # this machine's clock, seconds
    exchange_ts: float      # the exchange's timestamp of the state, seconds
    state: tuple[str, ...]

    @property
    def delay_ms(self) -> float:
        """Arrival minus the exchange's timestamp, in milliseconds."""
        return (self.arrived - self.exchange_ts) * 1000


class TickerTracker:
    """Keeps a ticker from stream messages (snapshot, then deltas) and records each change of its state.

    Call it with every raw ``tickers.*`` message (``connect.websocket(..., raw=True)``
    passes deltas unmerged). Thread-safe: pybit calls it from its own thread.
    """

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self.ticker: dict[str, Any] = {}
        self.updates: list[Update] = []
        self.messages = 0
        self._last: tuple[str, ...] | None = None
        self._lock = threading.Lock()

    def __call__(self, message: dict[str, Any]) -> None:
        arrived = self.clock()
        data = message.get("data")
        if not isinstance(data, dict):
            return
        with self._lock:
            self.messages += 1
            if message.get("type") == "snapshot":
                self.ticker = dict(data)
            else:
                self.ticker.update(data)
            state = state_of(self.ticker)
            if state != self._last:
                self._last = state
                self.updates.append(Update(arrived, float(message.get("ts", 0)) / 1000, state))

    def first_seen(self) -> dict[tuple[str, ...], float]:
        """Each state -> the exchange timestamp (s) of the first message that carried it."""
        with self._lock:
            seen: dict[tuple[str, ...], float] = {}
            for u in self.updates:
                seen.setdefault(u.state, u.exchange_ts)
            return seen


@dataclass
class Side:
    """One way of following the ticker over the window."""

    method: str
    requests: int
    updates: list[Update] = field(default_factory=list)
    missed: int = 0

    def row(self) -> dict[str, Any]:
        """Summary as one table row."""
        delays = [u.delay_ms for u in self.updates]
        return {"method": self.method, "requests": self.requests, "updates_seen": len(self.updates),
                "updates_missed": self.missed,
                "median_delay_ms": round(statistics.median(delays), 1) if delays else None,
                "max_delay_ms": round(max(delays), 1) if delays else None}


@dataclass
class Comparison:
    """What :func:`compare` measured: the stream and the poller over the same window."""

    window_s: float
    stream: Side
    polling: Side

    def frame(self) -> pd.DataFrame:
        """One row per method: requests, updates_seen, updates_missed, median_delay_ms, max_delay_ms."""
        return pd.DataFrame([self.stream.row(), self.polling.row()])

    def delays(self) -> dict[str, list[float]]:
        """Method -> the delays (ms) of the updates it saw, for :func:`helpers.plots.latency_histogram`."""
        return {side.method: [u.delay_ms for u in side.updates] for side in (self.stream, self.polling)}


def _reply_json(result: Any) -> dict[str, Any]:
    return result[0] if isinstance(result, tuple) else result


def combine(ws_updates: list[Update], polls: list[tuple[float, float, tuple[str, ...]]], requests: int,
            window: tuple[float, float], poll_label: str) -> Comparison:
    """Turn raw observations into a :class:`Comparison` (the arithmetic of :func:`compare`, kept pure).

    ``polls`` are ``(arrived, reply_time, state)`` of each REST reply, in order;
    ``window`` is ``(start, end)`` on this machine's clock. Only stream updates
    that arrived inside the window count.
    """
    start, end = window
    in_window = [u for u in ws_updates if start <= u.arrived <= end]
    by_state: dict[tuple[str, ...], list[float]] = {}
    for u in ws_updates:
        by_state.setdefault(u.state, []).append(u.exchange_ts)
    seen: list[Update] = []
    last: tuple[str, ...] | None = None
    for arrived, reply_time, state in polls:
        if state == last:
            continue
        last = state
        # the state's latest appearance on the stream at or before the reply; prices can come back to
        # an earlier state, and that older appearance is not when this one began
        earlier = [ts for ts in by_state.get(state, []) if ts <= reply_time]
        seen.append(Update(arrived, max(earlier) if earlier else reply_time, state))
    seen_states = {u.state for u in seen}
    ws_states = {u.state for u in in_window}
    stream_side = Side("WebSocket", 0, in_window, len(seen_states - {u.state for u in ws_updates}))
    poll_side = Side(poll_label, requests, seen, len(ws_states - seen_states))
    return Comparison(end - start, stream_side, poll_side)


def compare(session: Any, ws: Any, symbol: str = "BTCUSDT", category: str = "linear", window_s: float = 3.0,
            poll_every_s: float = 1.0, jitter: bool = True, seed: int = 7, close: bool = True,
            clock: Clock = time.time, sleep: Callable[[float], None] = time.sleep) -> Comparison:
    """Follow ``symbol``'s ticker both ways for ``window_s`` seconds and compare.

    ``session`` is a pybit HTTP (or a :class:`helpers.ratelimit.LimitedSession`);
    ``ws`` a WebSocket of the same category made with ``raw=True``
    (``connect.websocket("linear", raw=True)``). The stream is subscribed and
    its first snapshot awaited (at most 5 s) before the window opens; during
    the window the poller asks once in every ``poll_every_s`` seconds. With
    ``jitter`` (the default) each ask falls at a random moment of its interval
    (``seed`` fixes the draw): a real poller is not in step with the exchange's
    100 ms updates, and asking exactly on their beat would make polling look
    fresher (or staler) than it is. The number of asks stays ``window_s / poll_every_s``.
    The socket is closed afterwards unless ``close=False``.
    """
    if window_s <= 0 or poll_every_s <= 0:
        raise ValueError("window_s and poll_every_s must be positive")
    topic = f"tickers.{symbol}"
    tracker = TickerTracker(clock)
    rng = random.Random(seed)
    try:
        if not stream.wait_connected(ws):
            raise stream.StreamTimeout("the WebSocket is not connected", [], [topic], None, stream.CONNECT_WAIT_S, [])
        stream.subscribe_topic(ws, topic, tracker)
        stream.wait_subscribed(ws, [topic])
        deadline = time.monotonic() + stream.CONNECT_WAIT_S
        while not tracker.updates and time.monotonic() < deadline:
            sleep(0.01)
        polls: list[tuple[float, float, tuple[str, ...]]] = []
        start = clock()
        end = start + window_s
        slot = 0
        next_poll = start + (rng.uniform(0, poll_every_s) if jitter else 0.0)
        requests = 0
        while True:
            now = clock()
            if now >= end:
                break
            if now < next_poll:
                sleep(min(next_poll, end) - now)
                continue
            slot += 1
            next_poll = start + slot * poll_every_s + (rng.uniform(0, poll_every_s) if jitter else 0.0)
            reply = _reply_json(session.get_tickers(category=category, symbol=symbol))
            requests += 1
            arrived = clock()
            items = reply.get("result", {}).get("list", [])
            if items and arrived <= end:
                polls.append((arrived, float(reply.get("time", arrived * 1000)) / 1000, state_of(items[0])))
        ws_updates = list(tracker.updates)
    finally:
        try:
            if close:
                ws.exit()
            else:
                ws.unsubscribe(topic)
        except Exception:
            pass
    label = f"REST every {poll_every_s:g} s"
    return combine(ws_updates, polls, requests, (start, end), label)
