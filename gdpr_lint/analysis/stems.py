"""Inflected forms of the vocabulary's words, per language.

The word files list words as they are usually written (`vorstrafen`, `diagnose`,
`brottsregister`); code and prompt keys also use other forms: `vorstrafe`,
`diagnoserne`, `brottsregistret`, `sigtelsen`. A Snowball stemmer (the `snowballstemmer`
package, one algorithm per language; it runs the same algorithms compiled from C when
PyStemmer is installed, a dependency: the pure-Python ones took a tenth of an
application's analysis) reduces a word and the listed words of
the same language to a common stem; a word whose stem is the stem of a listed word of
that language is that word inflected.

Only languages with a word file and a Snowball algorithm take part, English excepted:
its stems join too many unrelated words of code (`charged` and `charges`, `ordering` and
`orders`), and its plural `s` is handled as a neutral suffix already. Only words of at
least MIN_LENGTH letters are stemmed: short stems are common letter sequences.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

ALGORITHMS = {"da": "danish", "sv": "swedish", "no": "norwegian", "de": "german", "nl": "dutch",
              "fr": "french", "fi": "finnish"}
MIN_LENGTH = 5
# Languages that write a compound as one word, so a listed phrase may appear as one.
JOINING = frozenset({"da", "sv", "no", "de", "nl"})
# Nordic nouns in -er/-el drop that e before an ending (register -> registret, nummer ->
# numret/numre, middel -> midlet), which the Snowball stemmers do not undo.
SYNCOPE = {"sv": ("et", "ets", "en", "ens", "e", "ena", "ar"), "da": ("et", "ets", "e", "ene", "en"),
           "no": ("et", "ets", "e", "ene", "en")}


def syncopated(language: str, word: str) -> tuple[str, ...]:
    """The forms of `word` that drop the e of a final -er/-el: `brottsregistret`."""
    endings = SYNCOPE.get(language)
    if not endings or len(word) < MIN_LENGTH or word[-2] != "e" or word[-1] not in "rl" \
            or word[-3] in "aeiouyæøåäö":
        return ()
    stems = [word[:-2] + word[-1]]
    if word[-3] == word[-4]:  # nummer -> numret, numre
        stems.append(word[:-3] + word[-1])
    return tuple(stem + e for stem in stems for e in endings)


@lru_cache(maxsize=None)
def stemmer(language: str) -> Any | None:
    algorithm = ALGORITHMS.get(language)
    if algorithm is None:
        return None
    try:
        import snowballstemmer
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return snowballstemmer.stemmer(algorithm)


class StemIndex:
    """stem -> (category key, listed word, ambiguous?) for each language's one-word terms."""

    def __init__(self, languages: dict[str, dict[str, dict[str, list]]], tokenize) -> None:
        # built on the first lookup: loading the stemmers is most of the vocabulary's start-up,
        # and a run that analyses no request never needs them
        self._languages = languages
        self._tokenize = tokenize
        self._by_language: dict[str, tuple[Any, dict[str, tuple[str, str, bool]]]] | None = None
        self._joined: set[str] = set()  # phrases written as one word: not listed as such
        self._memo: dict[tuple[str, bool], tuple[str, str, bool] | None] = {}

    def _build(self) -> dict[str, tuple[Any, dict[str, tuple[str, str, bool]]]]:
        by_language: dict[str, tuple[Any, dict[str, tuple[str, str, bool]]]] = {}
        tokenize = self._tokenize
        for language, categories in self._languages.items():
            st = stemmer(language)
            if st is None:
                continue
            index: dict[str, tuple[str, str, bool]] = {}
            for key, lists in categories.items():
                for name in ("terms", "ambiguous"):
                    for word in lists.get(name, []):
                        toks = tokenize(word)
                        # a phrase is also written as one word: "patient journal", "patientjournalen"
                        one = toks[0] if len(toks) == 1 else "".join(toks) if language in JOINING else ""
                        if len(one) < MIN_LENGTH:
                            continue
                        if len(toks) > 1:
                            self._joined.add(one)
                        for form in (one, *syncopated(language, one)):
                            index.setdefault(st.stemWord(form), (key, one, name == "ambiguous"))
            if index:
                by_language[language] = (st, index)
        return by_language

    def lookup(self, token: str, suffixed: bool = False) -> tuple[str, str, bool] | None:
        """The listed word `token` is an inflected form of, in the first language that has one
        (`suffixed`: only when the token carries an ending that language's stemmer removes,
        so an English `journal` is not taken for the Danish `journalen`)."""
        if len(token) < MIN_LENGTH:
            return None
        key = (token, suffixed)
        if key in self._memo:  # the same identifiers recur in every function
            return self._memo[key]
        hit = self._memo[key] = self._lookup(token, suffixed)
        return hit

    def _lookup(self, token: str, suffixed: bool) -> tuple[str, str, bool] | None:
        if self._by_language is None:
            self._by_language = self._build()
        for st, index in self._by_language.values():
            stem = st.stemWord(token)
            if suffixed and stem == token:
                continue
            hit = index.get(stem)
            if hit is not None and (hit[1] != token or token in self._joined):
                return hit
        return None
