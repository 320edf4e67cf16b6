"""Logging set up on purpose, so notebook outputs stay the same from run to run.

Left alone, pybit decides for you: when it creates a session and Python's root
logger has no handler yet, it attaches its own handler that writes to
**stderr** with a timestamp on every line. nbval compares stderr, and a
timestamp differs on every run.

:func:`setup_logging` (called by ``helpers.connect`` before it creates any
pybit object) does this instead:

* one handler on the root logger, writing to **stdout** as
  ``LEVEL logger.name: message`` (no timestamps);
* level ``WARNING`` for everything, pybit included. pybit's retry messages
  are ``ERROR`` lines, so a rate-limit retry (retCode 10006) or a clock-skew
  retry (10002) still shows up, for example::

      ERROR pybit._http_manager: invalid request, please check your server timestamp ... Retrying...

* handlers pybit already attached to its own loggers (from a session created
  before this ran) are removed, so no line is printed twice.

Calling it again changes nothing. If you configured logging yourself (the root
logger already has a handler), your configuration is kept and only the levels
and pybit's own handlers are adjusted.

To see everything pybit does, including each request it sends, lower the
level and ask pybit to log requests::

    import logging
    logging.getLogger("pybit").setLevel(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    session = helpers.connect.http(log_requests=True)
"""
from __future__ import annotations

import logging
import sys

FORMAT = "%(levelname)s %(name)s: %(message)s"
PYBIT_LOGGERS = ("pybit", "pybit._http_manager", "pybit._websocket_stream",
                 "pybit._websocket_trading", "pybit.unified_trading")


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the moment of each message.

    Jupyter and pytest replace ``sys.stdout``; binding to the object seen at
    setup time would send later messages to the wrong place.
    """

    course_handler = True

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


class _NoGoodbye(logging.Filter):
    """Drops websocket-client's ``"<error> - goodbye"`` line.

    When a connection is lost, pybit reports it (``ERROR pybit._websocket_stream:
    ... encountered error: ...``) and reconnects; websocket-client then logs the
    same error once more, after the reconnection, at no fixed moment relative to
    the cell's own output.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().endswith(" - goodbye")


def _course_handler(logger: logging.Logger) -> logging.Handler | None:
    return next((h for h in logger.handlers if getattr(h, "course_handler", False)), None)


def setup_logging(level: int = logging.WARNING) -> logging.Handler | None:
    """Configure logging for the course (idempotent). Returns the course's handler, if it added one."""
    root = logging.getLogger()
    handler = _course_handler(root)
    if handler is None and not root.handlers:
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    for name in PYBIT_LOGGERS:
        logger = logging.getLogger(name)
        for h in list(logger.handlers):
            # pybit's own handler: a plain StreamHandler it attached to its module logger
            if type(h) is logging.StreamHandler:
                logger.removeHandler(h)
    logging.getLogger("pybit").setLevel(level)
    websocket_log = logging.getLogger("websocket")
    if not any(isinstance(f, _NoGoodbye) for f in websocket_log.filters):
        websocket_log.addFilter(_NoGoodbye())
    return handler
