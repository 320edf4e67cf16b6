"""Collecting WebSocket messages in a notebook: wait for N messages or a condition, never forever.

pybit delivers each message by calling your function in its own thread, and
its examples then keep the program alive with ``while True: sleep(1)``. In a
notebook that blocks the kernel for good, and an exception inside your
function tears pybit's connection down. This module does it the safe way:

* a :class:`Collector` is the callback. It never raises: it queues each
  message and runs your own function (if any) inside ``try``/``except``; an
  exception is printed once (``ERROR helpers.stream: your callback raised
  KeyError('bid') at <cell>:3 ...``, repeats are counted, not printed) and kept
  in ``collector.errors``;
* :func:`collect` subscribes, waits until ``n`` messages arrived or ``until``
  holds, **or the timeout passes**, then unsubscribes and (by default) closes
  the socket with ``ws.exit()``;
* :func:`messages` is the course's classic ``while True: print(ws.fetch(...))``
  loop, bounded: ``for msg in messages(ws, topic, limit=5, timeout=10): print(msg)``.

::

    ws = connect.websocket("linear")
    got = collect(ws, topics.ticker("BTCUSDT"), n=3, timeout=10)   # a list of 3 messages

When the server refuses a topic (a typo, or a symbol the socket's category
does not list), :func:`collect` stops at once with :class:`SubscriptionRefused`,
quoting the server's reply; when the socket was closed, with
:class:`SocketClosed` naming why. When the timeout passes first, it raises :class:`StreamTimeout`
whose message says how many arrived and what to check; the messages that did
arrive are in ``error.messages``. Pass ``partial=True`` to get them back as the
result instead (a :class:`Collected` list whose ``.complete`` is ``False`` and
``.note`` says why). Use the exception when the rest of the notebook needs the
data, ``partial=True`` when "whatever came in 5 seconds" is the point.

Subscribing takes a topic string (``"orderbook.50.BTCUSDT"``, see
:mod:`helpers.topics`), a list of them, or a function that subscribes with
the callback it is given, so every pybit ``*_stream`` method works too::

    collect(ws, lambda callback: ws.orderbook_stream(50, "BTCUSDT", callback), n=5)
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from . import topics as topic_names

Message = dict[str, Any]
Subscribe = str | Sequence[str] | Callable[[Callable[[Message], None]], Any]

DEFAULT_TIMEOUT_S = 10.0
"""How long :func:`collect` and :func:`messages` wait unless told otherwise."""

CONNECT_WAIT_S = 5.0
"""How long to wait for a socket that is (re)connecting before subscribing on it."""


class StreamTimeout(TimeoutError):
    """The wanted messages did not arrive in time.

    ``messages`` holds what did arrive, ``topics`` what was asked for,
    ``wanted`` the number wanted (``None`` when waiting for a condition),
    ``elapsed`` the seconds waited and ``errors`` exceptions your callback raised.
    """

    def __init__(self, text: str, messages: list[Message], topics: list[str], wanted: int | None,
                 elapsed: float, errors: list[tuple[Message, BaseException]]) -> None:
        super().__init__(text)
        self.messages = messages
        self.topics = topics
        self.wanted = wanted
        self.elapsed = elapsed
        self.errors = errors


class SubscriptionRefused(StreamTimeout):
    """The server answered a subscribe with ``success: false``; the text quotes its ``ret_msg``.

    A subclass of :class:`StreamTimeout` so that code catching a timeout catches
    this too, but it is raised as soon as the reply arrives, not after the timeout.
    ``refused`` maps each refused topic to the server's ``ret_msg``.
    """

    def __init__(self, text: str, messages: list[Message], topics: list[str], wanted: int | None,
                 elapsed: float, errors: list[tuple[Message, BaseException]], refused: dict[str, str]) -> None:
        super().__init__(text, messages, topics, wanted, elapsed, errors)
        self.refused = refused


class SocketClosed(StreamTimeout, ConnectionError):
    """The WebSocket is closed and will not reconnect; the text says why.

    Raised by a subscribe (``ws.*_stream``, :func:`collect`) on such a socket,
    within its timeout instead of waiting forever as pybit's own loop does.
    The cure is always the same: create a new socket with ``connect.websocket(...)``.
    Both a :class:`StreamTimeout` (the messages will not come) and a ``ConnectionError``.
    """

    def __init__(self, text: str, messages: list[Message] | None = None, topics: list[str] | None = None) -> None:
        super().__init__(text, list(messages or []), list(topics or []), None, 0.0, [])


log = logging.getLogger(__name__)

_LIBRARY_DIRS = tuple({os.path.dirname(os.__file__), sys.prefix, sys.base_prefix,
                       os.path.dirname(os.path.abspath(__file__))})


def error_location(error: BaseException) -> str:
    """``file:line`` where ``error`` was raised, in your code if possible (``<cell>:3`` in a notebook).

    The innermost frame outside the standard library, the installed packages
    and this package is chosen; failing that, the innermost frame.
    """
    return _locate(error)[0]


def _locate(error: BaseException) -> tuple[str, bool]:
    """(``file:line``, whether that line is in your code rather than in a library)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "an unknown place", False
    own = [f for f in frames if not os.path.abspath(f.filename).startswith(_LIBRARY_DIRS)]
    frame = (own or frames)[-1]
    name = frame.filename
    if "ipykernel_" in name or name.startswith("<ipython-input"):
        name = "<cell>"
    return f"{name}:{frame.lineno}", bool(own)


