"""Compact UTF-8 JSON, the way Bybit writes its replies, with no web framework behind it.

One encoder for REST envelopes, WebSocket messages and cached results alike.
The model (market, accounts, feeds) encodes with it and so never needs aiohttp;
:mod:`local_exchange.envelope` wraps the bytes in web responses.
"""
from __future__ import annotations

import json
from typing import Any

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_dumps_ascii = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


def encode(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, exactly as it appears inside an envelope or a frame.

    A string holding a lone surrogate (``"\\ud800"`` is valid JSON, and a reply may
    echo what a client sent) has no UTF-8 form; such a value is written with
    ASCII ``\\u`` escapes instead, which every JSON reader decodes to the same value.
    """
    try:
        return _dumps(value).encode()
    except UnicodeEncodeError:
        return _dumps_ascii(value).encode()
