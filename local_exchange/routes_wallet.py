"""Money in and out: deposits, withdrawals, the funding account's history, what the account owns.

The model lives beside it: :mod:`.deposits`, :mod:`.withdrawals`, :mod:`.fund_log`,
:mod:`.overview`, :mod:`.chains` and :mod:`.addresses`. These handlers read the parameters and
shape the replies as Bybit's docs show them (``retMsg`` ``"success"`` as in
the docs' examples of this group). Where the docs give no default time window
(deposit and withdrawal records), the last 30 days are listed, and a window
may span at most 30 days; the funding history's is 7 days, as its page says.

Deliveries and settlements (``/v5/asset/delivery-record``,
``/v5/asset/settlement-record``) are always empty lists, and honestly so: the
local exchange lists perpetual contracts only (nothing expires, so nothing is
delivered) and no USDC perpetual (whose sessions are what Bybit settles).
So is the classic spot wallet of ``/v5/asset/transfer/query-asset-info`` (an
endpoint Bybit keeps for classic accounts): a unified account has none.

Not served: pybit's ``get_allowed_deposit_coin_info`` calls
``/v5/asset/deposit/query-allowed-list``, a path Bybit's current docs no longer
list; the local exchange answers it as an unknown path (read the chains from
``/v5/asset/coin/query-info`` instead).
"""
from __future__ import annotations

from aiohttp import web

from . import clock, deposits, envelope, fund_log, overview, withdrawals
from .chains import CHAINS, chains_of
from .errors import param_error
from .numbers import fmt
from .params import Params
from .routes_trade import paginate
from .state import ACCOUNT, ACCOUNTS, MARKET, PARAMS
from .unsupported import unsupported

routes = web.RouteTableDef()

DAY_MS = 86_400_000


def _window(p: Params, now: int, days: int, start_name: str = "startTime", end_name: str = "endTime",
            unit_ms: int = 1) -> tuple[int, int]:
    """A time window of at most ``days`` (default: the last ``days``), in ms; parameters in ``unit_ms``."""
    start, end = p.int(start_name, lo=0), p.int(end_name, lo=0)
    span = days * DAY_MS
    if start is None and end is None:
        return now - span, now + 1
    start_ms = None if start is None else start * unit_ms
    end_ms = None if end is None else end * unit_ms + (unit_ms - 1)
    if start_ms is None:
        start_ms = end_ms - span if end_ms is not None else now - span
    if end_ms is None:
        end_ms = start_ms + span
    if end_ms < start_ms:
        raise param_error(f"params error: {end_name} must not be earlier than {start_name}")
    if end_ms - start_ms > span + unit_ms:
        raise param_error(f"params error: the time range between {start_name} and {end_name} cannot exceed "
                          f"{days} days")
    return start_ms, end_ms


def _coin(p: Params, required: bool = False) -> str | None:
    coin = p.str("coin", required=True) if required else p.str("coin")
    if coin is None:
        return None
    if coin != coin.upper():
        raise param_error("params error: coin invalid (uppercase only)")
    return coin


# ---- deposits ----------------------------------------------------------------------------------
@routes.get("/v5/asset/deposit/query-record")
async def deposit_records(request: web.Request) -> web.Response:
    """On-chain deposits: the test funds the account was created with (see :mod:`.deposits`)."""
    p = request[PARAMS]
    deposit_id, tx_id, coin = p.str("id"), p.str("txID"), _coin(p)
    limit = p.int("limit", default=50, lo=1, hi=50)
    start, end = _window(p, clock.now_ms(), 30)
    rows = deposits.deposits(request[ACCOUNT])
    if deposit_id is not None:                       # "takes the highest priority"
        rows = [d for d in rows if str(d.deposit_id) == deposit_id]
    else:
        rows = [d for d in rows if (coin is None or d.coin == coin) and start <= d.time <= end
                and (tx_id is None or d.to_dict()["txID"] == tx_id)]
    page, cursor = paginate(rows, lambda d: d.deposit_id, limit, p.str("cursor"))
    return envelope.ok({"rows": [d.to_dict() for d in page], "nextPageCursor": cursor}, message="success")


@routes.get("/v5/asset/deposit/query-internal-record")
async def internal_deposit_records(request: web.Request) -> web.Response:
    """Internal transfers from other local accounts (``forceChain=2`` withdrawals), newest first."""
    p = request[PARAMS]
    tx_id, coin = p.str("txID"), _coin(p)
    limit = p.int("limit", default=50, lo=1, hi=50)
    start, end = _window(p, clock.now_ms(), 30)
    rows = [d for d in reversed(request[ACCOUNT].asset.internal_deposits)
            if (tx_id is None or d.tx_id == tx_id) and (coin is None or d.coin == coin) and start <= d.time <= end]
    page, cursor = paginate(rows, lambda d: d.seq, limit, p.str("cursor"))
    return envelope.ok({"rows": [d.to_dict() for d in page], "nextPageCursor": cursor}, message="success")


