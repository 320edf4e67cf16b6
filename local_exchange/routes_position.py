"""Position and margin settings of a cross-margin unified account.

The local exchange's accounts trade with *cross* margin (``account/info`` says
``REGULAR_MARGIN``), in one-way or hedge position mode, and these endpoints
answer as Bybit answers such an account:

* ``position/switch-mode``: one-way (``mode=0``) or hedge (``mode=3``), per symbol
  or settle coin (the rules are in :mod:`local_exchange.position_mode`);
* ``position/set-auto-add-margin`` and ``position/add-margin``: 110076 and 110015,
  as Bybit refuses them in cross margin;
* ``account/set-margin-mode`` to ``REGULAR_MARGIN``: 110026 "Cross/isolated margin
  mode has not been modified.".

Switching to isolated or portfolio margin is refused with 10001 and a message
that says the local exchange does not simulate it and where to try it
(testnet): never silently accepted.
"""
from __future__ import annotations

from aiohttp import web

from bybit_spec.errors import (
    AUTO_ADD_MARGIN_ISOLATED_ONLY,
    CROSS_MARGIN_POSITION,
    MARGIN_MODE_NOT_MODIFIED,
    MESSAGES,
)

from . import envelope, position_mode, tpsl
from .clock import now_ms
from .errors import BybitError, param_error
from .state import ACCOUNT, MARKET, PARAMS

routes = web.RouteTableDef()

MARGIN_MODES = ("REGULAR_MARGIN", "ISOLATED_MARGIN", "PORTFOLIO_MARGIN")


def not_simulated(what: str) -> BybitError:
    """10001 for a setting Bybit offers and the local exchange does not simulate."""
    return param_error(f"{what} is not simulated by the local exchange (its accounts use cross margin); "
                       "try it with BYBIT_ENV=testnet")


def _fixed(code: int) -> BybitError:
    return BybitError(code, MESSAGES[code])


def _linear_symbol(request: web.Request) -> None:
    """``category`` (linear; inverse is listed but not traded here) and a known ``symbol``."""
    p = request[PARAMS]
    category = p.category(("linear", "inverse"))
    symbol = p.str("symbol", required=True)
    if request.app[MARKET].instrument(category, symbol) is None:
        raise param_error("params error: symbol invalid")


@routes.post("/v5/position/trading-stop")
async def trading_stop(request: web.Request) -> web.Response:
    """Take-profit and stop-loss of the whole position (see :mod:`local_exchange.tpsl`)."""
    tpsl.set_trading_stop(request[ACCOUNT], request.app[MARKET], request[PARAMS], now_ms())
    return envelope.ok({})


@routes.post("/v5/position/switch-mode")
async def switch_mode(request: web.Request) -> web.Response:
    """``mode`` 0 (one-way) or 3 (hedge) for a ``symbol`` or a settle ``coin`` (see :mod:`.position_mode`)."""
    p = request[PARAMS]
    category = p.category(("linear", "inverse"))
    symbol, coin = p.str("symbol"), p.str("coin")
    if symbol is None and coin is None:
        raise param_error("params error: symbol or coin is required")
    mode = p.int("mode", required=True)
    if mode not in position_mode.MODES:
        raise param_error("params error: mode invalid (0: one-way, 3: hedge)")
    position_mode.switch(request[ACCOUNT], request.app[MARKET], category, symbol, coin, mode)
    return envelope.ok({})


@routes.post("/v5/position/set-auto-add-margin")
async def set_auto_add_margin(request: web.Request) -> web.Response:
    _linear_symbol(request)
    auto = request[PARAMS].int("autoAddMargin", required=True)
    if auto not in (0, 1):
        raise param_error("params error: autoAddMargin invalid (0 or 1)")
    raise _fixed(AUTO_ADD_MARGIN_ISOLATED_ONLY)


@routes.post("/v5/position/add-margin")
async def add_margin(request: web.Request) -> web.Response:
    _linear_symbol(request)
    request[PARAMS].decimal("margin", required=True, positive=False)
    raise _fixed(CROSS_MARGIN_POSITION)


@routes.post("/v5/account/set-margin-mode")
async def set_margin_mode(request: web.Request) -> web.Response:
    mode = request[PARAMS].str("setMarginMode", required=True, choices=MARGIN_MODES)
    if mode != "REGULAR_MARGIN":
        raise not_simulated(f"{mode.replace('_', ' ').lower()}")
    raise _fixed(MARGIN_MODE_NOT_MODIFIED)
