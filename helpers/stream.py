"""Collecting WebSocket messages in a notebook: wait for N messages or a condition, never forever.

pybit delivers each message by calling your function in its own thread, and
its examples then keep the program alive with ``while True: sleep(1)``. In a
notebook that blocks the kernel for good, and an exception inside your
function tears pybit's connection down. This module does it the safe way:

* a :class:`Collector` is the callback. It never raises: it queues each
  message, runs your own function (if any) inside ``try``/``except`` and keeps
  any exception in ``collector.errors`` for you to look at;
* :func:`collect` subscribes, waits until ``n`` messages arrived or ``until``
  holds, **or the timeout passes**, then unsubscribes and (by default) closes
  the socket with ``ws.exit()``;
* :func:`messages` is the course's classic ``while True: print(ws.fetch(...))``
  loop, bounded: ``for msg in messages(ws, topic, limit=5, timeout=10): print(msg)``.

::

    ws = connect.websocket("linear")
    got = collect(ws, topics.ticker("BTCUSDT"), n=3, timeout=10)   # a list of 3 messages

When the timeout passes first, :func:`collect` raises :class:`StreamTimeout`
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
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

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
    exception from ``on_message`` is caught and kept in ``collector.errors``:
    pybit's socket keeps running. ``maxlen`` bounds memory for long runs (the
    oldest messages are dropped; ``collector.count`` still counts all).

    :meth:`wait` blocks until enough messages arrived, a condition holds, or a timeout.
    """

    def __init__(self, on_message: Callable[[Message], Any] | None = None, maxlen: int | None = 100_000) -> None:
        self.on_message = on_message
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
            self._cond.notify_all()
        if self.on_message is not None:
            try:
                self.on_message(message)
            except Exception as error:
                with self._cond:
                    self.errors.append((message, error))

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
            if until is not None:
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
    in pybit's own dispatcher would drop the connection. Exceptions from a
    callback are kept in ``router.errors``; the socket keeps running.
    """

    def __init__(self) -> None:
        self.ws: Any = None
        self.replies: deque[Message] = deque(maxlen=200)
        self.errors: list[tuple[Message, BaseException]] = []

    def __call__(self, message: Message) -> None:
        topic = message.get("topic")
        directory = getattr(self.ws, "callback_directory", {}) if self.ws is not None else {}
        callback = directory.get(topic) if topic is not None else None
        if callback is None:
            self.replies.append(message)
            return
        try:
            callback(message)
        except Exception as error:
            self.errors.append((message, error))


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

    ``timeout`` defaults to :data:`CONNECT_WAIT_S`.
    """
    deadline = time.monotonic() + (CONNECT_WAIT_S if timeout is None else timeout)
    while True:
        try:
            if ws.is_connected():
                return True
        except Exception:
            pass
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
        if refused:
            raise StreamTimeout(f"the server refused the subscription: {refused[-1].get('ret_msg')!r}",
                                [], wanted, None, 0.0, [])
        confirmed = {topic for r in replies if r.get("success") for topic in sent[r["req_id"]]}
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
        raise StreamTimeout(f"the WebSocket is not connected (waited {CONNECT_WAIT_S:.1f} s), so nothing can be "
                            f"subscribed; is the server running? create a new one with connect.websocket(...)",
                            [], topics, None, CONNECT_WAIT_S, [])
    if callable(subscribe) and not isinstance(subscribe, str):
        subscribe(callback)
        return topics
    for topic in topics:
        subscribe_topic(ws, topic, callback)
    return topics


def _finish(ws: Any, topics: list[str], unsubscribe: bool, close: bool) -> None:
    try:
        if close:
            ws.exit()
        elif unsubscribe and topics and ws.is_connected():
            for topic in topics:
                ws.unsubscribe(topic)
    except Exception:
        pass   # the socket is already gone: nothing left to tidy


def _explain(count: int, wanted: int | None, topics: list[str], label: str, timeout: float,
             ws: Any, errors: list[tuple[Message, BaseException]]) -> str:
    goal = f"{count} of {wanted} messages" if wanted is not None else f"{count} messages, none matching the condition"
    text = f"got {goal} on {label} in {timeout:.1f} s"
    hints: list[str] = []
    try:
        connected = ws.is_connected()
    except Exception:
        connected = False
    if not connected:
        hints.append("the socket is not connected (server gone, or pybit gave up reconnecting)")
    elif count == 0:
        hints.append("is the symbol right, and is this socket's channel the symbol's category "
                     "(BTCUSDT on 'linear' and on 'spot' are different markets)?")
        failed = [r for r in getattr(getattr(ws, "course_router", None), "replies", ()) if r.get("success") is False]
        if failed:
            hints.append(f"the server refused a subscription: {failed[-1].get('ret_msg')!r}")
    else:
        hints.append("the stream is slower than that; wait longer or ask for fewer")
    if errors:
        hints.append(f"your callback raised {len(errors)} time(s), first: {errors[0][1]!r}")
    return text + "; " + "; ".join(hints)


def collect(ws: Any, subscribe: Subscribe, n: int | None = 10, until: Callable[[Message], bool] | None = None,
            timeout: float = DEFAULT_TIMEOUT_S, partial: bool = False, close: bool = True,
            on_message: Callable[[Message], Any] | None = None) -> Collected:
    """Subscribe, wait for ``n`` messages (or until ``until(message)`` is true), then tidy up.

    ``ws`` is a pybit ``WebSocket`` (``helpers.connect.websocket(channel)``).
    ``subscribe`` is a topic, a list of topics or a function taking the
    callback (see the module docstring). Waits at most ``timeout`` seconds.
    With ``until`` given and ``n=None`` only the condition counts; with both,
    whichever comes first. ``on_message`` runs for every message (exceptions kept).

    Afterwards the socket is closed with ``ws.exit()`` (``close=True``, the
    default), or, with ``close=False``, the topics are unsubscribed and the
    socket stays open for more. Returns a :class:`Collected` list; on timeout
    raises :class:`StreamTimeout` unless ``partial=True``.
    """
    collector = Collector(on_message=on_message)
    started = time.monotonic()
    topics = _topics_of(subscribe)
    text = ""
    try:
        topics = _subscribe(ws, subscribe, collector)
        reached = collector.reached(n=n, until=until, timeout=timeout)
        if not reached:   # explained before closing, while the socket's state still tells something
            label = ", ".join(topics) if topics else "the subscribed topic"
            text = _explain(collector.count, n if until is None else None, topics, label, timeout, ws,
                            collector.errors)
    finally:
        collector.closed = True
        _finish(ws, topics, unsubscribe=True, close=close)
    elapsed = time.monotonic() - started
    got = Collected(collector.messages)
    got.elapsed, got.errors = elapsed, list(collector.errors)
    if reached:
        if n is not None and until is None:
            del got[n:]
        return got
    if partial:
        got.complete, got.note = False, text
        return got
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
    """
    collector = Collector()
    deadline = time.monotonic() + timeout
    topics = _topics_of(subscribe)
    given = 0
    try:
        topics = _subscribe(ws, subscribe, collector)
        while given < limit:
            if not collector.reached(n=given + 1, timeout=max(0.0, deadline - time.monotonic())):
                if partial:
                    return
                label = ", ".join(topics) if topics else "the subscribed topic"
                raise StreamTimeout(_explain(given, limit, topics, label, timeout, ws, collector.errors),
                                    list(collector.messages), topics, limit, timeout, list(collector.errors))
            yield collector.messages[given]
            given += 1
    finally:
        collector.closed = True
        _finish(ws, topics, unsubscribe=True, close=close)
