"""The transaction log and the fee rates: every balance change is logged, and the logs add up to the wallet."""
from __future__ import annotations

import random
from decimal import Decimal as D

import pytest
import requests
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session
from test_matching import NOW, FakeMarket

from local_exchange.accounts import TEST_FUNDS, Accounts
from local_exchange.catalog import _ms
from local_exchange.errors import BybitError
from local_exchange.funding import funding_amount, settle_funding
from local_exchange.market import Market
from local_exchange.matching import place_order, sweep_account
from local_exchange.params import Params


def random_session(seed: int):
    """An account after 150 random spot and linear orders on a moving fake market."""
    market = FakeMarket()
    rng = random.Random(seed)
    account = Accounts(market).add("ledger", "s")
    for step in range(150):
        sym = rng.choice(["BTCUSDT", "ETHUSDT"])
        tick = D("0.10") if sym == "BTCUSDT" else D("0.01")
        market.prices[sym] += tick * rng.randint(-40, 40)
        category = rng.choice(["spot", "linear"])
        inst = market.instrument(category, sym)
        side = rng.choice(["Buy", "Sell"])
        kind = rng.choice(["Market", "Limit"])
        qty = inst.qty_step * rng.randint(1, 600 if sym == "BTCUSDT" else 4000) * (1000 if category == "spot" else 1)
        p = {"category": category, "symbol": sym, "side": side, "orderType": kind, "qty": str(qty)}
        if kind == "Limit":
            p["price"] = str(market.prices[sym] + inst.tick_size * rng.randint(-30, 30))
        elif category == "spot" and side == "Buy":
            p["marketUnit"] = "baseCoin"
        try:
            place_order(account, market, Params(p), NOW + step)
        except BybitError:
            pass
        sweep_account(account, market, NOW + step)
    return account


@pytest.mark.parametrize("seed", range(4))
def test_each_coins_log_adds_up_to_its_wallet_balance(seed):
    account = random_session(seed)
    assert sum(1 for e in account.ledger if e.type == "TRADE") >= 50
    for coin, balance in account.wallet.items():
        entries = [e for e in account.ledger if e.currency == coin]
        assert sum(e.change for e in entries) == balance, coin
        assert entries[-1].cash_balance == balance, coin           # cashBalance: the balance after each entry
        running = D(0)
        for e in entries:
            running += e.change
            assert e.cash_balance == running


def test_every_fill_is_logged_with_its_fee_and_pnl():
    account = random_session(7)
    trades = [e for e in account.ledger if e.type == "TRADE"]
    linear = [e for e in account.executions if e.category == "linear"]
    by_trade = {e.trade_id: e for e in trades if e.category == "linear"}
    for fill in linear:
        entry = by_trade[fill.exec_id]
        assert (entry.fee, entry.cash_flow, entry.qty, entry.fee_rate) == (fill.fee, fill.pnl, fill.qty, fill.fee_rate)
        assert entry.change == fill.pnl - fill.fee
    spot = [e for e in account.executions if e.category == "spot"]
    assert len([e for e in trades if e.category == "spot"]) == 2 * len(spot)      # one entry per coin moved
    assert [e.type for e in account.ledger[:len(TEST_FUNDS)]] == ["TRANSFER_IN"] * len(TEST_FUNDS)


# ---------------------------------------------------------------------------------------------
# over REST, through pybit
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exchange():
    """An exchange of this module's own, so that no other test's trades show in its logs."""
    with own_exchange(("ledger-key", "ledger-secret")) as running:
        yield running


@pytest.fixture
def session(exchange):
    return pybit_session(exchange, "ledger-key", "ledger-secret")


