"""Pacing REST calls to the budget Bybit reports, instead of sleeping a fixed time.

Older tutorials guard every request with ``time.sleep(2)``. That never breaks
a limit, and it is slow for no reason: 300 requests take ten minutes although
the exchange would take them in a few seconds. A limiter asks the exchange
instead. Every private reply carries three headers (see :mod:`helpers.limits`)::

    X-Bapi-Limit: 50                      the endpoint's limit per second
    X-Bapi-Limit-Status: 49               requests left in the current window
    X-Bapi-Limit-Reset-Timestamp: 1672…   when a refused caller may try again (ms)

pybit hands them over when the session is made with
``return_response_headers=True``: each call then returns ``(json, elapsed,
headers)``. :class:`Limiter` reads them after every call and waits **only when
the budget is used up**, until the window frees a slot. Public market-data
endpoints send no such headers; for them (and for every call, since all REST
calls count against the IP limit of 600 per 5 s) it keeps its own count in a
:class:`RollingWindow`::

    session = connect.http(return_response_headers=True)
    limited = Limiter().wrap(session)          # same methods, same return values
    for _ in range(300):
        reply, elapsed, headers = limited.get_positions(category="linear", symbol="BTCUSDT")
    limited.limiter.history_frame()            # one row per call: waited, remaining, outcome

What each guard costs is measured by :func:`measure` (used by the notebook on
rate limits and by ``benchmarks/limiter_vs_sleep.py``); :func:`fixed_sleep_guard`
is the old ``time.sleep(2)`` guard, kept as a function so it can be measured.

Waiting inside a helper is fine: a :class:`Limiter` waits only as long as the
budget requires, never "just in case".
"""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import limits

Clock = Callable[[], float]
Sleep = Callable[[float], None]

DEFAULT_MARGIN_S = 0.02
"""Extra wait after a window frees a slot: the exchange counts arrival times, which trail send times."""


class IpBanned(RuntimeError):
    """The exchange banned this address (HTTP 403) and the ban has not run out yet; nothing was sent.

    ``seconds_left`` says how long until the ban ends (as the exchange's
    ``Retry-After`` header said, else Bybit's documented 10 minutes).
    """

    def __init__(self, seconds_left: float) -> None:
        super().__init__(f"this IP is banned for another {seconds_left:.1f} s after an HTTP 403 "
                         f"(over {limits.IP_REQUESTS} requests per {limits.IP_WINDOW_S:g} s); the limiter sends "
                         f"nothing until then, since requests during a ban cannot succeed")
        self.seconds_left = seconds_left


# -- reading the headers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Budget:
    """What one reply's ``X-Bapi-Limit*`` headers say."""

    limit: int          # X-Bapi-Limit
    remaining: int      # X-Bapi-Limit-Status
    reset_ms: int       # X-Bapi-Limit-Reset-Timestamp


def read_headers(headers: Mapping[str, str] | None) -> Budget | None:
    """The budget in ``headers`` (a reply's headers, any letter case), or None if they do not carry one.

    Public market-data replies carry none: only the IP limit applies to them.
    """
    if not headers:
        return None
    lowered = {str(k).lower(): v for k, v in headers.items()}
    try:
        return Budget(int(lowered["x-bapi-limit"]), int(lowered["x-bapi-limit-status"]),
                      int(lowered["x-bapi-limit-reset-timestamp"]))
    except (KeyError, TypeError, ValueError):
        return None


# -- the client-side budget for the IP limit -----------------------------------------------------------

