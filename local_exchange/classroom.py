"""A classroom server: one local exchange, one API key pair per student.

The instructor starts one exchange that every laptop in the room can reach::

    python -m local_exchange --host 0.0.0.0 --accounts 30 --keys-file keys.csv

and this module does the classroom part of it:

* :func:`generate_students` makes one random key pair per student. Each pair
  becomes its own account on the server (its own wallet, its own orders, its own
  per-endpoint rate limits, since Bybit counts those per account).
* :func:`write_keys_file` writes them to a CSV file that only the instructor can
  read, and refuses to overwrite an existing file unless told to (``--force``):
  the file may hold keys students already use.
* :func:`student_urls` says which address students should use: the machine's
  LAN addresses when the server listens on every interface (``0.0.0.0``).

The keys file looks like this (one row per student)::

    student,api_key,api_secret
    student01,Q3ZJ7C1RK8M2X5T0WA,...
    student02,...

Each student puts four lines in the ``.env`` file at the top of their course
folder (:func:`student_env` writes them) and every notebook then talks to the
classroom server with their own key::

    BYBIT_ENV=local
    BYBIT_LOCAL_URL=http://192.168.1.10:8765
    BYBIT_API_KEY=<api_key from their row>
    BYBIT_API_SECRET=<api_secret from their row>

Why each student needs a key of their own: the built-in demo key
(``demo-api-key``) is public, so the server refuses it from any other machine
(see :mod:`.auth`). With one shared key, every student would see, amend and
cancel everybody's orders.

Who can read the keys file
--------------------------
On Linux and macOS the file is created with mode ``0600`` (read and write for
its owner only) before anything is written into it, so there is no moment when
another user could read it. On Windows the mode bits do not apply: a new file
takes its permissions from the folder it is created in. Inside your own user
folder (``C:\\Users\\you\\...``) only you and the administrators can read it;
do not write it to a shared or synced folder.
"""
from __future__ import annotations

import csv
import io
import ipaddress
import os
import secrets
import socket
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .settings import DEMO_API_KEY

#: Characters of generated keys and secrets: letters and digits, like Bybit's own.
ALPHABET = string.ascii_letters + string.digits
#: Bybit's API keys are 18 characters and its HMAC secrets 36; the generated ones match.
KEY_LENGTH = 18
SECRET_LENGTH = 36
#: The keys file's header row.
COLUMNS = ("student", "api_key", "api_secret")
#: Mode of the keys file on POSIX systems: read/write for the owner, nothing for anyone else.
KEYS_FILE_MODE = 0o600
#: The most accounts one command creates (a guard against a typo such as ``--accounts 3000``).
MAX_ACCOUNTS = 500

WILDCARD_HOSTS = ("0.0.0.0", "", "::")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class KeysFileError(Exception):
    """The keys file cannot be written or read; the message says what to do."""


@dataclass(frozen=True, repr=False)
class Student:
    """One student's name and API key pair. Printing it never shows the secret."""

    name: str
    api_key: str
    api_secret: str

    def __repr__(self) -> str:
        return f"Student(name={self.name!r}, api_key={self.api_key[:4] + '…'!r}, api_secret='(hidden)')"

    __str__ = __repr__


def random_token(length: int) -> str:
    """``length`` random letters and digits from the operating system's secure generator."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def generate_students(count: int, prefix: str = "student") -> list[Student]:
    """``count`` students named ``student01``, ``student02``, ... each with a fresh random key pair.

    Keys come from :mod:`secrets` (not :mod:`random`), so nobody can guess
    another student's key from their own. Keys are unique and never the
    built-in demo key.
    """
    if not 1 <= count <= MAX_ACCOUNTS:
        raise ValueError(f"the number of accounts must be between 1 and {MAX_ACCOUNTS}, not {count}")
    width = max(2, len(str(count)))
    students: list[Student] = []
    seen = {DEMO_API_KEY}
    for number in range(1, count + 1):
        key = random_token(KEY_LENGTH)
        while key in seen:   # 62**18 keys: a repeat is practically impossible, but cheap to rule out
            key = random_token(KEY_LENGTH)
        seen.add(key)
        students.append(Student(f"{prefix}{number:0{width}d}", key, random_token(SECRET_LENGTH)))
    return students


def keys_csv(students: Iterable[Student]) -> str:
    """The text of a keys file: the header ``student,api_key,api_secret`` and one row per student."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for student in students:
        writer.writerow((student.name, student.api_key, student.api_secret))
    return buffer.getvalue()


def _exists_message(path: Path) -> str:
    return (f"{path} already exists and may hold keys your students already use; it was left untouched. "
            f"Choose another --keys-file, serve the keys it holds again with --reuse-keys, "
            f"or replace them with new ones with --force.")