def test_fee_rates_are_the_rates_charged(session):
    linear = session.get_fee_rates(category="linear", symbol="ETHUSDT")["result"]
    assert set(linear) == {"list"} and linear["list"] == [
        {"symbol": "ETHUSDT", "takerFeeRate": "0.00055", "makerFeeRate": "0.0002"}]
    session.place_order(category="linear", symbol="ETHUSDT", side="Buy", orderType="Market", qty="0.10")
    fill = session.get_executions(category="linear", symbol="ETHUSDT", limit=1)["result"]["list"][0]
    assert fill["feeRate"] == linear["list"][0]["takerFeeRate"]
    spot = session.get_fee_rates(category="spot")["result"]
    assert spot["category"] == "spot" and len(spot["list"]) > 10
    option = session.get_fee_rates(category="option", baseCoin="BTC")["result"]
    assert option["list"] == [{"symbol": "", "baseCoin": "BTC", "takerFeeRate": "0.0003", "makerFeeRate": "0.0003"}]
    session.place_order(category="linear", symbol="ETHUSDT", side="Sell", orderType="Market", qty="0.10",
                        reduceOnly=True)


def test_the_log_shows_a_round_trip_and_matches_the_wallet(session):
    usdt_before = D(session.get_wallet_balance(accountType="UNIFIED", coin="USDT")["result"]["list"][0]["coin"][0]
                    ["walletBalance"])
    for side in ("Buy", "Sell"):
        session.place_order(category="linear", symbol="ETHUSDT", side=side, orderType="Market", qty="0.10",
                            reduceOnly=side == "Sell")
    log = session.get_transaction_log(accountType="UNIFIED", category="linear", currency="USDT", limit=2)["result"]
    close, open_ = log["list"]
    assert (open_["type"], open_["side"], close["side"]) == ("TRADE", "Buy", "Sell")
    assert open_["size"] == "0.1" and close["size"] == "0"
    fills = session.get_executions(category="linear", symbol="ETHUSDT", limit=2)["result"]["list"]
    assert {D(open_["fee"]), D(close["fee"])} == {D(f["execFee"]) for f in fills}
    assert D(open_["change"]) == -D(open_["fee"]) and D(open_["cashFlow"]) == 0
    assert D(close["change"]) == D(close["cashFlow"]) - D(close["fee"])
    usdt_after = D(session.get_wallet_balance(accountType="UNIFIED", coin="USDT")["result"]["list"][0]["coin"][0]
                   ["walletBalance"])
    assert usdt_after - usdt_before == D(open_["change"]) + D(close["change"])
    assert D(close["cashBalance"]) == usdt_after


def test_the_log_pages_and_filters(session):
    for _ in range(3):
        session.place_order(category="spot", symbol="ETHUSDT", side="Buy", orderType="Market", qty="0.01",
                            marketUnit="baseCoin")
    first = session.get_transaction_log(category="spot", currency="ETH", limit=2)["result"]
    assert len(first["list"]) == 2 and first["nextPageCursor"]
    second = session.get_transaction_log(category="spot", currency="ETH", limit=2, cursor=first["nextPageCursor"])
    ids = [e["id"] for e in first["list"] + second["result"]["list"]]
    assert len(ids) == len(set(ids)) >= 3
    assert all(e["currency"] == "ETH" and D(e["qty"]) > 0 for e in first["list"])
    transfers = session.get_transaction_log(type="TRANSFER_IN", startTime=0, endTime=7 * 86_400_000)["result"]
    assert transfers["list"] == []                      # 1970: nothing yet
    by_base = session.get_transaction_log(baseCoin="ETH", category="spot")["result"]["list"]
    assert by_base and all(e["symbol"] == "ETHUSDT" for e in by_base)


@pytest.mark.parametrize("params, words", [
    ({"accountType": "CONTRACT"}, "accountType only support UNIFIED"),
    ({"limit": "51"}, "limit invalid"),
    ({"type": "GIFT"}, "type invalid"),
    ({"startTime": "0", "endTime": str(8 * 86_400_000)}, "cannot exceed 7 days"),
    ({"startTime": "100", "endTime": "50"}, "must not be earlier"),
])
def test_bad_log_parameters_get_10001(session, params, words):
    with pytest.raises(InvalidRequestError) as caught:
        session.get_transaction_log(**params)
    assert caught.value.status_code == 10001 and words in caught.value.message


