"""``/v5/market/*`` over real HTTP: shapes (field for field as in reference/rest.md), limits, errors.

The application here is a minimal stand-in for the server core: a middleware that
parses the query into ``request[PARAMS]`` and turns a ``BybitError`` into Bybit's
envelope, as the real middleware does.
"""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from local_exchange import envelope
from local_exchange.errors import BybitError
from local_exchange.market import Market
from local_exchange.params import Params
from local_exchange.routes_market import routes
from local_exchange.state import MARKET, PARAMS

LINEAR_INFO = {"symbol", "symbolId", "contractType", "status", "baseCoin", "quoteCoin", "symbolType",
               "launchTime", "deliveryTime", "deliveryFeeRate", "priceScale", "leverageFilter", "priceFilter",
               "lotSizeFilter", "unifiedMarginTrade", "fundingInterval", "settleCoin", "copyTrading",
               "upperFundingRate", "lowerFundingRate", "displayName", "forbidUplWithdrawal", "riskParameters",
               "isPreListing", "preListingInfo"}
LINEAR_LOT = {"maxOrderQty", "minOrderQty", "qtyStep", "postOnlyMaxOrderQty", "maxMktOrderQty", "minNotionalValue"}
SPOT_INFO = {"symbolId", "symbol", "baseCoin", "quoteCoin", "innovation", "symbolType", "status", "marginTrading",
             "stTag", "lotSizeFilter", "priceFilter", "riskParameters"}
SPOT_LOT = {"basePrecision", "quotePrecision", "minOrderQty", "maxOrderQty", "minOrderAmt", "maxOrderAmt",
            "maxLimitOrderQty", "maxMarketOrderQty", "postOnlyMaxLimitOrderSize"}
OPTION_INFO = {"symbol", "symbolId", "optionsType", "status", "baseCoin", "quoteCoin", "settleCoin", "launchTime",
               "deliveryTime", "deliveryFeeRate", "priceFilter", "lotSizeFilter", "displayName"}
LINEAR_TICKER = {"symbol", "lastPrice", "indexPrice", "markPrice", "prevPrice24h", "price24hPcnt", "highPrice24h",
                 "lowPrice24h", "prevPrice1h", "openInterest", "openInterestValue", "singleOpenInterest",
                 "singleOpenInterestValue", "turnover24h", "volume24h", "fundingRate", "nextFundingTime",
                 "predictedDeliveryPrice", "basisRate", "basis", "deliveryFeeRate", "deliveryTime", "ask1Size",
                 "bid1Price", "ask1Price", "bid1Size", "preOpenPrice", "preQty", "curPreListingPhase",
                 "fundingIntervalHour", "fundingCap", "basisRateYear"}
SPOT_TICKER = {"symbol", "bid1Price", "bid1Size", "ask1Price", "ask1Size", "lastPrice", "prevPrice24h",
               "price24hPcnt", "highPrice24h", "lowPrice24h", "turnover24h", "volume24h", "usdIndexPrice"}
OPTION_TICKER = {"symbol", "bid1Price", "bid1Size", "bid1Iv", "ask1Price", "ask1Size", "ask1Iv", "lastPrice",
                 "highPrice24h", "lowPrice24h", "markPrice", "indexPrice", "markIv", "underlyingPrice",
                 "openInterest", "turnover24h", "volume24h", "totalVolume", "totalTurnover", "delta", "gamma",
                 "vega", "theta", "predictedDeliveryPrice", "change24h"}
TRADE = {"execId", "symbol", "price", "size", "side", "time", "isBlockTrade", "isRPITrade", "seq"}

MARKET_FOR_TESTS = Market(7)


@web.middleware
async def _stand_in(request: web.Request, handler: Any) -> web.StreamResponse:
    request[PARAMS] = Params(request.query)
    try:
        return await handler(request)
    except BybitError as exc:
        return envelope.reply(envelope.body(code=exc.code, message=exc.message))


def run(*requests: tuple[str, dict]) -> list[dict]:
    """GET each ``(path, params)`` from a fresh test server; the decoded JSON bodies."""
    async def go() -> list[dict]:
        app = web.Application(middlewares=[_stand_in])
        app[MARKET] = MARKET_FOR_TESTS
        app.add_routes(routes)
        async with TestClient(TestServer(app)) as client:
            out = []
            for path, params in requests:
                resp = await client.get(path, params=params)
                assert resp.status == 200
                out.append(await resp.json())
            return out
    return asyncio.run(go())


