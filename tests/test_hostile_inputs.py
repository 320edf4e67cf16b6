"""Generated hostile input to every route and every WebSocket path: the exchange stays whole.

One exchange serves a classroom, so nothing a client sends may break it for the
others. Hypothesis sends, over raw sockets (no client library cleans them):

* to every REST route the application registers (read from ``app.router``, so
  a new route is covered by itself), and to the WebSocket paths as plain HTTP:
  ``X-BAPI-*`` headers holding bytes that are not UTF-8 or JSON with lone
  surrogates (``"\\ud800"``), bodies over 1 MiB, wrong JSON types, garbage bytes,
  signed correctly or not;
* on every WebSocket path (``/v5/public/{spot,linear,inverse,option}``,
  ``/v5/private``, ``/v5/trade``), after signing in where there is a sign-in:
  JSON frames with lone surrogates and wrong types in any field, garbage text
  and binary frames.

And checks: no HTTP 5xx; every ``/v5`` answer is a JSON envelope with an int
``retCode`` and a str ``retMsg``; no record with a traceback at ERROR in the
log; every frame gets its reply (a ``/v5/trade`` request included) and the
socket still answers a ping afterwards. ``test_fuzz_endpoints.py`` fuzzes the
parameters themselves; ``test_ws_common.py`` the frame shapes one by one.
"""
from __future__ import annotations

import itertools
import json
import logging
import socket
import time
from typing import Any

import pytest
import websocket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import signing
from local_exchange import ws_private, ws_public, ws_trade
from local_exchange.app import create_app
from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig
from local_exchange.ws_common import PUBLIC_CHANNELS, STREAM_OPS

WS_PATHS = [f"/v5/public/{c}" for c in PUBLIC_CHANNELS] + ["/v5/private", "/v5/trade"]


def _registered_routes() -> list[tuple[str, str]]:
    """Every (method, path) the application registers, WebSocket paths spelled out."""
    found = set()
    for route in create_app(ExchangeConfig()).router.routes():
        if route.method not in ("GET", "POST") or route.resource is None:
            continue
        path = route.resource.canonical
        for concrete in ([p for p in WS_PATHS if p.startswith("/v5/public/")] if "{channel}" in path else [path]):
            found.add((route.method, concrete))
    return sorted(found)


ROUTES = _registered_routes()


@pytest.fixture(scope="module")
def exchange():
    with LocalExchange(ExchangeConfig(limits="off")) as running:
        yield running


@pytest.fixture(autouse=True)
def no_reply_delay(monkeypatch):
    """Replies go out at once: the delays exist for pybit's bookkeeping, not for raw clients."""
    monkeypatch.setattr(ws_trade, "REPLY_DELAY_S", 0.0)
    monkeypatch.setattr(ws_public, "REPLY_DELAY_S", 0.0)
    monkeypatch.setattr(ws_private, "SUBSCRIBE_DELAY_S", 0.0)


def _no_tracebacks(caplog) -> None:
    bad = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR and r.exc_info]
    assert not bad, f"traceback logged: {bad[0].getMessage()} {bad[0].exc_info!r}"


# -- generated values --------------------------------------------------------------------------------

SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc80b", "\ud83d", "BTC\udcffUSDT", "\ud800" * 40])
strings = st.one_of(SURROGATES, st.text(max_size=20), st.sampled_from(["", "BTCUSDT", "linear", "Buy", "0.01"]),
                    st.just("x" * 100_000))
scalars = st.one_of(strings, st.integers(min_value=-(10**60), max_value=10**60), st.floats(), st.booleans(), st.none())
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(strings, inner, max_size=3)), max_leaves=6)
# Bytes an HTTP parser accepts in a header value (visible ASCII, tab and obs-text), so the request reaches the app.
header_bytes = st.one_of(
    st.binary(max_size=40).map(lambda b: bytes(c for c in b if c == 9 or 32 <= c < 127 or c >= 128)),
    st.sampled_from([b"\xff\xfe", b"12\xed\xa0\x803", b"\xc3\x28", b"demo-api-key\x80", b"9" * 4000, b""]),
)
BAPI_HEADERS = ("X-BAPI-API-KEY", "X-BAPI-TIMESTAMP", "X-BAPI-SIGN", "X-BAPI-RECV-WINDOW", "X-BAPI-SIGN-TYPE",
                "X-BAPI-REFERER")
