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

from gdpr_lint.openai_api import catalogue


@lru_cache(maxsize=None)
def _base_pattern() -> str:
    cat = catalogue()
    roots = sorted(cat.resource_roots)
    # LangChain request methods on a model built elsewhere (`.bind_tools(...)` etc. send
    # nothing themselves; the request is the `.invoke(` that follows). The legacy 0.x API
    # is always reached through the `openai` module, which the first words catch.
    lc_methods = sorted(cat.langchain_methods)
    lc_methods += ["embed_query", "aembed_query", "embed_documents", "aembed_documents"]
    parts = [
        r"openai", r"OpenAI", r"litellm", r"langchain",
        r"\.(?:%s)\b" % "|".join(map(re.escape, roots)),
        r"\.(?:%s)\s*\(" % "|".join(map(re.escape, sorted(set(lc_methods)))),
    ]
    return "|".join(parts)


@lru_cache(maxsize=64)
def trigger(extra_words: frozenset[str] = frozenset()) -> re.Pattern[bytes]:
    pattern = _base_pattern()
    if extra_words:
        pattern += "|" + r"\b(?:%s)\b" % "|".join(map(re.escape, sorted(extra_words)))
    return re.compile(pattern.encode())


# Resource roots under which a call on an object of unknown origin is taken for a request
# (`client.chat.completions.create(...)` with `client` a parameter). The other roots
# (`.files`, `.models`, ...) and the LangChain methods (`.invoke(`) only make a request
# on an object that is known to be a client or a model.
GUESS_ROOTS = frozenset({
    "chat", "embeddings", "responses", "completions", "beta", "audio", "moderations", "images",
    "vector_stores", "conversations", "fine_tuning", "batches", "uploads",
})


@lru_cache(maxsize=64)
def origin_trigger(extra_words: frozenset[str] = frozenset()) -> re.Pattern[bytes]:
    """The spellings that can bring a request into being by themselves: the package names,
    the guessable resource roots, and configured sinks / helper names. A file holding only
    the other triggers (`.files`, `.invoke(`) can only matter if a module it can reach
    holds one of these (Project.may_reach_request)."""
    parts = [r"openai", r"OpenAI", r"litellm", r"langchain", r"\.(?:%s)\b" % "|".join(sorted(GUESS_ROOTS))]
    if extra_words:
        parts.append(r"\b(?:%s)\b" % "|".join(map(re.escape, sorted(extra_words))))
    return re.compile("|".join(parts).encode())


def may_matter(data: bytes, extra_words: frozenset[str] = frozenset()) -> bool:
    return trigger(extra_words).search(data) is not None


def matching_lines(data: bytes, extra_words: frozenset[str] = frozenset()) -> list[int]:
    """1-based line numbers holding a trigger (to pick the functions worth analysing)."""
    lines = []
    for m in trigger(extra_words).finditer(data):
        lines.append(data.count(b"\n", 0, m.start()) + 1)
    return lines
