"""How much of pybit's ``WebSocket`` the local exchange serves: every ``*_stream`` method, subscribed for real.

Run::

    python benchmarks/pybit_stream_coverage.py

It lists the ``*_stream`` methods of pybit's ``WebSocket`` by introspection,
subscribes each through pybit (the course's :class:`helpers.connect.LocalWebSocket`,
pybit's class dialling the local exchange) with the arguments in :data:`STREAMS`,
and waits for the server's answer and then for a first message. A stream
*delivers* when its first data message arrives; a topic that is quiet by nature
(nothing happens on it on a calm test account) *answers* when the server
accepts the subscription; a topic Bybit has dropped (its page is gone from the
docs: ``liquidation``, the leveraged-token topics) answers with a refusal, as
Bybit does. For the private streams an order is placed and
filled over REST, so that order, execution, position and wallet have something
to say. The table prints how long the first message took against the push
interval Bybit's docs give for the topic (a figure of this machine and load:
not a test).
"""
from __future__ import annotations

import inspect
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pybit.unified_trading import HTTP, WebSocket

from bybit_spec.topics import STREAM_PATHS
from helpers.connect import WS_DEFAULTS, LocalWebSocket
from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig

WAIT_S = 15.0        # for every answer and first message; a healthy run is done in a few seconds


@dataclass(frozen=True)
class Stream:
    """How to call one ``*_stream`` method: its socket, its arguments, what to expect."""

    channel: str                  # "linear", "spot", "private", "misc/status"
    args: dict[str, Any] = field(default_factory=dict)
    push: str = ""                # Bybit's push interval for the topic ("" for event-driven topics)
    quiet: bool = False           # nothing need arrive: a subscription the server accepts is the answer
    gone: bool = False            # dropped from Bybit's docs: refused there too, so a refusal is the answer


#: Every ``*_stream`` method of pybit's ``WebSocket`` and how to call it. A method missing here is
#: reported as such (a new pybit release added it).
STREAMS: dict[str, Stream] = {
    "orderbook_stream": Stream("linear", {"depth": 50, "symbol": "BTCUSDT"}, "20ms"),
    "rpi_orderbook_stream": Stream("linear", {"symbol": "BTCUSDT"}, "100ms"),
    "trade_stream": Stream("linear", {"symbol": "BTCUSDT"}, "real-time"),
    "ticker_stream": Stream("linear", {"symbol": "BTCUSDT"}, "100ms"),
    "kline_stream": Stream("linear", {"interval": 1, "symbol": "BTCUSDT"}, "1-60s"),
    "liquidation_stream": Stream("linear", {"symbol": "BTCUSDT"}, gone=True),      # now allLiquidation
    "all_liquidation_stream": Stream("linear", {"symbol": "BTCUSDT"}, "500ms"),
    "insurance_pool_stream": Stream("linear", {"contract_group": "USDT"}, "1s"),
    "price_limit_stream": Stream("linear", {"symbol": "BTCUSDT"}, "300ms"),
    "lt_kline_stream": Stream("spot", {"interval": 1, "symbol": "BTC3LUSDT"}, gone=True),   # leveraged tokens
    "lt_ticker_stream": Stream("spot", {"symbol": "BTC3LUSDT"}, gone=True),
    "lt_nav_stream": Stream("spot", {"symbol": "BTC3LUSDT"}, gone=True),
    "system_status_stream": Stream("misc/status", quiet=True),
    "position_stream": Stream("private"),
    "order_stream": Stream("private"),
    "execution_stream": Stream("private"),
    "fast_execution_stream": Stream("private"),
    "wallet_stream": Stream("private"),
    "greek_stream": Stream("private", quiet=True),          # option positions only
    "spread_order_stream": Stream("private", quiet=True),   # spread trading only
    "spread_execution_stream": Stream("private", quiet=True),
}


@dataclass
class Row:
    method: str
    stream: Stream | None
    topic: str = ""
    answer: str = "no answer"     # "accepted", "refused: <reason>", "no answer", "not called"
    first_s: float | None = None  # seconds from the subscribe to the first data message

    @property
    def served(self) -> bool:
        """Answered as Bybit would: delivered, or (a quiet topic) accepted, or (a topic Bybit dropped) refused."""
        if self.stream is None:
            return False
        if self.stream.gone:
            return self.answer.startswith("refused")
        return self.first_s is not None or (self.stream.quiet and self.answer == "accepted")


def stream_methods() -> list[str]:
    """The ``*_stream`` methods pybit's ``WebSocket`` defines (by introspection)."""
    return sorted(name for name, _ in inspect.getmembers(WebSocket, inspect.isfunction) if name.endswith("_stream"))


