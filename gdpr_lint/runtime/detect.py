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

import re
import unicodedata
from typing import Any, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from .config import Detector, Settings

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
        for method in ("finditer", "match", "search", "fullmatch", "sub", "findall"):
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
    return _lazy(r"(?<!\w)(?:" + "|".join(parts) + ")")


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

_NEVER = _lazy(r"(?!x)x")
_WINDOW = 40


def _context(text: str, start: int, pos: Any, neg: Any) -> int:
    """+1 if the closest context word before ``start`` confirms, -1 if it rejects, 0 if none."""
    lo = max(0, start - _WINDOW)
    window = text[lo:start].lower()
    best_pos = -1
    for m in pos.finditer(window):
        best_pos = m.end()
    best_neg = -1
    for m in neg.finditer(window):
        best_neg = m.end()
    if best_pos < 0 and best_neg < 0:
        return 0
    return 1 if best_pos >= best_neg else -1


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

_EMAIL = _lazy(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?![\w-])")


def _emails(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        s = m.group(0)
        if s.startswith(".") or ".." in s:
            continue
        yield Span(m.start(), m.end(), "EMAIL", s.casefold(), P_EMAIL)


# ---------------------------------------------------------------------------
# IBAN

_IBAN = _lazy(r"(?<![\w])([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30})(?![\w])")


def _prefixes(raw: str, seps: str = " -") -> Iterator[str]:
    """``raw`` and its prefixes cut at separators, longest first.

    A greedy candidate may run into a following number ("DK50 ... 43 DK50 ..."):
    the valid value is one of its prefixes.
    """
    while raw:
        yield raw
        cut = max(raw.rfind(c) for c in seps)
        if cut <= 0:
            return
        raw = raw[:cut].rstrip(seps + ".(")


def _candidates(rx: Any, text: str, validate: Any) -> Iterator[Tuple[int, int, Any]]:
    """Scan with ``rx``; for each match the longest valid prefix wins and the
    scan resumes right after it, so adjacent values are all found."""
    pos = 0
    while True:
        m = rx.search(text, pos)
        if m is None:
            return
        start = m.start(m.lastindex or 0) if m.lastindex else m.start()
        raw = text[start:m.end(m.lastindex or 0)]
        hit = None
        for prefix in _prefixes(raw):
            result = validate(prefix, start)
            if result is not None:
                hit = (start, start + len(prefix), result)
                break
        if hit is None:
            pos = m.start() + 1
            continue
        yield hit
        pos = hit[1]


def _ibans(text: str) -> Iterator[Span]:
    iban = _sn("iban")

    def valid(s: str, start: int) -> Any:
        compact = s.replace(" ", "")
        return compact if len(compact) >= 15 and iban.is_valid(compact) else None

    for start, end, compact in _candidates(_IBAN, text, valid):
        yield Span(start, end, "IBAN", compact, P_IBAN)


# ---------------------------------------------------------------------------
# payment cards

_CARD = _lazy(r"(?<![\w.,-])\d(?:[ -]?\d){12,18}(?![\w]|[.,-]\d)")
_CARD_GROUPED = _lazy(r"^(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{5})$")
_CARD_PREFIX = _lazy(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|6[05]|62|5[06-9])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _cards(text: str) -> Iterator[Span]:
    def valid(s: str, start: int) -> Any:
        digits = s.replace(" ", "").replace("-", "")
        if not 13 <= len(digits) <= 19 or not _CARD_PREFIX.match(digits) or not _luhn_ok(digits):
            return None
        # 4-4-4-4 (or Amex 4-6-5) grouping with a valid Luhn digit is unambiguous;
        # a bare digit run can be an order number.
        grouped = bool(_CARD_GROUPED.match(s))
        if len(set(digits)) < 2 or not _accept(3 if grouped else 2, _context(text, start, _POS_CARD, _NEG_NUMBER)):
            return None
        return digits

    for start, end, digits in _candidates(_CARD, text, valid):
        yield Span(start, end, "CARD", digits, P_CARD)


# ---------------------------------------------------------------------------
# national identifiers

_DDMMYY_4 = _lazy(r"(?<![\w+/.-])(\d{6})([-+]?)(\d{4})(?![\w]|[-/.]\d)")
_SE_12 = _lazy(r"(?<![\w+/.-])((?:18|19|20)\d{6})([-+]?)(\d{4})(?![\w]|[-/.]\d)")
_NO_11 = _lazy(r"(?<![\w+/.-])(\d{6}) ?(\d{5})(?![\w]|[-/.]\d)")
_FI = _lazy(r"(?<![\w+/.-])(\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y])(?![\w])")
_DE_11 = _lazy(r"(?<![\w+/.-])(\d{2} ?\d{3} ?\d{3} ?\d{3})(?![\w]|[-/.]\d)")
_NL_9 = _lazy(r"(?<![\w+/.-])(\d{4}\.?\d{2}\.?\d{3}|\d{3} \d{3} \d{3})(?![\w]|[-/.]\d)")
_CVR_8 = _lazy(r"(?<![\w+/.-])(\d{2} ?\d{2} ?\d{2} ?\d{2})(?![\w]|[-/.]\d)")


def _cpr_mod11_ok(digits: str) -> bool:
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(w * (ord(c) - 48) for w, c in zip(weights, digits)) % 11 == 0


def _nationals(text: str) -> Iterator[Span]:
    cpr = se = None
    for m in _DDMMYY_4.finditer(text):
        digits = m.group(1) + m.group(3)
        sep = m.group(2)
        if cpr is None:
            cpr = _sn("dk.cpr")
            se = _sn("se.personnummer")
        dk_ok = sep != "+" and _valid(cpr, digits)
        se_ok = _valid(se, m.group(1) + (sep or "-") + m.group(3))
        if not (dk_ok or se_ok):
            continue
        ctx_dk = _context(text, m.start(), _POS_CPR, _NEG_NUMBER)
        ctx_se = _context(text, m.start(), _POS_SE, _NEG_NUMBER)
        strength = 2 if sep else 1
        # Denmark first: a value valid as both is a CPR unless Swedish context says otherwise.
        if dk_ok and not (se_ok and ctx_se > 0 and ctx_dk <= 0 and "cpr" not in text[max(0, m.start() - _WINDOW):m.start()].lower()):
            if _accept(strength, ctx_dk):
                yield Span(m.start(), m.end(), "CPR", digits, P_NATIONAL)
            continue
        if se_ok and _accept(strength, ctx_se):
            yield Span(m.start(), m.end(), "SE_PNR", se.compact(m.group(0)), P_NATIONAL)
    for m in _SE_12.finditer(text):
        if se is None:
            se = _sn("se.personnummer")
        value = m.group(1) + (m.group(2) or "-") + m.group(3)
        if _valid(se, value):
            ctx = _context(text, m.start(), _POS_SE, _NEG_NUMBER)
            if _accept(2 if m.group(2) else 1, ctx):
                yield Span(m.start(), m.end(), "SE_PNR", se.compact(value), P_NATIONAL)
    no = None
    for m in _NO_11.finditer(text):
        if no is None:
            no = _sn("no.fodselsnummer")
        digits = m.group(1) + m.group(2)
        if _valid(no, digits):
            ctx = _context(text, m.start(), _POS_NO, _NEG_NUMBER)
            # two check digits plus a date: a medium-strength format
            if _accept(2, ctx):
                yield Span(m.start(), m.end(), "NO_FNR", digits, P_NATIONAL)
    fi = None
    for m in _FI.finditer(text):
        if fi is None:
            fi = _sn("fi.hetu")
        if _valid(fi, m.group(1)):
            ctx = _context(text, m.start(), _POS_FI, _NEG_NUMBER)
            if _accept(2, ctx):
                yield Span(m.start(), m.end(), "FI_HETU", m.group(1).upper(), P_NATIONAL)
    de = None
    for m in _DE_11.finditer(text):
        digits = m.group(1).replace(" ", "")
        if _context(text, m.start(), _POS_DE, _NEG_NUMBER) <= 0:
            continue
        if de is None:
            de = _sn("de.idnr")
        if _valid(de, digits):
            yield Span(m.start(), m.end(), "DE_TAXID", digits, P_NATIONAL)
    nl = None
    for m in _NL_9.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        if _context(text, m.start(), _POS_NL, _NEG_NUMBER) <= 0:
            continue
        if nl is None:
            nl = _sn("nl.bsn")
        if _valid(nl, digits):
            yield Span(m.start(), m.end(), "NL_BSN", digits, P_NATIONAL)


def _cvrs(text: str) -> Iterator[Span]:
    cvr = None
    for m in _CVR_8.finditer(text):
        if _context(text, m.start(), _POS_CVR, _NEG_NUMBER) <= 0:
            continue
        digits = m.group(1).replace(" ", "")
        if cvr is None:
            cvr = _sn("dk.cvr")
        if _valid(cvr, digits):
            yield Span(m.start(), m.end(), "CVR", digits, P_CVR)


def _valid(module: Any, value: str) -> bool:
    try:
        return bool(module.is_valid(value))
    except Exception:  # stdnum raises on some malformed input in older versions
        return False


# ---------------------------------------------------------------------------
# IP addresses

_IPV4 = _lazy(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = _lazy(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,6}|[0-9A-Fa-f]{1,4})(?![\w:])")


def _ips(text: str) -> Iterator[Span]:
    if "." not in text and ":" not in text:
        return
    import ipaddress

    for rx in (_IPV4, _IPV6):
        for m in rx.finditer(text):
            s = m.group(0)
            try:
                ip = ipaddress.ip_address(s)
            except ValueError:
                continue
            if ip.is_loopback or ip.is_unspecified or ip.is_multicast:
                continue
            if ip.version == 6 and s.count(":") < 2:
                continue
            if _context(text, m.start(), _NEVER, _NEG_IP) < 0 or text[max(0, m.start() - 1):m.start()] in ("v", "V"):
                continue
            yield Span(m.start(), m.end(), "IP", ip.compressed, P_IP)


# ---------------------------------------------------------------------------
# phone numbers

_PHONE = _lazy(r"(?<![\w+/.,-])(?:\+|00)?\d(?:[ \-.]?\(?\d\)?){5,14}(?![\w]|[.,/-]\d)")
_DATE_LIKE = _lazy(
    r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,2}:\d{2})$"
)
_THOUSANDS = _lazy(r"^\d{1,3}(?:[.,]\d{3})+$")
_UNIT_AFTER = _lazy(r"^\s?(?:kr\b|dkk\b|eur\b|sek\b|nok\b|%|€|\$|,-)", re.IGNORECASE)


