"""The settings a unified account keeps beside its money: collateral switches, trade behaviour, MMP, DCP.

Each setting here has a setter and a getter on Bybit, and the local exchange
answers the getter from what the setter stored (``routes_settings.py`` serves them):

=======================================  ============================================  ===========================
setting                                  set with                                      read back in
=======================================  ============================================  ===========================
collateral switch per coin               ``account/set-collateral-switch`` (+batch)    ``collateral-info``, the
                                                                                       ``wallet-balance`` coin row
price-limit behaviour (spot, futures)    ``account/set-limit-px-action``               ``user-setting-config``
delta neutral mode                       ``account/set-delta-mode``                    ``user-setting-config``
market maker protection per base coin    ``account/mmp-modify``, ``mmp-reset``         ``account/mmp-state``
disconnect-cancel-all window per product ``order/disconnected-cancel-all``             ``account/query-dcp-info``
=======================================  ============================================  ===========================

What each one *does* in the local exchange:

* **Collateral.** A coin whose switch is off no longer counts towards the
  account's ``totalWalletBalance``, ``totalMarginBalance`` and
  ``totalAvailableBalance`` (``totalEquity`` still counts it, as on Bybit),
  nor towards the margin balance that liquidation watches
  (:mod:`local_exchange.liquidation`).
  USDT and USDC are always collateral: Bybit refuses to switch them, and the
  local exchange margins linear positions with USDT.
* **Price-limit behaviour** is stored and read back only: the local exchange
  does not enforce Bybit's order price limits, so there is nothing to adjust or
  reject. Mind the two flags' opposite senses (Bybit's docs):
  ``lpaSpot=true`` means *adjust* a spot price beyond the limit, while
  ``lpaPerp=true`` means *reject* a futures one. So ``modifyEnable=true`` sets
  ``lpaSpot`` to ``true`` for spot and ``lpaPerp`` to ``false`` for futures.
* **Delta neutral mode** only ranks positions in Bybit's auto-deleveraging
  queue; there is no ADL here, so it is stored and read back.
* **MMP** protects option market makers. The local account is treated as a
  market maker whose MMP Bybit has enabled for every base coin with listed
  options, with the defaults of Bybit's docs (window 5000 ms, frozen period
  100 ms, qty and delta limits 100, vega limit 500000) until changed. Options
  do not trade here, so MMP never triggers: ``mmpFrozen`` stays ``false``.
* **DCP** (cancel all orders when the private stream stays disconnected for a
  window): the window per product is stored and read back, and the orders are
  really cancelled when every private connection guarding the product
  (subscribed to ``dcp.spot``, ``dcp.future`` or ``dcp.option``) has been gone
  for the window: see :mod:`local_exchange.dcp`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .numbers import fmt

#: Coins that are always collateral; Bybit refuses to switch them off.
FIXED_COLLATERAL = ("USDT", "USDC")

#: The products a DCP window is set for, in the order ``query-dcp-info`` lists them.
DCP_PRODUCTS = ("SPOT", "DERIVATIVES", "OPTIONS")
DCP_WINDOW_RANGE = (3, 300)            # seconds

#: The MMP settings Bybit applies when it enables MMP (set-mmp.mdx): window and frozen period in ms.
MMP_WINDOW, MMP_FROZEN_PERIOD, MMP_QTY_LIMIT, MMP_DELTA_LIMIT, MMP_VEGA_LIMIT = (
    5000, 100, Decimal(100), Decimal(100), Decimal(500000))


@dataclass
class Mmp:
    """Market maker protection of one base coin (``mmp-state``)."""

    base_coin: str
    window: int = MMP_WINDOW                                   # ms
    frozen_period: int = MMP_FROZEN_PERIOD                     # ms; 0: frozen until reset
    qty_limit: Decimal = MMP_QTY_LIMIT
    delta_limit: Decimal = MMP_DELTA_LIMIT
    vega_limit: Decimal = MMP_VEGA_LIMIT
    frozen_until: int = 0                                      # ms; never frozen here (options do not trade)

    def to_dict(self) -> dict:
        """One item of ``mmp-state``'s ``result`` list (numbers as strings, as Bybit sends them)."""
        return {"baseCoin": self.base_coin, "mmpEnabled": True, "window": str(self.window),
                "frozenPeriod": str(self.frozen_period), "qtyLimit": fmt(self.qty_limit),
                "deltaLimit": fmt(self.delta_limit), "vegaLimit": fmt(self.vega_limit),
                "mmpFrozenUntil": str(self.frozen_until), "mmpFrozen": False}


@dataclass
class DcpState:
    """Which products live private connections guard now, and since when an unguarded one is unguarded.

    Kept by :mod:`local_exchange.dcp` (which says how DCP is simulated), not a setting: it is
    not read back by any endpoint.
    """

    guards: dict[str, int] = field(default_factory=dict)        # product -> connections subscribed to its topic
    lost: dict[str, int] = field(default_factory=dict)          # product -> ms its last guard left


@dataclass
class AccountSettings:
    """Every setting of one account that its getters read back (see the module docstring)."""

    collateral_off: set[str] = field(default_factory=set)     # coins the user switched off as collateral
    lpa_spot: bool = False              # spot: adjust (True) or reject (False) a price beyond the limit
    lpa_perp: bool = False              # futures: reject (True) or adjust (False): the opposite sense
    delta_enable: bool = False
    mmp: dict[str, Mmp] = field(default_factory=dict)         # by base coin, once changed
    dcp: dict[str, int] = field(default_factory=dict)         # product -> window (s), once set
    dcp_state: DcpState = field(default_factory=DcpState)     # the guards and clocks of DCP
    updated: int = 0                                           # ms of the last change

    def collateral_on(self, coin: str) -> bool:
        """Whether ``coin`` counts as collateral (``collateralSwitch``)."""
        return coin in FIXED_COLLATERAL or coin not in self.collateral_off

    def set_collateral(self, coin: str, on: bool) -> None:
        if on:
            self.collateral_off.discard(coin)
        else:
            self.collateral_off.add(coin)

    def set_limit_px_action(self, category: str, modify_enable: bool) -> None:
        """``set-limit-px-action``: spot sets ``lpaSpot``; linear or inverse set ``lpaPerp`` for all futures."""
        if category == "spot":
            self.lpa_spot = modify_enable
        else:
            self.lpa_perp = not modify_enable

    def user_setting_config(self) -> dict:
        """The result of ``user-setting-config``. MNT fee deduction is off: MNT is not traded here."""
        return {"lpaSpot": self.lpa_spot, "lpaPerp": self.lpa_perp, "deltaEnable": self.delta_enable,
                "smsef": False, "fmsef": False}

    def mmp_of(self, base_coin: str) -> Mmp:
        """The MMP settings of ``base_coin`` (Bybit's defaults until changed)."""
        return self.mmp.get(base_coin) or Mmp(base_coin)

    def dcp_infos(self) -> list[dict]:
        """``query-dcp-info``'s ``dcpInfos``: one item per product a window was set for."""
        return [{"product": product, "dcpStatus": "ON", "timeWindow": str(self.dcp[product])}
                for product in DCP_PRODUCTS if product in self.dcp]
