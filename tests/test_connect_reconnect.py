"""helpers.connect's WebSockets pause between reconnection attempts, so a stream outlives a server restart.

pybit alone retries a refused connection with no pause and gives up after
``retries`` attempts, about 0.1 s on loopback. The exchange here is down for
a good second, longer than that, and the stream must resume by itself.
"""
from __future__ import annotations

import threading
import time

import pytest
from waiting import until

from helpers import connect, stream
from helpers.connect import ReconnectBackoff
from local_exchange.runner import LocalExchange
from local_exchange.settings import ExchangeConfig
from local_exchange.state import WS_CONNECTIONS

OUTAGE_S = 1.5          # how long the exchange stays down: far past pybit's own 0.1 s of retries
DEADLINE_S = 30.0       # generous bound on every wait for data



@pytest.fixture
def exchange(monkeypatch):
    running = {"ex": LocalExchange().start()}
    monkeypatch.setenv("BYBIT_LOCAL_URL", running["ex"].url)
    yield running
    running["ex"].stop()


def test_pause_grows_exponentially_and_is_bounded():
    backoff = connect.ReconnectBackoff.__new__(connect.ReconnectBackoff)
    pauses = [backoff.pause_after(n) for n in range(1, 12)]
    assert pauses[:4] == [0.2, 0.4, 0.8, 1.6]
    assert max(pauses) == connect.ReconnectBackoff.max_pause_s <= 5
    assert sum(pauses[:connect.WS_DEFAULTS["retries"] - 1]) < 30       # the default attempts end within ~20 s


def test_every_course_socket_class_backs_off():
    for cls in (connect.LocalWebSocket, connect.LocalWebSocketTrading, connect.CourseWebSocket,
                connect.CourseWebSocketTrading):
        assert issubclass(cls, connect.ReconnectBackoff)


def test_stream_resumes_after_the_exchange_restarts_on_the_same_port(exchange):
    ws = connect.websocket("linear")                      # the course's defaults: 10 attempts
    try:
        seen = stream.Collector()
        ws.ticker_stream("BTCUSDT", seen)
        assert seen.reached(n=2, timeout=DEADLINE_S)
        port = exchange["ex"].port
        exchange["ex"].stop()
        assert until(lambda: not ws.is_connected(), 10)
        before = seen.count
        time.sleep(OUTAGE_S)                              # the outage itself (no data is awaited here)
        exchange["ex"] = LocalExchange(ExchangeConfig(port=port)).start()
        assert until(ws.is_connected, DEADLINE_S), "the socket did not reconnect"
        assert until(lambda: seen.count >= before + 2, DEADLINE_S), "no tickers after the restart: not resubscribed"
        assert ws.exited is False                         # pybit's custom pings run again on the new connection
    finally:
        ws.exit()


def test_exit_during_backoff_stops_reconnecting(exchange):
    ws = connect.websocket("linear", retries=0)           # would try forever
    seen = stream.Collector()
    ws.ticker_stream("BTCUSDT", seen)
    assert seen.reached(n=1, timeout=DEADLINE_S)
    port = exchange["ex"].port
    exchange["ex"].stop()
    assert until(lambda: ws._failed_attempts >= 2, 10)   # reconnecting, pausing between attempts
    closer = threading.Thread(target=ws.exit)
    closer.start()
    closer.join(10)
    assert not closer.is_alive(), "exit() waited for the reconnection"
    assert until(lambda: not ws.attempting_connection or ws.exited, 10)
    attempts = ws._failed_attempts
    exchange["ex"] = LocalExchange(ExchangeConfig(port=port)).start()
    time.sleep(ReconnectBackoff.max_pause_s + 0.5)        # longer than any pause: a live loop would have tried again
    assert ws._failed_attempts == attempts and not ws.is_connected()
    assert not exchange["ex"].app[WS_CONNECTIONS]          # nothing reconnected to the new server
