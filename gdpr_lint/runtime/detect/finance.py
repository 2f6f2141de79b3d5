"""IBANs, payment card numbers and Danish company (CVR) numbers."""

from __future__ import annotations

import sys
from typing import Any, Iterator, Optional, Sequence, Tuple

from .common import (
    P_CARD,
    P_CVR,
    P_IBAN,
    STOP,
    Span,
    lazy_re,
    lower_same_len,
    new_span,
    scan_candidates,
    stdnum_module,
    stdnum_valid,
)
from .context import NEG_NUMBER, POS_CARD, POS_CVR, context_at

# ---------------------------------------------------------------------------
# IBAN

# Any country, upper or lower case, grouped with spaces or hyphens
# ("DK50 0040 ...", "dk50 0040 ...", "DK50-0040-...").
_IBAN = lazy_re(r"((?:[A-Z](?<!\w[A-Z])[A-Z]|[a-z](?<!\w[a-z])[a-z])\d{2}(?:[ \-]?[A-Za-z0-9]){11,30})(?![\w])")


# Every IBAN has two letters and two check digits at its start: found from the
# digits (few) rather than from every letter (most of a text).
_IBAN_CHECK_DIGITS = lazy_re(r"\d\d(?<=[A-Za-z]{2}\d\d)")


class _IbanSearch:
    """``_IBAN.search``, anchored on the check digits: the same matches."""

    @staticmethod
    def search(text: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        anchor, match = _IBAN_CHECK_DIGITS.search, _IBAN.match
        p = pos + 2
        while True:
            a = anchor(text, p, endpos)
            if a is None:
                return None
            m = match(text, a.start() - 2, endpos)
            if m is not None:
                return m
            p = a.start() + 1


_iban_shapes: dict[Tuple[str, str], bool] = {}
_national_iban_checks: dict[str, bool] = {}


def _has_national_iban_check(country: str) -> bool:
    """Does python-stdnum check a national check digit inside this country's IBANs?"""
    found = _national_iban_checks.get(country)
    if found is None:
        import importlib.util

        try:
            found = importlib.util.find_spec(f"stdnum.{country.lower()}.iban") is not None
        except (ImportError, ValueError):
            found = False
        _national_iban_checks[country] = found
    return found
_IBAN_LETTERS = {ord(c): str(int(c, 36)) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}  # A -> "10" ... Z -> "35"
# the shape of an account part ([A-Z0-9] only): digits -> "9", letters -> "A"
_SHAPE = str.maketrans("0123456789BCDEFGHIJKLMNOPQRSTUVWXYZ", "9" * 10 + "A" * 25)


def iban_ok(compact: str) -> bool:
    """Whether an IBAN without spaces (upper-case, 15+ characters) is valid: the
    ISO 13616 mod-97 check first (cheap), then stdnum's per-country format check.
    The linter's literal check uses it too (gdpr_lint/analysis/literals.py)."""
    rearranged = compact[4:] + compact[:4]
    if int(rearranged.translate(_IBAN_LETTERS)) % 97 != 1:
        return False
    # The format check depends only on the country and the shape of the
    # account part (digits / letters), not on the digits themselves.
    shape = (compact[:2], compact[4:].translate(_SHAPE))
    ok = _iban_shapes.get(shape)
    if ok is None:
        ok = bool(stdnum_module("iban").is_valid(compact))
        if len(_iban_shapes) < 512 and not _has_national_iban_check(shape[0]):
            _iban_shapes[shape] = ok
    return ok


def find_ibans(text: str) -> Iterator[Span]:
    def valid(s: str, start: int) -> Any:
        compact = s.replace(" ", "").replace("-", "").upper()
        if len(compact) < 15:
            return STOP  # shorter prefixes are shorter still
        return compact if iban_ok(compact) else None

    for start, end, compact in scan_candidates(_IbanSearch, text, valid):
        yield new_span(Span, (start, end, "IBAN", compact, P_IBAN))


# ---------------------------------------------------------------------------
# payment cards

_CARD = lazy_re(r"\d(?<![\w.,\-]\d)(?:[ -]?\d){12,18}(?![\w]|[.,-]\d)")
_CARD_LEAD = " /+()"  # what can come before a card number inside a number region
_CARD_GROUPED = lazy_re(r"^(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{5})$")
# Card number prefixes (Visa 4, Mastercard 51-55 and 22-27, Amex 34/37, Diners
# 30/36/38, Discover 60/62/65, Maestro 50/56-59): a card number starts with "4"
# or with one of these two digits.
_CARD_PREFIXES = frozenset(
    [f"5{d}" for d in "0123456789"] + [f"2{d}" for d in "234567"] + [f"3{d}" for d in "04678"] + ["60", "62", "65"]
)


# the Luhn value of a doubled digit, as a byte translation of ASCII digits
_LUHN_DOUBLED = bytes.maketrans(b"0123456789", bytes((0, 2, 4, 6, 8, 1, 3, 5, 7, 9)))


def _luhn_ok(digits: str) -> bool:
    if digits.isascii():
        b = digits.encode()
        kept = b[-1::-2]
        return (sum(kept) - 48 * len(kept) + sum(b[-2::-2].translate(_LUHN_DOUBLED))) % 10 == 0
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def find_cards(
    text: str, taken: Optional[bytearray] = None, low: Optional[str] = None, regions: Optional[Sequence[Tuple[int, int]]] = None
) -> Iterator[Span]:
    def valid(s: str, start: int) -> Any:
        digits = s.replace(" ", "").replace("-", "")
        if len(digits) < 13 or not (digits[0] == "4" or digits[:2] in _CARD_PREFIXES):
            return STOP  # shorter prefixes: fewer digits, the same first digits
        if len(digits) > 19 or not _luhn_ok(digits):
            return None
        # 4-4-4-4 (or Amex 4-6-5) grouping with a valid Luhn digit is unambiguous;
        # a bare digit run can be an order number.
        if len(set(digits)) < 2:
            return None
        # (a grouped card is accepted whatever its context says)
        if not _CARD_GROUPED.match(s) and context_at(text, start, POS_CARD, NEG_NUMBER, low) < 0:
            return None
        return digits

    for start, end, digits in scan_candidates(_CARD, text, valid, taken, regions, _CARD_LEAD):
        yield new_span(Span, (start, end, "CARD", digits, P_CARD))


# ---------------------------------------------------------------------------
# CVR numbers

_CVR_8 = lazy_re(r"(\d(?<![\w+/.\-]\d)\d ?\d{2} ?\d{2} ?\d{2})(?![\w]|[-/.]\d)")


def find_cvrs(text: str, taken: Optional[bytearray] = None, low: Optional[str] = None, weak: bool = True) -> Iterator[Span]:
    if low is None:
        low = lower_same_len(text)
    if not (weak and POS_CVR.search(low)):
        return  # a weak format: only found after a context word
    cvr = None
    for m in _CVR_8.finditer(text):
        if taken is not None and taken[m.start()]:
            continue
        if context_at(text, m.start(), POS_CVR, NEG_NUMBER, low) <= 0:
            continue
        digits = m.group(1).replace(" ", "")
        if cvr is None:
            cvr = stdnum_module("dk.cvr")
        if stdnum_valid(cvr, digits):
            yield new_span(Span, (m.start(), m.end(), "CVR", digits, P_CVR))
