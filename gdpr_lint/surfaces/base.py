"""What a surface is: one library through which code reaches OpenAI (the `openai` SDK's
v1 client, its 0.x module API, LangChain, LiteLLM, configured wrappers).

A surface answers the interpreter's library questions for the objects it owns, so
adding a library is one module here and one line in `registry.py` (pytype's
`overlays/` + `overlay_dict.py` are the model). Every hook has a neutral default:
a surface implements only what its library needs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gdpr_lint.analysis.values import Ext, Inst, Value
from gdpr_lint.surfaces.catalogue import Endpoint

if TYPE_CHECKING:
    from gdpr_lint.analysis.context import AnalysisContext, FrameView

# A call's arguments as the interpreter hands them over: (keyword or None for **, value, node).
Kwargs = list[tuple[str | None, Value, ast.AST]]


@dataclass(frozen=True)
class Request:
    """A call that sends a request, as a surface recognised it."""

    endpoint: str  # the name reported: "chat.completions.create", "ChatOpenAI.invoke", "litellm.completion"
    flavour: str  # the surface's flavour of the call (openai-v1, openai-azure, langchain, litellm, ...)
    ep: Endpoint  # which parameters carry content and identifiers
    protected: "bool | str"  # reached through gdpr_lint.runtime.protect(...); str: its known= (analysis/protection.py)
    confidence: str
    # a fallback: taken only when no other tag of the callee is a request (a guessed
    # resource chain on an untyped parameter, a configured wrapper)
    fallback: bool = False
    # the callee carries data it sends itself, under this parameter name ("" for none): a
    # LangChain chain whose prompt was filled in part (`prompt.partial(name=...) | model`), an
    # agent built with tools (what they return)
    receiver: str = ""


class Surface:
    """Base class: the hooks a library can answer. None means "not mine"."""

    name: str = ""
    flavours: tuple[str, ...] = ()  # the call-site flavours this surface reports
    # (how code spells the library, for the bytes-level prefilter: rules/integrations.toml [spellings])
    # The library's top-level module names (`litellm`, `langchain_openai`): a name imported
    # from them, or a module global holding one of the surface's objects, marks the lines
    # that use it (`from litellm import acompletion as ask` makes `ask(` a request line).
    package_roots: tuple[str, ...] = ()
    # Its requests are the `openai` SDK's endpoints (rules/endpoints.toml), whose storage
    # the data map can tell from the endpoint and store=; otherwise it depends on the library.
    openai_endpoints: bool = False
    # The gdpr_lint.runtime module that protects this surface's calls at run time ("" when none).
    runtime_adapter: str = ""

    # ---------------------------------------------------------------- objects

    def construct(self, frame: FrameView, qualname: str, node: ast.Call, args: list[Value],
                  kwargs: Kwargs) -> Value | None:
        """The value of calling an outside name (`openai.OpenAI(...)`, `ChatOpenAI(...)`)."""
        return None

    def member(self, ctx: AnalysisContext, tag: Any, attr: str) -> set | None:
        """The tags of `obj.attr` for an object tag this surface owns."""
        return None

    def call_member(self, frame: FrameView, tag: Any, node: ast.Call, args: list[Value],
                    kwargs: Kwargs) -> Value | None:
        """Calling a tag that is not a request but yields another object (`client.with_options(...)`)."""
        return None

    def pipe(self, left: Value, right: Value, node: ast.BinOp) -> Value | None:
        """`left | right` when one side is this library's object (LangChain's LCEL pipes)."""
        return None

    def annotation(self, ctx: AnalysisContext, qualname: str) -> Any | None:
        """The tag a type annotation naming this outside class gives a parameter."""
        return None

    def protect(self, tag: Any, protection: "bool | str" = True) -> Any | None:
        """The tag of `gdpr_lint.runtime.protect(x)` for an `x` with this tag; `protection` is
        what its `known=` hands over (analysis/protection.py), kept on the tag for the requests."""
        return None

    def owns(self, tag: Any) -> bool:
        """Whether a value with this tag is one of the library's objects."""
        return isinstance(tag, (Ext, Inst)) and tag.qualname.split(".", 1)[0] in self.package_roots

    # ---------------------------------------------------------------- requests

    def request(self, ctx: AnalysisContext, tag: Any, node: ast.Call, args: list[Value],
                kwargs: Kwargs) -> Request | None:
        """Whether calling a value with this tag (with these arguments) sends a request,
        and which."""
        return None

    def response(self, frame: FrameView, request: Request, node: ast.Call) -> Value:
        """The value a request call returns (a realtime connection is an object of its own;
        a transcript of a recording is data about the people speaking)."""
        return Value(tags=frozenset({Inst("openai.response")}))

    def arguments(self, request: Request, node: ast.Call, args: list[Value],
                  kwargs: Kwargs) -> list[tuple[str, Value, ast.AST]]:
        """(parameter name, value, node) for every argument of the request."""
        return endpoint_params(request.ep, node, args, kwargs)

    # ---------------------------------------------------------------- fixing

    def fixable(self, endpoint: str, code: str) -> bool:
        """Whether `--fix` can route this call through the runtime (per rule code)."""
        return False

    fix_hint: str = "Redact the data before the call."

    def hint(self, endpoint: str) -> str:
        """What to do by hand when `--fix` cannot make this call safe."""
        return self.fix_hint


def endpoint_params(ep: Endpoint, node: ast.Call, args: list[Value], kwargs: Kwargs) -> list[tuple[str, Value, ast.AST]]:
    """(parameter name, value, node) for every argument of a request call."""
    out: list[tuple[str, Value, ast.AST]] = []
    for i, (a, anode) in enumerate(zip(args, node.args)):
        pname = ep.positional[i] if i < len(ep.positional) else f"arg{i}"
        out.append((pname, a, anode))
    for k, v, vnode in kwargs:
        if k is None:
            if v.fields is not None:
                for fk, fv in v.fields:
                    out.append((fk, fv, vnode))
            else:
                out.append(("**", v, vnode))
        else:
            out.append((k, v, vnode))
    return out
