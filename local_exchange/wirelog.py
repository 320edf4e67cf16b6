"""The wire log: what the local exchange saw on each HTTP request, kept in memory.

A notebook can show a learner exactly what pybit put on the wire: the path, the
raw query string or JSON body, the ``X-BAPI-*`` headers (signature included) and
the answer's HTTP status and ``retCode``. Read it in Python with
``exchange.wire.entries(10)`` or over HTTP with ``GET /local/wire?limit=10``.

The log is bounded twice: in entries (``ExchangeConfig.wire_log_size``, oldest
dropped first) and in bytes (:data:`MAX_BYTES`), because one server may serve a
whole classroom and anyone can send 1 MiB bodies. Each entry keeps at most
:data:`BODY_BYTES` bytes of the body (the entry's text then ends with a note
saying how much arrived), the shown headers only, each cut to
:data:`HEADER_CHARS` characters, and the path cut to :data:`PATH_CHARS`.

The API key is masked, ``demo****``, so an output cell never shows a whole key.
The signature stays visible: it is useless without the secret and changes on
every request. Bytes that are not UTF-8 (a header sent by a broken client) are
shown as U+FFFD, so the log always serialises to JSON.

Recording is cheap on purpose: the server appends one tuple per request and only
turns tuples into dicts when someone asks for :meth:`WireLog.entries`.
"""
from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from typing import Any

#: Request headers copied into an entry (compared case-insensitively).
SHOWN_HEADERS = (
    "X-BAPI-API-KEY",
    "X-BAPI-TIMESTAMP",
    "X-BAPI-SIGN",
    "X-BAPI-SIGN-TYPE",
    "X-BAPI-RECV-WINDOW",
    "Content-Type",
)
#: How much of a request body an entry shows, in characters.
BODY_LIMIT = 2000
#: How much of a request body an entry keeps, in bytes (enough for BODY_LIMIT characters).
BODY_BYTES = BODY_LIMIT * 4
#: How much of one header value, and of the path with its query, an entry keeps.
HEADER_CHARS = 256
PATH_CHARS = 4096
#: The most the whole log holds, in bytes of kept bodies, paths and headers (oldest dropped first).
MAX_BYTES = 8 * 1024 * 1024
#: What every entry costs besides its text (the tuple and its small objects), counted in MAX_BYTES.
ENTRY_OVERHEAD = 400


def mask_key(api_key: str) -> str:
    """``"demo-api-key"`` -> ``"demo****"``: enough to tell keys apart, never the whole key."""
    return api_key[:4] + "****"


def printable(text: str) -> str:
    """``text`` with any undecodable byte (kept by aiohttp as a lone surrogate) shown as U+FFFD.

    aiohttp decodes header values with ``surrogateescape``: a byte that is not
    UTF-8 becomes a lone surrogate, which no UTF-8 encoder accepts.
    """
    if text.isascii():
        return text
    try:
        text.encode()
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:      # a surrogate that stands for no byte ("\ud800")
        return text.encode("utf-8", "replace").decode()


def _ret_code(head: bytes) -> int | None:
    """The ``retCode`` at the start of an envelope body (``{"retCode":0,...``), or None."""
    marker = b'"retCode":'
    at = head.find(marker)
    if at < 0:
        return None
    digits = bytearray()
    for byte in head[at + len(marker):]:
        if byte == 0x20 and not digits:
            continue
        if 0x30 <= byte <= 0x39 or (byte == 0x2D and not digits):
            digits.append(byte)
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return None


class WireLog:
    """A bounded, newest-last record of HTTP requests and their answers.

    ``size`` bounds the number of entries, ``max_bytes`` the bytes they keep.
    """

    def __init__(self, size: int = 500, max_bytes: int = MAX_BYTES) -> None:
        self.size = max(0, int(size))
        self.max_bytes = max(0, int(max_bytes))
        self._items: deque[tuple] = deque()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        """What the kept entries weigh, as counted against ``max_bytes``."""
        return self._bytes

    def record(
        self,
        time_ms: int,
        method: str,
        raw_path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        status: int,
        reply_head: bytes | None,
        notes: tuple[str, ...] = (),
    ) -> None:
        """Keep one request. Called by the server on every request.

        ``raw_path`` is the path with its query exactly as received, ``headers``
        the request's header mapping (only :data:`SHOWN_HEADERS` are kept),
        ``reply_head`` the first bytes of the JSON reply, from which
        :meth:`entries` reads the ``retCode``, ``notes`` what the exchange noticed
        about a request Bybit answers in silence (:mod:`.wirenotes`). Bodies, paths and header values
        are cut here, so a huge request costs the log no more than a small one.
        """
        if not self.size:
            return
        shown: tuple[tuple[str, str], ...] = ()
        if headers:
            shown = tuple((name, value[:HEADER_CHARS]) for name in SHOWN_HEADERS
                          if (value := headers.get(name)) is not None)
        received = 0
        if body is not None:
            received = len(body)
            if received > BODY_BYTES:
                body = body[:BODY_BYTES]
        if len(raw_path) > PATH_CHARS:
            raw_path = raw_path[:PATH_CHARS]
        cost = (ENTRY_OVERHEAD + len(raw_path) + (len(body) if body else 0)
                + sum(len(v) for _, v in shown) + (len(reply_head) if reply_head else 0)
                + sum(len(n) for n in notes))
        items = self._items
        items.append((time_ms, method, raw_path, shown, body, received, status, reply_head, notes, cost))
        self._bytes += cost
        while items and (len(items) > self.size or self._bytes > self.max_bytes):
            self._bytes -= items.popleft()[-1]

    def clear(self) -> None:
        """Forget every entry (a notebook does this before showing one request)."""
        self._items.clear()
        self._bytes = 0

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` entries (all when None), oldest first, as plain dicts.

        Each dict has ``time`` (ms), ``method``, ``path``, ``query`` (raw, as on
        the wire), ``body`` (raw text; a long one is cut and ends with a note
        saying how many bytes arrived), ``headers`` (the ``X-BAPI-*`` ones and
        ``Content-Type``, API key masked), ``status``, ``retCode`` and ``notes``
        (mistakes Bybit answers in silence, such as a misspelled optional
        parameter or a time in seconds; usually empty, see :mod:`.wirenotes`).
        """
        items = list(self._items)
        if limit is not None:
            items = items[-limit:] if limit > 0 else []
        return [self._as_dict(item) for item in items]

    @staticmethod
    def _as_dict(item: tuple) -> dict[str, Any]:
        time_ms, method, raw_path, shown_headers, body, received, status, reply_head, notes, _ = item
        path, _, query = printable(raw_path).partition("?")
        shown: dict[str, str] = {}
        for name, value in shown_headers:
            value = printable(value)
            shown[name] = mask_key(value) if name == "X-BAPI-API-KEY" else value
        text = ""
        if body:
            text = body.decode("utf-8", "replace")
            if len(text) > BODY_LIMIT or received > len(body):
                text = (text[:BODY_LIMIT] + f"… [truncated: {received} bytes received, "
                        f"the first {min(len(text), BODY_LIMIT)} characters shown]")
        return {
            "time": time_ms,
            "method": method,
            "path": path,
            "query": query,
            "body": text,
            "headers": shown,
            "status": status,
            "retCode": _ret_code(reply_head) if reply_head else None,
            "notes": list(notes),
        }

    def to_json(self, limit: int | None = None) -> str:
        """The entries as a JSON array (what ``GET /local/wire`` answers); always encodable as UTF-8."""
        return json.dumps(self.entries(limit), ensure_ascii=False)
