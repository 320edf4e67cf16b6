"""``GET /v5/market/...``: the market data beyond prices and books.

Risk limits, insurance pools and ADL alerts, the premium index, historical
volatility, the long/short ratio, delivery prices, index components, order
price limits, the fee groups and the RPI book. As in
:mod:`~local_exchange.routes_market`, each handler only reads and checks its
parameters (every bad one answers retCode 10001 naming it; an unknown symbol is
``params error: symbol invalid``, a category the endpoint does not cover is
``Illegal category``) and asks the model modules for the answer at the current
time; each module's docstring says how its numbers are made and where the docs
left a choice.
"""
from __future__ import annotations

from aiohttp import web

from . import envelope
from .account_ratio import PERIODS, ratio_rows
from .catalog import OPTIONS, Instrument
from .clock import now_ms
from .deliveries import delivered_item, delivering, option_symbol, recent_deliveries
from .errors import param_error
from .fee_groups import GROUPS, group_item
from .index_components import components_result
from .insurance import POOLS, adl_item, insurance_item, latest_update, pools_for
from .market import KLINE_INTERVALS, decode_cursor, encode_cursor
from .params import invalid
from .premium_index import premium_index
from .price_limits import price_limit_result
from .risk_limits import risk_limit_item, tiers
from .routes_market import _inputs, _instrument
from .rpi_book import RPI_LEVELS, rpi_result
from .volatility import DEFAULT_PERIOD, HISTORY_MS, MAX_RANGE_MS, OPTION_PERIODS, hours, volatility_rows

routes = web.RouteTableDef()

RISK_LIMIT_PAGE = 15          # symbols per page (docs: "a data set of 15 symbols in each response")
PERPETUALS = ("linear", "inverse")


def _page_offset(cursor: str | None) -> int:
    """The offset inside an opaque ``cursor`` (0 without one); 10001 for a cursor not made here."""
    if not cursor:
        return 0
    got = decode_cursor(cursor)
    if got is None or got < 0:
        raise invalid("cursor")
    return got


@routes.get("/v5/market/premium-index-price-kline")
async def premium_index_price_kline(request: web.Request) -> web.Response:
    """Premium-index candles ``[start, open, high, low, close]``, newest first (see :mod:`.premium_index`)."""
    market, params = _inputs(request)
    category = params.category(PERPETUALS, default="linear")
    inst = _instrument(market, category, params)
    interval = params.str("interval", required=True, choices=KLINE_INTERVALS)
    start = params.int("start", lo=0)
    end = params.int("end", lo=0)
    limit = params.int("limit", default=200, lo=1, hi=1000)
    rows = premium_index(market).kline_rows(inst, interval, start, end, limit, now_ms())
    return envelope.ok({"category": category, "symbol": inst.symbol, "list": rows})


@routes.get("/v5/market/historical-volatility")
async def historical_volatility(request: web.Request) -> web.Response:
    """Hourly realised volatility of an option base coin (see :mod:`.volatility`).

    Bybit answers this one in its own shape: ``category`` beside ``result``,
    and ``result`` is the list itself, with ``retMsg`` ``SUCCESS``.
    """
    market, params = _inputs(request)
    category = params.category(("option",))
    base_coin = params.str("baseCoin", default="BTC", choices=tuple(OPTION_PERIODS))
    params.str("quoteCoin", choices=("USD", "USDT"))
    period = params.int("period", default=DEFAULT_PERIOD)
    if period not in OPTION_PERIODS[base_coin]:
        raise invalid("period", f"one of {', '.join(map(str, OPTION_PERIODS[base_coin]))} for {base_coin}")
    start = params.int("startTime", lo=0)
    end = params.int("endTime", lo=0)
    now = now_ms()
    if (start is None) != (end is None):
        raise param_error("params error: startTime and endTime must be sent together")
    if start is not None and end is not None:
        if end < start or end - start > MAX_RANGE_MS:
            raise param_error("params error: endTime - startTime must be within [0, 30 days]")
        if start < now - HISTORY_MS:
            raise param_error("params error: startTime must be within the last 2 years")
    rows = volatility_rows(market, base_coin, period, hours(start, end, now))
    payload = {"retCode": 0, "retMsg": "SUCCESS", "category": category, "result": rows, "retExtInfo": {},
               "time": now_ms()}
    return envelope.reply(payload)


@routes.get("/v5/market/insurance")
async def insurance(request: web.Request) -> web.Response:
    """Insurance pool balances, all coins or one (see :mod:`.insurance`)."""
    market, params = _inputs(request)
    pools = pools_for(params.str("coin"))
    now = now_ms()
    return envelope.ok({"updatedTime": str(latest_update(pools, now)),
                        "list": [insurance_item(market, p, now) for p in pools]})


@routes.get("/v5/market/risk-limit")
async def risk_limit(request: web.Request) -> web.Response:
    """Risk limit tiers, one symbol or pages of 15 symbols (see :mod:`.risk_limits`)."""
    market, params = _inputs(request)
    category = params.category(PERPETUALS)
    insts: list[Instrument]
    if "symbol" in params:
        insts = [_instrument(market, category, params)]
    else:
        insts = market.instruments(category)
    offset = _page_offset(params.str("cursor"))
    page = insts[offset:offset + RISK_LIMIT_PAGE]
    more = offset + RISK_LIMIT_PAGE < len(insts)
    rows = [risk_limit_item(t) for inst in page for t in tiers(inst)]
    return envelope.ok({"category": category, "list": rows,
                        "nextPageCursor": encode_cursor(offset + RISK_LIMIT_PAGE) if more else ""})


