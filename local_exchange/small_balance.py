"""Convert small balances: sweep the dust of several coins of the unified account into USDT or USDC.

Bybit's flow (docs, "Convert Small Balances"), unified account only
(``accountType=eb_convert_uta``):

1. ``small-balance-list``: the coins whose balance is small, with their USDT value;
2. ``get-quote``: a quote for converting all of each listed coin (up to 20) into
   one target coin; it holds for **30 seconds** (``quoteExpireTime``);
3. ``small-balance-execute``: confirm it in time (after: 700008; twice: 700009);
4. ``small-balance-history``: the conversions, by page.

Each coin is valued at its spot last price (``COINUSDT``; USDT and USDC are 1);
``exchangeRate`` is the coin's price over the target's, and Bybit's fee, 2 % of
what the coin buys (the docs' ``feeRate`` ``"0.02"``), is taken in the target
coin. The transaction log shows one ``CURRENCY_SELL`` per coin swept and one
``CURRENCY_BUY`` for the target, whose ``fee`` is the total fee.

Chosen where Bybit's docs are silent: a balance is *small* when it is worth less
than 10 USDT (and more than nothing); the target coins are USDT and USDC (Bybit
also offers MNT, which the local exchange does not list); a quote whose coins
are all unsupported (not small, or a target coin) gets 700013; amounts are
rounded down to 8 decimals.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from bybit_spec.errors import CONVERT_EXPIRED, CONVERT_INSUFFICIENT, CONVERT_NOT_SUPPORTED, CONVERT_QUOTE_USED

from . import ledger
from .errors import BybitError, param_error
from .ids import next_seq
from .matching import Changes, changes_account
from .numbers import ZERO, fmt
from .transfers import EIGHT_DECIMALS, transferable

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market

QUOTE_MS = 30_000
"""How long a small-balance quote holds (the docs: "Quote expired ts, 30 seconds")."""
SMALL_USD = Decimal(10)
"""A balance worth less than this (in USDT) is small."""
TO_COINS = ("USDT", "USDC")
FEE_RATE = Decimal("0.02")
MAX_COINS = 20
_NO_TAX = {"totalAmount": "0", "feeCoin": "", "taxFeeItems": []}
_ids = itertools.count(1010075157602510000000000000)


def only_unified(kind: str) -> None:
    """Small balances are converted in the unified account only (``eb_convert_uta``)."""
    if kind != "eb_convert_uta":
        raise param_error("params error: accountType invalid (small balances convert in eb_convert_uta only)")


@dataclass(frozen=True)
class Coin:
    """One coin's part of a small-balance quote (or of the list, ``to_coin`` ``""``)."""

    coin: str
    supported: bool
    balance: Decimal
    value: Decimal                    # in USDT
    to_coin: str = ""
    rate: Decimal = ZERO
    gross: Decimal = ZERO             # what the coin buys before the fee
    fee: Decimal = ZERO

    @property
    def to_amount(self) -> Decimal:
        return self.gross - self.fee

    def to_dict(self) -> dict[str, Any]:
        quoted = bool(self.to_coin)
        return {"fromCoin": self.coin, "supportConvert": 1 if self.supported else 2,
                "availableBalance": fmt(self.balance), "baseValue": fmt(self.value), "toCoin": self.to_coin,
                "toAmount": fmt(self.to_amount) if quoted else "", "exchangeRate": fmt(self.rate) if quoted else "",
                "feeInfo": {"feeCoin": self.to_coin, "amount": fmt(self.fee), "feeRate": fmt(FEE_RATE)}
                if quoted else None,
                "taxFeeInfo": dict(_NO_TAX) if quoted else None}


def _coin(account: Account, market: Market, coin: str, now_ms: int) -> Coin:
    balance = transferable(account, "UNIFIED", coin, market, now_ms)
    value = (balance * account.coin_price(coin, market, now_ms)).quantize(EIGHT_DECIMALS, rounding=ROUND_DOWN)
    small = coin not in TO_COINS and balance > 0 and ZERO < value < SMALL_USD
    return Coin(coin, small, balance, value)


def small_coins(account: Account, market: Market, now_ms: int, coin: str | None = None) -> list[Coin]:
    """The unified account's small balances (or ``coin``'s entry, supported or not)."""
    if coin is not None:
        return [_coin(account, market, coin, now_ms)]
    found = (_coin(account, market, c, now_ms) for c in sorted(account.wallet))
    return [c for c in found if c.supported]


