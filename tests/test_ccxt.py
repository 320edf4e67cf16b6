"""An independent client, ccxt, with its default options and keys, against the local exchange.

ccxt's bybit class reads markets, fees, candles, positions, trades, the ledger
and transfers through the same V5 endpoints a bot would use; each call must
succeed and agree with what pybit sees. Only ccxt's base URLs are pointed at
the local exchange; nothing in its request path is changed.
"""
from __future__ import annotations

import ccxt
import pytest

from local_exchange.runner import LocalExchange
from local_exchange.settings import ExchangeConfig

KEY, SECRET = "ccxt-key", "ccxt-secret"


@pytest.fixture(scope="module")
def bybit():
    config = ExchangeConfig(port=0, ip_limit=False, limits="off", extra_accounts=((KEY, SECRET),))
    with LocalExchange(config) as exchange:
        client = ccxt.bybit({"apiKey": KEY, "secret": SECRET})
        for name, url in list(client.urls["api"].items()):
            if isinstance(url, str):
                client.urls["api"][name] = exchange.url
        yield client


def test_markets_fees_and_candles(bybit):
    markets = bybit.load_markets()
    assert {"BTC/USDT", "BTC/USDT:USDT", "ETH/USDT:USDT"} <= set(markets)
    fees = bybit.fetch_trading_fees()
    assert fees["ETH/USDT:USDT"]["taker"] == 0.00055 and fees["ETH/USDT:USDT"]["maker"] == 0.0002
    since = 1735689600000                                      # 2025-01-01: ccxt asks with start only
    candles = bybit.fetch_ohlcv("BTC/USDT:USDT", "1h", since=since, limit=3)
    assert [c[0] for c in candles] == [since, since + 3_600_000, since + 7_200_000]


def test_an_order_shows_in_positions_trades_and_the_ledger(bybit):
    bybit.load_markets()
    order = bybit.create_order("ETH/USDT:USDT", "market", "buy", 0.1)
    assert order["id"]
    positions = [p for p in bybit.fetch_positions() if p["contracts"]]
    assert [(p["symbol"], p["side"], p["contracts"]) for p in positions] == [("ETH/USDT:USDT", "long", 0.1)]
    trades = bybit.fetch_my_trades("ETH/USDT:USDT")
    assert sum(t["amount"] for t in trades) == pytest.approx(0.1)
    fee = sum(t["fee"]["cost"] for t in trades)
    ledger = [e for e in bybit.fetch_ledger("USDT") if e["type"] == "trade"]
    assert ledger and sum(abs(e["amount"]) for e in ledger) == pytest.approx(fee)


def test_a_transfer_moves_money_to_the_funding_account(bybit):
    before = bybit.fetch_balance()["USDT"]["total"]
    done = bybit.transfer("USDT", 25, "unified", "funding")
    assert done["status"] in ("ok", "SUCCESS", "success") or done["info"]["status"] == "SUCCESS"
    assert bybit.fetch_balance()["USDT"]["total"] == pytest.approx(before - 25)
    assert bybit.fetch_balance({"type": "funding"})["USDT"]["total"] == pytest.approx(25)
