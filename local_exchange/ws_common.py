"""What every WebSocket endpoint of the local exchange shares: the socket loop.

Bybit's streams (``/v5/public/{spot,linear,inverse,option}``, ``/v5/private``)
and its order entry (``/v5/trade``) all speak JSON text frames with an ``op``
field. This module holds the part they have in common, so each channel module
(:mod:`.ws_public`, :mod:`.ws_private`, :mod:`.ws_trade`) only says what its
own ops do::

    async def on_frame(conn: Connection, frame: dict) -> None:
        ...                                   # {"op": "subscribe", ...} and friends
        await conn.send(subscribe_reply(conn, "subscribe", frame.get("req_id"), True, ""))

    async def handler(request):
        return await serve(request, "linear", on_frame)

:func:`serve` accepts the socket and then, for every frame the client sends:

* ``{"op": "ping"}`` (or the bare text ``ping``) -> the channel's own pong shape
  (they differ: see :func:`pong_reply`);
* a frame that is not JSON, not a JSON object, or has a missing or unknown
  ``op`` -> an error reply (:func:`error_reply`), and the socket stays open;
* anything else -> ``on_frame(conn, frame)``. An exception escaping it is
  logged and answered with an error reply; it never closes the server.

Heartbeat and idle connections
------------------------------
Clients keep a connection alive with ``{"op": "ping"}`` (Bybit asks for one every
20 s; pybit also sends WebSocket-level ping frames, answered here with pong
frames). A connection on which *nothing* happens - no frame from the client and
no data pushed to it - for ``ExchangeConfig.ws_idle_timeout_s`` seconds (default
600 s) is closed with code 1000 and the reason ``idle timeout``. Bybit documents
this 10-minute rule for private and trade connections, adjustable per connection
with ``?max_active_time=30s`` .. ``600s`` (also ``1m`` .. ``10m``), which is
honoured here on those two paths. The public idle timeout is undocumented; the
same 10 minutes is used (a choice, not a confirmed fact).

Sending fast
------------
A market-data message usually goes to many subscribers. :func:`text_frame` builds
the complete WebSocket frame (header + JSON) once, and :meth:`Connection.push_frame`
writes those same bytes to each socket without waiting: a frame is just a 2-10
byte header followed by the payload (RFC 6455 §5.2; server frames are never
masked), so no per-subscriber encoding or task is needed. A client that stops
reading is disconnected once ``SLOW_CLIENT_BYTES`` pile up unsent, instead of
slowing every other subscriber down (Bybit also cuts slow consumers).

Frames from clients (not pings) are recorded in the wire log as method ``WS``,
so a notebook can show the subscribe frame pybit sent; the API key in an auth
frame is masked like the REST key header.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import struct
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bybit_spec.topics import PUBLIC_CHANNELS  # re-exported for ws_public

from .clock import now_ms
from .encoding import encode  # re-exported: the stream modules encode through here
from .state import CONFIG, WIRE, WS_CONNECTIONS
from .wirelog import mask_key

__all__ = [
    "Connection", "serve", "subscribe_reply", "error_reply", "pong_reply", "text_frame", "encode",
    "setup", "PUBLIC_CHANNELS", "STREAM_OPS", "DEFAULT_IDLE_TIMEOUT_S", "SLOW_CLIENT_BYTES",
    "REPLY_DELAY_S",
]

log = logging.getLogger("local_exchange.ws")

#: The ops each channel understands (besides ``ping``); other ops get an error reply.
STREAM_OPS: dict[str, frozenset[str]] = {
    **{channel: frozenset({"subscribe", "unsubscribe"}) for channel in PUBLIC_CHANNELS},
    "private": frozenset({"auth", "subscribe", "unsubscribe"}),
    "trade": frozenset({"auth", "order.create", "order.amend", "order.cancel",
                        "order.create-batch", "order.amend-batch", "order.cancel-batch"}),
}
DEFAULT_IDLE_TIMEOUT_S = 600.0
#: How long a subscribe is answered after it arrives: about one real round trip.
#: pybit sends a subscribe *before* it registers the callbacks for it; a reply
#: or snapshot arriving first (easy on loopback, impossible from Bybit's distant
#: servers) raises KeyError in pybit's socket thread and hangs its exit().
REPLY_DELAY_S = 0.05
#: Unsent bytes a client may leave queued before it is disconnected as too slow.
SLOW_CLIENT_BYTES = 8 * 1024 * 1024
#: Largest frame a client may send (Bybit caps a subscribe's args at 21,000 characters).
MAX_CLIENT_FRAME = 1024 * 1024

_PACK_SHORT = struct.Struct("!BB").pack
_PACK_MEDIUM = struct.Struct("!BBH").pack
_PACK_LONG = struct.Struct("!BBQ").pack
_XID_ALPHABET = "0123456789abcdefghijklmnopqrstuv"


def text_frame(payload: bytes) -> bytes:
    """A complete, unmasked WebSocket text frame (FIN + opcode 1) carrying ``payload``."""
    n = len(payload)
    if n < 126:
        return _PACK_SHORT(0x81, n) + payload
    if n < 65536:
        return _PACK_MEDIUM(0x81, 126, n) + payload
    return _PACK_LONG(0x81, 127, n) + payload


def _new_conn_id(channel: str) -> str:
    """A connection id shaped like Bybit's: a UUID on spot, an ``xid``-style id elsewhere."""
    if channel == "spot":
        return str(uuid.uuid4())
    raw = int.from_bytes(os.urandom(13), "big")
    chars = []
    for _ in range(20):
        raw, r = divmod(raw, 32)
        chars.append(_XID_ALPHABET[r])
    suffix = int.from_bytes(os.urandom(2), "big") % 1296
    return "".join(chars) + "-" + _base36(suffix)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


