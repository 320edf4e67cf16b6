"""Bybit's error codes and messages, and the exception handlers raise to send one.

Every refusal the local exchange gives goes through :class:`BybitError`, so a
learner who moves from ``local`` to ``testnet`` sees the same ``retCode`` and the
same kind of ``retMsg``. Most errors travel as HTTP 200 with a non-zero
``retCode``; only a few (unknown path, IP ban) use another HTTP status.
The codes and fixed messages are a fact of the protocol, kept once in
:mod:`bybit_spec.errors` and re-exported here.
"""
from __future__ import annotations

from dataclasses import dataclass

from bybit_spec.errors import (  # noqa: F401 (re-exported)
    DUPLICATE_ORDER_LINK_ID,
    INSUFFICIENT_AVAILABLE,
    INSUFFICIENT_FOR_LEVERAGE,
    INVALID_KEY,
    IP_BANNED,
    LEVERAGE_NOT_MODIFIED,
    MESSAGES,
    NOTIONAL_TOO_LOW,
    OP_NOT_FOUND,
    ORDER_COMPLETED,
    ORDER_NOT_EXISTS,
    PARAM_ERROR,
    PERMISSION_DENIED,
    QTY_TRUNCATED,
    ROUTE_NOT_FOUND,
    SERVER_ERROR,
    SIGN_ERROR,
    SPOT_BALANCE_INSUFFICIENT,
    SPOT_DUPLICATE_LINK_ID,
    SPOT_INVALID_SYMBOL,
    SPOT_ORDER_NOT_EXISTS,
    SPOT_PRICE_DECIMAL,
    SPOT_QTY_DECIMAL,
    SPOT_QTY_TOO_LARGE,
    SPOT_QTY_TOO_LOW,
    SPOT_VALUE_TOO_LOW,
    TIMESTAMP_ERROR,
    TOO_MANY_VISITS,
)


@dataclass
class BybitError(Exception):
    """An error answered in Bybit's envelope.

    ``code`` is the ``retCode``, ``message`` the ``retMsg`` and ``http_status``
    the HTTP status of the reply (200 for business errors, as Bybit does).
    """

    code: int
    message: str
    http_status: int = 200

    def __str__(self) -> str:
        return f"{self.message} (ErrCode: {self.code})"


def param_error(message: str = MESSAGES[PARAM_ERROR]) -> BybitError:
    """10001, the answer to any missing, malformed or out-of-range parameter."""
    return BybitError(PARAM_ERROR, message)


def too_many_visits() -> BybitError:
    """10006, the per-UID per-endpoint limit (HTTP 200, as Bybit sends it)."""
    return BybitError(TOO_MANY_VISITS, MESSAGES[TOO_MANY_VISITS])


def timestamp_error(req_ts: int | str, server_ts: int, recv_window: int | str) -> BybitError:
    """10002, with the observed live wording that names all three numbers."""
    return BybitError(
        TIMESTAMP_ERROR,
        "invalid request, please check your server timestamp or recv_window param. "
        f"req_timestamp[{req_ts}],server_timestamp[{server_ts}],recv_window[{recv_window}]",
    )


def invalid_key() -> BybitError:
    """10003: the key is unknown here (often: a key from another environment)."""
    return BybitError(INVALID_KEY, MESSAGES[INVALID_KEY])


def sign_error(origin: str) -> BybitError:
    """10004, showing the string the server signed, as the live service does."""
    return BybitError(SIGN_ERROR, f"{MESSAGES[SIGN_ERROR]} origin_string[{origin}]")


def fixed(code: int) -> BybitError:
    """The refusal ``code`` with Bybit's fixed wording (:data:`MESSAGES`)."""
    return BybitError(code, MESSAGES[code])
