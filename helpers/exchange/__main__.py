"""Run the local exchange from a shell: ``python -m helpers.exchange``.

For a classroom where many laptops share one server, start it on the
instructor's machine with ``--host 0.0.0.0`` and give students the URL it
prints. Ctrl-C stops it.
"""
from __future__ import annotations

import argparse
import sys
import threading

from .runner import ExchangeStartError, LocalExchange
from .settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.exchange",
        description="A local imitation of Bybit's V5 REST API (and WebSocket) for the course.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on. The default 127.0.0.1 serves this machine only; "
                             "0.0.0.0 exposes the server to every machine on the network (a classroom).")
    parser.add_argument("--port", type=int, default=8765,
                        help="TCP port (default 8765; 0 picks a free one).")
    parser.add_argument("--seed", type=int, default=7,
                        help="seed of the price history: the same seed gives the same klines everywhere (default 7).")
    parser.add_argument("--limits", choices=("bybit", "teaching"), default="bybit",
                        help="rate limits: 'bybit' = the real ones (600 requests / 5 s per IP, 10 orders/s ...); "
                             "'teaching' = low ones a lesson hits at once (60 / 5 s per IP with a 10 s ban, 2 orders/s).")
    parser.add_argument("--no-ip-limit", action="store_true",
                        help="switch the per-IP limit (HTTP 403 ban) off, e.g. for benchmarks or a busy classroom behind one NAT.")
    parser.add_argument("--allow-demo-key-remote", action="store_true",
                        help="accept the built-in demo key from other machines too (by default only from this one).")
    parser.add_argument("--wire-log-size", type=int, default=500,
                        help="how many requests GET /local/wire remembers (default 500).")
    return parser


def config_from(args: argparse.Namespace) -> ExchangeConfig:
    return ExchangeConfig(
        host=args.host,
        port=args.port,
        seed=args.seed,
        limits=args.limits,
        ip_limit=not args.no_ip_limit,
        wire_log_size=args.wire_log_size,
        allow_demo_key_remote=args.allow_demo_key_remote,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        exchange = LocalExchange(config_from(args)).start()
    except ExchangeStartError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Local Bybit V5 exchange at {exchange.url}  (limits: {args.limits}, seed: {args.seed})")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Listening on {args.host}: other machines can connect to this one's address, port {exchange.port}.")
    print(f"Demo key: {DEMO_API_KEY}   secret: {DEMO_API_SECRET}"
          + ("" if args.allow_demo_key_remote else "   (accepted from this machine only)"))
    print(f"Wire log: {exchange.url}/local/wire      Ctrl-C to stop.")
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