def closing_cause(error: BaseException) -> str:
    """Why pybit closed the socket after ``error`` reached it, in one sentence that names the cause.

    pybit closes the socket for good (no reconnection) when anything but a
    lost connection reaches its ``_on_error``: a callback that raised, a failed
    authentication, a message it could not handle.
    """
    where, yours = _locate(error)
    if "Authorization for" in str(error):
        return (f"authentication failed ({error}): the socket was closed; check the API key and secret "
                f"(and the clock), then create a new one")
    if yours:
        return f"your callback raised {type(error).__name__} at {where}: the socket was closed; create a new one"
    if isinstance(error, OSError):
        return (f"the connection failed ({type(error).__name__}: {error}), and after this kind of error pybit "
                f"does not reconnect: the socket was closed; create a new one")
    return (f"pybit raised {type(error).__name__} ({error}) at {where} while handling a message: "
            f"the socket was closed; create a new one")


class CallbackErrors:
    """Exceptions raised by your callbacks: each distinct one printed once, every one counted.

    ``report(error, topic)`` prints (through logging, so it appears in the
    notebook cell) ``your callback raised KeyError('bid') at <cell>:3 on
    tickers.BTCUSDT; the socket keeps running ...`` the first time an error of
    that type at that line arrives; later ones only raise the count in
    ``counts``. ``errors`` keeps the last 100 ``(topic, exception)`` pairs.
    """

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.errors: deque[tuple[str, BaseException]] = deque(maxlen=100)
        self._lock = threading.Lock()

    def report(self, error: BaseException, topic: str | None = None) -> None:
        where = error_location(error)
        key = (type(error).__name__, where)
        with self._lock:
            self.errors.append((topic or "", error))
            self.counts[key] = self.counts.get(key, 0) + 1
            first = self.counts[key] == 1
        if first:
            on = f" on {topic}" if topic else ""
            log.error("your callback raised %r at %s%s; the socket keeps running "
                      "(repeats of this error are counted, not printed)", error, where, on)

    def __len__(self) -> int:
        return sum(self.counts.values())


def guarded(callback: Callable[[Message], Any], report: CallbackErrors,
            topic: str | None = None) -> Callable[[Message], None]:
    """``callback`` wrapped so that it cannot raise into pybit: an exception goes to ``report`` instead.

    pybit 5.17.0 closes the socket for good when a callback raises; the course's
    WebSockets (``helpers.connect``) wrap every callback with this.
    """
    if getattr(callback, "course_guarded", False):
        return callback

    def call(message: Message) -> None:
        try:
            callback(message)
        except Exception as error:
            report.report(error, topic)

    call.course_guarded = True             # type: ignore[attr-defined]
    call.wrapped = callback                # type: ignore[attr-defined]
    call.__name__ = getattr(callback, "__name__", "callback")
    call.__doc__ = callback.__doc__
    return call


class Collected(list):
    """The messages :func:`collect` returns: a plain list plus ``complete``, ``note`` and ``elapsed``."""

    complete: bool = True
    note: str = ""
    elapsed: float = 0.0
    errors: list[tuple[Message, BaseException]]


