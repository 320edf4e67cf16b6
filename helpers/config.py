"""Which environment the course talks to, with which keys, and what it may do there.

Everything is read from environment variables, or from a ``.env`` file at the top
of the course folder (real environment variables win over the file):

``BYBIT_ENV``
    ``local`` (the default), ``testnet``, ``demo`` or ``mainnet``; upper or lower case.
``BYBIT_API_KEY`` / ``BYBIT_API_SECRET``
    your API key pair. Not needed for ``local``, which has built-in demo keys.
``BYBIT_LOCAL_URL``
    the address of a shared local exchange, e.g. ``http://192.168.1.10:8765`` for a
    classroom server started with ``python -m local_exchange --host 0.0.0.0``.
    Without it, ``local`` starts a private exchange inside your kernel.
``BYBIT_ALLOW_MAINNET_ORDERS``
    set to ``1`` to let ``mainnet`` sessions place or amend orders. Without it the
    course refuses to, so that no cell can spend real money by accident.

A ``.env`` file looks like this (it is listed in ``.gitignore``, so it is never committed)::

    BYBIT_ENV=testnet
    BYBIT_API_KEY=your-key
    BYBIT_API_SECRET=your-secret

:func:`settings` reads all of this into one :class:`Settings`. Printing it never
shows a secret: keys are masked with :func:`mask`.
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from dotenv import dotenv_values, find_dotenv

from bybit_spec.demo import DEMO_API_KEY, DEMO_API_SECRET

from . import urls

ENV_VARIABLE = "BYBIT_ENV"
KEY_VARIABLE = "BYBIT_API_KEY"
SECRET_VARIABLE = "BYBIT_API_SECRET"
LOCAL_URL_VARIABLE = "BYBIT_LOCAL_URL"
ALLOW_ORDERS_VARIABLE = "BYBIT_ALLOW_MAINNET_ORDERS"

ENVIRONMENTS = urls.ENVIRONMENTS

WHERE_TO_CREATE_KEYS: dict[str, str] = {
    "testnet": "log in at https://testnet.bybit.com and open API Management (mainnet keys do not work on testnet)",
    "demo": ("log in at https://www.bybit.com, switch to Demo Trading, and create the key in its API Management "
             "(demo keys only work with the demo environment)"),
    "mainnet": "log in at https://www.bybit.com and open API Management (Account → API)",
}


class ConfigError(ValueError):
    """The environment variables (or ``.env``) do not describe a usable setup; the message says what to set."""


@dataclass(frozen=True, repr=False)
class Settings:
    """Where the course connects and with which keys.

    ``rest_url`` is the REST base URL; it is ``None`` for ``local`` without
    ``BYBIT_LOCAL_URL``, because the exchange started in the kernel picks a free
    port only when it starts (``helpers.connect.session_info()`` shows it).
    """

    env: str
    rest_url: str | None
    api_key: str
    api_secret: str
    local_url: str | None = None
    allow_mainnet_orders: bool = False

    def __repr__(self) -> str:
        return (
            f"Settings(env={self.env!r}, rest_url={self.rest_url!r}, api_key={mask(self.api_key)!r}, "
            f"api_secret={mask_secret(self.api_secret)!r}, local_url={self.local_url!r}, "
            f"allow_mainnet_orders={self.allow_mainnet_orders!r})"
        )

    __str__ = __repr__

    @property
    def uses_demo_keys(self) -> bool:
        """True when the session signs with the local exchange's built-in demo key."""
        return self.api_key == DEMO_API_KEY


def mask(key: str | None) -> str:
    """A key safe to print: its first 4 characters and ``…`` (``"(not set)"`` when empty).

    >>> mask("demo-api-key")
    'demo…'

    Keys shorter than 8 characters are shown as ``…`` only, since their first 4
    characters would give away half of them.
    """
    if not key:
        return "(not set)"
    if len(key) < 8:
        return "…"
    return key[:4] + "…"


def mask_secret(secret: str | None) -> str:
    """A secret safe to print: nothing of it at all, only whether it is set."""
    return "(set)" if secret else "(not set)"


