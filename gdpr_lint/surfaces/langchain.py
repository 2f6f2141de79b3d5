"""OpenAI models used through LangChain: `ChatOpenAI`, `AzureChatOpenAI`,
`OpenAIEmbeddings`, ... (rules/integrations.toml [langchain]); their request methods
(`invoke`, `stream`, `batch`, `embed_documents`, ...), methods that return the same
model configured (`bind_tools`, `with_structured_output`), and chains built from them.
A vector store built with OpenAI embeddings (`FAISS.from_texts(texts, embeddings)`,
`Chroma.from_documents(...)`) embeds every text it is given, when it is built, on
`add_texts`, and for every query (`similarity_search`, a retriever's `invoke`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from gdpr_lint.analysis.values import EMPTY, Ext, LangChain, Obj, Value, join_all
from gdpr_lint.surfaces.base import Request, Surface
from gdpr_lint.surfaces.catalogue import Endpoint, catalogue

# Runnable methods that run a pipeline on its input.
PIPELINE_METHODS = ("invoke", "ainvoke", "stream", "astream", "batch", "abatch")


@dataclass(frozen=True)
class Pipeline:
    """An LCEL pipe (`prompt | wrapper | parser`) with the project's own callables in it:
    running it calls each of them with the input (a wrapper around a model sends it)."""

    steps: tuple[Value, ...] = field(compare=False, hash=False)
    ident: int = 0
    method: str | None = None




class LangChainSurface(Surface):
    name = "langchain"
    flavours = ("langchain",)
    package_roots = ("langchain", "langchain_openai", "langchain_community", "langchain_core")
    runtime_adapter = "gdpr_lint.runtime.adapters.langchain_sdk"
    fix_hint = ("LangChain call: pass the text through gdpr_lint.runtime.pseudonymise(...) before invoking "
                "the model and reidentify(...) the reply.")
    store_hint = ("LangChain vector store: build it with protected embeddings, e.g. "
                  "FAISS.from_texts(texts, protect(OpenAIEmbeddings())) (gdpr_lint.runtime.protect): "
                  "every text it embeds, when it is built and for every query, is then pseudonymised.")

    def construct(self, frame, qualname, node, args, kwargs):
        cat = catalogue()
        if qualname in cat.langchain_factories:
            return _factory_model(node, qualname)
        store = _embeddings_of(args, kwargs)
        if store is not None and qualname.rsplit(".", 1)[-1] in cat.vector_store_builders:
            # the store itself (the request is recorded by `request`; this is its value)
            return Value(tags=frozenset({LangChain("vectorstore", qualname.rsplit(".", 1)[0], None, store.protected)}))
        if qualname in cat.langchain_models:
            return Value(tags=frozenset({LangChain(cat.langchain_models[qualname], qualname)}))
        if qualname.startswith(("langchain", "langgraph")) and any(v.has(LangChain) for v in args + [kv for _, kv, _ in kwargs]):
            # a chain or agent built around a model: calling it reaches the model, with what
            # the agent it wraps carries and what its tools return
            lc = next(t for v in args + [kv for _, kv, _ in kwargs] for t in v.of(LangChain))
            inner = join_all(v for v in args + [kv for _, kv, _ in kwargs] if v.has(LangChain))
            return Value(join_all([inner, _tool_outputs(frame, node)]).taints,
                         frozenset({LangChain("chain", lc.qualname)}))
        return None

    def owns(self, tag):
        return isinstance(tag, (LangChain, Pipeline)) or super().owns(tag)

    def pipe(self, left, right, node):
        lcs = left.of(LangChain) + right.of(LangChain)
        steps = tuple(Value(v.taints, frozenset({t})) for v in (left, right) for t in v.of(Obj))
        steps += tuple(s for v in (left, right) for p in v.of(Pipeline) for s in p.steps)
        if not lcs and not steps:
            return None
        # a pipe of protected models is protected (`prompt | protect(ChatOpenAI(...)) | parser`)
        tags: set = {LangChain("chain", lcs[0].qualname, None, all(t.protected for t in lcs))} if lcs else set()
        if steps:
            tags.add(Pipeline(steps, id(node)))
        return Value(left.taints | right.taints, frozenset(tags))

    def member(self, ctx, tag, attr):
        if isinstance(tag, Pipeline):
            return {Pipeline(tag.steps, tag.ident, attr)} if attr in PIPELINE_METHODS else set()
        if not isinstance(tag, LangChain):
            return None
        if tag.kind == "vectorstore" and attr == "as_retriever":
            return {LangChain("vectorstore", tag.qualname, "<retriever>", tag.protected)}
        if tag.kind in ("vectorstore", "retriever"):
            return {LangChain(tag.kind, tag.qualname, attr, tag.protected)}
        if attr in catalogue().langchain_bound:
            return {LangChain(tag.kind, tag.qualname, "<bound>", tag.protected)}
        return {LangChain(tag.kind, tag.qualname, attr, tag.protected)}

    def call_member(self, frame, tag, node, args, kwargs):
        if isinstance(tag, Pipeline) and tag.method:
            # each of the project's callables in the pipe runs on the input
            results = [frame.call(node, step, None, args[:1], []) for step in tag.steps]
            return join_all(results) if results else EMPTY
        if isinstance(tag, LangChain) and tag.method == "<retriever>":
            return Value(tags=frozenset({LangChain("retriever", tag.qualname, None, tag.protected)}))
        if isinstance(tag, LangChain) and tag.method == "<bound>":
            return Value(tags=frozenset({LangChain(tag.kind, tag.qualname, None, tag.protected)}))
        return None

    def annotation(self, ctx, qualname):
        kind = catalogue().langchain_models.get(qualname)
        return LangChain(kind, qualname) if kind else None

    def protect(self, tag, protection=True):
        if isinstance(tag, LangChain):
            return LangChain(tag.kind, tag.qualname, tag.method, protection)
        if isinstance(tag, Pipeline):
            # the project's own callables in the pipe still get the real input: protect()
            # covers the OpenAI models it finds, not what those callables send elsewhere
            return tag
        return None

    def fixable(self, endpoint, code):
        # a method of an OpenAI model, of a model configured with bind_tools(...) and the like,
        # or of a chain around one: `protect(llm.invoke, known=...)(...)`; the runtime protects
        # the model in it (runtime/adapters/langchain_sdk.py). Vector stores are built elsewhere.
        cls, _, method = endpoint.rpartition(".")
        return code in ("GDPR001", "GDPR002") and cls in _model_classes() and (
            method in catalogue().langchain_methods or method in catalogue().langchain_embedding_methods)

    def hint(self, endpoint):
        cls = endpoint.split(".", 1)[0]
        return self.fix_hint if cls in _model_classes() or not cls else self.store_hint

    def request(self, ctx, tag, node, args, kwargs):
        cat = catalogue()
        if isinstance(tag, Ext):  # FAISS.from_texts(texts, OpenAIEmbeddings())
            cls, _, method = tag.qualname.rpartition(".")
            content = cat.vector_store_builders.get(method)
            embeddings = _embeddings_of(args, kwargs)
            if content is None or embeddings is None:
                return None
            return self._store_request(cls, method, content, protected=embeddings.protected)
        if isinstance(tag, LangChain) and tag.kind == "vectorstore" and tag.method:
            content = cat.vector_store_methods.get(tag.method)
            return self._store_request(tag.qualname, tag.method, content, protected=tag.protected) if content else None
        if isinstance(tag, LangChain) and tag.kind == "retriever" and tag.method:
            content = cat.retriever_methods.get(tag.method)
            return self._store_request(tag.qualname, tag.method, content, "retriever", tag.protected) if content else None
        if not (isinstance(tag, LangChain) and tag.method):
            return None
        m = catalogue().langchain_methods.get(tag.method)
        if m is None or not (tag.kind in m.kinds or tag.kind == "chain"):
            return None
        ep = Endpoint(f"langchain.{tag.method}", tag.kind, ("input",) + m.content_keywords, (), (), ("input",), False)
        cls = tag.qualname.split(".")[-1]
        return Request(f"{cls}.{tag.method}", "langchain", ep, tag.protected, "high",
                       receiver="input" if tag.kind == "chain" else "")

    def response(self, frame, request, node):
        if request.ep.path.startswith("langchain.vectorstore.from_") or request.ep.path.startswith(
                "langchain.vectorstore.afrom_"):
            return Value(tags=frozenset({LangChain("vectorstore", request.endpoint.rsplit(".", 1)[0], None,
                                                   request.protected)}))
        return super().response(frame, request, node)

    def _store_request(self, store: str, method: str, content: tuple[str, ...], what: str = "",
                       protected: bool = False) -> Request:
        ep = Endpoint(f"langchain.vectorstore.{method}", "embeddings", content, (), (), content[:1], False)
        name = store.rsplit(".", 1)[-1] + (".as_retriever()" if what == "retriever" else "")
        return Request(f"{name}.{method}", "langchain", ep, protected, "high")

    def arguments(self, request, node, args, kwargs):
        if request.ep.path.startswith("langchain.vectorstore."):
            return super().arguments(request, node, args, kwargs)  # by the store method's parameter names
        out = []
        if args:
            out.append(("input", args[0], node.args[0]))
        for k, v, vnode in kwargs:
            out.append(("input" if k in request.ep.content else (k or "**"), v, vnode))
        return out


def _tool_outputs(frame, node: ast.Call) -> Value:
    """What the project's functions given to an agent as tools return (`@tool` functions in
    `create_react_agent(llm, [lookup_patient])`, `AgentExecutor(agent=..., tools=tools)`):
    the agent hands it to the model. Their parameters are the model's own arguments."""
    from gdpr_lint.analysis.summaries import strip_params
    from gdpr_lint.analysis.values import Func

    nodes = [a for a in node.args] + [k.value for k in node.keywords if k.arg in ("tools", "functions")]
    out = []
    for n in nodes:
        for e in n.elts if isinstance(n, (ast.List, ast.Tuple)) else [n]:
            for t in frame.eval(e).of(Func):
                fi = frame.ctx.functions.get(t.key)
                if fi is not None:
                    ret = strip_params(frame.ctx.summary(fi).ret).plain()
                    out.append(ret.extend(frame.step(e, "returned by a tool of the agent")))
    return join_all(out)


