"""Detectors for personal data in free text, without any model download.

Every detector returns :class:`Span` objects carrying an entity type and a
*canonical* form of the value (what the pseudonym is keyed on): ``070761-4285``
and ``0707614285`` are the same CPR, ``+45 40 12 34 56`` and ``40123456`` the
same phone, e-mail addresses are case-folded.

Weak formats (a bare 10-digit number that happens to be a valid CPR date, a
bare 8-digit number that is a valid Danish phone number) are only accepted
when a context word before them confirms them (``cpr``, ``tlf`` ...); context
words such as ``faktura``, ``ordre`` or ``sag`` reject a match.  The closest
context word wins.

``python-stdnum`` and ``phonenumbers`` are imported on first use so that
importing the runtime stays fast.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from time import monotonic as _monotonic
from typing import Any, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from .config import Settings

__all__ = ["Span", "detect", "KnownValues", "canonical", "entity_type_for_category", "resolve"]

# Priorities: lower wins an overlap.  Known values are certain.
P_KNOWN, P_EMAIL, P_IBAN, P_CARD, P_NATIONAL, P_CVR, P_IP, P_PHONE, P_CUSTOM = range(9)

MAX_TYPE_LEN = 24


class Span(NamedTuple):
    """A detected value: ``text[start:end]``, its entity type and canonical form."""

    start: int
    end: int
    type: str
    canonical: str
    priority: int = P_CUSTOM


_span = tuple.__new__  # _span(Span, (start, end, type, canonical, priority)): Span(...) without its Python-level __new__


# ---------------------------------------------------------------------------
# lazy third-party modules

_stdnum: dict[str, Any] = {}
_phonenumbers: Any = None


def _sn(name: str) -> Any:
    mod = _stdnum.get(name)
    if mod is None:
        import importlib

        mod = importlib.import_module(f"stdnum.{name}")
        _stdnum[name] = mod
    return mod


def _pn() -> Any:
    global _phonenumbers
    if _phonenumbers is None:
        import phonenumbers

        _phonenumbers = phonenumbers
    return _phonenumbers


# ---------------------------------------------------------------------------
# context words

class _LazyRe:
    """A regex compiled on first use, so that importing the runtime stays fast."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        compiled = re.compile(self._pattern, self._flags)
        for method in ("finditer", "match", "search", "fullmatch", "sub", "findall", "split"):
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


def _lazy(pattern: str, flags: int = 0) -> Any:
    return _LazyRe(pattern, flags)


def _kw(*words: str) -> Any:
    # Prefix match at a word start: "faktura" also matches "fakturanr".
    # A trailing "$" in a word means whole word only.
    parts = []
    for w in words:
        if w.endswith("$"):
            parts.append(re.escape(w[:-1]) + r"(?!\w)")
        else:
            parts.append(re.escape(w))
    # no leading look-behind; the word-start condition is checked in _context()
    rx = _lazy("(?:" + "|".join(parts) + ")")
    rx.words = tuple(w.rstrip("$") for w in words)  # for plain substring pre-checks
    rx.alts = tuple(parts)  # for _pair()
    return rx


_NEG_NUMBER = _kw(
    "faktura", "invoice", "ordre", "order", "sag$", "sager$", "sagsnr", "sagsnummer", "case$", "ref",
    "reference", "konto", "account", "kundenr", "kundenummer", "customer no", "customer number",
    "bestilling", "booking", "tracking", "sporing", "pakke", "parcel", "kvittering", "receipt",
    "vare", "item$", "sku$", "serie", "serial", "beløb", "amount", "total", "pris", "price",
    "kr$", "dkk$", "eur$", "sek$", "nok$", "version", "ticket", "billet", "po$",
)
_POS_PHONE = _kw(
    "tlf", "telefon", "mobil", "mob$", "phone", "tel$", "tel.", "ring", "sms", "call", "cell",
    "handy", "fax", "kontakt", "contact", "whatsapp", "nummer er", "number is", "puhelin", "telefoon",
)
_POS_CPR = _kw("cpr", "personnummer", "personnr", "person nr", "person-nr", "personal id", "social security")
_POS_SE = _kw("personnummer", "personnr", "pnr$", "person-nummer", "samordningsnummer")
_POS_NO = _kw("fødselsnummer", "fødselsnr", "fodselsnummer", "fnr$", "personnummer")
_POS_FI = _kw("henkilötunnus", "hetu", "sotu", "personal identity code")
_POS_DE = _kw("steuer", "idnr", "identifikationsnummer", "tin$", "tax id", "tax-id", "taxid")
_POS_NL = _kw("bsn", "burgerservicenummer", "sofinummer", "sofi")
_POS_CVR = _kw("cvr", "se-nr", "se nr", "virksomhedsnummer")
_POS_CARD = _kw("kort", "card", "visa", "mastercard", "dankort", "kreditkort", "betalingskort", "amex", "maestro")
_NEG_IP = _kw("version", "ver$", "v$", "release", "build")
# Any context word of a weak format (German and Dutch ids, CVR) in the text?
# If none, those detectors cannot find anything.  Plain substring tests, a
# superset of the keyword patterns (the detectors check the exact pattern).
_WEAK_ID_WORDS = _POS_DE.words + _POS_NL.words + _POS_CVR.words


def _weak_id_words(low: str) -> bool:
    for w in _WEAK_ID_WORDS:
        if w in low:
            return True
    return False

_NEVER = _lazy(r"(?!x)x")
_WINDOW = 40


def _lower_same_len(text: str) -> str:
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two code points
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low


_pairs: dict[Any, dict[Any, Tuple[Any, dict[str, int], Tuple[str, ...]]]] = {}  # pos -> neg -> pair


