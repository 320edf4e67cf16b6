"""Margin figures of the unified account: transferable amounts, order pre-checks, borrowing and repaying.

* ``account/withdrawal``: what each coin can leave the unified wallet now: the
  very figure an inter-transfer is checked against
  (:func:`local_exchange.transfers.transferable`), with 8 decimals.
* ``order/pre-check`` and ``order/spot-borrow-check``: see :mod:`local_exchange.order_checks`.
* ``asset/coin-greeks``: the greeks of the account's option positions per base
  coin. Options do not trade here, so every total is ``"0"``; one row per base
  coin with listed options (or the one asked for). Chosen where the docs are
  silent: rows of zeros rather than an empty list.

**Borrowing is not simulated.** The local account trades with spot margin
trading off (``isLeverage=1`` is refused on orders, and the switch is not
served): spending more than it has is refused (170131, 110007) instead of
borrowing automatically, so it never has a liability. Hence:

* ``account/borrow`` (after its parameters are checked) answers what Bybit
  answers an account whose spot margin trading is off: 34022036 "Please enable
  Margin Trading to continue.";
* ``borrow-history`` (interest records) is honestly empty;
* the repay endpoints answer Bybit's "no liability" codes: ``repay`` and
  ``no-convert-repay`` (the manual-loan endpoints) 34022041,
  ``quick-repayment`` (the UTA one) 182102.
"""
from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from bybit_spec.errors import MARGIN_TRADING_OFF, NO_BORROWED_COINS, NO_LIABILITY_IN_COIN

from . import envelope, transfers
from .clock import now_ms
from .errors import fixed, param_error
from .order_checks import pre_check, spot_borrow_quota
from .params import Params, invalid, missing
from .routes_settings import listed_coins
from .routes_trade import paginate
from .state import ACCOUNT, MARKET, PARAMS
from .unsupported import refuse_unsupported

routes = web.RouteTableDef()

THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000
REPAYMENT_TYPES = ("ALL", "FIXED", "FLEXIBLE")
EIGHT = Decimal("0.00000001")


@routes.get("/v5/account/withdrawal")
async def transferable_amount(request: web.Request) -> web.Response:
    """``coinName=BTC,USDT`` (up to 20): the amount of each that can be transferred out now."""
    p = request[PARAMS]
    named = [c.strip() for c in p.str("coinName", required=True).split(",") if c.strip()]
    if not named or len(named) > 20:
        raise invalid("coinName", "1 to 20 coins, comma-separated")
    coins = list(dict.fromkeys(named))
    market, account, now = request.app[MARKET], request[ACCOUNT], now_ms()
    known = set(listed_coins(market)) | set(account.wallet)
    amounts = {}
    for coin in coins:
        if coin not in known:
            raise invalid("coinName", f"{coin} is not a coin the exchange lists (uppercase only)")
        amounts[coin] = f"{transfers.transferable(account, 'UNIFIED', coin, market, now).quantize(EIGHT):f}"
    return envelope.ok({"availableWithdrawal": amounts[coins[0]], "availableWithdrawalMap": amounts})


@routes.post("/v5/order/pre-check")
async def pre_check_order(request: web.Request) -> web.Response:
    """The create-order parameters; the margin rates before and after that order (nothing is placed)."""
    p = request[PARAMS]
    refuse_unsupported("/v5/order/create", p.data)
    return envelope.ok(pre_check(request[ACCOUNT], request.app[MARKET], p, now_ms()))


@routes.get("/v5/order/spot-borrow-check")
async def spot_borrow_check(request: web.Request) -> web.Response:
    return envelope.ok(spot_borrow_quota(request[ACCOUNT], request.app[MARKET], request[PARAMS], now_ms()))


@routes.get("/v5/asset/coin-greeks")
async def coin_greeks(request: web.Request) -> web.Response:
    p = request[PARAMS]
    coins = sorted({i.base_coin for i in request.app[MARKET].instruments("option")})
    base = p.str("baseCoin")
    if base is not None:
        if base not in coins:
            raise invalid("baseCoin", "a base coin with listed options, uppercase")
        coins = [base]
    rows = [{"baseCoin": c, "totalDelta": "0", "totalGamma": "0", "totalVega": "0", "totalTheta": "0"}
            for c in coins]
    return envelope.ok({"list": rows})


# --------------------------------------------------------------------------------------------
# Borrowing and repaying (not simulated: the account never has a liability)
# --------------------------------------------------------------------------------------------
def borrow_window(p: Params, now: int) -> tuple[int, int]:
    """``startTime``/``endTime`` of the borrow history: 30 days from whichever is given, at most 30."""
    start = p.int("startTime", lo=0)
    end = p.int("endTime", lo=0)
    if end is None:
        end = now if start is None else start + THIRTY_DAYS_MS
    if start is None:
        start = end - THIRTY_DAYS_MS
    if end < start:
        raise param_error("params error: endTime must not be earlier than startTime")
    if end - start > THIRTY_DAYS_MS:
        raise param_error("params error: The time range between startTime and endTime cannot exceed 30 days")
    return start, end


@routes.get("/v5/account/borrow-history")
async def borrow_history(request: web.Request) -> web.Response:
    """Interest records, newest first: none, since the account never borrows (see the module docstring)."""
    p = request[PARAMS]
    p.str("currency")
    borrow_window(p, now_ms())
    limit = p.int("limit", default=20, lo=1, hi=50)
    none: list[dict] = []
    page, cursor = paginate(none, lambda _: 0, limit, p.str("cursor"))
    return envelope.ok({"list": page, "nextPageCursor": cursor})


@routes.post("/v5/account/borrow")
async def borrow(request: web.Request) -> web.Response:
    p = request[PARAMS]
    coin = p.str("coin", required=True)
    p.decimal("amount", required=True)
    if coin not in listed_coins(request.app[MARKET]):
        raise invalid("coin", "a coin the exchange lists, uppercase")
    raise fixed(MARGIN_TRADING_OFF)


def _repay_params(p: Params, coin_required: bool) -> None:
    """Check ``coin``, ``amount`` and ``repaymentType`` as the repay pages describe them."""
    coin = p.str("coin", required=coin_required)
    amount = p.decimal("amount")
    kind = p.str("repaymentType", default="FLEXIBLE", choices=REPAYMENT_TYPES)
    if coin is None and amount is not None:
        raise missing("coin")
    if coin is None and kind != "ALL":
        raise invalid("repaymentType", "must be ALL when no coin is given")


@routes.post("/v5/account/repay")
async def repay(request: web.Request) -> web.Response:
    _repay_params(request[PARAMS], coin_required=False)
    raise fixed(NO_BORROWED_COINS)


@routes.post("/v5/account/no-convert-repay")
async def no_convert_repay(request: web.Request) -> web.Response:
    _repay_params(request[PARAMS], coin_required=True)
    raise fixed(NO_BORROWED_COINS)


@routes.post("/v5/account/quick-repayment")
async def quick_repayment(request: web.Request) -> web.Response:
    request[PARAMS].str("coin")
    raise fixed(NO_LIABILITY_IN_COIN)