def one(path: str, **params: Any) -> dict:
    return run((path, {k: str(v) for k, v in params.items()}))[0]


def test_time() -> None:
    body = one("/v5/market/time")
    assert body["retCode"] == 0 and set(body) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    r = body["result"]
    assert set(r) == {"timeSecond", "timeNano"} and int(r["timeNano"]) // 10**9 == int(r["timeSecond"])


def test_instruments_info_shapes_and_paging() -> None:
    lin, spot, opt, page = run(("/v5/market/instruments-info", {"category": "linear"}),
                               ("/v5/market/instruments-info", {"category": "spot", "limit": "1"}),
                               ("/v5/market/instruments-info", {"category": "option"}),
                               ("/v5/market/instruments-info", {"category": "linear", "limit": "10"}))
    item = lin["result"]["list"][0]
    assert set(item) == LINEAR_INFO and set(item["lotSizeFilter"]) == LINEAR_LOT
    assert set(item["leverageFilter"]) == {"minLeverage", "maxLeverage", "leverageStep"}
    assert set(item["priceFilter"]) == {"minPrice", "maxPrice", "tickSize"}
    assert lin["result"]["nextPageCursor"] == ""
    assert set(spot["result"]) == {"category", "list"} and len(spot["result"]["list"]) >= 30
    assert set(spot["result"]["list"][0]) == SPOT_INFO
    assert set(spot["result"]["list"][0]["lotSizeFilter"]) == SPOT_LOT
    assert {i["baseCoin"] for i in opt["result"]["list"]} == {"BTC"}             # option default baseCoin
    assert set(opt["result"]["list"][0]) == OPTION_INFO
    cursor = page["result"]["nextPageCursor"]
    assert len(page["result"]["list"]) == 10 and cursor.replace("-", "").replace("_", "").isalnum()
    nxt = one("/v5/market/instruments-info", category="linear", limit=10, cursor=cursor)
    assert nxt["result"]["list"][0]["symbol"] == lin["result"]["list"][10]["symbol"]
    assert one("/v5/market/instruments-info", category="linear", symbol="NOPEUSDT")["result"]["list"] == []


def test_tickers_shapes() -> None:
    lin, spot, opt, inv = run(("/v5/market/tickers", {"category": "linear"}),
                              ("/v5/market/tickers", {"category": "spot", "symbol": "ETHUSDT"}),
                              ("/v5/market/tickers", {"category": "option", "baseCoin": "ETH"}),
                              ("/v5/market/tickers", {"category": "inverse", "symbol": "BTCUSD"}))
    assert set(lin["result"]) == {"category", "list"} and len(lin["result"]["list"]) >= 30
    assert all(set(t) == LINEAR_TICKER for t in lin["result"]["list"])
    assert set(inv["result"]["list"][0]) == LINEAR_TICKER
    (s,) = spot["result"]["list"]
    assert set(s) == SPOT_TICKER and s["symbol"] == "ETHUSDT"
    assert opt["result"]["list"] and all(set(t) == OPTION_TICKER for t in opt["result"]["list"])
    for t in lin["result"]["list"] + [s] + opt["result"]["list"]:
        assert all(isinstance(v, str) for v in t.values())


def test_kline_family_shapes_and_defaults() -> None:
    k, mk, ik, spot = run(("/v5/market/kline", {"symbol": "BTCUSDT", "interval": "1"}),
                          ("/v5/market/mark-price-kline", {"symbol": "BTCUSDT", "interval": "60", "limit": "3"}),
                          ("/v5/market/index-price-kline",
                           {"category": "inverse", "symbol": "BTCUSD", "interval": "D", "limit": "2"}),
                          ("/v5/market/kline", {"category": "spot", "symbol": "ETHUSDT", "interval": "W", "limit": "1000"}))
    assert k["result"]["category"] == "linear" and set(k["result"]) == {"category", "symbol", "list"}
    rows = k["result"]["list"]
    assert len(rows) == 200 and all(len(r) == 7 and all(isinstance(x, str) for x in r) for r in rows)
    assert int(rows[0][0]) > int(rows[1][0])                                    # newest first
    assert len(mk["result"]["list"]) == 3 and all(len(r) == 5 for r in mk["result"]["list"])
    assert len(ik["result"]["list"]) == 2 and all(len(r) == 5 for r in ik["result"]["list"])
    assert 200 < len(spot["result"]["list"]) < 1000                             # since launch only


