"""The private trading and account endpoints over HTTP.

Most tests serve the route tables with a tiny stand-in middleware (parameters
in, BybitError out) over the fake market, so they check the handlers alone. The
last tests run the real exchange (real market, signing, middleware) and drive
it with pybit, exactly as a notebook does.
"""
from __future__ import annotations

import asyncio
import json
import re
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from local_exchange import envelope, routes_account, routes_trade
from local_exchange.accounts import Accounts
from local_exchange.errors import BybitError
from local_exchange.params import Params
from local_exchange.state import ACCOUNT, ACCOUNTS, MARKET, PARAMS

sys.path.insert(0, str(Path(__file__).parent))
from test_matching import FakeMarket  # noqa: E402

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@web.middleware
async def stand_in(request: web.Request, handler):
    """What app.py's middleware does for these handlers: params in, envelope out."""
    try:
        data = await request.json() if request.method == "POST" else dict(request.query)
        request[PARAMS] = Params(data)
        request[ACCOUNT] = request.app[ACCOUNTS].get("k")
        return await handler(request)
    except BybitError as e:
        return envelope.reply(envelope.body(None, e.code, e.message))


def make_app(market: FakeMarket) -> web.Application:
    app = web.Application(middlewares=[stand_in])
    app[MARKET] = market
    app[ACCOUNTS] = Accounts(market)
    app[ACCOUNTS].add("k", "s")
    app.router.add_routes(routes_trade.routes)
    app.router.add_routes(routes_account.routes)
    return app


class Api:
    """Synchronous calls into an in-process server (one event loop per test)."""

    def __init__(self, client: TestClient, loop: asyncio.AbstractEventLoop):
        self.client, self.loop = client, loop

    def _run(self, coro) -> dict:
        return self.loop.run_until_complete(coro)

    async def _get(self, path, params):
        r = await self.client.get(path, params=params)
        assert r.status == 200
        return json.loads(await r.text())

    async def _post(self, path, body):
        r = await self.client.post(path, json=body)
        assert r.status == 200
        return json.loads(await r.text())

    def get(self, path: str, **params) -> dict:
        return self._run(self._get(path, params))

    def post(self, path: str, **body) -> dict:
        return self._run(self._post(path, body))


@pytest.fixture
def api():
    loop = asyncio.new_event_loop()
    market = FakeMarket()
    client = TestClient(TestServer(make_app(market)), loop=loop)
    loop.run_until_complete(client.start_server())
    a = Api(client, loop)
    a.market = market
    a.account = client.app[ACCOUNTS].get("k")
    yield a
    loop.run_until_complete(client.close())
    loop.close()


def ok(reply: dict) -> dict:
    assert reply["retCode"] == 0, reply
    return reply["result"]


# ---------------------------------------------------------------------------------------------
def test_create_ack_ids_and_order_object_types(api):
    lin = ok(api.post("/v5/order/create", category="linear", symbol="BTCUSDT", side="Buy",
                      orderType="Limit", qty="0.010", price="90000", orderLinkId="my-1"))
    assert set(lin) == {"orderId", "orderLinkId"} and UUID.match(lin["orderId"])
    assert lin["orderLinkId"] == "my-1"
    spot = ok(api.post("/v5/order/create", category="spot", symbol="BTCUSDT", side="Buy",
                       orderType="Market", qty="100"))
    assert spot["orderId"].isdigit() and spot["orderLinkId"]
    (o,) = ok(api.get("/v5/order/realtime", category="linear", symbol="BTCUSDT"))["list"]
    assert o["orderId"] == lin["orderId"] and o["orderStatus"] == "New"
    assert o["price"] == "90000.00" and o["qty"] == "0.010" and o["leavesValue"] == "900"
    assert isinstance(o["positionIdx"], int) and isinstance(o["triggerDirection"], int)
    assert isinstance(o["smpGroup"], int) and o["reduceOnly"] is False and o["closeOnTrigger"] is False
    assert isinstance(o["cumFeeDetail"], dict) and o["createdTime"].isdigit()
    (s,) = ok(api.get("/v5/order/realtime", category="spot", orderId=spot["orderId"]))["list"]
    assert s["orderStatus"] == "Filled" and s["marketUnit"] == "quoteCoin"
    assert s["cumFeeDetail"] == {"BTC": s["cumExecFee"]}


