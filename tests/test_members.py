"""The sub-account model without a server: the registry re-keys, freezes and forgets accounts."""
from __future__ import annotations

import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from local_exchange import members
from local_exchange.accounts import Accounts
from local_exchange.errors import BybitError

sys.path.insert(0, str(Path(__file__).parent))
from test_matching import NOW, FakeMarket  # noqa: E402  (the shared fake market)


@pytest.fixture
def family():
    accounts = Accounts(FakeMarket())
    master = accounts.add("master", "secret")
    return accounts, master


def test_a_sub_is_an_empty_keyless_account_of_its_own(family):
    accounts, master = family
    sub = members.create_sub(accounts, master, "quant01", 1, "")
    assert sub.uid != master.uid and accounts.by_uid(sub.uid) is sub and len(accounts) == 2
    assert sub.wallet == {} and sub.ledger == [] and accounts.get("") is None    # nothing to sign with yet
    assert master.member.subs == [sub.uid] and sub.member.parent_uid == master.uid
    assert [a.uid for a in accounts] == [master.uid, sub.uid]                    # swept like any account


def test_a_key_signs_for_its_sub_until_frozen_or_deleted(family):
    accounts, master = family
    sub = members.create_sub(accounts, master, "quant02", 1, "")
    key, secret = members.create_key(accounts, sub, False, {"Spot": ["SpotTrade"]}, "bot", NOW)
    assert accounts.get(key) is sub and sub.api_secret == secret
    members.set_frozen(accounts, sub, True)
    assert accounts.get(key) is None and sub.member.status == members.STATUS_FROZEN
    members.set_frozen(accounts, sub, False)
    assert accounts.get(key) is sub
    members.delete_key(accounts, sub)
    assert accounts.get(key) is None and sub.api_key == ""


def test_uids_are_never_reused_after_a_deletion(family):
    accounts, master = family
    first = members.create_sub(accounts, master, "quant03", 1, "")
    members.delete_sub(accounts, master, first, FakeMarket(), NOW)
    second = members.create_sub(accounts, master, "quant04", 1, "")
    assert second.uid > first.uid and accounts.by_uid(first.uid) is None and master.member.subs == [second.uid]


def test_dust_below_a_thousandth_of_a_dollar_does_not_stop_a_deletion(family):
    accounts, master = family
    sub = members.create_sub(accounts, master, "quant05", 1, "")
    sub.fund["USDT"] = D("0.002")
    with pytest.raises(BybitError) as caught:
        members.delete_sub(accounts, master, sub, FakeMarket(), NOW)
    assert caught.value.code == 141025
    sub.fund["USDT"] = D("0.0009")
    members.delete_sub(accounts, master, sub, FakeMarket(), NOW)
    assert sub.uid not in master.member.subs


def test_a_master_holds_at_most_twenty_subs_and_a_sub_none(family):
    accounts, master = family
    subs = [members.create_sub(accounts, master, f"many{n:02d}x", 1, "") for n in range(members.MAX_SUBS)]
    with pytest.raises(BybitError) as caught:
        members.create_sub(accounts, master, "onemore1", 1, "")
    assert caught.value.code == 10001
    with pytest.raises(BybitError) as caught:
        members.create_sub(accounts, subs[0], "nested01", 1, "")
    assert caught.value.code == 10005