def _phones(text: str, regions: Sequence[str]) -> Iterator[Span]:
    pn = _pn()

    def valid(raw: str, start: int) -> Any:
        end = start + len(raw)
        if _DATE_LIKE.match(raw) or _THOUSANDS.match(raw) or _UNIT_AFTER.match(text[end:end + 5]):
            return None
        if sum(c.isdigit() for c in raw) < 7:
            return None
        international = raw.startswith("+") or raw.startswith("00")
        number = _parse_phone(pn, raw, international, regions)
        if number is None:
            return None
        separated = bool(re.search(r"[ \-]", raw)) and "." not in raw
        strength = 3 if raw.startswith("+") else 2 if (international or separated) else 1
        if not _accept(strength, _context(text, start, _POS_PHONE, _NEG_NUMBER)):
            return None
        return pn.format_number(number, pn.PhoneNumberFormat.E164)

    for start, end, e164 in _candidates(_PHONE, text, valid):
        yield Span(start, end, "PHONE", e164, P_PHONE)


def _parse_phone(pn: Any, raw: str, international: bool, regions: Sequence[str]) -> Any:
    try:
        if international:
            digits = re.sub(r"\D", "", raw)
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
    value = unicodedata.normalize("NFC", value)
    if entity_type == "EMAIL":
        return value.strip().casefold()
    if entity_type == "PHONE":
        e164 = _phone_e164(value)
        return e164 if e164 else re.sub(r"\D", "", value)
    if entity_type in ("CPR", "CVR", "CARD", "NO_FNR", "DE_TAXID", "NL_BSN"):
        return re.sub(r"\D", "", value)
    if entity_type == "IBAN":
        return re.sub(r"\s", "", value).upper()
    if entity_type == "FI_HETU":
        return value.strip().upper()
    if entity_type == "SE_PNR":
        try:
            return _sn("se.personnummer").compact(value)
        except Exception:
            return re.sub(r"\D", "", value)
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
    return pn.format_number(num, pn.PhoneNumberFormat.E164)


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
_DIGIT_SEP = r"[\s\-./()]?"


