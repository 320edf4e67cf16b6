"""Convert: swap one coin for another at a quoted rate, in the funding or the unified account.

Bybit's flow (docs, "Convert Guideline") in four calls:

1. ``query-coin-list``: the coins, with the balance and the per-trade limits;
2. ``quote-apply``: a quote for selling ``requestAmount`` of ``fromCoin``; it
   holds for **15 seconds** (``expiredTime``); the balance is checked here;
3. ``convert-execute``: confirm it before it expires (after: 700008 "quote
   fail: price time out"; twice: 700009); the coins move at the quoted rate;
4. ``convert-result-query`` / ``query-convert-history``: the outcome.

The rate is the two coins' USD prices from the market's last spot prices
(``COINUSDT``; USDT and USDC are 1), ``fromCoin`` price / ``toCoin`` price, with
no spread: the local exchange is no dealer. ``toAmount`` is rounded down to 8
decimals. ``accountType`` is ``eb_convert_funding`` (the funding account,
``FUND``) or ``eb_convert_uta`` (the unified one); a convert in the unified
account writes two entries in its transaction log, ``CURRENCY_SELL`` for the
coin sold and ``CURRENCY_BUY`` for the coin bought, so the log still adds up
to the wallet.

Chosen where Bybit's docs are silent: ``convert-execute`` answers
``processing`` as the docs' example does, though the coins have already moved
(``convert-result-query`` says ``success``); the per-trade limits are the
coin's worth of 5 USD and of 1,000,000 USD, rounded to one significant digit;
the legacy account types (``eb_convert_spot``, ``eb_convert_contract``,
``eb_convert_inverse``) are refused with 10001, as a unified account has none.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from bybit_spec.errors import (
    CONVERT_EXPIRED,
    CONVERT_INSUFFICIENT,
    CONVERT_LARGE_AMOUNT,
    CONVERT_LOW_AMOUNT,
    CONVERT_ORDER_NOT_EXISTS,
    CONVERT_QUOTE_TYPE,
    CONVERT_QUOTE_USED,
)

from . import ledger
from .errors import BybitError, param_error
from .ids import next_seq
from .matching import Changes, changes_account
from .numbers import ZERO, fmt
from .transfers import EIGHT_DECIMALS, transferable

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market

QUOTE_MS = 15_000
"""How long a quote holds (the docs: "valid time slot (15 secs)")."""
ACCOUNT_TYPES = {"eb_convert_funding": "FUND", "eb_convert_uta": "UNIFIED"}
"""The convert account types of a unified account, and the wallet each converts in."""
MIN_USD, MAX_USD = Decimal(5), Decimal(1_000_000)
_tx_ids = itertools.count(10100108106409340000000000000)


def account_type(value: str) -> str:
    """``eb_convert_funding`` or ``eb_convert_uta``; anything else gets 10001."""
    if value not in ACCOUNT_TYPES:
        raise param_error("params error: accountType invalid (a unified account converts in eb_convert_funding "
                          "or eb_convert_uta)")
    return value


def coins(market: Market) -> list[str]:
    """The coins that can be converted: every coin of the spot market."""
    spot = market.instruments("spot")
    return sorted({i.base_coin for i in spot} | {i.quote_coin for i in spot})


def _one_digit(x: Decimal) -> Decimal:
    """``x`` rounded to one significant digit (0.00123 -> 0.001)."""
    if x <= 0:
        return ZERO
    exponent = x.adjusted()
    return x.scaleb(-exponent).quantize(Decimal(1), rounding=ROUND_DOWN).scaleb(exponent)


def limits(account: Account, coin: str, market: Market, now_ms: int) -> tuple[Decimal, Decimal]:
    """``singleFromMinLimit`` and ``singleFromMaxLimit`` of ``coin`` (see the module docstring)."""
    price = account.coin_price(coin, market, now_ms)
    if price <= 0:
        return ZERO, ZERO
    return _one_digit(MIN_USD / price), _one_digit(MAX_USD / price)


def balance(account: Account, kind: str, coin: str, market: Market, now_ms: int) -> Decimal:
    """What a convert may sell of ``coin`` in the wallet of ``kind`` (``FUND`` or ``UNIFIED``)."""
    return transferable(account, "FUND" if kind == "eb_convert_funding" else "UNIFIED", coin, market, now_ms)


@dataclass
class Quote:
    """A quote from ``quote-apply``; ``used`` once confirmed."""

    quote_tx_id: str
    kind: str                       # eb_convert_funding / eb_convert_uta
    from_coin: str
    to_coin: str
    from_amount: Decimal
    to_amount: Decimal
    rate: Decimal
    created: int
    request_id: str = ""
    param_type: str = ""
    param_value: str = ""
    used: bool = False

    @property
    def expires(self) -> int:
        return self.created + QUOTE_MS

    def to_dict(self) -> dict[str, Any]:
        """The result of ``quote-apply``."""
        return {"quoteTxId": self.quote_tx_id, "exchangeRate": fmt(self.rate), "fromCoin": self.from_coin,
                "fromCoinType": "crypto", "toCoin": self.to_coin, "toCoinType": "crypto",
                "fromAmount": fmt(self.from_amount), "toAmount": fmt(self.to_amount),
                "expiredTime": str(self.expires), "requestId": self.request_id, "extTaxAndFee": []}


@dataclass(frozen=True)
class Convert:
    """A confirmed quote: the coins have moved."""

    quote: Quote
    seq: int
    time: int

    def to_dict(self, uid: int) -> dict[str, Any]:
        """The item of ``convert-result-query`` and ``query-convert-history``."""
        q = self.quote
        ext = {"paramType": q.param_type, "paramValue": q.param_value} if q.param_type else {}
        return {"accountType": q.kind, "exchangeTxId": q.quote_tx_id, "userId": str(uid),
                "fromCoin": q.from_coin, "fromCoinType": "crypto", "fromAmount": fmt(q.from_amount),
                "toCoin": q.to_coin, "toCoinType": "crypto", "toAmount": fmt(q.to_amount),
                "exchangeStatus": "success", "extInfo": ext, "convertRate": fmt(q.rate),
                "createdAt": str(q.created)}

    def to_order_record(self) -> dict[str, str]:
        """The item of ``/v5/asset/exchange/order-record`` (``createdTime`` in seconds)."""
        q = self.quote
        return {"fromCoin": q.from_coin, "fromAmount": fmt(q.from_amount), "toCoin": q.to_coin,
                "toAmount": fmt(q.to_amount), "exchangeRate": fmt(q.rate), "createdTime": str(self.time // 1000),
                "exchangeTxId": q.quote_tx_id}


def apply_quote(account: Account, market: Market, *, kind: str, from_coin: str, to_coin: str, request_coin: str,
                amount: Decimal, request_id: str, param_type: str, param_value: str, now_ms: int) -> Quote:
    """A quote for selling ``amount`` of ``from_coin`` for ``to_coin`` at today's prices."""
    listed = coins(market)
    for name, coin in (("fromCoin", from_coin), ("toCoin", to_coin)):
        if coin not in listed:
            raise param_error(f"params error: {name} invalid ({coin} cannot be converted here)")
    if from_coin == to_coin:
        raise param_error("params error: fromCoin and toCoin must differ")
    if request_coin != from_coin:
        raise BybitError(CONVERT_QUOTE_TYPE, "quote fail: not support quote type")
    if amount != amount.quantize(EIGHT_DECIMALS):
        raise param_error("params error: requestAmount invalid (at most 8 decimals, the coins' accuracyLength)")
    low, high = limits(account, from_coin, market, now_ms)
    if amount < low:
        raise BybitError(CONVERT_LOW_AMOUNT, "Low amount limit")
    if amount > high:
        raise BybitError(CONVERT_LARGE_AMOUNT, "Large amount limit")
    if amount > balance(account, kind, from_coin, market, now_ms):
        raise BybitError(CONVERT_INSUFFICIENT, "Your available balance is insufficient or wallet does not exist")
    rate = account.coin_price(from_coin, market, now_ms) / account.coin_price(to_coin, market, now_ms)
    rate = rate.quantize(Decimal("1e-18"), rounding=ROUND_DOWN)
    to_amount = (amount * rate).quantize(EIGHT_DECIMALS, rounding=ROUND_DOWN)
    quote = Quote(str(next(_tx_ids)), kind, from_coin, to_coin, amount, to_amount, rate, now_ms,
                  request_id, param_type, param_value)
    account.asset.quotes[quote.quote_tx_id] = quote
    return quote


