"""The envelope: ``ok_json`` around pre-encoded bytes sends exactly what ``ok`` sends."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from local_exchange import envelope

RESULTS = [
    {},
    {"category": "linear", "list": [{"symbol": "BTCUSDT", "lastPrice": "100000.10", "flag": True, "n": 3}]},
    {"list": [{"coin": [{"coin": "BTC", "note": "café ✓"}], "nested": {"a": [1, 2, {"b": None}]}}]},
    [1, "two", 3.5],
]


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> int:
    """Both replies must carry the same ``time`` to be compared byte for byte."""
    monkeypatch.setattr(envelope, "now_ms", lambda: 1_718_198_243_456)
    return 1_718_198_243_456


@pytest.mark.parametrize("result", RESULTS)
@pytest.mark.parametrize("message", ["OK", "", "success"])
def test_ok_json_sends_the_bytes_ok_sends(frozen: int, result: object, message: str) -> None:
    fast = envelope.ok_json(envelope.encode(result), message=message)
    slow = envelope.ok(result, message=message)
    assert fast.body == slow.body
    assert fast.headers["Content-Type"] == slow.headers["Content-Type"] == "application/json; charset=utf-8"
    assert fast.status == slow.status == 200
    decoded = json.loads(fast.body)
    assert list(decoded) == ["retCode", "retMsg", "result", "retExtInfo", "time"]
    assert decoded["time"] == frozen and decoded["retMsg"] == message and decoded["result"] == result


def test_encode_is_compact_utf8() -> None:
    assert envelope.encode({"a": [1, "é"], "b": {}}) == '{"a":[1,"é"],"b":{}}'.encode()
    with pytest.raises(TypeError):          # Decimals must be formatted to strings first, as Bybit sends them
        envelope.encode({"x": Decimal("1")})