class RollingWindow:
    """At most ``limit`` events in any ``window_s`` seconds, counted on this side.

    This is the client's copy of the IP rule (600 requests in any 5 s window),
    for requests whose replies report no budget. It keeps the send times of
    the last ``limit`` events; the next one may go once the oldest of them is
    ``window_s`` old. (A token bucket holding 600 tokens refilled at 120 a
    second would allow 600 at once and 600 more in the next five seconds:
    twice the rule. A rolling window is the exact form of "any 5 s window".)
    """

    def __init__(self, limit: int, window_s: float, clock: Clock = time.time,
                 margin_s: float = DEFAULT_MARGIN_S) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a rolling window needs limit >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self.margin_s = margin_s
        self.clock = clock
        self.sent: deque[float] = deque(maxlen=limit)

    def delay(self) -> float:
        """Seconds to wait before the next event may go (0.0 if it may go now)."""
        if len(self.sent) < self.limit:
            return 0.0
        return max(0.0, self.sent[0] + self.window_s + self.margin_s - self.clock())

    def record(self) -> None:
        """Count one event, now."""
        self.sent.append(self.clock())

    def acquire(self, sleep: Sleep = time.sleep) -> float:
        """Wait (if needed) until an event may go, count it, and return the seconds waited."""
        waited = 0.0
        while (d := self.delay()) > 0:
            sleep(d)
            waited += d
        self.record()
        return waited


# -- the limiter ---------------------------------------------------------------------------------

@dataclass
class _Endpoint:
    """What the limiter knows about one endpoint: the last budget and its own recent send times."""

    budget: Budget | None = None
    sent: deque[float] = field(default_factory=lambda: deque(maxlen=1000))


