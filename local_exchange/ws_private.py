"""The private stream ``/v5/private``: your own orders, fills, positions and wallet, pushed live.

A client talks to it in three steps (``reference/websocket.md`` §3 and §5)::

    -> {"req_id": "1", "op": "auth", "args": ["<api key>", <expires ms>, "<signature>"]}
    <- {"req_id": "1", "success": true, "ret_msg": "", "op": "auth", "conn_id": "..."}
    -> {"req_id": "2", "op": "subscribe", "args": ["order", "execution", "position", "wallet"]}
    <- {"req_id": "2", "success": true, "ret_msg": "", "op": "subscribe", "conn_id": "..."}
    <- {"id": "...", "topic": "order", "creationTime": 1700000000000, "data": [{...}]}

**Authentication.** ``expires`` is a time in ms that must still be in the future
when the frame arrives; the signature is the lowercase hex
``HMAC_SHA256(secret, "GET/realtime" + str(expires))``. pybit sends
``expires = now + 1 s`` (its ``private_auth_expire`` argument), so a client
whose clock runs more than a second behind fails here (learner pitfall 13).

Answers to a failed ``auth`` (``success: false``, the connection stays open):

===========================================  =========================================
problem                                      ``ret_msg``
===========================================  =========================================
``args`` not ``[key, expires, signature]``   ``Params Error``
``expires`` already past                     ``Params Error`` (as observed on Bybit)
signature does not match                     ``Params Error`` (as observed on Bybit)
key unknown here                             ``API key is invalid.`` (Bybit's stream wording
                                             is not documented; this is the REST text of
                                             10003, which names the usual cause: a key from
                                             another environment)
built-in demo key from another machine       ``API key is invalid. ...`` plus why
second ``auth`` on the same connection       ``Repeat auth`` (by analogy with the trade
                                             stream's retCode 20001; the connection stays
                                             signed in with the first key)
===========================================  =========================================

**Topics.** ``order``, ``execution``, ``execution.fast``, ``position``, ``wallet``
and ``greeks`` (accepted; options do not trade here, so it stays silent), plus the
categorised forms ``order.spot``, ``order.linear`` (also ``.inverse``/``.option``),
``execution.<category>``, ``execution.fast.<category>`` and
``position.<linear|inverse|option>``, which carry only that category's items.
Subscribing before ``auth`` answers ``success: false`` with ``ret_msg``
``"Request not authorized"`` (the text Bybit's V5 stream is reported to send).
``dcp.spot``, ``dcp.future`` and ``dcp.option`` are accepted too: they push
nothing, they guard their product for disconnect-cancel-all (see :mod:`.dcp`).
Any other topic (a public one such as ``tickers.BTCUSDT``, ``spread.order``)
answers ``"error:handler not found,topic:<topic>"``, and a topic this
connection already has answers
``"error:already subscribed,topic:<topic>"``. A request with one bad topic
subscribes none of its topics. (Bybit forbids mixing ``order`` and
``order.spot`` *in one request*; this imitation allows it.)

**Messages.** Every change to the account (a REST or WebSocket order, a fill of
a resting order found by the 100 ms sweep, a cancel, a leverage change) makes
:class:`~local_exchange.accounts.Account` call its listeners with
``(topic, items)``, in the order order -> execution -> position -> wallet. This
connection's listener wraps the items in Bybit's envelope
``{"id", "topic", "creationTime", "data"}`` (no ``type``, no ``ts``);
``execution.fast`` has no ``id`` and a smaller item
(``category, symbol, orderId, isMaker, orderLinkId, execId, execPrice, execQty,
side, execTime, seq``). The items are built at the moment of the change, so a
``wallet`` or ``position`` message shows the state *after* it. ``wallet`` sends
no snapshot on subscribe (as on Bybit): the first message comes with the first
change.

**Threads and back-pressure.** The listener runs inside the exchange's event
loop, in the middle of order handling, so it must not wait: it writes each
finished frame into the socket's send buffer and returns (no ``await``), which
also keeps the messages in order. A client that stops reading is disconnected
once too much piles up unsent (see :mod:`.ws_common`; Bybit also cuts slow
consumers). The
listener is added to the account on the first successful ``subscribe`` and
removed when the connection closes (or when it unsubscribes from everything).
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bybit_spec.signature import websocket_signature as auth_signature
from bybit_spec.topics import PRIVATE_CATEGORIES, PRIVATE_TOPICS, STREAM_PATHS

from . import dcp
from .auth import demo_key_refused, is_loopback
from .clock import now_ms
from .settings import DEMO_API_KEY
from .state import ACCOUNTS, CONFIG
from .ws_common import Connection, encode, serve, subscribe_reply

if TYPE_CHECKING:
    from .accounts import Account, Accounts

log = logging.getLogger("local_exchange.ws_private")

PATH = STREAM_PATHS["private"]
#: How long a ``subscribe`` takes to answer. pybit sends the subscribe frame *before*
#: it records the request and its callbacks; over the internet the reply needs tens of
#: ms, on loopback it can beat pybit's own bookkeeping and crash its socket thread
#: (KeyError on the req_id or the topic). So the local exchange "travels" this long.
SUBSCRIBE_DELAY_S = 0.05

#: every private topic served here -> the categories its categorised form accepts
TOPICS: dict[str, tuple[str, ...]] = {topic: PRIVATE_CATEGORIES.get(topic, ()) for topic in PRIVATE_TOPICS}
#: which account change feeds which topic (the listener's ``topic`` -> topic bases)
FEEDS: dict[str, tuple[str, ...]] = {
    "order": ("order",),
    "execution": ("execution", "execution.fast"),
    "position": ("position",),
    "wallet": ("wallet",),
}
FAST_FIELDS = ("category", "symbol", "orderId", "isMaker", "orderLinkId", "execId", "execPrice",
               "execQty", "side", "execTime", "seq")

PARAMS_ERROR = "Params Error"
NOT_AUTHORIZED = "Request not authorized"
REPEAT_AUTH = "Repeat auth"
INVALID_KEY = "API key is invalid."


# ---------------------------------------------------------------------------------------------
# Pure helpers (no sockets): topic names, signatures, message shapes
# ---------------------------------------------------------------------------------------------
def parse_topic(topic: Any) -> tuple[str, str | None] | None:
    """``"order.spot"`` -> ``("order", "spot")``; ``"wallet"`` -> ``("wallet", None)``; else ``None``.

    >>> parse_topic("execution.fast.linear"), parse_topic("execution"), parse_topic("tickers.BTCUSDT")
    (('execution.fast', 'linear'), ('execution', None), None)
    """
    if not isinstance(topic, str):
        return None
    if topic in TOPICS:
        return topic, None
    base, _, category = topic.rpartition(".")
    if base in TOPICS and category in TOPICS[base]:
        return base, category
    return None


def expires_text(value: Any) -> str | None:
    """``expires`` as the text that was signed: an integer (JSON number or digit string), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    return None


