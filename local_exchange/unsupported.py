"""Parameters Bybit documents that the local exchange does not implement: refused, never ignored.

A learner who sets a ``trailingStop`` and gets ``retCode 0`` back would believe
the position is protected. So every parameter Bybit documents for the order and
position endpoints that changes what an order or a position does, and that the
local exchange does not act on, is in :data:`UNSUPPORTED` with what it is for
(a parameter a read endpoint ignores is flagged in the wire log instead, see
:mod:`local_exchange.wirenotes`); a request that sends one gets
retCode 10001 and a message that names it, says the local exchange does not
support it and where to try it. Values that mean "off" (``smpType=None``,
``isLeverage=0``, ...) are let through: sending the default changes nothing.

When a parameter becomes supported, delete its row (the tests send each row's
parameter and expect the refusal, so a stale row shows at once).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import BybitError, param_error

UNSUPPORTED: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "/v5/order/create": {
        # takeProfit / stopLoss, their trigger and order types, tpslMode and the limit prices: orders.py
        "isLeverage": ("spot margin trading", ("0",)),
        "smpType": ("self-match prevention", ("None",)),
        "slippageToleranceType": ("slippage protection of market orders", ()),
        "slippageTolerance": ("slippage protection of market orders", ()),
        "bboSideType": ("BBO (best bid/offer) orders", ()),
        "bboLevel": ("BBO (best bid/offer) orders", ()),
        "rpiTakerAccess": ("Retail Price Improvement access", ()),
        "orderIv": ("option orders by implied volatility", ()),
        "mmp": ("market maker protection (options)", ("false",)),
    },
    "/v5/order/amend": {
        # takeProfit / stopLoss / their trigger types are read by matching.amend_order (Full mode)
        "tpslMode": ("Partial-mode TP/SL on an order", ("Full",)),
        "tpLimitPrice": ("limit TP/SL orders", ()),
        "slLimitPrice": ("limit TP/SL orders", ()),
        "orderIv": ("option orders by implied volatility", ()),
    },
    "/v5/order/cancel": {"orderFilter": ("OCO and bidirectional TP/SL orders", ("Order", "StopOrder", "tpslOrder"))},
    "/v5/order/cancel-all": {"stopOrderType": ("cancelling by stop order type", ())},
}
"""Endpoint -> parameter -> (what it is for, values that mean "off" and are let through)."""


def refuse_unsupported(path: str, data: Mapping[str, Any]) -> None:
    """Raise 10001 naming the first documented-but-unsupported parameter ``data`` sends to ``path``."""
    rows = UNSUPPORTED.get(path)
    if not rows:
        return
    for name, value in data.items():
        row = rows.get(name)
        if row is None or value is None or value == "":
            continue
        what, off = row
        if str(value).lower() in (v.lower() for v in off):
            continue
        raise unsupported(name, what)


def unsupported(name: str, what: str) -> BybitError:
    return param_error(f"params error: {name} ({what}) is not supported by the local exchange; leave it out, "
                       "or try it with BYBIT_ENV=testnet")
