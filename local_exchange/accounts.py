"""Accounts of the local exchange: wallets, orders, positions and executions.

Each API key owns one :class:`Account` with a *unified* wallet (Bybit's UTA):
one set of coin balances serves spot trading and USDT-margined (``linear``)
perpetuals alike. This module holds the account and its wallet, and values
it (``wallet-balance``); the pieces it is made of live beside it:

* :mod:`local_exchange.ids`      order and execution ids, the global sequence;
* :mod:`local_exchange.numbers`  Decimals written as Bybit writes them (:func:`fmt`);
* :mod:`local_exchange.records`  orders, executions, positions and their JSON items;
* :mod:`local_exchange.shapes`   the fixed JSON of ``account/info`` and ``user/query-api``;
* :mod:`local_exchange.matching` the rules that change an account (placing,
  filling, cancelling orders).

Simplifications (so a learner knows what is *not* imitated):

* only USDT pays for new linear orders (no collateral haircuts on BTC/ETH, no
  borrowing); every collateral coin of the wallet counts against liquidation
  (:mod:`local_exchange.liquidation`); funding settles every 8 hours
  (:mod:`local_exchange.funding`);
* cross or isolated margin (:mod:`local_exchange.isolated`); one-way or hedge
  position mode (:mod:`local_exchange.position_mode`);
* the maintenance margin rate is a flat 0.5 % of the entry value.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import ledger, shapes
from .account_settings import AccountSettings
from .asset_book import AssetBook
from .catalog import price_ceiling
from .closed_pnl import ClosedPnl
from .encoding import encode
from .ids import new_exec_id, new_order_id, next_seq
from .keys import KeySettings
from .members import Membership
from .numbers import ONE, ZERO, fmt, fmt_dp, iso_utc, money, price_step
from .position_mode import PositionModes
from .records import (
    DEFAULT_LEVERAGE,
    MMR,
    OPEN_STATUSES,
    REGULAR_MARGIN,
    Execution,
    FeeRates,
    Order,
    Position,
)

if TYPE_CHECKING:  # imported for type checkers only
    from .market import Market
    from .transfers import Transfer

# Names that lived here before the split, still importable from here.
__all__ = ["Account", "Accounts", "Listener", "STABLECOINS", "TEST_FUNDS",
           "DEFAULT_LEVERAGE", "MMR", "OPEN_STATUSES", "Execution", "FeeRates", "Order", "Position",
           "ONE", "ZERO", "fmt", "fmt_dp", "iso_utc", "money", "price_step",
           "new_exec_id", "new_order_id", "next_seq"]

log = logging.getLogger(__name__)

STABLECOINS = ("USDT", "USDC")      # valued at exactly 1 USD
TEST_FUNDS: dict[str, Decimal] = {"USDT": Decimal(100_000), "BTC": Decimal(1), "ETH": Decimal(10)}
Listener = Callable[[str, list[dict]], None]



@dataclass
class Account:
    """Everything one API key owns.

    ``listeners`` are called as ``listener(topic, data)`` after every change,
    with ``topic`` one of ``"order"``, ``"execution"``, ``"position"``,
    ``"wallet"`` and ``data`` the list of items a Bybit private WebSocket
    message carries under ``"data"``. The WebSocket half subscribes here.
    """

    api_key: str
    api_secret: str
    uid: int
    created: int
    wallet: dict[str, Decimal] = field(default_factory=lambda: dict(TEST_FUNDS))
    fees: dict[str, FeeRates] = field(default_factory=lambda: {
        "spot": FeeRates(taker=Decimal("0.001"), maker=Decimal("0.001")),
        "linear": FeeRates(taker=Decimal("0.00055"), maker=Decimal("0.0002")),
        "inverse": FeeRates(taker=Decimal("0.00055"), maker=Decimal("0.0002")),
        "option": FeeRates(taker=Decimal("0.0003"), maker=Decimal("0.0003")),
    })
    orders: dict[str, Order] = field(default_factory=dict)          # by orderId, oldest first
    link_ids: dict[str, str] = field(default_factory=dict)          # orderLinkId -> orderId
    open_ids: dict[str, None] = field(default_factory=dict)         # ids of resting orders
    positions: dict[tuple[str, int], Position] = field(default_factory=dict)  # linear, by (symbol, positionIdx)
    modes: PositionModes = field(default_factory=PositionModes)     # one-way or hedge, per symbol / coin
    margin_mode: str = REGULAR_MARGIN                               # or ISOLATED_MARGIN (isolated.py)
    executions: list[Execution] = field(default_factory=list)       # oldest first
    ledger: list[ledger.Entry] = field(default_factory=list)        # the transaction log, oldest first
    closed_pnl: list[ClosedPnl] = field(default_factory=list)       # one per closing order, oldest first
    key: KeySettings = field(default_factory=KeySettings)           # read-only? which permissions?
    fund: dict[str, Decimal] = field(default_factory=dict)          # the funding account (FUND)
    transfers: list[Transfer] = field(default_factory=list)         # between FUND and UNIFIED, oldest first
    settings: AccountSettings = field(default_factory=AccountSettings)  # collateral, MMP, DCP, ...
    member: Membership = field(default_factory=Membership)          # master or sub-account? (members.py)
    asset: AssetBook = field(default_factory=AssetBook)             # deposits, withdrawals, converts
    funded_until: int = -1                      # funding is settled up to here (ms); -1: from `created` on
    listeners: list[Listener] = field(default_factory=list)
    version: int = field(default=0, compare=False)   # grows with every change; see touch()
    _wallet_json: dict[tuple, bytes] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.funded_until < 0:
            self.funded_until = self.created

    def touch(self) -> None:
        """Note that the account changed (wallet, orders, positions or leverage).

        :mod:`~local_exchange.matching` calls this around every operation; code
        that edits an account by hand must call it too, or
        :meth:`wallet_balance_json` may answer from before the edit.
        """
        self.version += 1

    # ---- lookups ---------------------------------------------------------------------------
    def find_order(self, order_id: str | None, order_link_id: str | None) -> Order | None:
        """The order with this ``orderId`` (wins) or ``orderLinkId``."""
        if order_id:
            return self.orders.get(order_id)
        if order_link_id and order_link_id in self.link_ids:
            return self.orders.get(self.link_ids[order_link_id])
        return None

    def position(self, symbol: str, now_ms: int = 0, idx: int = 0) -> Position:
        """The linear position ``(symbol, idx)`` (created flat on first use; ``idx`` is its positionIdx).

        A new hedge-mode side takes the leverage its other side has: with cross
        margin the two share one.
        """
        pos = self.positions.get((symbol, idx))
        if pos is None:
            twin = self.positions.get((symbol, 3 - idx)) if idx else None
            pos = self.positions[symbol, idx] = Position(
                symbol=symbol, idx=idx, leverage=twin.leverage if twin else DEFAULT_LEVERAGE,
                created=now_ms, updated=now_ms, seq=next_seq())
        return pos

    def open_orders(self) -> list[Order]:
        return [self.orders[i] for i in self.open_ids]

    # ---- balances --------------------------------------------------------------------------
    def spot_locked(self, coin: str) -> Decimal:
        """What resting spot orders reserve of ``coin``."""
        return sum((o.locked for o in self.open_orders() if o.lock_coin == coin), ZERO)

    def order_im(self, market: Market, symbol: str | None = None, extra: Order | None = None) -> Decimal:
        """Initial margin that resting linear orders need (per symbol or in total).

        Orders that would only shrink the current position need none: on each side
        only the part beyond the opposite position counts, valued at the order price
        and divided by the leverage. ``extra`` adds a not-yet-placed order.
        """
        keys = {(o.symbol, o.position_idx) for o in self.open_orders() if o.category == "linear"
                and (symbol is None or o.symbol == symbol)}
        if extra is not None:
            keys.add((extra.symbol, extra.position_idx))
        total = ZERO
        for key in keys:
            orders = [o for o in self.open_orders() if o.category == "linear" and (o.symbol, o.position_idx) == key]
            if extra is not None and (extra.symbol, extra.position_idx) == key:
                orders.append(extra)
            pos = self.positions.get(key)
            size = pos.size if pos else ZERO
            lev = pos.leverage if pos else DEFAULT_LEVERAGE
            for side, opposite in (("Buy", max(-size, ZERO)), ("Sell", max(size, ZERO))):
                mine = sorted((o for o in orders if o.side == side and not o.reduce_only
                               and o.status != "Untriggered"),      # conditional: no margin until triggered
                              key=lambda o: o.price, reverse=(side == "Buy"))
                cover = opposite
                for o in mine:
                    q = o.leaves_qty
                    used = min(cover, q)
                    cover -= used
                    total += (q - used) * o.price / lev
        return total

    def upl(self, market: Market, now_ms: int, cross_only: bool = False) -> Decimal:
        """Unrealised PnL of all linear positions at the mark price (``cross_only``: of the cross ones).

        An isolated position's profit is not the account's to spend until it is closed.
        """
        if cross_only:
            return sum((p.unrealised(market.mark_price("linear", p.symbol, now_ms))
                        for p in self.positions.values() if p.size and not p.isolated), ZERO)
        return self._upl(self._marks(market, now_ms))

    def _marks(self, market: Market, now_ms: int) -> tuple[Decimal, ...]:
        """The mark price of every open linear position, in the order of ``positions``."""
        return tuple(market.mark_price("linear", p.symbol, now_ms) for p in self.positions.values() if p.size)

    def _upl(self, marks: tuple[Decimal, ...]) -> Decimal:
        held = (p for p in self.positions.values() if p.size)
        return sum((p.unrealised(mark) for p, mark in zip(held, marks)), ZERO)

    def position_im(self) -> Decimal:
        return sum((p.im for p in self.positions.values()), ZERO)

    def maintenance_margin(self) -> Decimal:
        """``totalMaintenanceMargin``: entry value x MMR over the linear positions."""
        return sum((p.mm for p in self.positions.values()), ZERO)

    def liq_price(self, market: Market, pos: Position, now_ms: int) -> Decimal | None:
        """Where ``pos`` would be liquidated, all else unchanged; ``None`` if nowhere in the price range.

        The mark price at which the margin balance falls to the maintenance
        margin (:mod:`local_exchange.liquidation`): ``entry + (MM - others) / size``,
        ``others`` being the margin balance without this position's PnL. For an
        isolated position, where its own margin falls to its maintenance margin:
        ``entry + (MM - margin) / size``.
        """
        if pos.size == 0:
            return None
        inst = market.instrument("linear", pos.symbol)
        if inst is None:
            return None
        if pos.isolated:        # only its own margin stands behind it
            liq = pos.avg_price + (pos.mm - pos.margin) / pos.size
            return liq if ZERO < liq < price_ceiling(inst) else None
        others = self.margin_balance(market, now_ms) - pos.unrealised(market.mark_price("linear", pos.symbol, now_ms))
        liq = pos.avg_price + (self.maintenance_margin() - others) / pos.size
        return liq if ZERO < liq < price_ceiling(inst) else None

    def margin_balance(self, market: Market, now_ms: int) -> Decimal:
        """``totalMarginBalance``: every collateral coin at its USD price, plus the unrealised PnL."""
        coins = [c for c in self._listed_coins(None) if self.settings.collateral_on(c)]
        prices = (self.coin_price(c, market, now_ms) for c in coins)
        return sum((self.wallet[c] * price for c, price in zip(coins, prices)), ZERO) + self.upl(market, now_ms)

    def available(self, coin: str, market: Market, now_ms: int) -> Decimal:
        """What new orders may still use of ``coin``.

        USDT: wallet + unrealised PnL − position IM − order IM − spot locks;
        other coins: wallet − spot locks.
        """
        base = self.wallet.get(coin, ZERO) - self.spot_locked(coin)
        if coin == "USDT":
            base += self.upl(market, now_ms, cross_only=True) - self.position_im() - self.order_im(market)
        return base

    def coin_price(self, coin: str, market: Market, now_ms: int) -> Decimal:
        """USD value of one coin: 1 for stablecoins, else the spot ``COINUSDT`` last price."""
        if coin in STABLECOINS:
            return ONE
        if market.instrument("spot", coin + "USDT") is None:
            return ZERO
        return market.last_price("spot", coin + "USDT", now_ms)

    # ---- views -----------------------------------------------------------------------------
    def wallet_balance(self, market: Market, now_ms: int, coins: list[str] | None = None) -> dict[str, Any]:
        """One account item of ``/v5/account/wallet-balance`` (also the WS ``wallet`` item).

        ``coins``: only these coins (listed even at zero); ``None``: every coin with a
        non-zero balance. The account totals always cover the whole wallet, in USD.
        """
        listed = self._listed_coins(coins)
        prices = tuple(self.coin_price(coin, market, now_ms) for coin in listed)
        return self._wallet_item(market, coins, listed, prices, self._marks(market, now_ms))

    def wallet_balance_json(self, market: Market, now_ms: int, coins: list[str] | None = None) -> bytes:
        """``{"list": [wallet_balance(...)]}`` encoded as JSON, remembered between requests.

        The item is a function of three things only: the account's state, the
        prices it is valued at (each listed coin's USD price, each open position's
        mark price) and ``coins``. All three form the key of a small cache: the
        state by :attr:`version` (which every change bumps, see :meth:`touch`),
        the prices by their values, read afresh on every call. So a fill or a new
        price is seen at once, and a poll between changes costs a few price
        lookups instead of ~40 Decimal computations and formats.
        """
        listed = self._listed_coins(coins)
        prices = tuple(self.coin_price(coin, market, now_ms) for coin in listed)
        marks = self._marks(market, now_ms)
        key = (self.version, None if coins is None else tuple(coins), prices, marks)
        cached = self._wallet_json.get(key)
        if cached is None:
            if len(self._wallet_json) >= 8:       # older versions and prices are never asked again
                self._wallet_json.clear()
            cached = self._wallet_json[key] = encode({"list": [self._wallet_item(market, coins, listed, prices, marks)]})
        return cached

    def _listed_coins(self, coins: list[str] | None) -> list[str]:
        """Every coin the wallet holds or ``coins`` asks for, sorted."""
        return sorted(set(self.wallet) | set(coins or ()))

    def _wallet_item(self, market: Market, coins: list[str] | None, listed: list[str],
                     prices: tuple[Decimal, ...], marks: tuple[Decimal, ...]) -> dict[str, Any]:
        """The wallet item from the account's state, the coins' prices and the positions' marks."""
        upl = self._upl(marks)
        pos_im = self.position_im()
        ord_im = self.order_im(market)
        pos_mm = self.maintenance_margin()
        cum_real = sum((p.cum_realised for p in self.positions.values()), ZERO)
        total_wallet = ZERO
        total_equity = ZERO
        rows: dict[str, dict[str, Any]] = {}
        for coin, price in zip(listed, prices):
            bal = self.wallet.get(coin, ZERO)
            is_usdt = coin == "USDT"
            equity = bal + (upl if is_usdt else ZERO)
            if self.settings.collateral_on(coin):     # a coin switched off is no collateral
                total_wallet += bal * price
            total_equity += equity * price
            rows[coin] = {
                "coin": coin,
                "equity": money(equity),
                "usdValue": money(equity * price),
                "walletBalance": money(bal),
                "free": "",
                "locked": money(self.spot_locked(coin)),
                "spotHedgingQty": "0",
                "borrowAmount": "0",
                "availableToWithdraw": "",
                "availableToBorrow": "",
                "accruedInterest": "0",
                "totalOrderIM": money(ord_im if is_usdt else ZERO),
                "totalPositionIM": money(pos_im if is_usdt else ZERO),
                "totalPositionMM": money(pos_mm if is_usdt else ZERO),
                "unrealisedPnl": money(upl if is_usdt else ZERO),
                "cumRealisedPnl": money(cum_real if is_usdt else ZERO),
                "bonus": "0",
                "marginCollateral": True,
                "collateralSwitch": self.settings.collateral_on(coin),
                "colRes": "",
                "spotBorrow": "0",
            }
        if coins is None:
            shown = [r for c, r in rows.items() if self.wallet.get(c, ZERO) != 0]
        else:
            shown = [rows[c] for c in coins]
        margin_balance = total_wallet + upl
        total_im = pos_im + ord_im
        im_rate = total_im / margin_balance if margin_balance > 0 else ZERO
        mm_rate = pos_mm / margin_balance if margin_balance > 0 else ZERO
        return {
            "accountType": "UNIFIED",
            "accountIMRate": fmt(im_rate.quantize(Decimal("0.0001"))),
            "accountMMRate": fmt(mm_rate.quantize(Decimal("0.0001"))),
            "accountIMRateByMp": fmt(im_rate.quantize(Decimal("0.0001"))),
            "accountMMRateByMp": fmt(mm_rate.quantize(Decimal("0.0001"))),
            "totalEquity": money(total_equity),
            "totalWalletBalance": money(total_wallet),
            "totalMarginBalance": money(margin_balance),
            "totalAvailableBalance": money(margin_balance - total_im - self.spot_locked("USDT")),
            "totalPerpUPL": money(upl),
            "totalInitialMargin": money(total_im),
            "totalMaintenanceMargin": money(pos_mm),
            "totalInitialMarginByMp": money(total_im),
            "totalMaintenanceMarginByMp": money(pos_mm),
            "accountLTV": "0",
            "coin": shown,
        }

    def account_info(self) -> dict[str, Any]:
        """The result of ``/v5/account/info`` (:func:`local_exchange.shapes.account_info`)."""
        return shapes.account_info(self.created, self.margin_mode)

    def api_key_info(self) -> dict[str, Any]:
        """The result of ``/v5/user/query-api`` (:func:`local_exchange.shapes.api_key_info`)."""
        return shapes.api_key_info(self.api_key, self.uid, self.member.key_created or self.created,
                                   self.key.read_only, self.key.permissions, self.member.parent_uid,
                                   self.member.key_note)

    # ---- notifications ---------------------------------------------------------------------
    def emit(self, topic: str, data: list[dict]) -> None:
        """Tell every listener about a change; a failing listener never breaks trading."""
        for listener in list(self.listeners):
            try:
                listener(topic, data)
            except Exception:  # a WebSocket consumer's bug must not undo a fill
                log.exception("account listener failed on %s", topic)


