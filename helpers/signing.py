"""Bybit's request signature, computed by hand.

Every private V5 request carries ``X-BAPI-SIGN``: an HMAC-SHA256, keyed with your
API secret, over one string::

    timestamp + api_key + recv_window + payload

where ``payload`` is the query string of a GET (exactly as sent) or the JSON body
of a POST (exactly as sent). The server recomputes it over the bytes it received;
if one character differs you get retCode 10004 ``error sign!``.

The local exchange verifies signatures with these same functions, and a notebook
compares them with the headers ``pybit`` sends.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Mapping

DEFAULT_RECV_WINDOW = 5000


def query_string(params: Mapping[str, Any]) -> str:
    """The GET query string as pybit builds it: keys sorted, ``None`` dropped, no URL-encoding."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v is not None)


def json_body(params: Mapping[str, Any]) -> str:
    """The POST body as pybit builds it: ``json.dumps`` with its default ``", "`` and ``": "``."""
    return json.dumps(dict(params))


def string_to_sign(timestamp: int | str, api_key: str, recv_window: int | str, payload: str) -> str:
    """``timestamp + api_key + recv_window + payload``, the text Bybit signs."""
    return f"{timestamp}{api_key}{recv_window}{payload}"


def hmac_sha256_hex(secret: str, text: str | bytes) -> str:
    """HMAC-SHA256 of ``text`` keyed with ``secret``, as lowercase hex (Bybit's HMAC signature)."""
    data = text.encode() if isinstance(text, str) else text
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int | str, api_key: str, recv_window: int | str, payload: str) -> str:
    """The ``X-BAPI-SIGN`` value for one request."""
    return hmac_sha256_hex(secret, string_to_sign(timestamp, api_key, recv_window, payload))


def signed_headers(
    api_key: str,
    secret: str,
    timestamp: int,
    payload: str,
    recv_window: int = DEFAULT_RECV_WINDOW,
) -> dict[str, str]:
    """The five authentication headers pybit sends with a private request."""
    return {
        "X-BAPI-API-KEY": api_key,
        "X-BAPI-SIGN": sign(secret, timestamp, api_key, recv_window, payload),
        "X-BAPI-SIGN-TYPE": "2",
        "X-BAPI-TIMESTAMP": str(timestamp),
        "X-BAPI-RECV-WINDOW": str(recv_window),
    }


def websocket_auth_args(api_key: str, secret: str, expires_ms: int) -> list[str | int]:
    """The ``args`` of a private WebSocket ``auth`` frame: HMAC over ``"GET/realtime" + expires``."""
    return [api_key, expires_ms, hmac_sha256_hex(secret, f"GET/realtime{expires_ms}")]
