"""Account settings and their getters: collateral, trade behaviour, delta mode, MMP, SMP, DCP, TP/SL mode.

Every setter stores into the account's :class:`~local_exchange.account_settings.AccountSettings`
and its getter reads it back (that module says what each setting does here and
what is only stored). Refusals, with Bybit's codes:

* ``set-collateral-switch``: USDT and USDC, or a coin the exchange does not
  list, answer 182111 (the docs: "USDT, USDC cannot be set"; 182111 is the code
  for a coin whose collateral status cannot be switched); a coin twice in one
  batch answers 182112 "Duplicate currency". Switching is pushed on the private
  ``wallet`` stream, since the account totals change.
* ``set-hedging-mode``: spot hedging exists in portfolio margin only, and the
  account is in regular (cross) margin, so Bybit's 140001 answers every valid
  request; ``account/info`` keeps showing ``spotHedgingStatus: OFF``.
* ``mmp-*`` for a base coin without listed options: 110062 "There is no MMP
  information of the institution found.".
* ``set-tpsl-mode``: ``Full`` is the default every position here has (the answer
  is ``{"tpSlMode": "Full"}``); a ``Partial`` default is refused with 10001 (Partial
  TP/SL orders are made by ``trading-stop`` with ``tpslMode=Partial``).

Chosen where the docs are silent: ``collateral-info`` with a ``currency`` the
exchange does not list answers 10001; ``collateral-info`` shows no borrowing
figures (borrowing is not simulated: ``borrowable`` is ``false`` and every
amount and rate is ``"0"``) and ``collateralRatio`` ``"1"`` (no haircuts here).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from bybit_spec.errors import COLLATERAL_NOT_SWITCHABLE, DUPLICATE_CURRENCY, NO_MMP_INFO, SPOT_HEDGING_PM_ONLY

from . import envelope
from .account_settings import DCP_PRODUCTS, DCP_WINDOW_RANGE, FIXED_COLLATERAL, Mmp
from .accounts import Account
from .clock import now_ms
from .errors import fixed, param_error
from .market import Market
from .matching import Changes
from .params import Params, invalid, missing
from .state import ACCOUNT, MARKET, PARAMS
from .unsupported import unsupported

routes = web.RouteTableDef()

SWITCHES = {"ON": True, "OFF": False}


def listed_coins(market: Market) -> list[str]:
    """Every coin of the exchange's spot pairs, sorted: the coins a unified wallet can hold."""
    spot = market.instruments("spot")
    return sorted({i.base_coin for i in spot} | {i.quote_coin for i in spot})


# --------------------------------------------------------------------------------------------
# Collateral
# --------------------------------------------------------------------------------------------
def collateral_item(account: Account, coin: str) -> dict[str, Any]:
    """One item of ``collateral-info``: the coin's switch; no borrowing here, so every borrow figure is 0."""
    return {"currency": coin, "hourlyBorrowRate": "0", "maxBorrowingAmount": "0", "freeBorrowingLimit": "0",
            "freeBorrowAmount": "0", "borrowAmount": "0", "otherBorrowAmount": "0", "availableToBorrow": "0",
            "borrowable": False, "borrowUsageRate": "0", "marginCollateral": True,
            "collateralSwitch": account.settings.collateral_on(coin), "collateralRatio": "1",
            "freeBorrowingAmount": ""}


@routes.get("/v5/account/collateral-info")
async def collateral_info(request: web.Request) -> web.Response:
    """Every coin the exchange lists (or ``currency``), with whether it counts as collateral."""
    p = request[PARAMS]
    coins = listed_coins(request.app[MARKET])
    currency = p.str("currency")
    if currency is not None:
        if currency not in coins:
            raise invalid("currency", "a coin the exchange lists, uppercase")
        coins = [currency]
    account = request[ACCOUNT]
    return envelope.ok({"list": [collateral_item(account, c) for c in coins]})


def _switch(market: Market, coin: Any, switch: Any) -> tuple[str, bool]:
    """A checked ``(coin, on)`` pair of a collateral request."""
    if coin is None or coin == "":
        raise missing("coin")
    if switch is None or switch == "":
        raise missing("collateralSwitch")
    if not isinstance(switch, str) or switch not in SWITCHES:
        raise invalid("collateralSwitch", "ON or OFF")
    if not isinstance(coin, str) or coin in FIXED_COLLATERAL or coin not in listed_coins(market):
        raise fixed(COLLATERAL_NOT_SWITCHABLE)
    return coin, SWITCHES[switch]