class Connection:
    """One accepted client socket.

    ``channel`` is ``"spot"``, ``"linear"``, ``"inverse"``, ``"option"``,
    ``"private"`` or ``"trade"``; ``conn_id`` the id Bybit would echo in replies;
    ``state`` a free dict for the channel handler (the signed-in account, ...);
    ``topics`` the topics this socket is subscribed to.
    """

    __slots__ = ("ws", "conn_id", "channel", "remote", "state", "topics", "closed",
                 "frames_in", "frames_out", "_transport", "_request")

    def __init__(self, ws: web.WebSocketResponse, channel: str, remote: str | None,
                 request: web.Request | None = None) -> None:
        self.ws = ws
        self.conn_id = _new_conn_id(channel)
        self.channel = channel
        self.remote = remote
        self.state: dict[str, Any] = {}
        self.topics: set[str] = set()
        self.closed = False
        self.frames_in = 0
        self.frames_out = 0
        self._request = request
        self._transport: asyncio.Transport | None = request.transport if request is not None else None

    def __repr__(self) -> str:
        return f"<Connection {self.channel} {self.conn_id} {self.remote} topics={len(self.topics)}>"

    @property
    def app(self) -> web.Application | None:
        """The application this connection belongs to (None for a bare test double)."""
        return self._request.app if self._request is not None else None

    async def send(self, obj: dict) -> None:
        """Send ``obj`` as a JSON text frame. Never raises: a closed socket is ignored."""
        self.push_frame(text_frame(encode(obj)))

    def push(self, payload: bytes) -> bool:
        """Send already encoded JSON ``payload`` now, without waiting. False if not sent."""
        return self.push_frame(text_frame(payload))

    def push_frame(self, frame: bytes) -> bool:
        """Write a ready frame (see :func:`text_frame`) to the socket without waiting.

        Returns False (and sends nothing) once the socket is closed or closing.
        A client whose unsent data passes ``SLOW_CLIENT_BYTES`` is disconnected.
        """
        if self.closed:
            return False
        transport = self._transport
        if transport is None or transport.is_closing() or self.ws.closed:
            self.closed = True
            return False
        try:
            if transport.get_write_buffer_size() > SLOW_CLIENT_BYTES:
                log.warning("closing %r: client too slow (%d bytes unsent)", self,
                            transport.get_write_buffer_size())
                self.closed = True
                transport.abort()
                return False
            transport.write(frame)
        except Exception:   # a transport torn down under us: treat as closed
            self.closed = True
            return False
        self.frames_out += 1
        return True

    async def close(self, code: int = WSCloseCode.OK, message: str = "") -> None:
        """Close the socket politely (never raises)."""
        self.closed = True
        try:
            await asyncio.wait_for(self.ws.close(code=code, message=message.encode()), 2.0)
        except Exception:
            if self._transport is not None:
                self._transport.abort()