@routes.get("/v5/asset/deposit/query-address")
async def deposit_address(request: web.Request) -> web.Response:
    """The account's deposit address of ``coin`` on each chain (or on ``chainType``): stable, not real."""
    p = request[PARAMS]
    coin = _coin(p, required=True)
    assert coin is not None
    if coin not in CHAINS:
        raise param_error(f"params error: coin invalid ({coin} is not a coin of the local exchange)")
    wanted = p.str("chainType")
    chains = [c for c in chains_of(coin) if wanted is None or c.chain == wanted]
    if not chains:
        raise param_error(f"params error: chainType invalid (the chains of {coin}: "
                          + ", ".join(c.chain for c in chains_of(coin)) + ")")
    account = request[ACCOUNT]
    rows = [{"chainType": c.chain_type, "addressDeposit": deposits.deposit_address(account, coin, c),
             "tagDeposit": "", "chain": c.chain, "batchReleaseLimit": "-1", "contractAddress": ""} for c in chains]
    return envelope.ok({"coin": coin, "chains": rows}, message="success")


@routes.post("/v5/asset/deposit/deposit-to-account")
async def deposit_to_account(request: web.Request) -> web.Response:
    """Where deposits will be credited (stored; see :mod:`.deposits`)."""
    p = request[PARAMS]
    deposits.set_deposit_account(request[ACCOUNT], p.str("accountType", required=True))
    return envelope.ok({"status": 1}, message="success")


# ---- withdrawals -------------------------------------------------------------------------------
@routes.post("/v5/asset/withdraw/create")
async def withdraw(request: web.Request) -> web.Response:
    """A withdrawal to an address of the address book (see :mod:`.withdrawals`)."""
    p = request[PARAMS]
    coin = _coin(p, required=True)
    assert coin is not None
    force_chain = p.int("forceChain", default=0, lo=0, hi=2)
    for name in ("beneficiary", "questionnaire", "transactionPurpose"):
        if p.raw(name) not in (None, ""):
            raise unsupported(name, "travel-rule information, asked of some regions' users only")
    chain = p.str("chain", required=force_chain != 2)
    address = p.str("address", required=True)
    receiver = None
    if force_chain == 2:                                 # address is a UID: an internal transfer
        receiver = next((a for a in request.app[ACCOUNTS] if str(a.uid) == address), None)
        if receiver is None:
            raise withdrawals.unknown_receiver()
    amount = p.decimal("amount", required=True)
    p.int("timestamp", required=True, lo=0)
    fee_type = p.int("feeType", default=0, lo=0, hi=1)
    sources = withdrawals.parse_sources(p.str("accountType", required=True))
    done = withdrawals.create(request[ACCOUNT], request.app[MARKET], coin=coin, chain_name=chain, address=address,
                              amount=amount, fee_type=fee_type, sources=sources,
                              request_id=p.str("requestId", default=""), tag=p.str("tag", default=""),
                              now_ms=clock.now_ms(), receiver=receiver)
    return envelope.ok({"id": done.withdraw_id}, message="success")


@routes.post("/v5/asset/withdraw/cancel")
async def cancel_withdrawal(request: web.Request) -> web.Response:
    """Cancel a withdrawal still in ``SecurityCheck``; the funding account gets amount and fee back."""
    p = request[PARAMS]
    withdrawals.cancel(request[ACCOUNT], p.str("id", required=True), clock.now_ms())
    return envelope.ok({"status": 1}, message="success")


@routes.get("/v5/asset/withdraw/query-record")
async def withdrawal_records(request: web.Request) -> web.Response:
    """Withdrawals, newest first, each with its status as of now."""
    p = request[PARAMS]
    now = clock.now_ms()
    withdraw_id, tx_id, coin = p.str("withdrawID"), p.str("txID"), _coin(p)
    kind = p.int("withdrawType", default=0, lo=0, hi=2)
    limit = p.int("limit", default=50, lo=1, hi=50)
    start, end = _window(p, now, 30)
    rows = [w for w in reversed(request[ACCOUNT].asset.withdrawals)
            if (withdraw_id is None or w.withdraw_id == withdraw_id) and (coin is None or w.coin == coin)
            and (tx_id is None or w.tx_id(now) == tx_id) and start <= w.created <= end
            and (kind == 2 or kind == (1 if w.chain is None else 0))]
    page, cursor = paginate(rows, lambda w: w.seq, limit, p.str("cursor"))
    return envelope.ok({"rows": [w.to_dict(now) for w in page], "nextPageCursor": cursor}, message="success")


@routes.get("/v5/asset/withdraw/withdrawable-amount")
async def withdrawable_amount(request: web.Request) -> web.Response:
    """What the funding and the unified account could give to a withdrawal of ``coin`` now."""
    p = request[PARAMS]
    coin = _coin(p, required=True)
    assert coin is not None
    account, market, now = request[ACCOUNT], request.app[MARKET], clock.now_ms()
    can = withdrawals.withdrawable(account, coin, market, now)
    shown = {kind: {"coin": coin, "withdrawableAmount": fmt(amount), "availableBalance": fmt(amount)}
             for kind, amount in can.items()}
    return envelope.ok({"limitAmountUsd": "0", "withdrawableAmount": shown}, message="success")


