"""The public streams: ``ws://HOST:PORT/v5/public/{spot,linear,inverse,option}``.

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

Careful with pybit 5.17.0: a ``success: false`` subscribe reply makes it raise in
its socket thread and drop the connection. The real exchange does the same to
it, so this server does not soften its replies; show bad topics with a plain
WebSocket client.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from .clock import now_ms
from .feeds import Feeds, parse_topic
from .state import FEEDS, MARKET
from .ws_common import PUBLIC_CHANNELS, REPLY_DELAY_S, Connection, error_reply, serve, setup as setup_ws, subscribe_reply

__all__ = ["setup", "handle", "SPOT_ARGS_PER_REQUEST", "OPTION_TOPICS_PER_CONNECTION", "ARGS_CHARS_PER_CONNECTION"]

log = logging.getLogger("local_exchange.ws")

SPOT_ARGS_PER_REQUEST = 10
OPTION_TOPICS_PER_CONNECTION = 2000
ARGS_CHARS_PER_CONNECTION = 21_000


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
        feed.start()


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


async def _stop_feeds(app: web.Application) -> None:
    app[FEEDS].close()


def setup(app: web.Application) -> None:
    """Add the public WebSocket paths and the feed registry to ``app`` (needs ``app[MARKET]``)."""
    setup_ws(app)
    app[FEEDS] = Feeds(app[MARKET])
    app.router.add_get("/v5/public/{channel:%s}" % "|".join(PUBLIC_CHANNELS), handle)
    app.on_cleanup.append(_stop_feeds)
