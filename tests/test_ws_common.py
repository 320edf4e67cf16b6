"""The WebSocket loop every channel shares: pings, malformed frames, idle sockets, failures.

A tiny application serves ``ws_common.serve`` on one path per channel with a
test handler, over real sockets (websocket-client, as pybit uses).
"""
from __future__ import annotations

import json
import select
import socket
import struct
import time

import pytest
import websocket
from aiohttp import web
from waiting import DEADLINE_S, until

from local_exchange import ws_common
from local_exchange.runner import LocalExchange
from local_exchange.settings import ExchangeConfig
from local_exchange.state import CONFIG, WIRE, WS_CONNECTIONS
from local_exchange.wirelog import WireLog
from local_exchange.ws_common import Connection, error_reply, pong_reply, subscribe_reply, text_frame

CHANNELS = ("spot", "linear", "inverse", "option", "private", "trade")


async def on_frame(conn: Connection, frame: dict) -> None:
    if frame.get("args") == ["boom"]:
        raise RuntimeError("a handler bug")
    conn.state["seen"] = conn.state.get("seen", 0) + 1
    await conn.send(subscribe_reply(conn, frame["op"], frame.get("req_id"), True, ""))


def handler_for(channel: str):
    async def handler(request: web.Request) -> web.StreamResponse:
        return await ws_common.serve(request, channel, on_frame)
    return handler


def factory(config: ExchangeConfig) -> web.Application:
    app = web.Application()
    app[CONFIG] = config
    app[WIRE] = WireLog(50)
    ws_common.setup(app)
    for channel in CHANNELS:
        path = f"/v5/public/{channel}" if channel not in ("private", "trade") else f"/v5/{channel}"
        app.router.add_get(path, handler_for(channel))
    return app


@pytest.fixture(scope="module")
def server():
    with LocalExchange(ExchangeConfig(ws_idle_timeout_s=0.6), app_factory=factory) as exchange:
        yield exchange


def url(server, channel: str) -> str:
    path = f"/v5/public/{channel}" if channel not in ("private", "trade") else f"/v5/{channel}"
    return f"ws://127.0.0.1:{server.port}{path}"


def ask(ws: websocket.WebSocket, text: str) -> dict:
    ws.send(text)
    return json.loads(ws.recv())


class FakeConn:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.conn_id = "cid"


# ---------------------------------------------------------------- reply shapes (pure)

def test_pong_shapes_per_channel():
    assert list(pong_reply(FakeConn("linear"))) == ["success", "ret_msg", "conn_id", "req_id", "op"]
    assert pong_reply(FakeConn("linear"))["req_id"] == "" and pong_reply(FakeConn("inverse"))["op"] == "ping"
    assert list(pong_reply(FakeConn("spot"))) == ["success", "ret_msg", "conn_id", "op"]
    assert list(pong_reply(FakeConn("spot"), "7")) == ["success", "ret_msg", "conn_id", "req_id", "op"]
    option = pong_reply(FakeConn("option"))
    assert list(option) == ["args", "op"] and option["op"] == "pong" and option["args"][0].isdigit()
    private = pong_reply(FakeConn("private"), "test")
    assert list(private) == ["req_id", "op", "args", "conn_id"] and private["op"] == "pong"
    trade = pong_reply(FakeConn("trade"))
    assert list(trade) == ["retCode", "retMsg", "op", "data", "connId"] and trade["data"][0].isdigit()