def _apply_switches(request: web.Request, pairs: list[tuple[str, bool]]) -> None:
    account: Account = request[ACCOUNT]
    market = request.app[MARKET]
    now = now_ms()
    for coin, on in pairs:
        account.settings.set_collateral(coin, on)
    account.settings.updated = now
    account.touch()                                   # the wallet's totals change
    Changes(wallet=True).publish(account, market, now)


@routes.post("/v5/account/set-collateral-switch")
async def set_collateral_switch(request: web.Request) -> web.Response:
    """Turn one coin's collateral ``ON`` or ``OFF`` (read back in ``collateral-info`` and ``wallet-balance``)."""
    p = request[PARAMS]
    pair = _switch(request.app[MARKET], p.raw("coin"), p.raw("collateralSwitch"))
    _apply_switches(request, [pair])
    return envelope.ok({}, message="SUCCESS")


@routes.post("/v5/account/set-collateral-switch-batch")
async def set_collateral_switch_batch(request: web.Request) -> web.Response:
    """Several coins at once; all are checked before any is switched."""
    items = request[PARAMS].raw("request")
    if items is None or items == []:
        raise missing("request")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise invalid("request", "a list of {coin, collateralSwitch}")
    market = request.app[MARKET]
    pairs = [_switch(market, i.get("coin"), i.get("collateralSwitch")) for i in items]
    if len({coin for coin, _ in pairs}) != len(pairs):
        raise fixed(DUPLICATE_CURRENCY)
    _apply_switches(request, pairs)
    return envelope.ok({"list": [{"coin": c, "collateralSwitch": "ON" if on else "OFF"} for c, on in pairs]},
                       message="SUCCESS")


# --------------------------------------------------------------------------------------------
# Trade behaviour, delta neutral mode, spot hedging
# --------------------------------------------------------------------------------------------
@routes.get("/v5/account/user-setting-config")
async def user_setting_config(request: web.Request) -> web.Response:
    """The price-limit behaviour (``lpaSpot``, ``lpaPerp``) and delta neutral mode (``deltaEnable``)."""
    return envelope.ok(request[ACCOUNT].settings.user_setting_config())


@routes.post("/v5/account/set-limit-px-action")
async def set_limit_px_action(request: web.Request) -> web.Response:
    """``category`` spot, linear or inverse (both mean all futures); ``modifyEnable`` true or false."""
    p = request[PARAMS]
    category = p.category(("linear", "inverse", "spot"))
    if p.raw("modifyEnable") in (None, ""):
        raise missing("modifyEnable")
    settings = request[ACCOUNT].settings
    settings.set_limit_px_action(category, p.bool("modifyEnable"))
    settings.updated = now_ms()
    return envelope.ok({}, message="success")


@routes.post("/v5/account/set-delta-mode")
async def set_delta_mode(request: web.Request) -> web.Response:
    """``deltaEnable`` ``"1"`` (on) or ``"0"`` (off); read back as ``deltaEnable`` in ``user-setting-config``."""
    enable = request[PARAMS].str("deltaEnable", required=True, choices=("0", "1"))
    settings = request[ACCOUNT].settings
    settings.delta_enable = enable == "1"
    settings.updated = now_ms()
    return envelope.ok({}, message="success")


@routes.post("/v5/account/set-hedging-mode")
async def set_hedging_mode(request: web.Request) -> web.Response:
    """Spot hedging is a portfolio-margin feature; this account is in regular margin: 140001."""
    request[PARAMS].str("setHedgingMode", required=True, choices=("ON", "OFF"))
    raise fixed(SPOT_HEDGING_PM_ONLY)


# --------------------------------------------------------------------------------------------
# Market maker protection (options)
# --------------------------------------------------------------------------------------------
def _mmp_coin(p: Params, market: Market) -> str:
    """The required ``baseCoin``; 110062 when the exchange lists no options on it."""
    coin = p.str("baseCoin", required=True)
    if coin not in {i.base_coin for i in market.instruments("option")}:
        raise fixed(NO_MMP_INFO)
    return coin


