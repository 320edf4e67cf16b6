"""``GET /v5/market/...``: Bybit's public market-data endpoints.

Each handler only reads and checks its parameters (through
:class:`~local_exchange.params.Params`, so every bad input becomes retCode
10001 with a message naming the parameter) and asks the
:class:`~local_exchange.market.Market` for the answer at the current time.

Choices where Bybit's behaviour is not documented:

* an unknown ``symbol`` answers 10001 ``params error: symbol invalid``
  (``instruments-info`` instead returns an empty list, as Bybit does);
  symbols are case-sensitive: ``btcusdt`` is unknown;
* klines with both ``start`` and ``end`` return the ``limit`` newest candles of
  the range (those nearest ``end``); see :meth:`Market.kline_rows`.
"""
from __future__ import annotations

from aiohttp import web

from . import envelope
from .catalog import Instrument
from .clock import now_ms, now_ns
from .errors import param_error
from .market import KLINE_INTERVALS, OI_INTERVALS, Market
from .params import Params, invalid
from .state import MARKET, PARAMS

routes = web.RouteTableDef()

ORDERBOOK_LIMITS = {"spot": (1000, 1), "linear": (1000, 25), "inverse": (1000, 25), "option": (25, 1)}


def _inputs(request: web.Request) -> tuple[Market, Params]:
    return request.app[MARKET], request[PARAMS]


def _instrument(market: Market, category: str, params: Params) -> Instrument:
    """The required ``symbol``, which must be listed in ``category``."""
    symbol = params.str("symbol", required=True)
    inst = market.instrument(category, symbol)
    if inst is None:
        raise invalid("symbol")
    return inst