def _pair(pos: Any, neg: Any) -> Tuple[Any, dict[str, int], Tuple[str, ...]]:
    """One regex for a confirming and a rejecting keyword class (one scan, not
    two), and the class (+1 / -1) of each keyword it matches; keywords match
    at a word start only.

    It is ``(?<!\\w)(?:(?P<p>p1|p2|...)|(?P<n>n1|n2|...))`` rearranged for
    speed: the keywords grouped by their first letter (in their order, so the
    same keyword wins at any position) and the word-start check after that
    letter (so the scan skips other characters quickly); the matched text
    tells the class (a keyword is in one class only).  Third: a few strings
    one of which every keyword contains, if there are only a few (else empty):
    a window without any of them holds no keyword."""
    by_neg = _pairs.get(pos)
    pair = by_neg.get(neg) if by_neg is not None else None
    if pair is None:
        by_first: dict[str, List[str]] = {}
        classes: dict[str, int] = {}
        for kw, cls in ((pos, 1), (neg, -1)):
            for alt, word in zip(getattr(kw, "alts", ()), getattr(kw, "words", ())):
                by_first.setdefault(alt[0], []).append(alt[1:])  # (keywords start with a letter)
                if classes.setdefault(word, cls) != cls:
                    raise ValueError(f"context word {word!r} both confirms and rejects")
        branches = [f"{first}(?<!\\w{first})(?:" + "|".join(rests) + ")" for first, rests in by_first.items()]
        words = list(classes)
        needles = tuple(sorted({w for w in words if not any(v != w and v in w for v in words)}))
        pair = _pairs.setdefault(pos, {})[neg] = (re.compile("|".join(branches)), classes, needles if len(needles) <= 4 else ())
    return pair


def _context(text: str, start: int, pos: Any, neg: Any, low: Optional[str] = None) -> int:
    """+1 if the closest context word before ``start`` confirms, -1 if it rejects, 0 if none.

    ``low`` is ``_lower_same_len(text)`` when the caller has it (one lower-casing
    per text instead of one per candidate)."""
    lo = start - _WINDOW if start > _WINDOW else 0
    if low is None:
        base = lo - 1 if lo else 0  # one more character: is the window's first word a word start?
        low = _lower_same_len(text[base:start])
        lo -= base
        start -= base
    rx, classes, needles = _pair(pos, neg)
    if needles:
        window = low[lo:start]
        for needle in needles:
            if needle in window:
                break
        else:
            return 0
    last = None
    for last in rx.finditer(low, lo, start):  # noqa: B007 - keeps the last match
        pass
    return 0 if last is None else classes[last.group()]


def _accept(strength: int, ctx: int) -> bool:
    """strength 3 = unambiguous format (``+45 ...``): always accepted;
    strength 2 = strong/medium format: rejected only by negative context;
    strength 1 = weak format: needs a confirming context word."""
    if strength >= 3:
        return True
    if ctx < 0:
        return False
    if strength >= 2:
        return True
    return ctx > 0


# ---------------------------------------------------------------------------
# e-mail



_EMAIL_DOMAIN = _lazy(r"[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?![\w-])")


_LOCAL_REVERSED = _lazy(r"[\w.%+\-]*")  # a local part, matched on the reversed text before the "@"


def _local_start(text: str, at: int) -> int:
    """Where the local part ending at ``at`` starts: the characters before it
    are word characters or ``.%+-``."""
    lo = at - 64 if at > 64 else 0
    i: int = at - _LOCAL_REVERSED.match(text[lo:at][::-1]).end()
    if i == lo:  # it may go on further left
        while i > 0 and (_isword(text[i - 1]) or text[i - 1] in ".%+-"):
            i -= 1
    return i


def _emails(text: str) -> Iterator[Span]:
    # Anchored on each "@": cheaper than scanning every word for a local part.
    at = text.find("@")
    while at != -1:
        m = None
        if at:
            c = text[at - 1]
            if c.isalnum() or c == "_" or c in ".%+-":  # a local part before the "@"
                m = _EMAIL_DOMAIN.match(text, at + 1)
        if m is not None:
            i = _local_start(text, at)
            end = m.end()
            s = text[i:end]
            if not (s[0] == "." or ".." in s):
                yield _span(Span, (i, end, "EMAIL", s.casefold(), P_EMAIL))
            at = text.find("@", end)
        else:
            at = text.find("@", at + 1)


# ---------------------------------------------------------------------------
# IBAN

_IBAN = _lazy(r"([A-Z](?<!\w[A-Z])[A-Z]\d{2}(?:[ ]?[A-Z0-9]){11,30})(?![\w])")


_STOP = object()  # returned by a validator: no shorter prefix can be valid either


