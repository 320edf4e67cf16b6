"""Blockchain addresses for the paper world: well formed, stable, and not real.

The local exchange has no blockchains, yet a deposit address or an address-book
entry should look like one of its chain, so that a learner's own checks (length,
prefix, checksum) behave as they would on Bybit. :func:`derive` makes one from a
seed text (the account's uid, the coin, the chain and what the address is for):
the seed's SHA-256 stands in for the public key hash, and the chain's *family*
says how that hash is written, with the chain's own checksum:

==========  ===========================================================  ==========================
family      written as                                                   chains
==========  ===========================================================  ==========================
``evm``     ``0x`` + 40 hex digits (lowercase, which every EVM accepts)  ETH, BSC, ARBI, OP, ...
``hex64``   ``0x`` + 64 hex digits                                       APTOS, SUI
``near``    64 hex digits (an implicit account)                          NEAR
``bech32``  BIP-173 bech32 with the chain's prefix                       BTC, LTC, ATOM, ADA, ...
``b58c:V``  Base58Check with version byte ``V`` (hex)                    TRX (41), DOGE (1e), BCH (00)
``ripple``  Base58Check in Ripple's alphabet, version 0                  XRP
``solana``  Base58 of 32 bytes                                           SOL and its tokens
``ss58``    SS58 (Polkadot, prefix 0, BLAKE2b checksum)                  DOT
``strkey``  Stellar StrKey (``G...``, CRC16-XModem)                      XLM
``ton``     TON user-friendly form (base64url, CRC16-XModem)             TON
``hedera``  ``0.0.<account number>``                                     HBAR
``fil``     ``f1`` + base32 (BLAKE2b-160 payload, 4-byte checksum)       FIL
==========  ===========================================================  ==========================

Nobody holds the keys of these addresses: money sent to one from a real chain
would be lost. They are for the local exchange only.
"""
from __future__ import annotations

import base64
import hashlib

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_RIPPLE = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _sha(seed: str) -> bytes:
    return hashlib.sha256(seed.encode()).digest()


def _base58(data: bytes, alphabet: str = _B58) -> str:
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = alphabet[digit] + text
    zeros = len(data) - len(data.lstrip(b"\0"))
    return alphabet[0] * zeros + text


def _base58check(payload: bytes, alphabet: str = _B58) -> str:
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return _base58(payload + checksum, alphabet)


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if (top >> i) & 1 else 0
    return check


def _bech32(hrp: str, data: bytes, witness_version: int | None) -> str:
    """BIP-173 bech32: ``hrp`` + ``1`` + the data in 5-bit groups + a 6-character checksum."""
    acc, bits, words = 0, 0, []
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)
    if witness_version is not None:
        words.insert(0, witness_version)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _bech32_polymod(expanded + words + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[w] for w in words + checksum)


def _crc16_xmodem(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _write(family: str, key: bytes) -> str:
    """``key`` (32 bytes) written as an address of ``family`` (see the module docstring)."""
    if family == "evm":
        return "0x" + key[:20].hex()
    if family == "hex64":
        return "0x" + key.hex()
    if family == "near":
        return key.hex()
    if family.startswith("bech32:"):
        hrp = family.split(":", 1)[1]
        if hrp in ("bc", "ltc"):                              # segwit v0, a 20-byte key hash
            return _bech32(hrp, key[:20], witness_version=0)
        return _bech32(hrp, key[:20] if hrp != "addr" else b"\x61" + key + key[:24], witness_version=None)
    if family.startswith("b58c:"):
        return _base58check(bytes.fromhex(family.split(":", 1)[1]) + key[:20])
    if family == "ripple":
        return _base58check(b"\0" + key[:20], _RIPPLE)
    if family == "solana":
        return _base58(key)
    if family == "ss58":
        body = b"\0" + key
        return _base58(body + hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2])
    if family == "strkey":
        body = bytes([6 << 3]) + key
        return base64.b32encode(body + _crc16_xmodem(body).to_bytes(2, "little")).decode()
    if family == "ton":
        body = b"\x11\x00" + key
        return base64.urlsafe_b64encode(body + _crc16_xmodem(body).to_bytes(2, "big")).decode()
    if family == "hedera":
        return f"0.0.{1_000_000 + int.from_bytes(key[:4], 'big') % 9_000_000}"
    if family == "fil":
        payload = hashlib.blake2b(key, digest_size=20).digest()
        checksum = hashlib.blake2b(b"\x01" + payload, digest_size=4).digest()
        return "f1" + base64.b32encode(payload + checksum).decode().lower().rstrip("=")
    raise ValueError(f"unknown address family {family!r}")


def derive(family: str, seed: str) -> str:
    """A well-formed address of ``family``, the same for the same ``seed`` (e.g. ``"deposit/10000001/USDT/TRX"``)."""
    return _write(family, _sha(seed))


def tx_hash(family: str, seed: str) -> str:
    """A transaction hash in the chain's usual spelling (``0x`` + 64 hex on EVM chains, 64 hex elsewhere)."""
    digest = _sha("tx/" + seed).hex()
    return "0x" + digest if family in ("evm", "hex64") else digest