class Limiter:
    """Paces calls to the budget the exchange reports; waits only when it is used up.

    Before each call it waits if (a) the client-side IP window is full, or
    (b) the last reply of that endpoint said ``X-Bapi-Limit-Status: 0``, until
    the endpoint's window frees a slot: the later of the reply's reset
    timestamp and one window (1 s) after the oldest of the last ``limit``
    calls it sent there. After each call it reads the new headers.

    ``key`` names an endpoint: :meth:`wrap` uses the pybit method name and the
    ``category`` argument (trade limits differ per category). A refused call
    (10006) is counted too: its reset timestamp says exactly when to retry.

    After an HTTP 403 (the IP ban) the limiter sends nothing until the ban
    ends: it raises :class:`IpBanned` at once, or waits if the ban ends within
    ``wait_ban_up_to_s`` seconds.

    ``clock`` (seconds, wall time: reset timestamps are wall time) and
    ``sleep`` can be replaced, e.g. by a fake clock in tests. ``history`` holds
    one dict per call; :meth:`history_frame` shows them as a table.
    """

    def __init__(self, ip_requests: int = limits.IP_REQUESTS, ip_window_s: float = limits.IP_WINDOW_S,
                 endpoint_window_s: float = limits.ENDPOINT_WINDOW_S, *, margin_s: float = DEFAULT_MARGIN_S,
                 wait_ban_up_to_s: float = 0.0, ban_s: float = limits.IP_BAN_S,
                 clock: Clock = time.time, sleep: Sleep = time.sleep) -> None:
        self.ip = RollingWindow(ip_requests, ip_window_s, clock, margin_s)
        self.endpoint_window_s = endpoint_window_s
        self.margin_s = margin_s
        self.wait_ban_up_to_s = wait_ban_up_to_s
        self.ban_s = ban_s
        self.clock = clock
        self.sleep = sleep
        self.started = clock()
        self.banned_until: float | None = None
        self.endpoints: dict[Any, _Endpoint] = {}
        self.history: list[dict[str, Any]] = []

    @classmethod
    def for_profile(cls, name: str, **kwargs: Any) -> Limiter:
        """A limiter sized for one of the local exchange's profiles (``"bybit"`` or ``"teaching"``).

        Only the IP window needs sizing: per-endpoint budgets come from the headers.
        ``"bybit"`` is Bybit's own numbers (:mod:`bybit_spec.limits`); the other
        profiles exist only on the local exchange, so only they ask it for theirs.
        """
        if name == "bybit":
            kwargs.setdefault("ban_s", limits.IP_BAN_S)
            return cls(limits.IP_REQUESTS, limits.IP_WINDOW_S, limits.ENDPOINT_WINDOW_S, **kwargs)
        # the other profiles are the local exchange's own: ask it for theirs
        from local_exchange.limits import profile

        p = profile(name)
        kwargs.setdefault("ban_s", p.ip_ban_ms / 1000)
        return cls(p.ip_requests, p.ip_window_ms / 1000, p.endpoint_window_ms / 1000, **kwargs)

    # -- before a call ---------------------------------------------------------------------
    def _endpoint_delay(self, state: _Endpoint) -> float:
        budget = state.budget
        if budget is None or budget.remaining > 0:
            return 0.0
        now = self.clock()
        wake = budget.reset_ms / 1000
        if state.sent:
            # the slot of the oldest of the last `limit` calls frees one window after it was sent
            n = min(budget.limit, len(state.sent)) if budget.limit > 0 else 1
            wake = max(wake, state.sent[-n] + self.endpoint_window_s)
        return max(0.0, wake + self.margin_s - now)

    def _ban_delay(self) -> float:
        if self.banned_until is None:
            return 0.0
        left = self.banned_until - self.clock()
        if left <= 0:
            self.banned_until = None
            return 0.0
        if left > self.wait_ban_up_to_s:
            raise IpBanned(left)
        return left

    def wait(self, key: Any = None) -> float:
        """Wait until a call to ``key`` may go, count it as sent, and return the seconds waited."""
        state = self.endpoints.setdefault(key, _Endpoint())
        waited = 0.0
        while True:
            delay = max(self._ban_delay(), self.ip.delay(), self._endpoint_delay(state))
            if delay <= 0:
                break
            self.sleep(delay)
            waited += delay
            if state.budget is not None and self._endpoint_delay(state) <= 0:
                state.budget = None     # the window moved on: the next reply tells the new budget
        self.ip.record()
        state.sent.append(self.clock())
        return waited

    # -- after a call ----------------------------------------------------------------------
    def update(self, key: Any, headers: Mapping[str, str] | None) -> Budget | None:
        """Read the budget from a reply's headers for ``key`` (keeps the old one if there is none).

        The call is then counted as made *now*, when its reply came, rather than
        when it was sent: the exchange counted it somewhere in between, so a slot
        timed from the reply is never freed too early, however slow the machine.
        """
        state = self.endpoints.setdefault(key, _Endpoint())
        if state.sent:
            state.sent[-1] = self.clock()
        budget = read_headers(headers)
        if budget is not None:
            state.budget = budget
        return budget

    def note_ban(self, headers: Mapping[str, str] | None) -> float:
        """Remember an HTTP 403: no request until ``Retry-After`` seconds (else ``ban_s``); returns the seconds."""
        seconds = float(self.ban_s)
        if headers:
            lowered = {str(k).lower(): v for k, v in headers.items()}
            try:
                seconds = float(lowered["retry-after"])
            except (KeyError, TypeError, ValueError):
                pass
        self.banned_until = self.clock() + seconds
        return seconds

    def call(self, fn: Callable[..., Any], *args: Any, key: Any = None, **kwargs: Any) -> Any:
        """Call ``fn(*args, **kwargs)`` when the budget allows; returns what it returns, raises what it raises.

        If the result is pybit's ``(json, elapsed, headers)`` the headers are
        read; a pybit error carries its reply's headers in ``resp_headers``.
        """
        waited = self.wait(key)
        started = self.clock()
        outcome, headers = "ok", None
        try:
            result = fn(*args, **kwargs)
        except Exception as error:
            headers = getattr(error, "resp_headers", None)
            status = getattr(error, "status_code", None)
            if status == 403:
                outcome = "HTTP 403"
                self.note_ban(headers)
            elif isinstance(status, int) and status >= 10000:
                outcome = f"retCode {status}"
            else:
                outcome = type(error).__name__
            self._record(key, waited, started, headers, outcome)
            raise
        if isinstance(result, tuple) and len(result) == 3 and hasattr(result[2], "get"):
            headers = result[2]
            code = result[0].get("retCode") if isinstance(result[0], dict) else None
            if code:
                outcome = f"retCode {code}"
        self._record(key, waited, started, headers, outcome)
        return result

    def _record(self, key: Any, waited: float, started: float, headers: Mapping[str, str] | None,
                outcome: str) -> None:
        budget = self.update(key, headers)
        self.history.append({
            "t": round(started - self.started, 6), "key": key, "waited_s": round(waited, 6),
            "call_s": round(self.clock() - started, 6), "limit": budget.limit if budget else None,
            "remaining": budget.remaining if budget else None, "outcome": outcome,
        })

    def history_frame(self) -> pd.DataFrame:
        """One row per call: t (s since the limiter was made), key, waited_s, call_s, limit, remaining, outcome."""
        return pd.DataFrame(self.history, columns=["t", "key", "waited_s", "call_s", "limit", "remaining", "outcome"])

    def wrap(self, session: Any) -> LimitedSession:
        """``session`` (a pybit HTTP) with every method call paced by this limiter."""
        return LimitedSession(session, self)