def check_auth_args(args: Any, accounts: Accounts, now: int, remote: str | None,
                    allow_demo_remote: bool) -> tuple[Account | None, str]:
    """Verify the ``args`` of an ``auth`` frame: ``(account, "")`` or ``(None, why)``.

    ``why`` is one of ``"params"`` (malformed), ``"expired"``, ``"key"`` (unknown key),
    ``"demo"`` (demo key from another machine) or ``"sign"`` (signature mismatch); each
    stream turns it into its own reply. Shared by ``/v5/private`` and ``/v5/trade``.
    """
    if not isinstance(args, list) or len(args) != 3:
        return None, "params"
    key, expires_raw, signature = args
    expires = expires_text(expires_raw)
    if not isinstance(key, str) or not key or not isinstance(signature, str) or expires is None:
        return None, "params"
    account = accounts.get(key)
    if account is None:
        return None, "key"
    if key == DEMO_API_KEY and not allow_demo_remote and not is_loopback(remote):
        return None, "demo"
    if int(expires) <= now:
        return None, "expired"
    expected = auth_signature(account.api_secret, expires)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return None, "sign"
    return account, ""


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def message_id() -> str:
    """A fresh message ``id`` (unique; Bybit's look like ``5923240c6880ab-c59f-420b-...``)."""
    return str(uuid.uuid4())


