"""helpers.limits: the rate limits as data agree with the reference and with the local exchange."""
from __future__ import annotations

import pytest

from helpers import limits
from local_exchange import limits as exchange_limits

# Bybit's numbers, copied by hand from reference/rate-limits.md ("Rate Limit Rules"), not from the code:
# (method, path, category, requests per second).
REFERENCE = [
    ("POST", "/v5/order/create", "inverse", 10), ("POST", "/v5/order/create", "linear", 10),
    ("POST", "/v5/order/create", "option", 10), ("POST", "/v5/order/create", "spot", 20),
    ("POST", "/v5/order/amend", "linear", 10), ("POST", "/v5/order/amend", "spot", 10),
    ("POST", "/v5/order/cancel", "linear", 10), ("POST", "/v5/order/cancel", "spot", 20),
    ("POST", "/v5/order/cancel-all", "linear", 10), ("POST", "/v5/order/cancel-all", "option", 1),
    ("POST", "/v5/order/cancel-all", "spot", 20),
    ("POST", "/v5/order/create-batch", "linear", 10), ("POST", "/v5/order/create-batch", "spot", 20),
    ("GET", "/v5/order/realtime", "linear", 50), ("GET", "/v5/order/history", "spot", 50),
    ("GET", "/v5/execution/list", "linear", 50),
    ("GET", "/v5/position/list", "linear", 50), ("GET", "/v5/position/list", "option", 50),
    ("POST", "/v5/position/set-leverage", "linear", 10),
    ("GET", "/v5/account/wallet-balance", "", 50), ("GET", "/v5/account/info", "", 50),
    ("GET", "/v5/account/fee-rate", "", 5),
]


def test_ip_limit_numbers():
    # reference: "no more than 600 requests in any 5-second window"; "wait >= 10 min"
    assert (limits.IP_REQUESTS, limits.IP_WINDOW_S, limits.IP_BAN_S) == (600, 5.0, 600)
    assert exchange_limits.BYBIT.ip_requests == 600
    assert exchange_limits.BYBIT.ip_window_ms == 5_000
    assert exchange_limits.BYBIT.ip_ban_ms == 600_000


@pytest.mark.parametrize("method, path, category, per_second", REFERENCE)
def test_endpoint_limits_are_the_reference_numbers(method, path, category, per_second):
    assert limits.endpoint_limit(path, category or "linear") == per_second          # the lesson's table
    served = exchange_limits.RateLimiter("bybit").limit_for(method, path, category)
    assert served == per_second                                                     # what the exchange enforces


def test_endpoint_limit_lookup():
    assert limits.endpoint_limit("/v5/order/create", "spot") == 20
    assert limits.endpoint_limit("/v5/order/create", "linear") == 10
    assert limits.endpoint_limit("/v5/order/cancel-all", "option") == 1
    assert limits.endpoint_limit("/v5/position/list", "option") == 50
    assert limits.endpoint_limit("/v5/market/tickers") is None


def test_tables_have_their_columns_and_sources():
    assert list(limits.ip_table().columns) == ["rule", "value", "source"]
    assert list(limits.endpoint_table().columns) == ["method", "path", "category", "per_second", "upgradable"]
    ws = limits.websocket_table()
    assert ws["source"].str.len().gt(0).all()
    assert any("500" in v for v in ws["value"])
    history = limits.history_table()
    assert "50 req/s for 2 consecutive minutes, 70 req/s for 5 consecutive seconds" in history["ip_limit"].iloc[0]
    assert history["ip_limit"].iloc[-1].startswith("600")
    assert history["source"].str.contains("§").all()
    assert set(limits.headers_table()["header"]) == {"X-Bapi-Limit", "X-Bapi-Limit-Status",
                                                     "X-Bapi-Limit-Reset-Timestamp"}