# ---------------------------------------------------------------- reply shapes

def _now_str() -> str:
    return str(now_ms())


def pong_reply(conn: Connection, req_id: Any = None) -> dict:
    """The answer to ``{"op": "ping"}``; each endpoint has its own shape (websocket.md §1).

    ``req_id`` is echoed when the client sent one (linear/inverse always carry it,
    ``""`` when none was sent, as in Bybit's example).
    """
    channel = conn.channel
    if channel in ("linear", "inverse"):
        return {"success": True, "ret_msg": "pong", "conn_id": conn.conn_id,
                "req_id": "" if req_id is None else req_id, "op": "ping"}
    if channel == "spot":
        reply: dict[str, Any] = {"success": True, "ret_msg": "pong", "conn_id": conn.conn_id}
        if req_id is not None:
            reply["req_id"] = req_id
        reply["op"] = "ping"
        return reply
    if channel == "trade":
        reply = {"reqId": req_id} if req_id is not None else {}
        reply.update(retCode=0, retMsg="OK", op="pong", data=[_now_str()], connId=conn.conn_id)
        return reply
    reply = {"req_id": req_id} if req_id is not None else {}
    if channel == "private":
        reply.update(op="pong", args=[_now_str()], conn_id=conn.conn_id)
    else:   # option (and spread): no conn_id in Bybit's example
        reply.update(args=[_now_str()], op="pong")
    return reply


def subscribe_reply(conn: Connection, op: str, req_id: Any, success: bool, ret_msg: str,
                    *, ok_topics: Collection[str] = (), failed_topics: Collection[str] = ()) -> dict:
    """The reply to ``subscribe``/``unsubscribe``/``auth`` in the channel's shape (websocket.md §2).

    * private: ``{"req_id"?, "success", "ret_msg", "op", "conn_id"}``;
    * spot: ``{"success", "ret_msg", "conn_id", "req_id"?, "op"}`` where a success's
      ``ret_msg`` is the op itself (``"subscribe"``), as in Bybit's example;
    * linear / inverse: ``{"success", "ret_msg", "conn_id", "req_id", "op"}``
      (``req_id`` is ``""`` when the client sent none);
    * option: ``{"success", "conn_id", "req_id"?, "data": {"failTopics", "successTopics"},
      "type": "COMMAND_RESP"}``; ``ok_topics``/``failed_topics`` fill ``data``, and
      a failure also carries ``ret_msg`` (Bybit's option failure shape is undocumented);
    * trade: the REST style ``{"reqId"?, "retCode", "retMsg", "op", "connId"}``
      (10001 on failure; the trade stream's auth in ws_trade.py has its own codes).

    ``req_id`` is echoed unchanged (pybit matches replies by it).
    """
    channel = conn.channel
    if channel == "private":
        reply: dict[str, Any] = {"req_id": req_id} if req_id is not None else {}
        reply.update(success=success, ret_msg=ret_msg, op=op, conn_id=conn.conn_id)
        return reply
    if channel == "spot":
        reply = {"success": success, "ret_msg": ret_msg or (op if success else ""), "conn_id": conn.conn_id}
        if req_id is not None:
            reply["req_id"] = req_id
        reply["op"] = op
        return reply
    if channel == "option":
        reply = {"success": success}
        if not success:
            reply["ret_msg"] = ret_msg
        reply["conn_id"] = conn.conn_id
        if req_id is not None:
            reply["req_id"] = req_id
        reply["data"] = {"failTopics": list(failed_topics), "successTopics": list(ok_topics)}
        reply["type"] = "COMMAND_RESP"
        return reply
    if channel == "trade":
        reply = {"reqId": req_id} if req_id is not None else {}
        reply.update(retCode=0 if success else 10001, retMsg="OK" if success else ret_msg, op=op,
                     connId=conn.conn_id)
        return reply
    return {"success": success, "ret_msg": ret_msg, "conn_id": conn.conn_id,
            "req_id": "" if req_id is None else req_id, "op": op}


