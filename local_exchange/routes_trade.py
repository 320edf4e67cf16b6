"""Private trading endpoints: orders, executions, positions, leverage.

Each handler is thin: it reads the request's :class:`~local_exchange.params.Params`
and :class:`~local_exchange.accounts.Account` (both set by the middleware in
``app.py`` after the signature check), asks :mod:`local_exchange.matching` to
do the work, and answers with Bybit's envelope. Bad input raises
:class:`~local_exchange.errors.BybitError`, which the middleware turns into
``{"retCode": ..., "retMsg": ...}``.

Lists are sorted newest first and paged with ``limit`` and ``cursor``: the
answer's ``nextPageCursor`` is ``""`` on the last page; otherwise pass it back
as ``cursor`` to get the next page.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote

from aiohttp import web

from . import batch, envelope, matching
from .accounts import Account, Execution, Order, Position
from .clock import now_ms
from .errors import param_error
from .params import Params
from .position_mode import indexes
from .state import ACCOUNT, MARKET, PARAMS
from .triggers import kind_filter

routes = web.RouteTableDef()

T = TypeVar("T")
SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000
RECENT_CLOSED = 500                    # openOnly=1 shows up to this many recently closed orders
_CURSOR = re.compile(r"^page_args=(-?\d+)$")


def _ctx(request: web.Request) -> tuple[Params, Account]:
    return request[PARAMS], request[ACCOUNT]


# --------------------------------------------------------------------------------------------
# Paging and filtering helpers
# --------------------------------------------------------------------------------------------
def paginate(items: Sequence[T], key: Callable[[T], int], limit: int, cursor: str | None
             ) -> tuple[list[T], str]:
    """One page of ``items`` (already in answer order, ``key`` strictly decreasing).

    The cursor names the key of the last item returned (``page_args%3D<key>``,
    URL-encoded as Bybit's are); the next page starts after it.
    """
    if cursor:
        match = _CURSOR.match(unquote(cursor))
        if not match:
            raise param_error("params error: cursor invalid")
        after = int(match.group(1))
        items = [it for it in items if key(it) < after]
    page = list(items[:limit])
    more = len(items) > limit
    return page, (f"page_args%3D{key(page[-1])}" if more and page else "")


def time_window(p: Params, now: int) -> tuple[int, int]:
    """``startTime``/``endTime`` as Bybit reads them: at most 7 days; none given → last 7 days."""
    start = p.int("startTime", lo=0)
    end = p.int("endTime", lo=0)
    if end is None:
        if start is None:
            return now - SEVEN_DAYS_MS, now + 1
        end = start + SEVEN_DAYS_MS
    elif start is None:
        start = end - SEVEN_DAYS_MS
    if end < start:
        raise param_error("params error: endTime must not be earlier than startTime")
    if end - start > SEVEN_DAYS_MS:
        raise param_error("params error: The time range between startTime and endTime cannot exceed 7 days")
    return start, end


def _order_filter(request: web.Request, category: str, p: Params, require_scope: bool
                  ) -> Callable[[Order], bool]:
    market = request.app[MARKET]
    in_scope = matching.scope_filter(market, category, p, require=require_scope)
    order_id = p.str("orderId")
    link_id = p.str("orderLinkId")
    of_kind = kind_filter(p, None)

    def keep(o: Order) -> bool:
        return (o.category == category and in_scope(o.symbol) and of_kind(o)
                and (not order_id or o.order_id == order_id)
                and (not link_id or o.order_link_id == link_id))
    return keep


# --------------------------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------------------------
@routes.post("/v5/order/create")
async def create_order(request: web.Request) -> web.Response:
    """Place an order. The answer is only an acknowledgement: ``{orderId, orderLinkId}``.

    Whether it filled, rests or was cancelled (PostOnly, IOC) shows in
    ``/v5/order/realtime`` and on the private WebSocket ``order`` topic.
    """
    p, account = _ctx(request)
    order = matching.place_order(account, request.app[MARKET], p, now_ms())
    return envelope.ok({"orderId": order.order_id, "orderLinkId": order.order_link_id})


@routes.post("/v5/order/amend")
async def amend_order(request: web.Request) -> web.Response:
    """Change ``qty`` and/or ``price`` of an order still ``New`` or ``PartiallyFilled``."""
    p, account = _ctx(request)
    order = matching.amend_order(account, request.app[MARKET], p, now_ms())
    return envelope.ok({"orderId": order.order_id, "orderLinkId": order.order_link_id})


@routes.post("/v5/order/cancel")
async def cancel_order(request: web.Request) -> web.Response:
    """Cancel one open order, named by ``orderId`` (wins) or ``orderLinkId``."""
    p, account = _ctx(request)
    order = matching.cancel_order(account, request.app[MARKET], p, now_ms())
    return envelope.ok({"orderId": order.order_id, "orderLinkId": order.order_link_id})


@routes.post("/v5/order/cancel-all")
async def cancel_all(request: web.Request) -> web.Response:
    """Cancel every open order of a category (linear: of a symbol, baseCoin or settleCoin)."""
    p, account = _ctx(request)
    done = matching.cancel_all(account, request.app[MARKET], p, now_ms())
    return envelope.ok({"list": [{"orderId": o.order_id, "orderLinkId": o.order_link_id} for o in done],
                        "success": "1"})


@routes.get("/v5/order/realtime")
async def open_orders(request: web.Request) -> web.Response:
    """Open orders, newest first. ``openOnly=1`` adds up to 500 recently closed ones.

    Naming an ``orderId`` or ``orderLinkId`` finds that order whatever its status,
    so a just-filled market order can be looked up here.
    """
    p, account = _ctx(request)
    category = p.category()
    keep = _order_filter(request, category, p, require_scope=category in ("linear", "inverse"))
    open_only = p.int("openOnly", default=0, lo=0, hi=2)
    limit = p.int("limit", default=20, lo=1, hi=50)
    named = "orderId" in p or "orderLinkId" in p
    orders = sorted((o for o in account.orders.values() if keep(o)), key=lambda o: o.seq, reverse=True)
    if not named:
        if open_only == 0:
            orders = [o for o in orders if o.is_open]
        else:
            closed = [o for o in orders if not o.is_open][:RECENT_CLOSED]
            chosen = {id(o) for o in closed}
            orders = [o for o in orders if o.is_open or id(o) in chosen]
    page, cursor = paginate(orders, lambda o: o.seq, limit, p.str("cursor"))
    return envelope.ok({"category": category, "list": [o.to_dict() for o in page],
                        "nextPageCursor": cursor})


@routes.get("/v5/order/history")
async def order_history(request: web.Request) -> web.Response:
    """All orders (open and finished) created in the time window, newest first."""
    p, account = _ctx(request)
    category = p.category()
    keep = _order_filter(request, category, p, require_scope=False)
    status = p.str("orderStatus")
    start, end = time_window(p, now_ms())
    limit = p.int("limit", default=20, lo=1, hi=50)
    orders = sorted((o for o in account.orders.values()
                     if keep(o) and start <= o.created <= end and (not status or o.status == status)),
                    key=lambda o: o.seq, reverse=True)
    page, cursor = paginate(orders, lambda o: o.seq, limit, p.str("cursor"))
    return envelope.ok({"category": category, "list": [o.to_dict(history=True) for o in page],
                        "nextPageCursor": cursor})


@routes.get("/v5/execution/list")
async def executions(request: web.Request) -> web.Response:
    """Your fills, newest first (``limit`` up to 100, default 50)."""
    p, account = _ctx(request)
    category = p.category()
    market = request.app[MARKET]
    in_scope = matching.scope_filter(market, category, p, require=False)
    order_id = p.str("orderId")
    link_id = p.str("orderLinkId")
    exec_type = p.str("execType")
    start, end = time_window(p, now_ms())
    limit = p.int("limit", default=50, lo=1, hi=100)

    def keep(e: Execution) -> bool:
        return (e.category == category and in_scope(e.symbol) and start <= e.time <= end
                and (not order_id or e.order_id == order_id)
                and (not link_id or e.order_link_id == link_id)
                and (not exec_type or exec_type == "Trade"))

    rows = [e for e in reversed(account.executions) if keep(e)]
    page, cursor = paginate(rows, lambda e: e.seq, limit, p.str("cursor"))
    return envelope.ok({"category": category, "list": [e.to_dict() for e in page],
                        "nextPageCursor": cursor})


# --------------------------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------------------------
@routes.get("/v5/position/list")
async def positions(request: web.Request) -> web.Response:
    """Positions: with ``symbol`` its row even when flat (hedge mode: both sides); with ``settleCoin`` open ones only."""
    p, account = _ctx(request)
    category = p.category(("linear", "inverse", "option"))
    market = request.app[MARKET]
    symbol = p.str("symbol")
    settle = p.str("settleCoin")
    limit = p.int("limit", default=20, lo=1, hi=200)
    now = now_ms()
    rows: list[dict[str, Any]] = []
    if category in ("linear", "inverse"):
        if not symbol and not settle:
            raise param_error("Missing some parameters that must be filled in, symbol or settleCoin")
        if symbol:
            inst = market.instrument(category, symbol)
            if inst is None:
                raise param_error("params error: symbol invalid")
            chosen = [account.position(symbol, now, idx) for idx in indexes(account, inst)] \
                if category == "linear" else [Position(symbol=symbol)]
        else:
            chosen = sorted((pos for pos in account.positions.values() if pos.size != 0
                             and getattr(market.instrument(category, pos.symbol), "settle_coin", None)
                             == settle), key=lambda pos: pos.key) if category == "linear" else []
        taker = account.fees["linear"].taker
        for pos in chosen:
            inst = market.instrument(category, pos.symbol)
            assert inst is not None, "positions exist only on listed instruments"
            liq = account.liq_price(market, pos, now) if category == "linear" else None
            rows.append(pos.to_dict(inst, market.mark_price(category, pos.symbol, now), taker, liq))
    indexed = list(enumerate(rows))
    page, cursor = paginate(indexed, lambda item: -item[0], limit, p.str("cursor"))
    return envelope.ok({"category": category, "list": [row for _, row in page],
                        "nextPageCursor": cursor})


@routes.post("/v5/position/set-leverage")
async def set_leverage(request: web.Request) -> web.Response:
    """Set the leverage of a linear symbol; the same value again answers 110043."""
    p, account = _ctx(request)
    matching.set_leverage(account, request.app[MARKET], p, now_ms())
    return envelope.ok({})


@routes.get("/v5/position/closed-pnl")
async def closed_pnl(request: web.Request) -> web.Response:
    """What each closing order realised, newest first (see :mod:`local_exchange.closed_pnl`).

    ``category`` is ``linear`` (Bybit also takes ``inverse``, which the local
    exchange does not trade: an empty list); 7 days by default, at most 7.
    """
    p, account = _ctx(request)
    category = p.category(("linear", "inverse"))
    symbol = p.str("symbol")
    limit = p.int("limit", default=50, lo=1, hi=100)
    start, end = time_window(p, now_ms())
    rows = [r for r in reversed(account.closed_pnl)
            if category == "linear" and (symbol is None or r.symbol == symbol) and start <= r.updated <= end]
    page, cursor = paginate(rows, lambda r: r.seq, limit, p.str("cursor"))
    return envelope.ok({"category": category, "list": [r.to_dict() for r in page], "nextPageCursor": cursor})


# --------------------------------------------------------------------------------------------
# Batches (the same code as the trade WebSocket's order.*-batch: local_exchange.batch)
# --------------------------------------------------------------------------------------------
async def _batch(request: web.Request, kind: str) -> web.Response:
    p, account = _ctx(request)
    category, orders = batch.check(p.raw("category"), p.raw("request"))
    items, results = batch.run(account, request.app[MARKET], kind, category, orders, now_ms)
    return envelope.reply(envelope.body({"list": items}, ext={"list": results}))


@routes.post("/v5/order/create-batch")
async def create_batch(request: web.Request) -> web.Response:
    return await _batch(request, "create")


@routes.post("/v5/order/amend-batch")
async def amend_batch(request: web.Request) -> web.Response:
    return await _batch(request, "amend")


@routes.post("/v5/order/cancel-batch")
async def cancel_batch(request: web.Request) -> web.Response:
    return await _batch(request, "cancel")