class LimitedSession:
    """A pybit session whose methods go through a :class:`Limiter` (see :meth:`Limiter.wrap`).

    ``limited.get_positions(category="linear")`` is
    ``limiter.call(session.get_positions, category="linear", key=("get_positions", "linear"))``.
    Attributes that are not methods are the session's own. Make the session with
    ``return_response_headers=True``, or the limiter sees no budget and paces
    by the IP window alone.
    """

    def __init__(self, session: Any, limiter: Limiter) -> None:
        self.session = session
        self.limiter = limiter

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.session, name)
        if not callable(attr) or name.startswith("_"):
            return attr

        def paced(*args: Any, **kwargs: Any) -> Any:
            key = (name, kwargs.get("category", ""))
            return self.limiter.call(attr, *args, key=key, **kwargs)

        paced.__name__ = name
        paced.__doc__ = getattr(attr, "__doc__", None)
        return paced


# -- the old guard, and measuring guards ------------------------------------------------------------

def fixed_sleep_guard(fn: Callable[..., Any], seconds: float = 2.0, sleep: Sleep = time.sleep) -> Callable[..., Any]:
    """``fn`` followed by ``time.sleep(seconds)`` on every call: the guard older tutorials use.

    ::

        reply = session.get_positions(category="linear")
        time.sleep(2)        # "make sure we never break the rules"

    It never looks at the budget: 300 calls cost 600 s of sleeping whatever the limit is.
    """
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            sleep(seconds)

    guarded.__name__ = f"sleep_guarded_{getattr(fn, '__name__', 'call')}"
    return guarded


class RetryCounter(logging.Filter):
    """Counts pybit's "Retrying..." log lines (and hides them when ``quiet``)."""

    def __init__(self, quiet: bool = True) -> None:
        super().__init__()
        self.quiet = quiet
        self.retries = 0
        self.rate_limited = 0

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text.endswith("Retrying..."):
            self.retries += 1
        if "Hit the API rate limit" in text:
            self.rate_limited += 1
        return not self.quiet


@contextmanager
def pybit_retries(quiet: bool = True) -> Iterator[RetryCounter]:
    """Count the retries pybit makes by itself inside the ``with`` block (its log lines hidden if ``quiet``).

    ``counter.rate_limited`` counts 10006 replies pybit slept on; ``counter.retries`` every retry.
    """
    logger = logging.getLogger("pybit._http_manager")
    counter = RetryCounter(quiet)
    logger.addFilter(counter)
    try:
        yield counter
    finally:
        logger.removeFilter(counter)


@dataclass
class Run:
    """One guard's result over ``requests`` calls (see :func:`measure`)."""

    strategy: str
    requests: int
    seconds: float
    errors: int
    pybit_retries: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    done_at: list[float] = field(default_factory=list)   # seconds from the start when each call returned

    def row(self) -> dict[str, Any]:
        """The summary as one table row."""
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(self.error_kinds.items()))
        return {"strategy": self.strategy, "requests": self.requests, "seconds": round(self.seconds, 2),
                "errors": self.errors, "pybit_retries": self.pybit_retries, "error_kinds": kinds}


