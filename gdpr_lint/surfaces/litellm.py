"""LiteLLM's functions (`litellm.completion`, `acompletion`, `embedding`, `responses`,
...; rules/integrations.toml [litellm]) when the model is an OpenAI model: a literal
model of another provider is not an OpenAI call; one that cannot be read is reported
with low confidence."""

from __future__ import annotations

import ast

from gdpr_lint.analysis.values import Ext, Protected
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


class LiteLLM(Surface):
    name = "litellm"
    flavours = ("litellm",)
    package_words = ("litellm",)
    runtime_adapter = "gdpr_lint.runtime.adapters.litellm_sdk"
    fix_hint = ("LiteLLM call the runtime cannot protect (images, audio): pseudonymise the text with "
                "gdpr_lint.runtime.pseudonymise(...) and reidentify(...) the reply.")

    def protect(self, tag):
        if isinstance(tag, Ext) and tag.qualname in PROTECTABLE:  # protect(litellm.completion)
            return Protected(tag)
        return None

    def request(self, ctx, tag, node, args):
        if isinstance(tag, Protected) and isinstance(tag.inner, Ext):  # protect(litellm.completion)(...)
            return self._call(node, tag.inner.qualname, True)
        if isinstance(tag, Ext):
            return self._call(node, tag.qualname, False)
        return None

    def _call(self, node: ast.Call, qualname: str, protected: bool) -> Request | None:
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
        return endpoint in PROTECTABLE or code == "GDPR003"


SURFACE = LiteLLM()
