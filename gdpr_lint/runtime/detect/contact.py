"""E-mail addresses, IP addresses and phone numbers."""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional, Sequence, Tuple

from .common import (
    NONDIGITS,
    P_EMAIL,
    P_IP,
    P_PHONE,
    STOP,
    Span,
    isword,
    lazy_re,
    new_span,
    phonenumbers_module,
    scan_candidates,
)
from .context import NEG_IP, NEG_NUMBER, NEVER, POS_PHONE, accept, context_at

# ---------------------------------------------------------------------------
# e-mail

_EMAIL_DOMAIN = lazy_re(r"[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?![\w-])")


_LOCAL_REVERSED = lazy_re(r"[\w.%+\-]*")  # a local part, matched on the reversed text before the "@"


def _local_start(text: str, at: int) -> int:
    """Where the local part ending at ``at`` starts: the characters before it
    are word characters or ``.%+-``."""
    lo = at - 64 if at > 64 else 0
    i: int = at - _LOCAL_REVERSED.match(text[lo:at][::-1]).end()
    if i == lo:  # it may go on further left
        while i > 0 and (isword(text[i - 1]) or text[i - 1] in ".%+-"):
            i -= 1
    return i


def find_emails(text: str) -> Iterator[Span]:
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
                yield new_span(Span, (i, end, "EMAIL", s.casefold(), P_EMAIL))
            at = text.find("@", end)
        else:
            at = text.find("@", at + 1)


# ---------------------------------------------------------------------------
# IP addresses

_IPV4 = lazy_re(r"\d(?<![\w.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\w]|\.\d)")
_IPV6 = lazy_re(r"[0-9A-Fa-f](?<![\w:.][0-9A-Fa-f])[0-9A-Fa-f]{0,3}:(?:[0-9A-Fa-f]{1,4}:){0,6}(?::|(?::[0-9A-Fa-f]{1,4}){1,6}|[0-9A-Fa-f]{1,4})(?![\w:])")


# Any IPv4 address has this after its first octet, any IPv6 address this
# somewhere (two colons with at most four hex digits between them).
_IPV4_GATE = lazy_re(r"\.\d{1,3}\.\d{1,3}\.\d")
_IPV6_GATE = lazy_re(r":[0-9A-Fa-f]{0,4}:")


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


def find_ips(text: str, low: Optional[str] = None) -> Iterator[Span]:
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
            if context_at(text, m.start(), NEVER, NEG_IP, low) < 0 or text[max(0, m.start() - 1):m.start()] in ("v", "V"):
                continue
            yield new_span(Span, (m.start(), m.end(), "IP", canon, P_IP))


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
# Separators: space, "-", "." and "/" (German "030/1234567"), brackets around
# an area code ("(030) 1234567", "+49 (0)30 ...").
_PHONE = lazy_re(r"(?:\+(?<![\w+/.,\-]\+)\d|\d(?<![\w+/.,\-]\d))(?:[ \-./]?\(?\d\)?){5,16}(?![\w]|[.,/-]\d)")
_DATE_LIKE = lazy_re(
    r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,2}:\d{2})$"
)
_THOUSANDS = lazy_re(r"^\d{1,3}(?:[.,]\d{3})+$")
_UNIT_AFTER = lazy_re(r"\s?(?:kr\b|dkk\b|eur\b|sek\b|nok\b|%|€|\$|,-)", re.IGNORECASE)  # .match(text, end, end + 5)


def find_phones(
    text: str,
    regions: Sequence[str],
    taken: Optional[bytearray] = None,
    low: Optional[str] = None,
    where: Optional[Sequence[Tuple[int, int]]] = None,
) -> Iterator[Span]:
    pn = phonenumbers_module()
    fast = _fast_region(regions[0])
    contexts: dict[int, int] = {}

    def valid(raw: str, start: int) -> Any:
        # (the pattern's other characters are "+ -./()")
        digits = raw if raw.isdigit() else NONDIGITS.sub("", raw)
        if len(digits) < 7:
            return STOP  # shorter prefixes have fewer digits still
        end = start + len(raw)
        # (a date or a thousands-separated amount has a "." or "-" in it)
        if ("." in raw or "-" in raw or "/" in raw) and (_DATE_LIKE.match(raw) or _THOUSANDS.match(raw)):
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
                ctx = contexts[start] = context_at(text, start, POS_PHONE, NEG_NUMBER, low)
            if not accept(strength, ctx):  # context first: it is cheap, parsing is not
                return STOP  # shorter prefixes have the same context and no stronger format
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
            if rx.fullmatch(digits):
                return "+" + cc + digits
            return _with_country_code(pn, digits, contexts.get(start, 0))
        # the slash after an area code is German-speaking usage: those regions first
        number = _parse_phone(pn, raw, international, _slash_first(regions) if "/" in raw else regions)
        if number is None and not international and not digits.startswith("0"):
            return _with_country_code(pn, digits, contexts.get(start, 0))
        return None if number is None else pn.format_number(number, pn.PhoneNumberFormat.E164)

    for start, end, e164 in scan_candidates(_PHONE, text, valid, taken, where, _PHONE_LEAD):
        if start and text[start - 1] == "(" and text.count(")", start, end) > text.count("(", start, end):
            start -= 1  # "(030) 1234567": the area code's bracket belongs to the number
        yield new_span(Span, (start, end, "PHONE", e164, P_PHONE))


_SLASH_REGIONS = ("DE", "AT", "CH")


def _slash_first(regions: Sequence[str]) -> Tuple[str, ...]:
    """``regions`` with German-speaking ones first (the default region first if it is one)."""
    first = tuple(r for r in regions[:1] if r in _SLASH_REGIONS)
    return first + tuple(r for r in _SLASH_REGIONS if r not in first) + tuple(r for r in regions if r not in _SLASH_REGIONS)


def _with_country_code(pn: Any, digits: str, ctx: int) -> Any:
    """A number written with its country code but without "+" ("tlf 4540123456";
    a JSON number cannot hold the "+"), only after a phone context word."""
    if ctx <= 0 or len(digits) < 9 or not digits.isascii():
        return None
    number = _parse_phone(pn, "+" + digits, True, ())
    return None if number is None else pn.format_number(number, pn.PhoneNumberFormat.E164)


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
        pn = phonenumbers_module()
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
            digits = NONDIGITS.sub("", raw)
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


def phone_e164(value: str, region: str = "DK") -> Optional[str]:
    pn = phonenumbers_module()
    try:
        num = pn.parse(value, None if value.strip().startswith("+") else region)
    except Exception:
        return None
    if not pn.is_possible_number(num):
        return None
    return str(pn.format_number(num, pn.PhoneNumberFormat.E164))