def _trade(exchange: LocalExchange) -> None:
    """Something for the private streams to report: a market buy, then a sell that closes it."""
    session = HTTP(api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, max_retries=1)
    session.endpoint = exchange.url
    for side in ("Buy", "Sell"):
        session.place_order(category="linear", symbol="ETHUSDT", side=side, orderType="Market", qty="0.10")


def run() -> list[Row]:
    """Subscribe every stream on a fresh local exchange; one :class:`Row` per pybit method.

    pybit's and the helpers' log lines are silenced meanwhile (refusals are reported in the
    table instead) and given back their levels after, so a test run in the same process
    still sees them.
    """
    loggers = [logging.getLogger(name) for name in ("pybit", "helpers")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        return _run()
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _run() -> list[Row]:
    rows = [Row(name, STREAMS.get(name)) for name in stream_methods()]
    lock = threading.Lock()
    config = ExchangeConfig(port=0, limits="off", ip_limit=False)
    sockets: dict[str, LocalWebSocket] = {}
    unreachable: dict[str, str] = {}
    with LocalExchange(config) as exchange:
        base = exchange.url.replace("http://", "ws://")
        try:
            for row in rows:
                if row.stream is None:
                    row.answer = "not called"
                    continue
                channel = row.stream.channel
                if channel in unreachable:
                    row.answer = unreachable[channel]
                    continue
                if channel not in sockets:
                    keys = {"api_key": DEMO_API_KEY, "api_secret": DEMO_API_SECRET} if channel == "private" else {}
                    try:
                        sockets[channel] = LocalWebSocket(channel, base + STREAM_PATHS[channel],
                                                          **{**WS_DEFAULTS, "testnet": False, "retries": 2}, **keys)
                    except Exception as error:          # the stream's path is not served
                        unreachable[channel] = f"cannot connect: {type(error).__name__}"
                        row.answer = unreachable[channel]
                        continue
                ws = sockets[channel]
                before = set(ws.callback_directory)
                started = time.monotonic()

                def first(message: dict, row: Row = row, started: float = started) -> None:
                    with lock:
                        if row.first_s is None and "data" in message:
                            row.first_s = time.monotonic() - started

                try:
                    getattr(ws, row.method)(callback=first, **row.stream.args)
                except Exception as error:            # pybit refused the arguments before sending
                    row.answer = f"pybit: {error}"[:80]
                    continue
                row.topic = next(iter(set(ws.callback_directory) - before), "")
            if "private" in sockets:          # trade once every private topic has its answer
                private = sockets["private"]
                topics = [r.topic for r in rows if r.stream and r.stream.channel == "private" and r.topic]
                deadline = time.monotonic() + WAIT_S
                while time.monotonic() < deadline and not all(
                        t in private.confirmed_topics or t in private.refused_topics for t in topics):
                    time.sleep(0.05)
                _trade(exchange)
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                for row in rows:
                    if row.stream is None or not row.topic:
                        continue
                    ws = sockets[row.stream.channel]
                    if row.topic in ws.refused_topics:
                        row.answer = "refused: " + ws.refused_topics[row.topic][:70]
                    elif row.topic in ws.confirmed_topics:
                        row.answer = "accepted"
                if all(r.served or r.answer.startswith(("refused", "pybit", "not called", "cannot")) for r in rows):
                    break
                time.sleep(0.05)
        finally:
            for ws in sockets.values():
                ws.exit()
    return rows


def report(rows: list[Row]) -> str:
    lines = [f"{'method':26} {'topic':26} {'push':>9} {'first msg':>10}  answer"]
    for r in rows:
        push = r.stream.push if r.stream else ""
        first = f"{r.first_s:.2f} s" if r.first_s is not None else (
            "quiet" if r.stream and r.stream.quiet else "dropped" if r.stream and r.stream.gone else "-")
        lines.append(f"{r.method:26} {r.topic:26} {push:>9} {first:>10}  {r.answer}")
    return "\n".join(lines)


def main() -> None:
    rows = run()
    print(report(rows))
    served = sum(r.served for r in rows)
    delivered = sum(r.first_s is not None for r in rows)
    gone = sum(r.served and r.stream is not None and r.stream.gone for r in rows)
    print(f"\n{served} of {len(rows)} pybit WebSocket stream methods answer as Bybit would: "
          f"{delivered} delivered a first message, {served - delivered - gone} are quiet by nature and were "
          f"accepted, {gone} were refused as Bybit refuses a topic it dropped.")


if __name__ == "__main__":
    main()
