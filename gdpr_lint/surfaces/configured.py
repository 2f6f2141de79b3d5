"""The project's own wrappers around OpenAI, configured as sinks
(`[tool.gdpr-lint] sinks = [{function = "app.llm.ask", content = ["prompt"]}]`):
a call of the wrapper is reported like a request."""

from __future__ import annotations

from gdpr_lint.analysis.values import Ext, Func
from gdpr_lint.surfaces.base import Request, Surface
from gdpr_lint.surfaces.catalogue import Endpoint, catalogue


class Configured(Surface):
    name = "configured"
    flavours = ("configured",)
    fix_hint = "Call to a configured wrapper: protect the OpenAI call inside the wrapper, or pseudonymise the arguments."

    def request(self, ctx, tag, node, args, kwargs):
        if not ctx.configured_sinks or not isinstance(tag, (Ext, Func)):
            return None
        if isinstance(tag, Ext) and tag.qualname in catalogue().litellm_functions:
            return None  # LiteLLM's own functions are judged by their model (surfaces/litellm.py)
        if isinstance(tag, Ext):
            qual = tag.qualname
        else:
            fi = ctx.functions[tag.key]
            qual = fi.module.name + "." + fi.qualname
        found = None
        for name, sink in ctx.configured_sinks.items():
            if qual == name or qual.endswith("." + name):
                ep = Endpoint(name, "configured", sink.content or ("*",), sink.identity, (), (), False)
                found = Request(name, "configured", ep, False, "high", fallback=True)
        return found

    def arguments(self, request, node, args, kwargs):
        return [(k or "**", v, vnode) for k, v, vnode in kwargs] + [
            (f"arg{i}", a, an) for i, (a, an) in enumerate(zip(args, node.args))]

    def fixable(self, endpoint, code):
        return code == "GDPR003"


SURFACE = Configured()
