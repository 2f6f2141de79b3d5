"""National identity numbers: Danish CPR, Swedish personnummer, Norwegian
fødselsnummer, Finnish HETU, German tax id and Dutch BSN."""

from __future__ import annotations

from time import monotonic as _monotonic
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from .common import NONDIGITS, P_NATIONAL, Span, lazy_re, lower_same_len, new_span, stdnum_module, stdnum_valid
from .context import NEG_NUMBER, POS_CPR, POS_DE, POS_FI, POS_NL, POS_NO, POS_SE, accept, context_at

_DDMMYY_4 = lazy_re(r"(\d(?<![\w+/.\-]\d)\d{5})([-+ ]?)(\d{4})(?![\w]|[-/.]\d)")
# A date-based id written with its date separated: "07.07.61-4285",
# "07/07/61 4285", "07-07-61-4285" (DK, SE), "07.07.61 42851" (NO),
# "07.07.61-123A" (FI).  Matched where the number regions are; the digits are
# then checked as if written compactly.
_DATED = lazy_re(
    r"(\d(?<![\w+/.\-]\d)\d)([./-])(\d{2})\2(\d{2})([-+ A-FU-Y]?)(\d{3}[0-9A-FHJ-NPR-Y]\d?)(?![\w]|[-/.]\d)"
)
_SE_12 = lazy_re(r"([12](?<![\w+/.\-][12])[089]\d{6})([-+]?)(\d{4})(?![\w]|[-/.]\d)")
_NO_11 = lazy_re(r"(\d(?<![\w+/.\-]\d)\d{5}) ?(\d{5})(?![\w]|[-/.]\d)")
_FI = lazy_re(r"(\d(?<![\w+/.\-]\d)\d{5}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y])(?![\w])")
_DE_11 = lazy_re(r"(\d(?<![\w+/.\-]\d)\d ?\d{3} ?\d{3} ?\d{3})(?![\w]|[-/.]\d)")
_NL_9 = lazy_re(r"(\d(?<![\w+/.\-]\d)(?:\d{3}\.?\d{2}\.?\d{3}|\d{2} \d{3} \d{3}))(?![\w]|[-/.]\d)")


def _day_month_ok(digits: str) -> bool:
    """Cheap pre-check of a DDMMYY date before python-stdnum's full check."""
    return 1 <= int(digits[0:2]) <= 31 and 1 <= int(digits[2:4]) <= 12


_today: List[Any] = [0.0, None, None]  # [refresh after (monotonic seconds), today, the datetime.date class]


def cpr_ok(digits: str) -> bool:
    """``stdnum.dk.cpr.is_valid`` for ten ASCII digits, without its string
    cleaning and exception machinery: a real date (century from the seventh
    digit), not in the future."""
    if not (len(digits) == 10 and digits.isascii() and digits.isdigit()):
        return stdnum_valid(stdnum_module("dk.cpr"), digits)  # stdnum maps full-width digits etc.
    date = _today[2]
    if date is None:
        import datetime

        date = _today[2] = datetime.date
    day, month, year, c = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), digits[6]
    if c in "5678" and year >= 58:
        year += 1800
    elif c in "0123" or (c in "49" and year >= 37):
        year += 1900
    else:
        year += 2000
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    now = _monotonic()
    if now > _today[0]:
        _today[1] = date.today()
        _today[0] = now + 10.0
    return born <= _today[1]


def find_national_ids(
    text: str, taken: Optional[bytearray] = None, low: Optional[str] = None, weak: bool = True, starts: Optional[List[int]] = None
) -> List[Span]:
    found: List[Span] = []  # a CPR also has the shape of a Finnish HETU: one value, one span

    def free(i: int) -> bool:
        if taken is not None and taken[i]:
            return False
        for s in found:
            if s[0] <= i < s[1]:
                return False
        return True

    for span in _nationals_scan(text, free, low, weak, starts):
        found.append(span)  # before the scan goes on: free() sees it
    return found


# Where a DDMMYY-4, Swedish, Norwegian or Finnish number can start: six digits
# not preceded by a word character, "+", "/", "." or "-" (the look-behind all
# four patterns share).  One scan finds them; the patterns are then tried at
# those positions only.
ID_START = lazy_re(r"\d(?<![\w+/.\-]\d)\d{5}")
_FI_LETTERS = "ABCDEFUVWXY"  # the letters of _FI's century sign


