"""Templates (Jinja2, Django): what a rendering writes.

When the template's text is known (`Template("...")`, `env.from_string(...)`, a
project file loaded by `env.get_template(...)` or `render_template(...)`), the
rendered text holds what its placeholders read from the arguments, not the whole
arguments: `{{ patient.diagnosis }}` writes the diagnosis, `{{ customer.plan }}`
nothing personal, `{{ customer }}` the whole record. Loop and `set` variables
(`{% for m in ticket.messages %}{{ m.body }}`) read through what they are bound to.
An unknown template writes everything it was given (libraries.py).

A part of the interpreter: `Frame` (analysis/frame.py) combines them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gdpr_lint.analysis.calls import plain_reference
from gdpr_lint.analysis.values import EMPTY, Obj, Person, Src, Value, join_all
from gdpr_lint.analysis.vocabulary import Vocabulary, tokenize
from gdpr_lint.model import FlowStep

_BLOCK = re.compile(r"\{\{(.*?)\}\}|\{%-?(.*?)-?%\}", re.S)
# `x["email"]`, `x.get("email")`: the same field as `x.email`
_KEYED = re.compile(r"\[\s*(['\"])(\w+)\1\s*\]|\.get\(\s*(['\"])(\w+)\3[^)]*\)")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*)*)")


@dataclass(frozen=True)
class Ref:
    """One name chain a template reads (`patient.diagnosis`), and how."""

    chain: tuple[str, ...]
    mode: str = "write"  # write: rendered | test: an `if` condition | for / set: binds `names`
    names: tuple[str, ...] = ()


@lru_cache(maxsize=256)  # a render is evaluated at every pass over its call; the text stays the same
def references(text: str) -> tuple[Ref, ...]:
    """The name chains of a Jinja2 / Django template, in order."""
    refs: list[Ref] = []
    for m in _BLOCK.finditer(text):
        statement = m.group(1) is None
        expr = (m.group(2) if statement else m.group(1)).strip()
        expr = _KEYED.sub(lambda k: "." + (k.group(2) or k.group(4)), expr)
        expr = _STRING.sub('""', expr)
        mode, names = "write", ()  # type: tuple[str, tuple[str, ...]]
        if statement:
            word, _, rest = expr.partition(" ")
            if word == "for":
                targets, sep, rest = rest.partition(" in ")
                mode, names = "for", tuple(t.strip() for t in targets.split(",") if t.strip().isidentifier())
            elif word in ("set", "with"):
                target, sep, rest = rest.partition("=")
                mode, names = "set", (target.strip(),) if target.strip().isidentifier() else ()
            elif word in ("if", "elif"):
                mode, sep = "test", " "
            else:
                continue  # endfor, else, block, include ...: no data of the arguments
            if not sep:
                continue
            expr = rest
        for i, c in enumerate(_CHAIN.finditer(expr)):
            chain = (c.group(1),) + tuple(p.strip() for p in c.group(2).split(".")[1:])
            binding = mode in ("for", "set") and i == 0
            refs.append(Ref(chain, mode if binding else ("test" if mode == "test" else "write"),
                            names if binding else ()))
    return tuple(refs)


class Templates:
    # what it uses of the Frame it is part of (frame.py)
    vocab: Vocabulary
    if TYPE_CHECKING:
        def eval(self, node: ast.AST | None) -> Value: ...
        def step(self, node: ast.AST, note: str) -> FlowStep: ...
        def attribute(self, recv: Value, attr: str, node: ast.Attribute) -> Value: ...
        def element(self, it: Value) -> Value: ...
        def materialise(self, v: Value, node: ast.AST) -> Value: ...
        def key_evidence(self, key: str, v: Value, node: ast.AST) -> Value: ...

    def render_with(self, text: str, node: ast.Call, args: list[Value], kwargs: Any, skip: int = -1) -> Value:
        """`tmpl.render(patient=p)`, `render_template("x.j2", **ctx)`, `t.render({"c": c})`: the
        context is the keywords and the mappings whose keys are known; a mapping we cannot see
        into is written whole (argument `skip` is the template's file name)."""
        context: dict[str, tuple[Value, ast.expr | None, ast.AST]] = {}
        whole: list[Value] = []
        mappings = [(v, n) for i, (v, n) in enumerate(zip(args, node.args)) if i != skip]
        for k, v, n in kwargs:
            if k is None:
                mappings.append((v, n))
            else:
                context[k] = (v, n, n)
        for v, n in mappings:
            if isinstance(n, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                               and plain_reference(e) for k, e in zip(n.keys, n.values)):
                # {"customer": c}: the values as the code names them, before the dict held them
                context.update((k.value, (self.eval(e), e, e)) for k, e in zip(n.keys, n.values)
                               if isinstance(k, ast.Constant) and isinstance(k.value, str))  # (for the type checker)
            elif v.fields is not None:
                context.update((k, (fv, None, n)) for k, fv in v.fields)
            else:
                whole.append(self.materialise(v, n).plain())
        return join_all([self.render_known(text, context)] + whole)

    def render_known(self, text: str, context: dict[str, tuple[Value, ast.expr | None, ast.AST]]) -> Value:
        """What rendering `text` with `context` (name -> value, the code that gave it if it is
        one expression, where it was given) writes."""
        names: dict[str, tuple[Value, ast.expr, bool]] = {}
        for name, (value, vnode, anchor) in context.items():
            names[name] = (self._as_named(name, value), *self._template_base(name, vnode, anchor))
        out: list[Value] = []
        for ref in references(text):
            hit = names.get(ref.chain[0])
            if hit is None:
                continue
            value, base, real = hit
            node: ast.expr = base
            owner = value
            for attr in ref.chain[1:]:
                read = ast.Attribute(value=node, attr=attr, ctx=ast.Load())
                owner, node = value, _at(read, base)
                value = self.attribute(value, attr, read)
            if ref.mode == "for" and (len(ref.chain) == 1 or ref.chain[-1] in ("items", "values")) \
                    and (owner.has(Person) or owner.has(Obj)):
                # `{% for k, v in patient.items() %}`: every field of the record is written
                value = self.materialise(owner, node if len(ref.chain) == 1 else node_of(node)).plain()
            if ref.mode in ("for", "set"):
                bound = self.element(value) if ref.mode == "for" else value
                for n in ref.names:
                    names[n] = (bound, _at(ast.Name(id=n, ctx=ast.Load()), base), False)
                continue
            if ref.mode == "test":  # `{% if patient.hiv_positive %}`: the text shows the answer
                written = Value(value.taints)
            else:
                if len(ref.chain) == 1 and real:
                    value = self.key_evidence(ref.chain[0], value, base)
                written = self.materialise(value, node).plain()
            if not real:  # a name of the template, not of the code: nothing for `known=`
                written = Value(frozenset(replace(lab, known=None) if isinstance(lab, Src) else lab
                                          for lab in written.taints))
            out.append(written.extend(self.step(base, f"written by the template's `{'.'.join(ref.chain)}`")))
        return join_all(out) if out else EMPTY

    def _as_named(self, name: str, value: Value) -> Value:
        """`render(patient=p)`: the template's name says what `p` is when nothing else does."""
        if not value.has(Person) and not value.has(Obj) and not value.tags \
                and self.vocab.owner_kind(tokenize(name)) == "person":
            return value.with_tags(Person(name))
        return value

    def _template_base(self, name: str, vnode: ast.expr | None, anchor: ast.AST) -> tuple[ast.expr, bool]:
        """The expression fields are read from: the code's own (`p` of `patient=p`) when it is a
        plain name or attribute chain, else the template's name at the call."""
        if vnode is not None and plain_reference(vnode):
            return vnode, True
        return _at(ast.Name(id=name, ctx=ast.Load()), anchor), False


def node_of(read: ast.expr) -> ast.expr:
    """The record an attribute read is made on (`patient` of `patient.items`)."""
    return read.value if isinstance(read, ast.Attribute) else read


def _at(node: ast.expr, where: ast.AST) -> ast.expr:
    """A synthetic node placed at `where` for flow steps; no end position, so its text is
    its own unparsed form (`p.diagnosis`)."""
    node.lineno = getattr(where, "lineno", 1)
    node.col_offset = getattr(where, "col_offset", 0)
    return node
