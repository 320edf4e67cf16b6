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
