"""Position and margin settings of a unified account.

* ``position/switch-mode``: one-way (``mode=0``) or hedge (``mode=3``), per symbol
  or settle coin (the rules are in :mod:`local_exchange.position_mode`);
* ``account/set-margin-mode``: cross (``REGULAR_MARGIN``, the default) or isolated
  (``ISOLATED_MARGIN``) margin for the whole account, and for isolated positions
  ``position/add-margin`` and ``position/set-auto-add-margin`` (the rules are in
  :mod:`local_exchange.isolated`); in cross margin Bybit refuses those two with
  110015 and 110076;
* ``position/trading-stop``: TP/SL of a position (:mod:`local_exchange.tpsl`);
* ``position/switch-isolated``, the classic accounts' per-symbol switch: 100028;
* ``position/set-risk-limit``: answered, and without effect, as on Bybit since
  risk limits became automatic (:mod:`local_exchange.risk_limits`).

Portfolio margin is refused with 10001 and a message that says the local
exchange does not simulate it and where to try it (testnet): never silently
accepted.
"""
from __future__ import annotations

from aiohttp import web

from bybit_spec.errors import MESSAGES, NO_RISK_LIMIT_INFO, NOT_FOR_UNIFIED

from . import envelope, isolated, position_mode, tpsl
from .clock import now_ms
from .errors import BybitError, param_error
from .numbers import fmt
from .records import ISOLATED_MARGIN, PORTFOLIO_MARGIN, REGULAR_MARGIN
from .risk_limits import tiers
from .state import ACCOUNT, MARKET, PARAMS

routes = web.RouteTableDef()

MARGIN_MODES = (REGULAR_MARGIN, ISOLATED_MARGIN, PORTFOLIO_MARGIN)
#: The position fields add-margin answers with (besides ``category``), in the order of Bybit's page.
ADD_MARGIN_KEYS = ("symbol", "positionIdx", "riskId", "riskLimitValue", "size", "avgPrice", "liqPrice", "bustPrice",
                   "markPrice", "positionValue", "leverage", "autoAddMargin", "positionStatus", "positionIM",
                   "positionMM", "takeProfit", "stopLoss", "trailingStop", "unrealisedPnl", "cumRealisedPnl",
                   "createdTime", "updatedTime")


def not_simulated(what: str) -> BybitError:
    """10001 for a setting Bybit offers and the local exchange does not simulate."""
    return param_error(f"{what} is not simulated by the local exchange (its accounts use cross or isolated "
                       "margin); try it with BYBIT_ENV=testnet")


def _linear_position(request: web.Request) -> tuple[str, int]:
    """``category`` (linear; inverse is listed but not traded here), a known ``symbol`` and its ``positionIdx``."""
    p = request[PARAMS]
    category = p.category(("linear", "inverse"))
    symbol = p.str("symbol", required=True)
    inst = request.app[MARKET].instrument(category, symbol)
    if inst is None:
        raise param_error("params error: symbol invalid")
    idx = p.int("positionIdx", default=0)
    position_mode.check_idx(request[ACCOUNT], inst, idx)
    return symbol, idx


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
    """Top an isolated position's margin up automatically before it would be liquidated (:mod:`.isolated`)."""
    symbol, idx = _linear_position(request)
    auto = request[PARAMS].int("autoAddMargin", required=True)
    if auto not in (0, 1):
        raise param_error("params error: autoAddMargin invalid (0 or 1)")
    isolated.set_auto_add(request[ACCOUNT], symbol, idx, auto == 1, now_ms())
    return envelope.ok({})


@routes.post("/v5/position/add-margin")
async def add_margin(request: web.Request) -> web.Response:
    """Add margin to an isolated position (``margin=10``) or take some back (``margin=-10``)."""
    symbol, idx = _linear_position(request)
    amount = request[PARAMS].decimal("margin", required=True, positive=False)
    account, market, now = request[ACCOUNT], request.app[MARKET], now_ms()
    pos = isolated.add_margin(account, market, symbol, idx, amount, now)
    inst = market.instrument("linear", symbol)
    assert inst is not None, "checked by _linear_position"
    row = pos.to_dict(inst, market.mark_price("linear", symbol, now), account.fees["linear"].taker,
                      account.liq_price(market, pos, now))
    return envelope.ok({"category": "linear", **{k: row[k] for k in ADD_MARGIN_KEYS}})


@routes.post("/v5/account/set-margin-mode")
async def set_margin_mode(request: web.Request) -> web.Response:
    """Cross (``REGULAR_MARGIN``) or isolated margin for the whole account; portfolio margin is not simulated."""
    mode = request[PARAMS].str("setMarginMode", required=True, choices=MARGIN_MODES)
    if mode == PORTFOLIO_MARGIN:
        raise not_simulated("portfolio margin")
    isolated.set_margin_mode(request[ACCOUNT], mode)
    return envelope.ok({"reasons": []})


@routes.post("/v5/position/switch-isolated")
async def switch_isolated(request: web.Request) -> web.Response:
    """The per-symbol cross/isolated switch of classic accounts: "not supported" for a UTA 2.0 account.

    Bybit's page lists no category for UTA 2.0; the code it answers is chosen
    here (100028), with the call that does the job on a unified account.
    """
    p = request[PARAMS]
    p.category(("linear", "inverse"))
    p.str("symbol", required=True)
    p.int("tradeMode", required=True)
    raise BybitError(NOT_FOR_UNIFIED, MESSAGES[NOT_FOR_UNIFIED] + " A unified account chooses its margin mode for "
                     "every position at once: set_margin_mode(setMarginMode='ISOLATED_MARGIN').")


@routes.post("/v5/position/set-risk-limit")
async def set_risk_limit(request: web.Request) -> web.Response:
    """Choose a risk tier: answered as Bybit answers it, and changing nothing, as on Bybit.

    Bybit's page says it: since risk limits became automatic (March 2024) the
    tier follows the position's value and "it will not take effect even if you
    set it successfully" (:mod:`local_exchange.risk_limits`). An unknown
    ``riskId`` answers 110031.
    """
    symbol, _ = _linear_position(request)
    risk_id = request[PARAMS].int("riskId", required=True)
    inst = request.app[MARKET].instrument("linear", symbol)
    assert inst is not None, "checked by _linear_position"
    tier = next((t for t in tiers(inst) if t.id == risk_id), None)
    if tier is None:
        raise BybitError(NO_RISK_LIMIT_INFO, MESSAGES[NO_RISK_LIMIT_INFO])
    return envelope.ok({"category": "linear", "riskId": tier.id, "riskLimitValue": fmt(tier.risk_limit_value)})