def read_environment(environ: Mapping[str, str] | None = None, dotenv_path: str | None = None) -> dict[str, str]:
    """The ``BYBIT_*`` variables, from ``.env`` overlaid with the real environment.

    The ``.env`` file is searched from the current directory upwards, so a
    notebook running in ``notebooks/`` finds the one at the top of the course.
    A variable set in the real environment always wins over the file.
    """
    environ = os.environ if environ is None else environ
    path = find_dotenv(usecwd=True) if dotenv_path is None else dotenv_path
    values: dict[str, str] = {}
    if path:
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update({k: v for k, v in environ.items() if k.startswith("BYBIT_")})
    return {k: v for k, v in values.items() if k.startswith("BYBIT_")}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _missing_keys_message(env: str, missing: list[str], local_url: str | None = None) -> str:
    what = " and ".join(missing)
    verb = "is" if len(missing) == 1 else "are"
    if env == "local":
        head = (f"BYBIT_LOCAL_URL points at a shared local exchange ({local_url}), which refuses the built-in "
                f"demo key from other machines, but {what} {verb} not set.")
        where = "Your instructor hands out one key pair per student; use yours."
    else:
        head = f"BYBIT_ENV={env} needs your API key and secret, but {what} {verb} not set."
        where = f"To create {env} keys, {WHERE_TO_CREATE_KEYS[env]}."
    return (
        f"{head}\n"
        f"Set both environment variables {KEY_VARIABLE} and {SECRET_VARIABLE}, or put them in a .env file "
        f"at the top of the course folder:\n"
        f"    {KEY_VARIABLE}=your-key\n"
        f"    {SECRET_VARIABLE}=your-secret\n"
        f"{where}\n"
        f"Or unset BYBIT_ENV to use the local exchange, which needs no keys."
    )


def settings(environ: Mapping[str, str] | None = None, dotenv_path: str | None = None) -> Settings:
    """Read ``BYBIT_*`` from the environment and ``.env`` into a :class:`Settings`.

    Raises :class:`ConfigError` with the exact fix when ``BYBIT_ENV`` is not one
    of ``local``, ``testnet``, ``demo``, ``mainnet``, or when an environment that
    needs keys has none. ``environ`` and ``dotenv_path`` replace ``os.environ``
    and the ``.env`` search (tests use them); normally leave them out.
    Read afresh on every call, so changing ``os.environ`` in a notebook takes
    effect at the next ``helpers.connect.http()``.
    """
    values = read_environment(environ, dotenv_path)
    raw_env = values.get(ENV_VARIABLE, "").strip()
    env = raw_env.lower() or "local"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"{ENV_VARIABLE}={raw_env!r} is not an environment; set it to one of: "
                          f"{', '.join(ENVIRONMENTS)} (or leave it unset for local)")
    key = values.get(KEY_VARIABLE, "").strip()
    secret = values.get(SECRET_VARIABLE, "").strip()
    missing = [name for name, value in ((KEY_VARIABLE, key), (SECRET_VARIABLE, secret)) if not value]
    allow = _flag(values.get(ALLOW_ORDERS_VARIABLE))

    if env == "local":
        local_url = values.get(LOCAL_URL_VARIABLE, "").strip().rstrip("/") or None
        if local_url is None:
            return Settings("local", None, DEMO_API_KEY, DEMO_API_SECRET, None, allow)
        if not local_url.startswith(("http://", "https://")) or not urlsplit(local_url).hostname:
            raise ConfigError(f"{LOCAL_URL_VARIABLE}={local_url!r} is not an address; write it like "
                              f"http://192.168.1.10:8765 (the host and port the instructor's server prints)")
        if missing:
            if _is_loopback(local_url) and len(missing) == 2:
                # A server on this very machine accepts the built-in demo key.
                return Settings("local", local_url, DEMO_API_KEY, DEMO_API_SECRET, local_url, allow)
            raise ConfigError(_missing_keys_message("local", missing, local_url))
        return Settings("local", local_url, key, secret, local_url, allow)

    if missing:
        raise ConfigError(_missing_keys_message(env, missing))
    return Settings(env, urls.rest_url(env), key, secret, None, allow)
