"""Order entry over WebSocket: ``/v5/trade`` (``reference/websocket.md`` §6).

The same orders as ``POST /v5/order/create``/``amend``/``cancel``, sent as frames
on one long-lived, signed-in connection instead of one signed HTTP request each::

    -> {"op": "auth", "args": ["<api key>", <expires ms>, "<signature>"]}
    <- {"retCode": 0, "retMsg": "OK", "op": "auth", "connId": "..."}
    -> {"reqId": "r1", "header": {"X-BAPI-TIMESTAMP": 1700000000000, "X-BAPI-RECV-WINDOW": "5000"},
        "op": "order.create",
        "args": [{"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.001"}]}
    <- {"reqId": "r1", "retCode": 0, "retMsg": "OK", "op": "order.create",
        "data": {"orderId": "...", "orderLinkId": ""}, "retExtInfo": {},
        "header": {"X-Bapi-Limit": "10", "X-Bapi-Limit-Status": "9",
                   "X-Bapi-Limit-Reset-Timestamp": "...", "Traceid": "...", "Timenow": "..."},
        "connId": "..."}

Auth is the private stream's (see :mod:`.ws_private`) but the reply is in the REST
style. Each order frame is checked like a REST request, with the same code in the
same order, so a frame and the equivalent REST call get the same ``retCode``:

=================================================  ======  =========================================
problem                                            code    ``retMsg``
=================================================  ======  =========================================
auth: ``args`` malformed, ``expires`` past          10001   ``Params Error``
auth: key unknown (or demo key from elsewhere)      10003   ``API key is invalid.``
auth: signature does not match                      10004   ``error sign! origin_string[GET/realtime<expires>]``
auth: second ``auth`` on the connection             20001   ``Repeat auth``
order op before ``auth``                            10003   ``Request not authorized`` (choice: Bybit's
                                                            answer is undocumented)
``op`` unknown                                      10404   ``op type not found``
``reqId`` not a string or longer than 36 chars      10001   ``params error: reqId invalid ...``
``reqId`` already used on this connection           20006   ``reqId is duplicated``
``X-BAPI-TIMESTAMP`` missing / not a number         10001   says which
timestamp outside the receive window                10002   REST's text (window default 5000 ms)
``args`` not a list holding one object              10001   says what is expected
over the per-UID limit (shared with REST)           10006   ``Too many visits!``
anything :mod:`.matching` refuses                   same code and text as over REST
=================================================  ======  =========================================

``reqId`` is echoed only when sent (pybit always sends a uuid4 and routes the
reply by it). The rate limit is the REST one of the matching path
(``order.create`` counts against ``/v5/order/create`` of that category), so REST
and WebSocket orders share one budget; the three ``X-Bapi-Limit*`` values travel
in the reply's ``header`` object. Errors found before the limit is consulted carry
only ``Traceid`` and ``Timenow``.

Batches (``order.create-batch``, ``order.amend-batch``, ``order.cancel-batch``):
``args`` is ``[{"category": ..., "request": [order, ...]}]`` with at most 20
orders (10 on spot); each order is tried on its own, ``data.list`` holds one item
per order and ``retExtInfo.list`` its ``{code, msg}``. The whole batch counts as
one request against the ``/v5/order/<op>-batch`` limit.

Every order the connection places or changes shows on the private stream of the
same account (order, execution, position, wallet), because both go through
:mod:`.matching`, which notifies the account's listeners.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bybit_spec.topics import STREAM_PATHS

from . import batch, keys, matching
from .auth import DEFAULT_RECV_WINDOW, FUTURE_TOLERANCE_MS, demo_key_refused
from .clock import now_ms
from .errors import (
    INVALID_KEY,
    OP_NOT_FOUND,
    PARAM_ERROR,
    SERVER_ERROR,
    SIGN_ERROR,
    TOO_MANY_VISITS,
    BybitError,
    sign_error,
    timestamp_error,
)
from .params import Params
from .state import ACCOUNTS, CONFIG, LIMITS, MARKET
from .unsupported import refuse_unsupported
from .ws_common import Connection, serve
from .ws_private import check_auth_args, expires_text

if TYPE_CHECKING:
    from .accounts import Account, Order

log = logging.getLogger("local_exchange.ws_trade")

PATH = STREAM_PATHS["trade"]
REPEAT_AUTH = 20001
REQ_ID_DUPLICATED = 20006
#: Delay before each reply is sent. pybit sends an order frame *before* it records the
#: reqId's callback; a reply faster than that (easy on loopback) is dropped as
#: "unregistered reqId" and the callback never runs. Bybit's replies take tens of ms
#: over the internet, so the local exchange waits this long too. Orders are still
#: executed at once (the private stream may show them before the reply arrives),
#: and frames keep being read meanwhile, so throughput does not suffer.
REPLY_DELAY_S = 0.05
MAX_REQ_ID = 36
REMEMBERED_REQ_IDS = 10_000         # reqIds kept per connection for the duplicate check

#: single-order ops -> (matching function, the REST path whose rate limit they share)
SINGLE_OPS: dict[str, tuple[Callable[..., Order], str]] = {
    "order.create": (matching.place_order, "/v5/order/create"),
    "order.amend": (matching.amend_order, "/v5/order/amend"),
    "order.cancel": (matching.cancel_order, "/v5/order/cancel"),
}
#: batch ops -> (the kind of batch, see local_exchange.batch; the REST path whose rate limit they share)
BATCH_OPS: dict[str, tuple[str, str]] = {
    "order.create-batch": ("create", "/v5/order/create-batch"),
    "order.amend-batch": ("amend", "/v5/order/amend-batch"),
    "order.cancel-batch": ("cancel", "/v5/order/cancel-batch"),
}


# ---------------------------------------------------------------------------------------------
# Reply shapes
# ---------------------------------------------------------------------------------------------
def trace_id() -> str:
    """A fresh ``Traceid`` (32 hex digits, as Bybit's)."""
    return uuid.uuid4().hex


def reply_header(now: int, limits: dict[str, str] | None = None) -> dict[str, str]:
    """The reply's ``header``: the rate-limit values when known, then ``Traceid`` and ``Timenow``."""
    header = dict(limits or {})
    header["Traceid"] = trace_id()
    header["Timenow"] = str(now)
    return header


def op_reply(conn: Connection, frame: dict, op: Any, code: int, message: str,
             data: dict | None = None, ext: dict | None = None,
             limits: dict[str, str] | None = None) -> dict:
    """``{"reqId"?, "retCode", "retMsg", "op", "data", "retExtInfo", "header", "connId"}``."""
    reply: dict[str, Any] = {}
    if "reqId" in frame:
        reply["reqId"] = frame["reqId"]
    reply.update(retCode=code, retMsg=message, op=op, data={} if data is None else data,
                 retExtInfo={} if ext is None else ext, header=reply_header(now_ms(), limits),
                 connId=conn.conn_id)
    return reply


def auth_reply(conn: Connection, frame: dict, code: int, message: str) -> dict:
    """``{"reqId"?, "retCode", "retMsg", "op": "auth", "connId"}``."""
    reply: dict[str, Any] = {}
    if "reqId" in frame:
        reply["reqId"] = frame["reqId"]
    elif "req_id" in frame:
        reply["req_id"] = frame["req_id"]
    reply.update(retCode=code, retMsg=message, op="auth", connId=conn.conn_id)
    return reply


# ---------------------------------------------------------------------------------------------
# One connection
# ---------------------------------------------------------------------------------------------
class TradeSession:
    """What one ``/v5/trade`` connection knows: who signed in and which reqIds it used."""

    def __init__(self, conn: Connection, app: web.Application) -> None:
        self.conn = conn
        self.app = app
        self.account: Account | None = None
        self.req_ids: OrderedDict[str, None] = OrderedDict()
        self.outbox: deque[tuple[float, dict]] = deque()
        self.sender: asyncio.Task | None = None

    async def handle(self, frame: dict) -> None:
        """Answer ``frame``: every frame gets exactly one reply, whatever it holds."""
        try:
            reply = self.answer(frame)
        except Exception:
            log.exception("trade stream %s: answering %s failed", self.conn.conn_id, frame.get("op"))
            reply = op_reply(self.conn, frame, frame.get("op"), SERVER_ERROR, "Server error.")
        self.send_later(reply)

    def send_later(self, reply: dict) -> None:
        """Queue ``reply`` to go out :data:`REPLY_DELAY_S` from now, after every earlier reply."""
        loop = asyncio.get_running_loop()
        self.outbox.append((loop.time() + REPLY_DELAY_S, reply))
        if self.sender is None or self.sender.done():
            self.sender = loop.create_task(self._drain())

    async def _drain(self) -> None:
        """Send the queued replies when due. One reply that cannot be sent never stops the others."""
        loop = asyncio.get_running_loop()
        while self.outbox:
            due, reply = self.outbox[0]
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.outbox.popleft()
            try:
                await self.conn.send(reply)
            except Exception:
                log.exception("trade stream %s: a reply could not be sent", self.conn.conn_id)

    async def close(self) -> None:
        """The connection ended: drop unsent replies and stop the sender."""
        self.outbox.clear()
        if self.sender is not None and not self.sender.done():
            self.sender.cancel()
            try:
                await self.sender
            except asyncio.CancelledError:
                pass

    def answer(self, frame: dict) -> dict:
        """The reply to one frame (never raises: errors become Bybit codes)."""
        op = frame.get("op")
        if op == "auth":
            return self.authenticate(frame)
        if op not in SINGLE_OPS and op not in BATCH_OPS:
            return op_reply(self.conn, frame, op, OP_NOT_FOUND, "op type not found")
        if self.account is None:
            return op_reply(self.conn, frame, op, INVALID_KEY, "Request not authorized")
        try:
            self._check_req_id(frame)
            self._check_header(frame.get("header"))
        except BybitError as error:
            return op_reply(self.conn, frame, op, error.code, error.message)
        if op in SINGLE_OPS:
            return self._single(frame, op)
        return self._batch(frame, op)

    # -- auth -------------------------------------------------------------------------------
    def authenticate(self, frame: dict) -> dict:
        if self.account is not None:
            return auth_reply(self.conn, frame, REPEAT_AUTH, "Repeat auth")
        args = frame.get("args")
        account, why = check_auth_args(args, self.app[ACCOUNTS], now_ms(), self.conn.remote,
                                       self.app[CONFIG].allow_demo_key_remote)
        if account is None:
            log.info("trade stream %s: auth refused (%s)", self.conn.conn_id, why)
            if why == "key":
                return auth_reply(self.conn, frame, INVALID_KEY, "API key is invalid.")
            if why == "demo":
                return auth_reply(self.conn, frame, INVALID_KEY, demo_key_refused().message)
            if why == "sign":
                assert isinstance(args, list), "a signature error means args held a key, expires and signature"
                text = f"GET/realtime{expires_text(args[1])}"
                return auth_reply(self.conn, frame, SIGN_ERROR, sign_error(text).message)
            return auth_reply(self.conn, frame, PARAM_ERROR, "Params Error")
        self.account = account
        self.conn.state["account"] = account
        return auth_reply(self.conn, frame, 0, "OK")

    # -- request checks ---------------------------------------------------------------------
    def _check_req_id(self, frame: dict) -> None:
        if "reqId" not in frame:
            return
        req_id = frame["reqId"]
        if not isinstance(req_id, str) or len(req_id) > MAX_REQ_ID:
            raise BybitError(PARAM_ERROR, f"params error: reqId invalid (a string of at most {MAX_REQ_ID} characters)")
        if req_id in self.req_ids:
            raise BybitError(REQ_ID_DUPLICATED, "reqId is duplicated")
        self.req_ids[req_id] = None
        if len(self.req_ids) > REMEMBERED_REQ_IDS:
            self.req_ids.popitem(last=False)

    @staticmethod
    def _check_header(header: Any) -> None:
        """``X-BAPI-TIMESTAMP`` within ``X-BAPI-RECV-WINDOW`` of the server clock, as over REST."""
        if not isinstance(header, dict) or header.get("X-BAPI-TIMESTAMP") in (None, ""):
            raise BybitError(PARAM_ERROR, "params error: header X-BAPI-TIMESTAMP is required")
        raw_ts = header["X-BAPI-TIMESTAMP"]
        raw_window = header.get("X-BAPI-RECV-WINDOW") or DEFAULT_RECV_WINDOW
        try:
            window = int(str(raw_window))
        except ValueError:
            raise BybitError(PARAM_ERROR, "params error: X-BAPI-RECV-WINDOW invalid (expected milliseconds)") from None
        now = now_ms()
        try:
            ts = int(str(raw_ts))
        except ValueError:
            raise timestamp_error(raw_ts, now, raw_window) from None
        if not (now - window <= ts < now + FUTURE_TOLERANCE_MS):
            raise timestamp_error(raw_ts, now, raw_window)

    @staticmethod
    def _one_object(frame: dict) -> dict:
        args = frame.get("args")
        if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], dict):
            raise BybitError(PARAM_ERROR, "params error: args must be a list holding one request object")
        return args[0]

    def _limit(self, path: str, category: Any, now: int) -> dict[str, str]:
        assert self.account is not None
        verdict = self.app[LIMITS].hit(self.account.uid, "POST", path,
                                       category if isinstance(category, str) else "", now)
        if not verdict.allowed:
            raise _Limited(verdict.headers())
        return verdict.headers()

    def _may(self, path: str, category: Any) -> None:
        """10005 unless the signed-in key may call ``path`` (read-only, or lacking the permission)."""
        assert self.account is not None
        keys.check(self.account.key, path, category)

    # -- ops --------------------------------------------------------------------------------
    def _single(self, frame: dict, op: str) -> dict:
        run, path = SINGLE_OPS[op]
        limits: dict[str, str] | None = None
        try:
            request = self._one_object(frame)
            now = now_ms()
            limits = self._limit(path, request.get("category"), now)
            self._may(path, request.get("category"))
            refuse_unsupported(path, request)
            order = run(self.account, self.app[MARKET], Params(request), now)
        except _Limited as limited:
            return op_reply(self.conn, frame, op, TOO_MANY_VISITS, "Too many visits!", limits=limited.headers)
        except BybitError as error:
            return op_reply(self.conn, frame, op, error.code, error.message, limits=limits)
        except Exception:
            log.exception("trade stream %s: %s failed", self.conn.conn_id, op)
            return op_reply(self.conn, frame, op, SERVER_ERROR, "Server error.", limits=limits)
        return op_reply(self.conn, frame, op, 0, "OK",
                        {"orderId": order.order_id, "orderLinkId": order.order_link_id}, limits=limits)

    def _batch(self, frame: dict, op: str) -> dict:
        kind, path = BATCH_OPS[op]
        limits: dict[str, str] | None = None
        try:
            request = self._one_object(frame)
            category, orders = batch.check(request.get("category"), request.get("request"))
            now = now_ms()
            limits = self._limit(path, category, now)
            self._may(path, category)
        except _Limited as limited:
            return op_reply(self.conn, frame, op, TOO_MANY_VISITS, "Too many visits!", limits=limited.headers)
        except BybitError as error:
            return op_reply(self.conn, frame, op, error.code, error.message, limits=limits)
        assert self.account is not None
        items, results = batch.run(self.account, self.app[MARKET], kind, category, orders, now_ms)
        return op_reply(self.conn, frame, op, 0, "OK", {"list": items}, {"list": results}, limits=limits)


class _Limited(Exception):
    """Raised inside a request when the per-UID limit refuses it."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("rate limited")
        self.headers = headers


# ---------------------------------------------------------------------------------------------
# The route
# ---------------------------------------------------------------------------------------------
async def trade_stream(request: web.Request) -> web.StreamResponse:
    """``GET /v5/trade`` (WebSocket upgrade): serve one order-entry connection."""
    app = request.app

    async def on_frame(conn: Connection, frame: dict) -> None:
        session = conn.state.get("trade")
        if session is None:
            session = conn.state["trade"] = TradeSession(conn, app)
        await session.handle(frame)

    async def on_close(conn: Connection) -> None:
        session = conn.state.get("trade")
        if session is not None:
            await session.close()

    return await serve(request, "trade", on_frame, on_close)


def add_routes(app: web.Application) -> None:
    """Register ``/v5/trade`` on ``app``."""
    app.router.add_get(PATH, trade_stream)