hostile_headers = st.dictionaries(st.sampled_from(BAPI_HEADERS), header_bytes, max_size=3)
bodies = st.one_of(
    st.dictionaries(strings, json_values, max_size=5).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=60),
    st.just(b'{"category": "linear", "symbol": "' + b"A" * (1024 * 1024 + 10) + b'"}'),   # over client_max_size
    st.just(b'{"category": "linear", "symbol": "\\ud800", "side": "Buy", "orderType": "Market", "qty": "1"}'),
)
queries = st.lists(st.tuples(st.sampled_from(["category", "symbol", "limit", "%FF", "a"]),
                             st.sampled_from(["linear", "%ED%A0%80", "%FF%FE", "%00", "BTCUSDT", "-1", "1e999", ""])),
                   max_size=4).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))


# -- REST over a raw socket --------------------------------------------------------------------------

def _http(exchange: LocalExchange, method: str, path: str, query: str, headers: dict[str, bytes],
          body: bytes | None) -> tuple[int, bytes]:
    target = path + ("?" + query if query else "")
    lines = [f"{method} {target} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    if body is not None:
        lines += [b"Content-Type: application/json", f"Content-Length: {len(body)}".encode()]
    lines += [name.encode() + b": " + value for name, value in headers.items()]
    with socket.create_connection(("127.0.0.1", exchange.port), timeout=10) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + (body or b""))
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:    # the server answered an oversized body before reading it all
            pass
    head, _, reply = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), reply


def _signed(headers: dict[str, bytes], payload: bytes) -> dict[str, bytes]:
    """Valid auth headers over ``payload``, then the hostile ones on top."""
    timestamp = str(int(time.time() * 1000))
    sign = signing.hmac_sha256_hex(DEMO_API_SECRET, (timestamp + DEMO_API_KEY + "5000").encode() + payload)
    valid = {"X-BAPI-API-KEY": DEMO_API_KEY.encode(), "X-BAPI-TIMESTAMP": timestamp.encode(),
             "X-BAPI-SIGN": sign.encode(), "X-BAPI-RECV-WINDOW": b"5000"}
    return {**valid, **headers}


def _check_http(status: int, reply: bytes, where: str) -> None:
    assert status < 500, f"HTTP {status} for {where}: {reply[:200]!r}"
    if where.split(" ", 2)[1].startswith("/v5"):
        try:
            data = json.loads(reply)
        except ValueError:
            pytest.fail(f"not JSON: {reply[:200]!r} for {where}")
        envelope = (isinstance(data, dict) and isinstance(data.get("retCode"), int)
                    and isinstance(data.get("retMsg"), str))
        assert envelope, f"not an envelope: {reply[:200]!r} for {where}"


FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def test_every_registered_route_is_covered():
    paths = {path for _, path in ROUTES}
    assert {"/v5/market/kline", "/v5/order/create", "/local/wire", "/v5/trade", "/v5/private"} <= paths
    assert {f"/v5/public/{c}" for c in PUBLIC_CHANNELS} <= paths


@pytest.mark.parametrize("method, path", ROUTES)
def test_each_route_survives_undecodable_header_bytes(exchange, caplog, method, path):
    """One hostile request of each kind to every route, whatever hypothesis draws below."""
    body = b'{"category":"linear","symbol":"\\ud800"}' if method == "POST" else None
    for name in BAPI_HEADERS:
        headers = _signed({name: b"1\xff\xed\xa0\x80"}, body or b"category=%ED%A0%80")
        status, reply = _http(exchange, method, path, "category=%ED%A0%80" if body is None else "", headers, body)
        _check_http(status, reply, f"{method} {path} with {name}")
    status, reply = _http(exchange, "GET", "/local/wire", "limit=50", {}, None)
    assert status == 200 and isinstance(json.loads(reply), list)
    _no_tracebacks(caplog)