def build_messages(subscribed: dict[str, tuple[str, str | None]], source: str, items: list[dict],
                   now: int) -> list[dict]:
    """The messages one connection gets for one account change.

    ``subscribed`` maps each topic of the connection to its parsed form (see
    :func:`parse_topic`); ``source`` and ``items`` are what the account's listener
    received. A categorised topic gets only its category's items, and no message
    at all when none is left.
    """
    bases = FEEDS.get(source, ())
    out: list[dict] = []
    for topic, (base, category) in subscribed.items():
        if base not in bases:
            continue
        chosen = items if category is None else [i for i in items if i.get("category") == category]
        if base == "execution.fast":
            chosen = [{k: i.get(k) for k in FAST_FIELDS} for i in chosen
                      if i.get("execType", "Trade") == "Trade"]
            if chosen:
                out.append({"topic": topic, "creationTime": now, "data": chosen})
            continue
        if chosen:
            out.append({"id": message_id(), "topic": topic, "creationTime": now, "data": chosen})
    return out


def auth_reply(conn: Connection, req_id: Any, success: bool, ret_msg: str) -> dict:
    """``{"req_id"?, "success", "ret_msg", "op": "auth", "conn_id"}`` (``req_id`` only when sent)."""
    reply: dict[str, Any] = {}
    if req_id is not None:
        reply["req_id"] = req_id
    reply.update(success=success, ret_msg=ret_msg, op="auth", conn_id=conn.conn_id)
    return reply


