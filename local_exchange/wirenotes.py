"""Notes on mistakes Bybit answers in silence, for the wire log.

Bybit does not refuse everything that is wrong. Two mistakes come back as a
normal reply, ``retCode 0``, and quietly do something other than what was meant:

* **an optional parameter misspelled**: ``get_kline(..., limt=5)`` sends
  ``limt=5``; Bybit ignores a name it does not know and returns its default of
  200 candles;
* **a time in seconds** where Bybit expects milliseconds: ``start=1700000000``
  is read as 1970-01-20, so the window asked for is not the one meant.

The local exchange answers exactly as Bybit does (the same reply, no extra
field), because a course that warns where Bybit does not would teach the wrong
habit. Instead the **wire log** notes the mistake next to the request, where
``connect.wire()`` and ``GET /local/wire`` show it::

    parameter `limt` is not one this endpoint takes
    start=1700000000 looks like seconds, Bybit expects milliseconds (as ms it is 1970-01-20)

Which names an endpoint takes is not written in a table here: it is whatever
the endpoint's handler asked :class:`~local_exchange.params.Params` for
(``Params.asked``), remembered per path, so the notes follow the handlers as
they grow. A name is noted only after a successful reply (a refused request may
stop before the handler reads everything), and only when the handler has never
asked for it on that path (some handlers read a name only in one branch).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .params import Params

#: Parameters holding a time in milliseconds (market data and the trade history endpoints).
TIME_PARAMETERS = ("start", "end", "startTime", "endTime")
#: A millisecond time below this is before 1973-03-03: too early for any Bybit data. Unix times in
#: *seconds* of the years 2001 to 2286 lie between 10**9 and 10**10, below it.
SECONDS_BELOW = 10**11
#: The smallest value read as a time in seconds (2001-09-09).
SECONDS_FROM = 10**9
#: How a successful reply starts (:mod:`.envelope` writes the keys in this order, without spaces).
SUCCESS_HEAD = b'{"retCode":0,'
#: The most paths remembered (a bound on memory: anyone can send requests to made-up paths).
MAX_PATHS = 1024


def _date(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d")


def seconds_note(name: str, value: object) -> str | None:
    """A note when ``value`` of the time parameter ``name`` looks like Unix seconds, else None."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    if not SECONDS_FROM <= number < SECONDS_BELOW:
        return None
    return (f"{name}={number} looks like seconds, Bybit expects milliseconds "
            f"(as ms it is {_date(number)}; {number * 1000} would be {_date(number * 1000)})")


class WireNotes:
    """Remembers which parameter names each path's handler reads, and notes the rest.

    One instance lives in the exchange's middleware; :meth:`notes` is called
    once per request, after the handler ran.
    """

    def __init__(self) -> None:
        self.taken: dict[str, set[str]] = {}

    def notes(self, path: str, sent: Iterable[str], asked: set[str], values: dict[str, object],
              succeeded: bool) -> tuple[str, ...]:
        """The notes for one request to ``path``.

        ``sent`` are the names the request carried, ``asked`` the names its
        handler read, ``values`` the sent values of the time parameters, and
        ``succeeded`` whether the reply was ``retCode 0``.
        """
        taken = self.taken.get(path)
        if taken is None:
            if len(self.taken) >= MAX_PATHS:
                self.taken.clear()
            taken = self.taken[path] = set()
        taken |= asked
        if not succeeded:
            return ()
        found: list[str] = []
        for name in dict.fromkeys(sent):    # a name sent twice is noted once
            if name not in taken:
                found.append(f"parameter `{name}` is not one this endpoint takes")
        for name in TIME_PARAMETERS:
            if name in asked and name in values:
                note = seconds_note(name, values[name])
                if note:
                    found.append(note)
        return tuple(found)

    def for_request(self, path: str, params: Params | None, status: int, reply: object) -> tuple[str, ...]:
        """:meth:`notes` for one HTTP request, as the middleware sees it (``params`` None: never parsed)."""
        if params is None:
            return ()
        succeeded = status == 200 and isinstance(reply, bytes) and reply.startswith(SUCCESS_HEAD)
        values = {name: params.data.get(name) for name in TIME_PARAMETERS if name in params.data}
        return self.notes(path, params.data.keys(), params.asked, values, succeeded)