def test_fee_rate_needs_a_known_category_and_symbol(session):
    assert session.get_fee_rates()["result"] == session.get_fee_rates(category="linear")["result"]   # the default
    for params, words in (({"category": "linear", "symbol": "NOPEUSDT"}, "symbol invalid"),
                          ({"category": "option", "baseCoin": "NOPE"}, "baseCoin invalid"),
                          ({"category": "futures"}, "Illegal category")):
        with pytest.raises(InvalidRequestError) as caught:
            session.get_fee_rates(**params)
        assert caught.value.status_code == 10001 and words in caught.value.message, params


def test_the_log_needs_a_signature(exchange):
    reply = requests.get(exchange.url + "/v5/account/transaction-log").json()
    assert reply["retCode"] == 10001 and "apiTimestamp" in reply["retMsg"]


# ---------------------------------------------------------------------------------------------
# funding, on the real market model with its clock injected
# ---------------------------------------------------------------------------------------------

def test_funding_settles_open_positions_at_the_rate_the_history_shows():
    before_eight = _ms("2026-01-05") + 8 * 3_600_000 - 60_000           # 07:59 UTC
    market = Market(7, now_ms=before_eight)
    accounts = Accounts(market)
    long, short = accounts.add("long", "s"), accounts.add("short", "s")
    for account, side in ((long, "Buy"), (short, "Sell")):
        account.created = account.funded_until = before_eight - 60_000
        place_order(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "side": side,
                                             "orderType": "Market", "qty": "0.50"}), before_eight)
    usdt = {a.api_key: a.wallet["USDT"] for a in (long, short)}
    accounts.sweep(market, before_eight + 30_000)                         # 07:59:30: nothing due yet
    assert [a.wallet["USDT"] for a in (long, short)] == list(usdt.values())

    eight = before_eight + 60_000
    pushed: list[str] = []
    long.listeners.append(lambda topic, data: pushed.append(topic))
    accounts.sweep(market, eight + 5_000)
    assert pushed == ["position", "wallet"]                               # on the private stream too
    shown = market.funding_history("linear", "ETHUSDT", eight, eight, 1, eight + 5_000)[0]
    assert shown["fundingRateTimestamp"] == str(eight)
    rate, mark = D(shown["fundingRate"]), market.mark_price("linear", "ETHUSDT", eight)
    paid = funding_amount(D("0.50"), mark, rate)
    assert paid == (-D("0.50") * mark * rate).quantize(D("0.00000001"))
    assert long.wallet["USDT"] - usdt["long"] == paid and short.wallet["USDT"] - usdt["short"] == -paid
    entry = long.ledger[-1]
    assert (entry.type, entry.funding, entry.change, entry.fee_rate, entry.side) == ("SETTLEMENT", paid, paid, rate, "Buy")
    assert short.ledger[-1].fee_rate == -rate and short.ledger[-1].funding == -paid
    assert long.positions["ETHUSDT", 0].cum_realised == -long.executions[-1].fee + paid

    accounts.sweep(market, eight + 10_000)                                # settled once only
    assert sum(1 for e in long.ledger if e.type == "SETTLEMENT") == 1
    accounts.sweep(market, eight + 8 * 3_600_000 + 1)                     # 16:00: again
    assert sum(1 for e in long.ledger if e.type == "SETTLEMENT") == 2
    for account in (long, short):
        assert sum(e.change for e in account.ledger if e.currency == "USDT") == account.wallet["USDT"]


def test_a_position_opened_after_a_funding_time_does_not_pay_for_it():
    eight = _ms("2026-01-05") + 8 * 3_600_000
    market = Market(7, now_ms=eight)
    account = Accounts(market).add("late", "s")
    account.created = account.funded_until = eight - 3_600_000
    place_order(account, market, Params({"category": "linear", "symbol": "ETHUSDT", "side": "Buy",
                                         "orderType": "Market", "qty": "0.50"}), eight + 1_000)
    settle_funding(account, market, eight + 2_000)
    assert not any(e.type == "SETTLEMENT" for e in account.ledger)