def id_region(text: str, lo: int, hi: int) -> bool:
    """Can a Danish, Swedish, Norwegian or Finnish id start in this number
    region?  Only in one of ten characters or more (six digits, a separator,
    three or four digits) or of six or more that a Finnish century letter
    ends, with six digits in a row (so a part without spaces of six or more)."""
    return (hi - lo >= 10 or (hi - lo >= 6 and text[hi:hi + 1] in _FI_LETTERS)) and max(map(len, text[lo:hi].split())) >= 6


def _matches_at(rx: Any, text: str, starts: Sequence[int], at: int = 0, chars: str = "", digit: bool = True) -> Iterator[Any]:
    """``rx.finditer(text)`` for a pattern that can only match at one of
    ``starts`` (ascending): the same non-overlapping matches, left to right.

    ``at``, ``chars``, ``digit``: a match has one of ``chars`` (or a digit, if
    ``digit``) ``at`` characters after its start; other starts are skipped."""
    end = 0
    for p in starts:
        if p >= end:
            if at:
                c = text[p + at:p + at + 1]
                if not c or not (c in chars or (digit and c.isdecimal())):
                    continue
            m = rx.match(text, p)
            if m is not None:
                yield m
                end = m.end()


def _nationals_scan(text: str, free: Any, low: Optional[str], weak: bool = True, starts: Optional[List[int]] = None) -> Iterator[Span]:
    if low is None:
        low = lower_same_len(text)
    if starts is None:
        starts = [m.start() for m in ID_START.finditer(text)]
    se: Any = None
    for m in _matches_at(_DDMMYY_4, text, starts, 6, "-+ "):
        if not free(m.start()):
            continue
        digits = m.group(1) + m.group(3)
        sep = m.group(2)
        if se is None:
            se = stdnum_module("se.personnummer")
        strength = 2 if sep else 1
        ctx_dk = context_at(text, m.start(), POS_CPR, NEG_NUMBER, low)
        dk_ok = sep != "+" and _day_month_ok(digits) and cpr_ok(digits)
        # a valid CPR after "cpr" is Danish; otherwise Swedish context may decide
        ctx_se = -1 if (dk_ok and ctx_dk > 0) else context_at(text, m.start(), POS_SE, NEG_NUMBER, low)
        if ctx_dk < 0 and ctx_se < 0:
            continue  # "faktura 070761-4285": rejected whatever it is
        # Denmark first: a value valid as both is a CPR unless Swedish context says
        # otherwise, so the Swedish check only runs when it can change the outcome.
        if dk_ok and not (ctx_se > 0 and ctx_dk <= 0):
            if accept(strength, ctx_dk):
                yield new_span(Span, (m.start(), m.end(), "CPR", digits, P_NATIONAL))
            continue
        se_value = m.group(1) + (sep.strip() or "-") + m.group(3)
        if stdnum_valid(se, se_value) and accept(strength, ctx_se):
            yield new_span(Span, (m.start(), m.end(), "SE_PNR", se.compact(se_value), P_NATIONAL))
        elif dk_ok and accept(strength, ctx_dk):
            yield new_span(Span, (m.start(), m.end(), "CPR", digits, P_NATIONAL))
    for m in _matches_at(_SE_12, text, starts, 1, "089", False):
        if not free(m.start()):
            continue
        if se is None:
            se = stdnum_module("se.personnummer")
        value = m.group(1) + (m.group(2) or "-") + m.group(3)
        if stdnum_valid(se, value):
            ctx = context_at(text, m.start(), POS_SE, NEG_NUMBER, low)
            if accept(2 if m.group(2) else 1, ctx):
                yield new_span(Span, (m.start(), m.end(), "SE_PNR", se.compact(value), P_NATIONAL))
    no = None
    for m in _matches_at(_NO_11, text, starts, 6, " "):
        if not free(m.start()):
            continue
        if no is None:
            no = stdnum_module("no.fodselsnummer")
        digits = m.group(1) + m.group(2)
        if stdnum_valid(no, digits):
            ctx = context_at(text, m.start(), POS_NO, NEG_NUMBER, low)
            # two check digits plus a date: a medium-strength format
            if accept(2, ctx):
                yield new_span(Span, (m.start(), m.end(), "NO_FNR", digits, P_NATIONAL))
    fi = None
    for m in _matches_at(_FI, text, starts, 6, "-+ABCDEFUVWXY", False):
        if not free(m.start()):
            continue
        if fi is None:
            fi = stdnum_module("fi.hetu")
        if stdnum_valid(fi, m.group(1)):
            ctx = context_at(text, m.start(), POS_FI, NEG_NUMBER, low)
            if accept(2, ctx):
                yield new_span(Span, (m.start(), m.end(), "FI_HETU", m.group(1).upper(), P_NATIONAL))
    # German and Dutch numbers are weak formats that need a context word: skip
    # the scans when no such word occurs anywhere in the text (``weak`` False:
    # the caller found no context word of any weak format).
    de = None
    de_possible = weak and bool(POS_DE.search(low))
    for m in (_DE_11.finditer(text) if de_possible else ()):
        if not free(m.start()):
            continue
        digits = m.group(1).replace(" ", "")
        if context_at(text, m.start(), POS_DE, NEG_NUMBER, low) <= 0:
            continue
        if de is None:
            de = stdnum_module("de.idnr")
        if stdnum_valid(de, digits):
            yield new_span(Span, (m.start(), m.end(), "DE_TAXID", digits, P_NATIONAL))
    nl = None
    for m in (_NL_9.finditer(text) if weak and POS_NL.search(low) else ()):
        if not free(m.start()):
            continue
        digits = NONDIGITS.sub("", m.group(1))
        if context_at(text, m.start(), POS_NL, NEG_NUMBER, low) <= 0:
            continue
        if nl is None:
            nl = stdnum_module("nl.bsn")
        if stdnum_valid(nl, digits):
            yield new_span(Span, (m.start(), m.end(), "NL_BSN", digits, P_NATIONAL))


