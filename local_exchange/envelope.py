"""Bybit's response envelope: ``{"retCode", "retMsg", "result", "retExtInfo", "time"}``.

Every JSON reply of the local exchange is built here, so the shape is written once.

Two ways to answer with success:

* :func:`ok` takes the ``result`` as Python data and encodes the whole envelope;
* :func:`ok_json` takes a ``result`` that is *already encoded* (with
  :func:`local_exchange.encoding.encode`, which the model uses without aiohttp)
  and only writes the envelope around it. A handler whose result stays the same
  for a while (a ticker within its 100 ms price step) encodes it once and serves
  the bytes many times; only ``time`` is new in each reply. Both produce the
  same bytes for the same result.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from .clock import now_ms
from .encoding import _dumps, encode  # noqa: F401 (re-exported: the web layer encodes through here)

CONTENT_TYPE = "application/json"


def body(result: Any = None, code: int = 0, message: str = "OK", time_ms: int | None = None,
         ext: dict | None = None) -> dict:
    """The envelope as a dict; ``result`` defaults to ``{}`` as Bybit sends on errors (``ext``: ``retExtInfo``)."""
    return {
        "retCode": code,
        "retMsg": message,
        "result": {} if result is None else result,
        "retExtInfo": {} if ext is None else ext,
        "time": now_ms() if time_ms is None else time_ms,
    }


def reply(payload: dict, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with Bybit's content type (``application/json; charset=utf-8``)."""
    return web.Response(
        body=_dumps(payload).encode(),
        status=status,
        headers=headers,
        content_type=CONTENT_TYPE,
        charset="utf-8",
    )


def ok(result: Any = None, message: str = "OK") -> web.Response:
    """A success reply carrying ``result``."""
    return reply(body(result, 0, message))


_OK_HEAD = b'{"retCode":0,"retMsg":"OK","result":'


def ok_json(result_json: bytes, message: str = "OK") -> web.Response:
    """A success reply around an already encoded ``result`` (see :func:`encode`).

    ``ok_json(encode(r))`` sends the very bytes ``ok(r)`` sends; the key order is
    the one :func:`body` writes.
    """
    head = _OK_HEAD if message == "OK" else b'{"retCode":0,"retMsg":' + encode(message) + b',"result":'
    payload = b"".join((head, result_json, b',"retExtInfo":{},"time":', str(now_ms()).encode(), b"}"))
    return web.Response(body=payload, content_type=CONTENT_TYPE, charset="utf-8")
