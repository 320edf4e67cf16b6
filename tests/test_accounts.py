"""Accounts: test funds, the registry, wallet-balance / account-info / query-api shapes."""
from __future__ import annotations

import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from local_exchange.accounts import Accounts, Position, fmt, fmt_dp, money
from local_exchange.envelope import encode
from local_exchange.matching import amend_order, cancel_all, cancel_order, place_order, set_leverage, sweep_account
from local_exchange.params import Params

sys.path.insert(0, str(Path(__file__).parent))
from test_matching import NOW, FakeMarket  # noqa: E402  (the shared fake market)

COIN_FIELDS = {"coin", "equity", "usdValue", "walletBalance", "free", "locked", "spotHedgingQty",
               "borrowAmount", "availableToWithdraw", "availableToBorrow", "accruedInterest",
               "totalOrderIM", "totalPositionIM", "totalPositionMM", "unrealisedPnl", "cumRealisedPnl",
               "bonus", "marginCollateral", "collateralSwitch", "colRes", "spotBorrow"}
ACCOUNT_FIELDS = {"accountType", "accountIMRate", "accountMMRate", "totalEquity", "totalWalletBalance",
                  "totalMarginBalance", "totalAvailableBalance", "totalPerpUPL", "totalInitialMargin",
                  "totalMaintenanceMargin", "accountIMRateByMp", "accountMMRateByMp",
                  "totalInitialMarginByMp", "totalMaintenanceMarginByMp", "accountLTV", "coin"}


@pytest.fixture
def market() -> FakeMarket:
    return FakeMarket()


def test_registry_and_test_funds(market):
    accounts = Accounts(market)
    a = accounts.add("key-a", "secret-a")
    b = accounts.add("key-b", "secret-b")
    assert accounts.get("key-a") is a and accounts.get("nope") is None and len(accounts) == 2
    assert a.uid != b.uid and isinstance(a.uid, int) and isinstance(a.created, int)
    assert a.wallet == {"USDT": D(100000), "BTC": D(1), "ETH": D(10)}
    a.wallet["USDT"] -= 1
    assert b.wallet["USDT"] == 100000                    # wallets are not shared
    with pytest.raises(ValueError):
        accounts.add("key-a", "other")


def test_number_formatting():
    assert fmt(D("1.2300")) == "1.23" and fmt(D("0E-8")) == "0" and fmt(D("1E+2")) == "100"
    assert fmt_dp(D("1600"), D("0.01")) == "1600.00" and fmt_dp(D("100000.1"), D("0.10")) == "100000.10"
    assert money(D("1.123456789")) == "1.12345679"


def test_wallet_balance_shape_and_filters(market):
    a = Accounts(market).add("k", "s")
    item = a.wallet_balance(market, NOW)
    assert set(item) == ACCOUNT_FIELDS and item["accountType"] == "UNIFIED"
    assert [c["coin"] for c in item["coin"]] == ["BTC", "ETH", "USDT"]
    for c in item["coin"]:
        assert set(c) == COIN_FIELDS
        assert c["marginCollateral"] is True and c["collateralSwitch"] is True
        assert all(isinstance(v, str) for k, v in c.items() if k not in ("marginCollateral", "collateralSwitch"))
    # total = 100000 + 1 x 100000 + 10 x 3000
    assert item["totalEquity"] == "230000" and item["totalWalletBalance"] == "230000"
    a.wallet["ETH"] = D(0)
    assert [c["coin"] for c in a.wallet_balance(market, NOW)["coin"]] == ["BTC", "USDT"]
    only = a.wallet_balance(market, NOW, ["ETH", "SOL"])
    assert [(c["coin"], c["walletBalance"]) for c in only["coin"]] == [("ETH", "0"), ("SOL", "0")]


