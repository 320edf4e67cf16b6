"""Deposits: the test funds are the deposits, to the account's own stable deposit addresses."""
from __future__ import annotations

import hashlib
from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

from local_exchange.accounts import TEST_FUNDS
from local_exchange.state import ACCOUNTS

KEY, SECRET = "deposit-key", "deposit-secret"


@pytest.fixture(scope="module")
def exchange():
    with own_exchange((KEY, SECRET)) as running:
        yield running


@pytest.fixture(scope="module")
def session(exchange):
    return pybit_session(exchange, KEY, SECRET)


def test_the_test_funds_are_the_deposit_history(session):
    rows = session.get_deposit_records()["result"]["rows"]
    assert {r["coin"]: D(r["amount"]) for r in rows} == TEST_FUNDS
    assert all(r["status"] == 3 and r["depositType"] == "0" for r in rows)
    logged = [e for e in session.get_transaction_log(type="TRANSFER_IN")["result"]["list"]]
    assert {(e["currency"], D(e["change"]), e["transactionTime"]) for e in logged} == {
        (r["coin"], D(r["amount"]), r["successAt"]) for r in rows}          # credited to the unified account
    usdt = rows[[r["coin"] for r in rows].index("USDT")]
    address = session.get_master_deposit_address(coin="USDT", chainType=usdt["chain"])["result"]["chains"][0]
    assert usdt["toAddress"] == address["addressDeposit"]
    assert session.get_deposit_records(id=usdt["id"])["result"]["rows"] == [usdt]
    assert session.get_deposit_records(coin="BTC")["result"]["rows"][0]["coin"] == "BTC"
    first = session.get_deposit_records(limit=1)["result"]
    assert session.get_deposit_records(limit=1, cursor=first["nextPageCursor"])["result"]["rows"] == rows[1:2]


def test_deposit_addresses_are_stable_per_account_and_chain(exchange, session):
    chains = session.get_master_deposit_address(coin="USDT")["result"]["chains"]
    assert chains == session.get_master_deposit_address(coin="USDT")["result"]["chains"]
    by_chain = {c["chain"]: c["addressDeposit"] for c in chains}
    assert by_chain["ETH"].startswith("0x") and len(by_chain["ETH"]) == 42
    assert by_chain["TRX"].startswith("T") and len(by_chain["TRX"]) == 34
    btc = session.get_master_deposit_address(coin="BTC")["result"]["chains"][0]["addressDeposit"]
    assert btc.startswith("bc1q")
    other = pybit_session(exchange).get_master_deposit_address(coin="USDT")["result"]["chains"]
    assert {c["addressDeposit"] for c in other}.isdisjoint(by_chain.values())
    book = {r["address"] for r in session.get_withdrawal_address_list()["result"]["rows"]}
    assert book.isdisjoint(by_chain.values())                              # the book is somewhere else


@pytest.mark.parametrize("args", [{"coin": "NOPE"}, {"coin": "usdt"}, {"coin": "USDT", "chainType": "SOL"}])
def test_a_bad_coin_or_chain_gets_10001(session, args):
    with pytest.raises(InvalidRequestError) as caught:
        session.get_master_deposit_address(**args)
    assert caught.value.status_code == 10001


def test_the_deposit_account_is_stored(exchange, session):
    account = exchange.app[ACCOUNTS].get(KEY)
    assert account.asset.deposit_account == "UNIFIED"                     # where the test funds went
    assert session.set_deposit_account(accountType="FUND")["result"] == {"status": 1}
    assert account.asset.deposit_account == "FUND"
    for bad in ("EARN", "SPOT"):
        with pytest.raises(InvalidRequestError) as caught:
            session.set_deposit_account(accountType=bad)
        assert caught.value.status_code == 10001
    assert account.asset.deposit_account == "FUND"


def test_no_internal_deposit_reaches_a_fresh_account(session):
    assert session.get_internal_deposit_records()["result"] == {"rows": [], "nextPageCursor": ""}


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _base58check_ok(text: str) -> bytes:
    """The payload of a Base58Check string, after checking its 4-byte checksum."""
    number = 0
    for char in text:
        number = number * 58 + B58.index(char)
    raw = number.to_bytes(25, "big")
    assert hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:], text
    return raw[:-4]


def _bech32_ok(text: str) -> str:
    """The human-readable part of a bech32 string, after checking its checksum (BIP-173)."""
    hrp, data = text.rsplit("1", 1)
    check = 1
    for value in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [BECH32.index(c) for c in data]:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, g in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            check ^= g if (top >> i) & 1 else 0
    assert check == 1, text
    return hrp


def test_addresses_carry_their_chains_checksums(session):
    def address(coin: str, chain: str) -> str:
        rows = session.get_master_deposit_address(coin=coin, chainType=chain)["result"]["chains"]
        return rows[0]["addressDeposit"]
    assert _base58check_ok(address("USDT", "TRX"))[0] == 0x41                    # Tron
    assert _base58check_ok(address("DOGE", "DOGE"))[0] == 0x1E                   # Dogecoin
    assert _bech32_ok(address("BTC", "BTC")) == "bc" and _bech32_ok(address("LTC", "LTC")) == "ltc"
    assert _bech32_ok(address("ATOM", "ATOM")) == "cosmos"
    evm = address("ETH", "ETH")
    assert evm.startswith("0x") and int(evm, 16) >= 0 and len(evm) == 42
