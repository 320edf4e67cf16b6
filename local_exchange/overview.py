"""What an account owns, account by account (``/v5/asset/asset-overview``).

A local account has two of Bybit's asset accounts: the funding account
(``FundingAccount``, :attr:`Account.fund`) and the unified trading account
(``UnifiedTradingAccount``, :attr:`Account.wallet`, whose USDT equity includes
the unrealised PnL of open positions, as ``wallet-balance`` shows). The other
account types Bybit lists (Earn, TradingBot, CopyTrading, ...) do not exist
here, so asking for one gives an empty list, and they are never listed.

Each coin's equity is valued in USD at the spot last price (``COINUSDT``; USDT
and USDC are 1), the accounts' ``totalEquity`` rounded to cents as in the docs'
example. Chosen where Bybit's docs are silent: the only valuation currency is
USD (there are no fiat rates here; another gets 10001); ``memberId`` may only
name the account itself (the local exchange has no sub-accounts).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from .numbers import ZERO, fmt, money

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market

ACCOUNT_TYPES = ("FundingAccount", "UnifiedTradingAccount", "Earn", "TradingBot", "CopyTrading", "CryptoLoans",
                 "CryptoLoans_legacy", "PayLater", "Launchpool", "TradFi", "MarginStakedSOL", "Alpha")
"""Bybit's ``assetAccountType`` values (the docs' enum); the local exchange has the first two."""
CENT = Decimal("0.01")


def _cents(value: Decimal) -> str:
    return fmt(value.quantize(CENT, rounding=ROUND_HALF_UP))


def equities(account: Account, market: Market, now_ms: int) -> dict[str, dict[str, Decimal]]:
    """Each account type's coins (non-zero only) and their equity."""
    unified = {c: v for c, v in account.wallet.items() if v != 0}
    upl = account.upl(market, now_ms)
    if upl:
        unified["USDT"] = unified.get("USDT", ZERO) + upl
    return {"FundingAccount": {c: v for c, v in account.fund.items() if v != 0}, "UnifiedTradingAccount": unified}


def overview(account: Account, market: Market, now_ms: int, kind: str | None) -> dict[str, Any]:
    """The result of ``asset-overview`` for ``kind`` (``None``: every account the local exchange has)."""
    rows = []
    total = ZERO
    for name, coins in equities(account, market, now_ms).items():
        if kind is not None and name != kind:
            continue
        value = sum((v * account.coin_price(c, market, now_ms) for c, v in coins.items()), ZERO)
        total += value
        rows.append({"totalEquity": _cents(value), "valuationCurrency": "USD", "accountType": name,
                     "coinDetail": [{"equity": money(v), "coin": c} for c, v in sorted(coins.items())],
                     "snapshotTime": str(now_ms)})
    return {"totalEquity": _cents(total), "list": rows}
