"""The middleware's promises: envelopes everywhere, 404s, 10001 for bad bodies, never a 500."""
from __future__ import annotations

import time

import pytest
import requests
from aiohttp import web
from pybit.exceptions import InvalidRequestError
from waiting import until

from helpers import connect, signing
from local_exchange import envelope
from local_exchange.accounts import Accounts
from local_exchange.app import create_app
from local_exchange.errors import BybitError
from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig
from local_exchange.state import ACCOUNTS, PARAMS

routes = web.RouteTableDef()


@routes.get("/v5/market/time")
async def _time(request: web.Request) -> web.Response:
    return envelope.ok({"category": request[PARAMS].str("category")})


@routes.get("/v5/market/crash")
async def _crash(request: web.Request) -> web.Response:
    raise KeyError("a bug")


@routes.get("/v5/market/refuse")
async def _refuse(request: web.Request) -> web.Response:
    raise BybitError(10001, "Illegal category")


@routes.post("/v5/order/create")
async def _create(request: web.Request) -> web.Response:
    return envelope.ok(dict(request[PARAMS].data))


@routes.post("/v5/order/crash")
async def _private_crash(request: web.Request) -> web.Response:
    raise RuntimeError("boom")


class CountingAccounts(Accounts):
    """Real accounts that also count how often the background sweep ran."""

    def __init__(self) -> None:
        super().__init__(None)
        self.sweeps = 0

    def sweep(self, market, now_ms: int) -> None:
        self.sweeps += 1
        if self.sweeps == 1:
            raise ValueError("a failing sweep must not stop the next ones")


@pytest.fixture(scope="module")
def exchange():
    config = ExchangeConfig(ip_limit=False)
    with LocalExchange(config, lambda c: create_app(c, routes=[routes], market=object(), accounts=CountingAccounts())) as running:
        yield running


def signed_post(url: str, body: bytes, path: str = "/v5/order/create") -> requests.Response:
    headers = signing.signed_headers(DEMO_API_KEY, DEMO_API_SECRET, int(time.time() * 1000), body.decode("latin-1"))
    return requests.post(url + path, data=body, headers=headers)


def test_public_reply_is_an_envelope(exchange):
    reply = requests.get(exchange.url + "/v5/market/time?category=linear")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    data = reply.json()
    assert set(data) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    assert data["result"] == {"category": "linear"}


def test_exception_in_handler_is_10016_not_500(exchange, caplog):
    with caplog.at_level("ERROR", logger="local_exchange"):
        reply = requests.get(exchange.url + "/v5/market/crash")
    assert reply.status_code == 200
    assert (reply.json()["retCode"], reply.json()["retMsg"]) == (10016, "Server error.")
    assert "Traceback" not in reply.text and "a bug" not in reply.text
    assert any("handler failed" in r.message for r in caplog.records)


def test_private_exception_keeps_limit_headers(exchange):
    reply = signed_post(exchange.url, b'{"category":"linear"}', "/v5/order/crash")
    assert reply.json()["retCode"] == 10016 and "X-Bapi-Limit" in reply.headers


def test_bybit_error_becomes_its_envelope(exchange):
    data = requests.get(exchange.url + "/v5/market/refuse").json()
    assert (data["retCode"], data["retMsg"], data["result"]) == (10001, "Illegal category", {})


def test_unknown_path_is_404_with_envelope(exchange):
    for path in ("/v5/market/nothing", "/v5/nothing", "/", "/v2/public/time"):
        reply = requests.get(exchange.url + path)
        assert reply.status_code == 404, path
        assert reply.json()["retCode"] == 10017 and path in reply.json()["retMsg"]


def test_a_path_only_bybit_serves_says_so_instead_of_looking_like_a_typo(exchange):
    for method, path in (("GET", "/v5/earn/product"), ("POST", "/v5/spread/order/create"), ("GET", "/v5/broker/earnings-info")):
        reply = requests.request(method, exchange.url + path)
        assert reply.status_code == 200, path                # so pybit shows the message (it hides a 404's body)
        data = reply.json()
        assert data["retCode"] == 10017 and data["result"] == {}
        assert f"{method} {path} is served by Bybit, not by the local exchange" in data["retMsg"]
        assert "BYBIT_ENV=testnet" in data["retMsg"]


def test_a_learner_calling_an_unserved_pybit_method_reads_why():
    with pytest.raises(InvalidRequestError) as caught:
        connect.http().get_earn_product_info(category="FlexibleSaving")
    assert caught.value.status_code == 10017
    assert "served by Bybit, not by the local exchange" in caught.value.message


