"""The public streams: ``ws://HOST:PORT/v5/public/{spot,linear,inverse,option}``.

The system-status stream ``ws://HOST:PORT/v5/public/misc/status`` works the same
way with its one topic, ``system.status``.

A client subscribes with ``{"op": "subscribe", "req_id": "...", "args": [topic, ...]}``
and unsubscribes with the same frame and ``"op": "unsubscribe"`` (what pybit's
``unsubscribe`` sends). Each topic's messages come from a shared publisher in
:mod:`.feeds`; this module checks the request, answers it in the channel's
shape (:func:`~local_exchange.ws_common.subscribe_reply`) and, right after a
successful subscribe, sends the snapshot a newcomer needs (order book, ticker,
the open kline).

Answers to a subscribe, per topic in ``args``:

* served and new -> subscribed;
* not served (unknown name, symbol, depth or interval, a private topic such as
  ``order``, a linear-only topic on spot) -> ``error:handler not found,topic:<topic>``;
* already subscribed on this socket -> ``error:already subscribed,topic:<topic>``.

The reply is ``success: true`` only if every arg was accepted. It is sent
``REPLY_DELAY_S`` (50 ms) after the request, about a real round trip: pybit
registers its callbacks only after sending, and an instant loopback reply can
overtake it (see :data:`~local_exchange.ws_common.REPLY_DELAY_S`). Choices on
points Bybit does not document:

* The args of one request are handled one by one: the good ones are subscribed
  even when another fails, and a failure reply names the first failing topic
  (the option reply lists all of them in ``failTopics``).
* Spot allows at most 10 args per request; more -> the whole request is refused
  with ``error:args count exceeds the limit of 10 per request on spot`` and
  nothing is subscribed. Option allows 2,000 topics per connection, every
  category 21,000 characters of args per connection (refused the same way).
* ``args`` missing or not a list of strings -> ``error:args must be a list of topic strings``.
* An unsubscribe of a topic this socket does not hold ->
  ``error:not subscribed,topic:<topic>`` (``success:false``); pybit only logs it.
  A successful unsubscribe reply has the subscribe reply's shape with
  ``"op": "unsubscribe"`` (option: ``COMMAND_RESP`` with ``successTopics``).

Scheduling: one clock for every feed
------------------------------------
Each feed owes a push on its grid (a 20 ms feed at ...000, ...020 ms, plus
``TICK_OFFSET_MS``), and all feeds share one event loop: at a 100 ms boundary
every book, ticker and trade feed is due in the same millisecond, so the last
one to run is late by the work of all the others. :class:`FeedClock` drives
all of them from a single timer instead of one sleeping task per feed (no task
switch per push), and when several are due at once it runs them **earliest
deadline first** (the push whose next one is due soonest goes first: a 10 ms
book before a 100 ms ticker), looking again for newly due pushes between two
ticks. ``benchmarks/feed_lateness.py`` measures the lateness under classroom load.

Careful with pybit 5.17.0: a ``success: false`` subscribe reply makes it raise in
its socket thread and drop the connection. The real exchange does the same to
it, so this server does not soften its replies; show bad topics with a plain
WebSocket client.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Sized
from typing import Any, Protocol

from aiohttp import web

from bybit_spec.topics import STREAM_PATHS

from .clock import now_ms
from .feeds import TICK_OFFSET_MS, Feeds, parse_topic
from .state import FEEDS, MARKET
from .ws_common import PUBLIC_CHANNELS, REPLY_DELAY_S, Connection, error_reply, serve, subscribe_reply
from .ws_common import setup as setup_ws

#: The clock that ticks this application's feeds (set by :func:`setup`).
FEED_CLOCK: web.AppKey[FeedClock] = web.AppKey("feed_clock")

__all__ = ["setup", "handle", "FeedClock", "SPOT_ARGS_PER_REQUEST", "OPTION_TOPICS_PER_CONNECTION",
           "ARGS_CHARS_PER_CONNECTION"]

log = logging.getLogger("local_exchange.ws")

SPOT_ARGS_PER_REQUEST = 10
#: The system-status stream (``/v5/public/misc/status``): one topic, ``system.status``.
STATUS_CHANNEL = "misc/status"
OPTION_TOPICS_PER_CONNECTION = 2000
ARGS_CHARS_PER_CONNECTION = 21_000
#: Longest stretch of feed ticks the clock runs before letting the event loop serve sockets.
SLICE_S = 0.002


class Tickable(Protocol):
    """What :class:`FeedClock` needs of a feed (every :class:`~local_exchange.feeds.Feed` has it)."""

    @property
    def interval_ms(self) -> int: ...

    @property
    def subscribers(self) -> Sized: ...

    def tick(self, now: int) -> None: ...


class FeedClock:
    """Calls every running feed's ``tick(now)`` on its grid, from one timer on the event loop.

    ``add(feed)`` puts a feed on the clock (again, after it stopped); a feed
    leaves it by itself once it has no subscribers. Due pushes run **earliest
    deadline first**: a push due at ``t`` by a feed with interval ``i`` must be
    out before ``t + i``, when the next one is due, so a 10 ms book goes before
    a 100 ms ticker that became due in the same millisecond, and a 1 s kline
    last. Between two ticks the clock looks again for pushes that became due
    meanwhile, and after ``slice_s`` of work (default :data:`SLICE_S`) it lets
    the event loop serve sockets before it goes on. ``wall_ms`` is the clock the
    grid is read from (tests pass their own).
    """

    def __init__(self, wall_ms: Callable[[], float] | None = None, slice_s: float = SLICE_S) -> None:
        self._wall_ms = wall_ms or (lambda: time.time() * 1000.0)
        self._slice_s = slice_s
        self._waiting: list[tuple[float, int, Tickable]] = []           # (due wall-clock ms, order, feed)
        self._ready: list[tuple[float, int, float, Tickable]] = []      # (deadline, order, due, feed)
        self._on: set[Tickable] = set()
        self._order = itertools.count()
        self._handle: asyncio.Handle | None = None
        self._handle_due = float("inf")      # when the pending call runs (-inf: as soon as possible)
        self.ticks = 0

    def __len__(self) -> int:
        return len(self._on)

    @staticmethod
    def next_grid(now_ms: float, interval: int) -> float:
        """The first grid point of a feed with ``interval`` after ``now_ms``."""
        return (int(now_ms - TICK_OFFSET_MS) // interval + 1) * interval + TICK_OFFSET_MS

    def add(self, feed: Tickable) -> None:
        """Start ticking ``feed`` at its next grid point (no-op if it is on the clock already)."""
        if feed in self._on:
            return
        self._on.add(feed)
        heapq.heappush(self._waiting, (self.next_grid(self._wall_ms(), feed.interval_ms), next(self._order), feed))
        self._arm()

    def close(self) -> None:
        """Stop the clock (server shutdown)."""
        if self._handle is not None:
            self._handle.cancel()
        self._handle, self._handle_due = None, float("inf")
        self._waiting.clear()
        self._ready.clear()
        self._on.clear()

    def _arm(self) -> None:
        """Make sure ``_run`` is called when the earliest waiting push is due."""
        if self._ready:
            due = float("-inf")
        elif self._waiting:
            due = self._waiting[0][0]
        else:
            return
        if self._handle is not None:
            if due >= self._handle_due:
                return
            self._handle.cancel()
        loop = asyncio.get_running_loop()
        self._handle_due = due
        if due == float("-inf"):
            self._handle = loop.call_soon(self._run)
        else:
            self._handle = loop.call_at(loop.time() + max(0.0, due - self._wall_ms()) / 1000.0, self._run)

    def _run(self) -> None:
        self._handle, self._handle_due = None, float("inf")
        waiting, ready = self._waiting, self._ready
        started = time.perf_counter()
        while True:
            now = self._wall_ms()
            while waiting and waiting[0][0] <= now:
                due, order, feed = heapq.heappop(waiting)
                heapq.heappush(ready, (due + feed.interval_ms, order, due, feed))
            if not ready:
                break
            _, _, _, feed = heapq.heappop(ready)
            if not feed.subscribers:
                self._on.discard(feed)
                continue
            try:
                feed.tick(now_ms())
            except Exception:
                log.exception("%r failed to publish", feed)
            self.ticks += 1
            heapq.heappush(waiting, (self.next_grid(self._wall_ms(), feed.interval_ms), next(self._order), feed))
            if time.perf_counter() - started > self._slice_s:
                break                        # let the loop serve sockets; _arm calls back at once
        self._arm()


def _feeds(conn: Connection) -> Feeds:
    app = conn.app
    assert app is not None
    return app[FEEDS]


def _refuse(conn: Connection, op: str, req_id: Any, args: list[str], message: str) -> dict:
    if conn.channel == "option":
        reply = subscribe_reply(conn, op, req_id, False, message, failed_topics=args)
        return reply
    return subscribe_reply(conn, op, req_id, False, message)


async def _subscribe(conn: Connection, req_id: Any, args: list[str]) -> None:
    feeds = _feeds(conn)
    category = conn.channel
    if category == "spot" and len(args) > SPOT_ARGS_PER_REQUEST:
        await conn.send(_refuse(conn, "subscribe", req_id, args,
                                f"error:args count exceeds the limit of {SPOT_ARGS_PER_REQUEST} per request on spot"))
        return
    if category == "option" and len(conn.topics) + len(args) > OPTION_TOPICS_PER_CONNECTION:
        await conn.send(_refuse(conn, "subscribe", req_id, args,
                                f"error:too many topics, at most {OPTION_TOPICS_PER_CONNECTION} per connection on option"))
        return
    if sum(map(len, conn.topics)) + sum(map(len, args)) > ARGS_CHARS_PER_CONNECTION:
        await conn.send(_refuse(conn, "subscribe", req_id, args,
                                f"error:args too long, at most {ARGS_CHARS_PER_CONNECTION} characters per connection"))
        return
    ok: list[str] = []
    failed: list[str] = []
    first_error = ""
    for topic in args:
        if topic in conn.topics:
            error = f"error:already subscribed,topic:{topic}"
        elif parse_topic(feeds.market, category, topic) is None:
            error = f"error:handler not found,topic:{topic}"
        else:
            conn.topics.add(topic)          # claimed now, so a repeat in the next frame is refused
            ok.append(topic)
            continue
        failed.append(topic)
        first_error = first_error or error
    # Answer after about one round trip (see ws_common.REPLY_DELAY_S); join the feeds only
    # then, so that nothing reaches the client before the reply and its snapshot.
    await asyncio.sleep(REPLY_DELAY_S)
    if conn.closed:
        return
    # From here to the end nothing awaits, so no feed can publish in between.
    joined = [feeds.add(conn, category, topic, start=False) for topic in ok]
    await conn.send(subscribe_reply(conn, "subscribe", req_id, not failed, first_error,
                                    ok_topics=ok, failed_topics=failed))
    now = now_ms()
    for topic, feed in zip(ok, joined):   # the snapshot each newcomer needs, right after the reply
        if feed is None:
            continue
        try:
            feed.welcome(conn, now)
        except Exception:
            log.exception("welcome on %s failed", topic)
        _clock(conn).add(feed)


async def _unsubscribe(conn: Connection, req_id: Any, args: list[str]) -> None:
    feeds = _feeds(conn)
    ok: list[str] = []
    failed: list[str] = []
    first_error = ""
    for topic in args:
        if topic in conn.topics:
            conn.topics.discard(topic)
            feeds.remove(conn, conn.channel, topic)
            ok.append(topic)
        else:
            failed.append(topic)
            first_error = first_error or f"error:not subscribed,topic:{topic}"
    await conn.send(subscribe_reply(conn, "unsubscribe", req_id, not failed, first_error,
                                    ok_topics=ok, failed_topics=failed))


def _clock(conn: Connection) -> FeedClock:
    app = conn.app
    assert app is not None
    return app[FEED_CLOCK]


async def on_frame(conn: Connection, frame: dict) -> None:
    """``subscribe`` / ``unsubscribe`` on a public socket (``serve`` has already answered pings and bad frames)."""
    op = frame["op"]
    req_id = frame.get("req_id")
    args = frame.get("args")
    if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
        await conn.send(error_reply(conn, op, req_id, "error:args must be a list of topic strings"))
        return
    if op == "subscribe":
        await _subscribe(conn, req_id, args)
    else:
        await _unsubscribe(conn, req_id, args)


async def on_close(conn: Connection) -> None:
    """A socket went away: leave every topic (feeds with no one left stop)."""
    _feeds(conn).drop(conn, conn.channel, conn.topics)
    conn.topics.clear()


async def handle(request: web.Request) -> web.StreamResponse:
    """``GET /v5/public/{channel}`` upgraded to a WebSocket."""
    return await serve(request, request.match_info["channel"], on_frame, on_close)


async def handle_status(request: web.Request) -> web.StreamResponse:
    """``GET /v5/public/misc/status`` upgraded to a WebSocket: the ``system.status`` topic only."""
    return await serve(request, STATUS_CHANNEL, on_frame, on_close, ops=("subscribe", "unsubscribe"))


async def _stop_feeds(app: web.Application) -> None:
    app[FEED_CLOCK].close()
    app[FEEDS].close()


def setup(app: web.Application) -> None:
    """Add the public WebSocket paths and the feed registry to ``app`` (needs ``app[MARKET]``)."""
    setup_ws(app)
    app[FEEDS] = Feeds(app[MARKET])
    app[FEED_CLOCK] = FeedClock()
    app.router.add_get("/v5/public/{channel:%s}" % "|".join(PUBLIC_CHANNELS), handle)
    app.router.add_get(STREAM_PATHS[STATUS_CHANNEL], handle_status)
    app.on_cleanup.append(_stop_feeds)
