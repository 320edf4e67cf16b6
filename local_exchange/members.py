"""Sub-accounts: a master account's sub-members and the one API key each of them holds.

On Bybit a *master* account (the one a person signs up with) may create
*sub-accounts* (``/v5/user/create-sub-member``): each is an account of its own,
with its own UID, wallet, orders and positions, and no money until the master
moves some in (a universal transfer, :mod:`local_exchange.universal`). The
master then creates an API key for it (``create-sub-api``); that key signs
requests *as the sub-account*, so a pybit session built with it sees the sub's
wallet, not the master's. Teams use this to keep strategies apart.

Here a sub-account is a real :class:`~local_exchange.accounts.Account` in the
exchange's :class:`~local_exchange.accounts.Accounts`, and :class:`Membership`
(the ``member`` field of every account) says whose sub it is:

* ``parent_uid`` 0 is a master; any other value is the master's UID;
* a master lists its subs in ``subs``; a sub's ``username`` is unique on the
  exchange, also against deleted subs' names (``retired``), as the docs say;
* a *frozen* sub (``frozen-sub-member``) keeps everything, but its key stops
  signing: requests with it answer 10003 "API key is invalid." (and its
  WebSockets close) until the master unfreezes it;
* a sub may be deleted (``del-submember``) only when its assets, in either
  wallet, are worth at most 0.001 USDT: otherwise 141025 "This subaccount has
  assets and cannot be deleted".

Chosen where Bybit's docs are silent (a learner should know):

* **one API key per account at a time.** The local exchange finds an account by
  its key, one key each; so ``create-sub-api`` for a sub that already has one is
  refused with 10001 saying to delete it first (Bybit lets a sub hold several).
  The key is 18 letters and digits and its secret 36, like Bybit's;
* username rules: 6 to 16 ASCII letters and digits, at least one of each,
  compared without case; a bad or taken name answers 10001 saying which rule;
* a master holds at most :data:`MAX_SUBS` sub-accounts (on Bybit the number
  depends on the account's level); one more is refused with 10001;
* an open order or position also keeps a sub from being deleted (141025);
* an endpoint that takes the master's key (the docs' "use master user's api
  key only") answers a sub's key with 10005; a UID that is not one of the
  caller's subs answers 500010;
* the built-in demo key cannot be deleted (``delete-api`` answers 10005 saying
  why): every notebook of the course signs with it, and on Bybit a deleted key
  is gone for good. Any other master key is deleted for the life of the server
  process: the server reads its keys again when it restarts
  (``--reuse-keys`` for a classroom);
* when a key stops signing (deleted, or its sub frozen or deleted) the private
  and trade WebSockets it signed in on are closed (code 1008) with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bybit_spec.demo import DEMO_API_KEY
from bybit_spec.errors import MESSAGES as ERROR_MESSAGES
from bybit_spec.errors import NOT_YOUR_SUB, PERMISSION_DENIED, SUB_HAS_ASSETS, SUB_NOT_NORMAL

from .classroom import KEY_LENGTH, SECRET_LENGTH, random_token
from .errors import BybitError, param_error
from .keys import DEFAULT_PERMISSIONS, KeySettings
from .numbers import ZERO, iso_utc

if TYPE_CHECKING:  # imported for type checkers only
    from .accounts import Account, Accounts
    from .market import Market
    from .universal import UniversalTransfer

MAX_SUBS = 20
MEMBER_TYPES = (1, 6)              # 1: normal sub-account, 6: custodial sub-account
STATUS_NORMAL, STATUS_FROZEN = 1, 4
ACCOUNT_MODE = 5                   # UTA 2.0, as /v5/account/info says (unifiedMarginStatus 5)
DUST_USD = Decimal("0.001")        # a sub holding more than this (in USD) cannot be deleted

#: The permission groups a sub-account's key may hold; Bybit keeps the others ``[]`` for a sub.
SUB_KEY_GROUPS = ("ContractTrade", "Spot", "Wallet", "Options", "Derivatives", "Exchange", "Earn")

_USERNAME = re.compile(r"^[A-Za-z0-9]{6,16}$")
_PASSWORD = re.compile(r"^[\x21-\x7e]{8,30}$")


@dataclass
class Membership:
    """Whose account this is: a master with its subs, or a sub of a master."""

    parent_uid: int = 0                 # 0: a master account
    username: str = ""                  # a sub's username
    member_type: int = 1
    remark: str = ""
    frozen: bool = False
    subs: list[int] = field(default_factory=list)       # a master's sub UIDs, oldest first
    retired: set[str] = field(default_factory=set)      # a master's deleted subs' usernames (lower case)
    key_note: str | None = None         # the note of a key made by create-sub-api
    key_created: int = 0                # when that key was made (ms); 0: with the account
    universal: list[UniversalTransfer] = field(default_factory=list)   # oldest first (universal.py)
    agreements: set[int] = field(default_factory=set)   # signed agreements, by categoryV2

    @property
    def is_sub(self) -> bool:
        return self.parent_uid != 0

    @property
    def status(self) -> int:
        """``1`` normal or ``4`` frozen, as the sub-member lists show it."""
        return STATUS_FROZEN if self.frozen else STATUS_NORMAL


# ---- who may act on whom -----------------------------------------------------------------
def master_only(account: Account) -> None:
    """10005 for a sub-account's key on an endpoint that takes the master's key only."""
    if account.member.is_sub:
        raise BybitError(PERMISSION_DENIED, "Permission denied, please check your API key permissions. "
                                            "This endpoint takes the master account's API key, not a sub-account's.")


def own_sub(accounts: Accounts, master: Account, uid: Any) -> Account:
    """The sub-account ``uid`` of ``master``, or 500010 (10001 if ``uid`` is no number)."""
    try:
        number = int(str(uid).strip())
    except ValueError:
        raise param_error("params error: a sub UID is a number") from None
    sub = accounts.by_uid(number) if number in master.member.subs else None
    if sub is None:
        raise BybitError(NOT_YOUR_SUB, ERROR_MESSAGES[NOT_YOUR_SUB])
    return sub


def subs_of(accounts: Accounts, master: Account) -> list[Account]:
    """A master's sub-accounts, oldest first."""
    found = (accounts.by_uid(uid) for uid in master.member.subs)
    return [sub for sub in found if sub is not None]