def test_orderbook_limits() -> None:
    lin, spot, opt, deep = run(
        ("/v5/market/orderbook", {"category": "linear", "symbol": "BTCUSDT"}),
        ("/v5/market/orderbook", {"category": "spot", "symbol": "BTCUSDT"}),
        ("/v5/market/orderbook",
         {"category": "option", "symbol": MARKET_FOR_TESTS.instruments("option")[0].symbol, "limit": "25"}),
        ("/v5/market/orderbook", {"category": "linear", "symbol": "ETHUSDT", "limit": "1000"}))
    r = lin["result"]
    assert set(r) == {"s", "b", "a", "ts", "u", "seq", "cts"}
    assert all(isinstance(r[x], int) for x in ("ts", "u", "seq", "cts"))
    assert len(r["b"]) == len(r["a"]) == 25
    bids = [float(p) for p, _ in r["b"]]
    asks = [float(p) for p, _ in r["a"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert len(spot["result"]["b"]) == 1 and len(opt["result"]["a"]) == 25 and len(deep["result"]["b"]) == 1000


def test_recent_trades_limits_and_fields() -> None:
    spot, lin, opt = run(("/v5/market/recent-trade", {"category": "spot", "symbol": "BTCUSDT"}),
                         ("/v5/market/recent-trade", {"category": "linear", "symbol": "BTCUSDT", "limit": "3"}),
                         ("/v5/market/recent-trade", {"category": "option", "baseCoin": "BTC", "limit": "5"}))
    assert len(spot["result"]["list"]) == 60 and set(spot["result"]["list"][0]) == TRADE
    assert len(lin["result"]["list"]) == 3
    assert opt["result"]["list"] and set(opt["result"]["list"][0]) == TRADE | {"mP", "iP", "mIv", "iv"}


def test_funding_and_open_interest() -> None:
    fund, oi, oi2 = run(("/v5/market/funding/history", {"category": "linear", "symbol": "ETHUSDT"}),
                        ("/v5/market/open-interest", {"category": "linear", "symbol": "ETHUSDT", "intervalTime": "5min"}),
                        ("/v5/market/open-interest",
                         {"category": "inverse", "symbol": "BTCUSD", "intervalTime": "1d", "limit": "2"}))
    assert len(fund["result"]["list"]) == 200
    assert set(fund["result"]["list"][0]) == {"symbol", "fundingRate", "fundingRateTimestamp"}
    assert set(oi["result"]) == {"symbol", "category", "list", "nextPageCursor"} and len(oi["result"]["list"]) == 50
    assert set(oi["result"]["list"][0]) == {"openInterest", "singleOpenInterest", "timestamp"}
    stamps = [int(x["timestamp"]) for x in oi2["result"]["list"]]
    assert stamps[0] - stamps[1] == 86_400_000 and stamps[0] % 86_400_000 == 0
    nxt = one("/v5/market/open-interest", category="inverse", symbol="BTCUSD", intervalTime="1d", limit=2,
              cursor=oi2["result"]["nextPageCursor"])
    assert int(nxt["result"]["list"][0]["timestamp"]) == stamps[1] - 86_400_000


@pytest.mark.parametrize("path,params,needle", [
    ("/v5/market/tickers", {"category": "futures"}, "Illegal category"),
    ("/v5/market/tickers", {}, "'category'"),
    ("/v5/market/tickers", {"category": "option"}, "baseCoin"),
    ("/v5/market/tickers", {"category": "linear", "symbol": "btcusdt"}, "symbol invalid"),
    ("/v5/market/kline", {"interval": "1"}, "'symbol'"),
    ("/v5/market/kline", {"symbol": "BTCUSDT"}, "'interval'"),
    ("/v5/market/kline", {"symbol": "BTCUSDT", "interval": "2"}, "1, 3, 5, 15, 30, 60, 120, 240, 360, 720, D, W, M"),
    ("/v5/market/kline", {"symbol": "BTCUSDT", "interval": "1", "limit": "1001"}, "limit"),
    ("/v5/market/kline", {"symbol": "BTCUSDT", "interval": "1", "start": "yesterday"}, "start"),
    ("/v5/market/kline", {"category": "option", "symbol": "BTCUSDT", "interval": "1"}, "Illegal category"),
    ("/v5/market/mark-price-kline", {"category": "spot", "symbol": "BTCUSDT", "interval": "1"}, "Illegal category"),
    ("/v5/market/kline", {"symbol": "NOPEUSDT", "interval": "1"}, "symbol invalid"),
    ("/v5/market/orderbook", {"category": "option", "symbol": "X", "limit": "26"}, "symbol"),
    ("/v5/market/orderbook", {"category": "linear", "symbol": "BTCUSDT", "limit": "0"}, "limit"),
    ("/v5/market/recent-trade", {"category": "spot", "symbol": "BTCUSDT", "limit": "61"}, "limit"),
    ("/v5/market/recent-trade", {"category": "linear"}, "'symbol'"),
    ("/v5/market/instruments-info", {"category": "linear", "cursor": "%%%"}, "cursor"),
    ("/v5/market/instruments-info", {"category": "linear", "limit": "1001"}, "limit"),
    ("/v5/market/funding/history", {"category": "spot", "symbol": "BTCUSDT"}, "Illegal category"),
    ("/v5/market/funding/history", {"category": "linear", "symbol": "BTCUSDT", "startTime": "1700000000000"}, "endTime"),
    ("/v5/market/funding/history", {"category": "linear", "symbol": "BTCUSDT", "limit": "201"}, "limit"),
    ("/v5/market/open-interest", {"category": "linear", "symbol": "BTCUSDT"}, "'intervalTime'"),
    ("/v5/market/open-interest", {"category": "linear", "symbol": "BTCUSDT", "intervalTime": "2h"}, "intervalTime"),
])
def test_bad_parameters_answer_10001(path: str, params: dict, needle: str) -> None:
    body = one(path, **params)
    assert body["retCode"] == 10001 and body["result"] == {}
    assert needle in body["retMsg"]


def test_option_orderbook_limit_max_is_25() -> None:
    symbol = MARKET_FOR_TESTS.instruments("option")[0].symbol
    body = one("/v5/market/orderbook", category="option", symbol=symbol, limit=26)
    assert body["retCode"] == 10001 and "limit" in body["retMsg"]


def test_one_symbol_tickers_bytes_are_those_of_the_plain_envelope(monkeypatch: pytest.MonkeyPatch) -> None:
    """The single-symbol reply is written around cached bytes; it must equal ``envelope.ok`` of the rows."""
    import local_exchange.routes_market as routes_market
    from local_exchange.clock import now_ms

    t = now_ms()                                   # frozen for the handler and both envelopes
    monkeypatch.setattr(routes_market, "now_ms", lambda: t)
    monkeypatch.setattr(envelope, "now_ms", lambda: t)
    cases = [("linear", "BTCUSDT"), ("spot", "ETHUSDT"), ("inverse", "BTCUSD"),
             ("option", next(i.symbol for i in MARKET_FOR_TESTS.instruments("option") if i.launch_ms <= t))]

    async def go() -> list[tuple[bytes, str]]:
        app = web.Application(middlewares=[_stand_in])
        app[MARKET] = MARKET_FOR_TESTS
        app.add_routes(routes)
        async with TestClient(TestServer(app)) as client:
            out = []
            for category, symbol in cases:
                resp = await client.get("/v5/market/tickers", params={"category": category, "symbol": symbol})
                out.append((await resp.read(), resp.headers["Content-Type"]))
            return out

    for (category, symbol), (raw, content_type) in zip(cases, asyncio.run(go())):
        rows = MARKET_FOR_TESTS.tickers(category, t, symbol=symbol)
        assert raw == envelope.ok({"category": category, "list": rows}).body
        assert content_type == "application/json; charset=utf-8"
