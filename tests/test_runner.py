"""Starting and stopping the local exchange in a background thread."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest
import requests
from aiohttp import web

from local_exchange import envelope
from local_exchange.accounts import Accounts
from local_exchange.app import create_app
from local_exchange.runner import ExchangeStartError, LocalExchange
from local_exchange.settings import ExchangeConfig

routes = web.RouteTableDef()


@routes.get("/v5/market/time")
async def _time(request: web.Request) -> web.Response:
    return envelope.ok({})


def stub_exchange(**settings) -> LocalExchange:
    config = ExchangeConfig(**settings)
    return LocalExchange(config, lambda c: create_app(c, routes=[routes], market=object(), accounts=Accounts(None)))


def accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_port_zero_picks_a_free_port_and_serves_at_once():
    exchange = stub_exchange().start()
    try:
        assert exchange.port > 0 and exchange.url == f"http://127.0.0.1:{exchange.port}"
        assert requests.get(exchange.url + "/v5/market/time").json()["retCode"] == 0
        assert exchange.start() is exchange                    # starting twice is harmless
    finally:
        exchange.stop()
    assert not accepts(exchange.port) and not exchange.running
    exchange.stop()                                            # and so is stopping twice


def test_stop_ends_the_thread():
    before = {t.name for t in threading.enumerate()}
    with stub_exchange() as exchange:
        assert any(t.name.startswith("local-exchange") for t in threading.enumerate())
    assert {t.name for t in threading.enumerate()} <= before | set()
    assert not exchange.running


def test_two_exchanges_side_by_side():
    with stub_exchange() as one, stub_exchange() as two:
        assert one.port != two.port
        assert requests.get(two.url + "/v5/market/time").status_code == 200


def test_port_in_use_is_a_clear_error_in_the_caller():
    with stub_exchange() as first:
        with pytest.raises(ExchangeStartError, match=f"port {first.port} .*already in use.*port 0"):
            stub_exchange(port=first.port).start()


def test_restart_on_the_same_port():
    with stub_exchange() as first:
        port = first.port
    with stub_exchange(port=port) as again:
        assert requests.get(again.url + "/v5/market/time").status_code == 200
    restarted = stub_exchange()
    restarted.start()
    restarted.stop()
    restarted.start()                                          # a stopped exchange can start again
    try:
        assert accepts(restarted.port)
    finally:
        restarted.stop()


def test_command_line_help_explains_flags():
    out = subprocess.run([sys.executable, "-m", "local_exchange", "--help"],
                         capture_output=True, text=True, timeout=30).stdout
    for flag in ("--host", "--port", "--seed", "--limits", "--no-ip-limit", "--allow-demo-key-remote", "0.0.0.0"):
        assert flag in out


MALFORMED = {
    "tls client hello": bytes.fromhex("16030100a5010000a10303") + bytes(32) + b"\x00\x00\x02\x13\x01\x01\x00",
    "lowercase method": b"get /v5/market/time HTTP/1.1\r\nHost: x\r\n\r\n",
    "raw bytes in the path": b"GET /v5/market/\xff\x00time HTTP/1.1\r\nHost: x\r\n\r\n",
    "http/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "garbage header": b"GET /v5/market/time HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_http_costs_one_log_line_not_a_traceback(name, caplog):
    with stub_exchange() as exchange, caplog.at_level("DEBUG"):
        for _ in range(2):                      # the second on a fresh connection, like a retrying client
            with socket.create_connection(("127.0.0.1", exchange.port), timeout=5) as sock:
                sock.sendall(MALFORMED[name])
                answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
        assert requests.get(exchange.url + "/v5/market/time").json()["retCode"] == 0
    server = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert len(server) == 2 and all(r.exc_info is None and "\n" not in r.getMessage() for r in server)
    assert "malformed HTTP request refused" in server[0].getMessage()


def test_five_hundred_clients_connect_at_once_without_a_retry():
    """The listen backlog holds a classroom connecting in the same instant.

    The server's loop is held, so nothing is accepted: every handshake must
    complete into the kernel's accept queue. With aiohttp's default backlog
    (128) the rest of the SYNs are dropped and those clients hang in a retry.
    """
    import select
    import time

    from local_exchange.runner import LISTEN_BACKLOG

    assert LISTEN_BACKLOG >= 500
    held = threading.Event()
    with stub_exchange() as exchange:
        exchange._loop.call_soon_threadsafe(held.wait, 30)        # the server accepts nothing meanwhile
        sockets = []
        try:
            for _ in range(500):
                sock = socket.socket()
                sock.setblocking(False)
                sock.connect_ex(("127.0.0.1", exchange.port))
                sockets.append(sock)
            deadline = time.monotonic() + 10
            pending = list(sockets)
            while pending and time.monotonic() < deadline:
                _, writable, _ = select.select([], pending, [], 0.1)
                pending = [s for s in pending if s not in writable]
            assert not pending, f"{len(pending)} of 500 connections were not accepted into the backlog"
            assert not [s for s in sockets if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)]
        finally:
            held.set()
            for sock in sockets:
                sock.close()