# ---- creating, freezing, deleting sub-accounts --------------------------------------------
def check_username(accounts: Accounts, username: str) -> None:
    """10001 unless ``username`` follows the docs' rules and no account has (or had) it."""
    if not _USERNAME.match(username):
        raise param_error("params error: username must be 6-16 letters and digits")
    if not (any(c.isalpha() for c in username) and any(c.isdigit() for c in username)):
        raise param_error("params error: username must include both numbers and letters")
    wanted = username.lower()
    for account in accounts:
        if account.member.username.lower() == wanted or wanted in account.member.retired:
            raise param_error(f"params error: username {username} already exists or was used by a deleted "
                              "sub-account; choose another")


def check_password(password: str) -> None:
    """10001 unless the password is 8-30 characters with a digit, an upper and a lower case letter."""
    if not (_PASSWORD.match(password) and any(c.isdigit() for c in password)
            and any(c.isupper() for c in password) and any(c.islower() for c in password)):
        raise param_error("params error: password must be 8-30 characters and include numbers, "
                          "upper and lowercase letters")


def create_sub(accounts: Accounts, master: Account, username: str, member_type: int, remark: str) -> Account:
    """A new, empty sub-account of ``master`` (no key yet, nothing in either wallet)."""
    master_only(master)
    check_username(accounts, username)
    if member_type not in MEMBER_TYPES:
        raise param_error("params error: memberType must be 1 (normal) or 6 (custodial)")
    if len(master.member.subs) >= MAX_SUBS:
        raise param_error(f"params error: a master account may hold at most {MAX_SUBS} sub-accounts; "
                          "delete one first")
    sub = accounts.add("", "", funds={})
    sub.member = Membership(parent_uid=master.uid, username=username, member_type=member_type, remark=remark)
    master.member.subs.append(sub.uid)
    return sub


def set_frozen(accounts: Accounts, sub: Account, frozen: bool) -> None:
    """Freeze (its key stops signing) or unfreeze a sub-account."""
    sub.member.frozen = frozen
    if frozen:
        accounts.unindex_key(sub.api_key)
    else:
        accounts.index_key(sub)


def assets_usd(account: Account, market: Market, now_ms: int) -> Decimal:
    """What both wallets of ``account`` hold, in USD (unpriced coins count at 0)."""
    total = ZERO
    for balances in (account.wallet, account.fund):
        for coin, amount in balances.items():
            if amount:
                total += abs(amount) * account.coin_price(coin, market, now_ms)
    return total


def delete_sub(accounts: Accounts, master: Account, sub: Account, market: Market, now_ms: int) -> None:
    """Remove an empty sub-account for good; its username is never given again."""
    busy = sub.open_ids or any(p.size for p in sub.positions.values())
    if busy or assets_usd(sub, market, now_ms) > DUST_USD:
        raise BybitError(SUB_HAS_ASSETS, ERROR_MESSAGES[SUB_HAS_ASSETS])
    accounts.remove(sub)
    master.member.subs.remove(sub.uid)
    master.member.retired.add(sub.member.username.lower())


