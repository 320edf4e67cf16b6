"""WebSocket failures through the real pybit and the local exchange: each ends in time and names its cause.

pybit 5.17.0 closes a socket when the server refuses a topic or a callback
raises, and its next ``*_stream`` call then waits forever. The course's
sockets (helpers.connect) and helpers.stream must instead keep going where
they can, and otherwise raise quickly with the reason in the text.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, ClassVar

import pytest
from waiting import until

from helpers import connect, stream

WAIT_S = 10.0        # generous: a slow machine may need it; a passing run ends long before



def _records(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


# -- a refused topic, then a second subscribe on the same socket -------------------------

def test_a_refused_topic_is_named_and_the_next_subscribe_on_that_socket_works(caplog):
    caplog.set_level(logging.WARNING)
    ws = connect.websocket("linear")
    try:
        got: queue.Queue[dict[str, Any]] = queue.Queue()
        ws.orderbook_stream(depth=25, symbol="BTCUSDT", callback=got.put)    # linear serves 1, 50, 200, 1000
        ws.ticker_stream(symbol="BTCUSDT", callback=got.put)                 # hung forever in plain pybit
        assert got.get(timeout=WAIT_S)["topic"] == "tickers.BTCUSDT"
        assert until(lambda: "orderbook.25.BTCUSDT" in ws.refused_topics)
        expected = "the server refused topic orderbook.25.BTCUSDT: error:handler not found,topic:orderbook.25.BTCUSDT"
        assert _records(caplog, expected) == [expected]
        assert ws.is_connected() and ws.closed_because is None
        assert "orderbook.25.BTCUSDT" not in ws.callback_directory      # may be asked again, and is not resent
        assert "orderbook.25.BTCUSDT" not in ws.get_subscription_topics()
    finally:
        ws.exit()


def test_a_subscribe_on_a_socket_closed_with_exit_raises_at_once_saying_so():
    ws = connect.websocket("linear")
    ws.exit()
    with pytest.raises(stream.SocketClosed, match=r"cannot subscribe to tickers\.BTCUSDT: the socket is closed: "
                                                  r"it was closed with ws\.exit\(\); create a new one"):
        ws.ticker_stream(symbol="BTCUSDT", callback=print)


def test_a_subscribe_on_a_socket_that_never_reconnects_raises_within_its_timeout(monkeypatch):
    ws = connect.websocket("linear")
    try:
        ws.subscribe_timeout_s = 0.3
        monkeypatch.setattr(connect.ReconnectBackoff, "is_connected", lambda self: False)
        with pytest.raises(stream.SocketClosed, match=r"cannot subscribe to tickers\.BTCUSDT: the socket is closed: "
                                                      r"still not connected after 0\.3 s"):
            ws.ticker_stream(symbol="BTCUSDT", callback=print)
    finally:
        monkeypatch.undo()
        ws.exit()


# -- a callback raising ------------------------------------------------------------------------

def test_a_raising_callback_is_printed_once_and_the_socket_keeps_running(caplog):
    caplog.set_level(logging.WARNING)
    ws = connect.websocket("linear")
    calls: list[dict[str, Any]] = []
    arrived = threading.Event()

    def broken(message: dict[str, Any]) -> None:
        calls.append(message)
        if len(calls) > 3:          # the fourth call: the first three have raised and been reported
            arrived.set()
        message["data"]["bid"]                      # no such key: KeyError on every message

    try:
        ws.ticker_stream(symbol="BTCUSDT", callback=broken)
        assert arrived.wait(WAIT_S), "four ticker messages should arrive: the socket must survive the first error"
        shown = _records(caplog, "your callback raised KeyError('bid') at ")
        assert len(shown) == 1
        assert f"{__file__}:" in shown[0] and "on tickers.BTCUSDT; the socket keeps running" in shown[0]
        assert len(ws.callback_errors) >= 3 and ws.is_connected() and ws.closed_because is None
    finally:
        ws.exit()


def test_a_raising_callback_function_that_closes_the_socket_is_named_by_the_next_subscribe(caplog):
    caplog.set_level(logging.WARNING)

    def everything(message: dict[str, Any]) -> None:    # pybit's callback_function=: called for every frame
        if "topic" in message:
            message["data"]["bid"]

    ws = connect.websocket("linear", callback_function=everything)
    try:
        ws.ticker_stream(symbol="BTCUSDT", callback=print)
        assert until(lambda: ws.closed_because is not None)
        cause = f"your callback raised KeyError at {__file__}:"
        assert ws.closed_because is not None and ws.closed_because.startswith(cause)
        assert ws.closed_because.endswith(": the socket was closed; create a new one")
        assert len(_records(caplog, cause)) == 1
        with pytest.raises(stream.SocketClosed, match=r"cannot subscribe to tickers\.ETHUSDT: the socket is "
                                                      r"closed: your callback raised KeyError at "):
            ws.ticker_stream(symbol="ETHUSDT", callback=print)
    finally:
        ws.exit()


def test_collect_shows_on_message_errors_once_and_still_collects(caplog):
    caplog.set_level(logging.WARNING)
    got = stream.collect(connect.websocket("linear"), "tickers.BTCUSDT", n=5, timeout=WAIT_S,
                         on_message=lambda message: message["data"]["bid"])
    assert len(got) == 5 and len(got.errors) >= 5
    assert len(_records(caplog, "your callback raised KeyError('bid') at ")) == 1


# -- collect: a typo, a wrong channel, a quiet topic ----------------------------------------------

def test_collect_on_a_misspelled_topic_quotes_the_server_and_says_it_is_misspelled():
    with pytest.raises(stream.SubscriptionRefused) as caught:
        stream.collect(connect.websocket("linear"), "ticker.BTCUSDT", n=1, timeout=30)
    assert str(caught.value).startswith(
        "the server refused topic ticker.BTCUSDT: error:handler not found,topic:ticker.BTCUSDT. "
        "Most likely the topic is misspelled: 'ticker.BTCUSDT' is not a topic the course knows.")
    assert caught.value.refused == {"ticker.BTCUSDT": "error:handler not found,topic:ticker.BTCUSDT"}


@pytest.mark.parametrize(("channel", "topic", "cause"), [
    ("linear", "tickers.BTCUSD", "Most likely BTCUSD is not listed in the 'linear' category"),
    ("linear", "tickers.NOSUCHUSDT", "Most likely NOSUCHUSDT is not listed in the 'linear' category"),
    ("spot", "allLiquidation.BTCUSDT", "Most likely allLiquidation topics are served on linear, inverse, not on 'spot'"),
    ("linear", "orderbook.25.BTCUSDT", "Most likely depth 25 is not served on 'linear'; depths there: 1, 50, 200, 1000"),
    ("option", "orderbook.50.BTCUSDT", "Most likely depth 50 is not served on 'option'; depths there: 25, 100"),
])
def test_collect_on_the_wrong_channel_says_so(channel, topic, cause):
    with pytest.raises(stream.SubscriptionRefused) as caught:
        stream.collect(connect.websocket(channel), topic, n=1, timeout=30, partial=True)
    assert f"the server refused topic {topic}: error:handler not found,topic:{topic}. {cause}" in str(caught.value)
    assert "not connected" not in str(caught.value)


def test_messages_on_a_refused_topic_raises_with_the_cause():
    with pytest.raises(stream.SubscriptionRefused, match=r"the server refused topic tickers\.BTCUSD: "):
        list(stream.messages(connect.websocket("linear"), "tickers.BTCUSD", limit=3, timeout=30))


class SilentSocket:
    """A connected socket whose server accepts every topic and then sends nothing (a quiet market)."""

    standard_private_topics: ClassVar[list[str]] = []
    standard_public_topics: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.callback_directory: dict[str, Any] = {}
        self.confirmed_topics: set[str] = set()
        self.refused_topics: dict[str, str] = {}
        self.closed_because: str | None = None

    def is_connected(self) -> bool:
        return self.closed_because is None

    def subscribe(self, topic: str, callback: Any, symbol: Any = False) -> None:
        name = topic.format(symbol=symbol)
        self.callback_directory[name] = callback
        self.confirmed_topics.add(name)

    def exit(self) -> None:
        self.closed_because = "it was closed with ws.exit(); create a new one"


@pytest.mark.parametrize("topic", ["allLiquidation.BTCUSDT", "liquidation.BTCUSDT"])
def test_a_quiet_liquidation_topic_says_nothing_is_wrong(topic):
    with pytest.raises(stream.StreamTimeout) as caught:
        stream.collect(SilentSocket(), topic, n=1, timeout=0.2)
    assert str(caught.value) == (f"no liquidation on {topic} in 0.2 s: they are rare; nothing is wrong "
                                 f"(the server accepted the subscription)")
    got = stream.collect(SilentSocket(), topic, n=1, timeout=0.2, partial=True)
    assert got == [] and not got.complete and got.note.startswith(f"no liquidation on {topic} in 0.2 s")


def test_a_quiet_liquidation_topic_on_the_local_exchange_is_accepted_and_never_blamed():
    got = stream.collect(connect.websocket("linear"), "allLiquidation.BTCUSDT", n=1, timeout=1, partial=True)
    if got:     # liquidations are rare, not impossible: whatever came is a liquidation
        assert got.complete and got[0]["topic"] == "allLiquidation.BTCUSDT"
    else:
        assert got.note == ("no liquidation on allLiquidation.BTCUSDT in 1 s: they are rare; nothing is wrong "
                            "(the server accepted the subscription)")


def _raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:       # noqa: BLE001 - only to give the error a traceback
        return caught


def test_the_cause_of_a_closed_socket_names_what_happened():
    auth = stream.closing_cause(_raised(Exception("Authorization for Unified V5 (Auth) failed. Raw error: {}")))
    assert auth.startswith("authentication failed (Authorization for Unified V5 (Auth) failed.")
    lost = stream.closing_cause(BrokenPipeError("[Errno 32] Broken pipe"))     # raised in no code of yours
    assert lost.startswith("the connection failed (BrokenPipeError: [Errno 32] Broken pipe)")
    yours = stream.closing_cause(_raised(KeyError("bid")))
    assert yours.startswith(f"your callback raised KeyError at {__file__}:")
    assert all(text.endswith("create a new one") for text in (auth, lost, yours))


def test_every_environment_s_socket_class_reports_its_failures():
    for cls in (connect.CourseWebSocket, connect.LocalWebSocket):
        assert issubclass(cls, connect.SubscriptionReport) and issubclass(cls, connect.ReconnectBackoff)
    for trading in (connect.CourseWebSocketTrading, connect.LocalWebSocketTrading):
        assert issubclass(trading, connect.ClosedReason) and issubclass(trading, connect.ReconnectBackoff)
