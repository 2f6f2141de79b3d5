"""Values known to be personal at a call site (what static analysis knows),
matched without regular expressions: :class:`KnownValues`."""

from __future__ import annotations

import unicodedata
from typing import Any, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from .common import NONDIGITS, P_KNOWN, SPACES, Span, isword, lower_same_len, new_span, phonenumbers_module
from .contact import phone_e164
from .entities import canonical, entity_type_for_category
from .national_ids import national_type

_NAME_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "af", "til", "zu", "bin", "al", "el", "and", "og"}
)


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

    def types(self) -> frozenset[str]:
        """The entity types of these values (policies may name them)."""
        return frozenset(e[9] for e in self.entries)

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
            low = lower_same_len(text)
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
                    digits = NONDIGITS.sub("", text)
                if e_digits not in digits:
                    continue
            if left != "w" or right not in _WORD_RIGHT:
                while i != -1:
                    span = _match_entry(text, hay, i, e)
                    if span is not None:
                        out.append(new_span(Span, (span[0], span[1], etype, canon, P_KNOWN)))
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
                out.append(new_span(Span, (i, j, etype, canon, P_KNOWN)))
                i = hay.find(first, j)
        return out


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
        if start > 0 and isword(text[start - 1]):
            return None
    elif e.left == "e":
        if start > 0 and (isword(text[start - 1]) or text[start - 1] in ".%+-"):
            return None
    elif e.left == "d":
        start = _absorb_prefix(text, start, e.country)
        if start > 0 and (isword(text[start - 1]) or text[start - 1] == "+"):
            return None
    if end < len(text):
        c = text[end]
        if e.right in ("w", "d") and isword(c):
            return None
        if e.right == "e" and (isword(c) or c == "-"):
            return None
        if e.right == "g" and isword(c):
            # Danish/English genitive: "Holms" still contains the name "Holm"
            nxt = text[end + 1:end + 2]
            if not (c == "s" and not (nxt and isword(nxt))):
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
        etype = national_type(text)
    if etype == "EMAIL":
        return [_Entry((text.lower(),), "", 0, 0, True, "e", "e", "", "", "EMAIL", text.casefold())]
    if etype == "PHONE":
        e164 = phone_e164(text)
        if e164:
            num = phonenumbers_module().parse(e164, None)
            nsn = str(phonenumbers_module().national_significant_number(num))
            return [_Entry(tuple(nsn), _DIGIT_SEPS, 0, 2, False, "d", "d", nsn, str(num.country_code), "PHONE", e164)]
    if etype in _NUMERIC_ID_TYPES:
        digits = NONDIGITS.sub("", text)
        if len(digits) >= 6:
            canon = canonical(etype, text)
            if etype == "SE_PNR" and len(digits) == 12:
                digits = digits[2:]
            return [_Entry(tuple(digits), _DIGIT_SEPS + "+", 0, 2, False, "d", "d", digits, "", etype, canon)]
    if etype == "IBAN":
        compact = SPACES.sub("", text).replace("-", "").upper()
        return [_Entry(tuple(compact.lower()), " -", 0, 1, True, "w", "w", "", "", "IBAN", compact)]
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