@dataclass
class CallbackError:
    """An exception raised by your function inside :class:`Collector` (kept, not re-raised)."""

    message: Message
    error: BaseException


class Collector:
    """A callback for pybit that never raises and remembers every message.

    ``collector(message)`` (what pybit calls) appends the message to
    ``collector.messages`` (its receive time, ``time.time()`` in seconds, to
    ``collector.times``), then calls ``on_message(message)`` if given. An
    exception from ``on_message`` (or from ``until``) is caught, printed once per
    distinct error (:class:`CallbackErrors`) and kept in ``collector.errors``:
    pybit's socket keeps running. ``maxlen`` bounds memory for long runs (the
    oldest messages are dropped; ``collector.count`` still counts all).

    :meth:`wait` blocks until enough messages arrived, a condition holds, or a timeout.
    """

    def __init__(self, on_message: Callable[[Message], Any] | None = None, maxlen: int | None = 100_000,
                 report: CallbackErrors | None = None) -> None:
        self.on_message = on_message
        self.report = report or CallbackErrors()
        self.messages: deque[Message] = deque(maxlen=maxlen)
        self.times: deque[float] = deque(maxlen=maxlen)
        self.errors: list[tuple[Message, BaseException]] = []
        self.count = 0
        self.closed = False
        self._matched = False
        self._until: Callable[[Message], bool] | None = None
        self._cond = threading.Condition()

    def __call__(self, message: Message) -> None:
        if self.closed:
            return
        received = time.time()
        with self._cond:
            self.messages.append(message)
            self.times.append(received)
            self.count += 1
            if self._until is not None and not self._matched:
                try:
                    self._matched = bool(self._until(message))
                except Exception as error:     # a broken condition must not kill the socket either
                    self.errors.append((message, error))
                    self.report.report(error, message.get("topic"))
            self._cond.notify_all()
        if self.on_message is not None:
            try:
                self.on_message(message)
            except Exception as error:
                with self._cond:
                    self.errors.append((message, error))
                self.report.report(error, message.get("topic"))

    def reached(self, n: int | None = None, until: Callable[[Message], bool] | None = None,
                timeout: float = DEFAULT_TIMEOUT_S) -> bool:
        """Block until ``n`` messages arrived in total, or ``until(message)`` was true for one, or ``timeout`` s.

        Returns True if the goal was reached, False after the timeout (see :meth:`wait`,
        which raises instead). With neither ``n`` nor ``until``
        it waits for one message. ``until`` is checked on messages arriving
        *after* this call, and also on those already received.
        """
        if n is None and until is None:
            n = 1
        deadline = time.monotonic() + timeout
        with self._cond:
            if until is not None and until is not self._until:
                self._until = until
                self._matched = any(self._safe(until, m) for m in self.messages)

            def done() -> bool:
                return (n is not None and self.count >= n) or (until is not None and self._matched)

            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def wait(self, n: int | None = None, until: Callable[[Message], bool] | None = None,
             timeout: float = DEFAULT_TIMEOUT_S) -> list[Message]:
        """The messages so far, once ``n`` arrived or ``until(message)`` held; :class:`StreamTimeout` after ``timeout`` s.

        ``collector.wait(n=3, timeout=5)`` is the notebook's way to say "give me three
        messages, but do not wait more than five seconds". The timeout's message
        says how many arrived; they are in ``error.messages``.
        """
        if self.reached(n=n, until=until, timeout=timeout):
            with self._cond:
                return list(self.messages)
        goal = f"{self.count} of {n} messages" if n is not None else f"{self.count} messages, none matching the condition"
        hint = "; your callback raised: " + repr(self.errors[0][1]) if self.errors else ""
        raise StreamTimeout(f"got {goal} in {timeout:.1f} s; is the socket connected and subscribed to the right "
                            f"topic?{hint}", list(self.messages), [], n, timeout, list(self.errors))

    def _safe(self, until: Callable[[Message], bool], message: Message) -> bool:
        try:
            return bool(until(message))
        except Exception as error:
            self.errors.append((message, error))
            self.report.report(error, message.get("topic"))
            return False


