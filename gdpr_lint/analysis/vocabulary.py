"""Personal-data vocabulary: decides whether an identifier, dict key or prompt label
names personal data, using the data in rules/personal_data/ (categories.toml and one
file of words per language).

The decision is made on the identifier's *head* (its last tokens), with the owning
object and the modifiers as context: ``customer.name`` and ``patient_email`` are
personal, ``product.name``, ``file_name`` and ``email_template`` are not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from gdpr_lint.analysis.stems import StemIndex
from gdpr_lint.config.ruledata import load_vocabulary_data

# The ASCII case of the rules in `tokenize`, as two regular expressions (most names are ASCII).
_ASCII_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_ASCII_SPLIT = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=65536)
def tokenize(identifier: str) -> tuple[str, ...]:
    """`customerEmail` -> ('customer', 'email'); `cpr_nummer` -> ('cpr', 'nummer');
    `wiadomośćKlienta` -> ('wiadomość', 'klienta').

    Tokens are runs of letters and digits of any script (with their combining marks),
    lower-cased; everything else (underscores, spaces, punctuation) separates them.
    A run is also split before an upper-case letter that follows a lower-case letter
    or a digit (`userEmail`, `s3Bucket`), and before the last capital of an acronym
    that starts a word (`HTTPServer` -> http server, `CPRNummer` -> cpr nummer).
    Digits stay in their token: `phone1`, `icd10`.
    """
    if identifier.isascii():
        return tuple(t for t in _ASCII_SPLIT.split(_ASCII_CAMEL.sub(" ", identifier).lower()) if t)
    return _tokenize_unicode(unicodedata.normalize("NFC", identifier))


def _tokenize_unicode(text: str) -> tuple[str, ...]:
    tokens: list[str] = []
    start = -1  # where the current token starts, -1 between tokens
    prev_upper = False
    for i, ch in enumerate(text):
        if ch.isalnum():
            upper = ch.isupper()
            if start < 0:
                start = i
            elif upper and (not prev_upper or text[i + 1:i + 2].islower()):
                tokens.append(text[start:i].lower())
                start = i
            prev_upper = upper
        elif start >= 0 and unicodedata.category(ch).startswith("M"):
            continue  # a combining mark belongs to the letter before it
        elif start >= 0:
            tokens.append(text[start:i].lower())
            start = -1
    if start >= 0:
        tokens.append(text[start:].lower())
    return tuple(tokens)


# Container words: with a person word before them they name a record about a person.
RECORD_HEADS = frozenset({
    "row", "rows", "record", "records", "data", "info", "details", "obj", "dict", "entry", "entries",
    "doc", "docs", "document", "json", "payload", "instance", "object", "df", "dataframe", "frame",
    "list", "dump", "export", "csv", "file", "profile", "profiles", "dto", "item", "items",
})

# How a prompt introduces a document it quotes (classify_purpose): the text before the value
# ends in a colon, a line break or a fence; its last sentence is the one that names it.
_INTRODUCES = re.compile(r"(?::|\n|```|\'\'\'|\"\"\"|---|<\w+>)[ \t]*$")
_FENCE_TAIL = re.compile(r"(?:```\w*|\'\'\'|\"\"\"|---|<\w+>|\s)+$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    special: bool
    direct_identifier: bool
    content: bool  # counts as personal data in request content (GDPR001/002)


@dataclass(frozen=True)
class Match:
    category: Category
    confidence: str  # high | medium | low
    term: str


_NOT_LISTED = object()  # Vocabulary._listed: no listed word ends the name


class Vocabulary:
    def __init__(self, data: dict, extra: dict | None = None) -> None:
        self._memo: dict = {}
        self.categories: dict[str, Category] = {}
        self._terms: dict[tuple[str, ...], str] = {}
        self._ambiguous: dict[tuple[str, ...], str] = {}
        self._contextual: dict[tuple[str, ...], list[tuple[str, frozenset[str]]]] = {}
        self._modifiers: dict[tuple[str, ...], str] = {}  # "hiv", "religious": qualify a data word
        for key, spec in data["categories"].items():
            self.categories[key] = Category(
                key=key,
                label=spec.get("label", key),
                special=bool(spec.get("special", False)),
                direct_identifier=bool(spec.get("direct_identifier", False)),
                content=bool(spec.get("content", True)),
            )
            for term in spec.get("terms", []):
                self._terms.setdefault(tokenize(term), key)
            for term in spec.get("ambiguous", []):
                self._ambiguous.setdefault(tokenize(term), key)
            for term in spec.get("modifiers", []):
                self._modifiers.setdefault(tokenize(term), key)
            for ctx in spec.get("contextual", []):
                self._contextual.setdefault(tokenize(ctx["term"]), []).append(
                    (ctx.get("category", key), frozenset(t for o in ctx["owners"] for t in tokenize(o)))
                )
        context = data["context"]
        # single words match an owner's head; phrases ("account holder") its last tokens
        self.person_owners = frozenset(tokenize(w)[0] for w in context["person_owners"] if len(tokenize(w)) == 1)
        self.person_owner_phrases = frozenset(tokenize(w) for w in context["person_owners"] if len(tokenize(w)) > 1)
        # a phrase names its own owner ("city_record"), not every owner with its head ("record")
        self.non_person_owners = frozenset(tokenize(w)[0] for w in context["non_person_owners"] if len(tokenize(w)) == 1)
        self.technical_owners = frozenset(tokenize(w)[0] for w in context.get("technical_owners", []) if tokenize(w))
        self.non_person_owner_phrases = frozenset(tokenize(w) for w in context["non_person_owners"] if len(tokenize(w)) > 1)
        self.animal_owners = frozenset(tokenize(w)[-1] for w in context["animal_owners"] if tokenize(w))
        # words that name data about something without saying what (status, result, notes)
        self.data_heads = frozenset(t for w in context.get("data_heads", []) for t in tokenize(w)[-1:])
        # record classes that store what people wrote, and the fields that hold it
        self.written_records = frozenset(t for w in context.get("written_records", []) for t in tokenize(w)[-1:])
        self.written_fields = frozenset(t for w in context.get("written_fields", []) for t in tokenize(w)[-1:])
        self.non_personal_modifiers = frozenset(
            t for w in context["non_personal_modifiers"] for t in tokenize(w)
        )
        self.neutral_suffixes = frozenset(data.get("normalise", {}).get("neutral_suffixes", []))
        self._labels: dict[tuple[str, ...], str] = {}
        for key, phrases in data.get("labels", {}).items():
            for phrase in phrases:
                self._labels.setdefault(tokenize(phrase), key)
        self._purpose: dict[tuple[str, ...], str] = {}
        for key, phrases in data.get("purpose", {}).items():
            for phrase in phrases:
                self._purpose.setdefault(tokenize(phrase), key)
        self._max_purpose = max((len(t) for t in self._purpose), default=1)
        self._purpose_stems = StemIndex(data.get("purpose_languages", {}), tokenize)
        self._stems = StemIndex(data.get("languages", {}), tokenize)
        # `patienten`, `kundens`, `borgeren`, `företaget`, `hunden`: owner words inflected
        self._owner_stems = StemIndex(data.get("owner_languages", {}), tokenize)
        self._owner_memo: dict[str, object] = {}
        self._owner_kind_memo: dict[tuple[str, ...], object] = {}
        if extra:
            self.extend(extra)
        self._max_term = max((len(t) for t in [*self._terms, *self._ambiguous, *self._contextual]), default=1)

    def extend(self, extra: dict) -> None:
        """Add project vocabulary: {category: [terms]} (from [tool.gdpr-lint.personal-data])."""
        self._memo = {}
        for key, terms in extra.items():
            if key not in self.categories:
                self.categories[key] = Category(key, key.replace("_", " "), False, False, True)
            for term in terms:
                self._terms[tokenize(term)] = key
        self._max_term = max((len(t) for t in [*self._terms, *self._ambiguous, *self._contextual]), default=1)

    # --- owners -------------------------------------------------------------------

    def names_a_person(self, toks: tuple[str, ...]) -> bool:
        """Whether a variable so named holds a person's record by its name alone: a person
        owner word, not one as often technical (`candidate`, `members`)."""
        if self.owner_kind(toks) != "person":
            return False
        head = toks[-1] if toks else ""
        return not (head in self.technical_owners or head.endswith("s") and head[:-1] in self.technical_owners)

    def owner_kind(self, owner_tokens: Iterable[str]) -> str | None:
        """'person', 'animal', 'thing' or None (unknown) for an owner's name tokens."""
        toks = tuple(owner_tokens)
        kind = self._owner_kind_memo.get(toks, self)
        if kind is self:  # asked for every attribute read: worked out once per owner name
            kind = self._owner_kind_memo[toks] = self._owner_kind(toks)
        return kind  # type: ignore[return-value]

    def _owner_kind(self, toks: tuple[str, ...]) -> str | None:
        if not toks:
            return None
        head = toks[-1]
        if head in self.animal_owners:
            return "animal"
        if head in self.person_owners or any(toks[-len(p):] == p for p in self.person_owner_phrases):
            return "person"
        if head in self.non_person_owners or any(toks[-len(p):] == p for p in self.non_person_owner_phrases):
            return "thing"
        if head in RECORD_HEADS and any(t in self.person_owners for t in toks[:-1]):
            return "person"  # customer_row, patient_record, user_data
        kind = self._owner_memo.get(head, self)
        if kind is self:
            inflected = self._owner_stems.lookup(head)
            kind = self._owner_memo[head] = inflected[0] if inflected is not None else self._plural_kind(head)
        return kind  # type: ignore[return-value]

    def _plural_kind(self, head: str) -> str | None:
        """`venues`, `suppliers`, `pharmacies`, `kunders`: a listed owner word in the plural."""
        if len(head) < 4 or not head.endswith("s") or head.endswith("ss"):
            return None
        for single in (head[:-3] + "y" if head.endswith("ies") else "", head[:-2], head[:-1]):
            for kind, words in (("animal", self.animal_owners), ("person", self.person_owners),
                                ("thing", self.non_person_owners)):
                if len(single) > 1 and single in words:
                    return kind
        return None

    # --- identifiers ----------------------------------------------------------------

    def classify(
        self,
        identifier: str | tuple[str, ...],
        owner: tuple[str, ...] = (),
        owner_kind: str | None = None,
    ) -> Match | None:
        """Classify an identifier (variable, attribute, parameter or dict key name).

        `owner` are the tokens of the object it belongs to (for `customer.name`:
        ('customer',)); `owner_kind` may be given when known from a type.
        """
        key = (identifier, tuple(owner), owner_kind)
        hit = self._memo.get(key, self)
        if hit is not self:
            return hit
        result = self._classify(identifier, tuple(owner), owner_kind)
        if len(self._memo) < 200000:
            self._memo[key] = result
        return result

    def _classify(self, identifier, owner: tuple[str, ...], owner_kind: str | None) -> Match | None:
        toks = identifier if isinstance(identifier, tuple) else tokenize(identifier)
        while len(toks) > 1 and toks[-1] in self.neutral_suffixes:
            toks = toks[:-1]
        if not toks:
            return None
        kind = owner_kind or self.owner_kind(owner)
        found = self._listed(toks, owner, kind)
        if found is not _NOT_LISTED:
            return found  # type: ignore[return-value]
        return (self._qualified_data(toks, kind) or self._compound_head(toks, kind) or self._inflected(toks, kind)
                or self._plural(toks, owner, kind))

    def _listed(self, toks: tuple[str, ...], owner: tuple[str, ...], kind: str | None,
                contextual_only: bool = False) -> object:
        """The judgement of the listed word (a term, an ambiguous or a contextual one; only a
        contextual one if `contextual_only`) that `toks` ends with, the longest first: a
        Match, or None where its modifiers or owner say it is not personal; _NOT_LISTED when
        it ends with none."""
        for n in range(min(self._max_term, len(toks)), 0, -1):
            head = toks[-n:]
            modifiers = toks[:-n]
            if head in self._terms and not contextual_only:
                return self._judge(self._terms[head], head, modifiers, kind, ambiguous=False)
            if head in self._ambiguous and not contextual_only:
                return self._judge(self._ambiguous[head], head, modifiers, kind, ambiguous=True)
            if head in self._contextual:
                context = set(modifiers) | set(owner)
                for cat, owners in self._contextual[head]:
                    if context & owners or (kind == "person" and "person" in owners):
                        return self._judge(cat, head, modifiers, kind, ambiguous=False)
        return _NOT_LISTED

    def _plural(self, toks: tuple[str, ...], owner: tuple[str, ...], kind: str | None) -> Match | None:
        """`surnames`, `phone_numbers`, `patient_histories`: a listed word in the English
        plural (a list of values), judged as that word. The other way round only for a word
        that counts with its owner (`patient.condition` for `conditions`): a plain word
        listed in the plural may be meant that way (`test results` is health data,
        `test_result` in code is not)."""
        last = toks[-1]
        if len(last) < 4 or last.endswith("ss"):
            return None
        if last.endswith("s"):
            forms = [last[:-3] + "y"] if last.endswith("ies") else []
            forms += [last[:-2]] if last.endswith(("ses", "xes", "zes", "ches", "shes")) else []
            forms.append(last[:-1])
            contextual_only = False
        else:
            forms = [last[:-1] + "ies"] if last.endswith("y") and last[-2] not in "aeiou" else [last + "s"]
            contextual_only = True
        for form in forms:
            found = self._listed(toks[:-1] + (form,), owner, kind, contextual_only)
            if found is not _NOT_LISTED:
                return found  # type: ignore[return-value]
        return None

    def _qualified_data(self, toks: tuple[str, ...], kind: str | None) -> Match | None:
        """`hiv_status`, `genetic_test_result`, `religious_affiliation`, `therapy_notes`: a word
        that names data without saying what (`data_heads`) qualified by a special category's
        term or modifier is that category's data; medium, as the head alone says nothing."""
        if len(toks) == 1 or toks[-1] not in self.data_heads:
            return self._qualified_compound(toks, kind)
        for n in (2, 1):  # the words right before the head qualify it: not `political_news_summary`
            mod = toks[-1 - n:-1]
            key = self._special_qualifier(mod) if len(mod) == n else None
            if key is not None:
                return self._weaker(self._judge(key, mod, toks[:-1 - n], kind, ambiguous=False), " ".join(toks))
        return None

    def _qualified_compound(self, toks: tuple[str, ...], kind: str | None) -> Match | None:
        """The same written as one word: `helbredsstatus`, `gesundheitsdaten`, `hälsouppgifter`."""
        last = toks[-1]
        if len(last) < self.MIN_COMPOUND:
            return None
        for i in range(3, len(last) - 3):
            mod = (last[:i],)
            key = self._special_qualifier(mod) if last[i:] in self.data_heads else None
            if key is not None:
                return self._weaker(self._judge(key, mod, toks[:-1], kind, ambiguous=False), last)
        return None

    def _special_qualifier(self, mod: tuple[str, ...]) -> str | None:
        """The special category whose modifier or term `mod` is, if any."""
        key = self._modifiers.get(mod) or self._terms.get(mod)
        return key if key is not None and self.categories[key].special else None

    @staticmethod
    def _weaker(match: Match | None, term: str | None = None) -> Match | None:
        """A match on weaker evidence than a listed word of its own: medium confidence."""
        return Match(match.category, "medium", term or match.term) if match is not None else None

    def _inflected(self, toks: tuple[str, ...], kind: str | None) -> Match | None:
        """`vorstrafe`, `sigtelsen`, `brottsregistret`: a listed word of one of the project's
        languages in another inflection (stems.py); weaker evidence than the word itself."""
        hit = self._stems.lookup(toks[-1])
        if hit is None:
            return None
        cat, word, ambiguous = hit
        return self._weaker(self._judge(cat, (word,), toks[:-1], kind, ambiguous=ambiguous))

    # Germanic languages (and lower-case English) write compounds as one word whose last
    # part names what it is: "udskrivningsdiagnose", "hovedadresse", "kundeemail".
    MIN_COMPOUND_HEAD = 5  # a head this long, after a modifier of at least 3 letters
    MIN_COMPOUND = 8

    def _compound_head(self, toks: tuple[str, ...], kind: str | None) -> Match | None:
        last = toks[-1]
        if len(last) < self.MIN_COMPOUND:
            return None
        for i in range(3, len(last) - self.MIN_COMPOUND_HEAD + 1):  # longest head first
            head = (last[i:],)
            cat = self._terms.get(head)
            if cat is not None:
                # a compound is weaker evidence than a word of its own
                return self._weaker(self._judge(cat, head, toks[:-1] + (last[:i].rstrip("s"),), kind, ambiguous=False))
        for i in range(3, len(last) - self.MIN_COMPOUND_HEAD + 1):  # an inflected head: -diagnoserne
            hit = self._stems.lookup(last[i:])
            if hit is not None and not hit[2]:
                return self._weaker(self._judge(hit[0], (hit[1],), toks[:-1] + (last[:i].rstrip("s"),), kind,
                                                ambiguous=False))
        return None

    def _judge(self, cat_key: str, head, modifiers, kind, *, ambiguous: bool) -> Match | None:
        category = self.categories[cat_key]
        if any(m in self.non_personal_modifiers for m in modifiers):
            # "server_ip", "file_name" - unless a person word is also there ("customer_file_name" stays out)
            return None
        person_modifier = any(m in self.person_owners for m in modifiers)
        if kind == "animal" and category.special:
            return None
        if kind == "thing" and not person_modifier:
            return None
        term = " ".join(head)
        if ambiguous:
            if person_modifier or kind == "person":
                return Match(category, "high" if person_modifier else "medium", term)
            return None
        confidence = "high" if (kind == "person" or person_modifier or len(head) > 1) else "medium"
        return Match(category, confidence, term)

    # --- prompt labels ----------------------------------------------------------------

    def classify_label(self, text_before: str) -> Match | None:
        """`"...\\nDiagnosis: "` -> health. The label is the last clause and must end in ':'."""
        stripped = text_before.rstrip(" \t")
        if not stripped.endswith(":"):
            return None
        clause = re.split(r"[\n.;,()\[\]|]", stripped[:-1])[-1].strip()
        if not clause or len(clause) > 40:
            return None
        key = self._labels.get(tokenize(clause))
        if key is None:
            return None
        return Match(self.categories[key], "medium", clause)

    def classify_purpose(self, text_before: str) -> Match | None:
        """`"Extract the candidate's details from this CV:\\n"` -> free text about a person,
        `"Summarise this patient's discharge letter:"` -> health data. The prompt's own last
        sentence names a document about a person (`[purpose]`) and introduces the value
        that follows (a colon, a line break, a fence): evidence of purpose, medium."""
        if not self._purpose or not _INTRODUCES.search(text_before):
            return None
        text = _FENCE_TAIL.sub("", text_before).rstrip(":")
        return self.purpose_in(_SENTENCE_END.split(text)[-1][-200:])

    def purpose_in(self, text: str) -> Match | None:
        """The first document about a person that `text` names ("... from the consultation
        transcript", "Opsummer borgerens journal"), if any."""
        toks = tokenize(text[:2000])
        for i in range(len(toks)):
            for n in range(min(self._max_purpose, len(toks) - i), 0, -1):
                key = self._purpose.get(toks[i:i + n])
                if key is not None:
                    return Match(self.categories[key], "medium", " ".join(toks[i:i + n]))
        for tok in toks:  # "Lebenslaufs", "ansøgningen", "journalen"
            hit = self._purpose_stems.lookup(tok, suffixed=True)
            if hit is not None:
                return Match(self.categories[hit[0]], "medium", tok)
        return None

    def is_personal_word(self, word: str) -> bool:
        return self.classify(word) is not None


@lru_cache(maxsize=None)
def default_vocabulary() -> Vocabulary:
    return Vocabulary(load_vocabulary_data())