@routes.get("/v5/market/delivery-price")
async def delivery_price(request: web.Request) -> web.Response:
    """Delivery prices of expired options; perpetuals never deliver (see :mod:`.deliveries`)."""
    market, params = _inputs(request)
    category = params.category(("linear", "inverse", "option"))
    limit = params.int("limit", default=50, lo=1, hi=200)
    offset = _page_offset(params.str("cursor"))
    settle_coin = params.str("settleCoin", default="USDC")
    now = now_ms()
    rows: list[dict] = []
    if category != "option":
        if "symbol" in params:
            _instrument(market, category, params)      # a listed perpetual: nothing to deliver
    elif "symbol" in params:
        symbol = params.str("symbol", required=True)
        inst = option_symbol(market, symbol, now)
        if inst is None:
            raise invalid("symbol")
        if inst.delivery_ms <= now:
            rows = [delivered_item(market, inst)]
    else:
        base_coin = params.str("baseCoin", default="BTC")
        if settle_coin == "USDT" and base_coin in OPTIONS:
            rows = [delivered_item(market, i) for i in delivering(market, base_coin, now)]
    page = rows[offset:offset + limit]
    more = offset + limit < len(rows)
    return envelope.ok({"category": category, "list": page,
                        "nextPageCursor": encode_cursor(offset + limit) if more else ""})


@routes.get("/v5/market/new-delivery-price")
async def new_delivery_price(request: web.Request) -> web.Response:
    """The 50 most recent option deliveries of a base coin, newest first."""
    market, params = _inputs(request)
    category = params.category(("option",))
    base_coin = params.str("baseCoin", required=True)
    settle_coin = params.str("settleCoin", default="USDT")
    rows = recent_deliveries(market, base_coin, now_ms()) if settle_coin == "USDT" and base_coin in OPTIONS else []
    return envelope.ok({"category": category, "list": rows})


@routes.get("/v5/market/account-ratio")
async def account_ratio(request: web.Request) -> web.Response:
    """Long/short account ratio every ``period``, newest first (see :mod:`.account_ratio`)."""
    market, params = _inputs(request)
    category = params.category(PERPETUALS)
    inst = _instrument(market, category, params)
    period = params.str("period", required=True, choices=tuple(PERIODS))
    start = params.int("startTime", lo=0)
    end = params.int("endTime", lo=0)
    limit = params.int("limit", default=50, lo=1, hi=500)
    try:
        rows, cursor = ratio_rows(market, inst, period, start, end, limit, params.str("cursor"), now_ms())
    except ValueError:
        raise invalid("cursor") from None
    return envelope.ok({"list": rows, "nextPageCursor": cursor})


@routes.get("/v5/market/price-limit")
async def price_limit(request: web.Request) -> web.Response:
    """The highest buy and lowest sell price an order may carry now (see :mod:`.price_limits`)."""
    market, params = _inputs(request)
    category = params.category(("spot", "linear", "inverse"), default="linear")
    inst = _instrument(market, category, params)
    return envelope.ok(price_limit_result(market, inst, now_ms()))


@routes.get("/v5/market/index-price-components")
async def index_price_components(request: web.Request) -> web.Response:
    """The exchanges and weights behind a perpetual's index price (see :mod:`.index_components`)."""
    market, params = _inputs(request)
    name = params.str("indexName", required=True)
    inst = market.instrument("linear", name) or market.instrument("inverse", name)
    if inst is None:
        raise invalid("indexName")
    return envelope.ok(components_result(market, inst, now_ms()))


@routes.get("/v5/market/adlAlert")
async def adl_alert(request: web.Request) -> web.Response:
    """ADL thresholds and pool balance per contract (see :mod:`.insurance`)."""
    market, params = _inputs(request)
    symbol = params.str("symbol")
    symbols = [s for pool in POOLS for s in pool.symbols]
    if symbol is not None:
        if symbol not in symbols:
            raise invalid("symbol")
        symbols = [symbol]
    now = now_ms()
    return envelope.ok({"updatedTime": str(latest_update(list(POOLS), now)),
                        "list": [adl_item(market, s, now) for s in symbols]})


@routes.get("/v5/market/fee-group-info")
async def fee_group_info(request: web.Request) -> web.Response:
    """Bybit's contract fee groups for Pro and market-maker clients (see :mod:`.fee_groups`)."""
    _, params = _inputs(request)
    params.str("productType", required=True, choices=("contract",))
    group_id = params.str("groupId", choices=tuple(str(g.id) for g in GROUPS))
    groups = [g for g in GROUPS if group_id is None or str(g.id) == group_id]
    return envelope.ok({"list": [group_item(g) for g in groups]})


@routes.get("/v5/market/rpi_orderbook")
async def rpi_orderbook(request: web.Request) -> web.Response:
    """The book with each level's RPI size apart: ``[price, non-RPI size, RPI size]`` (see :mod:`.rpi_book`)."""
    market, params = _inputs(request)
    category = params.category(("spot", "linear", "inverse"), default="linear")
    inst = _instrument(market, category, params)
    limit = params.int("limit", required=True, lo=1, hi=RPI_LEVELS)
    return envelope.ok(rpi_result(market, inst, now_ms(), limit))

