"""OpenAI models used through LangChain: `ChatOpenAI`, `AzureChatOpenAI`,
`OpenAIEmbeddings`, ... (rules/integrations.toml [langchain]); their request methods
(`invoke`, `stream`, `batch`, `embed_documents`, ...), methods that return the same
model configured (`bind_tools`, `with_structured_output`), and chains built from them.
"""

from __future__ import annotations

from gdpr_lint.analysis.values import LangChain, Value
from gdpr_lint.surfaces.base import Request, Surface
from gdpr_lint.surfaces.catalogue import Endpoint, catalogue

# LangChain's embedding request methods (not in the [langchain.method] table: they take
# texts, not an `input`); spelled here for the prefilter.
EMBEDDING_METHODS = ("embed_query", "aembed_query", "embed_documents", "aembed_documents")


class LangChainSurface(Surface):
    name = "langchain"
    flavours = ("langchain",)
    package_words = ("langchain",)
    package_roots = ("langchain", "langchain_openai", "langchain_community", "langchain_core")
    fix_hint = ("LangChain call: pass the text through gdpr_lint.runtime.pseudonymise(...) before invoking "
                "the model and reidentify(...) the reply.")

    @property
    def request_methods(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(sorted(set(catalogue().langchain_methods) | set(EMBEDDING_METHODS)))

    def construct(self, frame, qualname, node, args, kwargs):
        cat = catalogue()
        if qualname in cat.langchain_models:
            return Value(tags=frozenset({LangChain(cat.langchain_models[qualname], qualname)}))
        if qualname.startswith("langchain") and any(v.has(LangChain) for v in args + [kv for _, kv, _ in kwargs]):
            # a chain or agent built around a model: calling it reaches the model
            lc = next(t for v in args + [kv for _, kv, _ in kwargs] for t in v.of(LangChain))
            return Value(tags=frozenset({LangChain("chain", lc.qualname)}))
        return None

    def owns(self, tag):
        return isinstance(tag, LangChain) or super().owns(tag)

    def member(self, ctx, tag, attr):
        if not isinstance(tag, LangChain):
            return None
        if attr in catalogue().langchain_bound:
            return {LangChain(tag.kind, tag.qualname, "<bound>", tag.protected)}
        return {LangChain(tag.kind, tag.qualname, attr, tag.protected)}

    def call_member(self, frame, tag, node, kwargs):
        if isinstance(tag, LangChain) and tag.method == "<bound>":
            return Value(tags=frozenset({LangChain(tag.kind, tag.qualname, None, tag.protected)}))
        return None

    def annotation(self, ctx, qualname):
        kind = catalogue().langchain_models.get(qualname)
        return LangChain(kind, qualname) if kind else None

    def protect(self, tag):
        if isinstance(tag, LangChain):
            return LangChain(tag.kind, tag.qualname, tag.method, True)
        return None

    def request(self, ctx, tag, node, args):
        if not (isinstance(tag, LangChain) and tag.method):
            return None
        m = catalogue().langchain_methods.get(tag.method)
        if m is None or not (tag.kind in m.kinds or tag.kind == "chain"):
            return None
        ep = Endpoint(f"langchain.{tag.method}", tag.kind, ("input",) + m.content_keywords, (), (), ("input",), False)
        cls = tag.qualname.split(".")[-1]
        return Request(f"{cls}.{tag.method}", "langchain", ep, tag.protected, "high")

    def arguments(self, request, node, args, kwargs):
        out = []
        if args:
            out.append(("input", args[0], node.args[0]))
        for k, v, vnode in kwargs:
            out.append(("input" if k in request.ep.content else (k or "**"), v, vnode))
        return out


SURFACE = LangChainSurface()