class RawRouter:
    """pybit's ``callback_function=``: every message as received, routed by topic, nothing merged.

    Given to ``pybit.unified_trading.WebSocket(..., callback_function=router)``
    (``helpers.connect.websocket(channel, raw=True)`` does this), pybit skips
    its own dispatcher, which would merge order-book and ticker deltas into a
    copy of its own and call back with ``type`` forced to ``"snapshot"``. The
    router looks the message's ``topic`` up among the callbacks registered
    with ``ws.subscribe`` / ``ws.*_stream`` and calls that one with the message
    unchanged. Replies without a topic (subscribe, unsubscribe, auth) are kept
    in ``router.replies`` (the last 200), including failed subscriptions, which
    in pybit's own dispatcher would drop the connection; subscribe replies are
    also handed to the socket's ``record_subscribe_reply`` (the course's
    sockets keep ``ws.refused_topics`` with it). Exceptions from a callback are
    kept in ``router.errors`` and printed once; the socket keeps running.
    """

    def __init__(self) -> None:
        self.ws: Any = None
        self.replies: deque[Message] = deque(maxlen=200)
        self.errors: list[tuple[Message, BaseException]] = []
        self.report = CallbackErrors()

    def __call__(self, message: Message) -> None:
        topic = message.get("topic")
        directory = getattr(self.ws, "callback_directory", {}) if self.ws is not None else {}
        callback = directory.get(topic) if topic is not None else None
        if callback is None:
            self.replies.append(message)
            if message.get("op") == "subscribe" or message.get("type") == "COMMAND_RESP":
                record = getattr(self.ws, "record_subscribe_reply", None)
                if record is not None:
                    record(message)
            return
        try:
            callback(message)
        except Exception as error:
            self.errors.append((message, error))
            self.report.report(error, topic)


# -- subscribing ---------------------------------------------------------------------------

def _topics_of(subscribe: Subscribe) -> list[str]:
    if isinstance(subscribe, str):
        return [subscribe]
    if callable(subscribe):
        return []
    topics = list(subscribe)
    if not topics or not all(isinstance(t, str) for t in topics):
        raise ValueError("subscribe is a topic string, a list of topic strings, or a function taking the callback")
    return topics


def wait_connected(ws: Any, timeout: float | None = None) -> bool:
    """True once pybit's socket is connected (it may be reconnecting), False after ``timeout`` s.

    ``timeout`` defaults to :data:`CONNECT_WAIT_S`. False at once for a course
    socket closed for good (its ``closed_because`` says why).
    """
    deadline = time.monotonic() + (CONNECT_WAIT_S if timeout is None else timeout)
    while True:
        try:
            if ws.is_connected():
                return True
        except Exception:
            pass
        if getattr(ws, "closed_because", None) and not getattr(ws, "attempting_connection", False):
            return False                 # closed for good (helpers.connect.ClosedReason): no point waiting
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def wait_subscribed(ws: Any, topics: Sequence[str], timeout: float | None = None) -> None:
    """Return once the server has confirmed the subscription of every topic in ``topics``.

    A ``*_stream`` call only *sends* the subscribe frame. Messages for a topic
    flow once the server has accepted it, so an order placed right after the
    call can be missed. Waiting for the confirmation closes that gap.

    Needs a socket made with ``connect.websocket(channel, raw=True)``: only then
    are the server's replies kept (in ``ws.course_router.replies``). pybit keeps
    each subscribe frame it sent under its ``req_id``; a topic counts as
    confirmed when a ``success: true`` reply echoes that ``req_id``. Raises
    :class:`StreamTimeout` after ``timeout`` seconds (default
    :data:`CONNECT_WAIT_S`), or at once when the server refused one of them.
    """
    router = getattr(ws, "course_router", None)
    if router is None:
        raise ValueError("wait_subscribed() needs a socket made with connect.websocket(channel, raw=True); "
                         "only then are the server's replies kept")
    wanted = list(topics)
    limit = CONNECT_WAIT_S if timeout is None else timeout
    deadline = time.monotonic() + limit
    while True:
        sent = {req_id: json.loads(frame).get("args", []) for req_id, frame in list(ws.subscriptions.items())}
        replies = [r for r in list(router.replies) if r.get("op") == "subscribe" and r.get("req_id") in sent]
        refused = [r for r in replies if r.get("success") is False and set(sent[r["req_id"]]) & set(wanted)]
        known = {t: why for t, why in dict(getattr(ws, "refused_topics", {})).items() if t in wanted}
        if refused or known:
            if not known:
                known = {t: str(refused[-1].get("ret_msg")) for t in sent[refused[-1]["req_id"]] if t in wanted}
            raise SubscriptionRefused(refusal_text(known, _channel(ws)), [], wanted, None, 0.0, [], known)
        confirmed = {topic for r in replies if r.get("success") for topic in sent[r["req_id"]]}
        confirmed |= set(getattr(ws, "confirmed_topics", ()))
        if set(wanted) <= confirmed:
            return
        if time.monotonic() >= deadline:
            missing = sorted(set(wanted) - confirmed)
            raise StreamTimeout(f"no confirmation for {', '.join(missing)} in {limit:.1f} s; were they subscribed "
                                f"on this socket (ws.*_stream or stream.subscribe_topic)?", [], wanted, None, limit, [])
        time.sleep(0.01)


