"""Naming evidence: what makes a value personal data by its name, its dict key, its
owner (`customer.email` vs `product.name`), its type annotation or a prompt label.

A part of the interpreter: `Frame` (analysis/frame.py) combines them.
"""

from __future__ import annotations

import ast

from gdpr_lint.analysis.values import (
    EMPTY,
    HASHED,
    SANITIZED,
    SCALAR,
    Client,
    Cls,
    Const,
    Ext,
    Func,
    Guess,
    Inst,
    LangChain,
    Mod,
    Obj,
    Partial,
    Person,
    Protected,
    Res,
    Value,
    join,
    join_all,
    only_redacted,
)
from gdpr_lint.analysis.vocabulary import tokenize
from gdpr_lint.surfaces import registry as surfaces

# Library and program objects (a client, a model, a function): never personal data by name
API_TAGS = (Client, Res, Guess, LangChain, Protected, Func, Cls, Mod, Partial)


def settled(v: Value) -> bool:
    """A value no name can make personal: redacted, hashed, a number, a constant."""
    return v.flag(SANITIZED) or v.flag(HASHED) or v.flag(SCALAR) or v.has(Const) or only_redacted(v.taints)


_TEXT = Inst("builtins.str")  # what a `str` annotation gives a value (annotation_value)


class Evidence:

    def name_evidence(self, name: str, value: Value, node: ast.AST, member: str | None = None) -> Value:
        """A variable's own name is evidence: `email = fetch()` holds an e-mail address. Bound
        to one part of something (`member`: `user = config["name"]`), a name that means a
        whole person means that person's part: the user's name, not their whole record."""
        if settled(value):
            return value
        if any(isinstance(t, API_TAGS) for t in value.tags):
            return value
        toks = tokenize(name)
        person = self.vocab.names_a_person(toks)
        if member is not None and person:
            held = self.vocab.classify(member, toks, "person")
            if held is not None and held.category.key != "record":
                if value.srcs() or not (held.category.content or held.category.direct_identifier):
                    return value
                return Value(value.taints | {self.source(node, name, held.category.key, "medium")}, value.tags, value.fields)
        if person and _TEXT in value.tags and not value.srcs():
            # `author: str`: a person's name as text, not their whole record
            return Value(value.taints | {self.source(node, name, "name", "medium")}, value.tags, value.fields)
        if not value.has(Person) and person:
            value = value.with_tags(Person(name))
        if not value.srcs():
            m = self.vocab.classify(toks)
            if m is not None and (m.category.content or m.category.direct_identifier) \
                    and (m.confidence == "high" or len(toks) == 1):
                value = Value(value.taints | {self.source(node, name, m.category.key, "medium")}, value.tags, value.fields)
        return value

    def named_not_personal(self, node: ast.AST) -> bool:
        """`product_name`, `company.address`, `dog.diagnosis`, `row["file_name"]`: the name itself
        rules it out (a prompt's label does not make a pet's diagnosis anyone's health)."""
        owner: tuple[str, ...] = ()
        if isinstance(node, ast.Name):
            ident = node.id
        elif isinstance(node, ast.Attribute):
            ident = node.attr
            if isinstance(node.value, (ast.Name, ast.Attribute)):
                owner = tokenize(node.value.id if isinstance(node.value, ast.Name) else node.value.attr)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            ident = node.slice.value
        else:
            return False
        toks = tokenize(ident)
        return any(t in self.vocab.non_personal_modifiers for t in toks[:-1]) or \
            self.vocab.owner_kind(toks) == "thing" or self.vocab.owner_kind(owner) in ("thing", "animal")

    def key_evidence(self, key: str, v: Value, node: ast.AST) -> Value:
        """`{"email": x}`: the key says what x is when nothing else does."""
        if not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.JoinedStr)):
            return v  # a literal or a nested structure (a JSON schema) is not the data itself
        v = self.materialise(v, node) if v.has(Person) else v
        if v.srcs() or settled(v):
            return v
        if any(isinstance(t, API_TAGS) for t in v.tags):
            return v
        m = self.vocab.classify(key)
        if m is not None and m.category.content and m.confidence == "high":
            return Value(v.taints | {self.source(node, self.text(node), m.category.key, "medium",
                                                  note=f"`{self.text(node)}` stored under key {key!r} ({m.category.label})")},
                         v.tags, v.fields)
        return v

    def owner_of(self, recv: Value, owner_node: ast.AST) -> tuple[tuple[str, ...], str | None]:
        kind = None
        toks: tuple[str, ...] = ()
        for o in recv.of(Obj):
            ci = self.ctx.classes.get(o.cls)
            if ci is not None:
                toks = tokenize(ci.name)
                kind = "person" if ci.person else self.vocab.owner_kind(toks)
        if kind is None and recv.has(Person):
            kind = "person"
        if isinstance(owner_node, ast.Name):
            own = tokenize(owner_node.id)
        elif isinstance(owner_node, ast.Attribute):
            own = tokenize(owner_node.attr)
        elif isinstance(owner_node, ast.Subscript) and isinstance(owner_node.slice, ast.Constant) and isinstance(owner_node.slice.value, str):
            own = tokenize(owner_node.slice.value)
        elif isinstance(owner_node, ast.Call):
            own = tokenize(self.text(owner_node.func).split(".")[-1])
        else:
            own = ()
        for t in recv.of(Inst) + recv.of(Ext):
            tt = tokenize(t.qualname.split(".")[-1].split("#")[-1])
            if self.vocab.owner_kind(tt) == "person" and kind is None:
                kind = "person"
        if kind is None:
            kind = self.vocab.owner_kind(own)
        return toks + own, kind

    def classify_member(self, recv: Value, owner_node: ast.AST, name: str, node: ast.AST,
                        shown: str | None = None) -> Value:
        """`customer.email`, `row["email"]`: what the member holds, given its owner."""
        if recv.flag(SANITIZED) or recv.flag(HASHED):
            return EMPTY
        if any(isinstance(t, (Client, Res, Guess, LangChain, Protected, Func, Mod, Partial)) for t in recv.tags):
            return EMPTY
        owner, kind = self.owner_of(recv, owner_node)
        for o in recv.of(Obj):
            ci = self.ctx.classes.get(o.cls)
            if ci is not None and name in ci.field_categories:
                cat = ci.field_categories[name]
                expr = shown or self.text(node)
                confidence = "medium" if name in ci.weak_fields else "high"
                return Value(frozenset({self.source(node, expr, cat, confidence, note=self.field_note(expr, cat, ci))}))
        m = self.vocab.classify(name, owner, kind)
        out = EMPTY
        if m is not None:
            expr = shown or self.text(node)
            out = Value(frozenset({self.source(node, expr, m.category.key, m.confidence)}))
        name_toks = tokenize(name)
        # `offender.criminal_record` holds one datum (classified above), not a whole person.
        if m is None and self.vocab.owner_kind(name_toks) == "person" and kind != "thing":
            out = out.with_tags(Person(self.text(node)))
        return out

    def field_note(self, expr: str, cat: str, ci) -> str:
        """The owner that decided, when the expression does not show it: `r.navn` is a field
        of Borger (a record about a person), `p.owner_phone` a field of Pet."""
        category = self.vocab.categories.get(cat)
        label = category.label if category else cat
        if tokenize(ci.name)[-1:] and tokenize(ci.name)[-1] in tokenize(expr):
            return f"`{expr}` ({label})"
        whose = ", a record about a person" if ci.person else ""
        return f"`{expr}` ({label}; a field of {ci.name}{whose})"

    # ------------------------------------------------------------------ annotations

    def annotation_value(self, node: ast.AST | None) -> Value:
        """The tags a type annotation gives a parameter or variable."""
        if node is None:
            return EMPTY
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return EMPTY
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return join(self.annotation_value(node.left), self.annotation_value(node.right))
        if isinstance(node, ast.Subscript):
            inner = node.slice
            elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return join_all(self.annotation_value(e) for e in elts)
        v = self.module_frame_eval(node)
        tags: set = set()
        for t in v.tags:
            if isinstance(t, Ext):
                typed = surfaces.annotation(self.ctx, t.qualname)
                if typed is not None:
                    tags.add(typed)
                else:
                    last = t.qualname.split(".")[-1]
                    if self.vocab.owner_kind(tokenize(last)) == "person":
                        tags.add(Person(last))
                    tags.add(Inst(t.qualname))
            elif isinstance(t, Cls):
                tags.add(Obj(t.key))
                ci = self.ctx.classes.get(t.key)
                if ci is not None and ci.person:
                    tags.add(Person(ci.name))
        return Value(tags=frozenset(tags))

    def module_frame_eval(self, node: ast.AST) -> Value:
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self.eval(node)
        return EMPTY
