"""Waiting for a condition, with a deadline: the one way tests wait.

A test never sleeps for a fixed time hoping something has happened by then: on
a busy machine it has not, on a fast one the time is wasted. It asks again and
again until the condition holds, and gives up at a deadline generous enough
for a loaded laptop (the deadline is only reached when something is broken).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

DEADLINE_S = 20.0   # only a broken test waits this long
POLL_S = 0.01


def until(condition: Callable[[], object], timeout: float = DEADLINE_S, poll_s: float = POLL_S) -> bool:
    """Ask ``condition()`` until it is true or ``timeout`` seconds passed; its last answer, as a bool."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return bool(condition())
        time.sleep(poll_s)
    return True


async def until_async(condition: Callable[[], object], timeout: float = DEADLINE_S, poll_s: float = POLL_S) -> bool:
    """:func:`until` inside an event loop: yields to the loop between asks."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return bool(condition())
        await asyncio.sleep(poll_s)
    return True