def subscribe_topic(ws: Any, topic: str, callback: Callable[[Message], Any]) -> None:
    """Subscribe pybit's ``ws`` to one full topic string, e.g. ``"kline.1.BTCUSDT"``.

    pybit's generic ``ws.subscribe(template, callback, symbol)`` formats
    ``template`` with each symbol; a full topic is split at its last dot
    (``"kline.1.{symbol}"`` and ``"BTCUSDT"``). Private topics without a
    symbol (``order``, ``wallet``) are passed as they are.
    """
    plain = set(getattr(ws, "standard_private_topics", ())) | set(getattr(ws, "standard_public_topics", ()))
    try:
        if topic in plain or "." not in topic:
            ws.subscribe(topic, callback, [""])
        else:
            prefix, symbol = topic.rsplit(".", 1)
            ws.subscribe(prefix + ".{symbol}", callback, symbol)
    except Exception as error:
        if "already subscribed" in str(error):
            raise ValueError(f"this socket is already subscribed to {topic!r}: use a new socket "
                             f"(connect.websocket(...)) or ws.unsubscribe({topic!r}) first") from error
        raise


def _subscribe(ws: Any, subscribe: Subscribe, callback: Callable[[Message], Any]) -> list[str]:
    topics = _topics_of(subscribe)
    if not wait_connected(ws, CONNECT_WAIT_S):
        cause = getattr(ws, "closed_because", None) or (f"not connected after {CONNECT_WAIT_S:.1f} s (server "
                                                         f"gone, or pybit gave up reconnecting); create a new "
                                                         f"one with connect.websocket(...)")
        raise SocketClosed(f"cannot subscribe to {', '.join(topics) or 'the topic'}: the socket is closed: {cause}")
    if callable(subscribe) and not isinstance(subscribe, str):
        before = set(getattr(ws, "callback_directory", {}))
        subscribe(callback)
        return [t for t in getattr(ws, "callback_directory", {}) if t not in before]
    for topic in topics:
        subscribe_topic(ws, topic, callback)
    return topics


def _finish(ws: Any, topics: list[str], unsubscribe: bool, close: bool) -> None:
    try:
        if close:
            ws.exit()
        elif unsubscribe and topics and ws.is_connected():
            for topic in topics:
                if topic in getattr(ws, "callback_directory", {}):
                    ws.unsubscribe(topic)
    except Exception:
        pass   # the socket is already gone: nothing left to tidy


QUIET_KINDS: dict[str, str] = {"allLiquidation": "liquidation", "liquidation": "liquidation"}
"""Topics that may rightly stay silent for a long time, and what their messages are called."""


def _channel(ws: Any) -> str | None:
    return getattr(ws, "channel", None)


def _advice(topic: str, channel: str | None) -> str:
    """What a refused topic most likely means: a misspelling, the wrong channel, or a symbol not listed there."""
    try:
        parsed = topic_names.parse(topic)
    except ValueError as error:
        return f"the topic is misspelled: {error}"
    if channel is None:
        return f"check that {parsed.symbol or topic} is listed in this socket's category"
    if parsed.private and channel != "private":
        return f"{topic!r} is a private topic: subscribe to it on connect.websocket('private')"
    if channel not in parsed.channels:
        if parsed.kind == "orderbook" and channel in topic_names.ORDERBOOK_DEPTHS:
            depths = ", ".join(map(str, topic_names.ORDERBOOK_DEPTHS[channel]))
            return f"depth {parsed.depth} is not served on {channel!r}; depths there: {depths}"
        return f"{parsed.kind} topics are served on {', '.join(parsed.channels)}, not on {channel!r}"
    return (f"{parsed.symbol} is not listed in the {channel!r} category, and each socket serves one category "
            f"(BTCUSDT is on 'linear' and 'spot', BTCUSD on 'inverse'); check the symbol with "
            f"session.get_instruments_info(category={channel!r}, symbol={parsed.symbol!r})")