@changes_account
def execute(account: Account, market: Market, quote_tx_id: str, now_ms: int) -> Convert:
    """Confirm a quote: sell ``fromAmount`` and buy ``toAmount`` in the quote's wallet."""
    quote = account.asset.quotes.get(quote_tx_id)
    if quote is None or now_ms > quote.expires:
        raise BybitError(CONVERT_EXPIRED, "quote fail: price time out")
    if quote.used:
        raise BybitError(CONVERT_QUOTE_USED, "quoteTxId has already been used")
    if quote.from_amount > balance(account, quote.kind, quote.from_coin, market, now_ms):
        raise BybitError(CONVERT_INSUFFICIENT, "Your available balance is insufficient or wallet does not exist")
    quote.used = True
    wallet = account.fund if quote.kind == "eb_convert_funding" else account.wallet
    wallet[quote.from_coin] = wallet.get(quote.from_coin, ZERO) - quote.from_amount
    wallet[quote.to_coin] = wallet.get(quote.to_coin, ZERO) + quote.to_amount
    done = Convert(quote, next_seq(), now_ms)
    account.asset.converts.append(done)
    if quote.kind == "eb_convert_uta":
        for kind, coin, change in (("CURRENCY_SELL", quote.from_coin, -quote.from_amount),
                                   ("CURRENCY_BUY", quote.to_coin, quote.to_amount)):
            account.ledger.append(ledger.Entry(seq=next_seq(), time=now_ms, type=kind, currency=coin,
                                               qty=change, cash_flow=change,
                                               cash_balance=account.wallet.get(coin, ZERO)))
        Changes(wallet=True).publish(account, market, now_ms)
    return done


def result(account: Account, quote_tx_id: str, kind: str) -> Convert:
    """The convert of ``quote_tx_id`` in ``kind`` (700004 when there is none)."""
    done = next((c for c in account.asset.converts
                 if c.quote.quote_tx_id == quote_tx_id and c.quote.kind == kind), None)
    if done is None:
        raise BybitError(CONVERT_ORDER_NOT_EXISTS, "order does not exist")
    return done
