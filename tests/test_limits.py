"""Rate limits: the per-UID 10006 with its headers, and the per-IP 403 ban.

The counting rules are checked with explicit clock values (no sleeping); the
wire behaviour (status, envelope, headers, pybit's retry) over a real socket.
"""
from __future__ import annotations

import json
import time

import pytest
import requests
from aiohttp import web
from pybit.unified_trading import HTTP
from waiting import DEADLINE_S, until

from helpers import signing
from local_exchange import app as exchange_app
from local_exchange import envelope
from local_exchange.accounts import Accounts
from local_exchange.app import create_app
from local_exchange.limits import BYBIT, TEACHING, Profile, RateLimiter, describe
from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig
from local_exchange.state import LIMITS

routes = web.RouteTableDef()


@routes.get("/v5/market/time")
async def _time(request: web.Request) -> web.Response:
    return envelope.ok({})


@routes.post("/v5/order/create")
async def _create(request: web.Request) -> web.Response:
    return envelope.ok({"orderId": "1"})


def start(config: ExchangeConfig) -> LocalExchange:
    return LocalExchange(config, lambda c: create_app(c, routes=[routes], market=object(), accounts=Accounts(None))).start()


def now() -> int:
    return int(time.time() * 1000)


def create_order(session: requests.Session, url: str, category: str = "linear",
                 at: int | None = None) -> requests.Response:
    body = json.dumps({"category": category, "symbol": "BTCUSDT"})
    headers = signing.signed_headers(DEMO_API_KEY, DEMO_API_SECRET, now() if at is None else at, body)
    return session.post(url + "/v5/order/create", data=body, headers=headers)


# -- counting rules, with a hand-held clock ------------------------------------------------
def test_endpoint_window_rolls_and_reset_is_never_past():
    limiter = RateLimiter("bybit")
    t0 = 1_000_000
    verdicts = [limiter.hit(1, "POST", "/v5/order/create", "linear", t0 + i) for i in range(11)]
    assert [v.allowed for v in verdicts] == [True] * 10 + [False]
    assert [v.remaining for v in verdicts[:3]] == [9, 8, 7]
    refused = verdicts[-1]
    assert refused.reset_ms == t0 + 9 + 1000       # one window after the newest counted request
    assert refused.headers() == {"X-Bapi-Limit": "10", "X-Bapi-Limit-Status": "0",
                                 "X-Bapi-Limit-Reset-Timestamp": str(t0 + 1009)}
    assert limiter.hit(1, "POST", "/v5/order/create", "linear", t0 + 1000).allowed   # oldest left the window
    assert limiter.hit(1, "POST", "/v5/order/create", "spot", t0 + 10).limit == 20    # per category
    assert limiter.hit(2, "POST", "/v5/order/create", "linear", t0 + 10).allowed     # per UID


def test_a_caller_that_waits_until_the_reset_finds_the_whole_budget():
    # pybit's 10006 retry: sleep until the reset (against its own clock), send again. The old
    # rule (reset = when the oldest request leaves the window) let one request through at the
    # reset and refused the next with a reset a millisecond away: already past when the reply
    # reached pybit, whose time.sleep then raised "sleep length must be non-negative".
    limiter = RateLimiter("teaching")
    path, t = "/v5/order/realtime", 2_000_000
    limit = limiter.limit_for("GET", path, "linear")
    for i in range(limit):
        assert limiter.hit(7, "GET", path, "linear", t + i).allowed
    now = t + limit
    for _ in range(3):                       # three bursts, each retried at its reset
        refused = limiter.hit(7, "GET", path, "linear", now)
        assert not refused.allowed
        assert refused.reset_ms - now >= 1000 - limit        # a whole window, less the burst's span
        now = refused.reset_ms
        verdicts = [limiter.hit(7, "GET", path, "linear", now) for _ in range(limit)]   # a fast burst
        assert all(v.allowed for v in verdicts) and verdicts[-1].remaining == 0


def test_unlisted_private_paths_get_defaults():
    limiter = RateLimiter("teaching")
    assert limiter.limit_for("GET", "/v5/position/closed-pnl", "linear") == TEACHING.default_get
    assert limiter.limit_for("POST", "/v5/position/trading-stop", "linear") == TEACHING.default_post
    assert RateLimiter("bybit").limit_for("GET", "/v5/account/wallet-balance", "") == 50


def test_ip_ban_starts_on_request_601_and_lifts():
    limiter = RateLimiter("bybit")
    t0 = 5_000_000
    assert all(limiter.ip_banned_until("1.2.3.4", t0 + i) is None for i in range(600))
    until = limiter.ip_banned_until("1.2.3.4", t0 + 600)
    assert until == t0 + 600 + BYBIT.ip_ban_ms == t0 + 600 + 600_000
    assert limiter.ip_banned_until("1.2.3.4", until - 1) == until      # still banned
    assert limiter.ip_banned_until("5.6.7.8", t0 + 601) is None         # others unaffected
    assert limiter.ip_banned_until("1.2.3.4", until) is None            # lifted, count starts afresh


