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

The detectors, by family: :mod:`.contact` (e-mail addresses, IP addresses,
phone numbers), :mod:`.finance` (IBANs, payment cards, CVR numbers),
:mod:`.national_ids` (CPR and other national identity numbers) and
:mod:`.known` (values known to be personal) and :mod:`.names` (person
names and postal addresses: a gazetteer and the cues around them).  :mod:`.context` holds the
context words, :mod:`.entities` the entity types and canonical forms,
:mod:`.common` what every detector uses.  This module runs them:
:func:`detect`.
"""

from __future__ import annotations

import bisect
from typing import Iterable, List, Tuple

from ..config import Settings
from .common import P_CARD, P_CUSTOM, P_CVR, P_EMAIL, P_IBAN, P_IP, P_KNOWN, P_NATIONAL, P_PHONE, Span, lazy_re, lower_same_len
from .contact import find_emails, find_ips, find_phones
from .context import weak_id_words
from .entities import MAX_TYPE_LEN, canonical, entity_type_for_category
from .finance import find_cards, find_cvrs, find_ibans
from .known import KnownValues
from .names import find_addresses, find_names, find_names_and_addresses
from .national_ids import ID_START, find_dated_ids, find_national_ids, id_region

__all__ = [
    "Span", "detect", "KnownValues", "canonical", "entity_type_for_category", "resolve",
    # also public names of this module before it became a package
    "MAX_TYPE_LEN", "P_KNOWN", "P_EMAIL", "P_IBAN", "P_CARD", "P_NATIONAL", "P_CVR", "P_IP", "P_PHONE", "P_CUSTOM",
]


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
_DIGIT_RUNS = lazy_re(r"\d(?:[ \-./+()]?\d){5,}")
# A number region: a "+" or a digit, then digits and the separators numbers are
# written with (as many as there are), up to the last digit; six digits or
# more (five after a "+").  Every match of the card and id patterns and every
# digit run lies in one region, a phone number too but for a ")" after its
# last digit: one scan finds where numbers are, the detectors scan only there.
_NUMBER_REGION = lazy_re(r"[+\d](?:[ \-./+()]*\d){5}(?:[\d \-./+()]*\d)?")


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


# What every date-based id with a separated date ("07.07.61-4285") contains.
_SEPARATED_DATE = lazy_re(r"\d[./-]\d\d[./-]\d\d")


def detect(text: str, settings: Settings, known: KnownValues | None = None) -> List[Span]:
    """All personal data found in ``text``, non-overlapping, in order."""
    off = settings.disabled  # detectors switched off with configure(disable=...)
    spans: List[Span] = []
    low = lower_same_len(text)  # context words and known values: lower-cased once
    if known is not None and known.entries:
        spans.extend(known.find(text, low))
    emails = list(find_emails(text)) if "@" in text else []
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
        if off and "email" in off:
            emails = []
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
        if not (off and "iban" in off):
            take(find_ibans(text))
        if longest >= 13 and not (off and "card" in off):
            # (a region has at most as many digits as characters that are no space)
            take(list(find_cards(text, taken, low, [r for r in regions if r[1] - r[0] - text.count(" ", r[0], r[1]) >= 13])))
        weak = weak_id_words(low)
        if not (off and "national_ids" in off):
            if _SEPARATED_DATE.search(text):  # (one scan from the digits; then per region)
                search = _SEPARATED_DATE.search
                dated = [r for r in regions if r[1] - r[0] >= 10 and search(text, r[0], r[1])]
                if dated:
                    take(find_dated_ids(text, taken, low, dated))
            # where a Danish, Swedish, Norwegian or Finnish id can start
            starts = []
            for lo, hi in regions:
                if id_region(text, lo, hi):
                    starts.extend([m.start() for m in ID_START.finditer(text, lo, hi)])
            if starts or (weak and longest >= 9):
                take(find_national_ids(text, taken, low, weak and longest >= 9, starts))
        if longest >= 8 and weak and not (off and "cvr" in off):
            take(list(find_cvrs(text, taken, low)))
        if not (off and "ip" in off):
            take(list(find_ips(text, low)))
        if longest >= 7 and not (off and "phone" in off):
            spans.extend(find_phones(text, settings.phone_regions, taken, low, regions))
    else:
        spans.extend(emails)
        if not (off and "ip" in off):
            spans.extend(find_ips(text, low))
    if not off or ("names" not in off and "addresses" not in off):
        spans.extend(find_names_and_addresses(text, low))
    elif "names" not in off:
        spans.extend(find_names(text, low))
    elif "addresses" not in off:
        spans.extend(find_addresses(text, low))
    for detector in settings.detectors:
        for start, end, etype in detector(text):
            label = entity_type_for_category(etype)
            spans.append(Span(int(start), int(end), label, canonical(label, text[start:end]), P_CUSTOM))
    if len(spans) < 2:
        return spans
    return resolve(spans)