# ---- API keys -----------------------------------------------------------------------------
def sub_permissions(permissions: Any, base: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """``permissions`` as a sub-account's key may hold them (10001 for a group a sub cannot have).

    ``base`` is what the key holds now (``None``: a new key, every group empty).
    """
    settings = KeySettings(permissions={group: list(granted) for group, granted in (base or {
        group: [] for group in DEFAULT_PERMISSIONS}).items()})
    settings.update(None, permissions)       # checks the shape and the group names
    for group, granted in settings.permissions.items():
        if granted and group not in SUB_KEY_GROUPS:
            raise param_error(f"params error: permissions.{group} is not available to a sub-account's key")
    return settings.permissions


def create_key(accounts: Accounts, sub: Account, read_only: bool, permissions: dict[str, list[str]],
               note: str, now_ms: int) -> tuple[str, str]:
    """Give a sub-account its API key; returns ``(key, secret)``. The secret is shown this once."""
    if sub.member.frozen:
        raise BybitError(SUB_NOT_NORMAL, ERROR_MESSAGES[SUB_NOT_NORMAL])
    if sub.api_key:
        raise param_error("params error: this sub-account already has an API key; the local exchange keeps one key "
                          "per account: delete it first (delete-sub-api)")
    key = random_token(KEY_LENGTH)
    while accounts.get(key) is not None:
        key = random_token(KEY_LENGTH)
    sub.api_key, sub.api_secret = key, random_token(SECRET_LENGTH)
    sub.key = KeySettings(read_only=read_only, permissions=permissions)
    sub.member.key_note, sub.member.key_created = note, now_ms
    accounts.index_key(sub)
    return sub.api_key, sub.api_secret


def delete_key(accounts: Accounts, account: Account) -> None:
    """The account's key stops signing at once (10003 from the next request on)."""
    if account.api_key == DEMO_API_KEY:
        raise BybitError(PERMISSION_DENIED, "Permission denied, please check your API key permissions. The built-in "
                                            "demo key is shared by every notebook of the course and cannot be "
                                            "deleted; try delete-api with a key of your own (or a sub-account's "
                                            "key with delete-sub-api).")
    accounts.unindex_key(account.api_key)
    account.api_key = account.api_secret = ""
    account.key = KeySettings()
    account.member.key_note, account.member.key_created = None, 0


def key_of_sub(accounts: Accounts, master: Account, api_key: str) -> Account:
    """The sub-account of ``master`` whose key is ``api_key`` (frozen ones too), or 10001."""
    for sub in subs_of(accounts, master):
        if sub.api_key and sub.api_key == api_key:
            return sub
    raise param_error("params error: apikey is not the key of one of your sub-accounts")


# ---- what the endpoints show --------------------------------------------------------------
def sub_item(sub: Account) -> dict[str, Any]:
    """One item of ``query-sub-members`` and ``submembers``."""
    m = sub.member
    return {"uid": str(sub.uid), "username": m.username, "memberType": m.member_type, "status": m.status,
            "remark": m.remark, "accountMode": ACCOUNT_MODE}


def key_item(sub: Account) -> dict[str, Any]:
    """One item of ``sub-apikeys``: the key never expires here (``status`` 1, permanent)."""
    return {"id": str(sub.uid * 10 + 1), "ips": ["*"], "apiKey": sub.api_key,
            "note": sub.member.key_note or "", "status": 1, "expiredAt": "",
            "createdAt": iso_utc(sub.member.key_created or sub.created), "type": 1,
            "permissions": {group: list(granted) for group, granted in sub.key.permissions.items()},
            "secret": "******", "readOnly": sub.key.read_only, "deadlineDay": -2, "flag": "hmac"}


def key_reply(sub: Account, secret: str = "", ips: bool = False) -> dict[str, Any]:
    """The result of ``create-sub-api`` (with the secret) and of ``update-sub-api`` (``ips``, no secret)."""
    reply: dict[str, Any] = {"id": str(sub.uid * 10 + 1), "note": sub.member.key_note or "",
                             "apiKey": sub.api_key, "readOnly": 1 if sub.key.read_only else 0, "secret": secret,
                             "permissions": {group: list(granted) for group, granted in sub.key.permissions.items()}}
    if ips:
        reply["ips"] = ["*"]
    return reply
