"""Run the local exchange from a shell: ``python -m local_exchange``.

For a classroom where many laptops share one server, start it on the
instructor's machine with ``--host 0.0.0.0`` and one account per student::

    python -m local_exchange --host 0.0.0.0 --accounts 30 --keys-file keys.csv

It writes each student's random key pair to ``keys.csv`` (readable by you only,
see :mod:`.classroom`), prints the URL students set as ``BYBIT_LOCAL_URL``, and
never prints a student's secret. Ctrl-C stops it.
"""
from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from . import classroom
from .classroom import KeysFileError, Student
from .runner import ExchangeStartError, LocalExchange
from .settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local_exchange",
        description="A local imitation of Bybit's V5 REST API (and WebSocket) for the course.",
        epilog="Classroom: python -m local_exchange --host 0.0.0.0 --accounts 30 --keys-file keys.csv",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on. The default 127.0.0.1 serves this machine only; "
                             "0.0.0.0 exposes the server to every machine on the network (a classroom).")
    parser.add_argument("--port", type=int, default=8765,
                        help="TCP port (default 8765; 0 picks a free one).")
    parser.add_argument("--seed", type=int, default=7,
                        help="seed of the price history: the same seed gives the same klines everywhere (default 7).")
    parser.add_argument("--limits", choices=("bybit", "teaching", "off"), default="bybit",
                        help="rate limits: 'bybit' = the real ones (600 requests / 5 s per IP, 10 orders/s ...); "
                             "'teaching' = low ones a lesson hits at once (60 / 5 s per IP with a 10 s ban, "
                             "2 orders/s); "
                             "'off' = none at all, per UID or per IP (benchmarks and load tests).")
    parser.add_argument("--no-ip-limit", action="store_true",
                        help="switch the per-IP limit (HTTP 403 ban) off, "
                             "e.g. for benchmarks or a busy classroom behind one NAT.")
    parser.add_argument("--allow-demo-key-remote", action="store_true",
                        help="accept the built-in demo key from other machines too (by default only from this one).")
    parser.add_argument("--wire-log-size", type=int, default=500,
                        help="how many requests GET /local/wire remembers (default 500).")
    parser.add_argument("--routes", nargs="?", const="-", metavar="FILE",
                        help="print which of Bybit's REST paths the local exchange serves, and exit; "
                             "with FILE (e.g. README.md), rewrite the list in that file instead.")
    room = parser.add_argument_group(
        "classroom", "one account per student, each with its own random key pair, wallet, orders and rate limits")
    room.add_argument("--accounts", type=int, metavar="N",
                      help=f"create N student accounts (1-{classroom.MAX_ACCOUNTS}) with random keys; needs --keys-file.")
    room.add_argument("--keys-file", metavar="PATH",
                      help="CSV file for the students' keys (columns student,api_key,api_secret), created "
                           "readable by you only. An existing file is never overwritten without --force.")
    room.add_argument("--force", action="store_true",
                      help="replace an existing --keys-file with new keys (students' old keys stop working).")
    room.add_argument("--reuse-keys", action="store_true",
                      help="serve the keys already in --keys-file again (e.g. after restarting the server) "
                           "instead of creating new ones.")
    return parser


