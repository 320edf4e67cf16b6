"""``--limits off``: no per-UID and no per-IP limit, for benchmarks and load tests."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import requests
from aiohttp import web

from helpers import signing
from local_exchange import envelope
from local_exchange.__main__ import build_parser, config_from
from local_exchange.accounts import Accounts
from local_exchange.app import create_app
from local_exchange.limits import BYBIT, RateLimiter
from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig

routes = web.RouteTableDef()


@routes.get("/v5/market/time")
async def _time(request: web.Request) -> web.Response:
    return envelope.ok({})


@routes.post("/v5/order/create")
async def _create(request: web.Request) -> web.Response:
    return envelope.ok({"orderId": "1"})


def test_off_profile_never_refuses_with_a_hand_held_clock():
    limiter = RateLimiter("off")
    t0 = 1_000_000
    assert all(limiter.hit(1, "POST", "/v5/order/create", "linear", t0).allowed for _ in range(5 * BYBIT.ip_requests))
    assert all(limiter.ip_banned_until("10.0.0.1", t0) is None for _ in range(5 * BYBIT.ip_requests))


def test_command_line_accepts_off_and_says_what_it_does():
    args = build_parser().parse_args(["--limits", "off"])
    assert config_from(args).limits == "off"
    out = subprocess.run([sys.executable, "-m", "local_exchange", "--help"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert "'off'" in out and "per IP" in out


def test_over_the_wire_nothing_is_limited():
    """Far past Bybit's 10 orders/s and 600 requests / 5 s per IP: every answer is 0."""
    config = ExchangeConfig(limits="off")
    with LocalExchange(config, lambda c: create_app(c, routes=[routes], market=object(),
                                                    accounts=Accounts(None))) as exchange:
        session = requests.Session()
        body = json.dumps({"category": "linear", "symbol": "BTCUSDT"})
        codes = set()
        for _ in range(BYBIT.ip_requests + 50):
            headers = signing.signed_headers(DEMO_API_KEY, DEMO_API_SECRET, int(time.time() * 1000), body)
            reply = session.post(exchange.url + "/v5/order/create", data=body, headers=headers)
            codes.add((reply.status_code, reply.json()["retCode"]))
        assert codes == {(200, 0)}
        assert session.get(exchange.url + "/v5/market/time").status_code == 200
        health = session.get(exchange.url + "/local/health").json()["result"]
        assert (health["limits"], health["ipLimit"]) == ("off", False)
