"""Context words: words before a weak format that confirm it (``cpr``,
``tlf`` ...) or reject it (``faktura``, ``ordre`` ...).  The closest context
word within :data:`_WINDOW` characters before a match wins.
"""

from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple

from .common import lazy_re, lower_same_len


def keyword_class(*words: str) -> Any:
    """A class of context words, for :func:`context_at`."""
    # Prefix match at a word start: "faktura" also matches "fakturanr".
    # A trailing "$" in a word means whole word only.
    parts = []
    for w in words:
        if w.endswith("$"):
            parts.append(re.escape(w[:-1]) + r"(?!\w)")
        else:
            parts.append(re.escape(w))
    # no leading look-behind; the word-start condition is checked in context_at()
    rx = lazy_re("(?:" + "|".join(parts) + ")")
    rx.words = tuple(w.rstrip("$") for w in words)  # for plain substring pre-checks
    rx.alts = tuple(parts)  # for _pair()
    return rx


NEG_NUMBER = keyword_class(
    "faktura", "invoice", "ordre", "order", "sag$", "sager$", "sagsnr", "sagsnummer", "case$", "ref",
    "reference", "konto", "account", "kundenr", "kundenummer", "customer no", "customer number",
    "bestilling", "booking", "tracking", "sporing", "pakke", "parcel", "kvittering", "receipt",
    "vare", "item$", "sku$", "serie", "serial", "beløb", "amount", "total", "pris", "price",
    "kr$", "dkk$", "eur$", "sek$", "nok$", "version", "ticket", "billet", "po$",
)
POS_PHONE = keyword_class(
    "tlf", "telefon", "mobil", "mob$", "phone", "tel$", "tel.", "ring", "sms", "call", "cell",
    "handy", "fax", "kontakt", "contact", "whatsapp", "nummer er", "number is", "puhelin", "telefoon",
)
POS_CPR = keyword_class("cpr", "personnummer", "personnr", "person nr", "person-nr", "personal id", "social security")
POS_SE = keyword_class("personnummer", "personnr", "pnr$", "person-nummer", "samordningsnummer")
POS_NO = keyword_class("fødselsnummer", "fødselsnr", "fodselsnummer", "fnr$", "personnummer")
POS_FI = keyword_class("henkilötunnus", "hetu", "sotu", "personal identity code")
POS_DE = keyword_class("steuer", "idnr", "identifikationsnummer", "tin$", "tax id", "tax-id", "taxid")
POS_NL = keyword_class("bsn", "burgerservicenummer", "sofinummer", "sofi")
POS_CVR = keyword_class("cvr", "se-nr", "se nr", "virksomhedsnummer")
POS_CARD = keyword_class("kort", "card", "visa", "mastercard", "dankort", "kreditkort", "betalingskort", "amex", "maestro")
NEG_IP = keyword_class("version", "ver$", "v$", "release", "build")
# Any context word of a weak format (German and Dutch ids, CVR) in the text?
# If none, those detectors cannot find anything.  Plain substring tests, a
# superset of the keyword patterns (the detectors check the exact pattern).
_WEAK_ID_WORDS = POS_DE.words + POS_NL.words + POS_CVR.words


def weak_id_words(low: str) -> bool:
    for w in _WEAK_ID_WORDS:
        if w in low:
            return True
    return False


NEVER = lazy_re(r"(?!x)x")  # no confirming word (IP addresses only have rejecting ones)
_WINDOW = 40


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


def context_at(text: str, start: int, pos: Any, neg: Any, low: Optional[str] = None) -> int:
    """+1 if the closest context word before ``start`` confirms, -1 if it rejects, 0 if none.

    ``low`` is ``lower_same_len(text)`` when the caller has it (one lower-casing
    per text instead of one per candidate)."""
    lo = start - _WINDOW if start > _WINDOW else 0
    if low is None:
        base = lo - 1 if lo else 0  # one more character: is the window's first word a word start?
        low = lower_same_len(text[base:start])
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


def accept(strength: int, ctx: int) -> bool:
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