# ---------------------------------------------------------------------------------------------
# One connection
# ---------------------------------------------------------------------------------------------
@dataclass
class PrivateSession:
    """What one ``/v5/private`` connection knows: who signed in and which topics it wants."""

    conn: Connection
    loop: asyncio.AbstractEventLoop
    account: Account | None = None
    topics: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    listening: bool = False
    closed: bool = False

    # -- the account listener ---------------------------------------------------------------
    def on_change(self, source: str, items: list[dict]) -> None:
        """Account listener: send the messages this connection wants, without waiting.

        :meth:`Connection.push` writes the finished frame to the socket's buffer and
        returns at once (a client that lets too much pile up is disconnected there),
        so trading never waits for a slow reader and messages keep their order.
        """
        if self.closed or not self.topics:
            return
        if _running_loop() is not self.loop:
            # called from another thread (code poking an account by hand): hop onto the loop
            self.loop.call_soon_threadsafe(self.on_change, source, items)
            return
        for message in build_messages(self.topics, source, items, now_ms()):
            if not self.conn.push(encode(message)):
                self.stop_listening()          # the socket is gone; serve() will clean up
                return

    def start_listening(self) -> None:
        """Put this connection's listener on the account (once)."""
        if self.listening or self.account is None:
            return
        self.account.listeners.append(self.on_change)
        self.listening = True

    def stop_listening(self) -> None:
        """Take this connection's listener off the account (idempotent)."""
        if self.listening and self.account is not None:
            try:
                self.account.listeners.remove(self.on_change)
            except ValueError:
                pass
        self.listening = False

    def close(self) -> None:
        """The connection ended: stop listening and forget the topics."""
        self.closed = True
        self.stop_listening()
        if self.account is not None:
            dcp.unguard(self.account, list(self.topics), now_ms())
        self.topics.clear()
        self.conn.topics.clear()

    # -- frames -----------------------------------------------------------------------------
    async def handle(self, frame: dict, app: web.Application) -> None:
        op = frame.get("op")
        req_id = frame.get("req_id")
        if op == "auth":
            await self.conn.send(self.authenticate(frame.get("args"), app, req_id))
        elif op == "subscribe":
            await asyncio.sleep(SUBSCRIBE_DELAY_S)      # see SUBSCRIBE_DELAY_S
            await self.conn.send(self.subscribe(frame.get("args"), req_id))
        elif op == "unsubscribe":
            await self.conn.send(self.unsubscribe(frame.get("args"), req_id))
        else:
            await self.conn.send(subscribe_reply(self.conn, op if isinstance(op, str) else "", req_id,
                                                 False, f"error:invalid op,op:{op}"))

    def authenticate(self, args: Any, app: web.Application, req_id: Any) -> dict:
        """Answer an ``auth`` frame (see the module docstring for every failure text)."""
        if self.account is not None:
            return auth_reply(self.conn, req_id, False, REPEAT_AUTH)
        config = app[CONFIG]
        account, why = check_auth_args(args, app[ACCOUNTS], now_ms(), self.conn.remote,
                                       config.allow_demo_key_remote)
        if account is None:
            log.info("private stream %s: auth refused (%s)", self.conn.conn_id, why)
            if why == "key":
                return auth_reply(self.conn, req_id, False, INVALID_KEY)
            if why == "demo":
                return auth_reply(self.conn, req_id, False, demo_key_refused().message)
            return auth_reply(self.conn, req_id, False, PARAMS_ERROR)
        self.account = account
        self.conn.state["account"] = account
        return auth_reply(self.conn, req_id, True, "")

    def _topics_of(self, args: Any) -> list[str] | None:
        if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
            return None
        return args

    def subscribe(self, args: Any, req_id: Any) -> dict:
        """Answer a ``subscribe`` frame; on success start pushing those topics."""
        topics = self._topics_of(args)
        if topics is None:
            return subscribe_reply(self.conn, "subscribe", req_id, False, PARAMS_ERROR)
        if self.account is None:
            return subscribe_reply(self.conn, "subscribe", req_id, False, NOT_AUTHORIZED)
        parsed: dict[str, tuple[str, str | None]] = {}
        for topic in topics:
            p = parse_topic(topic) or dcp.parse_topic(topic)
            if p is None:
                return subscribe_reply(self.conn, "subscribe", req_id, False,
                                       f"error:handler not found,topic:{topic}")
            if topic in self.topics or topic in parsed:
                return subscribe_reply(self.conn, "subscribe", req_id, False,
                                       f"error:already subscribed,topic:{topic}")
            parsed[topic] = p
        self.topics.update(parsed)
        self.conn.topics.update(parsed)
        dcp.guard(self.account, list(parsed))
        self.start_listening()
        return subscribe_reply(self.conn, "subscribe", req_id, True, "")

    def unsubscribe(self, args: Any, req_id: Any) -> dict:
        """Answer an ``unsubscribe`` frame; topics not subscribed are ignored (pybit resends lists)."""
        topics = self._topics_of(args)
        if topics is None:
            return subscribe_reply(self.conn, "unsubscribe", req_id, False, PARAMS_ERROR)
        gone = [topic for topic in topics if topic in self.topics]
        for topic in topics:
            self.topics.pop(topic, None)
            self.conn.topics.discard(topic)
        if self.account is not None:
            dcp.unguard(self.account, gone, now_ms())
        if not self.topics:
            self.stop_listening()
        return subscribe_reply(self.conn, "unsubscribe", req_id, True, "")


# ---------------------------------------------------------------------------------------------
# The route
# ---------------------------------------------------------------------------------------------
async def private_stream(request: web.Request) -> web.StreamResponse:
    """``GET /v5/private`` (WebSocket upgrade): serve one private connection."""
    app = request.app
    loop = asyncio.get_running_loop()

    def session_of(conn: Connection) -> PrivateSession:
        session = conn.state.get("private")
        if session is None:
            session = conn.state["private"] = PrivateSession(conn, loop)
        return session

    async def on_frame(conn: Connection, frame: dict) -> None:
        await session_of(conn).handle(frame, app)

    async def on_close(conn: Connection) -> None:
        session = conn.state.get("private")
        if session is not None:
            session.close()

    return await serve(request, "private", on_frame, on_close)


def add_routes(app: web.Application) -> None:
    """Register ``/v5/private`` on ``app``."""
    app.router.add_get(PATH, private_stream)
