"""bybit_spec: the protocol's facts, and that both sides read the same table rather than a copy."""
from __future__ import annotations

import hashlib
import hmac

from bybit_spec import errors, intervals, limits, orderbook, signature, topics
from helpers import klines as helper_klines
from helpers import limits as helper_limits
from helpers import signing as helper_signing
from helpers import topics as helper_topics
from helpers import urls as helper_urls
from local_exchange import auth, feeds, market, prices, ws_private
from local_exchange import errors as exchange_errors
from local_exchange import limits as exchange_limits


def test_signature_is_hmac_sha256_hex_of_the_joined_parts() -> None:
    text = "1700000000000demo-api-key5000category=linear&symbol=BTCUSDT"
    expected = hmac.new(b"demo-api-secret", text.encode(), hashlib.sha256).hexdigest()
    assert signature.sign("demo-api-secret", 1700000000000, "demo-api-key", 5000,
                          "category=linear&symbol=BTCUSDT") == expected
    # the exchange verifies over (prefix, raw bytes): the same digest
    assert auth.expected_signature("demo-api-secret", "1700000000000demo-api-key5000",
                                   b"category=linear&symbol=BTCUSDT") == expected
    # a second secret gets its own keyed HMAC, not the first one's
    assert signature.hmac_sha256_hex("other", text) != expected


def test_websocket_signature_signs_get_realtime_and_expires() -> None:
    expected = hmac.new(b"s", b"GET/realtime1700000000000", hashlib.sha256).hexdigest()
    assert signature.websocket_signature("s", 1700000000000) == expected
    assert ws_private.auth_signature("s", "1700000000000") == expected
    assert signature.websocket_auth_args("k", "s", 1700000000000) == ["k", 1700000000000, expected]


def test_matches_compares_and_survives_text_that_is_not_utf8() -> None:
    assert signature.matches("ab12", "ab12")
    assert not signature.matches("ab12", "ab13")
    assert not signature.matches("ab12", "\udcff")


def test_endpoint_limit_per_category_and_defaults() -> None:
    assert limits.endpoint_limit("/v5/order/create", "spot", "POST") == 20
    assert limits.endpoint_limit("/v5/order/create", "linear", "POST") == 10
    assert limits.endpoint_limit("/v5/order/cancel-all", "option", "POST") == 1
    assert limits.endpoint_limit("/v5/account/fee-rate", "linear") == 5
    assert limits.endpoint_limit("/v5/no/such", "linear", "POST") == limits.DEFAULT_POST
    assert limits.endpoint_limit("/v5/no/such", "linear", "GET") == limits.DEFAULT_GET


def test_orderbook_depths_are_the_push_table_keys() -> None:
    assert orderbook.ORDERBOOK_DEPTHS["linear"] == (1, 50, 200, 1000)
    assert orderbook.ORDERBOOK_DEPTHS["option"] == (25, 100)
    assert orderbook.ORDERBOOK_PUSH_MS["spot"][200] == 100


def test_both_sides_read_one_table() -> None:
    assert helper_klines.INTERVALS is intervals.KLINE_INTERVALS
    assert market.KLINE_INTERVALS is intervals.KLINE_INTERVALS
    assert prices.KLINE_INTERVALS is intervals.KLINE_INTERVALS
    assert feeds.BOOK_DEPTHS is orderbook.ORDERBOOK_PUSH_MS
    assert helper_topics.ORDERBOOK_PUSH_MS is orderbook.ORDERBOOK_PUSH_MS
    assert helper_topics.PRIVATE_TOPICS is topics.PRIVATE_TOPICS
    assert ws_private.TOPICS == {t: topics.PRIVATE_CATEGORIES.get(t, ()) for t in topics.PRIVATE_TOPICS}
    assert ws_private.PATH == topics.STREAM_PATHS["private"] == helper_urls._PATHS["private"]
    assert exchange_limits.BYBIT.endpoints is limits.ENDPOINT_LIMITS
    assert (exchange_limits.BYBIT.ip_requests, helper_limits.IP_REQUESTS) == (limits.IP_REQUESTS,) * 2
    assert exchange_errors.TOO_MANY_VISITS == errors.TOO_MANY_VISITS == 10006
    assert exchange_errors.too_many_visits().message == errors.MESSAGES[errors.TOO_MANY_VISITS]
    assert helper_signing.sign is signature.sign


def test_helpers_endpoint_rows_follow_the_spec_numbers() -> None:
    rows = {(e.path, e.category): e for e in helper_limits.ENDPOINTS}
    assert rows[("/v5/order/create", "spot")].limit == 20
    assert rows[("/v5/order/cancel-all", "option")].limit == 1
    assert rows[("/v5/position/list", "inverse, linear, option")].limit == 50
    for (path, category), row in rows.items():
        assert path in limits.ENDPOINT_LIMITS
        assert row.limit == limits.endpoint_limit(path, category.split(", ")[0], row.method)