def _limit(p: Params, name: str, required: bool = True) -> Decimal | None:
    """A positive limit with at most 2 decimals (``qtyLimit``, ``deltaLimit``, ``vegaLimit``)."""
    value = p.decimal(name, required=required)
    if value is not None and value != value.quantize(Decimal("0.01")):
        raise invalid(name, "at most 2 decimal places")
    return value


@routes.post("/v5/account/mmp-modify")
async def mmp_modify(request: web.Request) -> web.Response:
    """Set the MMP window, frozen period and limits of a base coin (read back in ``mmp-state``)."""
    p = request[PARAMS]
    coin = _mmp_coin(p, request.app[MARKET])
    window = p.int("window", required=True, lo=1)
    frozen = p.int("frozenPeriod", required=True, lo=0)
    qty_limit = _limit(p, "qtyLimit")
    delta_limit = _limit(p, "deltaLimit")
    vega_limit = _limit(p, "vegaLimit", required=False)
    assert qty_limit is not None and delta_limit is not None       # required above
    settings = request[ACCOUNT].settings
    old = settings.mmp_of(coin)
    settings.mmp[coin] = Mmp(coin, window, frozen, qty_limit, delta_limit,
                             old.vega_limit if vega_limit is None else vega_limit, old.frozen_until)
    settings.updated = now_ms()
    return envelope.ok({}, message="success")


@routes.post("/v5/account/mmp-reset")
async def mmp_reset(request: web.Request) -> web.Response:
    """Unfreeze a base coin and clear what its window counted (nothing is counted here: options do not trade)."""
    p = request[PARAMS]
    coin = _mmp_coin(p, request.app[MARKET])
    settings = request[ACCOUNT].settings
    mmp = settings.mmp_of(coin)
    mmp.frozen_until = 0
    settings.mmp[coin] = mmp
    return envelope.ok({}, message="success")


@routes.get("/v5/account/mmp-state")
async def mmp_state(request: web.Request) -> web.Response:
    p = request[PARAMS]
    coin = _mmp_coin(p, request.app[MARKET])
    return envelope.ok({"result": [request[ACCOUNT].settings.mmp_of(coin).to_dict()]})


# --------------------------------------------------------------------------------------------
# Self-match prevention, disconnect-cancel-all, TP/SL mode
# --------------------------------------------------------------------------------------------
@routes.get("/v5/account/smp-group")
async def smp_group(request: web.Request) -> web.Response:
    """``0``: the account is in no SMP group (Bybit forms groups on request; ``smpType`` is refused on orders)."""
    return envelope.ok({"smpGroup": 0}, message="success")


@routes.post("/v5/order/disconnected-cancel-all")
async def set_dcp(request: web.Request) -> web.Response:
    """Set the DCP ``timeWindow`` (3 to 300 s) of a ``product`` (default ``OPTIONS``).

    Read back in ``query-dcp-info``; acted on by :mod:`local_exchange.dcp` once every
    private connection subscribed to the product's ``dcp.*`` topic is gone that long.
    """
    p = request[PARAMS]
    product = p.str("product", default="OPTIONS", choices=DCP_PRODUCTS)
    window = p.int("timeWindow", required=True, lo=DCP_WINDOW_RANGE[0], hi=DCP_WINDOW_RANGE[1])
    settings = request[ACCOUNT].settings
    settings.dcp[product] = window
    settings.updated = now_ms()
    return envelope.ok({}, message="success")


@routes.get("/v5/account/query-dcp-info")
async def query_dcp_info(request: web.Request) -> web.Response:
    """The products a DCP window was set for (none at first: ``dcpInfos`` is empty, as on Bybit)."""
    return envelope.ok({"dcpInfos": request[ACCOUNT].settings.dcp_infos()}, message="success")


@routes.post("/v5/position/set-tpsl-mode")
async def set_tpsl_mode(request: web.Request) -> web.Response:
    """Deprecated on Bybit (TP/SL mode is per order now); ``Full`` is what every position here uses."""
    p = request[PARAMS]
    category = p.category(("linear", "inverse"))
    symbol = p.str("symbol", required=True)
    if request.app[MARKET].instrument(category, symbol) is None:
        raise param_error("params error: symbol invalid")
    mode = p.str("tpSlMode", required=True, choices=("Full", "Partial"))
    if mode == "Partial":
        raise unsupported("tpSlMode", "a default of Partial-mode TP/SL; send tpslMode=Partial with each trading-stop "
                                      "call instead")
    return envelope.ok({"tpSlMode": mode})