def test_subscribe_reply_shapes_per_channel():
    spot = subscribe_reply(FakeConn("spot"), "subscribe", "10001", True, "")
    assert spot == {"success": True, "ret_msg": "subscribe", "conn_id": "cid", "req_id": "10001", "op": "subscribe"}
    linear = subscribe_reply(FakeConn("linear"), "subscribe", None, False, "error:handler not found,topic:x")
    assert linear == {"success": False, "ret_msg": "error:handler not found,topic:x", "conn_id": "cid",
                      "req_id": "", "op": "subscribe"}
    private = subscribe_reply(FakeConn("private"), "auth", None, True, "")
    assert private == {"success": True, "ret_msg": "", "op": "auth", "conn_id": "cid"}
    option = subscribe_reply(FakeConn("option"), "subscribe", None, True, "", ok_topics=["tickers.X"])
    assert option == {"success": True, "conn_id": "cid", "data": {"failTopics": [], "successTopics": ["tickers.X"]},
                      "type": "COMMAND_RESP"}
    assert error_reply(FakeConn("trade"), "order.x", "r", "bad", 10404)["retCode"] == 10404


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_text_frame_header(size):
    payload = b"x" * size
    frame = text_frame(payload)
    assert frame[0] == 0x81 and frame.endswith(payload)
    n = frame[1]
    if size < 126:
        assert n == size and len(frame) == size + 2
    elif size < 65536:
        assert n == 126 and struct.unpack("!H", frame[2:4])[0] == size
    else:
        assert n == 127 and struct.unpack("!Q", frame[2:10])[0] == size


# ---------------------------------------------------------------- over a socket

@pytest.mark.parametrize("channel", CHANNELS)
def test_ping_text_and_json_get_the_channels_pong(server, channel):
    ws = websocket.create_connection(url(server, channel), timeout=5)
    try:
        key = "reqId" if channel == "trade" else "req_id"
        a = ask(ws, '{"op":"ping","%s":"100001"}' % key)
        b = ask(ws, "ping")
    finally:
        ws.close()
    assert a.keys() == pong_reply(FakeConn(channel), "100001").keys()
    assert b.keys() == pong_reply(FakeConn(channel)).keys()
    # pybit drops exactly these frames before dispatch: ret_msg == "pong" or op == "pong"
    assert a.get("ret_msg") == "pong" or a.get("op") == "pong"


@pytest.mark.parametrize("frame,words", [
    ("not json", "not json"), ("[1, 2]", "JSON object"), ('"op"', "JSON object"), ("{}", "missing op"),
    ('{"op": 5}', "missing op"), ('{"op": "fly"}', "unsupported op:fly"), ("[" * 5000, "not json"),
])
def test_malformed_frames_get_an_error_reply_and_the_socket_stays(server, frame, words):
    ws = websocket.create_connection(url(server, "linear"), timeout=5)
    try:
        reply = ask(ws, frame)
        assert reply["success"] is False and words in reply["ret_msg"]
        assert ask(ws, '{"op":"subscribe","req_id":"1","args":["t"]}')["success"] is True
    finally:
        ws.close()


def test_trade_errors_are_rest_style(server):
    ws = websocket.create_connection(url(server, "trade"), timeout=5)
    try:
        reply = ask(ws, '{"reqId":"r1","op":"order.fly"}')
    finally:
        ws.close()
    assert reply["reqId"] == "r1" and reply["retCode"] == 10404 and "connId" in reply


def test_a_handler_exception_is_answered_and_logged_not_fatal(server, caplog):
    ws = websocket.create_connection(url(server, "linear"), timeout=5)
    try:
        reply = ask(ws, '{"op":"subscribe","req_id":"9","args":["boom"]}')
        assert reply["success"] is False and reply["req_id"] == "9" and "internal" in reply["ret_msg"]
        assert ask(ws, '{"op":"subscribe","args":["fine"]}')["success"] is True
    finally:
        ws.close()


def test_idle_connection_is_closed(server):
    start = time.monotonic()                     # before connecting: the server's timer starts later
    ws = websocket.create_connection(url(server, "linear"), timeout=DEADLINE_S)
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert struct.unpack("!H", data[:2])[0] == 1000 and b"idle timeout" in data
    assert time.monotonic() - start >= 0.6      # never before the 0.6 s idle timeout


