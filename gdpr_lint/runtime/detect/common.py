"""What every detector uses: :class:`Span` and the overlap priorities, regular
expressions compiled on first use, ``python-stdnum`` and ``phonenumbers``
imported on first use, and the scan that keeps the longest valid prefix of a
match.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, NamedTuple, Optional, Sequence, Tuple

# Priorities: lower wins an overlap.  Known values are certain.
P_KNOWN, P_EMAIL, P_IBAN, P_CARD, P_NATIONAL, P_CVR, P_IP, P_PHONE, P_ADDRESS, P_NAME, P_CUSTOM = range(11)


class Span(NamedTuple):
    """A detected value: ``text[start:end]``, its entity type and canonical form."""

    start: int
    end: int
    type: str
    canonical: str
    priority: int = P_CUSTOM


new_span = tuple.__new__  # new_span(Span, (start, end, type, canonical, priority)): Span(...) without its Python-level __new__


# ---------------------------------------------------------------------------
# lazy third-party modules

_stdnum: dict[str, Any] = {}
_phonenumbers: Any = None


def stdnum_module(name: str) -> Any:
    """``stdnum.<name>`` (``"dk.cpr"``, ``"iban"`` ...), imported on first use."""
    mod = _stdnum.get(name)
    if mod is None:
        import importlib

        mod = importlib.import_module(f"stdnum.{name}")
        _stdnum[name] = mod
    return mod


def phonenumbers_module() -> Any:
    """The ``phonenumbers`` module, imported on first use."""
    global _phonenumbers
    if _phonenumbers is None:
        import phonenumbers

        _phonenumbers = phonenumbers
    return _phonenumbers


# ---------------------------------------------------------------------------
# regular expressions and helpers

class LazyRe:
    """A regex compiled on first use, so that importing the runtime stays fast."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        compiled = re.compile(self._pattern, self._flags)
        for method in ("finditer", "match", "search", "fullmatch", "sub", "findall", "split"):
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


def lazy_re(pattern: str, flags: int = 0) -> Any:
    return LazyRe(pattern, flags)


NONDIGITS = lazy_re(r"\D+")
SPACES = lazy_re(r"\s+")


def lower_same_len(text: str) -> str:
    """``text.lower()``, keeping the characters that would become two as they are
    (positions in the result are positions in ``text``)."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two code points
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low


def isword(c: str) -> bool:
    return c.isalnum() or c == "_"


# ---------------------------------------------------------------------------
# the candidate scan

STOP = object()  # returned by a validator: no shorter prefix can be valid either


def scan_candidates(
    rx: Any,
    text: str,
    validate: Any,
    taken: Optional[bytearray] = None,
    regions: Optional[Sequence[Tuple[int, int]]] = None,
    lead: str = "",
) -> Iterator[Tuple[int, int, Any]]:
    """Scan with ``rx``; for each match the longest valid prefix wins and the
    scan resumes right after it, so adjacent values are all found.  Matches
    starting inside a value already found by a stronger detector are skipped.

    The prefixes of a match are the match and its prefixes cut at a space or
    a hyphen, longest first: a greedy match may run into a following number
    ("DK50 ... 43 DK50 ..."), and the valid value is one of its prefixes.

    ``regions``: ascending ``(start, end)`` ranges where every match of ``rx``
    starts (see ``_number_regions()`` in :mod:`gdpr_lint.runtime.detect`); only they are scanned.  A match ends
    at most one character after its region (a phone number's ")"), and ``rx``
    looks at most two characters beyond a match.  ``lead``: the characters a
    number region can have right before a match that does not start the region
    (the scan of a region stops when none is left)."""
    pos = 0
    search = rx.search
    for lo, hi in regions if regions is not None else ((0, len(text)),):
        if pos < lo:
            pos = lo
        if taken is not None and taken.find(0, pos, hi) == -1:
            continue  # (every match would start inside a value already found)
        endpos = hi + 3
        while pos < hi:
            if lead and pos > lo:
                for c in lead:
                    if text.find(c, pos - 1, hi - 1) != -1:
                        break
                else:
                    break  # no match can start in the rest of this region
            m = search(text, pos, endpos)
            if m is None:
                break
            start = m.start()  # (a group of rx, if any, is the whole match)
            if taken is not None and taken[start]:
                free = taken.find(0, start)  # resume after the taken value, not after this match
                pos = len(text) if free < 0 else free
                continue
            raw = m.group()
            if raw[-1] == ")" and raw.count(")") > raw.count("("):
                raw = raw.rstrip(")")
            pos = start + 1  # unless a prefix is valid
            while raw:
                result = validate(raw, start)
                if result is STOP:
                    break
                if result is not None:
                    pos = start + len(raw)
                    yield start, pos, result
                    break
                cut = max(raw.rfind(" "), raw.rfind("-"))
                if cut <= 0:
                    break
                raw = raw[:cut].rstrip(" -.(")


def stdnum_valid(module: Any, value: str) -> bool:
    """``module.is_valid(value)`` of a python-stdnum module, False if it raises."""
    try:
        return bool(module.is_valid(value))
    except Exception:  # stdnum raises on some malformed input in older versions
        return False