_TRANSLIT = str.maketrans({"æ": "ae", "Æ": "AE", "ø": "oe", "Ø": "OE", "å": "aa", "Å": "AA", "ß": "ss"})


def entity_type_for_category(category: str) -> str:
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
    digits = re.sub(r"\D", "", value)
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


class KnownValues:
    """Values known to be personal at a call site, compiled into one matcher."""

    __slots__ = ("entries", "_regex")

    def __init__(self, known: Mapping[str, Any] | None = None, *, _entries: Sequence[Tuple[str, str, str]] = ()) -> None:
        entries: dict[str, Tuple[str, str]] = {}  # pattern -> (type, canonical)
        for pattern, etype, canon in _entries:
            entries.setdefault(pattern, (etype, canon))
        if known:
            if not isinstance(known, Mapping):
                raise TypeError("known must map a category (e.g. 'name', 'email') to a value or values")
            for category, value in known.items():
                etype = entity_type_for_category(category)
                for text in _iter_values(value):
                    for pattern, t, canon in _patterns_for(etype, text):
                        entries.setdefault(pattern, (t, canon))
        self.entries: List[Tuple[str, str, str]] = [(p, t, c) for p, (t, c) in entries.items()]
        if self.entries:
            # longest value first: "Anders Holm" before "Anders"
            ordered = sorted(range(len(self.entries)), key=lambda i: -len(self.entries[i][2]))
            self._regex: Optional[re.Pattern[str]] = re.compile(
                "|".join(f"(?P<k{i}>{self.entries[i][0]})" for i in ordered)
            )
        else:
            self._regex = None

    def __bool__(self) -> bool:
        return self._regex is not None

    def merged(self, other: "KnownValues") -> "KnownValues":
        if not other:
            return self
        if not self:
            return other
        return KnownValues(None, _entries=[*self.entries, *other.entries])

    def find(self, text: str) -> List[Span]:
        rx = self._regex
        if rx is None:
            return []
        out = []
        for m in rx.finditer(text):
            group = m.lastgroup
            if group is None:
                continue
            _, etype, canon = self.entries[int(group[1:])]
            out.append(Span(m.start(), m.end(), etype, canon, P_KNOWN))
        return out


