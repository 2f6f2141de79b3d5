"""Requests: what a call that sends a request records - the call site, the client
configuration it goes through, and the data each argument carries (asked of the
surfaces), and what `protect()` makes of a value.

A part of the whole-program side: `Project` (project.py) combines them.
"""

from __future__ import annotations

import ast

from gdpr_lint.analysis import protection
from gdpr_lint.analysis.frame import Frame
from gdpr_lint.analysis.program.symbols import SiteInfo
from gdpr_lint.analysis.values import (
    Red,
    Protected,
    Res,
    Value,
)
from gdpr_lint.model import CallSite, ClientConfig, Span
from gdpr_lint.surfaces import registry as surfaces
from gdpr_lint.surfaces.catalogue import Endpoint, catalogue

PROTECT = "gdpr_lint.runtime.protect"
def store_argument(node: ast.Call) -> str:
    """The request's store= argument: "true" / "false" when literal, "dynamic" otherwise, "" when absent."""
    for kw in node.keywords:
        if kw.arg == "store":
            if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, bool):
                return "true" if kw.value.value else "false"
            return "dynamic"
        if kw.arg is None and isinstance(kw.value, ast.Dict):
            for k in kw.value.keys:
                if isinstance(k, ast.Constant) and k.value == "store":
                    return "dynamic"
    return ""


class Requests:

    # ------------------------------------------------------------------ protect()

    def protect_value(self, inner: Value, handed_over: "bool | str" = True) -> Value:
        return Value(tags=surfaces.protect(inner.tags, handed_over))

    # ------------------------------------------------------------------ request detection

    def detect_request(self, frame: Frame, node: ast.Call, fval: Value, args: list[Value], kwargs) -> Value | None:
        """If this call sends a request to OpenAI: record the call site and the data it sends."""
        found = surfaces.request(self, fval.tags, node, args, kwargs)
        if found is None:
            return None
        surface, request = found
        endpoint_name, flavour, ep, protected = request.endpoint, request.flavour, request.ep, request.protected
        confidence = request.confidence
        site_key = self.record_site(frame, node, endpoint_name, flavour, protected, confidence, ep,
                                    client=self.client_of(fval, kwargs))
        sent: set = set()  # the personal content sent: the reply is about the same people
        for pname, value, vnode in surface.arguments(request, node, args, kwargs):
            kind = None
            if pname in ep.identity:
                kind = "identity"
            elif pname in ep.content or "*" in ep.content or pname == "**":
                kind = "content"
            if kind is None:
                continue
            # protect(...) pseudonymises the content: a protected flow, not a finding
            via = protection.via(PROTECT, protected) if protected and kind == "content" else ""
            value = frame.materialise(value, vnode) if kind == "content" else value
            sink_step = frame.step(vnode, f"sent as `{pname}` to {endpoint_name}")
            for lab in value.taints:
                frame.emit(site_key, kind, pname, lab.extend(sink_step), frame.scope, via)
            if kind == "content":
                # a reply re-identified by protect() holds the real values again; one to text
                # redacted by a sanitizer holds only what the model was given
                sent.update(lab for lab in value.taints if not isinstance(lab, Red))
        if request.receiver and fval.taints:
            # an agent's own data (what its tools return) goes along with every run
            for lab in fval.taints:
                frame.emit(site_key, "content", request.receiver,
                           lab.extend(frame.step(node, f"sent as `{request.receiver}` to {endpoint_name}")),
                           frame.scope, protection.via(PROTECT, protected) if protected else "")
                if not isinstance(lab, Red):
                    sent.add(lab)
        reply = surface.response(frame, request, node)
        if sent and ep.kind not in catalogue().opaque_reply_kinds:
            step = frame.step(node, f"in the reply of {endpoint_name}")
            reply = Value(reply.taints | frozenset(lab.extend(step) for lab in sent), reply.tags, reply.fields)
        return reply

    def client_of(self, fval: Value, kwargs) -> tuple[ClientConfig, ...]:
        """The configuration of the client(s) a request goes through; unknown when not resolved."""
        configs = [t.config for t in fval.tags if isinstance(t, Res)]
        configs += [t.inner.config for t in fval.tags if isinstance(t, Protected) and isinstance(t.inner, Res)]
        out = [c for cfg in configs if cfg for c in cfg]
        if not configs or any(cfg is None for cfg in configs):
            out.append(ClientConfig("", "unknown"))
        return tuple(dict.fromkeys(out))

    def sites_of(self, mod, keys: set[str]) -> list[CallSite]:
        """The call sites in module `mod` and those under `keys`, in the order they were found:
        looked up, not filtered from every site the project holds (it lives for many units)."""
        chosen = set(mod.site_keys) | keys
        return [self.sites[k].site for k in sorted(chosen, key=self.site_rank.__getitem__)]

    def record_site(self, frame: Frame, node: ast.Call, endpoint: str, flavour: str, protected: bool,
                    confidence: str, ep: Endpoint, client: tuple[ClientConfig, ...] = ()) -> str:
        src = frame.src
        key = f"{src.display}:{node.lineno}:{node.col_offset}"
        if key not in self.sites:
            span = Span(node.lineno, src.column(node.lineno, node.col_offset),
                        node.end_lineno or node.lineno, src.column(node.end_lineno or node.lineno, node.end_col_offset or 0))
            callee = frame.text(node.func)
            stmt = frame.current_stmt
            if isinstance(stmt, (ast.With, ast.AsyncWith)):
                lines = (stmt.lineno, max(i.context_expr.end_lineno or stmt.lineno for i in stmt.items))
            elif stmt is not None:
                lines = (stmt.lineno, stmt.end_lineno or stmt.lineno)
            else:
                lines = (span.line, span.end_line)
            lines = (min(lines[0], span.line), max(lines[1], span.end_line))
            site = CallSite(path=src.display, span=span, endpoint=endpoint, flavour=flavour,
                            confidence=confidence, protected=bool(protected),
                            function=frame.func.qualname if frame.func else "", text=callee,
                            statement_lines=lines, client=client, store=store_argument(node))
            self.site_rank[key] = len(self.sites)
            self.sites[key] = SiteInfo(site, frame.module, frame.scope, ep, node)
            frame.module.site_keys.append(key)
        else:
            existing = self.sites[key].site
            existing.protected = existing.protected and bool(protected)
            existing.client = tuple(dict.fromkeys(existing.client + client))
        return key
