"""Signature checks of the local exchange, over real sockets and byte-exact requests.

Private requests are sent with ``http.client`` so the test controls every byte
(parameter order, spaces in JSON, a bare ``?``), the way different clients do.
"""
from __future__ import annotations

import http.client
import json
import time

import pytest
from aiohttp import web
from pybit.unified_trading import HTTP

from helpers import signing
from local_exchange import envelope
from local_exchange.accounts import Accounts
from local_exchange.app import create_app
from local_exchange.auth import authenticate
from local_exchange.errors import BybitError
from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig
from local_exchange.state import ACCOUNT, PARAMS

KEY, SECRET = DEMO_API_KEY, DEMO_API_SECRET

routes = web.RouteTableDef()


@routes.get("/v5/account/wallet-balance")
async def _echo_get(request: web.Request) -> web.Response:
    return envelope.ok({"uid": request[ACCOUNT].uid, "params": dict(request[PARAMS].data)})


@routes.post("/v5/order/create")
async def _echo_post(request: web.Request) -> web.Response:
    return envelope.ok({"uid": request[ACCOUNT].uid, "params": dict(request[PARAMS].data)})


@pytest.fixture(scope="module")
def exchange():
    config = ExchangeConfig(ip_limit=False)
    with LocalExchange(config, lambda c: create_app(c, routes=[routes], market=object(), accounts=Accounts(None))) as running:
        yield running


def now() -> int:
    return int(time.time() * 1000)


def send(exchange: LocalExchange, method: str, target: str, headers: dict, body: str | bytes | None = None) -> dict:
    """One request with exactly these bytes; the decoded JSON reply."""
    conn = http.client.HTTPConnection(exchange.host, exchange.port, timeout=5)
    try:
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        conn.close()


def signed_get(exchange, query: str, secret: str = SECRET, ts: int | None = None, recv: int = 5000,
               sign_type: bool = True) -> dict:
    headers = signing.signed_headers(KEY, secret, now() if ts is None else ts, query, recv)
    if not sign_type:
        del headers["X-BAPI-SIGN-TYPE"]
    target = "/v5/account/wallet-balance?" + query
    return send(exchange, "GET", target, headers)


def signed_post(exchange, body: str, **kw) -> dict:
    headers = signing.signed_headers(KEY, kw.get("secret", SECRET), now(), body)
    headers["Content-Type"] = "application/json"
    return send(exchange, "POST", "/v5/order/create", headers, body.encode())


# -- different clients, all verify --------------------------------------------------------
def test_pybit_style_sorted_get_verifies(exchange):
    reply = signed_get(exchange, "accountType=UNIFIED&coin=BTC")
    assert reply["retCode"] == 0, reply
    assert reply["result"]["params"] == {"accountType": "UNIFIED", "coin": "BTC"}


def test_insertion_order_get_verifies(exchange):
    reply = signed_get(exchange, "coin=BTC&accountType=UNIFIED", sign_type=False)
    assert reply["retCode"] == 0, reply


def test_bare_question_mark_signs_empty_payload(exchange):
    headers = signing.signed_headers(KEY, SECRET, now(), "")
    assert send(exchange, "GET", "/v5/account/wallet-balance?", headers)["retCode"] == 0
    assert send(exchange, "GET", "/v5/account/wallet-balance", headers)["retCode"] == 0


def test_spaced_and_compact_json_both_verify(exchange):
    spaced = json.dumps({"category": "linear", "qty": "0.01"})
    compact = json.dumps({"qty": "0.01", "category": "linear"}, separators=(",", ":"))
    assert spaced != compact
    for body in (spaced, compact):
        reply = signed_post(exchange, body)
        assert reply["retCode"] == 0, reply
        assert reply["result"]["params"] == {"category": "linear", "qty": "0.01"}


def test_signature_over_reordered_query_is_refused(exchange):
    """Signing one order and sending another is a 10004: the server never re-sorts."""
    ts = now()
    headers = signing.signed_headers(KEY, SECRET, ts, "accountType=UNIFIED&coin=BTC")
    reply = send(exchange, "GET", "/v5/account/wallet-balance?coin=BTC&accountType=UNIFIED", headers)
    assert reply["retCode"] == 10004


def test_pybit_session_get_and_post(exchange):
    session = HTTP(api_key=KEY, api_secret=SECRET, max_retries=1)
    session.endpoint = exchange.url
    balance = session.get_wallet_balance(accountType="UNIFIED")
    assert balance["result"]["params"] == {"accountType": "UNIFIED"}
    order = session.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit", qty=0.01, price=100)
    assert order["result"]["params"]["qty"] == "0.01"


