"""The wire log: what the local exchange saw on each HTTP request, kept in memory.

A notebook can show a learner exactly what pybit put on the wire: the path, the
raw query string or JSON body, the ``X-BAPI-*`` headers (signature included) and
the answer's HTTP status and ``retCode``. Read it in Python with
``exchange.wire.entries(10)`` or over HTTP with ``GET /local/wire?limit=10``.

The log is bounded (``ExchangeConfig.wire_log_size`` entries, oldest dropped
first) and the API key is masked, ``demo****``, so an output cell never shows a
whole key. The signature stays visible: it is useless without the secret and
changes on every request.

Recording is cheap on purpose: the server appends one tuple per request and only
turns tuples into dicts when someone asks for :meth:`WireLog.entries`.
"""
from __future__ import annotations

import json
from collections import deque
from typing import Any, Mapping

#: Request headers copied into an entry (compared case-insensitively).
SHOWN_HEADERS = (
    "X-BAPI-API-KEY",
    "X-BAPI-TIMESTAMP",
    "X-BAPI-SIGN",
    "X-BAPI-SIGN-TYPE",
    "X-BAPI-RECV-WINDOW",
    "Content-Type",
)
#: How much of a request body an entry keeps, in characters.
BODY_LIMIT = 2000


def mask_key(api_key: str) -> str:
    """``"demo-api-key"`` -> ``"demo****"``: enough to tell keys apart, never the whole key."""
    return api_key[:4] + "****"


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
    """A bounded, newest-last record of HTTP requests and their answers."""

    def __init__(self, size: int = 500) -> None:
        self.size = max(0, int(size))
        self._items: deque[tuple] = deque(maxlen=self.size)

    def __len__(self) -> int:
        return len(self._items)

    def record(
        self,
        time_ms: int,
        method: str,
        raw_path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        status: int,
        reply_head: bytes | None,
    ) -> None:
        """Keep one request. Called by the server on every request; stores references only.

        ``raw_path`` is the path with its query exactly as received, ``headers``
        the request's (immutable) header mapping, ``reply_head`` the first bytes
        of the JSON reply, from which :meth:`entries` reads the ``retCode``.
        """
        if self.size:
            self._items.append((time_ms, method, raw_path, headers, body, status, reply_head))

    def clear(self) -> None:
        """Forget every entry (a notebook does this before showing one request)."""
        self._items.clear()

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` entries (all when None), oldest first, as plain dicts.

        Each dict has ``time`` (ms), ``method``, ``path``, ``query`` (raw, as on
        the wire), ``body`` (raw text, truncated), ``headers`` (the ``X-BAPI-*``
        ones and ``Content-Type``, API key masked), ``status`` and ``retCode``.
        """
        items = list(self._items)
        if limit is not None:
            items = items[-limit:] if limit > 0 else []
        return [self._as_dict(item) for item in items]

    @staticmethod
    def _as_dict(item: tuple) -> dict[str, Any]:
        time_ms, method, raw_path, headers, body, status, reply_head = item
        path, _, query = raw_path.partition("?")
        shown: dict[str, str] = {}
        for name in SHOWN_HEADERS:
            value = headers.get(name)
            if value is not None:
                shown[name] = mask_key(value) if name == "X-BAPI-API-KEY" else value
        text = ""
        if body:
            text = body[:BODY_LIMIT * 4].decode("utf-8", "replace")
            if len(text) > BODY_LIMIT:
                text = text[:BODY_LIMIT] + "…"
        return {
            "time": time_ms,
            "method": method,
            "path": path,
            "query": query,
            "body": text,
            "headers": shown,
            "status": status,
            "retCode": _ret_code(reply_head) if reply_head else None,
        }

    def to_json(self, limit: int | None = None) -> str:
        """The entries as a JSON array (what ``GET /local/wire`` answers)."""
        return json.dumps(self.entries(limit), ensure_ascii=False)