@FAST
@given(route=st.sampled_from(ROUTES), other_method=st.booleans(), query=queries, headers=hostile_headers,
       body=bodies, signed=st.booleans())
def test_generated_requests_get_envelopes(exchange, caplog, route, other_method, query, headers, body, signed):
    method, path = route
    if other_method:
        method = "POST" if method == "GET" else "GET"
    sent_body = body if method == "POST" else None
    if signed:
        headers = _signed(headers, sent_body if sent_body is not None else query.encode())
    status, reply = _http(exchange, method, path, query, headers, sent_body)
    _check_http(status, reply, f"{method} {path} ?{query[:80]} {headers!r:.200} {(sent_body or b'')[:80]!r}")
    _no_tracebacks(caplog)


# -- WebSockets --------------------------------------------------------------------------------------

_probe = itertools.count()
_sockets: dict[tuple[int, str], websocket.WebSocket] = {}


def _auth_frame() -> str:
    expires = int(time.time() * 1000) + 60_000
    signature = ws_private.auth_signature(DEMO_API_SECRET, str(expires))
    return json.dumps({"op": "auth", "args": [DEMO_API_KEY, expires, signature]})


def _socket(exchange: LocalExchange, path: str) -> websocket.WebSocket:
    """One connection per path for the whole module, signed in where the path has a sign-in."""
    key = (exchange.port, path)
    ws = _sockets.get(key)
    if ws is None:
        ws = websocket.create_connection(f"ws://127.0.0.1:{exchange.port}{path}", timeout=5)
        if path in ("/v5/private", "/v5/trade"):
            ws.send(_auth_frame())
            reply = json.loads(ws.recv())
            assert reply.get("success") is True or reply.get("retCode") == 0, reply
        _sockets[key] = ws
    return ws


@pytest.fixture(scope="module", autouse=True)
def _close_sockets():
    yield
    for ws in _sockets.values():
        ws.close()
    _sockets.clear()


def _is_push(message: dict) -> bool:
    return "topic" in message and "data" in message and "op" not in message


def _exchange_frames(ws: websocket.WebSocket, path: str, send: Any) -> list[dict]:
    """Send one hostile frame (``send(ws)``) and a probe ping; the replies up to the probe's pong.

    Returns the non-push messages that came back, the probe's pong last. Every
    hostile frame is owed exactly one reply (a ping frame's reply is a pong);
    on ``/v5/trade`` it may come after the probe's pong, so reading goes on
    until both are in.
    """
    trade = path == "/v5/trade"
    probe = f"probe-{next(_probe)}"
    send(ws)
    ws.send(json.dumps({"op": "ping", ("reqId" if trade else "req_id"): probe}))
    replies: list[dict] = []
    pong = None
    deadline = time.monotonic() + 10
    while pong is None or len(replies) < 1:
        assert time.monotonic() < deadline, f"no reply on {path}: got {replies} pong={pong}"
        opcode, raw = ws.recv_data()
        assert opcode == websocket.ABNF.OPCODE_TEXT, f"{path} sent opcode {opcode}: {raw[:200]!r}"
        message = json.loads(raw)
        if _is_push(message):
            continue
        if message.get("req_id") == probe or message.get("reqId") == probe:
            pong = message
        else:
            replies.append(message)
    assert len(replies) == 1, f"{path}: {len(replies)} replies to one frame: {replies}"
    assert pong.get("op") in ("ping", "pong") and (pong.get("success") is not False)
    return replies


def _check_ws_reply(path: str, reply: dict) -> None:
    if path == "/v5/trade":
        assert isinstance(reply.get("retCode"), int) and isinstance(reply.get("retMsg"), str), reply
    else:
        assert "success" in reply or reply.get("op") in ("ping", "pong"), reply
    assert reply.get("retCode") not in (10016,) and "internal server error" not in str(reply.get("ret_msg", "")), reply


