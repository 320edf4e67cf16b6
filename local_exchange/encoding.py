"""Compact UTF-8 JSON, the way Bybit writes its replies, with no web framework behind it.

One encoder for REST envelopes, WebSocket messages and cached results alike.
The model (market, accounts, feeds) encodes with it and so never needs aiohttp;
:mod:`local_exchange.envelope` wraps the bytes in web responses.
"""
from __future__ import annotations

import json
from typing import Any

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encode(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, exactly as it appears inside an envelope."""
    return _dumps(value).encode()