@dataclass
class SmallQuote:
    """A quote from ``get-quote``; ``done`` (with its time) once confirmed."""

    quote_id: str
    to_coin: str
    coins: list[Coin]
    created: int
    done_at: int | None = None

    @property
    def expires(self) -> int:
        return self.created + QUOTE_MS

    @property
    def fee(self) -> Decimal:
        return sum((c.fee for c in self.coins if c.supported), ZERO)

    @property
    def to_amount(self) -> Decimal:
        return sum((c.to_amount for c in self.coins if c.supported), ZERO)

    def to_dict(self) -> dict[str, Any]:
        """The result of ``get-quote``."""
        total = {"feeCoin": self.to_coin, "amount": fmt(self.fee), "feeRate": fmt(FEE_RATE)}
        return {"quoteId": self.quote_id,
                "result": {"quoteCreateTime": str(self.created), "quoteExpireTime": str(self.expires),
                           "exchangeCoins": [c.to_dict() for c in self.coins], "totalFeeInfo": total,
                           "totalTaxFeeInfo": dict(_NO_TAX)}}

    def to_record(self) -> dict[str, Any]:
        """The item of ``small-balance-history``."""
        subs = [{"fromCoin": c.coin, "fromAmount": fmt(c.balance), "toCoin": self.to_coin,
                 "toAmount": fmt(c.to_amount), "feeCoin": self.to_coin, "feeAmount": fmt(c.fee), "status": "success",
                 "taxFeeInfo": dict(_NO_TAX)} for c in self.coins if c.supported]
        return {"accountType": "eb_convert_uta", "exchangeTxId": self.quote_id, "toCoin": self.to_coin,
                "toAmount": fmt(self.to_amount), "subRecords": subs, "status": "success",
                "createdAt": str(self.done_at if self.done_at is not None else self.created),
                "exchangeSource": "small_asset_uta", "feeCoin": self.to_coin, "totalFeeAmount": fmt(self.fee),
                "totalTaxFeeInfo": dict(_NO_TAX)}


def quote(account: Account, market: Market, coins: list[str], to_coin: str, now_ms: int) -> SmallQuote:
    """A 30-second quote for converting all of each of ``coins`` into ``to_coin``."""
    if to_coin not in TO_COINS:
        raise param_error("params error: toCoin invalid (" + ", ".join(TO_COINS) + ")")
    if not coins or len(coins) > MAX_COINS:
        raise param_error(f"params error: fromCoinList invalid (1 to {MAX_COINS} coins)")
    to_price = account.coin_price(to_coin, market, now_ms)
    quoted = []
    for name in dict.fromkeys(coins):
        entry = _coin(account, market, name, now_ms)
        rate = (account.coin_price(name, market, now_ms) / to_price).quantize(Decimal("1e-18"), rounding=ROUND_DOWN)
        gross = (entry.balance * rate).quantize(EIGHT_DECIMALS, rounding=ROUND_DOWN) if entry.supported else ZERO
        fee = (gross * FEE_RATE).quantize(EIGHT_DECIMALS, rounding=ROUND_DOWN)
        quoted.append(Coin(name, entry.supported, entry.balance, entry.value, to_coin, rate, gross, fee))
    if not any(c.supported for c in quoted):
        raise BybitError(CONVERT_NOT_SUPPORTED, "the current coin does not support convert")
    made = SmallQuote(str(next(_ids)), to_coin, quoted, now_ms)
    account.asset.small_quotes[made.quote_id] = made
    return made


@changes_account
def execute(account: Account, market: Market, quote_id: str, now_ms: int) -> SmallQuote:
    """Confirm a quote: every supported coin goes, the target coin comes (less the fee)."""
    made = account.asset.small_quotes.get(quote_id)
    if made is None or now_ms > made.expires:
        raise BybitError(CONVERT_EXPIRED, "quote fail: price time out")
    if made.done_at is not None:
        raise BybitError(CONVERT_QUOTE_USED, "quoteTxId has already been used")
    swept = [c for c in made.coins if c.supported]
    if any(c.balance > transferable(account, "UNIFIED", c.coin, market, now_ms) for c in swept):
        raise BybitError(CONVERT_INSUFFICIENT, "Your available balance is insufficient or wallet does not exist")
    made.done_at = now_ms
    for c in swept:
        account.wallet[c.coin] = account.wallet.get(c.coin, ZERO) - c.balance
        account.ledger.append(ledger.Entry(seq=next_seq(), time=now_ms, type="CURRENCY_SELL", currency=c.coin,
                                           qty=-c.balance, cash_flow=-c.balance,
                                           cash_balance=account.wallet[c.coin]))
    target = made.to_coin
    account.wallet[target] = account.wallet.get(target, ZERO) + made.to_amount
    gross = sum((c.gross for c in swept), ZERO)
    account.ledger.append(ledger.Entry(seq=next_seq(), time=now_ms, type="CURRENCY_BUY", currency=target,
                                       qty=gross, cash_flow=gross, fee=made.fee, cash_balance=account.wallet[target]))
    account.asset.small_done.append(made)
    Changes(wallet=True).publish(account, market, now_ms)
    return made