def refusal_text(refused: dict[str, str], channel: str | None) -> str:
    """One sentence per refused topic: the server's ``ret_msg``, then what it most likely means."""
    return "; ".join(f"the server refused topic {topic}: {reason}. Most likely {_advice(topic, channel)}"
                     for topic, reason in refused.items())


def _refused(ws: Any, topics: list[str]) -> dict[str, str]:
    known = dict(getattr(ws, "refused_topics", {}))
    return {t: known[t] for t in topics if t in known}


def _closed(ws: Any) -> str | None:
    cause = getattr(ws, "closed_because", None)
    if cause is None:
        return None
    try:
        return None if ws.is_connected() else str(cause)
    except Exception:
        return str(cause)


def _await(collector: Collector, ws: Any, topics: list[str], n: int | None,
           until: Callable[[Message], bool] | None, timeout: float) -> str:
    """Wait like ``collector.reached``, but stop early on a refused topic or a socket closed for good.

    Returns ``"reached"``, ``"refused"``, ``"closed"`` or ``"timeout"``.
    """
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if collector.reached(n=n, until=until, timeout=max(0.0, min(left, 0.05))):
            return "reached"
        if _refused(ws, topics):
            return "refused"
        if _closed(ws) is not None:
            return "closed"
        if left <= 0:
            return "timeout"


def _explain(count: int, wanted: int | None, topics: list[str], label: str, timeout: float,
             ws: Any, errors: list[tuple[Message, BaseException]]) -> str:
    goal = f"{count} of {wanted} messages" if wanted is not None else f"{count} messages, none matching the condition"
    text = f"got {goal} on {label} in {timeout:g} s"
    hints: list[str] = []
    try:
        connected = ws.is_connected()
    except Exception:
        connected = False
    confirmed = set(getattr(ws, "confirmed_topics", ()))
    kinds = {t.split(".", 1)[0] for t in topics}
    if not connected:
        hints.append("the socket is closed: " + (getattr(ws, "closed_because", None)
                                                 or "the server is gone, or pybit gave up reconnecting"))
    elif count == 0 and topics and kinds <= set(QUIET_KINDS):
        accepted = " (the server accepted the subscription)" if set(topics) <= confirmed else ""
        text = f"no {QUIET_KINDS[min(kinds)]} on {label} in {timeout:g} s: they are rare; nothing is wrong{accepted}"
    elif count == 0 and topics and set(topics) <= confirmed:
        hints.append("the server accepted the subscription but sent nothing yet: the market may be quiet; "
                     "wait longer")
    elif count == 0:
        hints.append("is the symbol right, and is this socket's channel the symbol's category "
                     "(BTCUSDT on 'linear' and on 'spot' are different markets)?")
    else:
        hints.append("the stream is slower than that; wait longer or ask for fewer")
    if errors:
        hints.append(f"your callback raised {len(errors)} time(s), first: {errors[0][1]!r}")
    return text + "".join("; " + hint for hint in hints)


