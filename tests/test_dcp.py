"""Disconnect-cancel-all: a product's orders are cancelled once every guarding connection has been gone its window."""
from __future__ import annotations

import asyncio
import json
from decimal import Decimal as D

import aiohttp
import pytest
from sessions import own_exchange, pybit_session
from test_ws_private import auth_frame, recv, recv_until, ws_url
from waiting import until, until_async

from local_exchange import dcp
from local_exchange.accounts import Account
from local_exchange.state import ACCOUNTS

KEY, SECRET = "dcp-key", "dcp-secret"


def test_the_clock_starts_when_the_last_guard_leaves_and_stops_when_one_returns():
    account = Account(api_key="k", api_secret="s", uid=1, created=0)
    account.settings.dcp["SPOT"] = 3
    dcp.guard(account, ["dcp.spot", "order"])
    dcp.guard(account, ["dcp.spot"])
    dcp.unguard(account, ["dcp.spot"], 1_000)
    assert dcp.due(account, 10_000) == []                     # one guard is still there
    dcp.unguard(account, ["dcp.spot", "order"], 2_000)
    assert dcp.due(account, 4_999) == [] and dcp.due(account, 5_000) == ["SPOT"]
    dcp.guard(account, ["dcp.spot"])                          # back within the window: no cancel
    assert dcp.due(account, 10_000) == []
    dcp.guard(account, ["dcp.future"])                        # a product without a window is never due,
    dcp.unguard(account, ["dcp.future"], 0)
    account.settings.dcp["DERIVATIVES"] = 3                   # not even when its window is set afterwards
    assert dcp.due(account, 10_000) == [] and account.settings.dcp_state.lost == {}


@pytest.fixture(scope="module")
def exchange():
    with own_exchange((KEY, SECRET)) as running:
        yield running


async def connect(http: aiohttp.ClientSession, exchange, topics: list[str]) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(ws_url(exchange, "/v5/private"))
    await ws.send_json(auth_frame(KEY, SECRET))
    assert (await recv(ws))["success"] is True
    await ws.send_json({"op": "subscribe", "req_id": "s", "args": topics})
    assert (await recv(ws))["success"] is True
    return ws


def test_spot_orders_are_cancelled_when_every_dcp_spot_connection_is_gone(exchange):
    session = pybit_session(exchange, KEY, SECRET)
    session.set_dcp(product="SPOT", timeWindow=3)
    last = D(session.get_tickers(category="linear", symbol="BTCUSDT")["result"]["list"][0]["lastPrice"])
    far = str((last / 2).quantize(D("0.1")))

    def status(category: str, link: str) -> dict:
        return session.get_open_orders(category=category, symbol="BTCUSDT", orderLinkId=link)["result"]["list"][0]

    async def scenario() -> dict:
        async with aiohttp.ClientSession() as http:
            watcher = await connect(http, exchange, ["order"])            # no dcp topic: plays no part
            first = await connect(http, exchange, ["dcp.spot"])
            second = await connect(http, exchange, ["dcp.spot", "dcp.future"])
            session.place_order(category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.001",
                                price=far, orderLinkId="dcp-spot")
            session.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.001",
                                price=far, orderLinkId="dcp-linear")
            guards = exchange.app[ACCOUNTS].get(KEY).settings.dcp_state.guards
            assert guards == {"SPOT": 2, "DERIVATIVES": 1}
            await first.close()
            assert await until_async(lambda: guards.get("SPOT") == 1)     # the second still guards spot
            await second.close()
            event = await recv_until(watcher, lambda m: m.get("topic") == "order" and any(
                o["orderLinkId"] == "dcp-spot" and o["orderStatus"] == "Cancelled" for o in m["data"]), timeout=20)
            await watcher.close()
            return event

    event = asyncio.run(scenario())
    pushed = next(o for o in event["data"] if o["orderLinkId"] == "dcp-spot")
    assert pushed["cancelType"] == "CancelByDCP"
    assert until(lambda: status("spot", "dcp-spot")["orderStatus"] == "Cancelled")
    assert status("spot", "dcp-spot")["cancelType"] == "CancelByDCP"
    assert status("linear", "dcp-linear")["orderStatus"] == "New"          # DERIVATIVES has no window set
    assert json.dumps(session.query_dcp_info()["result"]["dcpInfos"]) == json.dumps(
        [{"product": "SPOT", "dcpStatus": "ON", "timeWindow": "3"}])
    session.cancel_all_orders(category="linear", symbol="BTCUSDT")
