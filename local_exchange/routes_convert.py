"""Convert endpoints: the coin list, quotes, confirming them, and the records; and small balances.

The models are :mod:`local_exchange.convert` and :mod:`local_exchange.small_balance`. Bybit's convert endpoints answer
``retMsg`` ``"ok"`` (the docs' examples); the older ``/v5/asset/exchange/order-record``
answers ``"OK"`` and lists the same converts in its own shape.

Not served: the ``/v5/fiat/...`` endpoints (pybit's ``get_fiat_*``,
``request_a_quote_fiat_convert``, ...) trade crypto against fiat money (KZT,
EUR, ...) through a regional fiat broker; the local exchange holds no fiat
and has no broker, so they answer 10017, "served by Bybit".
"""
from __future__ import annotations

from aiohttp import web

from . import clock, convert, envelope, small_balance
from .errors import param_error
from .numbers import fmt
from .routes_trade import paginate
from .state import ACCOUNT, MARKET, PARAMS

routes = web.RouteTableDef()


@routes.get("/v5/asset/exchange/query-coin-list")
async def coin_list(request: web.Request) -> web.Response:
    """``side=0``: the coins to sell, with the balance; ``side=1``: the coins to buy (for ``coin``)."""
    p = request[PARAMS]
    kind = convert.account_type(p.str("accountType", required=True))
    side = p.int("side", default=0, lo=0, hi=1)
    coin = p.str("coin")
    account, market, now = request[ACCOUNT], request.app[MARKET], clock.now_ms()
    listed = convert.coins(market)
    if side == 1 and coin is not None:
        if coin not in listed:
            raise param_error(f"params error: coin invalid ({coin} cannot be converted here)")
        listed = [c for c in listed if c != coin]
    rows = []
    for name in listed:
        low, high = convert.limits(account, name, market, now)
        held = convert.balance(account, kind, name, market, now)
        rows.append({"coin": name, "fullName": name, "icon": "", "iconNight": "", "accuracyLength": 8,
                     "coinType": "crypto", "balance": fmt(held) if side == 0 else "",
                     "uBalance": fmt(held * account.coin_price(name, market, now)) if side == 0 else "",
                     "timePeriod": 0, "singleFromMinLimit": fmt(low), "singleFromMaxLimit": fmt(high),
                     "singleToMinLimit": "0", "singleToMaxLimit": "0", "dailyFromMinLimit": "0",
                     "dailyFromMaxLimit": "0", "dailyToMinLimit": "0", "dailyToMaxLimit": "0",
                     "disableFrom": False, "disableTo": False})
    return envelope.ok({"coins": rows}, message="ok")


@routes.post("/v5/asset/exchange/quote-apply")
async def quote_apply(request: web.Request) -> web.Response:
    """A quote for selling ``requestAmount`` of ``fromCoin``, good for 15 seconds."""
    p = request[PARAMS]
    kind = convert.account_type(p.str("accountType", required=True))
    from_coin, to_coin = p.str("fromCoin", required=True), p.str("toCoin", required=True)
    request_coin = p.str("requestCoin", required=True)
    amount = p.decimal("requestAmount", required=True)
    for name in ("fromCoinType", "toCoinType"):
        p.str(name, choices=("crypto",))
    request_id = p.str("requestId", default="")
    if len(request_id) > 36:
        raise param_error("params error: requestId invalid (at most 36 characters)")
    quote = convert.apply_quote(request[ACCOUNT], request.app[MARKET], kind=kind, from_coin=from_coin,
                                to_coin=to_coin, request_coin=request_coin, amount=amount, request_id=request_id,
                                param_type=p.str("paramType", default=""), param_value=p.str("paramValue", default=""),
                                now_ms=clock.now_ms())
    return envelope.ok(quote.to_dict(), message="ok")


@routes.post("/v5/asset/exchange/convert-execute")
async def convert_execute(request: web.Request) -> web.Response:
    """Confirm a quote before it expires; the coins move at the quoted rate."""
    p = request[PARAMS]
    done = convert.execute(request[ACCOUNT], request.app[MARKET], p.str("quoteTxId", required=True), clock.now_ms())
    return envelope.ok({"exchangeStatus": "processing", "quoteTxId": done.quote.quote_tx_id}, message="ok")


@routes.get("/v5/asset/exchange/convert-result-query")
async def convert_result(request: web.Request) -> web.Response:
    p = request[PARAMS]
    quote_tx_id = p.str("quoteTxId", required=True)
    kind = convert.account_type(p.str("accountType", required=True))
    account = request[ACCOUNT]
    return envelope.ok({"result": convert.result(account, quote_tx_id, kind).to_dict(account.uid)}, message="ok")