@routes.get("/v5/market/time")
async def server_time(request: web.Request) -> web.Response:
    """``{"timeSecond": "1688639403", "timeNano": "1688639403423213947"}``."""
    ns = now_ns()
    return envelope.ok({"timeSecond": str(ns // 1_000_000_000), "timeNano": str(ns)})


@routes.get("/v5/market/instruments-info")
async def instruments_info(request: web.Request) -> web.Response:
    """Instrument specifications, paged with ``limit`` and ``cursor`` (not on spot)."""
    market, params = _inputs(request)
    category = params.category()
    symbol = params.str("symbol")
    base_coin = params.str("baseCoin")
    status = params.str("status")
    limit = 500
    cursor = None
    if category != "spot":
        limit = params.int("limit", default=500, lo=1, hi=1000)
        cursor = params.str("cursor")
    try:
        result = market.instruments_page(category, symbol, base_coin, status, limit, cursor)
    except ValueError:
        raise invalid("cursor") from None
    return envelope.ok(result)


@routes.get("/v5/market/tickers")
async def tickers(request: web.Request) -> web.Response:
    """Latest price, best bid/ask and 24-hour statistics; option needs ``symbol`` or ``baseCoin``."""
    market, params = _inputs(request)
    category = params.category()
    now = now_ms()
    if "symbol" in params:
        inst = _instrument(market, category, params)
        if inst.launch_ms > now:
            raise invalid("symbol")
        # The busiest question (one symbol): the item comes already encoded from the
        # market's 100 ms cache, so only the small wrapper around it is written here.
        item = market.ticker_json(category, inst.symbol, now)
        return envelope.ok_json(b"".join((b'{"category":', envelope.encode(category), b',"list":[', item, b"]}")))
    base_coin = params.str("baseCoin")
    exp_date = params.str("expDate")
    if category == "option" and not base_coin:
        raise param_error("params error: symbol or baseCoin is required for option")
    rows = market.tickers(category, now, base_coin=base_coin if category == "option" else None,
                          exp_date=exp_date if category == "option" else None)
    return envelope.ok({"category": category, "list": rows})


async def _klines(request: web.Request, kind: str, categories: tuple[str, ...]) -> web.Response:
    market, params = _inputs(request)
    category = params.category(categories, default="linear")
    inst = _instrument(market, category, params)
    interval = params.str("interval", required=True, choices=KLINE_INTERVALS)
    start = params.int("start", lo=0)
    end = params.int("end", lo=0)
    limit = params.int("limit", default=200, lo=1, hi=1000)
    rows = market.kline_rows(category, inst.symbol, interval, start, end, limit, now_ms(), kind)
    return envelope.ok({"category": category, "symbol": inst.symbol, "list": rows})


@routes.get("/v5/market/kline")
async def kline(request: web.Request) -> web.Response:
    """Candles ``[start, open, high, low, close, volume, turnover]``, newest first."""
    return await _klines(request, "last", ("spot", "linear", "inverse"))


@routes.get("/v5/market/mark-price-kline")
async def mark_price_kline(request: web.Request) -> web.Response:
    """Mark-price candles ``[start, open, high, low, close]``, newest first."""
    return await _klines(request, "mark", ("linear", "inverse"))


@routes.get("/v5/market/index-price-kline")
async def index_price_kline(request: web.Request) -> web.Response:
    """Index-price candles ``[start, open, high, low, close]``, newest first."""
    return await _klines(request, "index", ("linear", "inverse"))


@routes.get("/v5/market/orderbook")
async def orderbook(request: web.Request) -> web.Response:
    """The order book: ``b`` bids price-descending, ``a`` asks price-ascending."""
    market, params = _inputs(request)
    category = params.category()
    inst = _instrument(market, category, params)
    hi, default = ORDERBOOK_LIMITS[category]
    limit = params.int("limit", default=default, lo=1, hi=hi)
    return envelope.ok(market.orderbook_result(category, inst.symbol, now_ms(), limit))


@routes.get("/v5/market/recent-trade")
async def recent_trade(request: web.Request) -> web.Response:
    """Recent public trades, newest first."""
    market, params = _inputs(request)
    category = params.category()
    hi, default = (60, 60) if category == "spot" else (1000, 500)
    now = now_ms()
    if category == "option" and "symbol" not in params:
        base_coin = params.str("baseCoin", default="BTC")
        option_type = params.str("optionType", choices=("Call", "Put"))
        limit = params.int("limit", default=default, lo=1, hi=hi)
        rows = market.option_trades(base_coin, now, limit if option_type is None else 1000)
        if option_type is not None:
            suffix = "-C-" if option_type == "Call" else "-P-"
            rows = [r for r in rows if suffix in r["symbol"]][:limit]
    else:
        inst = _instrument(market, category, params)
        limit = params.int("limit", default=default, lo=1, hi=hi)
        rows = market.trades(category, inst.symbol, now, limit)
    return envelope.ok({"category": category, "list": rows})


@routes.get("/v5/market/funding/history")
async def funding_history(request: web.Request) -> web.Response:
    """Settled funding rates every 8 hours, newest first."""
    market, params = _inputs(request)
    category = params.category(("linear", "inverse"))
    inst = _instrument(market, category, params)
    start = params.int("startTime", lo=0)
    end = params.int("endTime", lo=0)
    limit = params.int("limit", default=200, lo=1, hi=200)
    if start is not None and end is None:
        raise param_error("params error: endTime is required when startTime is given")
    rows = market.funding_history(category, inst.symbol, start, end, limit, now_ms())
    return envelope.ok({"category": category, "list": rows})


@routes.get("/v5/market/open-interest")
async def open_interest(request: web.Request) -> web.Response:
    """Open interest sampled every ``intervalTime``, newest first, paged with ``cursor``."""
    market, params = _inputs(request)
    category = params.category(("linear", "inverse"))
    inst = _instrument(market, category, params)
    interval_time = params.str("intervalTime", required=True, choices=tuple(OI_INTERVALS))
    start = params.int("startTime", lo=0)
    end = params.int("endTime", lo=0)
    limit = params.int("limit", default=50, lo=1, hi=200)
    cursor = params.str("cursor")
    try:
        rows, next_cursor = market.open_interest_history(
            category, inst.symbol, interval_time, start, end, limit, cursor, now_ms())
    except ValueError:
        raise invalid("cursor") from None
    return envelope.ok({"symbol": inst.symbol, "category": category, "list": rows,
                        "nextPageCursor": next_cursor})