def _candidates(
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
    starts (see :func:`_number_regions`); only they are scanned.  A match ends
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
                if result is _STOP:
                    break
                if result is not None:
                    pos = start + len(raw)
                    yield start, pos, result
                    break
                cut = max(raw.rfind(" "), raw.rfind("-"))
                if cut <= 0:
                    break
                raw = raw[:cut].rstrip(" -.(")


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


def _ibans(text: str) -> Iterator[Span]:
    iban = _sn("iban")

    def valid(s: str, start: int) -> Any:
        compact = s.replace(" ", "")
        if len(compact) < 15:
            return _STOP  # shorter prefixes are shorter still
        # ISO 13616 mod-97 first (cheap), then stdnum's per-country format check.
        rearranged = compact[4:] + compact[:4]
        if int(rearranged.translate(_IBAN_LETTERS)) % 97 != 1:
            return None
        # The format check depends only on the country and the shape of the
        # account part (digits / letters), not on the digits themselves.
        shape = (compact[:2], compact[4:].translate(_SHAPE))
        ok = _iban_shapes.get(shape)
        if ok is None:
            ok = bool(iban.is_valid(compact))
            if len(_iban_shapes) < 512 and not _has_national_iban_check(shape[0]):
                _iban_shapes[shape] = ok
        return compact if ok else None

    for start, end, compact in _candidates(_IBAN, text, valid):
        yield _span(Span, (start, end, "IBAN", compact, P_IBAN))


# ---------------------------------------------------------------------------
# payment cards

_CARD = _lazy(r"\d(?<![\w.,\-]\d)(?:[ -]?\d){12,18}(?![\w]|[.,-]\d)")
_CARD_LEAD = " /+()"  # what can come before a card number inside a number region
_CARD_GROUPED = _lazy(r"^(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{5})$")
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


def _cards(
    text: str, taken: Optional[bytearray] = None, low: Optional[str] = None, regions: Optional[Sequence[Tuple[int, int]]] = None
) -> Iterator[Span]:
    def valid(s: str, start: int) -> Any:
        digits = s.replace(" ", "").replace("-", "")
        if len(digits) < 13 or not (digits[0] == "4" or digits[:2] in _CARD_PREFIXES):
            return _STOP  # shorter prefixes: fewer digits, the same first digits
        if len(digits) > 19 or not _luhn_ok(digits):
            return None
        # 4-4-4-4 (or Amex 4-6-5) grouping with a valid Luhn digit is unambiguous;
        # a bare digit run can be an order number.
        if len(set(digits)) < 2:
            return None
        # (a grouped card is accepted whatever its context says)
        if not _CARD_GROUPED.match(s) and _context(text, start, _POS_CARD, _NEG_NUMBER, low) < 0:
            return None
        return digits

    for start, end, digits in _candidates(_CARD, text, valid, taken, regions, _CARD_LEAD):
        yield _span(Span, (start, end, "CARD", digits, P_CARD))


# ---------------------------------------------------------------------------
# national identifiers

_DDMMYY_4 = _lazy(r"(\d(?<![\w+/.\-]\d)\d{5})([-+]?)(\d{4})(?![\w]|[-/.]\d)")
_SE_12 = _lazy(r"([12](?<![\w+/.\-][12])[089]\d{6})([-+]?)(\d{4})(?![\w]|[-/.]\d)")
_NO_11 = _lazy(r"(\d(?<![\w+/.\-]\d)\d{5}) ?(\d{5})(?![\w]|[-/.]\d)")
_FI = _lazy(r"(\d(?<![\w+/.\-]\d)\d{5}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y])(?![\w])")
_DE_11 = _lazy(r"(\d(?<![\w+/.\-]\d)\d ?\d{3} ?\d{3} ?\d{3})(?![\w]|[-/.]\d)")
_NL_9 = _lazy(r"(\d(?<![\w+/.\-]\d)(?:\d{3}\.?\d{2}\.?\d{3}|\d{2} \d{3} \d{3}))(?![\w]|[-/.]\d)")
_CVR_8 = _lazy(r"(\d(?<![\w+/.\-]\d)\d ?\d{2} ?\d{2} ?\d{2})(?![\w]|[-/.]\d)")


def _day_month_ok(digits: str) -> bool:
    """Cheap pre-check of a DDMMYY date before python-stdnum's full check."""
    return 1 <= int(digits[0:2]) <= 31 and 1 <= int(digits[2:4]) <= 12


_today: List[Any] = [0.0, None, None]  # [refresh after (monotonic seconds), today, the datetime.date class]


def _cpr_ok(digits: str) -> bool:
    """``stdnum.dk.cpr.is_valid`` for ten ASCII digits, without its string
    cleaning and exception machinery: a real date (century from the seventh
    digit), not in the future."""
    if not (len(digits) == 10 and digits.isascii() and digits.isdigit()):
        return _valid(_sn("dk.cpr"), digits)  # stdnum maps full-width digits etc.
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


def _nationals(
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
_ID_START = _lazy(r"\d(?<![\w+/.\-]\d)\d{5}")
_FI_LETTERS = "ABCDEFUVWXY"  # the letters of _FI's century sign


def _id_region(text: str, lo: int, hi: int) -> bool:
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
        low = _lower_same_len(text)
    if starts is None:
        starts = [m.start() for m in _ID_START.finditer(text)]
    se: Any = None
    for m in _matches_at(_DDMMYY_4, text, starts, 6, "-+"):
        if not free(m.start()):
            continue
        digits = m.group(1) + m.group(3)
        sep = m.group(2)
        if se is None:
            se = _sn("se.personnummer")
        strength = 2 if sep else 1
        ctx_dk = _context(text, m.start(), _POS_CPR, _NEG_NUMBER, low)
        dk_ok = sep != "+" and _day_month_ok(digits) and _cpr_ok(digits)
        # a valid CPR after "cpr" is Danish; otherwise Swedish context may decide
        ctx_se = -1 if (dk_ok and ctx_dk > 0) else _context(text, m.start(), _POS_SE, _NEG_NUMBER, low)
        if ctx_dk < 0 and ctx_se < 0:
            continue  # "faktura 070761-4285": rejected whatever it is
        # Denmark first: a value valid as both is a CPR unless Swedish context says
        # otherwise, so the Swedish check only runs when it can change the outcome.
        if dk_ok and not (ctx_se > 0 and ctx_dk <= 0):
            if _accept(strength, ctx_dk):
                yield _span(Span, (m.start(), m.end(), "CPR", digits, P_NATIONAL))
            continue
        se_value = m.group(1) + (sep or "-") + m.group(3)
        if _valid(se, se_value) and _accept(strength, ctx_se):
            yield _span(Span, (m.start(), m.end(), "SE_PNR", se.compact(se_value), P_NATIONAL))
        elif dk_ok and _accept(strength, ctx_dk):
            yield _span(Span, (m.start(), m.end(), "CPR", digits, P_NATIONAL))
    for m in _matches_at(_SE_12, text, starts, 1, "089", False):
        if not free(m.start()):
            continue
        if se is None:
            se = _sn("se.personnummer")
        value = m.group(1) + (m.group(2) or "-") + m.group(3)
        if _valid(se, value):
            ctx = _context(text, m.start(), _POS_SE, _NEG_NUMBER, low)
            if _accept(2 if m.group(2) else 1, ctx):
                yield _span(Span, (m.start(), m.end(), "SE_PNR", se.compact(value), P_NATIONAL))
    no = None
    for m in _matches_at(_NO_11, text, starts, 6, " "):
        if not free(m.start()):
            continue
        if no is None:
            no = _sn("no.fodselsnummer")
        digits = m.group(1) + m.group(2)
        if _valid(no, digits):
            ctx = _context(text, m.start(), _POS_NO, _NEG_NUMBER, low)
            # two check digits plus a date: a medium-strength format
            if _accept(2, ctx):
                yield _span(Span, (m.start(), m.end(), "NO_FNR", digits, P_NATIONAL))
    fi = None
    for m in _matches_at(_FI, text, starts, 6, "-+ABCDEFUVWXY", False):
        if not free(m.start()):
            continue
        if fi is None:
            fi = _sn("fi.hetu")
        if _valid(fi, m.group(1)):
            ctx = _context(text, m.start(), _POS_FI, _NEG_NUMBER, low)
            if _accept(2, ctx):
                yield _span(Span, (m.start(), m.end(), "FI_HETU", m.group(1).upper(), P_NATIONAL))
    # German and Dutch numbers are weak formats that need a context word: skip
    # the scans when no such word occurs anywhere in the text (``weak`` False:
    # the caller found no context word of any weak format).
    de = None
    de_possible = weak and bool(_POS_DE.search(low))
    for m in (_DE_11.finditer(text) if de_possible else ()):
        if not free(m.start()):
            continue
        digits = m.group(1).replace(" ", "")
        if _context(text, m.start(), _POS_DE, _NEG_NUMBER, low) <= 0:
            continue
        if de is None:
            de = _sn("de.idnr")
        if _valid(de, digits):
            yield _span(Span, (m.start(), m.end(), "DE_TAXID", digits, P_NATIONAL))
    nl = None
    for m in (_NL_9.finditer(text) if weak and _POS_NL.search(low) else ()):
        if not free(m.start()):
            continue
        digits = _NONDIGITS.sub("", m.group(1))
        if _context(text, m.start(), _POS_NL, _NEG_NUMBER, low) <= 0:
            continue
        if nl is None:
            nl = _sn("nl.bsn")
        if _valid(nl, digits):
            yield _span(Span, (m.start(), m.end(), "NL_BSN", digits, P_NATIONAL))


def _cvrs(text: str, taken: Optional[bytearray] = None, low: Optional[str] = None, weak: bool = True) -> Iterator[Span]:
    if low is None:
        low = _lower_same_len(text)
    if not (weak and _POS_CVR.search(low)):
        return  # a weak format: only found after a context word
    cvr = None
    for m in _CVR_8.finditer(text):
        if taken is not None and taken[m.start()]:
            continue
        if _context(text, m.start(), _POS_CVR, _NEG_NUMBER, low) <= 0:
            continue
        digits = m.group(1).replace(" ", "")
        if cvr is None:
            cvr = _sn("dk.cvr")
        if _valid(cvr, digits):
            yield _span(Span, (m.start(), m.end(), "CVR", digits, P_CVR))


def _valid(module: Any, value: str) -> bool:
    try:
        return bool(module.is_valid(value))
    except Exception:  # stdnum raises on some malformed input in older versions
        return False


# ---------------------------------------------------------------------------
# IP addresses

_IPV4 = _lazy(r"\d(?<![\w.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\w]|\.\d)")
_IPV6 = _lazy(r"[0-9A-Fa-f](?<![\w:.][0-9A-Fa-f])[0-9A-Fa-f]{0,3}:(?:[0-9A-Fa-f]{1,4}:){0,6}(?::|(?::[0-9A-Fa-f]{1,4}){1,6}|[0-9A-Fa-f]{1,4})(?![\w:])")


# Any IPv4 address has this after its first octet, any IPv6 address this
# somewhere (two colons with at most four hex digits between them).
_IPV4_GATE = _lazy(r"\.\d{1,3}\.\d{1,3}\.\d")
_IPV6_GATE = _lazy(r":[0-9A-Fa-f]{0,4}:")


def _ipv4_matches(text: str) -> Iterator[Any]:
    """``_IPV4.finditer(text)``, tried only at the (at most three) positions
    before each :data:`_IPV4_GATE` match: a match starting at or after ``pos``
    has its first "." at or after the first gate match from ``pos``."""
    pos = 0
    match = _IPV4.match
    while True:
        g = _IPV4_GATE.search(text, pos)
        if g is None:
            return
        dot = g.start()
        for p in range(max(pos, dot - 3), dot):
            m = match(text, p)
            if m is not None:
                yield m
                pos = m.end()
                break
        else:
            pos = dot + 1


def _ips(text: str, low: Optional[str] = None) -> Iterator[Span]:
    scans = []
    if text.count(".") >= 3:
        scans.append(_IPV4)
    if text.count(":") >= 2 and _IPV6_GATE.search(text):
        scans.append(_IPV6)
    if not scans:
        return
    for rx in scans:
        for m in _ipv4_matches(text) if rx is _IPV4 else rx.finditer(text):
            s = m.group(0)
            canon = _ipv4(s) if rx is _IPV4 else _ipv6(s)
            if canon is None:
                continue
            if _context(text, m.start(), _NEVER, _NEG_IP, low) < 0 or text[max(0, m.start() - 1):m.start()] in ("v", "V"):
                continue
            yield _span(Span, (m.start(), m.end(), "IP", canon, P_IP))


def _ipv4(s: str) -> Optional[str]:
    """``s`` if it is an IPv4 address that is not loopback, unspecified or
    multicast (what ``ipaddress`` accepts: four decimal octets, no leading zeros)."""
    parts = s.split(".")
    if len(parts) != 4 or not s.isascii():
        return None
    for p in parts:
        if not p.isdigit() or len(p) > 3 or (len(p) > 1 and p[0] == "0") or int(p) > 255:
            return None
    first = int(parts[0])
    if first == 127 or 224 <= first <= 239 or s == "0.0.0.0":
        return None
    return s


def _ipv6(s: str) -> Optional[str]:
    import ipaddress

    try:
        ip = ipaddress.ip_address(s)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_unspecified or ip.is_multicast or (ip.version == 6 and s.count(":") < 2):
        return None
    return ip.compressed


# ---------------------------------------------------------------------------
# phone numbers

_PHONE_LEAD = " ()"  # what can come before a phone number inside a number region
_PHONE = _lazy(r"(?:\+(?<![\w+/.,\-]\+)\d|\d(?<![\w+/.,\-]\d))(?:[ \-.]?\(?\d\)?){5,16}(?![\w]|[.,/-]\d)")
_DATE_LIKE = _lazy(
    r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,2}:\d{2})$"
)
_THOUSANDS = _lazy(r"^\d{1,3}(?:[.,]\d{3})+$")
_UNIT_AFTER = _lazy(r"\s?(?:kr\b|dkk\b|eur\b|sek\b|nok\b|%|€|\$|,-)", re.IGNORECASE)  # .match(text, end, end + 5)