def test_wallet_reflects_positions_and_orders(market):
    a = Accounts(market).add("k", "s")
    place_order(a, market, Params(dict(category="linear", symbol="BTCUSDT", side="Buy",
                                       orderType="Market", qty="0.5")), NOW)
    place_order(a, market, Params(dict(category="linear", symbol="ETHUSDT", side="Buy",
                                       orderType="Limit", qty="1", price="2000")), NOW)
    place_order(a, market, Params(dict(category="spot", symbol="BTCUSDT", side="Sell",
                                       orderType="Limit", qty="0.25", price="200000")), NOW)
    market.prices["BTCUSDT"] = D("101000.1")
    usdt = a.wallet_balance(market, NOW, ["USDT"])["coin"][0]
    assert usdt["unrealisedPnl"] == "500"                       # (101000.1 − 100000.1) × 0.5
    assert usdt["totalPositionIM"] == "5000.005"                # 50000.05 / 10
    assert usdt["totalOrderIM"] == "200"                        # 2000 / 10
    fee = D("50000.05") * D("0.00055")
    assert D(usdt["walletBalance"]) == 100000 - fee
    assert D(usdt["equity"]) == 100000 - fee + 500
    btc = a.wallet_balance(market, NOW, ["BTC"])["coin"][0]
    assert btc["locked"] == "0.25"
    assert a.available("BTC", market, NOW) == D("0.75")
    assert a.available("USDT", market, NOW) == 100000 - fee + 500 - D("5000.005") - 200


def test_position_row_when_flat(market):
    inst = market.instrument("linear", "BTCUSDT")
    row = Position(symbol="BTCUSDT").to_dict(inst, D("100000"), D("0.00055"))
    assert row["side"] == "" and row["size"] == "0.000" and row["avgPrice"] == "0"
    assert row["leverage"] == "10" and row["liqPrice"] == "" and row["markPrice"] == "100000.00"
    assert isinstance(row["positionIdx"], int) and isinstance(row["seq"], int)
    assert isinstance(row["isReduceOnly"], bool) and isinstance(row["adlRankIndicator"], int)


def test_account_info_and_api_key_info(market):
    a = Accounts(market).add("my-key", "my-secret")
    info = a.account_info()
    assert info["unifiedMarginStatus"] in (5, 6) and info["marginMode"] == "REGULAR_MARGIN"
    assert info["isMasterTrader"] is False and isinstance(info["updatedTime"], str)
    key = a.api_key_info()
    assert key["apiKey"] == "my-key" and key["secret"] == "" and key["readOnly"] == 0
    assert key["ips"] == ["*"] and key["userID"] == a.uid
    assert set(key["permissions"]) == {"ContractTrade", "Spot", "Wallet", "Options", "Derivatives",
                                       "CopyTrading", "BlockTrade", "Exchange", "NFT", "Affiliate",
                                       "Earn", "FiatP2P", "FiatBitPay", "FiatConvertBroker", "BitCard",
                                       "ByXPost"}
    assert all(isinstance(v, list) for v in key["permissions"].values())
    assert key["createdAt"].endswith("Z") and "my-secret" not in str(key)


def test_failing_listener_does_not_break_trading(market):
    a = Accounts(market).add("k", "s")
    got = []

    def broken(topic, data):
        raise RuntimeError("consumer bug")

    a.listeners += [broken, lambda topic, data: got.append(topic)]
    o = place_order(a, market, Params(dict(category="spot", symbol="ETHUSDT", side="Sell",
                                           orderType="Market", qty="0.1")), NOW)
    assert o.status == "Filled" and got == ["order", "execution", "wallet"]


def test_accounts_sweep_fills_resting_orders(market):
    accounts = Accounts(market)
    a = accounts.add("k", "s")
    o = place_order(a, market, Params(dict(category="linear", symbol="ETHUSDT", side="Buy",
                                           orderType="Limit", qty="0.5", price="2990")), NOW)
    accounts.sweep(market, NOW + 100)
    assert o.status == "New"
    market.prices["ETHUSDT"] = D("2989.5")
    accounts.sweep(market, NOW + 200)
    assert o.status == "Filled" and a.positions["ETHUSDT", 0].avg_price == 2990
    assert a.executions[-1].is_maker and a.executions[-1].fee == D("1495") * D("0.0002")


# ---- the cached wallet view -----------------------------------------------------------------
COIN_CHOICES = (None, ["USDT", "BTC"], [], ["ETH", "SOL"])


def assert_fresh(a, market) -> None:
    """The cached bytes equal a fresh computation, for every kind of ``coin`` filter."""
    for coins in COIN_CHOICES:
        assert a.wallet_balance_json(market, NOW, coins) == encode({"list": [a.wallet_balance(market, NOW, coins)]})