def _patterns_for(etype: str, text: str) -> List[Tuple[str, str, str]]:
    text = unicodedata.normalize("NFC", text)
    if len(text) < 2:
        return []
    if etype == "NATIONAL_ID":
        etype = _national_type(text)
    if etype == "EMAIL":
        return [(r"(?<![\w.%+-])(?i:" + re.escape(text) + r")(?![\w-])", "EMAIL", text.casefold())]
    if etype == "PHONE":
        e164 = _phone_e164(text)
        if e164:
            num = _pn().parse(e164, None)
            nsn = str(_pn().national_significant_number(num))
            cc = str(num.country_code)
            body = _DIGIT_SEP.join(nsn)
            pattern = rf"(?<![\w+])(?:(?:\+|00){cc}[\s\-.]?(?:\(0\))?[\s\-.]?)?(?:\(?0\)?[\s\-.]?)?{body}(?!\d)"
            return [(pattern, "PHONE", e164)]
    digits = re.sub(r"\D", "", text)
    if etype in ("CPR", "CVR", "CARD", "NO_FNR", "DE_TAXID", "NL_BSN", "SE_PNR") and len(digits) >= 6:
        canon = canonical(etype, text)
        if etype == "SE_PNR" and len(digits) == 12:
            digits = digits[2:]
        pattern = r"(?<![\w])(?:\d\d)?" if etype == "SE_PNR" else r"(?<![\w])"
        pattern += _DIGIT_SEP.join(digits[:6]) + r"[\s\-+.]?" + _DIGIT_SEP.join(digits[6:]) + r"(?!\w)"
        return [(pattern, etype, canon)]
    if etype == "IBAN":
        compact = re.sub(r"\s", "", text)
        return [(r"(?<!\w)(?i:" + r"\s?".join(re.escape(c) for c in compact) + r")(?!\w)", "IBAN", compact.upper())]
    out = [(_literal(text, etype), etype, canonical(etype, text))]
    if etype == "NAME":
        words = text.split()
        if len(words) > 1:
            for w in words:
                w = w.strip(".,")
                if len(w) >= 3 and w.lower() not in _NAME_PARTICLES and w[:1].isupper():
                    out.append((_literal(w, "NAME"), "NAME", canonical("NAME", w)))
    elif etype == "ADDRESS":
        parts = [p.strip() for p in re.split(r"[,\n;]+", text) if p.strip()]
        if len(parts) > 1:
            for p in parts:
                if len(p) >= 6 and len(p.split()) >= 2:
                    out.append((_literal(p, "ADDRESS"), "ADDRESS", canonical("ADDRESS", p)))
    return out