def _phones(
    text: str,
    regions: Sequence[str],
    taken: Optional[bytearray] = None,
    low: Optional[str] = None,
    where: Optional[Sequence[Tuple[int, int]]] = None,
) -> Iterator[Span]:
    pn = _pn()
    fast = _fast_region(regions[0])
    contexts: dict[int, int] = {}

    def valid(raw: str, start: int) -> Any:
        # (the pattern's other characters are "+ -.()")
        digits = raw if raw.isdigit() else raw.replace(" ", "").replace("-", "").replace(".", "").replace("(", "").replace(")", "").replace("+", "")
        if len(digits) < 7:
            return _STOP  # shorter prefixes have fewer digits still
        end = start + len(raw)
        # (a date or a thousands-separated amount has a "." or "-" in it)
        if ("." in raw or "-" in raw) and (_DATE_LIKE.match(raw) or _THOUSANDS.match(raw)):
            return None
        c = text[end:end + 1]
        if c.isspace():
            c = text[end + 1:end + 2]
        # (after one optional space: an ASCII character other than these starts no unit)
        if c and (c in "kKdDeEsSnN%$," or not c.isascii()) and _UNIT_AFTER.match(text, end, end + 5):
            return None
        plus = raw.startswith("+")
        international = plus or raw.startswith("00")
        separated = ("-" in raw or " " in raw) and "." not in raw
        strength = 3 if plus else 2 if (international or separated) else 1
        if strength < 3:  # "+45 ..." needs no context
            ctx = contexts.get(start)
            if ctx is None:
                ctx = contexts[start] = _context(text, start, _POS_PHONE, _NEG_NUMBER, low)
            if not _accept(strength, ctx):  # context first: it is cheap, parsing is not
                return _STOP  # shorter prefixes have the same context and no stronger format
        # The default region's patterns decide ASCII digits; phonenumbers maps
        # other digits ("４０ １２ ...") to ASCII first.
        if not digits.isascii():
            pass
        elif international:
            full = digits[2:] if not plus else digits
            cc, rx, national_prefix, exact = fast
            if full.startswith(cc):
                if rx.fullmatch(full[len(cc):]):
                    return "+" + full
                if exact:  # phonenumbers would find no valid number either
                    return None
        elif fast[2] is None and not digits.startswith("0"):
            cc, rx, _, _ = fast
            return "+" + cc + digits if rx.fullmatch(digits) else None
        number = _parse_phone(pn, raw, international, regions)
        return None if number is None else pn.format_number(number, pn.PhoneNumberFormat.E164)

    for start, end, e164 in _candidates(_PHONE, text, valid, taken, where, _PHONE_LEAD):
        yield _span(Span, (start, end, "PHONE", e164, P_PHONE))