def test_errors_come_back_in_the_envelope(api):
    r = api.post("/v5/order/create", category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit",
                 qty="0.01")
    assert r["retCode"] == 10001 and r["result"] == {}
    r = api.post("/v5/order/cancel", category="linear", symbol="BTCUSDT", orderId="nope")
    assert (r["retCode"], r["retMsg"]) == (110001, "order not exists or too late to cancel")
    r = api.post("/v5/order/amend", category="linear", symbol="BTCUSDT", orderId="nope", qty="1")
    assert (r["retCode"], r["retMsg"]) == (110001, "order not exists or too late to replace")
    r = api.post("/v5/order/cancel", category="spot", symbol="BTCUSDT", orderId="1")
    assert (r["retCode"], r["retMsg"]) == (170213, "Order does not exist.")
    assert api.get("/v5/order/realtime", category="linear")["retCode"] == 10001
    assert api.get("/v5/order/realtime", category="linear", symbol="BTCUSDT", limit="51")["retCode"] == 10001
    assert api.get("/v5/order/history", category="linear", startTime="0",
                   endTime=str(8 * 86400000))["retCode"] == 10001
    assert api.get("/v5/order/realtime", category="spot", cursor="garbage")["retCode"] == 10001


def test_open_orders_pagination_newest_first(api):
    ids = []
    for i in range(25):
        r = ok(api.post("/v5/order/create", category="linear", symbol="ETHUSDT", side="Buy",
                        orderType="Limit", qty="0.01", price=str(2000 + i)))
        ids.append(r["orderId"])
    seen, cursor, pages = [], None, 0
    while True:
        params = dict(category="linear", settleCoin="USDT", limit="10")
        if cursor:
            params["cursor"] = cursor
        res = ok(api.get("/v5/order/realtime", **params))
        seen += [o["orderId"] for o in res["list"]]
        pages += 1
        cursor = res["nextPageCursor"]
        if not cursor:
            break
    assert pages == 3 and seen == ids[::-1]
    assert len(ok(api.get("/v5/order/realtime", category="linear", symbol="ETHUSDT"))["list"]) == 20
    cancelled = ok(api.post("/v5/order/cancel-all", category="linear", symbol="ETHUSDT"))
    assert cancelled["success"] == "1" and {c["orderId"] for c in cancelled["list"]} == set(ids)
    assert ok(api.get("/v5/order/realtime", category="linear", symbol="ETHUSDT"))["list"] == []
    recent = ok(api.get("/v5/order/realtime", category="linear", symbol="ETHUSDT", openOnly="1"))["list"]
    assert len(recent) == 20 and {o["orderStatus"] for o in recent} == {"Cancelled"}
    hist = ok(api.get("/v5/order/history", category="linear", limit="50"))["list"]
    assert len(hist) == 25 and hist[0]["cancelType"] == "CancelAll"
    assert "rpiTakerAccess" in hist[0] and isinstance(hist[0]["rpiTakerAccess"], bool)


def test_executions_and_positions(api):
    ok(api.post("/v5/order/create", category="linear", symbol="BTCUSDT", side="Buy", orderType="Market",
                qty="0.7", orderLinkId="buy-1"))
    ex = ok(api.get("/v5/execution/list", category="linear", orderLinkId="buy-1"))["list"]
    assert [e["execQty"] for e in ex] == ["0.2", "0.5"]                  # newest first
    assert all(isinstance(e["seq"], int) and e["isMaker"] is False and e["execType"] == "Trade" for e in ex)
    assert ex[0]["execPrice"] == "100000.20" and ex[0]["feeRate"] == "0.00055"
    assert ok(api.get("/v5/execution/list", category="linear", limit="1"))["nextPageCursor"]
    (p,) = ok(api.get("/v5/position/list", category="linear", symbol="BTCUSDT"))["list"]
    assert p["side"] == "Buy" and p["size"] == "0.700" and D(p["avgPrice"]) == (D("70000.09") / D("0.7")).quantize(D("1e-10"))
    (flat,) = ok(api.get("/v5/position/list", category="linear", symbol="ETHUSDT"))["list"]
    assert flat["side"] == "" and flat["size"] == "0.000"
    opened = ok(api.get("/v5/position/list", category="linear", settleCoin="USDT"))["list"]
    assert [x["symbol"] for x in opened] == ["BTCUSDT"]
    assert api.get("/v5/position/list", category="linear")["retCode"] == 10001
    assert api.get("/v5/position/list", category="spot")["retCode"] == 10001
    assert ok(api.post("/v5/position/set-leverage", category="linear", symbol="BTCUSDT",
                       buyLeverage="20", sellLeverage="20")) == {}
    r = api.post("/v5/position/set-leverage", category="linear", symbol="BTCUSDT",
                 buyLeverage="20", sellLeverage="20")
    assert (r["retCode"], r["retMsg"]) == (110043, "leverage not modified")
    (p,) = ok(api.get("/v5/position/list", category="linear", symbol="BTCUSDT"))["list"]
    assert p["leverage"] == "20" and D(p["positionIM"]) == (D("70000.09") / 20).quantize(D("1e-8"))