def test_wallet_json_is_cached_until_something_changes(market):
    a = Accounts(market).add("k", "s")
    assert_fresh(a, market)
    first = a.wallet_balance_json(market, NOW)
    assert a.wallet_balance_json(market, NOW + 1) is first              # same state, same prices: reused
    spot = Params(dict(category="spot", symbol="BTCUSDT", side="Buy", orderType="Market", qty="1000"))
    place_order(a, market, spot, NOW)                                   # a fill, at the very same ms
    after = a.wallet_balance_json(market, NOW)
    assert after != first and b'"coin":"BTC"' in after
    assert_fresh(a, market)


def test_wallet_json_follows_every_kind_of_change(market):
    a = Accounts(market).add("k", "s")
    place = lambda **kw: place_order(a, market, Params(kw), NOW)  # noqa: E731
    steps = [
        lambda: place(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.5"),
        lambda: market.prices.__setitem__("BTCUSDT", D("101000.1")),       # the price moves, nothing else
        lambda: place(category="linear", symbol="ETHUSDT", side="Buy", orderType="Limit", qty="1",
                      price="2000", orderLinkId="eth-rest"),
        lambda: amend_order(a, market, Params(dict(category="linear", symbol="ETHUSDT",
                                                   orderLinkId="eth-rest", price="1900")), NOW),
        lambda: set_leverage(a, market, Params(dict(category="linear", symbol="BTCUSDT",
                                                    buyLeverage="5", sellLeverage="5")), NOW),
        lambda: place(category="spot", symbol="BTCUSDT", side="Sell", orderType="Limit", qty="0.25",
                      price="200000", orderLinkId="spot-rest"),
        lambda: cancel_order(a, market, Params(dict(category="spot", symbol="BTCUSDT",
                                                    orderLinkId="spot-rest")), NOW),
        lambda: place(category="spot", symbol="ETHUSDT", side="Buy", orderType="Limit", qty="1",
                      price="2099"),
        lambda: market.prices.__setitem__("ETHUSDT", D("2099")),
        lambda: sweep_account(a, market, NOW),          # the spot buy fills: same prices, new balances
        lambda: cancel_all(a, market, Params(dict(category="linear", symbol="ETHUSDT")), NOW),
    ]
    previous = a.wallet_balance_json(market, NOW)
    for step in steps:
        step()
        assert_fresh(a, market)
        current = a.wallet_balance_json(market, NOW)
        assert current != previous        # every step changed the answer (none is a no-op)
        previous = current
    assert not a.open_ids and a.wallet["ETH"] == D("10.999")


def test_wallet_json_asked_by_a_listener_during_an_operation(market):
    """A listener that asks for the wallet while an operation publishes sees the new state."""
    a = Accounts(market).add("k", "s")
    a.wallet_balance_json(market, NOW)                       # cached before the operation
    answers = []
    a.listeners.append(lambda topic, data: answers.append(
        (a.wallet_balance_json(market, NOW), encode({"list": [a.wallet_balance(market, NOW)]}))))
    place_order(a, market, Params(dict(category="spot", symbol="ETHUSDT", side="Sell",
                                       orderType="Market", qty="0.1")), NOW)
    assert answers and all(cached == fresh for cached, fresh in answers)
    assert_fresh(a, market)


def test_wallet_json_after_an_operation_that_failed_half_way(market, monkeypatch):
    """A change cut short by an error is still seen: the version moves before and after each operation."""
    import local_exchange.matching as matching

    a = Accounts(market).add("k", "s")
    before = a.wallet_balance_json(market, NOW)

    def half_done(account, *args, **kwargs):
        account.wallet["USDT"] -= 1
        raise RuntimeError("bug in the middle of a fill")

    monkeypatch.setattr(matching, "_take_then_rest", half_done)
    with pytest.raises(RuntimeError):
        place_order(a, market, Params(dict(category="spot", symbol="BTCUSDT", side="Buy",
                                           orderType="Market", qty="1000")), NOW)
    assert a.wallet_balance_json(market, NOW) != before
    assert_fresh(a, market)


def test_wallet_json_after_an_edit_by_hand_and_touch(market):
    a = Accounts(market).add("k", "s")
    a.wallet_balance_json(market, NOW)
    a.wallet["SOL"] = D("3")
    a.touch()                                  # what code that edits an account by hand must do
    assert b'"coin":"SOL"' in a.wallet_balance_json(market, NOW)
    assert_fresh(a, market)
