"""helpers.limits: the rate limits as data agree with the reference and with the local exchange."""
from __future__ import annotations

from helpers import limits
from local_exchange import limits as exchange_limits


def test_ip_limit_numbers():
    assert (limits.IP_REQUESTS, limits.IP_WINDOW_S, limits.IP_BAN_S) == (600, 5.0, 600)
    assert exchange_limits.BYBIT.ip_requests == limits.IP_REQUESTS
    assert exchange_limits.BYBIT.ip_window_ms == limits.IP_WINDOW_S * 1000
    assert exchange_limits.BYBIT.ip_ban_ms == limits.IP_BAN_S * 1000


def test_endpoint_limits_match_the_local_exchange_real_profile():
    for e in limits.ENDPOINTS:
        category = "linear" if e.category in ("all",) or "linear" in e.category else e.category
        served = exchange_limits._lookup(exchange_limits.BYBIT, e.method, e.path, category)
        assert served == e.limit, (e.path, e.category)


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