def error_reply(conn: Connection, op: Any, req_id: Any, message: str, code: int = 10001) -> dict:
    """An error answer in the channel's style: ``success:false`` on streams, ``retCode`` on trade.

    Bybit's exact wording for malformed frames is undocumented; messages here
    follow its ``error:<what>`` style on the streams.
    """
    op_text = op if isinstance(op, str) else ""
    if conn.channel == "trade":
        reply: dict[str, Any] = {"reqId": req_id} if req_id is not None else {}
        reply.update(retCode=code, retMsg=message, op=op_text, data={}, retExtInfo={},
                     connId=conn.conn_id)
        return reply
    if conn.channel == "option":
        reply = {"success": False, "ret_msg": message, "conn_id": conn.conn_id}
        if req_id is not None:
            reply["req_id"] = req_id
        reply["op"] = op_text
        return reply
    return subscribe_reply(conn, op_text, req_id, False, message)


# ---------------------------------------------------------------- serving

def plain_http_reply(method: str, path: str) -> web.Response:
    """HTTP 404 with Bybit's envelope (retCode 10017) for a plain HTTP request to a WebSocket path.

    The same answer as any other unknown ``/v5`` route, with a message saying how
    to connect instead.
    """
    message = (f"Route not found. {path} is a WebSocket endpoint: connect with ws:// "
               f"(e.g. pybit's WebSocket), not with a plain HTTP {method} request.")
    return web.Response(body=encode({"retCode": 10017, "retMsg": message, "result": {}, "retExtInfo": {},
                                     "time": now_ms()}),
                        status=404, content_type="application/json", charset="utf-8")


_ACTIVE_TIME = re.compile(r"^(\d{1,4})([sm])$")


def _idle_timeout(request: web.Request, channel: str) -> float:
    config = request.app.get(CONFIG)
    timeout = float(getattr(config, "ws_idle_timeout_s", DEFAULT_IDLE_TIMEOUT_S))
    if channel in ("private", "trade"):
        raw = request.query.get("max_active_time", "")
        m = _ACTIVE_TIME.match(raw)
        if m:
            seconds = int(m.group(1)) * (60 if m.group(2) == "m" else 1)
            if 30 <= seconds <= 600:
                timeout = float(seconds)
    return timeout


def _record(request: web.Request, conn: Connection, text: str, frame: Any) -> None:
    """Put one client frame in the wire log (API key of an auth frame masked)."""
    wire = request.app.get(WIRE)
    if wire is None or not wire.size:
        return
    body = text
    if isinstance(frame, dict) and frame.get("op") == "auth" and isinstance(frame.get("args"), list) \
            and frame["args"] and isinstance(frame["args"][0], str):
        shown = dict(frame)
        shown["args"] = [mask_key(frame["args"][0]), *frame["args"][1:]]
        wire.record(now_ms(), "WS", request.path, {}, encode(shown), 101, None)
        return
    wire.record(now_ms(), "WS", request.path, {}, body.encode("utf-8", "replace"), 101, None)


async def _close_all(app: web.Application) -> None:
    """``on_shutdown``: say goodbye (1001 going away) to every open socket, so the server stops at once."""
    conns = list(app.get(WS_CONNECTIONS, ()))
    if conns:
        await asyncio.gather(*(c.close(WSCloseCode.GOING_AWAY, "server shutdown") for c in conns),
                             return_exceptions=True)


def setup(app: web.Application) -> None:
    """Prepare ``app`` for WebSockets: the set of open connections and their shutdown hook."""
    if WS_CONNECTIONS not in app:
        app[WS_CONNECTIONS] = set()
        app.on_shutdown.append(_close_all)