def test_pings_keep_a_connection_alive(server):
    pinged = websocket.create_connection(url(server, "spot"), timeout=DEADLINE_S)
    quiet = websocket.create_connection(url(server, "spot"), timeout=DEADLINE_S)
    try:
        # ping one socket back to back until the other, opened after it, is closed as idle
        deadline = time.monotonic() + DEADLINE_S
        while not select.select([quiet.sock], [], [], 0)[0]:
            assert time.monotonic() < deadline, "the quiet socket was never closed"
            pinged.ping(b"x")                    # a protocol-level ping, as pybit sends
            assert pinged.recv_data(control_frame=True)[0] == websocket.ABNF.OPCODE_PONG
        opcode, data = quiet.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE and b"idle timeout" in data
        assert ask(pinged, '{"op":"ping"}')["ret_msg"] == "pong"
    finally:
        pinged.close()
        quiet.close()


def test_garbage_and_abrupt_disconnects_never_kill_the_server(server):
    for junk in (b"\x00\xff" * 100, b"GET / HTTP/1.1\r\n\r\n", b""):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(junk)
    ws = websocket.create_connection(url(server, "linear"), timeout=5)
    ws.send('{"op":"subscribe","args":["t"]}')
    ws.sock.shutdown(socket.SHUT_RDWR)           # vanish without a close frame
    ws.sock.close()
    ws = websocket.create_connection(url(server, "linear"), timeout=5)
    ws.send_binary(b"\x01\x02")
    assert "binary" in json.loads(ws.recv())["ret_msg"]
    ws.send("x" * (2 * 1024 * 1024))             # over the frame limit: the socket is closed, not the server
    # the server drops the socket: a reset (OSError) or, if its close frame is read first, a closed socket
    with pytest.raises((OSError, websocket.WebSocketConnectionClosedException)):
        for _ in range(3):
            ws.recv()
    ws = websocket.create_connection(url(server, "linear"), timeout=5)
    try:
        assert ask(ws, '{"op":"ping"}')["ret_msg"] == "pong"
    finally:
        ws.close()
    assert until(lambda: len(server.app[WS_CONNECTIONS]) == 0)          # every closed socket was forgotten


@pytest.mark.parametrize("method,path", [("GET", "/v5/public/linear"), ("GET", "/v5/private"), ("GET", "/v5/trade")])
def test_plain_http_on_a_websocket_path_is_a_404_envelope(server, method, path):
    """Like any other unknown /v5 route: HTTP 404, JSON envelope 10017, saying to use ws://."""
    import http.client
    import json

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(method, path, body=b"{}" if method == "POST" else None)
        response = conn.getresponse()
        reply = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 404 and response.getheader("Content-Type").startswith("application/json")
    assert reply["retCode"] == 10017 and "WebSocket endpoint" in reply["retMsg"] and path in reply["retMsg"]


def test_client_frames_reach_the_wire_log_with_the_key_masked(server):
    server.wire.clear()
    ws = websocket.create_connection(url(server, "private"), timeout=5)
    try:
        ask(ws, '{"op":"auth","args":["demo-api-key",1,"abc"]}')
        ask(ws, '{"op":"ping"}')
    finally:
        ws.close()
    entries = [e for e in server.wire.entries() if e["method"] == "WS"]
    assert len(entries) == 1 and entries[0]["path"] == "/v5/private"
    assert "demo-api-key" not in entries[0]["body"] and "demo****" in entries[0]["body"]


def test_max_active_time_sets_a_private_idle_timeout(server):
    from local_exchange.ws_common import _idle_timeout

    class Req:
        def __init__(self, query):
            self.query = query
            self.app = {CONFIG: ExchangeConfig()}

    assert _idle_timeout(Req({"max_active_time": "30s"}), "private") == 30
    assert _idle_timeout(Req({"max_active_time": "2m"}), "trade") == 120
    assert _idle_timeout(Req({"max_active_time": "5s"}), "private") == 600     # out of range: ignored
    assert _idle_timeout(Req({"max_active_time": "30s"}), "linear") == 600     # public: not adjustable
