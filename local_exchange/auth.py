"""Checking a private request's signature, exactly as Bybit does.

A private V5 request carries four headers::

    X-BAPI-API-KEY       which key (and so which account)
    X-BAPI-TIMESTAMP     the client's clock, in ms
    X-BAPI-RECV-WINDOW   how stale the request may be, in ms (default 5000)
    X-BAPI-SIGN          HMAC-SHA256(secret, timestamp + key + recv_window + payload), hex

(pybit adds ``X-BAPI-SIGN-TYPE: 2``; it is optional and only HMAC is checked here.)
The ``payload`` is the query string of a GET or the JSON body of a POST **as the
bytes arrived**. The server never re-serializes them: pybit sorts GET
parameters and sends ``{"a": 1}`` with spaces, other clients keep insertion order
or send ``{"a":1}``; each signs what it sends, so each verifies.

The checks, in order, and the answer to each failure (all HTTP 200):

=====================================  =====  ==============================================
failure                                code   retMsg
=====================================  =====  ==============================================
key, timestamp or signature missing    10001  ``empty value: apiTimestamp[..] apiKey[..] apiSignature[..]``
                                              (the wording of Bybit's gateway)
recv-window header not a number        10001  ``params error: X-BAPI-RECV-WINDOW invalid``
key unknown here                       10003  ``API key is invalid.``
demo key from another machine          10003  ``API key is invalid. ...`` plus why
timestamp outside the window           10002  ``invalid request, please check your server timestamp ...``
signature does not match               10004  ``error sign! origin_string[<what was signed>]``
=====================================  =====  ==============================================

The timestamp must satisfy ``server_time - recv_window <= timestamp < server_time + 1000``.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bybit_spec import signature as spec_signature
from bybit_spec.demo import DEMO_API_KEY

from .errors import INVALID_KEY, BybitError, invalid_key, param_error, sign_error, timestamp_error

if TYPE_CHECKING:
    from .accounts import Account, Accounts

DEFAULT_RECV_WINDOW = str(spec_signature.DEFAULT_RECV_WINDOW)
FUTURE_TOLERANCE_MS = 1000

_loopback_cache: dict[str, bool] = {}


def is_loopback(remote: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (the same machine); False for anything else or unknown."""
    if remote is None:
        return False
    known = _loopback_cache.get(remote)
    if known is None:
        try:
            known = ipaddress.ip_address(remote.split("%", 1)[0]).is_loopback
        except ValueError:
            known = False
        if len(_loopback_cache) < 10_000:
            _loopback_cache[remote] = known
    return known


def demo_key_refused() -> BybitError:
    """10003 for the built-in demo key used from another machine, saying why."""
    return BybitError(
        INVALID_KEY,
        "API key is invalid. The built-in demo key is only accepted from the machine the local "
        "exchange runs on; ask for your own key, or start the server with --allow-demo-key-remote.",
    )


def expected_signature(secret: str, prefix: str, payload: bytes) -> str:
    """HMAC-SHA256 hex of ``prefix + payload`` (prefix = timestamp + key + recv_window).

    The one implementation is :func:`bybit_spec.signature.hmac_sha256_hex`.
    """
    return spec_signature.hmac_sha256_hex(secret, prefix, payload)


def authenticate(
    headers: Mapping[str, str],
    payload: bytes,
    accounts: Accounts,
    now_ms: int,
    remote: str | None = None,
    allow_demo_remote: bool = False,
) -> Account:
    """The account a private request acts for, or :class:`BybitError` saying why not.

    ``payload`` is the raw query string (GET, without the ``?``) or the raw body
    (POST), as bytes received.
    """
    api_key = headers.get("X-BAPI-API-KEY") or ""
    timestamp = headers.get("X-BAPI-TIMESTAMP") or ""
    signature = headers.get("X-BAPI-SIGN") or ""
    if not api_key or not timestamp or not signature:
        raise param_error(
            f"empty value: apiTimestamp[{timestamp}] apiKey[{api_key}] apiSignature[{signature}]"
        )
    recv_window = headers.get("X-BAPI-RECV-WINDOW") or DEFAULT_RECV_WINDOW
    try:
        window = int(recv_window)
    except ValueError:
        raise param_error("params error: X-BAPI-RECV-WINDOW invalid (expected milliseconds)") from None

    account = accounts.get(api_key)
    if account is None:
        raise invalid_key()
    if api_key == DEMO_API_KEY and not allow_demo_remote and not is_loopback(remote):
        raise demo_key_refused()

    try:
        ts = int(timestamp)
    except ValueError:
        raise timestamp_error(timestamp, now_ms, recv_window) from None
    if not (now_ms - window <= ts < now_ms + FUTURE_TOLERANCE_MS):
        raise timestamp_error(timestamp, now_ms, recv_window)

    prefix = timestamp + api_key + recv_window
    expected = expected_signature(account.api_secret, prefix, payload)
    if not spec_signature.matches(expected, signature):
        raise sign_error(prefix + payload.decode("utf-8", "replace"))
    return account