_fast_regions: dict[str, Tuple[str, Any, Optional[str], bool]] = {}


def _fast_region(region: str) -> Tuple[str, Any, Optional[str], bool]:
    """Country code, valid-number pattern and trunk prefix of the default
    region, taken from phonenumbers' metadata: validates the common case
    without a full parse.  The last item says whether a number with this
    country code that does not match the pattern is invalid for phonenumbers
    too: true when the code belongs to this region only and phonenumbers strips
    no national prefix from what follows it (Denmark: yes; Sweden: "+46 (0)8
    ..." loses its "0")."""
    fast = _fast_regions.get(region)
    if fast is None:
        pn = _pn()
        md = pn.PhoneMetadata.metadata_for_region(region)
        descs = (md.fixed_line, md.mobile, md.toll_free, md.premium_rate, md.shared_cost, md.voip,
                 md.personal_number, md.pager, md.uan, md.voicemail)
        patterns = [d.national_number_pattern for d in descs if d is not None and d.national_number_pattern]
        exact = len(pn.COUNTRY_CODE_TO_REGION_CODE.get(md.country_code, ())) == 1 and not md.national_prefix_for_parsing
        fast = (str(md.country_code), re.compile("(?:" + "|".join(patterns) + ")"), md.national_prefix, exact)
        _fast_regions[region] = fast
    return fast


def _parse_phone(pn: Any, raw: str, international: bool, regions: Sequence[str]) -> Any:
    try:
        if international:
            digits = _NONDIGITS.sub("", raw)
            number = pn.parse("+" + digits[2:] if raw.startswith("00") else raw, None)
            return number if pn.is_valid_number(number) else None
        candidates = regions if raw.startswith("0") else regions[:1]
        for region in candidates:
            parsed = pn.parse(raw, region)
            if pn.is_valid_number(parsed):
                return parsed
    except Exception:  # phonenumbers.NumberParseException
        return None
    return None


# ---------------------------------------------------------------------------
# canonical forms

def canonical(entity_type: str, value: str) -> str:
    """Canonical form of ``value`` for ``entity_type`` (the pseudonym is keyed on it)."""
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    if entity_type == "EMAIL":
        return value.strip().casefold()
    if entity_type == "PHONE":
        e164 = _phone_e164(value)
        return e164 if e164 else _NONDIGITS.sub("", value)
    if entity_type in ("CPR", "CVR", "CARD", "NO_FNR", "DE_TAXID", "NL_BSN"):
        return _NONDIGITS.sub("", value)
    if entity_type == "IBAN":
        return _SPACES.sub("", value).upper()
    if entity_type == "FI_HETU":
        return value.strip().upper()
    if entity_type == "SE_PNR":
        try:
            return str(_sn("se.personnummer").compact(value))
        except Exception:
            return _NONDIGITS.sub("", value)
    if entity_type == "IP":
        import ipaddress

        try:
            return ipaddress.ip_address(value.strip()).compressed
        except ValueError:
            return value.strip()
    return " ".join(value.split()).casefold()


def _phone_e164(value: str, region: str = "DK") -> Optional[str]:
    pn = _pn()
    try:
        num = pn.parse(value, None if value.strip().startswith("+") else region)
    except Exception:
        return None
    if not pn.is_possible_number(num):
        return None
    return str(pn.format_number(num, pn.PhoneNumberFormat.E164))


# ---------------------------------------------------------------------------
# known values (what static analysis knows is personal at a call site)

_CATEGORY_TYPES = {
    "name": "NAME", "full_name": "NAME", "fullname": "NAME", "first_name": "NAME", "firstname": "NAME",
    "given_name": "NAME", "last_name": "NAME", "lastname": "NAME", "surname": "NAME", "family_name": "NAME",
    "person": "NAME", "navn": "NAME", "customer_name": "NAME", "patient_name": "NAME",
    "email": "EMAIL", "e_mail": "EMAIL", "mail": "EMAIL", "email_address": "EMAIL",
    "phone": "PHONE", "telephone": "PHONE", "phone_number": "PHONE", "mobile": "PHONE", "tlf": "PHONE",
    "telefon": "PHONE", "mobil": "PHONE",
    "address": "ADDRESS", "street": "ADDRESS", "street_address": "ADDRESS", "adresse": "ADDRESS",
    "postal_address": "ADDRESS", "home_address": "ADDRESS",
    "cpr": "CPR", "cpr_number": "CPR", "cpr_nr": "CPR",
    "national_id": "NATIONAL_ID", "ssn": "NATIONAL_ID", "personnummer": "NATIONAL_ID",
    "fodselsnummer": "NATIONAL_ID", "hetu": "NATIONAL_ID", "bsn": "NATIONAL_ID", "tax_id": "NATIONAL_ID",
    "iban": "IBAN", "bank_account": "IBAN", "account_number": "IBAN",
    "card": "CARD", "card_number": "CARD", "credit_card": "CARD",
    "ip": "IP", "ip_address": "IP",
    "cvr": "CVR",
}