def find_dated_ids(
    text: str, taken: Optional[bytearray], low: Optional[str], regions: Sequence[Tuple[int, int]]
) -> List[Span]:
    """Date-based ids with a separated date ("07.07.61-4285"): each candidate
    is checked written compactly ("070761-4285") after the same context, so
    the rules of :func:`find_national_ids` decide (CPR or SE_PNR, NO_FNR, FI_HETU)."""
    if low is None:
        low = lower_same_len(text)
    out: List[Span] = []
    for lo, hi in regions:
        if hi - lo < 10:
            continue
        for m in _DATED.finditer(text, lo, min(len(text), hi + 2)):
            start, end = m.span()
            if taken is not None and taken[start]:
                continue
            rest, sep = m.group(6), m.group(5)
            if len(rest) == 5 and sep not in ("", " "):
                continue  # (a Norwegian number has no sign)
            # a space or nothing after the date: a weak format (a date and an
            # amount, "12.03.24 1500"), which needs a context word
            compact = m.group(1) + m.group(3) + m.group(4) + sep.strip() + rest
            ctx_lo = start - 41 if start > 41 else 0
            probe_low = low[ctx_lo:start]
            probe = text[ctx_lo:start] + compact
            for span in _nationals_scan(probe, lambda i: True, probe_low + lower_same_len(compact)):
                if span[0] == len(probe_low) and span[1] == len(probe):
                    out.append(new_span(Span, (start, end, span[2], span[3], P_NATIONAL)))
                    break
    return out


def national_type(value: str) -> str:
    """The type of a value known to be a national id: the first country's check
    it passes (CPR, NO_FNR, FI_HETU, SE_PNR, NL_BSN, DE_TAXID), else NATIONAL_ID."""
    digits = NONDIGITS.sub("", value)
    checks = (("dk.cpr", "CPR", digits), ("no.fodselsnummer", "NO_FNR", digits), ("fi.hetu", "FI_HETU", value),
              ("se.personnummer", "SE_PNR", value), ("nl.bsn", "NL_BSN", digits), ("de.idnr", "DE_TAXID", digits))
    for module, etype, v in checks:
        if stdnum_valid(stdnum_module(module), v):
            return etype
    return "NATIONAL_ID"
