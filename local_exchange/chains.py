"""The chains each coin travels on: names, withdrawal fees and minimums, address formats.

One table, :data:`CHAINS`, read by ``/v5/asset/coin/query-info`` (the ``chains``
of each coin), by withdrawals (fee, minimum, the chain a request names) and by
deposit addresses (the address format). Chain names and types are Bybit's own
spelling (``ETH``/``ERC20``, ``TRX``/``TRC20``, ``BSC``/``BEP20``, ...); tokens
travel on their home chain (LINK on ETH, WIF on SOL, ...).

The fees and minimums are round figures of the size Bybit charges, fixed here so
that a withdrawal's cost is known in advance; Bybit changes its own with network
conditions. Memos/tags are not modelled: every ``tag`` is ``""``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WITHDRAW_MAX = Decimal(1_000_000)
"""The most one withdrawal may send (``withdrawMax``; ``remainAmount`` of coin-info)."""


@dataclass(frozen=True)
class Chain:
    """One chain of one coin (``family``: how its addresses are written, see :mod:`.addresses`)."""

    chain: str
    chain_type: str
    family: str
    withdraw_fee: Decimal
    withdraw_min: Decimal
    confirmation: int = 12

    def to_dict(self) -> dict[str, str]:
        """The ``chains`` item of ``/v5/asset/coin/query-info``.

        Withdrawals are served (``chainWithdraw`` ``"1"``); ``chainDeposit`` is
        ``"0"``: no chain can send money to the local exchange (see :mod:`.deposits`).
        """
        return {"chainType": self.chain_type, "confirmation": str(self.confirmation),
                "withdrawFee": str(self.withdraw_fee), "depositMin": "0", "withdrawMin": str(self.withdraw_min),
                "chain": self.chain, "chainDeposit": "0", "chainWithdraw": "1",
                "minAccuracy": "8", "withdrawPercentageFee": "0", "contractAddress": "",
                "safeConfirmNumber": str(self.confirmation), "withdrawMax": str(WITHDRAW_MAX)}


def _c(chain: str, chain_type: str, family: str, fee: str, minimum: str, confirmation: int = 12) -> Chain:
    return Chain(chain, chain_type, family, Decimal(fee), Decimal(minimum), confirmation)


_ETH = ("ETH", "ERC20", "evm")
_SOL = ("SOL", "SOL", "solana")

CHAINS: dict[str, tuple[Chain, ...]] = {
    "AAVE": (_c(*_ETH, "0.03", "0.06"),),
    "ADA": (_c("ADA", "ADA", "bech32:addr", "1", "2", 15),),
    "APT": (_c("APTOS", "APTOS", "hex64", "0.01", "0.02"),),
    "ARB": (_c("ARBI", "Arbitrum One", "evm", "0.1", "0.2"),),
    "ATOM": (_c("ATOM", "ATOM", "bech32:cosmos", "0.01", "0.02", 1),),
    "AVAX": (_c("CAVAX", "AVAXC", "evm", "0.01", "0.02"),),
    "BCH": (_c("BCH", "BCH", "b58c:00", "0.001", "0.002", 6),),
    "BNB": (_c("BSC", "BEP20", "evm", "0.0005", "0.001", 15),),
    "BTC": (_c("BTC", "BTC", "bech32:bc", "0.0001", "0.0005", 2),),
    "CRV": (_c(*_ETH, "4", "8"),),
    "DOGE": (_c("DOGE", "DOGE", "b58c:1e", "5", "10", 10),),
    "DOT": (_c("DOT", "DOT", "ss58", "0.1", "1.5", 1),),
    "ENA": (_c(*_ETH, "5", "10"),),
    "ETC": (_c("ETC", "ETC", "evm", "0.01", "0.02", 30),),
    "ETH": (_c(*_ETH, "0.0005", "0.001"), _c("ARBI", "Arbitrum One", "evm", "0.0001", "0.0002")),
    "FARTCOIN": (_c(*_SOL, "1", "2", 1),),
    "FIL": (_c("FIL", "FIL", "fil", "0.01", "0.02", 5),),
    "HBAR": (_c("HBAR", "HBAR", "hedera", "1", "2", 1),),
    "HYPE": (_c("HYPE", "Hyperliquid", "evm", "0.01", "0.02", 1),),
    "INJ": (_c("INJ", "INJ", "bech32:inj", "0.01", "0.02", 1),),
    "LDO": (_c(*_ETH, "3", "6"),),
    "LINK": (_c(*_ETH, "0.3", "0.6"),),
    "LTC": (_c("LTC", "LTC", "bech32:ltc", "0.001", "0.002", 4),),
    "NEAR": (_c("NEAR", "NEAR", "near", "0.01", "0.02", 1),),
    "OP": (_c("OP", "Optimism", "evm", "0.1", "0.2"),),
    "POPCAT": (_c(*_SOL, "2", "4", 1),),
    "SEI": (_c("SEI", "SEI", "bech32:sei", "0.1", "0.2", 1),),
    "SOL": (_c(*_SOL, "0.005", "0.01", 1),),
    "SUI": (_c("SUI", "SUI", "hex64", "0.1", "0.2", 1),),
    "TIA": (_c("TIA", "TIA", "bech32:celestia", "0.01", "0.02", 1),),
    "TON": (_c("TON", "TON", "ton", "0.05", "0.1", 1),),
    "TRUMP": (_c(*_SOL, "0.1", "0.2", 1),),
    "TRX": (_c("TRX", "TRC20", "b58c:41", "1", "2", 20),),
    "UNI": (_c(*_ETH, "0.5", "1"),),
    "USDC": (_c(*_ETH, "3", "6"), _c(*_SOL, "1", "2", 1)),
    "USDT": (_c(*_ETH, "3", "6"), _c("TRX", "TRC20", "b58c:41", "1", "2", 20)),
    "WIF": (_c(*_SOL, "0.5", "1", 1),),
    "XAUT": (_c(*_ETH, "0.002", "0.004"),),
    "XLM": (_c("XLM", "XLM", "strkey", "0.1", "1", 1),),
    "XRP": (_c("XRP", "XRP", "ripple", "0.2", "1", 1),),
}
"""Every coin's chains, first the one a withdrawal without ``chain`` would have used."""

_DEFAULT = ("evm", "1", "2")


def chains_of(coin: str) -> tuple[Chain, ...]:
    """The chains of ``coin`` (a coin missing from the table travels on one EVM chain named after it)."""
    known = CHAINS.get(coin)
    if known is not None:
        return known
    family, fee, minimum = _DEFAULT
    return (_c(coin, coin, family, fee, minimum),)


def find_chain(coin: str, chain: str) -> Chain | None:
    """The chain of ``coin`` named ``chain`` (case as Bybit writes it), or ``None``."""
    return next((c for c in chains_of(coin) if c.chain == chain), None)


def every_chain() -> list[Chain]:
    """One :class:`Chain` per chain name (the address book keeps one universal address per chain)."""
    seen: dict[str, Chain] = {}
    for coin in sorted(CHAINS):
        for chain in CHAINS[coin]:
            seen.setdefault(chain.chain, chain)
    return [seen[name] for name in sorted(seen)]