_NAME_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "af", "til", "zu", "bin", "al", "el", "and", "og"}
)


_TRANSLIT = str.maketrans({"æ": "ae", "Æ": "AE", "ø": "oe", "Ø": "OE", "å": "aa", "Å": "AA", "ß": "ss"})


_category_cache: dict[str, str] = {}


def entity_type_for_category(category: str) -> str:
    """The entity type (an ASCII label) for a ``known`` category name."""
    label = _category_cache.get(category) if isinstance(category, str) else None
    if label is None:
        label = _entity_type_for_category(category)
        if isinstance(category, str) and len(_category_cache) < 1024:
            _category_cache[category] = label
    return label


def _entity_type_for_category(category: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", str(category).strip().lower()).strip("_")
    if key in _CATEGORY_TYPES:
        return _CATEGORY_TYPES[key]
    if key.endswith("s") and key[:-1] in _CATEGORY_TYPES:  # "emails", "phones"
        return _CATEGORY_TYPES[key[:-1]]
    ascii_text = unicodedata.normalize("NFKD", str(category).translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    label = re.sub(r"[^A-Z0-9]+", "_", ascii_text.upper()).strip("_")
    if not label or not label[0].isalpha():
        label = "PII_" + label if label else "PII"
    return label[:MAX_TYPE_LEN]


def _national_type(value: str) -> str:
    digits = _NONDIGITS.sub("", value)
    checks = (("dk.cpr", "CPR", digits), ("no.fodselsnummer", "NO_FNR", digits), ("fi.hetu", "FI_HETU", value),
              ("se.personnummer", "SE_PNR", value), ("nl.bsn", "NL_BSN", digits), ("de.idnr", "DE_TAXID", digits))
    for module, etype, v in checks:
        if _valid(_sn(module), v):
            return etype
    return "NATIONAL_ID"


def _iter_values(value: Any) -> Iterator[str]:
    if value is None:
        return
    if isinstance(value, (str, bytes)):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if text.strip():
            yield text.strip()
        return
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _iter_values(v)
        return
    if isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _iter_values(v)
        return
    text = str(value).strip()
    if text:
        yield text


class _Entry(NamedTuple):
    """One known value, compiled for matching without regular expressions."""

    pieces: Tuple[str, ...]  # matched in order, separated by ``seps``
    seps: str
    min_sep: int
    max_sep: int
    fold: bool  # case-insensitive
    left: str  # boundary before: "" none, "w" word, "e" e-mail, "d" number
    right: str  # boundary after: "" none, "w" word, "g" name (genitive allowed), "e" e-mail, "d" number
    digits: str  # digit-only form, to skip texts that cannot contain it ("" = not numeric)
    country: str  # phone country code that may precede the number
    type: str
    canonical: str


_WS = " \t\r\n\u00a0\u2009\u202f"
_WS_COMMA = _WS + ","
_new_entry = tuple.__new__  # _new_entry(_Entry, (...)): _Entry(...) without its Python-level __new__
_DIGIT_SEPS = " -./()\u00a0"


def _isword(c: str) -> bool:
    return c.isalnum() or c == "_"


_WORD_RIGHT = ("w", "g")


class KnownValues:
    """Values known to be personal at a call site.

    Matching is case-insensitive (values of four characters or more),
    whitespace-flexible, and format-flexible for numbers (``40 12 34 56`` =
    ``+45 40123456``); names also match their parts ("Holm" after "Anders
    Holm") and genitive forms ("Holms").  Building a matcher compiles nothing,
    so a fresh one per request is cheap.
    """

    __slots__ = ("entries", "_index")

    def __init__(self, known: Mapping[str, Any] | None = None, *, _entries: Sequence[_Entry] = ()) -> None:
        self._index: Any = None  # see _present()
        entries: dict[_Entry, None] = dict.fromkeys(_entries)
        if known:
            if type(known) is not dict and not isinstance(known, Mapping):
                raise TypeError("known must map a category (e.g. 'name', 'email') to a value or values")
            for category, value in known.items():
                etype = entity_type_for_category(category)
                if type(value) is str:  # the common case, without the generator
                    value = value.strip()
                    texts: Iterable[str] = (value,) if value else ()
                else:
                    texts = _iter_values(value)
                for text in texts:
                    for entry in _entries_for(etype, text):
                        entries.setdefault(entry)
        self.entries: List[_Entry] = list(entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def merged(self, other: "KnownValues") -> "KnownValues":
        if not other:
            return self
        if not self:
            return other
        return KnownValues(None, _entries=[*self.entries, *other.entries])

    def _present(self, text: str, low: str) -> List[_Entry]:
        """The entries whose first piece occurs in ``text`` (in their order):
        one search per distinct first piece, for the many values of a request."""
        entries = self.entries
        index = self._index
        if index is None or index[0] is not entries or index[1] != len(entries):
            by_first: dict[Tuple[bool, str], List[int]] = {}
            for i, e in enumerate(entries):
                by_first.setdefault((e[4], e[0][0]), []).append(i)
            index = self._index = (entries, len(entries), list(by_first.items()))
        present: List[int] = []
        for (fold, first), indices in index[2]:
            if (low if fold else text).find(first) != -1:
                present.extend(indices)
        present.sort()
        return [entries[i] for i in present]

    def find(self, text: str, low: Optional[str] = None) -> List[Span]:
        if not self.entries:
            return []
        if low is None:
            low = _lower_same_len(text)
        digits: Optional[str] = None
        out: List[Span] = []
        n = len(text)
        for e in self.entries if len(self.entries) < 16 else self._present(text, low):
            hay = low if e[4] else text  # e.fold
            first = e[0][0]  # e.pieces[0]
            i = hay.find(first)
            if i == -1:  # most values of a request are not in most of its texts
                continue
            pieces, seps, min_sep, max_sep, fold, left, right, e_digits, _, etype, canon = e
            if e_digits:
                if digits is None:
                    digits = _NONDIGITS.sub("", text)
                if e_digits not in digits:
                    continue
            if left != "w" or right not in _WORD_RIGHT:
                while i != -1:
                    span = _match_entry(text, hay, i, e)
                    if span is not None:
                        out.append(_span(Span, (span[0], span[1], etype, canon, P_KNOWN)))
                        i = hay.find(first, span[1])
                    else:
                        i = hay.find(first, i + 1)
                continue
            # _match_entry() inlined for a value that starts and ends with a word
            # character (names, addresses, IBANs: most known values)
            rest = pieces[1:]
            while i != -1:
                j = i + len(first)
                for piece in rest:
                    k = j
                    while k < n and k - j < max_sep and hay[k] in seps:
                        k += 1
                    if k - j < min_sep or not hay.startswith(piece, k):
                        j = -1
                        break
                    j = k + len(piece)
                if j == -1 or (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
                    i = hay.find(first, i + 1)
                    continue
                if j < n:
                    c = text[j]
                    if c.isalnum() or c == "_":
                        # Danish/English genitive: "Holms" still contains the name "Holm"
                        if not (right == "g" and c == "s" and not (j + 1 < n and (text[j + 1].isalnum() or text[j + 1] == "_"))):
                            i = hay.find(first, i + 1)
                            continue
                out.append(_span(Span, (i, j, etype, canon, P_KNOWN)))
                i = hay.find(first, j)
        return out


_NONDIGITS = _lazy(r"\D+")
_SPACES = _lazy(r"\s+")


def _match_entry(text: str, hay: str, i: int, e: _Entry) -> Optional[Tuple[int, int]]:
    n = len(hay)
    j = i + len(e.pieces[0])
    for piece in e.pieces[1:]:
        k = j
        while k < n and k - j < e.max_sep and hay[k] in e.seps:
            k += 1
        if k - j < e.min_sep or not hay.startswith(piece, k):
            return None
        j = k + len(piece)
    start, end = i, j
    if e.left == "w":
        if start > 0 and _isword(text[start - 1]):
            return None
    elif e.left == "e":
        if start > 0 and (_isword(text[start - 1]) or text[start - 1] in ".%+-"):
            return None
    elif e.left == "d":
        start = _absorb_prefix(text, start, e.country)
        if start > 0 and (_isword(text[start - 1]) or text[start - 1] == "+"):
            return None
    if end < len(text):
        c = text[end]
        if e.right in ("w", "d") and _isword(c):
            return None
        if e.right == "e" and (_isword(c) or c == "-"):
            return None
        if e.right == "g" and _isword(c):
            # Danish/English genitive: "Holms" still contains the name "Holm"
            nxt = text[end + 1:end + 2]
            if not (c == "s" and not (nxt and _isword(nxt))):
                return None
    return start, end


def _absorb_prefix(text: str, start: int, country: str) -> int:
    """Extend a number match to the left over a trunk ``0`` / ``(0)``, a
    ``+45`` / ``0045`` country code, or a century (``19``/``20``) before a
    Swedish personnummer."""
    k = start
    if k >= 1 and text[k - 1] == "0" and (k == 1 or not text[k - 2].isdigit()) and country:
        return k - 1  # national trunk prefix written without separator: 070-123 45 67
    while k > 0 and text[k - 1] in _DIGIT_SEPS:
        k -= 1
    if k >= 3 and text[k - 3:k] == "(0)":
        k -= 3
        while k > 0 and text[k - 1] in _DIGIT_SEPS:
            k -= 1
    if country:
        for prefix in ("+" + country, "00" + country):
            if k - len(prefix) >= 0 and text.startswith(prefix, k - len(prefix)):
                return k - len(prefix)
        return start
    if start >= 2 and text[start - 2:start] in ("19", "20") and (start == 2 or not text[start - 3].isdigit()):
        return start - 2
    return start


def _entries_for(etype: str, text: str) -> List[_Entry]:
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if len(text) < 2:
        return []
    if etype == "NAME":
        return _name_entries(text)
    if etype == "NATIONAL_ID":
        etype = _national_type(text)
    if etype == "EMAIL":
        return [_Entry((text.lower(),), "", 0, 0, True, "e", "e", "", "", "EMAIL", text.casefold())]
    if etype == "PHONE":
        e164 = _phone_e164(text)
        if e164:
            num = _pn().parse(e164, None)
            nsn = str(_pn().national_significant_number(num))
            return [_Entry(tuple(nsn), _DIGIT_SEPS, 0, 2, False, "d", "d", nsn, str(num.country_code), "PHONE", e164)]
    if etype in _NUMERIC_ID_TYPES:
        digits = _NONDIGITS.sub("", text)
        if len(digits) >= 6:
            canon = canonical(etype, text)
            if etype == "SE_PNR" and len(digits) == 12:
                digits = digits[2:]
            return [_Entry(tuple(digits), _DIGIT_SEPS + "+", 0, 2, False, "d", "d", digits, "", etype, canon)]
    if etype == "IBAN":
        compact = _SPACES.sub("", text).upper()
        return [_Entry(tuple(compact.lower()), " ", 0, 1, True, "w", "w", "", "", "IBAN", compact)]
    out = [_literal_entry(text, etype)]
    if etype == "ADDRESS":
        parts = [p for p in (p.strip() for p in text.replace(";", ",").replace("\n", ",").split(",")) if p]  # split at [,\n;]
        if len(parts) > 1:
            for p in parts:
                if len(p) >= 6 and len(p.split()) >= 2:
                    out.append(_literal_entry(p, "ADDRESS"))
    return out


def _name_entries(text: str) -> List[_Entry]:
    """``_literal_entry(text, "NAME")`` and one for each part of a name of
    several words that is not a particle ("Holm" in "Anders Holm")."""
    words = text.split()
    fold = len(text) >= 4
    first, last = text[0], text[-1]
    out = [_new_entry(_Entry, (
        tuple((text.lower() if fold else text).split()), _WS, 1, 10_000, fold,
        "w" if first.isalnum() or first == "_" else "", "g" if last.isalnum() or last == "_" else "",
        "", "", "NAME", " ".join(words).casefold(),
    ))]
    if len(words) > 1:
        for w in words:
            w = w.strip(".,")
            if len(w) >= 3:
                lw = w.lower()
                if lw not in _NAME_PARTICLES and w[0].isupper():
                    fold = len(w) >= 4  # (a part has no white space: one piece)
                    first, last = w[0], w[-1]
                    out.append(_new_entry(_Entry, (
                        (lw if fold else w,), _WS, 1, 10_000, fold,
                        "w" if first.isalnum() or first == "_" else "", "g" if last.isalnum() or last == "_" else "",
                        "", "", "NAME", w.casefold(),
                    )))
    return out


_NUMERIC_ID_TYPES = frozenset(("CPR", "CVR", "CARD", "NO_FNR", "DE_TAXID", "NL_BSN", "SE_PNR"))


def _literal_entry(text: str, etype: str) -> _Entry:
    # text is NFC already (see _entries_for)
    fold = len(text) >= 4
    words = text.lower() if fold else text  # lower-casing never adds or removes separators
    first, last = text[0], text[-1]
    left = "w" if first.isalnum() or first == "_" else ""
    if etype == "NAME":
        pieces = tuple(words.split())
        right = "g" if last.isalnum() or last == "_" else ""
        seps = _WS
        # canonical() of a name, without its per-type dispatch
        canon = " ".join(text.split()).casefold()
    else:
        if etype == "ADDRESS":
            pieces = tuple(words.replace(",", " ").split())  # split at whitespace and commas
            seps = _WS_COMMA
            canon = " ".join(text.split()).casefold()
        else:
            pieces = tuple(words.split())
            seps = _WS
            canon = canonical(etype, text)
        right = "w" if last.isalnum() or last == "_" else ""
    return _new_entry(_Entry, (pieces, seps, 1, 10_000, fold, left, right, "", "", etype, canon))


# ---------------------------------------------------------------------------
# the pipeline

def resolve(spans: Iterable[Span]) -> List[Span]:
    """Drop overlapping spans: longer first (an e-mail address beats the name
    inside it), then higher priority, then earlier."""
    chosen: List[Span] = []
    starts: List[int] = []  # chosen spans sorted by start (they never overlap)
    bisect_left = bisect.bisect_left
    for s in sorted(spans, key=_resolve_order):
        start, end = s[0], s[1]
        if end <= start:
            continue
        i = bisect_left(starts, start)
        if i < len(chosen) and chosen[i][0] < end:
            continue  # overlaps the next chosen span
        if i and chosen[i - 1][1] > start:
            continue  # overlaps the previous one
        starts.insert(i, start)
        chosen.insert(i, s)
    return chosen


def _resolve_order(s: Span) -> Tuple[int, int, int]:
    return s[0] - s[1], s[4], s[0]  # longer, then higher priority, then earlier


# Every numeric detector needs six digits with at most single separators
# between them (IPv4 is handled on its own).
_DIGIT_RUNS = _lazy(r"\d(?:[ \-./+()]?\d){5,}")
# A number region: a "+" or a digit, then digits and the separators numbers are
# written with (as many as there are), up to the last digit; six digits or
# more (five after a "+").  Every match of the card and id patterns and every
# digit run lies in one region, a phone number too but for a ")" after its
# last digit: one scan finds where numbers are, the detectors scan only there.
_NUMBER_REGION = _lazy(r"[+\d](?:[ \-./+()]*\d){5}(?:[\d \-./+()]*\d)?")


def _number_regions(text: str) -> Tuple[List[Tuple[int, int]], int]:
    """``([(start, end)], longest)``: the number regions of ``text``, and the
    number of digits in its longest digit run (a :data:`_DIGIT_RUNS` match).

    ``longest`` is exact below 7 (the phone detector needs 7); from 7 on it
    may be more than that (the length of a region): the detectors that need 8,
    9 or 13 digits cannot match a shorter run anyway."""
    regions = []
    longest = 0
    for m in _NUMBER_REGION.finditer(text):
        lo, hi = span = m.span()
        regions.append(span)
        if longest >= 7:
            if hi - lo > longest:  # (a region has fewer digits than characters)
                longest = hi - lo
            continue
        region = m.group()
        if region.isdigit():
            run = len(region)
        else:
            run = 0
            for r in _DIGIT_RUNS.findall(text, lo, hi):
                if len(r) > run:  # (a run has at most len(r) digits)
                    n = len(r) - sum(map(r.count, " -./+()"))  # (digits and single separators)
                    if n > run:
                        run = n
        if run > longest:
            longest = run
            if longest >= 7:
                longest = max(hi - lo for lo, hi in regions)
    return regions, longest


def detect(text: str, settings: Settings, known: KnownValues | None = None) -> List[Span]:
    """All personal data found in ``text``, non-overlapping, in order."""
    spans: List[Span] = []
    low = _lower_same_len(text)  # context words and known values: lower-cased once
    if known is not None and known.entries:
        spans.extend(known.find(text, low))
    emails = list(_emails(text)) if "@" in text else []
    if emails:
        # Words inside e-mail addresses are not context words: "v" in
        # "a.v@example.dk" is no version marker, "ordre@shop.dk" no order number.
        parts, pos = [], 0
        for e in emails:
            parts.append(low[pos:e.start])
            parts.append(" " * (e.end - e.start))
            pos = e.end
        parts.append(low[pos:])
        low = "".join(parts)
    # The longest run of digits (with single separators) decides which numeric
    # detectors can match at all: cards need 13 digits, national ids 9, phones 7.
    regions, longest = _number_regions(text)
    if longest >= 6:
        # Stronger detectors run first; weaker ones skip what they found.
        taken = bytearray(len(text) + 1)

        def take(found: Iterable[Span]) -> None:
            for sp in found:
                spans.append(sp)
                taken[sp[0]:sp[1]] = b"\x01" * (sp[1] - sp[0])

        take(emails)
        take(_ibans(text))
        if longest >= 13:
            # (a region has at most as many digits as characters that are no space)
            take(list(_cards(text, taken, low, [r for r in regions if r[1] - r[0] - text.count(" ", r[0], r[1]) >= 13])))
        weak = _weak_id_words(low)
        # where a Danish, Swedish, Norwegian or Finnish id can start
        starts = []
        for lo, hi in regions:
            if _id_region(text, lo, hi):
                starts.extend([m.start() for m in _ID_START.finditer(text, lo, hi)])
        if starts or (weak and longest >= 9):
            take(_nationals(text, taken, low, weak and longest >= 9, starts))
        if longest >= 8 and weak:
            take(list(_cvrs(text, taken, low)))
        take(list(_ips(text, low)))
        if longest >= 7:
            spans.extend(_phones(text, settings.phone_regions, taken, low, regions))
    else:
        spans.extend(emails)
        spans.extend(_ips(text, low))
    for detector in settings.detectors:
        for start, end, etype in detector(text):
            label = entity_type_for_category(etype)
            spans.append(Span(int(start), int(end), label, canonical(label, text[start:end]), P_CUSTOM))
    if len(spans) < 2:
        return spans
    return resolve(spans)
