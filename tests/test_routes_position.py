"""Position and margin settings answer as Bybit answers a cross-margin account in one-way mode."""
from __future__ import annotations

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session


@pytest.fixture(scope="module")
def session():
    with own_exchange() as exchange:
        yield pybit_session(exchange)


def refusal(call, **params) -> tuple[int, str]:
    with pytest.raises(InvalidRequestError) as caught:
        call(**params)
    return caught.value.status_code, caught.value.message


@pytest.mark.parametrize("method, params, code, words", [
    ("switch_position_mode", {"category": "linear", "symbol": "BTCUSDT", "mode": 0}, 110025, "has not been modified"),
    ("switch_position_mode", {"category": "inverse", "symbol": "BTCUSD", "mode": 3}, 110029, "Hedge mode is not"),
    ("switch_position_mode", {"category": "linear", "mode": 0}, 10001, "symbol or coin"),
    ("switch_position_mode", {"category": "linear", "symbol": "BTCUSDT", "mode": 1}, 10001, "mode invalid"),
    ("set_auto_add_margin", {"category": "linear", "symbol": "BTCUSDT", "autoAddMargin": 1}, 110076, "Only isolated"),
    ("set_auto_add_margin", {"category": "linear", "symbol": "NOPEUSDT", "autoAddMargin": 1}, 10001, "symbol invalid"),
    ("add_or_reduce_margin", {"category": "linear", "symbol": "BTCUSDT", "margin": "10"}, 110015, "cross margin mode"),
    ("add_or_reduce_margin", {"category": "linear", "symbol": "BTCUSDT"}, 10001, "'margin'"),
    ("set_margin_mode", {"setMarginMode": "REGULAR_MARGIN"}, 110026, "has not been modified"),
    ("set_margin_mode", {"setMarginMode": "PORTFOLIO_MARGIN"}, 10001, "portfolio margin is not simulated"),
    ("set_margin_mode", {"setMarginMode": "CROSS"}, 10001, "setMarginMode invalid"),
    ("switch_margin_mode", {"category": "linear", "symbol": "BTCUSDT", "tradeMode": 1, "buyLeverage": "5",
                            "sellLeverage": "5"}, 100028, "set_margin_mode(setMarginMode='ISOLATED_MARGIN')"),
])
def test_settings_answer_as_for_a_one_way_cross_margin_account(session, method, params, code, words):
    got_code, message = refusal(getattr(session, method), **params)
    assert got_code == code and words in message, message


def test_what_is_not_simulated_says_where_to_try_it(session):
    _, message = refusal(session.set_margin_mode, setMarginMode="PORTFOLIO_MARGIN")
    assert "BYBIT_ENV=testnet" in message
    info = session.get_account_info()["result"]
    assert info["marginMode"] == "REGULAR_MARGIN"          # what the refusals are true of
