"""Generated garbage to every route: the exchange answers Bybit's envelope, never crashes.

Hypothesis builds query strings and bodies (random keys, real parameter names
with wrong values, huge numbers, unicode, empty strings, arrays, objects,
non-JSON text) and sends them, signed with the demo key where the route is
private, over a real socket. Every answer must be HTTP 200, 403 or 404 with a
JSON envelope whose ``retCode`` is an int, and never retCode 10016: a 10016 means
a handler raised something other than a ``BybitError``, i.e. a bug.
"""
from __future__ import annotations

import http.client
import json
import math
import os
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import signing
from local_exchange.app import create_app
from local_exchange.limits import Profile
from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig
from local_exchange.state import LIMITS

UNLIMITED = Profile("fuzz", ip_requests=10**9, ip_window_ms=5_000, ip_ban_ms=1, endpoints={},
                    default_get=10**9, default_post=10**9)

NAMES = (
    "category", "symbol", "interval", "limit", "start", "end", "cursor", "side", "orderType", "qty",
    "price", "orderId", "orderLinkId", "accountType", "coin", "leverage", "buyLeverage", "sellLeverage",
    "timeInForce", "baseCoin", "settleCoin", "status", "expDate", "intervalTime", "period",
    "positionIdx", "marketUnit", "reduceOnly", "triggerPrice", "takeProfit", "stopLoss", "orderFilter",
    "execType", "openOnly", "symbolType", "optionType", "isLeverage", "closeOnTrigger", "startTime", "endTime",
    # the position, account, asset and user groups
    "mode", "tpslMode", "trailingStop", "activePrice", "tpSize", "slSize", "tpLimitPrice", "tpOrderType",
    "setMarginMode", "margin", "autoAddMargin", "riskId", "tradeMode", "fromUid", "toUid", "list", "request",
    "transferId", "amount", "fromAccountType", "toAccountType", "fromMemberId", "toMemberId", "subMemberId",
    "subMemberIds", "username", "memberType", "readOnly", "permissions", "frozen", "subuid", "apikey",
    "quoteTxId", "quoteId", "fromCoin", "toCoin", "requestCoin", "requestAmount", "fromCoinList", "chain",
    "chainType", "address", "id", "feeType", "forceChain", "timestamp", "product", "timeWindow",
    "collateralSwitch", "window", "frozenPeriod", "qtyLimit", "deltaLimit", "modifyEnable", "deltaEnable",
    "setHedgingMode", "currency", "coinName", "categoryV2", "agree",
)
MEANINGFUL = (
    "spot", "linear", "inverse", "option", "BTCUSDT", "ETHUSDT", "BTCUSD", "btcusdt", "UNIFIED", "CONTRACT",
    "Buy", "Sell", "Limit", "Market", "GTC", "IOC", "PostOnly", "FOK", "1", "5", "60", "D", "W", "M", "0",
    "-1", "0.001", "1e3", "100000", "99999999999999999999", "NaN", "Infinity", "true", "false", "USDT", "BTC",
    "Order", "StopOrder", "baseCoin", "quoteCoin", "5min", "1h", "1d",
)

scalars = st.one_of(
    st.sampled_from(MEANINGFUL),
    st.text(max_size=30),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.just(""),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=8)
keys = st.one_of(st.sampled_from(NAMES), st.text(max_size=12))
# A valid-looking request to start from, so generated values also reach the deeper checks.
BASE = {
    "category": "linear", "symbol": "BTCUSDT", "interval": "1", "limit": "5", "side": "Buy",
    "orderType": "Limit", "qty": "0.01", "price": "50000", "accountType": "UNIFIED", "coin": "USDT",
    "buyLeverage": "5", "sellLeverage": "5", "timeInForce": "GTC", "intervalTime": "5min", "orderLinkId": "x1",
    "mode": 3, "tpslMode": "Partial", "tpSize": "0.001", "trailingStop": "100", "margin": "10", "riskId": 2,
    "setMarginMode": "ISOLATED_MARGIN", "transferId": "5b3bc8c5-4ab6-4e0a-9a8f-1d5c1a0a9e01", "amount": "1",
    "fromAccountType": "UNIFIED", "toAccountType": "FUND", "fromCoin": "USDT", "toCoin": "BTC",
    "requestCoin": "USDT", "requestAmount": "10", "chain": "TRX", "username": "fuzzuser1", "memberType": 1,
}
random_params = st.dictionaries(keys, json_values, max_size=7)
near_valid = st.tuples(st.sets(st.sampled_from(sorted(BASE))), st.dictionaries(keys, json_values, max_size=2)).map(
    lambda chosen: {**{k: BASE[k] for k in sorted(chosen[0])}, **chosen[1]})