def error_kind(error: BaseException) -> str:
    """A short name for what went wrong: ``retCode 10006``, ``HTTP 403``, ``IpBanned``, ..."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and status >= 10000:
        return f"retCode {status}"
    if status == 403:
        return "HTTP 403"
    if isinstance(status, int):
        return f"{type(error).__name__} {status}"
    return type(error).__name__


def measure(strategy: str, call: Callable[[], Any], n: int, rest_before_s: float = 0.0,
            clock: Clock = time.perf_counter, sleep: Sleep = time.sleep) -> Run:
    """Call ``call()`` ``n`` times in a row and time it; an exception counts as an error (and the loop goes on).

    pybit's own retries (sleeping on 10006) are counted in ``pybit_retries``
    and their log lines hidden. A reply returned with a non-zero retCode (a
    session with ``ignore_codes``) counts as an error too. ``rest_before_s``
    waits before the clock starts, so the windows of an earlier run have
    passed and every strategy starts with a full budget.
    """
    if rest_before_s > 0:
        sleep(rest_before_s)
    run = Run(strategy, n, 0.0, 0)
    started = clock()
    with pybit_retries(quiet=True) as counter:
        for _ in range(n):
            try:
                result = call()
                reply = result[0] if isinstance(result, tuple) else result
                code = reply.get("retCode") if isinstance(reply, dict) else 0
                if code:
                    run.errors += 1
                    run.error_kinds[f"retCode {code}"] = run.error_kinds.get(f"retCode {code}", 0) + 1
            except Exception as error:
                run.errors += 1
                kind = error_kind(error)
                run.error_kinds[kind] = run.error_kinds.get(kind, 0) + 1
            run.done_at.append(clock() - started)
    run.seconds = clock() - started
    run.pybit_retries = counter.retries
    return run


def burst(call: Callable[[], Any], n: int, clock: Clock = time.perf_counter) -> pd.DataFrame:
    """Call ``call()`` ``n`` times as fast as possible, reading the budget of every reply; nothing paced.

    ``call`` should return pybit's ``(json, elapsed, headers)`` and not retry
    by itself (``connect.http(return_response_headers=True, retry_codes={10002},
    ignore_codes={10006})`` returns a 10006 reply instead of sleeping on it).
    Returns the same columns as :meth:`Limiter.history_frame`, for
    :func:`helpers.plots.rate_limit_timeline`.
    """
    rows: list[dict[str, Any]] = []
    started = clock()
    for _ in range(n):
        t = clock() - started
        outcome, budget = "ok", None
        try:
            result = call()
            if isinstance(result, tuple) and len(result) == 3:
                budget = read_headers(result[2])
                code = result[0].get("retCode") if isinstance(result[0], dict) else 0
                outcome = f"retCode {code}" if code else "ok"
        except Exception as error:
            outcome = error_kind(error)
            budget = read_headers(getattr(error, "resp_headers", None))
        rows.append({"t": round(t, 6), "key": None, "waited_s": 0.0, "call_s": round(clock() - started - t, 6),
                     "limit": budget.limit if budget else None,
                     "remaining": budget.remaining if budget else None, "outcome": outcome})
    return pd.DataFrame(rows, columns=["t", "key", "waited_s", "call_s", "limit", "remaining", "outcome"])


def extrapolate(run: Run, n: int) -> Run:
    """``run`` scaled to ``n`` calls at the same average pace (a fixed sleep costs the same every call).

    Honest only for guards whose cost per call does not depend on the budget,
    i.e. :func:`fixed_sleep_guard`; the strategy name says it was extrapolated.
    """
    per_call = run.seconds / run.requests if run.requests else 0.0
    errors = round(run.errors * n / run.requests) if run.requests else 0
    return Run(f"{run.strategy} (extrapolated from {run.requests})", n, per_call * n, errors)


def runs_frame(runs: list[Run]) -> pd.DataFrame:
    """Several :class:`Run` results as a table (columns strategy, requests, seconds, errors, pybit_retries, error_kinds)."""
    return pd.DataFrame([r.row() for r in runs],
                        columns=["strategy", "requests", "seconds", "errors", "pybit_retries", "error_kinds"])
