"""The local exchange's built-in demo account: the one key both sides know.

Not a fact of Bybit itself, but of the course's stand-in for it: the local
exchange opens an account with this key, and :mod:`helpers.config` offers it
when ``BYBIT_ENV=local`` asks for no key of its own. Kept here so that the
learner-side package needs no import of the server to know it.
"""
from __future__ import annotations

DEMO_API_KEY = "demo-api-key"
DEMO_API_SECRET = "demo-api-secret"
