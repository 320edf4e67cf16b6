"""Batch orders: up to 20 (spot: 10) orders placed, amended or cancelled in one request.

One code path serves ``POST /v5/order/create-batch``, ``amend-batch`` and
``cancel-batch`` over REST and ``order.create-batch``... over the ``/v5/trade``
WebSocket. The request is ``{"category": ..., "request": [order, ...]}``; each
order is handled as its single request would be (the same checks, codes and
refusals), and one failing does not stop the others. The reply's
``result.list`` has one item per order (``createAt`` for creations) and
``retExtInfo.list`` its code and message, in the same order, as Bybit sends them.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import PARAM_ERROR, SERVER_ERROR, BybitError
from .matching import amend_order, cancel_order, place_order
from .params import Params
from .records import Order
from .unsupported import refuse_unsupported

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market

log = logging.getLogger(__name__)

BATCH_LIMIT = {"spot": 10}          # orders per batch; every other category: 20
DEFAULT_BATCH_LIMIT = 20

#: batch kind -> (the single operation each item is, the single op's REST path)
KINDS: dict[str, tuple[Callable[..., Order], str]] = {
    "create": (place_order, "/v5/order/create"),
    "amend": (amend_order, "/v5/order/amend"),
    "cancel": (cancel_order, "/v5/order/cancel"),
}


def check(category: Any, requests: Any) -> tuple[str, list[dict]]:
    """The batch's ``category`` and its order objects, or 10001 saying what is wrong."""
    if not isinstance(category, str) or not category:
        raise BybitError(PARAM_ERROR, "Param validation for 'category' failed on the 'required' tag")
    if not isinstance(requests, list) or not requests or not all(isinstance(r, dict) for r in requests):
        raise BybitError(PARAM_ERROR, "params error: request must be a non-empty list of order objects")
    most = BATCH_LIMIT.get(category, DEFAULT_BATCH_LIMIT)
    if len(requests) > most:
        raise BybitError(PARAM_ERROR, f"params error: a {category} batch holds at most {most} orders")
    return category, requests


def _item(kind: str, category: str, symbol: Any, order: Order | None) -> dict[str, Any]:
    item = {"category": category, "symbol": symbol if isinstance(symbol, str) else "",
            "orderId": order.order_id if order else "", "orderLinkId": order.order_link_id if order else ""}
    if kind == "create":
        item["createAt"] = str(order.created) if order else ""
    return item


def run(account: Account, market: Market, kind: str, category: str, requests: Sequence[dict],
        now_ms: Callable[[], int]) -> tuple[list[dict], list[dict]]:
    """Each order in turn: ``(result.list, retExtInfo.list)``."""
    operation, single_path = KINDS[kind]
    items: list[dict] = []
    results: list[dict] = []
    for request in requests:
        symbol = request.get("symbol", "")
        try:
            refuse_unsupported(single_path, request)
            order = operation(account, market, Params({**request, "category": category}), now_ms())
        except BybitError as error:
            items.append(_item(kind, category, symbol, None))
            results.append({"code": error.code, "msg": error.message})
            continue
        except Exception:
            log.exception("batch %s item failed", kind)
            items.append(_item(kind, category, symbol, None))
            results.append({"code": SERVER_ERROR, "msg": "Server error."})
            continue
        items.append(_item(kind, category, order.symbol, order))
        results.append({"code": 0, "msg": "OK"})
    return items, results
