"""Bybit's error codes and messages, and the exception handlers raise to send one.

Every refusal the local exchange gives goes through :class:`BybitError`, so a
learner who moves from ``local`` to ``testnet`` sees the same ``retCode`` and the
same kind of ``retMsg``. Most errors travel as HTTP 200 with a non-zero
``retCode``; only a few (unknown path, IP ban) use another HTTP status.
"""
from __future__ import annotations

from dataclasses import dataclass


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


# General codes (reference/errors.md, section 2). Messages as observed live where known.
PARAM_ERROR = 10001
TIMESTAMP_ERROR = 10002
INVALID_KEY = 10003
SIGN_ERROR = 10004
PERMISSION_DENIED = 10005
TOO_MANY_VISITS = 10006
ROUTE_NOT_FOUND = 10017

# Derivatives order codes (section 3)
ORDER_NOT_EXISTS = 110001
INSUFFICIENT_AVAILABLE = 110007
ORDER_COMPLETED = 110008
QTY_TRUNCATED = 110017
LEVERAGE_NOT_MODIFIED = 110043
DUPLICATE_ORDER_LINK_ID = 110072
NOTIONAL_TOO_LOW = 110094

# Spot codes (section 4)
SPOT_INVALID_SYMBOL = 170121
SPOT_BALANCE_INSUFFICIENT = 170131
SPOT_PRICE_DECIMAL = 170134
SPOT_QTY_TOO_LOW = 170136
SPOT_QTY_DECIMAL = 170137
SPOT_VALUE_TOO_LOW = 170140
SPOT_ORDER_NOT_EXISTS = 170213


def param_error(message: str = "Request parameter error.") -> BybitError:
    """10001, the answer to any missing, malformed or out-of-range parameter."""
    return BybitError(PARAM_ERROR, message)


def too_many_visits() -> BybitError:
    """10006, the per-UID per-endpoint limit (HTTP 200, as Bybit sends it)."""
    return BybitError(TOO_MANY_VISITS, "Too many visits!")


def timestamp_error(req_ts: int | str, server_ts: int, recv_window: int | str) -> BybitError:
    """10002, with the observed live wording that names all three numbers."""
    return BybitError(
        TIMESTAMP_ERROR,
        "invalid request, please check your server timestamp or recv_window param. "
        f"req_timestamp[{req_ts}],server_timestamp[{server_ts}],recv_window[{recv_window}]",
    )


def invalid_key() -> BybitError:
    """10003: the key is unknown here (often: a key from another environment)."""
    return BybitError(INVALID_KEY, "API key is invalid.")


def sign_error(origin: str) -> BybitError:
    """10004, showing the string the server signed, as the live service does."""
    return BybitError(SIGN_ERROR, f"error sign! origin_string[{origin}]")