def test_account_endpoints(api):
    res = ok(api.get("/v5/account/wallet-balance", accountType="UNIFIED"))
    assert res["list"][0]["accountType"] == "UNIFIED"
    assert {c["coin"] for c in res["list"][0]["coin"]} == {"USDT", "BTC", "ETH"}
    one = ok(api.get("/v5/account/wallet-balance", accountType="UNIFIED", coin="USDT,BTC"))
    assert [c["coin"] for c in one["list"][0]["coin"]] == ["USDT", "BTC"]
    for bad in ("CONTRACT", "SPOT"):
        r = api.get("/v5/account/wallet-balance", accountType=bad)
        assert (r["retCode"], r["retMsg"]) == (10001, "accountType only support UNIFIED")
    assert api.get("/v5/account/wallet-balance")["retCode"] == 10001
    assert ok(api.get("/v5/account/info"))["marginMode"] == "REGULAR_MARGIN"
    r = api.get("/v5/user/query-api")
    assert r["retCode"] == 0 and r["retMsg"] == "" and r["result"]["apiKey"] == "k"


def test_wallet_balance_sees_a_fill_at_once(api):
    """The wallet reply is cached between changes; the request right after a fill must show it."""
    def usdt() -> D:
        res = ok(api.get("/v5/account/wallet-balance", accountType="UNIFIED", coin="USDT"))
        return D(res["list"][0]["coin"][0]["walletBalance"])

    assert usdt() == usdt() == 100000
    ok(api.post("/v5/order/create", category="spot", symbol="BTCUSDT", side="Buy", orderType="Market",
                qty="1000"))
    assert usdt() == api.account.wallet["USDT"] < D("99000.1")   # spent at once, no stale answer
    ok(api.post("/v5/order/create", category="linear", symbol="BTCUSDT", side="Buy", orderType="Market",
                qty="0.01"))
    after = ok(api.get("/v5/account/wallet-balance", accountType="UNIFIED"))["list"][0]
    assert after == api.account.wallet_balance(api.market, 0)   # the fake market has one price at any time
    assert D(after["totalInitialMargin"]) > 0


# ---------------------------------------------------------------------------------------------
# the real exchange, driven by pybit
# ---------------------------------------------------------------------------------------------
def _real_exchange():
    from local_exchange.runner import LocalExchange
    from local_exchange.settings import ExchangeConfig

    return LocalExchange(ExchangeConfig(port=0, ip_limit=False))


def test_pybit_trades_on_the_real_exchange():
    from pybit.exceptions import InvalidRequestError
    from pybit.unified_trading import HTTP

    ex = _real_exchange()
    with ex.start():
        session = HTTP(api_key="demo-api-key", api_secret="demo-api-secret", max_retries=1)
        session.endpoint = ex.url
        market = ex.app[MARKET]
        inst = market.instrument("linear", "ETHUSDT")
        assert inst is not None
        r = session.place_order(category="linear", symbol="ETHUSDT", side="Buy", orderType="Market", qty="0.1")
        order_id = r["result"]["orderId"]
        (o,) = session.get_open_orders(category="linear", symbol="ETHUSDT", orderId=order_id)["result"]["list"]
        assert o["orderStatus"] == "Filled" and o["cumExecQty"] == fmt_qty(D("0.1"), inst.qty_step)
        (p,) = session.get_positions(category="linear", symbol="ETHUSDT")["result"]["list"]
        assert p["side"] == "Buy" and D(p["size"]) == D("0.1")
        ex_list = session.get_executions(category="linear", orderId=order_id)["result"]["list"]
        assert sum(D(e["execQty"]) for e in ex_list) == D("0.1")
        spot = session.place_order(category="spot", symbol="BTCUSDT", side="Buy", orderType="Market", qty="50")
        assert spot["result"]["orderId"].isdigit()
        with pytest.raises(InvalidRequestError) as info:
            session.get_wallet_balance(accountType="CONTRACT")
        assert info.value.status_code == 10001
        coins = session.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]["coin"]
        btc = next(c for c in coins if c["coin"] == "BTC")
        assert D(btc["walletBalance"]) > 1
        last = market.last_price("linear", "ETHUSDT", int(o["createdTime"]))
        far = (last * D("0.5") // inst.tick_size) * inst.tick_size
        rest = session.place_order(category="linear", symbol="ETHUSDT", side="Buy", orderType="Limit",
                                   qty="0.1", price=str(far), orderLinkId="rest-1")
        assert session.cancel_order(category="linear", symbol="ETHUSDT", orderLinkId="rest-1")["result"] \
            == rest["result"]
        assert session.get_api_key_information()["retMsg"] == ""


def fmt_qty(q: D, step: D) -> str:
    places = max(0, -step.as_tuple().exponent)
    return f"{q:.{places}f}"