async def serve(
    request: web.Request,
    channel: str,
    on_frame: Callable[[Connection, dict], Awaitable[None]],
    on_close: Callable[[Connection], Awaitable[None]] | None = None,
    ops: Collection[str] | None = None,
) -> web.StreamResponse:
    """Accept a WebSocket on ``request`` and run it until it closes (see the module docstring).

    ``ops`` are the ops passed to ``on_frame`` (default ``STREAM_OPS[channel]``).
    A plain HTTP request (no upgrade) gets :func:`plain_http_reply`.
    """
    ws = web.WebSocketResponse(autoping=False, compress=False, max_msg_size=MAX_CLIENT_FRAME)
    if not ws.can_prepare(request).ok:
        return plain_http_reply(request.method, request.path)
    await ws.prepare(request)
    conn = Connection(ws, channel, request.remote, request)
    known = frozenset(ops) if ops is not None else STREAM_OPS.get(channel, frozenset())
    idle = _idle_timeout(request, channel)
    registry: set[Connection] | None = request.app.get(WS_CONNECTIONS)
    if registry is not None:
        registry.add(conn)
    last_active = time.monotonic()
    seen_out = 0
    try:
        while not ws.closed and not conn.closed:
            remaining = last_active + idle - time.monotonic()
            if remaining <= 0:
                if conn.frames_out != seen_out:          # data was pushed: still alive
                    seen_out = conn.frames_out
                    last_active = time.monotonic()
                    continue
                await conn.close(WSCloseCode.OK, "idle timeout")
                break
            try:
                msg = await ws.receive(timeout=remaining)
            except TimeoutError:
                continue
            kind = msg.type
            if kind == WSMsgType.TEXT:
                last_active = time.monotonic()
                conn.frames_in += 1
                await _handle_text(request, conn, msg.data, on_frame, known)
                seen_out = conn.frames_out      # replies to the client are not "data pushed"
            elif kind == WSMsgType.BINARY:
                last_active = time.monotonic()
                await conn.send(error_reply(conn, "", None, "error:binary frames are not supported, send JSON text frames"))
            elif kind == WSMsgType.PING:
                last_active = time.monotonic()
                try:
                    await ws.pong(msg.data)
                except Exception:
                    break
            elif kind == WSMsgType.PONG:
                last_active = time.monotonic()
            else:   # CLOSE, CLOSING, CLOSED, ERROR (e.g. a frame over MAX_CLIENT_FRAME)
                break
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("WebSocket %r failed", conn)
    finally:
        conn.closed = True
        if registry is not None:
            registry.discard(conn)
        if on_close is not None:
            try:
                await on_close(conn)
            except Exception:
                log.exception("on_close failed for %r", conn)
        if not ws.closed:
            try:
                await asyncio.wait_for(ws.close(), 2.0)
            except Exception:
                pass
    return ws


async def _handle_text(request: web.Request, conn: Connection, text: str,
                       on_frame: Callable[[Connection, dict], Awaitable[None]], known: frozenset[str]) -> None:
    stripped = text.strip()
    if stripped == "ping":
        await conn.send(pong_reply(conn))
        return
    try:
        frame = json.loads(stripped)
    except (ValueError, RecursionError):
        _record(request, conn, text, None)
        await conn.send(error_reply(conn, "", None, "error:request not json, send a JSON object such as "
                                                    '{"op":"subscribe","args":["tickers.BTCUSDT"]}'))
        return
    if not isinstance(frame, dict):
        _record(request, conn, text, None)
        await conn.send(error_reply(conn, "", None, f"error:request must be a JSON object, not a JSON {type(frame).__name__}"))
        return
    op = frame.get("op")
    req_id = frame.get("reqId") if conn.channel == "trade" else frame.get("req_id")
    if op == "ping":
        await conn.send(pong_reply(conn, req_id))
        return
    _record(request, conn, text, frame)
    if not isinstance(op, str) or not op:
        await conn.send(error_reply(conn, op, req_id, "error:missing op, expected one of " + ", ".join(sorted(known | {"ping"})),
                                    10404))
        return
    if op not in known:
        await conn.send(error_reply(conn, op, req_id, f"error:unsupported op:{op}, expected one of "
                                    + ", ".join(sorted(known | {"ping"})), 10404))
        return
    try:
        await on_frame(conn, frame)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("handling %s on %r failed", op, conn)
        await conn.send(error_reply(conn, op, req_id, "error:internal server error", 10016))
