"""Bybit's request signature: the one implementation, used to sign and to verify.

Every private V5 request carries ``X-BAPI-SIGN``: an HMAC-SHA256, keyed with the
API secret, over one string::

    timestamp + api_key + recv_window + payload

where ``payload`` is the query string of a GET (exactly as sent) or the JSON body
of a POST (exactly as sent). The server recomputes it over the bytes it received;
if one character differs the reply is retCode 10004 ``error sign!``. A private
WebSocket ``auth`` signs ``"GET/realtime" + expires`` the same way.

The local exchange verifies with :func:`hmac_sha256_hex` and
:func:`websocket_signature`; :mod:`helpers.signing` teaches the same functions
and a notebook compares them with the headers ``pybit`` sends.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

DEFAULT_RECV_WINDOW = 5000
"""``X-BAPI-RECV-WINDOW`` when a request sends none (ms): how old a timestamp may be."""

_keyed: dict[str, hmac.HMAC] = {}
_KEYED_MAX = 10_000


def query_string(params: Mapping[str, Any]) -> str:
    """The GET query string as pybit builds it: keys sorted, ``None`` dropped, no URL-encoding."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v is not None)


def json_body(params: Mapping[str, Any]) -> str:
    """The POST body as pybit builds it: ``json.dumps`` with its default ``", "`` and ``": "``."""
    return json.dumps(dict(params))


def string_to_sign(timestamp: int | str, api_key: str, recv_window: int | str, payload: str) -> str:
    """``timestamp + api_key + recv_window + payload``, the text Bybit signs."""
    return f"{timestamp}{api_key}{recv_window}{payload}"


def hmac_sha256_hex(secret: str, *parts: str | bytes) -> str:
    """HMAC-SHA256 over ``parts`` (joined as they are) keyed with ``secret``, as lowercase hex.

    Keying an HMAC with the secret costs as much as hashing a short request, so
    each secret's keyed HMAC is made once and every call continues from a
    ``copy()`` of it; the kept object itself is never updated.
    """
    keyed = _keyed.get(secret)
    if keyed is None:
        keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        if len(_keyed) < _KEYED_MAX:
            _keyed[secret] = keyed
    mac = keyed.copy()
    for part in parts:
        mac.update(part.encode() if isinstance(part, str) else part)
    return mac.hexdigest()


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


def websocket_signature(secret: str, expires: int | str) -> str:
    """The signature of a private-stream ``auth``: HMAC-SHA256 hex of ``"GET/realtime" + expires``."""
    return hmac_sha256_hex(secret, f"GET/realtime{expires}")


def websocket_auth_args(api_key: str, secret: str, expires_ms: int) -> list[str | int]:
    """The ``args`` of a private WebSocket ``auth`` frame: ``[api_key, expires, signature]``."""
    return [api_key, expires_ms, websocket_signature(secret, expires_ms)]


def matches(expected: str, received: str) -> bool:
    """Whether a received signature equals the expected one, compared in constant time.

    A signature header may hold any text (aiohttp keeps a byte that is not UTF-8
    as a lone surrogate); such text never matches.
    """
    return hmac.compare_digest(expected.encode(), received.encode("utf-8", "replace"))
