"""The wire log: bounded, newest last, API key masked, raw query and body kept."""
from __future__ import annotations

import json
import time

import requests
from aiohttp import web

from helpers import signing
from local_exchange import envelope
from local_exchange.accounts import Accounts
from local_exchange.app import create_app
from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig
from local_exchange.wirelog import BODY_LIMIT, WireLog, mask_key

routes = web.RouteTableDef()


@routes.get("/v5/market/time")
async def _time(request: web.Request) -> web.Response:
    return envelope.ok({})


@routes.post("/v5/order/create")
async def _create(request: web.Request) -> web.Response:
    return envelope.ok({})


def test_mask_key_keeps_four_characters():
    assert mask_key("demo-api-key") == "demo****"
    assert mask_key("ab") == "ab****"


def test_log_is_bounded_and_newest_last():
    wire = WireLog(size=3)
    for i in range(5):
        wire.record(i, "GET", f"/p{i}?n={i}", {}, None, 200, b'{"retCode":0,"retMsg":"OK"')
    entries = wire.entries()
    assert len(wire) == 3 and [e["path"] for e in entries] == ["/p2", "/p3", "/p4"]
    assert [e["query"] for e in wire.entries(2)] == ["n=3", "n=4"]
    assert wire.entries(0) == []
    wire.clear()
    assert wire.entries() == []


def test_entry_fields_masking_and_truncation():
    wire = WireLog(size=10)
    headers = {"X-BAPI-API-KEY": "abcdefgh", "X-BAPI-SIGN": "ff", "Content-Type": "application/json",
               "Cookie": "secret"}
    wire.record(7, "POST", "/v5/order/create", headers, b"x" * (BODY_LIMIT + 50), 200, b'{"retCode":10004,"r')
    entry = wire.entries()[0]
    assert entry["headers"] == {"X-BAPI-API-KEY": "abcd****", "X-BAPI-SIGN": "ff", "Content-Type": "application/json"}
    assert entry["retCode"] == 10004 and entry["status"] == 200 and entry["time"] == 7
    assert entry["body"].startswith("x" * BODY_LIMIT + "… [truncated: ")
    assert f"{BODY_LIMIT + 50} bytes received, the first {BODY_LIMIT} characters shown]" in entry["body"]


def test_short_body_has_no_note():
    wire = WireLog(size=2)
    wire.record(1, "POST", "/v5/order/create", {}, b'{"a": 1}', 200, None)
    assert wire.entries()[0]["body"] == '{"a": 1}'


def test_log_is_bounded_in_bytes_whatever_the_bodies():
    wire = WireLog(size=500, max_bytes=200_000)
    huge = b"{" + b"x" * (1024 * 1024) + b"}"
    headers = {"X-BAPI-SIGN": "s" * 100_000, "Cookie": "c" * 100_000}
    for i in range(500):
        wire.record(i, "POST", "/v5/order/create?" + "q" * 100_000, headers, huge, 200, None)
    assert wire.size_bytes <= 200_000 and 0 < len(wire) < 500
    newest = wire.entries(1)[0]
    assert newest["time"] == 499 and len(newest["headers"]["X-BAPI-SIGN"]) < 1000
    assert "1048578 bytes received" in newest["body"]
    wire.clear()
    assert wire.size_bytes == 0 and len(wire) == 0


def test_undecodable_header_bytes_still_serialise():
    """aiohttp keeps a non-UTF-8 header byte as a lone surrogate; the log shows U+FFFD instead."""
    wire = WireLog(size=5)
    wire.record(1, "GET", "/v5/order/realtime", {"X-BAPI-TIMESTAMP": "12\udcff3", "X-BAPI-SIGN": "a\ud800"},
                None, 200, None)
    entry = json.loads(wire.to_json().encode("utf-8"))[0]
    assert entry["headers"] == {"X-BAPI-TIMESTAMP": "12\ufffd3", "X-BAPI-SIGN": "a?"}


def test_size_zero_keeps_nothing():
    wire = WireLog(size=0)
    wire.record(1, "GET", "/", {}, None, 200, None)
    assert wire.entries() == []


def test_wire_over_http_shows_what_was_sent():
    config = ExchangeConfig(ip_limit=False, wire_log_size=4)
    with LocalExchange(config, lambda c: create_app(c, routes=[routes], market=object(), accounts=Accounts(None))) as exchange:
        session = requests.Session()
        body = '{"category":"linear"}'
        headers = signing.signed_headers(DEMO_API_KEY, DEMO_API_SECRET, int(time.time() * 1000), body)
        session.post(exchange.url + "/v5/order/create", data=body, headers=headers)
        session.get(exchange.url + "/v5/market/time?b=2&a=1")
        session.get(exchange.url + "/v5/nowhere")
        shown = session.get(exchange.url + "/local/wire?limit=3").json()
        assert [e["path"] for e in shown] == ["/v5/order/create", "/v5/market/time", "/v5/nowhere"]
        post, get, missing = shown
        assert post["body"] == body and post["headers"]["X-BAPI-API-KEY"] == "demo****"
        assert post["headers"]["X-BAPI-SIGN"] == headers["X-BAPI-SIGN"] and post["retCode"] == 0
        assert DEMO_API_KEY not in json.dumps(shown)
        assert get["query"] == "b=2&a=1" and get["headers"] == {}
        assert (missing["status"], missing["retCode"]) == (404, 10017)
        assert len(exchange.wire.entries()) == 3          # /local/ requests are not logged
        for _ in range(6):
            session.get(exchange.url + "/v5/market/time")
        assert len(exchange.wire.entries()) == 4          # bounded by wire_log_size