def check_classroom_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse flag combinations that make no sense, with the fix (exits with status 2)."""
    if args.accounts is not None and not args.keys_file:
        parser.error("--accounts needs --keys-file PATH: the students' keys must be written somewhere "
                     "(they are never printed)")
    if args.keys_file and args.accounts is None and not args.reuse_keys:
        parser.error("--keys-file needs --accounts N (new keys) or --reuse-keys (the keys already in the file)")
    if args.reuse_keys and not args.keys_file:
        parser.error("--reuse-keys needs --keys-file PATH")
    if args.reuse_keys and args.force:
        parser.error("--reuse-keys keeps the file's keys and --force replaces them: choose one")
    if args.accounts is not None and not 1 <= args.accounts <= classroom.MAX_ACCOUNTS:
        parser.error(f"--accounts must be between 1 and {classroom.MAX_ACCOUNTS}")


def classroom_students(args: argparse.Namespace) -> list[Student]:
    """The student accounts to serve: new ones, the keys file's (``--reuse-keys``), or none.

    For new ones this also checks, before any server starts, that the keys file
    may be written (it does not exist, or ``--force``).
    """
    if not args.keys_file:
        return []
    if args.reuse_keys:
        students = classroom.read_keys_file(args.keys_file)
        if args.accounts is not None and args.accounts != len(students):
            raise KeysFileError(f"{args.keys_file} holds {len(students)} students, not --accounts {args.accounts}; "
                                f"leave --accounts out to serve the file's keys")
        return students
    classroom.check_writable(args.keys_file, args.force)
    return classroom.generate_students(args.accounts)


def config_from(args: argparse.Namespace, students: Sequence[Student] = ()) -> ExchangeConfig:
    return ExchangeConfig(
        host=args.host,
        port=args.port,
        seed=args.seed,
        limits=args.limits,
        ip_limit=not args.no_ip_limit,
        wire_log_size=args.wire_log_size,
        allow_demo_key_remote=args.allow_demo_key_remote,
        extra_accounts=tuple((s.api_key, s.api_secret) for s in students),
    )


def banner(exchange: LocalExchange, args: argparse.Namespace, students: Sequence[Student]) -> str:
    """What the server prints when it starts: where to connect, and never a student's secret."""
    lines = [f"Local Bybit V5 exchange at {exchange.url}  (limits: {args.limits}, seed: {args.seed})"]
    remote = args.host not in classroom.LOOPBACK_HOSTS
    urls = classroom.student_urls(args.host, exchange.port)
    if remote:
        lines.append(f"Listening on {args.host}, port {exchange.port}. Other machines use "
                     + ("this address:" if len(urls) == 1 else "one of these addresses (the one their network reaches):"))
        lines += [f"    BYBIT_LOCAL_URL={url}" for url in urls]
    if students:
        keys_path = Path(args.keys_file)
        origin = "served again from" if args.reuse_keys else "written to"
        lines.append(f"{len(students)} student accounts ({students[0].name} ... {students[-1].name}), "
                     f"keys {origin} {classroom.protection_note(keys_path)}")
        lines.append("Give each student their own row. In the .env file at the top of their course folder they write:")
        lines += ["    BYBIT_ENV=local",
                  f"    BYBIT_LOCAL_URL={urls[0]}",
                  "    BYBIT_API_KEY=<api_key from their row>",
                  "    BYBIT_API_SECRET=<api_secret from their row>"]
        if not remote:
            lines.append(f"Note: {args.host} serves this machine only; start with --host 0.0.0.0 "
                         f"so that students' laptops can connect.")
    lines.append(f"Demo key: {DEMO_API_KEY}   secret: {DEMO_API_SECRET}"
                 + ("" if args.allow_demo_key_remote else "   (accepted from this machine only)"))
    lines.append(f"Wire log: {exchange.url}/local/wire      Ctrl-C to stop.")
    return "\n".join(lines)


def print_routes(target: str) -> int:
    """``--routes``: the served-routes table on stdout, or rewritten into ``target``'s block."""
    from . import served

    if target == "-":
        print(served.coverage_markdown())
        return 0
    try:
        changed = served.rewrite_block(Path(target))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{target}: " + ("the served-routes list was rewritten" if changed else "already current"))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.routes is not None:
        return print_routes(args.routes)
    check_classroom_args(parser, args)
    try:
        students = classroom_students(args)
    except (KeysFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        exchange = LocalExchange(config_from(args, students)).start()
    except ExchangeStartError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if students and not args.reuse_keys:
        try:
            classroom.write_keys_file(args.keys_file, students, force=args.force)
        except (KeysFileError, OSError) as error:
            exchange.stop()
            print(f"error: could not write the keys file: {error}", file=sys.stderr)
            return 1
    print(banner(exchange, args, students))
    sys.stdout.flush()
    done = threading.Event()
    try:
        while exchange.running and not done.wait(0.5):   # wakes often so Ctrl-C works on Windows too
            pass
    except KeyboardInterrupt:
        print("\nStopping ...")
    finally:
        exchange.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
