"""The registry of surfaces: every library through which code reaches OpenAI.

Adding a library is writing its module in this package and adding it to SURFACES.
The order matters only where two surfaces could claim the same object; earlier wins
(the v1 module-level client before the 0.x module API, both `openai.*` names).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from gdpr_lint.analysis.values import Partial, Value
from gdpr_lint.surfaces import agents, configured, langchain, litellm, openai_legacy, openai_v1
from gdpr_lint.surfaces.base import Kwargs, Request, Surface
from gdpr_lint.surfaces.catalogue import catalogue

if TYPE_CHECKING:
    from gdpr_lint.analysis.context import AnalysisContext, FrameView

SURFACES: tuple[Surface, ...] = (
    openai_v1.SURFACE,
    openai_legacy.SURFACE,
    langchain.SURFACE,
    litellm.SURFACE,
    agents.SURFACE,
    configured.SURFACE,
)

_BY_FLAVOUR = {flavour: s for s in SURFACES for flavour in s.flavours}


def surface_for(flavour: str) -> Surface | None:
    return _BY_FLAVOUR.get(flavour)


def _implementations(hook: str) -> tuple[Any, ...]:
    """The bound `hook` of each surface that implements it, in SURFACES' order (Surface's
    own answers None: asking it would change nothing, and the hooks run on every call)."""
    default = getattr(Surface, hook)
    return tuple(getattr(s, hook) for s in SURFACES if getattr(type(s), hook) is not default)


_HOOKS = {hook: _implementations(hook)
          for hook in ("construct", "member", "call_member", "pipe", "annotation", "protect", "request")}


def _first(hook: str, *args: Any) -> Any | None:
    """The first surface's answer to `hook` (None: no surface claims it)."""
    for method in _HOOKS[hook]:
        answer = method(*args)
        if answer is not None:
            return answer
    return None


def construct(frame: FrameView, qualname: str, node: ast.Call, args: list[Value], kwargs: Kwargs) -> Value | None:
    return _first("construct", frame, qualname, node, args, kwargs)


def member(ctx: AnalysisContext, tag: Any, attr: str) -> set | None:
    return _first("member", ctx, tag, attr)


def guess_member(root: str, attr: str) -> Any | None:
    return openai_v1.SURFACE.guess_member(root, attr)


def call_member(frame: FrameView, tag: Any, node: ast.Call, args: list[Value], kwargs: Kwargs) -> Value | None:
    return _first("call_member", frame, tag, node, args, kwargs)


def pipe(left: Value, right: Value, node: ast.BinOp) -> Value | None:
    return _first("pipe", left, right, node)


def annotation(ctx: AnalysisContext, qualname: str) -> Any | None:
    return _first("annotation", ctx, qualname)


def protect(tags, protection: "bool | str" = True) -> frozenset:
    """The tags of `gdpr_lint.runtime.protect(x)`: what each surface's runtime adapter covers,
    marked with what its `known=` handed over (analysis/protection.py)."""
    out = set()
    for t in tags:
        for protect_tag in _HOOKS["protect"]:
            p = protect_tag(t, protection)
            if p is not None:
                out.add(p)
                break
    return frozenset(out)


def request(ctx: AnalysisContext, tags, node: ast.Call, args: list[Value],
            kwargs: Kwargs) -> tuple[Surface, Request] | None:
    """The request a call of a value with these tags sends, if any; fallbacks count only
    when nothing else did. A value may be several things at once (an Azure client on one
    path, a plain one on another): the first request in a fixed order is taken, never the
    one a set happened to yield first, so the report does not change from run to run."""
    found: tuple[Surface, Request] | None = None
    for t in tags:
        for ask in _HOOKS["request"]:
            r = ask(ctx, t, node, args, kwargs)
            if r is not None:
                if found is None or (found[1].fallback and not r.fallback) or (
                        found[1].fallback == r.fallback and _order(r) < _order(found[1])):
                    found = (ask.__self__, r)
                break
    return found


def _order(r: Request) -> tuple:
    return (r.flavour, r.endpoint, str(r.protected), r.confidence)


def fixable(flavour: str, endpoint: str, code: str) -> bool:
    s = surface_for(flavour)
    return s.fixable(endpoint, code) if s is not None else code == "GDPR003"


def fix_hint(flavour: str, endpoint: str = "") -> str:
    s = surface_for(flavour)
    return s.hint(endpoint) if s is not None else Surface.fix_hint


def owns(tag: object) -> bool:
    """Whether a tag is one of a surface's objects (a client, a resource, a model, ...)."""
    return any(s.owns(tag) for s in SURFACES)


def owned(value: Value, depth: int = 3) -> bool:
    """Whether a value is (or wraps, as a functools.partial) one of a surface's objects, or is a
    dict holding one (a dispatch table: `HANDLERS = {"chat": client.chat.completions.create}`)."""
    for t in value.tags:
        if isinstance(t, Partial):
            if owned(t.func, depth):
                return True
        elif owns(t):
            return True
    return depth > 0 and value.fields is not None and any(owned(v, depth - 1) for _, v in value.fields)


def package_roots() -> frozenset[str]:
    return frozenset(r for s in SURFACES for r in s.package_roots)


def canonical(qualname: str) -> str:
    """An outside name as the SDK spells it (`langfuse.openai.OpenAI` -> `openai.OpenAI`)."""
    for prefix, target in catalogue().module_aliases:
        if qualname == prefix or qualname.startswith(prefix + "."):
            return target + qualname[len(prefix):]
    return qualname
