"""Bybit's grouped fee structure for contracts (``/v5/market/fee-group-info``).

For Pro-level and market-maker clients (not retail traders like the accounts
here, whose rates ``/v5/account/fee-rate`` shows), Bybit sorts perpetuals into
fee groups: majors are cheapest to take, long-tail coins pay their makers most.
Each group has a ``weightingFactor`` (how much a maker's volume in it counts
towards their maker share) and fee rates per Pro level and MM level.

The rates and weighting factors below are those of the docs' response example
(a public schedule, so a table is honest here). The contracts are sorted into
groups by how much they trade, as Bybit's groups are: G1 holds the majors of
the docs' example (BTC, ETH, XRP, SOL); then by daily turnover, at least
200 M USD for G2 (High Growth), 80 M for G3, 40 M for G4, the rest G5 (Long
Tail); tokenised gold goes to G9 with the other commodity perpetuals. Groups
with no contract listed here (Innovation Zone, Pre-listing, USDC) are still
answered, with no symbols. ``updateTime`` is when this table took effect
(2025-11-15, the day the price model is anchored to).

Where the docs are silent: ``productType`` other than ``contract`` and a
``groupId`` outside 1-9 answer 10001.
"""
from __future__ import annotations

from dataclasses import dataclass

from .catalog import COINS, _ms

UPDATE_MS = _ms("2025-11-15")
PRO_LEVELS = ("Pro 1", "Pro 2", "Pro 3", "Pro 4", "Pro 5", "Pro 6")
MM_LEVELS = ("MM 1", "MM 2", "MM 3")


@dataclass(frozen=True)
class FeeGroup:
    """One fee group: id, name, weighting, its Pro (taker, maker) rates and MM maker rebates."""

    id: int
    name: str
    weighting: int
    pro: tuple[tuple[str, str], ...]      # (takerFeeRate, makerFeeRate) for Pro 1 .. Pro 6
    rebates: tuple[str, str, str]         # makerRebate for MM 1 .. MM 3


_FLAT = (("0.00032", "0"),) * 3 + (("0.00028", "0"),) * 3
GROUPS: tuple[FeeGroup, ...] = (
    FeeGroup(1, "G1(Major Coins)", 1, (("0.00028", "0.0001"), ("0.00025", "0.00005"), ("0.00022", "0.000025"),
                                        ("0.0002", "0.00001"), ("0.00018", "0"), ("0.00015", "0")),
             ("-0.00001", "-0.000025", "-0.00004")),
    FeeGroup(2, "G2(High Growth)", 5, (("0.00032", "0.000125"), ("0.00032", "0.0001"), ("0.000275", "0.000075"),
                                       ("0.00024", "0.00005"), ("0.00021", "0.000025"), ("0.00018", "0")),
             ("-0.00001", "-0.000025", "-0.00004")),
    FeeGroup(3, "G3(Mid-Tier Liquidity)", 8, (("0.00028", "0.000075"), ("0.00028", "0.00005"), ("0.00026", "0"),
                                              ("0.00024", "0"), ("0.00021", "0"), ("0.00018", "0")),
             ("-0.000025", "-0.00005", "-0.000075")),
    FeeGroup(4, "G4(Mid-Tier Activation)", 15, (("0.0003", "0"),) * 3 + (("0.00025", "0"),) * 3,
             ("-0.00005", "-0.000075", "-0.0001")),
    FeeGroup(5, "G5(Long Tail)", 20, _FLAT, ("-0.000075", "-0.0001", "-0.000125")),
    FeeGroup(6, "Innovation-Zone", 1, _FLAT, ("-0.000025", "-0.00005", "-0.000075")),
    FeeGroup(7, "Pre-listing", 1, _FLAT, ("-0.000025", "-0.00005", "-0.000075")),
    FeeGroup(8, "USDC", 8, (("0.00032", "0"), ("0.00032", "0"), ("0.000275", "0"), ("0.00024", "0"),
                            ("0.00021", "0"), ("0.00018", "0")), ("-0.000015", "-0.000025", "-0.00004")),
    FeeGroup(9, "G9(Stock & Commodity Tradfi Perp", 10, (("0.0002", "0"), ("0.00018", "0"), ("0.00016", "0"),
                                                          ("0.00015", "0"), ("0.00014", "0"), ("0.000125", "0")),
             ("-0.00005", "-0.000075", "-0.0001")),
)
"""The groups by ``groupId`` (docs' ``groupId`` enum), rates as in the docs' example. G9's name is the
example's, cut at 32 characters as the live API sends it (the enum page spells it with a closing parenthesis)."""

MAJORS = ("BTC", "ETH", "XRP", "SOL")


def group_id(base: str, usd_volume: float, sector: str) -> int:
    """Which group a USDT perpetual falls in (see the module docstring)."""
    if base in MAJORS:
        return 1
    if sector == "gold":
        return 9
    for gid, floor in ((2, 2e8), (3, 8e7), (4, 4e7)):
        if usd_volume >= floor:
            return gid
    return 5


def symbols_of(gid: int) -> list[str]:
    """The linear symbols of one group, in catalog order."""
    return [f"{c.base}USDT" for c in COINS if group_id(c.base, c.usd_volume, c.sector) == gid]


def group_item(group: FeeGroup) -> dict:
    """One ``fee-group-info`` list item (``weightingFactor`` and ``symbolsNumbers`` are integers)."""
    symbols = symbols_of(group.id)
    return {
        "groupName": group.name, "weightingFactor": group.weighting, "symbolsNumbers": len(symbols),
        "symbols": symbols,
        "feeRates": {
            "pro": [{"level": lvl, "takerFeeRate": taker, "makerFeeRate": maker, "makerRebate": ""}
                    for lvl, (taker, maker) in zip(PRO_LEVELS, group.pro)],
            "marketMaker": [{"level": lvl, "takerFeeRate": "", "makerFeeRate": "", "makerRebate": rebate}
                            for lvl, rebate in zip(MM_LEVELS, group.rebates)],
        },
        "updateTime": str(UPDATE_MS),
    }
