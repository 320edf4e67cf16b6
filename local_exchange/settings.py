"""Everything that configures one local exchange, in one dataclass.

The command line (``python -m local_exchange --help``) and
``helpers.connect`` both build an :class:`ExchangeConfig`; nothing else reads
flags or environment variables.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bybit_spec.demo import DEMO_API_KEY, DEMO_API_SECRET  # noqa: F401 (re-exported)


@dataclass(frozen=True)
class ExchangeConfig:
    """How a local exchange behaves.

    ``seed`` fixes the whole price history: the same seed gives the same klines on
    every run and machine. ``limits`` is ``"bybit"`` (the real limits),
    ``"teaching"`` (low limits, so a lesson hits one within a second) or ``"off"``
    (no limit at all, per UID or per IP: for benchmarks and load tests).
    ``ip_limit`` may be set to ``False`` to lift only the per-IP limit (a classroom
    behind one NAT).
    ``ws_idle_timeout_s`` closes a WebSocket on which nothing happened (no frame
    from the client, no data pushed to it) for that long: Bybit's 10 minutes.
    """

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 7
    limits: str = "bybit"
    ip_limit: bool = True
    wire_log_size: int = 500
    allow_demo_key_remote: bool = False
    demo_account: bool = True
    extra_accounts: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    ws_idle_timeout_s: float = 600.0   # close a WebSocket after this long with no frame either way
