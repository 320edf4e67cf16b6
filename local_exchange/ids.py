"""Ids and sequence numbers of the local exchange's orders and executions.

Bybit's linear order and execution ids are UUIDs; its spot ones are long decimal
strings. One global sequence number grows with every change: it sorts lists and
backs the paging cursors.
"""
from __future__ import annotations

import itertools
import uuid

_seq = itertools.count(1)                       # one global sequence: orders, fills, positions
_spot_ids = itertools.count(1_900_000_000_000_000_000)  # numeric ids, like Bybit's spot ones


def next_seq() -> int:
    """A number that grows with every change; sorts lists and backs cursors."""
    return next(_seq)


def new_order_id(category: str) -> str:
    """Linear order ids are UUIDs; spot order ids are long decimal strings (as on Bybit)."""
    return str(uuid.uuid4()) if category == "linear" else str(next(_spot_ids))


def new_exec_id(category: str) -> str:
    """Execution ids follow the same convention as order ids."""
    return str(uuid.uuid4()) if category == "linear" else str(next(_spot_ids))