def _literal(text: str, etype: str) -> str:
    words = re.split(r"[\s,]+" if etype == "ADDRESS" else r"\s+", text.strip())
    joiner = r"[\s,]+" if etype == "ADDRESS" else r"\s+"
    body = joiner.join(re.escape(w) for w in words if w)
    if len(text) >= 4:
        body = "(?i:" + body + ")"
    start = r"(?<!\w)" if text[:1].isalnum() or text[:1] == "_" else ""
    if not (text[-1:].isalnum() or text[-1:] == "_"):
        end = ""
    elif etype == "NAME":
        # Danish/English genitive: "Holms", "Holm's" still contain the name.
        end = r"(?=s?(?!\w)|['\u2019]s)"
    else:
        end = r"(?!\w)"
    return start + body + end


# ---------------------------------------------------------------------------
# the pipeline

def resolve(spans: Iterable[Span]) -> List[Span]:
    """Drop overlapping spans: longer first (an e-mail address beats the name
    inside it), then higher priority, then earlier."""
    chosen: List[Span] = []
    for s in sorted(spans, key=lambda s: (-(s.end - s.start), s.priority, s.start)):
        if s.end <= s.start:
            continue
        if any(s.start < c.end and c.start < s.end for c in chosen):
            continue
        chosen.append(s)
    chosen.sort(key=lambda s: s.start)
    return chosen


_HAS_DIGIT = _lazy(r"\d")


def detect(text: str, settings: Settings, known: KnownValues | None = None) -> List[Span]:
    """All personal data found in ``text``, non-overlapping, in order."""
    spans: List[Span] = []
    if known:
        spans.extend(known.find(text))
    spans.extend(_emails(text))
    if _HAS_DIGIT.search(text):
        spans.extend(_ibans(text))
        spans.extend(_cards(text))
        spans.extend(_nationals(text))
        spans.extend(_cvrs(text))
        spans.extend(_ips(text))
        spans.extend(_phones(text, settings.phone_regions))
    for detector in settings.detectors:
        for start, end, etype in detector(text):
            label = entity_type_for_category(etype)
            spans.append(Span(int(start), int(end), label, canonical(label, text[start:end]), P_CUSTOM))
    if len(spans) < 2:
        return spans
    return resolve(spans)