def test_wrong_method_is_404_naming_the_right_one(exchange):
    reply = requests.post(exchange.url + "/v5/market/time", data="{}")
    assert reply.status_code == 404
    assert "use GET" in reply.json()["retMsg"]
    assert requests.delete(exchange.url + "/v5/order/create").status_code == 404


@pytest.mark.parametrize("body, needle", [
    (b"", "empty"),
    (b"category=linear", "not valid JSON"),
    (b'["category"]', "JSON object"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[" * 100_000, "not valid JSON"),
    (b"1" * 10_000, "not valid JSON"),
])
def test_bad_post_bodies_are_10001(exchange, body, needle):
    reply = signed_post(exchange.url, body)
    assert reply.status_code == 200
    assert reply.json()["retCode"] == 10001 and needle in reply.json()["retMsg"]


def test_post_json_object_reaches_handler(exchange):
    reply = signed_post(exchange.url, b'{"category": "linear", "qty": "1"}')
    assert reply.json()["result"] == {"category": "linear", "qty": "1"}


def test_body_too_large_is_not_a_crash(exchange):
    reply = signed_post(exchange.url, b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert reply.status_code == 200 and reply.json()["retCode"] == 10001


def test_health(exchange):
    data = requests.get(exchange.url + "/local/health").json()
    assert data["retCode"] == 0 and data["result"]["status"] == "ok"


def test_sweep_runs_in_background_and_survives_errors(exchange):
    accounts = exchange.app[ACCOUNTS]
    before = accounts.sweeps
    assert until(lambda: accounts.sweeps >= before + 3)


def test_demo_and_extra_accounts_exist():
    config = ExchangeConfig(extra_accounts=(("student-1", "s1"),))
    app = create_app(config, routes=[], market=object(), accounts=Accounts(None))
    assert app[ACCOUNTS].get(DEMO_API_KEY).api_secret == DEMO_API_SECRET
    assert app[ACCOUNTS].get("student-1").api_secret == "s1"
    bare = create_app(ExchangeConfig(demo_account=False), routes=[], market=object(), accounts=Accounts(None))
    assert bare[ACCOUNTS].get(DEMO_API_KEY) is None


def _raw_request(exchange: LocalExchange, data: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (no client library cleans them) and read the whole answer."""
    import socket

    with socket.create_connection(("127.0.0.1", exchange.port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _get_with_header(name: str, value: bytes, path: str = "/v5/order/create") -> bytes:
    headers = {"X-BAPI-API-KEY": b"demo-api-key", "X-BAPI-TIMESTAMP": str(int(time.time() * 1000)).encode(),
               "X-BAPI-SIGN": b"00", "X-BAPI-RECV-WINDOW": b"5000", name: value}
    lines = b"".join(k.encode() + b": " + v + b"\r\n" for k, v in headers.items())
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\nConnection: close\r\n" + lines + b"\r\n{}")


@pytest.mark.parametrize("name, code", [
    ("X-BAPI-API-KEY", 10003), ("X-BAPI-TIMESTAMP", 10002), ("X-BAPI-SIGN", 10004),
    ("X-BAPI-RECV-WINDOW", 10001), ("X-BAPI-SIGN-TYPE", 10001), ("X-Bapi-Referer", 10001),
])
def test_undecodable_header_bytes_get_that_headers_code_and_the_wire_log_survives(exchange, name, code):
    import json

    status, body = _raw_request(exchange, _get_with_header(name, b"12\xff\xfe3"))
    reply = json.loads(body)
    assert status == 200 and reply["retCode"] == code, reply
    wire = requests.get(exchange.url + "/local/wire?limit=1")
    assert wire.status_code == 200 and wire.json()[0]["retCode"] == code


def test_plain_http_to_websocket_paths_answers_the_404_envelope():
    with LocalExchange(ExchangeConfig(ip_limit=False)) as running:
        for method in ("GET", "POST"):
            for path in ("/v5/public/spot", "/v5/public/linear", "/v5/public/inverse", "/v5/public/option",
                         "/v5/private", "/v5/trade"):
                reply = requests.request(method, running.url + path, data=b"{}" if method == "POST" else None)
                assert reply.status_code == 404 and reply.headers["Content-Type"].startswith("application/json")
                assert reply.json()["retCode"] == 10017 and "ws://" in reply.json()["retMsg"], (method, path)
        reply = requests.get(running.url + "/v5/public/nowhere")
        assert reply.status_code == 404 and reply.json()["retCode"] == 10017


def test_a_path_pybit_still_calls_but_bybit_dropped_names_what_to_use():
    with pytest.raises(InvalidRequestError) as caught:
        connect.http().get_allowed_deposit_coin_info()
    assert caught.value.status_code == 10017
    assert "no longer in Bybit's V5 API docs" in caught.value.message and "get_coin_info" in caught.value.message
