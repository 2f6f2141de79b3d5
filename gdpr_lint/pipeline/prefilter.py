"""A bytes-level prefilter: which files (and functions) can hold an OpenAI request.

It must be a superset of what the analysis reports (tests/test_prefilter.py proves
it on the corpus and the fixtures): a request is only recognised through one of
these spellings, so text without any of them cannot contain a call site.
 - the package names: openai, OpenAI (classes), litellm, langchain;
 - a resource attribute of a client held elsewhere (`.chat`, `.embeddings`, ...);
 - a LangChain request method on a model built elsewhere (`.invoke(`, ...);
 - the names of configured wrapper sinks and of project helpers whose parameters
   reach a request (found by the analysis, passed in as extra words).
The second and third only matter when something else brings in an OpenAI object:
`origin_trigger` is what can.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from gdpr_lint.surfaces.catalogue import RESOURCE_VARIANTS, catalogue


# An attribute dot: Python allows blanks, line continuations and (inside brackets) line
# breaks and comments between the dot and the name (`client. chat`, `(llm  # model\n.invoke(`)
_DOT = r"\.(?:\s|\\|#[^\n]*+)*+"


def alternation(words: Iterable[str]) -> str:
    """`w1|w2|...` (escaped, in sorted order) as a trie: `a(?:batch|invoke)|b(?:atch|eta)`. The
    regex engine tries alternatives one after another, so at every dot of a file the flat form
    tries each word where the trie tries each first letter. Same matches: the trie's order of
    trial is the sorted order (a word that ends where another goes on is tried first, `??`)."""
    ends, branches = False, dict[str, list[str]]()
    for w in sorted(set(words)):
        if w:
            branches.setdefault(w[0], []).append(w[1:])
        else:
            ends = True
    alts = [re.escape(first) + alternation(rest) for first, rest in branches.items()]
    if not alts:
        return ""
    if ends:
        return "(?:%s)??" % "|".join(alts)
    return alts[0] if len(alts) == 1 else "(?:%s)" % "|".join(alts)


# The names that bring a surface's library in (rules/integrations.toml [spellings]).
PACKAGE_WORDS = tuple(w.encode() for w in catalogue().package_words)
GUESS_ROOTS = catalogue().guess_roots
_PACKAGES = "|".join(w.decode() for w in PACKAGE_WORDS)


def _substring_searches(words: tuple[bytes, ...]) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    """The words as substring searches, each a pass over the file: words ending in the same
    word (`from agents`, `import agents`) share one search for it, and are looked for
    themselves only where it is found (rarely)."""
    by_last: dict[bytes, list[bytes]] = {}
    for w in words:
        by_last.setdefault(w.split()[-1], []).append(w)
    return tuple((last, () if group == [last] else tuple(group)) for last, group in by_last.items())


_PACKAGE_SEARCHES = _substring_searches(PACKAGE_WORDS)


def _has_package_word(data: bytes) -> bool:
    """`any(w in data for w in PACKAGE_WORDS)`, with fewer passes (`_substring_searches`)."""
    return any(last in data and (not whole or any(w in data for w in whole)) for last, whole in _PACKAGE_SEARCHES)


@lru_cache(maxsize=None)
def _request_methods() -> str:
    """Request methods on a model built elsewhere (`.invoke(`), as a regex alternation
    (`.bind_tools(...)` etc. send nothing themselves; the request is the `.invoke(` that
    follows). The legacy 0.x API is always reached through the `openai` module, which the
    package words catch."""
    return alternation(catalogue().request_methods)


def _roots(roots) -> str:
    return _DOT + r"(?:%s)\b" % alternation(roots)


# Where a name starts and ends in a bytes pattern: not `\b`, which sees only ASCII letters,
# so a name starting or ending with another letter (`übersetze`, `résumé`) would never match.
WORD_START = r"(?<![A-Za-z0-9_])"
WORD_END = r"(?![A-Za-z0-9_])"


def _words(extra_words: frozenset[str]) -> str:
    return WORD_START + r"(?:%s)" % alternation(extra_words) + WORD_END


@lru_cache(maxsize=None)
def trigger() -> re.Pattern[bytes]:
    parts = [_PACKAGES, _roots(catalogue().resource_roots), _DOT + r"(?:%s)\s*\(" % _request_methods()]
    return re.compile("|".join(parts).encode())


@lru_cache(maxsize=64)
def origin_trigger(extra_words: frozenset[str] = frozenset()) -> re.Pattern[bytes]:
    """The spellings that can bring a request into being by themselves: the package names,
    the guessable resource roots, and configured sinks / helper names. A file holding only
    the other triggers (`.files`, `.invoke(`) can only matter if a module it can reach
    holds one of these (Project.may_reach_request)."""
    parts = [_PACKAGES, _roots(GUESS_ROOTS)]
    if extra_words:
        parts.append(_words(extra_words))
    return re.compile("|".join(parts).encode())


@lru_cache(maxsize=None)
def _receiver_spellings() -> re.Pattern[bytes]:
    """The resource roots that are not guessed and the LangChain request methods (`.files`,
    `.invoke(`): one pattern that starts with a dot, which the regex engine scans for fast."""
    other_roots = alternation(catalogue().resource_roots - GUESS_ROOTS)
    return re.compile((_DOT + r"(?:(?:%s)\b|(?:%s)\s*\()" % (other_roots, _request_methods())).encode())


@lru_cache(maxsize=1024)  # (a set of helper names per file: small patterns)
def word_pattern(words: frozenset[str]) -> re.Pattern[bytes]:
    """Any of `words` as a whole word (a byte next to it that is not ASCII counts as a boundary)."""
    return re.compile(_words(words).encode())


def has_seed_spelling(data: bytes, extra_words: frozenset[str] = frozenset()) -> bool:
    """`trigger` without the guessable roots (those are judged use by use: `_guess_in_use`,
    then `reach.guess_root_in_use` on the parsed file): an origin word (`has_origin_word`,
    plain substring searches, several times faster than one alternation) or a receiver word."""
    return has_origin_word(data, extra_words) or _receiver_spellings().search(data) is not None


# One use of a guessable root, with what follows it on the same line: a subscript, an
# assignment to it, or an attribute. The analysis only guesses a request from `.chat`,
# `.responses`... on an object of unknown origin when the value itself is used (passed,
# stored, returned, called on): `x.responses[code]` keeps nothing of it, `x.responses = {}`
# makes none, and `x.completions.append(...)` is not a path under the root, so those
# spellings alone (http.server's response table, idlelib's completion list) are not seeds.
# Groups: 1 the root, 2 what follows, 3 the dot before a name, 4 the name.
_GUESS_ROOT_USE = (rb"(" + alternation(GUESS_ROOTS).encode() + rb")\b"
                   rb"[ \t]*(\[|=(?!=)|(?:[-+*/%&|^@]|//|>>|<<|\*\*)=|(\.[ \t]*)([A-Za-z_]\w*))?")
_GUESS_USE = re.compile(_DOT.encode() + _GUESS_ROOT_USE)


@lru_cache(maxsize=None)
def continues(root: str, name: str) -> bool:
    """Whether `.root.name` can be part of a request (the analysis's own test)."""
    cat = catalogue()
    return (name in RESOURCE_VARIANTS or cat.is_resource_prefix((root, name))
            or cat.endpoint((root, name)) is not None)


# `if key in self.responses:` tests membership and keeps nothing (a `for` header iterates it)
_MEMBERSHIP_BEFORE = re.compile(rb"\bin[ \t]+[A-Za-z_][\w.]*\Z")
_COLON_AFTER = re.compile(rb"[ \t]*:(?!=)")
_FOR_HEADER = re.compile(rb"[ \t]*(?:async[ \t]+)?for\b")


def _in_use(data: bytes, m: re.Match[bytes]) -> bool:
    """Whether the guessable root of a `_GUESS_USE` match may be used as a value."""
    after, name = m.group(2), m.group(4)
    if after is None:
        if _COLON_AFTER.match(data, m.end()):
            line_start = data.rfind(b"\n", 0, m.start()) + 1
            if _MEMBERSHIP_BEFORE.search(data, line_start, m.start()) and not _FOR_HEADER.match(data, line_start):
                return False
        return True  # a value use: passed, stored, returned, iterated...
    return name is not None and continues(m.group(1).decode(), name.decode())


def _guesses_in_use(data: bytes):
    """The matches of `_GUESS_USE` whose value may be used (an iterator)."""
    return (m for m in _GUESS_USE.finditer(data) if _in_use(data, m))


def _guess_in_use(data: bytes) -> bool:
    return next(_guesses_in_use(data), None) is not None


def guess_use_lines(data: bytes) -> set[int]:
    """1-based lines of the guessable roots whose value may be used (`reach.guess_root_in_use`)."""
    return _lines_at((m.start(1) for m in _guesses_in_use(data)), data)


@lru_cache(maxsize=None)
def _dot_spellings() -> re.Pattern[bytes]:
    """`_GUESS_USE` and `_receiver_spellings` in one pattern (the guessable roots' groups
    first), so that the dots of a file are scanned once for both."""
    receivers = _receiver_spellings().pattern[len(_DOT.encode()):]
    # Most dots of a file are followed by none of the words: one trie of them all, looked
    # ahead, rules such a dot out at once, where the three alternatives would each be tried.
    cat = catalogue()
    any_word = alternation(cat.resource_roots | set(cat.request_methods)).encode()
    return re.compile(_DOT.encode() + rb"(?=" + any_word + rb")(?:" + _GUESS_ROOT_USE + rb"|" + receivers + rb")")


def origin_and_seed(data: bytes, extra_words: frozenset[str] = frozenset()) -> tuple[bool, bool]:
    """(`has_origin_spelling`, `may_matter`) of a file, its dots scanned once: every file of
    a run is asked both."""
    if has_origin_word(data, extra_words):
        return True, True
    receiver = False
    for m in _dot_spellings().finditer(data):
        if m.group(1) is None:
            receiver = True  # `.files`, `.invoke(`
        elif _in_use(data, m):
            return True, True
        elif not receiver and m.group(3) is not None and _receiver_spellings().match(data, m.start(3)):
            receiver = True  # `x.beta.files`: the name after a root is itself a receiver word
    return False, receiver


def has_origin_word(data: bytes, extra_words: frozenset[str] = frozenset()) -> bool:
    """A package name or a configured word: what makes an OpenAI object whatever its use."""
    return (_has_package_word(data)
            or bool(extra_words) and word_pattern(extra_words).search(data) is not None)


def has_origin_spelling(data: bytes, extra_words: frozenset[str] = frozenset()) -> bool:
    """`origin_trigger`, with the guessable roots judged use by use as for the seeds
    (`_guess_in_use`): `self.responses[code] = ...` or `x.completions.append(...)` makes no
    OpenAI object, here or in a module that hands one over."""
    return has_origin_word(data, extra_words) or _guess_in_use(data)


def may_matter(data: bytes, extra_words: frozenset[str] = frozenset()) -> bool:
    """Whether the file can hold a request (or call a helper that sends one): a seed of the analysis."""
    return has_seed_spelling(data, extra_words) or _guess_in_use(data)


def trigger_lines(data: bytes) -> set[int]:
    """1-based line numbers holding a trigger (to pick the functions worth analysing)."""
    return _lines_at((m.start() for m in trigger().finditer(data)), data)


def lines_by_word(data: bytes, words: frozenset[str]) -> dict[str, set[int]]:
    """word -> 1-based line numbers mentioning it as a whole word, for each of `words`
    (helper names; they change from round to round, so a caller keeps each word's lines).
    One search per word: a literal is found by a fast scan, where one alternation of every
    word is tried at every byte (2-3x slower on a unit's dozen words)."""
    out: dict[str, set[int]] = {w: set() for w in words}
    found = sorted((start, w) for start, _, w in _mentions(data, words))
    for (_, w), line in zip(found, _line_numbers((offset for offset, _ in found), data)):
        out[w].add(line)
    return out


def _mentions(data: bytes, words: Iterable[str]) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) of every mention of each of `words` as a whole word, word by word:
    a literal is found by a fast scan (the byte before is checked by hand; a pattern that
    starts with a look-behind is tried at every byte)."""
    for w in words:
        for m in _word_alone(w).finditer(data):
            if not m.start() or data[m.start() - 1] not in _ASCII_WORD_BYTES:
                yield m.start(), m.end(), w


@lru_cache(maxsize=4096)
def _word_alone(word: str) -> re.Pattern[bytes]:
    """`word` not followed by an ASCII word byte (the byte before is checked by hand: a
    pattern starting with a literal is searched for fast, one starting with a look-behind is not)."""
    return re.compile((re.escape(word) + WORD_END).encode())


# the bytes of an identifier in a search view (letters, digits, `_`, and any byte of a
# character beyond ASCII)
_ASCII_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")  # a bytes regex's \w
WORD_BYTES = _ASCII_WORD_BYTES | frozenset(range(0x80, 0x100))

_BARE_CALL = re.compile(rb"[ \t]*\([ \t]*\)")
# a word followed on its line by another word that is not an operator keyword: prose (a
# docstring, a comment, a prompt), never a name in code (`run the tests`, `main points`)
_PROSE_AFTER = re.compile(rb"[ \t]+(?!(?:and|or|if|else|for|in|is|not|as)\b)[A-Za-z_]")


def helper_uses(data: bytes, words: frozenset[str]) -> Iterator[tuple[int, str | None]]:
    """(line, receiver) for each mention of one of `words` (helper names) that can be a
    use of the helper handing it data; receiver: the name before the dot of `name.word`
    ("" after another expression, None without a dot), for the caller to tell a library
    module's function (`asyncio.run`) from the helper. Left out: a bare call without
    arguments (`main()`, `asyncio.run(main())`: a method call, `record.describe()`, hands
    the method its object, and counts) and a word in prose (`run the tests`)."""
    kept: list[tuple[int, str | None]] = []
    for start, end in _whole_words(data, words):
        receiver = _receiver_before(data, start)
        if receiver is None and _BARE_CALL.match(data, end) is not None or _PROSE_AFTER.match(data, end):
            continue
        kept.append((start, receiver))
    yield from zip(_line_numbers((offset for offset, _ in kept), data), (receiver for _, receiver in kept))


def _whole_words(data: bytes, words: frozenset[str]) -> list[tuple[int, int]]:
    """(start, end) of each mention of one of `words` as a whole word, in order: what one
    pattern of them all finds (`word_pattern`: the shortest word where two start at one
    place, none inside another), with one fast literal scan per word instead (a pattern
    starting with a look-behind is tried at every byte: 5x slower on a unit's few names)."""
    out: list[tuple[int, int]] = []
    for start, end, _ in sorted(_mentions(data, words)):
        if not out or start >= out[-1][1]:
            out.append((start, end))
    return out


class HelperMentions:
    """Which helper names each input file mentions (a caller may feed them data), for every
    round of a run. A helper is a function or class of the project, so each file's
    identifiers that some input defines (`def x`, `class x`) are gathered once; a round
    then intersects sets instead of scanning every file for the names again."""

    # `def name` / `class name` (a literal first, which the regex engine scans for fast; the
    # byte before is checked by hand, as `\b` would)
    _DEFINED = (re.compile(rb"def(?:[ \t]|\\\r?\n)+([\w\x80-\xff]+)"),
                re.compile(rb"class(?:[ \t]|\\\r?\n)+([\w\x80-\xff]+)"))
    # identifier bytes kept, every other byte a blank: `split()` then yields the identifiers
    _BLANK_OTHERS = bytes(c if c in WORD_BYTES else 0x20 for c in range(256))

    def __init__(self, views: dict[Path, bytes]) -> None:
        self.views = views
        self.defined: frozenset[bytes] | None = None
        self.names: dict[Path, frozenset[bytes]] = {}

    def _definitions(self, data: bytes) -> Iterator[bytes]:
        for pattern in self._DEFINED:
            for m in pattern.finditer(data):
                if m.start() == 0 or data[m.start() - 1] not in _ASCII_WORD_BYTES:
                    yield m.group(1)

    def prepare(self) -> frozenset[bytes]:
        """Gather every file's defined names and identifiers, once (the first round's helpers
        need them all; the engine calls this while a worker waits for the round to end).
        Returns the names the inputs define."""
        if self.defined is None:
            self.defined = frozenset(name for data in self.views.values() for name in self._definitions(data))
            self.names = {p: self.defined.intersection(data.translate(self._BLANK_OTHERS).split())
                          for p, data in self.views.items()}
        return self.defined

    def in_files(self, words: set[str]) -> dict[Path, frozenset[str]]:
        if not words:
            return {}
        defined = self.prepare()
        wanted = {w.encode(): w for w in words}
        # a helper defined outside the inputs (a module found on another root) is looked for by its spelling
        elsewhere = frozenset(w for b, w in wanted.items() if b not in defined)
        out = {}
        for p, data in self.views.items():
            found = {wanted[b] for b in self.names[p] & wanted.keys()}
            if elsewhere:
                found.update(data[start:end].decode() for start, end in _whole_words(data, elsewhere))
            if found:
                out[p] = frozenset(found)
        return out


def _receiver_before(data: bytes, start: int) -> str | None:
    """The name in `name . word` ending at `start`; "" when the dot follows something else;
    None without a dot."""
    i = start - 1
    while i >= 0 and data[i] in b" \t":
        i -= 1
    if i < 0 or data[i] != 0x2E:  # "."
        return None
    i -= 1
    while i >= 0 and data[i] in b" \t":
        i -= 1
    end = i + 1
    while i >= 0 and data[i] in WORD_BYTES:
        i -= 1
    if end == i + 1 or i >= 0 and data[i] == 0x2E or data[i + 1] in b"0123456789":
        return ""
    return data[i + 1:end].decode("utf-8", "replace")


def _lines_at(offsets, data: bytes) -> set[int]:
    """1-based line numbers of ascending byte offsets."""
    return set(_line_numbers(offsets, data))


def _line_numbers(offsets: Iterable[int], data: bytes) -> Iterator[int]:
    """The 1-based line number of each of ascending byte offsets (newlines counted from the
    last offset, not from the start: linear in the file)."""
    line, pos = 1, 0
    for offset in offsets:
        line += data.count(b"\n", pos, offset)
        pos = offset
        yield line
