"""Bybit's response envelope: ``{"retCode", "retMsg", "result", "retExtInfo", "time"}``.

Every JSON reply of the local exchange is built here, so the shape is written once.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .clock import now_ms

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
CONTENT_TYPE = "application/json"


def body(result: Any = None, code: int = 0, message: str = "OK", time_ms: int | None = None) -> dict:
    """The envelope as a dict; ``result`` defaults to ``{}`` as Bybit sends on errors."""
    return {
        "retCode": code,
        "retMsg": message,
        "result": {} if result is None else result,
        "retExtInfo": {},
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