def _model_classes() -> frozenset[str]:
    """The class names an OpenAI model's requests are reported under (`ChatOpenAI.invoke`),
    and the factories' (`init_chat_model.invoke`)."""
    cat = catalogue()
    return frozenset(q.rsplit(".", 1)[-1] for q in (*cat.langchain_models, *cat.langchain_factories))


def _factory_model(node: ast.Call, qualname: str) -> Value | None:
    """`init_chat_model("openai:gpt-4.1")`: an OpenAI chat model, when the provider (in the
    model string or `model_provider=`) or the model name says so; None otherwise."""
    cat = catalogue()

    def literal(arg: ast.AST | None) -> str | None:
        return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None

    model = literal(node.args[0]) if node.args else None
    provider = None
    for kw in node.keywords:
        if kw.arg == "model":
            model = literal(kw.value)
        elif kw.arg == "model_provider":
            provider = literal(kw.value)
    if model is not None and ":" in model and provider is None:
        provider, _, model = model.partition(":")
    if provider is not None:
        is_openai = provider.strip().lower() in cat.langchain_openai_providers
    else:
        is_openai = model is not None and cat.model_is_openai(model) is True
    if not is_openai:
        return None
    name = qualname.rsplit(".", 1)[-1]
    return Value(tags=frozenset({LangChain("chat", f"{qualname.rsplit('.', 1)[0]}.{name}")}))


def _embeddings_of(args, kwargs) -> LangChain | None:
    """The OpenAI embeddings model among a call's arguments, if any."""
    values = list(args) + [v for k, v, _ in kwargs if k in ("embedding", "embeddings", "embedding_function")]
    for v in values:
        for t in v.tags:
            if isinstance(t, LangChain) and t.kind == "embeddings":
                return t
    return None


SURFACE = LangChainSurface()
