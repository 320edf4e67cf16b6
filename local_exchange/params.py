"""Reading request parameters the way Bybit validates them.

Handlers never touch raw query strings or JSON bodies: they build a
:class:`Params` and ask for typed values. Anything missing, malformed or out of
range raises :class:`~local_exchange.errors.BybitError` with retCode 10001 and
a message that names the parameter, so no bad input can reach a traceback.

Messages used (Bybit's live wording varies by endpoint; these follow the
observed forms in ``reference/errors.md``):

* missing: ``Param validation for 'symbol' failed on the 'required' tag``
* bad category: ``Illegal category``
* bad value: ``params error: <name> invalid`` plus what is allowed
"""
from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, overload

from .errors import BybitError, param_error

CATEGORIES = ("spot", "linear", "inverse", "option")

# The getters below are named ``str``, ``int`` and ``bool``, so inside the class
# those names mean the methods; annotations use these aliases for the types.
_Str = builtins.str
_Int = builtins.int
_Bool = builtins.bool


def missing(name: str) -> BybitError:
    """The 10001 answer for a required parameter that was not sent."""
    return param_error(f"Param validation for '{name}' failed on the 'required' tag")


def invalid(name: str, hint: str = "") -> BybitError:
    """The 10001 answer for a parameter whose value cannot be used."""
    return param_error(f"params error: {name} invalid" + (f" ({hint})" if hint else ""))


class Params:
    """Typed access to a request's parameters (query string or JSON body).

    Values may arrive as strings (GET) or JSON types (POST); each getter accepts
    both, the way Bybit accepts ``"qty": "0.1"`` and ``"positionIdx": 0``.
    """

    __slots__ = ("asked", "data")

    def __init__(self, data: Mapping[str, Any]):
        self.data = data
        #: Every name the handler asked for: the names this endpoint takes (see :mod:`.wirenotes`).
        self.asked: set[_Str] = set()

    def _get(self, name: _Str) -> Any:
        self.asked.add(name)
        return self.data.get(name)

    def __contains__(self, name: str) -> bool:
        return self._get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self._get(name)

    @overload
    def str(self, name: _Str, required: Literal[True], default: None = None,
            choices: Iterable[_Str] | None = None) -> _Str: ...
    @overload
    def str(self, name: _Str, required: _Bool = False, *, default: _Str,
            choices: Iterable[_Str] | None = None) -> _Str: ...
    @overload
    def str(self, name: _Str, required: _Bool = False, default: _Str | None = None,
            choices: Iterable[_Str] | None = None) -> _Str | None: ...

    def str(
        self,
        name: _Str,
        required: _Bool = False,
        default: _Str | None = None,
        choices: Iterable[_Str] | None = None,
    ) -> _Str | None:
        """A string parameter; numbers sent as JSON numbers are accepted as their text."""
        value = self._get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return default
        if not isinstance(value, _Str):
            if isinstance(value, _Bool) or not isinstance(value, (_Int, float)):
                raise invalid(name, "expected a string")
            value = _Str(value)
        if choices is not None:
            allowed = tuple(choices)
            if value not in allowed:
                raise invalid(name, "one of " + ", ".join(allowed))
        return value

    def category(self, allowed: Iterable[_Str] = CATEGORIES, default: _Str | None = None) -> _Str:
        """``category``, required unless a default is given; anything else is ``Illegal category``."""
        value = self._get("category")
        if value is None or value == "":
            if default is None:
                raise missing("category")
            return default
        if value not in tuple(allowed):
            raise param_error("Illegal category")
        return value

    @overload
    def int(self, name: _Str, required: Literal[True], default: None = None,
            lo: _Int | None = None, hi: _Int | None = None) -> _Int: ...
    @overload
    def int(self, name: _Str, required: _Bool = False, *, default: _Int,
            lo: _Int | None = None, hi: _Int | None = None) -> _Int: ...
    @overload
    def int(self, name: _Str, required: _Bool = False, default: _Int | None = None,
            lo: _Int | None = None, hi: _Int | None = None) -> _Int | None: ...

    def int(
        self,
        name: _Str,
        required: _Bool = False,
        default: _Int | None = None,
        lo: _Int | None = None,
        hi: _Int | None = None,
    ) -> _Int | None:
        """An integer parameter (``"50"`` or ``50``), optionally bounded to ``[lo, hi]``."""
        value = self._get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return default
        if isinstance(value, _Bool):
            raise invalid(name, "expected an integer")
        try:
            number = _Int(value)
            if isinstance(value, float) and value != number:
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise invalid(name, "expected an integer") from None
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise invalid(name, f"must be in [{lo}, {hi}]")
        return number

    @overload
    def decimal(self, name: _Str, required: Literal[True], positive: _Bool = True) -> Decimal: ...
    @overload
    def decimal(self, name: _Str, required: _Bool = False, positive: _Bool = True) -> Decimal | None: ...

    def decimal(self, name: _Str, required: _Bool = False, positive: _Bool = True) -> Decimal | None:
        """A price or quantity, kept exact as :class:`~decimal.Decimal`."""
        value = self._get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return None
        if isinstance(value, _Bool) or not isinstance(value, (_Str, _Int, float)):
            raise invalid(name, "expected a number as a string")
        try:
            number = Decimal(_Str(value))
        except InvalidOperation:
            raise invalid(name, "expected a number as a string") from None
        if not number.is_finite() or (positive and number <= 0) or abs(number) > Decimal("1e15"):
            raise invalid(name, "expected a positive number" if positive else "expected a number")
        return number

    def bool(self, name: _Str, default: _Bool = False) -> _Bool:
        """``true``/``false`` (also ``1``/``0``, as JSON or text)."""
        value = self._get(name)
        if value is None or value == "":
            return default
        if isinstance(value, _Bool):
            return value
        if isinstance(value, (_Int, _Str)) and _Str(value).lower() in ("true", "1", "false", "0"):
            return _Str(value).lower() in ("true", "1")
        raise invalid(name, "expected true or false")