@routes.get("/v5/asset/withdraw/query-address")
async def withdrawal_addresses(request: web.Request) -> web.Response:
    """The address book: a universal address per chain, and the other local accounts' UIDs (:mod:`.withdrawals`)."""
    p = request[PARAMS]
    coin, chain = p.str("coin"), p.str("chain")
    address_type = p.int("addressType", default=0, lo=0, hi=2)
    limit = p.int("limit", default=50, lo=1, hi=50)
    account = request[ACCOUNT]
    everyone = request.app[ACCOUNTS]
    book = withdrawals.address_book(account, everyone)
    names = None if coin in (None, "baseCoin") else {c.chain for c in chains_of(coin)} if coin in CHAINS else set()
    if chain is not None:
        names = {chain} if names is None else names & {chain}
    book = [e for e in book if (e.internal and address_type in (1, 2))        # coin and chain do not apply
            or (e.chain is not None and address_type in (0, 2) and (names is None or e.chain.chain in names))]
    numbered = [(len(book) - i, entry) for i, entry in enumerate(book)]      # keys fall, as paginate wants
    page, cursor = paginate(numbered, lambda pair: pair[0], limit, p.str("cursor"))
    return envelope.ok({"rows": [entry.to_dict() for _, entry in page], "nextPageCursor": cursor},
                       message="success")


VASPS = (("others", "Others (including Upbit)"),)
"""The exchanges a travel-rule withdrawal can name; the local exchange knows no other, so only ``others``."""


@routes.get("/v5/asset/withdraw/vasp/list")
async def vasp_list(request: web.Request) -> web.Response:
    """Receiving exchanges for the travel rule (Korean users): only ``others`` here."""
    return envelope.ok({"vasp": [{"vaspEntityId": i, "vaspName": n} for i, n in VASPS]}, message="success")


# ---- the funding account's history, deliveries, settlements ------------------------------------
@routes.get("/v5/asset/fundinghistory")
async def funding_history(request: web.Request) -> web.Response:
    """Every movement of the funding account, newest first (see :mod:`.fund_log`)."""
    p = request[PARAMS]
    has_from, has_to = "createTimeFrom" in p, "createTimeTo" in p
    if has_from != has_to:
        raise param_error("params error: createTimeFrom and createTimeTo must be used together")
    start, end = _window(p, clock.now_ms(), 7, "createTimeFrom", "createTimeTo", unit_ms=1000)
    limit = p.int("limit", default=10, lo=1, hi=100)
    account = request[ACCOUNT]
    rows = [row for row in fund_log.history(account) if start <= row.line.time <= end]
    page, cursor = paginate(rows, lambda row: row.index, limit, p.str("cursor"))
    return envelope.ok({"nextPageCursor": cursor, "list": [row.to_dict(account.uid) for row in page]})


def _empty_record_list(p: Params, categories: tuple[str, ...]) -> dict:
    category = p.category(categories)
    p.str("symbol")
    p.int("limit", default=20, lo=1, hi=50)
    _window(p, clock.now_ms(), 30)
    paginate([], lambda x: 0, 1, p.str("cursor"))
    return {"category": category, "list": [], "nextPageCursor": ""}


@routes.get("/v5/asset/delivery-record")
async def delivery_record(request: web.Request) -> web.Response:
    """Deliveries of expired futures and options: none, nothing listed here expires."""
    p = request[PARAMS]
    p.str("expDate")
    return envelope.ok(_empty_record_list(p, ("inverse", "linear", "option")))


@routes.get("/v5/asset/settlement-record")
async def settlement_record(request: web.Request) -> web.Response:
    """Session settlements of USDC perpetuals: none, the local exchange lists no USDC contract."""
    return envelope.ok(_empty_record_list(request[PARAMS], ("linear",)))


# ---- what the account owns ---------------------------------------------------------------------
@routes.get("/v5/asset/asset-overview")
async def asset_overview(request: web.Request) -> web.Response:
    """The funding and unified accounts' coins and their USD value (see :mod:`.overview`)."""
    p = request[PARAMS]
    account = request[ACCOUNT]
    member = p.str("memberId")
    if member is not None and member != str(account.uid):
        raise param_error("params error: memberId invalid (the local exchange has no sub-accounts)")
    p.str("valuationCurrency", choices=("USD",))
    kind = p.str("accountType", choices=overview.ACCOUNT_TYPES)
    return envelope.ok(overview.overview(account, request.app[MARKET], clock.now_ms(), kind), message="Success")


@routes.get("/v5/asset/transfer/query-asset-info")
async def spot_asset_info(request: web.Request) -> web.Response:
    """The classic spot wallet: a unified account has none, so no assets."""
    p = request[PARAMS]
    p.str("accountType", required=True, choices=("SPOT",))
    _coin(p)
    return envelope.ok({"spot": {"status": "ACCOUNT_STATUS_NORMAL", "assets": []}}, message="success")