def collect(ws: Any, subscribe: Subscribe, n: int | None = 10, until: Callable[[Message], bool] | None = None,
            timeout: float = DEFAULT_TIMEOUT_S, partial: bool = False, close: bool = True,
            on_message: Callable[[Message], Any] | None = None) -> Collected:
    """Subscribe, wait for ``n`` messages (or until ``until(message)`` is true), then tidy up.

    ``ws``
        a pybit ``WebSocket`` (``helpers.connect.websocket(channel)``).
    ``subscribe``
        a topic, a list of topics or a function taking the callback (see the module docstring).
    ``n``
        how many messages to wait for (``None``: only ``until`` counts).
    ``until``
        a function of one message; collecting stops at the first for which it is
        true (with ``n`` too, whichever comes first).
    ``timeout``
        the most seconds to wait; then :class:`StreamTimeout` (or, with ``partial=True``,
        what arrived so far, with ``.complete`` False and ``.note`` saying why).
    ``close``
        ``True`` (default): ``ws.exit()`` afterwards. ``False``: unsubscribe the topics
        and keep the socket open for more.
    ``on_message``
        your function, called with every message as it arrives; an exception in it
        is printed once (per distinct error) and kept in ``.errors``; collecting goes on.

    A topic the server refuses raises :class:`SubscriptionRefused` as soon as the
    reply arrives (quoting it and saying what it most likely means); a socket closed
    for good raises :class:`SocketClosed` naming why.
    """
    collector = Collector(on_message=on_message)
    started = time.monotonic()
    topics = _topics_of(subscribe)
    text = ""
    outcome = "timeout"
    refused: dict[str, str] = {}
    try:
        topics = _subscribe(ws, subscribe, collector)
        outcome = _await(collector, ws, topics, n, until, timeout)
        label = ", ".join(topics) if topics else "the subscribed topic"
        # explained before closing, while the socket's state still tells something
        if outcome == "refused":
            refused = _refused(ws, topics)
            text = refusal_text(refused, _channel(ws))
        elif outcome == "closed":
            goal = f"{collector.count} of {n}" if n is not None and until is None else f"{collector.count}"
            text = f"got {goal} messages on {label}: the socket is closed: {_closed(ws)}"
        elif outcome == "timeout":
            text = _explain(collector.count, n if until is None else None, topics, label, timeout, ws,
                            collector.errors)
    finally:
        collector.closed = True
        _finish(ws, topics, unsubscribe=True, close=close)
    elapsed = time.monotonic() - started
    got = Collected(collector.messages)
    got.elapsed, got.errors = elapsed, list(collector.errors)
    if outcome == "reached":
        if n is not None and until is None:
            del got[n:]
        return got
    if outcome == "refused":
        raise SubscriptionRefused(text, list(got), topics, n, elapsed, list(collector.errors), refused)
    if partial:
        got.complete, got.note = False, text
        return got
    if outcome == "closed":
        raise SocketClosed(text, list(got), topics)
    raise StreamTimeout(text, list(got), topics, n, elapsed, list(collector.errors))


def messages(ws: Any, subscribe: Subscribe, limit: int = 5, timeout: float = DEFAULT_TIMEOUT_S,
             partial: bool = True, close: bool = True) -> Iterator[Message]:
    """The classic ``while True: print(...)`` loop, bounded: yields messages as they arrive.

    ::

        for message in messages(ws, topics.ticker("BTCUSDT"), limit=5, timeout=10):
            print(message["data"]["lastPrice"])

    Stops after ``limit`` messages or when ``timeout`` seconds have passed
    since the start, whichever comes first; leaving the loop early
    (``break``) is fine too. Then the topics are unsubscribed and the socket
    closed (``close=False`` keeps it open). With ``partial=False`` a timeout
    before ``limit`` messages raises :class:`StreamTimeout` instead of just ending.
    A refused topic raises :class:`SubscriptionRefused`, a socket closed for good
    :class:`SocketClosed`, whatever ``partial`` says.
    """
    collector = Collector()
    started = time.monotonic()
    topics = _topics_of(subscribe)
    given = 0
    try:
        topics = _subscribe(ws, subscribe, collector)
        label = ", ".join(topics) if topics else "the subscribed topic"
        while given < limit:
            outcome = _await(collector, ws, topics, given + 1, None,
                             max(0.0, timeout - (time.monotonic() - started)))
            if outcome == "refused":
                refused = _refused(ws, topics)
                raise SubscriptionRefused(refusal_text(refused, _channel(ws)), list(collector.messages), topics,
                                          limit, time.monotonic() - started, list(collector.errors), refused)
            if outcome == "closed":
                raise SocketClosed(f"got {given} of {limit} messages on {label}: the socket is closed: {_closed(ws)}",
                                   list(collector.messages), topics)
            if outcome == "timeout":
                if partial:
                    return
                raise StreamTimeout(_explain(given, limit, topics, label, timeout, ws, collector.errors),
                                    list(collector.messages), topics, limit, timeout, list(collector.errors))
            yield collector.messages[given]
            given += 1
    finally:
        collector.closed = True
        _finish(ws, topics, unsubscribe=True, close=close)