# -- refusals -------------------------------------------------------------------------------
def test_wrong_secret_gives_10004_with_origin_string(exchange):
    ts = now()
    reply = signed_get(exchange, "accountType=UNIFIED", secret="not-the-secret", ts=ts)
    assert reply["retCode"] == 10004
    assert reply["retMsg"] == f"error sign! origin_string[{ts}{KEY}5000accountType=UNIFIED]"
    post = signed_post(exchange, '{"category": "linear"}', secret="nope")
    assert post["retCode"] == 10004 and '{"category": "linear"}' in post["retMsg"]


@pytest.mark.parametrize("offset_ms", [-6000, 1500, 10**9])
def test_stale_or_future_timestamp_gives_10002(exchange, offset_ms):
    ts = now() + offset_ms
    reply = signed_get(exchange, "accountType=UNIFIED", ts=ts)
    assert reply["retCode"] == 10002
    assert f"req_timestamp[{ts}]" in reply["retMsg"] and "recv_window[5000]" in reply["retMsg"]


def test_slightly_ahead_timestamp_is_accepted(exchange):
    assert signed_get(exchange, "accountType=UNIFIED", ts=now() + 500)["retCode"] == 0


def test_recv_window_is_honoured(exchange):
    old = now() - 8000
    assert signed_get(exchange, "accountType=UNIFIED", ts=old, recv=5000)["retCode"] == 10002
    assert signed_get(exchange, "accountType=UNIFIED", ts=old, recv=10000)["retCode"] == 0


def test_unknown_key_gives_10003(exchange):
    headers = signing.signed_headers("someone-else", SECRET, now(), "accountType=UNIFIED")
    reply = send(exchange, "GET", "/v5/account/wallet-balance?accountType=UNIFIED", headers)
    assert (reply["retCode"], reply["retMsg"]) == (10003, "API key is invalid.")


def test_missing_headers_give_10001_naming_them(exchange):
    reply = send(exchange, "GET", "/v5/account/wallet-balance?accountType=UNIFIED", {})
    assert reply["retCode"] == 10001
    assert reply["retMsg"] == "empty value: apiTimestamp[] apiKey[] apiSignature[]"


# -- the demo key and other machines (unit level: the peer address is an argument) ---------
def _demo_accounts() -> Accounts:
    accounts = Accounts(None)
    accounts.add(KEY, SECRET)
    return accounts


def test_demo_key_refused_from_another_machine_unless_allowed():
    accounts, ts = _demo_accounts(), now()
    headers = signing.signed_headers(KEY, SECRET, ts, "a=1")
    with pytest.raises(BybitError) as refused:
        authenticate(headers, b"a=1", accounts, ts, remote="192.168.1.20")
    assert refused.value.code == 10003 and "demo key" in refused.value.message
    assert authenticate(headers, b"a=1", accounts, ts, remote="192.168.1.20", allow_demo_remote=True).uid
    assert authenticate(headers, b"a=1", accounts, ts, remote="::1").api_key == KEY
    assert authenticate(headers, b"a=1", accounts, ts, remote="127.0.0.1").api_key == KEY


def test_other_keys_work_from_anywhere():
    accounts, ts = _demo_accounts(), now()
    accounts.add("student-1", "s3cret")
    headers = signing.signed_headers("student-1", "s3cret", ts, "")
    assert authenticate(headers, b"", accounts, ts, remote="10.0.0.7").api_key == "student-1"


def test_reference_test_vector():
    """The reference's worked example (secret ``test-secret``) matches our HMAC."""
    text = "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"
    assert signing.hmac_sha256_hex("test-secret", text) == "236d8f7132d3e4c8bad803010e296f3d07211356e54c01455b26c8229a682297"


def test_expected_signature_reuses_the_keyed_hmac_without_carrying_state():
    """Each request continues from a copy of the secret's keyed HMAC: same answer as a fresh HMAC, every time."""
    from local_exchange.auth import expected_signature

    cases = [("test-secret", "1658384314791XXXXXXXXXX5000", b"category=option&symbol=BTC-29JUL22-25000-C"),
             ("test-secret", "1658384314792XXXXXXXXXX5000", b""),
             ("other-secret", "1658384314791XXXXXXXXXX5000", b'{"a": 1}'),
             ("test-secret", "1658384314791XXXXXXXXXX5000", "qty=1&note=café".encode())]
    for _ in range(3):                              # repeated: the cached keyed object must stay untouched
        for secret, prefix, payload in cases:
            assert expected_signature(secret, prefix, payload) == signing.hmac_sha256_hex(secret, prefix.encode() + payload)
    assert expected_signature(*cases[0]) == "236d8f7132d3e4c8bad803010e296f3d07211356e54c01455b26c8229a682297"
