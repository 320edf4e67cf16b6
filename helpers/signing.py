"""Bybit's request signature, computed by hand.

Every private V5 request carries ``X-BAPI-SIGN``: an HMAC-SHA256, keyed with your
API secret, over one string::

    timestamp + api_key + recv_window + payload

where ``payload`` is the query string of a GET (exactly as sent) or the JSON body
of a POST (exactly as sent). The server recomputes it over the bytes it received;
if one character differs you get retCode 10004 ``error sign!``.

The functions live once, in :mod:`bybit_spec.signature`: the local exchange
verifies every request with them, and a notebook compares them with the headers
``pybit`` sends. This module is the name the notebooks use.
"""
from __future__ import annotations

from bybit_spec.signature import (
                                  DEFAULT_RECV_WINDOW,
                                  hmac_sha256_hex,
                                  json_body,
                                  query_string,
                                  sign,
                                  signed_headers,
                                  string_to_sign,
                                  websocket_auth_args,
                                  websocket_signature,
)

__all__ = ["DEFAULT_RECV_WINDOW", "hmac_sha256_hex", "json_body", "query_string", "sign", "signed_headers",
           "string_to_sign", "websocket_auth_args", "websocket_signature"]