def test_ip_window_is_rolling():
    limiter = RateLimiter("teaching")
    t0 = 0
    for i in range(60):
        assert limiter.ip_banned_until("ip", t0 + i * 50) is None        # 60 requests over 2.95 s
    assert limiter.ip_banned_until("ip", 5_001) is None                   # the first one left the window


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="teaching"):
        RateLimiter("fast")


def test_describe_is_a_table_of_both_profiles():
    rows = describe()
    assert {"rule", "window", "bybit", "teaching"} <= set(rows[0])
    by_rule = {row["rule"]: row for row in rows}
    assert by_rule["requests per IP"]["bybit"] == 600 and by_rule["requests per IP"]["teaching"] == 60
    assert by_rule["/v5/order/create (linear)"]["bybit"] == 10
    assert by_rule["/v5/order/create (linear)"]["teaching"] == 2
    assert by_rule["/v5/order/create (spot)"]["bybit"] == 20


# -- over the wire -------------------------------------------------------------------------
def test_10006_over_the_wire_with_headers(monkeypatch):
    # The exchange's clock is held still, so the three requests fall into one window however
    # slow the machine is (the requests are signed with that same time).
    t0 = now()
    monkeypatch.setattr(exchange_app, "now_ms", lambda: t0)
    with start(ExchangeConfig(limits="teaching", ip_limit=False)) as exchange:
        session = requests.Session()
        replies = [create_order(session, exchange.url, at=t0) for _ in range(3)]
        codes = [r.json()["retCode"] for r in replies]
        assert codes == [0, 0, 10006]
        last = replies[-1]
        assert last.status_code == 200 and last.json()["retMsg"] == "Too many visits!"
        assert last.headers["X-Bapi-Limit"] == "2" and last.headers["X-Bapi-Limit-Status"] == "0"
        assert last.headers["X-Bapi-Limit-Reset-Timestamp"] == str(t0 + 1000)
        assert replies[0].headers["X-Bapi-Limit-Status"] == "1"
        assert create_order(session, exchange.url, "spot", at=t0).json()["retCode"] == 0   # other category
        public = session.get(exchange.url + "/v5/market/time")
        assert "X-Bapi-Limit" not in public.headers


def test_pybit_sleeps_until_reset_and_succeeds():
    with start(ExchangeConfig(limits="teaching", ip_limit=False)) as exchange:
        session = HTTP(api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, max_retries=3)
        session.endpoint = exchange.url
        started = time.monotonic()
        results = [session.place_order(category="linear", symbol="BTCUSDT", side="Buy",
                                       orderType="Market", qty="0.01") for _ in range(3)]
        assert all(r["retCode"] == 0 for r in results)
        # 2 per second allowed: three orders need at most one wait of at most a second (plus the
        # requests themselves, generously bounded), never pybit's three attempts of a second each
        assert time.monotonic() - started < DEADLINE_S


def test_ip_ban_over_the_wire_then_lifts():
    with start(ExchangeConfig(limits="teaching")) as exchange:
        exchange.app[LIMITS].profile = Profile("tiny", ip_requests=5, ip_window_ms=5_000, ip_ban_ms=300)
        session = requests.Session()
        statuses = [session.get(exchange.url + "/v5/market/time").status_code for _ in range(7)]
        assert statuses == [200] * 5 + [403] * 2
        banned = session.get(exchange.url + "/v5/market/time")
        assert banned.status_code == 403 and "Retry-After" in banned.headers
        assert banned.json()["retMsg"].startswith("403, access too frequent")
        # the 300 ms ban ends: asked again and again (refused requests do not extend it), it lets us in
        assert until(lambda: session.get(exchange.url + "/v5/market/time").status_code == 200)


def test_pybit_reports_403_without_retry():
    from pybit.exceptions import FailedRequestError

    with start(ExchangeConfig(limits="teaching")) as exchange:
        exchange.app[LIMITS].profile = Profile("tiny", ip_requests=1, ip_window_ms=5_000, ip_ban_ms=60_000)
        session = HTTP()
        session.endpoint = exchange.url
        requests.get(exchange.url + "/v5/market/time")
        with pytest.raises(FailedRequestError) as refused:
            session.get_server_time()
        assert refused.value.status_code == 403


def test_ip_limit_can_be_switched_off():
    with start(ExchangeConfig(limits="teaching", ip_limit=False)) as exchange:
        session = requests.Session()
        assert {session.get(exchange.url + "/v5/market/time").status_code for _ in range(70)} == {200}
