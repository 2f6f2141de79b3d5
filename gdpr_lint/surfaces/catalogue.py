"""The rule data the surfaces read, loaded from rules/: endpoints.toml (v1 client
resources, generated from the SDK), legacy.toml (0.x module API), integrations.toml
(how code spells each library, LangChain, LiteLLM) and sanitizers.toml. It imports no
analysis: the prefilter reads its spellings before anything is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from gdpr_lint.config.ruledata import RuleDataError, load_rule_file

# Resource-method variants: the same request, with the raw or streamed HTTP response.
RESOURCE_VARIANTS = {"with_raw_response", "with_streaming_response"}


@dataclass(frozen=True)
class Endpoint:
    path: str
    kind: str
    content: tuple[str, ...]
    identity: tuple[str, ...]
    metadata: tuple[str, ...]
    positional: tuple[str, ...]
    streaming: bool


def _endpoint(d: dict, source: str) -> Endpoint:
    try:
        return Endpoint(
            path=d["path"], kind=d.get("kind", "other"), content=tuple(d.get("content", [])),
            identity=tuple(d.get("identity", [])), metadata=tuple(d.get("metadata", [])),
            positional=tuple(d.get("positional", [])), streaming=bool(d.get("streaming", False)),
        )
    except (KeyError, TypeError) as exc:
        raise RuleDataError(f"{source}: malformed [[endpoint]] entry {d!r}: {exc}") from None


@dataclass(frozen=True)
class LangChainMethod:
    name: str
    kinds: tuple[str, ...]
    content_position: int
    content_keywords: tuple[str, ...]


class Catalogue:
    def __init__(self) -> None:
        data = load_rule_file("endpoints.toml")
        self.endpoints: dict[str, Endpoint] = {}
        for d in data.get("endpoint", []):
            ep = _endpoint(d, "endpoints.toml")
            self.endpoints[ep.path] = ep
        self.resource_prefixes: set[str] = set()
        self.resource_roots: frozenset[str] = frozenset(p.split(".")[0] for p in self.endpoints)
        for path in self.endpoints:
            parts = path.split(".")
            for i in range(1, len(parts)):
                self.resource_prefixes.add(".".join(parts[:i]))
        legacy = load_rule_file("legacy.toml")
        self.legacy: dict[str, Endpoint] = {}
        self.legacy_v1: dict[str, str] = {}  # 0.x path -> the v1 client's request method to migrate to
        for d in legacy.get("endpoint", []):
            ep = _endpoint(d, "legacy.toml")
            self.legacy[ep.path] = ep
            if d.get("v1"):
                self.legacy_v1[ep.path] = d["v1"]
        integ = load_rule_file("integrations.toml")
        self.opaque_reply_kinds: frozenset[str] = frozenset(integ.get("opaque_reply_kinds", []))
        sdk = integ.get("openai", {})
        self.realtime_events: dict[str, tuple[str, ...]] = {
            k: tuple(v) for k, v in sdk.get("realtime_events", {}).items()}
        self.client_wrappers: frozenset[str] = frozenset(sdk.get("client_wrappers", []))
        # longest prefix first, so `langfuse.openai.openai` wins over `langfuse.openai`
        self.module_aliases: tuple[tuple[str, str], ...] = tuple(
            sorted(sdk.get("module_aliases", {}).items(), key=lambda kv: -len(kv[0])))
        spellings = integ.get("spellings", {})
        # the prefilter's words (pipeline/prefilter.py): every library's, in the file's order
        self.package_words: tuple[str, ...] = tuple(dict.fromkeys(
            w for table in spellings.values() for w in table.get("package_words", [])))
        self.guess_roots: frozenset[str] = frozenset(spellings.get("openai_v1", {}).get("guessable_roots", []))
        lc = integ.get("langchain", {})
        self.langchain_embedding_methods: tuple[str, ...] = tuple(lc.get("embedding_methods", []))
        self.langchain_models: dict[str, str] = {m["name"]: m["kind"] for m in lc.get("model", [])}
        self.langchain_bound: set[str] = set(lc.get("bound_methods", []))
        self.langchain_methods: dict[str, LangChainMethod] = {}
        for m in lc.get("method", []):
            self.langchain_methods[m["name"]] = LangChainMethod(
                m["name"], tuple(m.get("kinds", [])), int(m.get("content_position", 0)),
                tuple(m.get("content_keywords", [])))
        factories = lc.get("factories", {})
        self.langchain_factories: frozenset[str] = frozenset(factories.get("functions", []))
        self.langchain_openai_providers: frozenset[str] = frozenset(factories.get("openai_providers", []))
        stores = lc.get("vector_stores", {})
        self.vector_store_builders: dict[str, tuple[str, ...]] = {
            k: tuple(v) for k, v in stores.get("builders", {}).items()}
        self.vector_store_methods: dict[str, tuple[str, ...]] = {
            k: tuple(v) for k, v in stores.get("methods", {}).items()}
        self.retriever_methods: dict[str, tuple[str, ...]] = {
            k: tuple(v) for k, v in stores.get("retriever_methods", {}).items()}
        self.request_methods: tuple[str, ...] = tuple(sorted(
            {m for table in spellings.values() for m in table.get("request_methods", [])}
            | set(self.langchain_methods) | set(self.langchain_embedding_methods)))
        ll = integ.get("litellm", {})
        self.litellm_functions: dict[str, Endpoint] = {}
        for f in ll.get("function", []):
            name = f.get("name") or f.get("path")
            self.litellm_functions[name] = Endpoint(
                path=name, kind=f.get("kind", "chat"), content=tuple(f.get("content", [])),
                identity=tuple(f.get("identity", [])), metadata=tuple(f.get("metadata", [])),
                positional=tuple(f.get("positional", ["model"])), streaming=bool(f.get("streaming", False)))
        models = ll.get("models", {})
        self.openai_model_prefixes = tuple(p.lower() for p in models.get("openai_prefixes", []))
        self.other_model_prefixes = tuple(p.lower() for p in models.get("other_prefixes", []))

    def endpoint(self, path: tuple[str, ...]) -> Endpoint | None:
        key = ".".join(p for p in path if p not in RESOURCE_VARIANTS)
        hit = self.endpoints.get(key)
        if hit is None and key.startswith("beta."):
            # resources that left beta in later SDKs (beta.vector_stores -> vector_stores)
            hit = self.endpoints.get(key[5:])
        return hit

    def is_resource_prefix(self, path: tuple[str, ...]) -> bool:
        key = ".".join(p for p in path if p not in RESOURCE_VARIANTS)
        return key in self.resource_prefixes or (key.startswith("beta.") and key[5:] in self.resource_prefixes)

    def model_is_openai(self, model: str) -> bool | None:
        """True for OpenAI model names, False for other providers', None if unclear."""
        m = model.strip().lower()
        best_openai = max((len(p) for p in self.openai_model_prefixes if m.startswith(p)), default=0)
        best_other = max((len(p) for p in self.other_model_prefixes if m.startswith(p)), default=0)
        if best_openai == best_other == 0:
            return None
        return best_openai > best_other


@lru_cache(maxsize=None)
def catalogue() -> Catalogue:
    return Catalogue()


@dataclass(frozen=True)
class Sanitizers:
    content: frozenset[str]  # qualified names whose result is redacted text
    content_methods: frozenset[tuple[str, str]]  # (class qualname, method)
    identity: frozenset[str]  # hashes / keyed ids: fine for user= and drop data
    protect: frozenset[str]
    runtime_steps: frozenset[str] = frozenset()  # the runtime's own steps (detector-based)
    runtime_covers: frozenset[str] = frozenset()  # categories they recognise without known=


@lru_cache(maxsize=None)
def sanitizers() -> Sanitizers:
    data = load_rule_file("sanitizers.toml")
    return Sanitizers(
        content=frozenset(data.get("content", [])),
        content_methods=frozenset(tuple(x.split("#", 1)) for x in data.get("content_methods", [])),
        identity=frozenset(data.get("identity", [])),
        protect=frozenset(data.get("protect", [])),
        runtime_steps=frozenset(data.get("runtime", {}).get("steps", [])),
        runtime_covers=frozenset(data.get("runtime", {}).get("covers", [])),
    )