def check_writable(path: str | os.PathLike[str], force: bool = False) -> Path:
    """Fail early (before a server starts) if :func:`write_keys_file` would refuse ``path``."""
    target = Path(path)
    if target.exists() and not force:
        raise KeysFileError(_exists_message(target))
    if target.is_dir():
        raise KeysFileError(f"{target} is a folder; give a file name such as keys.csv")
    if not target.parent.is_dir():
        raise KeysFileError(f"cannot write {target}: the folder {target.parent} does not exist")
    return target


def _create_private(path: Path) -> int:
    """Create ``path`` (it must not exist) readable by its owner only; return the open descriptor.

    ``O_CREAT | O_EXCL`` creates the file or fails if it exists, in one step, so
    an existing file is never opened. The mode 0600 is given at creation (the
    umask can only remove bits from it) and set again with ``fchmod`` before a
    single byte is written.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, KEYS_FILE_MODE)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, KEYS_FILE_MODE)
    return fd


def _write_all(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_keys_file(path: str | os.PathLike[str], students: Sequence[Student], force: bool = False) -> Path:
    """Write the students' keys to ``path`` so that only the current user can read it.

    Without ``force``, an existing file is never touched: :class:`KeysFileError`
    says so. With ``force``, the new keys go to a fresh private file next to it,
    which then replaces the old one in one step (``os.replace``), so the file is
    never half-written and never readable by others, even for a moment.
    Returns the path written.
    """
    target = check_writable(path, force)
    data = keys_csv(students).encode("utf-8")
    if not force:
        try:
            fd = _create_private(target)
        except FileExistsError:
            raise KeysFileError(_exists_message(target)) from None
        try:
            _write_all(fd, data)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = _create_private(temporary)
    try:
        _write_all(fd, data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def read_keys_file(path: str | os.PathLike[str]) -> list[Student]:
    """The students of a keys file written by :func:`write_keys_file` (to serve the same keys again)."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeysFileError(f"{target} does not exist; create it with --accounts N --keys-file {target}") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != COLUMNS:
        raise KeysFileError(f"{target} is not a keys file: its first line must be {','.join(COLUMNS)}")
    students: list[Student] = []
    keys: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 3 or not all(row):
            raise KeysFileError(f"{target}, line {number}: expected student,api_key,api_secret")
        if row[1] in keys or row[1] == DEMO_API_KEY:
            raise KeysFileError(f"{target}, line {number}: the key of {row[0]} is used twice or is the demo key")
        keys.add(row[1])
        students.append(Student(row[0], row[1], row[2]))
    if not students:
        raise KeysFileError(f"{target} holds no students")
    return students


def is_owner_only(path: str | os.PathLike[str]) -> bool:
    """True when no one but the owner may read or write ``path`` (POSIX mode bits; always True on Windows)."""
    if os.name == "nt":
        return True
    return os.stat(path).st_mode & 0o077 == 0


# -- where students connect ----------------------------------------------------------------
def _usable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified or ip.is_link_local or ip.is_multicast)


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other machines can use to reach it (no loopback).

    Two sources, both offline: the addresses the host name resolves to, and the
    address the system would send from towards an outside address. The second is
    a UDP ``connect``, which only asks the routing table; no packet is sent.
    """
    found: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    except OSError:
        pass
    for probe in ("192.0.2.1", "10.255.255.255"):   # TEST-NET-1 and a private address: nothing is sent
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                found.append(udp.getsockname()[0])
        except OSError:
            pass
    unique: list[str] = []
    for address in found:
        if _usable(address) and address not in unique:
            unique.append(address)
    return unique


def student_urls(host: str, port: int) -> list[str]:
    """The ``BYBIT_LOCAL_URL`` values that reach a server listening on ``host:port``.

    ``0.0.0.0`` (every interface) gives one URL per LAN address of this machine;
    a loopback host gives the loopback URL, which only this machine can use; any
    other host is used as it is.
    """
    if host in WILDCARD_HOSTS:
        hosts = lan_addresses() or [socket.gethostname()]
    else:
        hosts = [host]
    return [f"http://[{h}]:{port}" if ":" in h else f"http://{h}:{port}" for h in hosts]


def student_env(url: str, student: Student) -> str:
    """The ``.env`` lines that point one student's notebooks at the classroom server.

    This text contains the student's secret: give it to that student only.
    """
    return (f"BYBIT_ENV=local\n"
            f"BYBIT_LOCAL_URL={url}\n"
            f"BYBIT_API_KEY={student.api_key}\n"
            f"BYBIT_API_SECRET={student.api_secret}\n")


def protection_note(path: Path) -> str:
    """One sentence on who can read the keys file, for the server's start-up message."""
    if os.name == "nt":
        return (f"{path}: on Windows its permissions come from its folder; keep it inside your user folder, "
                f"not in a shared one.")
    return f"{path}: mode {KEYS_FILE_MODE:04o}, readable by you only."
