"""LiteLLM's functions (`litellm.completion`, `acompletion`, `embedding`, `responses`,
...; rules/integrations.toml [litellm]) when the model is an OpenAI model: a literal
model of another provider is not an OpenAI call; one that cannot be read is reported
with low confidence. A `Router(model_list=[...])` has the same methods; its `model=`
is an alias, resolved through a literal model list where there is one."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from gdpr_lint.analysis.values import Ext, Protected, Value
from gdpr_lint.surfaces.base import Request, Surface
from gdpr_lint.surfaces.catalogue import Endpoint, catalogue

# The functions gdpr_lint.runtime.protect() accepts (gdpr_lint/runtime/adapters/litellm_sdk.py).
PROTECTABLE = frozenset(f"litellm.{f}" for f in (
    "completion", "acompletion", "text_completion", "atext_completion", "embedding", "aembedding",
    "responses", "aresponses"))


def model_argument(node: ast.Call, ep: Endpoint) -> str | None:
    """The literal model name of a call, by keyword or by the function's positional slot."""
    for kw in node.keywords:
        value = kw.value
        if kw.arg == "model" and isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
    if "model" in ep.positional:
        i = ep.positional.index("model")
        arg = node.args[i] if i < len(node.args) else None
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return None


ROUTER_CLASSES = frozenset({"litellm.Router", "litellm.router.Router"})


@dataclass(frozen=True)
class RouterObject:
    """A `litellm.Router`; `models` maps its aliases to real models where the list is literal;
    `protected` after gdpr_lint.runtime.protect(router)."""

    models: tuple[tuple[str, str], ...] = ()
    protected: "bool | str" = False


@dataclass(frozen=True)
class RouterMethod:
    router: RouterObject
    method: str


def _model_list(node: ast.AST | None) -> tuple[tuple[str, str], ...]:
    """`[{"model_name": alias, "litellm_params": {"model": real}}, ...]` as (alias, real) pairs."""
    if not isinstance(node, ast.List):
        return ()
    out = []
    for entry in node.elts:
        if not isinstance(entry, ast.Dict):
            continue
        fields = {k.value: v for k, v in zip(entry.keys, entry.values) if isinstance(k, ast.Constant)}
        alias, params = fields.get("model_name"), fields.get("litellm_params")
        if isinstance(alias, ast.Constant) and isinstance(alias.value, str) and isinstance(params, ast.Dict):
            for k, v in zip(params.keys, params.values):
                if isinstance(k, ast.Constant) and k.value == "model" and isinstance(v, ast.Constant) \
                        and isinstance(v.value, str):
                    out.append((alias.value, v.value))
    return tuple(out)


class LiteLLM(Surface):
    name = "litellm"
    flavours = ("litellm",)
    package_roots = ("litellm",)
    runtime_adapter = "gdpr_lint.runtime.adapters.litellm_sdk"
    fix_hint = ("LiteLLM call the runtime cannot protect (images, audio): pseudonymise the text with "
                "gdpr_lint.runtime.pseudonymise(...) and reidentify(...) the reply.")

    def owns(self, tag):
        return isinstance(tag, (RouterObject, RouterMethod)) \
            or isinstance(tag, Protected) and isinstance(tag.inner, Ext) and tag.inner.qualname in PROTECTABLE \
            or super().owns(tag)

    def construct(self, frame, qualname, node, args, kwargs):
        if qualname not in ROUTER_CLASSES:
            return None
        listed = next((kw.value for kw in node.keywords if kw.arg == "model_list"), node.args[0] if node.args else None)
        if isinstance(listed, ast.Name):  # model_list defined just before, in the same scope
            listed = _assigned_literal(frame, listed.id)
        return Value(tags=frozenset({RouterObject(_model_list(listed))}))

    def member(self, ctx, tag, attr):
        if isinstance(tag, RouterObject):
            return {RouterMethod(tag, attr)}
        return None

    def protect(self, tag, protection=True):
        if isinstance(tag, Ext) and tag.qualname in PROTECTABLE:  # protect(litellm.completion)
            return Protected(tag, protection)
        if isinstance(tag, RouterObject):  # protect(router): its request methods are protected
            return replace(tag, protected=protection)
        if isinstance(tag, RouterMethod) and f"litellm.{tag.method}" in PROTECTABLE:  # protect(router.completion)
            return RouterMethod(replace(tag.router, protected=protection), tag.method)
        return None

    def request(self, ctx, tag, node, args, kwargs):
        if isinstance(tag, Protected) and isinstance(tag.inner, Ext):  # protect(litellm.completion)(...)
            return self._call(node, tag.inner.qualname, tag.protection)
        if isinstance(tag, Ext):
            return self._call(node, tag.qualname, False)
        if isinstance(tag, RouterMethod):
            return self._router_call(node, tag)
        return None

    def _router_call(self, node: ast.Call, tag: RouterMethod) -> Request | None:
        cat = catalogue()
        ep = cat.litellm_functions.get(f"litellm.{tag.method}")
        if ep is None:
            return None
        alias = model_argument(node, ep)
        models = dict(tag.router.models)
        real = models.get(alias) if alias is not None else None
        if real is None and alias is not None and not models:
            real = alias  # no model list to go by: the name may be a model itself
        verdict = cat.model_is_openai(real) if real is not None else None
        if verdict is False:
            return None
        protected = tag.router.protected if f"litellm.{tag.method}" in PROTECTABLE else False
        return Request(f"Router.{tag.method}", "litellm", ep, protected, "high" if verdict else "medium")

    def _call(self, node: ast.Call, qualname: str, protected: "bool | str") -> Request | None:
        cat = catalogue()
        ep = cat.litellm_functions.get(qualname)
        if ep is None:
            return None
        model = model_argument(node, ep)
        verdict = cat.model_is_openai(model) if model is not None else None
        if verdict is False:
            return None
        return Request(qualname, "litellm", ep, protected, "high" if verdict else "low")

    def fixable(self, endpoint, code):
        # litellm.completion and a Router's method of the same name: protect(router.completion, known=...)(...)
        return endpoint in PROTECTABLE or endpoint.startswith("Router.") and \
            f"litellm.{endpoint[len('Router.'):]}" in PROTECTABLE or code == "GDPR003"


def _assigned_literal(frame, name: str) -> ast.AST | None:
    """The literal last assigned to `name` at module level, if any (`MODEL_LIST = [...]`)."""
    tree = getattr(getattr(frame, "module", None), "source", None)
    tree = getattr(tree, "tree", None)
    found = None
    for stmt in getattr(tree, "body", []):
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            found = stmt.value
    return found


SURFACE = LiteLLM()
