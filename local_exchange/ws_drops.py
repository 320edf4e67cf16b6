"""``POST /local/ws-drop``: break the caller's WebSocket connections on demand.

Connections break: the wifi goes, a laptop sleeps, Bybit restarts a server.
To see what pybit does then without waiting for it to happen, a notebook asks
the local exchange to drop its sockets::

    POST /local/ws-drop?channel=linear&how=lost

Only the caller's own connections are touched: those opened from the address
the request comes from (on a classroom server, a student drops their own
sockets, never another student's). Parameters, all optional:

``channel``
    ``spot``, ``linear``, ``inverse``, ``option``, ``private`` or ``trade``;
    every channel when left out.
``how``
    ``lost`` (the default): the connection ends with no close frame, as when
    a network fails or a server dies. pybit sees ``Connection to remote host
    was lost``, and with ``restart_on_error=True`` reconnects, signs in again
    and resends its subscribe frames.

    ``silent``: the connection stays open but goes quiet both ways, as when
    the wifi drops: the server sends nothing more and reads nothing more, so
    the client's pings go unanswered. pybit notices only by its ping timeout
    (``ping/pong timed out`` after ``ping_interval + ping_timeout`` s at most),
    then reconnects. The server tears the quiet connection down after
    :data:`SILENT_FOR_S` seconds.

    ``close``: the server sends a close frame (code 1001, "going away") first,
    as a server that shuts down politely does. websocket-client (1.9) hands
    pybit the close as an error too (``Connection closed (code 1001): dropped
    on request``), so pybit reconnects all the same.

The answer is Bybit's envelope with the dropped connections::

    {"retCode":0,"retMsg":"OK","result":{"dropped":[{"channel":"linear","connId":"...","topics":["orderbook.50.BTCUSDT"]}]},...}

An unknown ``channel`` or ``how`` gets retCode 10001 saying what is allowed.
"""
from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSCloseCode, web

from . import envelope
from .errors import BybitError, param_error
from .state import WS_CONNECTIONS
from .ws_common import Connection

PATH = "/local/ws-drop"
CHANNELS = ("spot", "linear", "inverse", "option", "private", "trade")
HOW = ("lost", "silent", "close")
#: How long a connection dropped with ``how=silent`` stays open (and quiet) before the server ends it.
SILENT_FOR_S = 60.0


def _lose(conn: Connection) -> None:
    """End the connection at once, without a close frame (the transport is aborted)."""
    conn.closed = True
    transport = conn._transport        # the TCP connection under the WebSocket
    if transport is not None:
        transport.abort()


def _silence(conn: Connection) -> None:
    """Stop sending and reading on the connection, and end it :data:`SILENT_FOR_S` s later."""
    conn.closed = True                 # pushes and replies stop (Connection.push_frame sends nothing)
    transport = conn._transport
    if transport is not None and not transport.is_closing():
        transport.pause_reading()      # the client's frames, pings included, go unread
        asyncio.get_running_loop().call_later(SILENT_FOR_S, transport.abort)


async def drop(app: web.Application, remote: str | None, channel: str | None, how: str) -> list[dict[str, Any]]:
    """Drop the connections from ``remote`` (on ``channel``, or all); what was dropped, one dict each."""
    chosen = [c for c in list(app.get(WS_CONNECTIONS, ())) if c.remote == remote and not c.closed
              and (channel is None or c.channel == channel)]
    dropped = [{"channel": c.channel, "connId": c.conn_id, "topics": sorted(c.topics)} for c in chosen]
    if how == "close":
        await asyncio.gather(*(c.close(WSCloseCode.GOING_AWAY, "dropped on request") for c in chosen),
                             return_exceptions=True)
    else:
        for conn in chosen:
            (_silence if how == "silent" else _lose)(conn)
    return dropped


async def ws_drop(request: web.Request) -> web.Response:
    """The ``/local/ws-drop`` handler (see the module docstring)."""
    query = request.query
    channel = query.get("channel") or None
    how = query.get("how") or "lost"
    try:
        if channel is not None and channel not in CHANNELS:
            raise param_error(f"params error: channel invalid (one of {', '.join(CHANNELS)}, or none for all)")
        if how not in HOW:
            raise param_error(f"params error: how invalid (one of {', '.join(HOW)})")
    except BybitError as error:
        return envelope.reply(envelope.body(None, error.code, error.message))
    return envelope.ok({"dropped": await drop(request.app, request.remote, channel, how)})


def add_routes(app: web.Application) -> None:
    """Serve ``POST /local/ws-drop`` on ``app``."""
    app.router.add_post(PATH, ws_drop)
