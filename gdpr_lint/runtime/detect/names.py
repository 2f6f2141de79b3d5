"""Person names and postal addresses in free text, without a model: a
gazetteer of first names and surnames (``rules/person_names.txt``, generated
from Faker's person data) and the cues around a name and an address
(``rules/runtime_names.toml``).

Names.  One scan finds the capitalised words; set look-ups classify them.

* a first name followed by capitalised words (surnames of the gazetteer or
  unknown words, "van der" and other particles between them) is a name;
* a first name that is also a common word ("Hans", "Will", "Bo", "Frank")
  needs a cue, or a surname of the gazetteer after it ("Hans Jensen");
* a first name or a surname alone needs a cue before it: a title ("fru",
  "Herr", "Dr.", "Mme"; a title also confirms a word not in the gazetteer), a
  salutation or sign-off ("Dear", "Kære", "Hej", "Med venlig hilsen") or a
  label with a colon ("Patient:", "Navn:");
* a genitive "s" ("Sørensens") or "'s" stays outside the span, as for known
  values.

Addresses.  A street name with a type word (Nørregade, Strandvejen,
Hauptstraße, "Baker Street", "12 rue de la Paix") and a house number, then an
optional floor and door ("3. tv.") and an optional postcode and town (DK/NO
"1234", SE "123 45", DE/FI/FR "12345", NL "1234 AB", UK postcodes).

The data is read on first use.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, FrozenSet, List, Optional, Tuple

from .common import P_ADDRESS, P_NAME, Span, lazy_re, new_span
from .entities import rules_dir

NAMES_FILE = "person_names.txt"
CUES_FILE = "runtime_names.toml"

# Upper-case letters a name starts with (Latin, Latin-1, Latin Extended-A/B).
_UP = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u024f"
# A capitalised word: letters, inner hyphens and apostrophes ("Anne-Marie", "O'Connor").
_CAP = lazy_re(r"(?<![\w'’\-])[" + _UP + r"][^\W\d_]*(?:['’\-][^\W\d_]+)*")
_SPACE = " \t\u00a0"


class _Data:
    """The gazetteer and the cues, compiled."""

    def __init__(self, first: FrozenSet[str], last: FrozenSet[str], cues: dict[str, Any]) -> None:
        names = cues.get("names", {})
        addresses = cues.get("addresses", {})
        self.first = first
        self.last = last
        self.common: FrozenSet[str] = frozenset(names.get("common_words", ()))
        self.stop: FrozenSet[str] = frozenset(names.get("stop_words", ()))
        particles = sorted(names.get("particles", ()), key=len, reverse=True)
        # between two parts of a name: spaces, or spaces around up to three particles
        self.gap = re.compile(
            "[ \t\u00a0]{1,3}(?:(?:" + "|".join(map(re.escape, particles)) + ")[ \t\u00a0]{1,3}){0,3}|[ \t\u00a0]{1,3}[dD]['’]"
            if particles else "[ \t\u00a0]{1,3}"
        )
        titles = sorted({t.rstrip(".:") for t in names.get("titles", ())}, key=len, reverse=True)
        salutations = sorted(names.get("salutations", ()), key=len, reverse=True)
        labels = sorted(names.get("labels", ()), key=len, reverse=True)
        # the cue that ends right before a name (matched on the lower-cased text before it)
        self.cue = re.compile(
            r"(?:(?<![\w/])(?P<t>" + "|".join(re.escape(t) for t in titles) + r")[.:]?[ \t\u00a0]{1,3}"
            r"|(?<![\w])(?P<s>" + "|".join(re.escape(s) for s in salutations) + r")[ \t\u00a0,]*(?:\r?\n[ \t\u00a0]*)?"
            r"|(?<![\w])(?P<l>" + "|".join(re.escape(lb) for lb in labels) + r")[ \t\u00a0]*:[ \t\u00a0]*(?:\r?\n[ \t\u00a0]*)?)"
            r"(?P<p>(?:(?:" + "|".join(map(re.escape, particles)) + r")[ \t\u00a0]{1,3}|[dl]['’])*)$"
        )
        self.title_words: FrozenSet[str] = frozenset(t.lower() for t in titles)
        self.cue_words: FrozenSet[str] = frozenset(
            w for phrase in (*titles, *salutations, *labels) for w in phrase.split() if w.isalpha()
        )
        suffixes = tuple(sorted({s.lower() for s in addresses.get("street_suffixes", ())}))
        self.street_suffixes: Tuple[str, ...] = suffixes
        words = sorted({w.lower().rstrip(".") for w in addresses.get("street_words", ())}, key=len, reverse=True)
        before = sorted({w.lower() for w in addresses.get("street_words_before", ())}, key=len, reverse=True)
        up = _UP
        number = r"\d{1,4}(?:[ \t]?[A-Za-z](?![\w]))?(?:[ \t]?-[ \t]?\d{1,4}[A-Za-z]?)?"
        floor = r"(?:,?[ \t]*(?:\d{1,2}\.?|st\.?|kl\.?|sal\.?)[ \t]*(?:tv|th|mf|sal|t\.v|t\.h)\.?(?![\w]))?"
        postcode = (
            r"(?:(?:DK|SE|S|NO|N|DE|D|FI|NL|FR|F)-)?(?:\d{3}[ \t]\d{2}|\d{4}[ \t]?[A-Z]{2}(?![\w])|\d{4,5})"
        )
        town = (r"[" + up + r"][\w'’\-]*(?:[ \t]+[A-ZÆØÅ](?![\w])|[ \t]+(?:am|an|der|im|ob|sur|sous|en|aan|den|upon|on|la|le)"
                r"[ \t]+[" + up + r"][\w'’\-]*)?")
        uk = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}(?![\w])"
        tail = (
            r"(?:,?[ \t]*(?:\r?\n[ \t]*)?(?:" + postcode + r"[ \t]+" + town
            + r"|(?:" + town + r",?[ \t]+)?" + uk + "))?"
        )
        # after a street name (Nørregade, "Baker Street"): the house number and what follows it
        self.after_street = re.compile(r"[ \t\u00a0]+(" + number + r")(?![\d,.]\d)" + floor + tail)
        # a street type as a separate word: "Frederik Bajers Vej", "Karl Johans gate"
        self.street_word = re.compile(r"[ \t\u00a0]+(?:" + "|".join(map(re.escape, words)) + r")\.?(?![\w])", re.I)
        # English and French: the number first ("221B Baker Street", "12 rue de la Paix")
        self.number_first = re.compile(
            r"\d(?<![\w.,/-]\d)\d{0,3}[A-Za-z]?(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:"
            r"(?i:" + "|".join(map(re.escape, before)) + r")[ \t]+(?:(?:de|du|des|la|le)[ \t]+|[dl]['’])*[" + up + r"][\w'’\-]*"
            r"(?:[ \t]+(?:(?:de|du|des|la|le)[ \t]+|[dl]['’])?[" + up + r"][\w'’\-]*){0,3}"
            r"|(?:[" + up + r"][\w'’\-]*[ \t]+){1,3}(?i:" + "|".join(map(re.escape, words)) + r")\.?(?![\w])"
            r")" + tail
        )
        # where a separate street word followed by a house number starts
        self.street_word_number = re.compile(r"[ \t\u00a0]+(?:" + "|".join(map(re.escape, words)) + r")\.?[ \t\u00a0]+\d", re.I)


_data: Optional[_Data] = None


def _load() -> _Data:
    global _data
    data = _data
    if data is None:
        folder = rules_dir()
        first: set[str] = set()
        last: set[str] = set()
        section: Optional[set[str]] = None
        with open(os.path.join(folder, NAMES_FILE), encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line or line[0] == "#":
                    continue
                if line == "[first]":
                    section = first
                elif line == "[last]":
                    section = last
                elif section is not None:
                    section.add(line)
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - exercised on Python 3.10 only
            import tomli as tomllib
        with open(os.path.join(folder, CUES_FILE), "rb") as fh:
            cues = tomllib.load(fh)
        data = _data = _Data(frozenset(first), frozenset(last), cues)
    return data


def _words(text: str) -> List[Tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _CAP.finditer(text)]


# ---------------------------------------------------------------------------
# addresses


def find_addresses(text: str, low: str, words: Optional[List[Tuple[int, int, str]]] = None) -> List[Span]:
    """Postal addresses: street name + house number (+ floor, door, postcode, town)."""
    d = _load()
    if words is None:
        words = _words(text)
    out: List[Span] = []
    end_taken = 0
    suffixes = d.street_suffixes
    separate = {m.start() for m in d.street_word_number.finditer(text)}
    n = len(text)
    for i, (s, e, w) in enumerate(words):
        if s < end_taken:
            continue
        start = s
        stop = -1
        if e in separate:
            m = d.street_word.match(text, e)
            if m is not None:
                stop = m.end()
        if stop < 0:
            # a one-word street name: a house number right after it
            if not (e + 1 < n and text[e] in _SPACE and text[e + 1].isdigit()):
                continue
            if not w.lower().endswith(suffixes) or w in d.stop:
                continue
            stop = e
        # words before the street name's last word: "Frederik Bajers Vej", "H.C. Andersens Boulevard"
        k = i
        while k > 0 and i - k < 3:
            ps, pe, pw = words[k - 1]
            gap = text[pe:words[k][0]]
            if pe < end_taken or pw in d.stop or pw.lower() in d.cue_words or not (gap.strip(" .") == "" and "\n" not in gap and len(gap) <= 3):
                break
            if stop == e and not (pw.endswith(("er", "e", "s")) or gap.startswith(".")):
                break  # before a one-word street name only "Gamle", "Berliner", "Sankt"-like words
            k -= 1
        start = words[k][0]
        m2 = d.after_street.match(text, stop)
        if m2 is None:
            continue
        end = m2.end()
        while end > start and text[end - 1] in " \t,":
            end -= 1
        value = text[start:end]
        out.append(new_span(Span, (start, end, "ADDRESS", " ".join(value.split()).casefold(), P_ADDRESS)))
        end_taken = end
    for m in d.number_first.finditer(text):
        start, end = m.span()
        while end > start and text[end - 1] in " \t,":
            end -= 1
        if any(sp[0] < end and start < sp[1] for sp in out):
            continue
        out.append(new_span(Span, (start, end, "ADDRESS", " ".join(text[start:end].split()).casefold(), P_ADDRESS)))
    return out


# ---------------------------------------------------------------------------
# names


def _genitive(w: str, d: _Data) -> Tuple[str, int]:
    """(the word without a genitive ending, the ending's length)."""
    if w.endswith(("'s", "’s")):
        return w[:-2], 2
    if w.endswith("s") and w not in d.first and w not in d.last and (w[:-1] in d.first or w[:-1] in d.last):
        return w[:-1], 1
    if w.endswith("'") and len(w) > 2:  # "Andreas'"
        return w[:-1], 1
    return w, 0


def _is_first(w: str, d: _Data) -> bool:
    if w in d.first or w in d.common:
        return True
    if "-" in w:  # "Anne-Marie", "Jean-Pierre"
        parts = w.split("-")
        return all(p in d.first for p in parts)
    return False


def _cue(text: str, low: str, start: int, d: _Data) -> Tuple[str, int]:
    """("t" (title), "s" (salutation), "l" (label) or "", where the name
    starts: at ``start``, or at particles after the cue ("mevr. van der Berg"))."""
    lo = start - 48 if start > 48 else 0
    m = d.cue.search(low, lo, start)
    if m is None:
        return "", start
    kind = "t" if m.group("t") else "s" if m.group("s") else "l"
    return kind, m.start("p")


def find_names(text: str, low: str, words: Optional[List[Tuple[int, int, str]]] = None, taken: Optional[List[Span]] = None) -> List[Span]:
    """Person names (see the module docstring)."""
    d = _load()
    if words is None:
        words = _words(text)
    last, common, stop = d.last, d.common, d.stop
    cue_words = d.cue_words
    gap = d.gap.fullmatch
    out: List[Span] = []
    parts: dict[str, str] = {}  # name parts found: word -> canonical form
    busy = sorted((s[0], s[1]) for s in taken) if taken else []
    n = len(words)
    i = 0
    while i < n:
        s, e, w = words[i]
        if busy and any(a < e and s < b for a, b in busy):
            i += 1
            continue
        base, gen = _genitive(w, d)
        if base in stop or w.lower() in cue_words or (w.isupper() and len(w) > 1):
            i += 1
            continue
        is_first = _is_first(base, d)
        is_last = base in last
        # the chain of name parts from here
        chain = [(s, e - gen, base)]
        unknown = 0 if (is_first or is_last) else 1
        j = i + 1
        ended = bool(gen)
        while not ended and j < n and len(chain) < 5:
            ns, ne, nw = words[j]
            if not gap(text, chain[-1][1], ns):
                break
            nb, ngen = _genitive(nw, d)
            if nb in stop or nw.lower() in cue_words or (nw.isupper() and len(nw) > 1) or (busy and any(a < ne and ns < b for a, b in busy)):
                break
            known_part = _is_first(nb, d) or nb in last
            if not known_part:
                if unknown >= 2:
                    break
                unknown += 1
            chain.append((ns, ne - ngen, nb))
            ended = bool(ngen)
            j += 1
        accept = False
        if is_first and base not in common:
            accept = len(chain) >= 2
        if not accept and is_first and len(chain) >= 2:
            # "Hans Jensen", "Hans Christian Andersen": a common word needs a surname after it
            nb = chain[1][2]
            accept = nb not in common and (nb in last or _is_first(nb, d)) and any(
                p[2] in last and p[2] not in common for p in chain[1:])
        begin = s
        cue = ""
        if not accept:
            cue, begin = _cue(text, low, s, d)
            if cue:
                if cue == "t":
                    accept = True
                elif is_first or is_last:
                    accept = True
                elif cue == "l" and len(chain) >= 2:
                    accept = True
                elif any(_is_first(p[2], d) or p[2] in last for p in chain[1:]):
                    accept = True
        if accept:
            # unknown words at the end without a cue: keep only the first ("Anders Holm" in "Anders Holm Kundeservice")
            if cue not in ("t", "l"):
                while len(chain) > 2 and not (_is_first(chain[-1][2], d) or chain[-1][2] in last):
                    chain.pop()
            cs, ce = begin, chain[-1][1]
            out.append(new_span(Span, (cs, ce, "NAME", " ".join(text[cs:ce].split()).casefold(), P_NAME)))
            for p in chain:
                if p[2] not in common:
                    parts[p[2]] = p[2].casefold()
            i += len(chain)
        else:
            i += 1
    if parts:
        # the parts of a name found elsewhere in the text: "Sørensens søn" after "fru Sørensen"
        found = [(sp[0], sp[1]) for sp in out]
        for s, e, w in words:
            base, gen = _genitive(w, d)
            canon = parts.get(base)
            if canon is not None and not any(a < e and s < b for a, b in found) and not (busy and any(a < e and s < b for a, b in busy)):
                out.append(new_span(Span, (s, e - gen, "NAME", canon, P_NAME)))
    return out


def find_names_and_addresses(text: str, low: str) -> List[Span]:
    if not _has_capital(text):
        return []
    words = _words(text)
    if not words:
        return []
    addresses = find_addresses(text, low, words)
    return addresses + find_names(text, low, words, addresses)


_ANY_CAP = lazy_re("[" + _UP + "]")


def _has_capital(text: str) -> bool:
    return _ANY_CAP.search(text) is not None