@routes.get("/v5/asset/exchange/query-convert-history")
async def convert_history(request: web.Request) -> web.Response:
    """Converts newest first, by page number (``index`` from 1, ``limit`` up to 100)."""
    p = request[PARAMS]
    kinds_text = p.str("accountType")
    kinds = None if kinds_text is None else {k.strip() for k in kinds_text.split(",") if k.strip()}
    index = p.int("index", default=1, lo=1)
    limit = min(p.int("limit", default=20, lo=1), 100)
    account = request[ACCOUNT]
    rows = [c for c in reversed(account.asset.converts) if kinds is None or c.quote.kind in kinds]
    page = rows[(index - 1) * limit: index * limit]
    return envelope.ok({"list": [c.to_dict(account.uid) for c in page]}, message="ok")


@routes.get("/v5/asset/exchange/order-record")
async def order_record(request: web.Request) -> web.Response:
    """The same converts in the older shape, by cursor."""
    p = request[PARAMS]
    from_coin, to_coin = p.str("fromCoin"), p.str("toCoin")
    limit = p.int("limit", default=10, lo=1, hi=50)
    rows = [c for c in reversed(request[ACCOUNT].asset.converts)
            if (from_coin is None or c.quote.from_coin == from_coin) and (to_coin is None or c.quote.to_coin == to_coin)]
    page, cursor = paginate(rows, lambda c: c.seq, limit, p.str("cursor"))
    return envelope.ok({"orderBody": [c.to_order_record() for c in page], "nextPageCursor": cursor})


# ---- small balances ----------------------------------------------------------------------------
@routes.get("/v5/asset/covert/small-balance-list")
async def small_balance_list(request: web.Request) -> web.Response:
    """The unified account's coins worth less than 10 USDT (or ``fromCoin``, small or not)."""
    p = request[PARAMS]
    small_balance.only_unified(p.str("accountType", required=True))
    coins = small_balance.small_coins(request[ACCOUNT], request.app[MARKET], clock.now_ms(), p.str("fromCoin"))
    return envelope.ok({"smallAssetCoins": [c.to_dict() for c in coins],
                        "supportToCoins": list(small_balance.TO_COINS)}, message="ok")


@routes.post("/v5/asset/covert/get-quote")
async def small_balance_quote(request: web.Request) -> web.Response:
    """A 30-second quote for sweeping the listed coins into ``toCoin``."""
    p = request[PARAMS]
    small_balance.only_unified(p.str("accountType", required=True))
    coins = p.raw("fromCoinList")
    if not isinstance(coins, list) or not all(isinstance(c, str) and c for c in coins):
        raise param_error("params error: fromCoinList invalid (a list of coins, e.g. [\"XRP\", \"SOL\"])")
    made = small_balance.quote(request[ACCOUNT], request.app[MARKET], coins, p.str("toCoin", required=True),
                               clock.now_ms())
    return envelope.ok(made.to_dict(), message="ok")


@routes.post("/v5/asset/covert/small-balance-execute")
async def small_balance_execute(request: web.Request) -> web.Response:
    p = request[PARAMS]
    made = small_balance.execute(request[ACCOUNT], request.app[MARKET], p.str("quoteId", required=True),
                                 clock.now_ms())
    return envelope.ok({"quoteId": made.quote_id, "exchangeTxId": made.quote_id,
                        "submitTime": str(made.done_at), "status": "processing", "msg": ""}, message="ok")


@routes.get("/v5/asset/covert/small-balance-history")
async def small_balance_history(request: web.Request) -> web.Response:
    """Small-balance conversions, newest first; ``cursor`` is the page number, ``size`` its length."""
    p = request[PARAMS]
    kind = p.str("accountType", choices=("eb_convert_uta", "eb_convert_funding"))
    quote_id = p.str("quoteId")
    start, end = p.int("startTime", lo=0), p.int("endTime", lo=0)
    page_no = p.int("cursor", default=1, lo=1)
    size = p.int("size", default=50, lo=1, hi=100)
    rows = [q for q in reversed(request[ACCOUNT].asset.small_done)
            if kind in (None, "eb_convert_uta") and (quote_id is None or q.quote_id == quote_id)
            and (start is None or (q.done_at or 0) >= start) and (end is None or (q.done_at or 0) <= end)]
    last = max(1, -(-len(rows) // size))
    page = rows[(page_no - 1) * size: page_no * size]
    return envelope.ok({"cursor": str(page_no), "size": str(size), "lastPage": str(last),
                        "totalCount": str(len(rows)), "records": [q.to_record() for q in page]}, message="ok")