class Accounts:
    """All accounts of one exchange, by API key and by UID.

    An account has at most one key that signs for it; a sub-account starts with
    none (``api_key == ""``) until its master creates one. :mod:`.members`
    re-keys, freezes (the key stops signing) and removes accounts through
    :meth:`index_key`, :meth:`unindex_key` and :meth:`remove`.
    """

    def __init__(self, market: Market) -> None:
        self.market = market
        self._by_key: dict[str, Account] = {}
        self._by_uid: dict[int, Account] = {}
        self._last_uid = 10_000_000

    def add(self, api_key: str, api_secret: str, funds: dict[str, Decimal] | None = None) -> Account:
        """A new account with a unified wallet holding ``funds`` (default: the test funds).

        ``api_key`` ``""`` makes an account that no key signs for yet.
        """
        from .clock import now_ms

        if api_key and api_key in self._by_key:
            raise ValueError(f"API key {api_key!r} already exists")
        self._last_uid += 1
        account = Account(api_key=api_key, api_secret=api_secret, uid=self._last_uid, created=now_ms(),
                          wallet=dict(TEST_FUNDS if funds is None else funds))
        for coin, amount in account.wallet.items():
            ledger.record_transfer_in(account, coin, amount, account.created)
        self._by_uid[account.uid] = account
        self.index_key(account)
        return account

    def get(self, api_key: str) -> Account | None:
        return self._by_key.get(api_key)

    def by_uid(self, uid: int) -> Account | None:
        return self._by_uid.get(uid)

    def index_key(self, account: Account) -> None:
        """Let ``account.api_key`` sign for ``account`` (nothing for ``""``)."""
        if account.api_key:
            if self._by_key.get(account.api_key, account) is not account:
                raise ValueError(f"API key {account.api_key!r} already exists")
            self._by_key[account.api_key] = account

    def unindex_key(self, api_key: str) -> None:
        """From now on ``api_key`` signs for nothing (10003, as an unknown key)."""
        self._by_key.pop(api_key, None)

    def remove(self, account: Account) -> None:
        """Forget ``account`` and its key (a deleted sub-account)."""
        self.unindex_key(account.api_key)
        self._by_uid.pop(account.uid, None)

    def __iter__(self) -> Iterator[Account]:
        return iter(list(self._by_uid.values()))

    def resting_orders(self, category: str, symbol: str) -> list[tuple[str, Decimal, Decimal]]:
        """``(side, price, remaining qty)`` of every account's resting limit order on one book."""
        return [(o.side, o.price, o.leaves_qty) for account in self._by_uid.values() if account.open_ids
                for o in account.open_orders() if o.symbol == symbol and o.category == category
                and o.order_type == "Limit" and o.status in ("New", "PartiallyFilled")]

    def __len__(self) -> int:
        return len(self._by_uid)

    def sweep(self, market: Market, now_ms: int) -> None:
        """Fill every resting limit order whose price the live last price has reached; settle funding."""
        from .dcp import trip
        from .funding import settle_funding
        from .liquidation import check as check_liquidation
        from .matching import sweep_account
        from .tpsl import check_positions

        for account in self._by_uid.values():
            if account.settings.dcp_state.lost:       # a product whose DCP guards are gone (dcp.py)
                trip(account, market, now_ms)
            if account.open_ids:
                sweep_account(account, market, now_ms)
            if any(pos.size for pos in account.positions.values()):
                settle_funding(account, market, now_ms)
                if any(pos.guarded for pos in account.positions.values()):
                    check_positions(account, market, now_ms)
                check_liquidation(account, market, now_ms)
            else:
                account.funded_until = now_ms