ops = st.one_of(st.sampled_from(sorted(set().union(*STREAM_OPS.values()))), strings, json_values)
TOPICS = st.one_of(strings, st.sampled_from(["tickers.BTCUSDT", "order", "wallet", "orderbook.1.BTCUSDT",
                                             "publicTrade.\ud800", "kline.\ud800.BTCUSDT"]))
order_args = st.dictionaries(st.sampled_from(["category", "symbol", "side", "orderType", "qty", "price",
                                              "orderId", "orderLinkId", "request", "timeInForce"]),
                             st.one_of(json_values, st.sampled_from(["linear", "spot", "BTCUSDT", "Buy", "Market"])),
                             max_size=6)
json_frames = st.fixed_dictionaries(
    {"op": ops},
    optional={"args": st.one_of(st.lists(TOPICS, max_size=3), st.lists(order_args, min_size=1, max_size=1),
                                json_values),
              "req_id": json_values, "reqId": st.one_of(SURROGATES, json_values),
              "header": st.one_of(st.just("now"), json_values),
              "\ud800": json_values},
)


def _text(frame: dict) -> str:
    if frame.get("header") == "now":      # a timestamp inside the receive window, to get past that check
        frame = {**frame, "header": {"X-BAPI-TIMESTAMP": str(int(time.time() * 1000)), "X-BAPI-RECV-WINDOW": "5000"}}
    return json.dumps(frame)              # ASCII, with \ud800 escapes: valid JSON, valid UTF-8 text


frames = st.one_of(
    json_frames.map(lambda f: ("json", f)),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60).map(lambda t: ("text", t)),
    st.binary(max_size=60).map(lambda b: ("binary", b)),
    json_values.map(lambda v: ("text", json.dumps(v))),
)


@pytest.mark.parametrize("path", WS_PATHS)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(frame=frames)
def test_generated_frames_get_a_reply_and_the_socket_stays_open(exchange, caplog, path, frame):
    ws = _socket(exchange, path)
    kind, content = frame

    def send(sock: websocket.WebSocket) -> None:
        if kind == "binary":
            sock.send_binary(content)
        elif kind == "json":
            sock.send(_text(content))
        else:
            sock.send(content)

    if kind == "text" and content.strip() in ("", "ping"):
        content = content + " x"          # bare "ping" is a ping: its pong is the reply
    for reply in _exchange_frames(ws, path, send):
        _check_ws_reply(path, reply)
    _no_tracebacks(caplog)


@pytest.mark.parametrize("path", WS_PATHS)
def test_a_lone_surrogate_in_each_field_gets_its_reply(exchange, caplog, path):
    """The fixed cases behind the generated ones: ``"\\ud800"`` in op, req_id/reqId, args and header."""
    ws = _socket(exchange, path)
    op = "order.create" if path == "/v5/trade" else "subscribe"
    cases = [
        {"op": "\ud800"},
        {"op": op, "req_id": "\ud800", "reqId": "\ud800", "args": ["\ud800"]},
        {"op": op, "reqId": "r\ud800", "header": "now", "args": [{"category": "linear", "symbol": "\ud800",
                                                                   "side": "Buy", "orderType": "Market", "qty": "1"}]},
        {"op": op, "args": [{"\ud800": "\udfff"}], "header": {"X-BAPI-TIMESTAMP": "\ud800"}},
        {"op": "auth", "args": ["\ud800", "\ud800", "\ud800"]},
    ]
    for case in cases:
        replies = _exchange_frames(ws, path, lambda sock, c=case: sock.send(_text(c)))
        _check_ws_reply(path, replies[0])
        if path == "/v5/trade" and "reqId" in case:
            assert replies[0]["reqId"] == case["reqId"]          # the reply reaches the right request
    _no_tracebacks(caplog)