params = st.one_of(random_params, near_valid)


def _route_list(app) -> list[tuple[str, str]]:
    """Every (method, path) of Bybit's REST routes that the application registers."""
    found = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method in ("GET", "POST") and path.startswith("/v5/") and not path.startswith("/v5/public/") \
                and path not in ("/v5/private", "/v5/trade"):
            found.add((route.method, path))
    return sorted(found)


@pytest.fixture(scope="module")
def exchange():
    with LocalExchange(ExchangeConfig(ip_limit=False)) as running:
        running.app[LIMITS].profile = UNLIMITED
        yield running


ROUTES = _route_list(create_app(ExchangeConfig()))
GET_ROUTES = [path for method, path in ROUTES if method == "GET"]
POST_ROUTES = [path for method, path in ROUTES if method == "POST"]


def test_routes_were_found():
    assert "/v5/market/kline" in GET_ROUTES and "/v5/order/create" in POST_ROUTES


def _query_value(value) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _send(exchange: LocalExchange, method: str, path: str, query: str, body: bytes | None, private: bool):
    payload = body.decode("utf-8", "replace") if body is not None else query
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if private:   # signed over the exact bytes sent, whatever they are
        timestamp = str(int(time.time() * 1000))
        signed = (timestamp + DEMO_API_KEY + "5000").encode() + (body if body is not None else query.encode())
        headers.update({"X-BAPI-API-KEY": DEMO_API_KEY, "X-BAPI-TIMESTAMP": timestamp, "X-BAPI-RECV-WINDOW": "5000",
                        "X-BAPI-SIGN": signing.hmac_sha256_hex(DEMO_API_SECRET, signed)})
    target = path + ("?" + query if query else "")
    conn = http.client.HTTPConnection(exchange.host, exchange.port, timeout=10)
    try:
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), payload
    finally:
        conn.close()


def _check(status: int, raw: bytes, method: str, path: str, sent: str) -> dict:
    where = f"{method} {path} with {sent[:300]!r}"
    assert status in (200, 403, 404), f"HTTP {status} for {where}"
    try:
        reply = json.loads(raw)
    except ValueError:
        pytest.fail(f"non-JSON reply {raw[:200]!r} for {where}")
    assert isinstance(reply, dict) and isinstance(reply.get("retCode"), int), f"bad envelope {raw[:200]!r} for {where}"
    assert {"retMsg", "result", "retExtInfo", "time"} <= set(reply), f"bad envelope {raw[:200]!r} for {where}"
    assert reply["retCode"] != 10016, f"handler crashed (10016) on {where}"
    assert reply["retCode"] != 10004, f"signature refused on {where}: {reply['retMsg']}"
    return reply


#: Examples per route; ``FUZZ_EXAMPLES=500 python course.py test -k fuzz`` searches deeper (the suite uses 40).
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("path", GET_ROUTES)
@FUZZ
@given(query=params, encode=st.booleans())
def test_get_routes_survive_any_query(exchange, path, query, encode):
    method = "GET"
    quote_part = (lambda s: quote(s, safe="")) if encode else (lambda s: quote(s, safe=",:"))
    text = "&".join(f"{quote_part(k)}={quote_part(_query_value(v))}" for k, v in query.items())
    private = not path.startswith("/v5/market/")
    status, raw, sent = _send(exchange, method, path, text, None, private)
    _check(status, raw, method, path, sent)


bodies = st.one_of(
    params.map(lambda p: json.dumps(p).encode()),
    params.map(lambda p: json.dumps(p, separators=(",", ":"), ensure_ascii=False).encode()),
    st.lists(json_values, max_size=3).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
)


@pytest.mark.parametrize("path", POST_ROUTES)
@FUZZ
@given(body=bodies)
def test_post_routes_survive_any_body(exchange, path, body):
    method = "POST"
    status, raw, sent = _send(exchange, method, path, "", body, True)
    _check(status, raw, method, path, sent)


def test_every_route_answers_its_plain_call(exchange):
    """No parameters at all: each route answers an envelope (usually 10001 naming what is missing)."""
    for method, path in ROUTES:
        body = b"{}" if method == "POST" else None
        status, raw, sent = _send(exchange, method, path, "", body, not path.startswith("/v5/market/"))
        _check(status, raw, method, path, sent)
