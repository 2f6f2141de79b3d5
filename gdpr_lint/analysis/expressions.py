"""Expressions: constants, names, f-strings and formatting, operators, containers and
comprehensions, and `materialise` (a person record turned into text).

A part of the interpreter: `Frame` (analysis/frame.py) combines them.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from gdpr_lint.analysis.calls import plain_reference
from gdpr_lint.analysis.literals import find_personal_literals
from gdpr_lint.surfaces import registry as surfaces
from gdpr_lint.analysis.values import (
    EMPTY,
    HASHED,
    SANITIZED,
    SCALAR,
    SCALAR_FLAG,
    SCALAR_VALUE,
    Cls,
    Const,
    Flag,
    Func,
    Obj,
    Partial,
    Person,
    Value,
    join,
    join_all,
    only_redacted,
)


# Sources that are a whole document whose subject the source alone does not tell.
DOCUMENT_CATEGORIES = frozenset({"upload", "free_text"})

class Expressions:

    # ------------------------------------------------------------------ expressions

    def eval(self, node: ast.AST | None) -> Value:
        if node is None:
            return EMPTY
        method = getattr(self, "e_" + type(node).__name__, None)
        if method is None:
            return EMPTY
        return method(node)

    def e_Constant(self, node: ast.Constant) -> Value:
        v = node.value
        if isinstance(v, str):
            found = find_personal_literals(v)
            if not found:
                return _text_constant(v)
            taints = frozenset(
                self.source(node, _shorten(text), cat, "medium", note=f"literal {_shorten(text)!r} ({self.vocab.categories[cat].label})", known=False)
                for cat, text in found)
            return Value(taints, frozenset({Const(frozenset({v}))}))
        if isinstance(v, (int, float, complex, bool)) or v is None:
            return SCALAR_VALUE
        return EMPTY

    def e_Name(self, node: ast.Name) -> Value:
        return self.lookup(node.id)

    def e_JoinedStr(self, node: ast.JoinedStr) -> Value:
        parts: list[Value] = []
        before = ""
        texts: list[str] | None = []  # the string, while every piece is a known constant
        for piece in node.values:
            if isinstance(piece, ast.Constant):
                before += str(piece.value)
                parts.append(self.e_Constant(piece).plain())
                if texts is not None:
                    texts.append(str(piece.value))
                continue
            if isinstance(piece, ast.FormattedValue):
                v = self.eval(piece.value)
                if piece.format_spec is not None:
                    self.eval(piece.format_spec)
                consts = v.of(Const)
                if texts is not None and piece.conversion == -1 and piece.format_spec is None and not v.taints \
                        and len(consts) == 1 and len(consts[0].strings) == 1:
                    texts.append(next(iter(consts[0].strings)))
                else:
                    texts = None
                parts.append(self.interpolate(v, piece.value, before))
                before = ""
        out = join_all(parts)
        # f"{DATA_DIR}/anonymised": a constant string too (a path built from settings)
        return out.with_tags(Const(frozenset({"".join(texts)}))) if texts is not None and not out.taints else out

    def interpolate(self, v: Value, node: ast.AST, text_before: str) -> Value:
        """A value written into text: records become text, and the label before it is evidence."""
        v = self.materialise(v, node)
        if v.srcs() and text_before and not v.flag(SANITIZED):
            v = self.special_purpose(v, node, text_before)
        if not v.srcs() and text_before and not (v.flag(SANITIZED) or v.flag(HASHED) or v.flag(SCALAR) or v.has(Const)) \
                and not self.named_not_personal(node):
            m = self.vocab.classify_label(text_before)
            note = f"`{self.text(node)}` labelled {m.term!r} in the prompt ({m.category.label})" if m else ""
            if m is None:
                m = self.vocab.classify_purpose(text_before)
                note = f"`{self.text(node)}` introduced as {m.term!r} by the prompt ({m.category.label})" if m else ""
            if m is not None:
                src = self.source(node, self.text(node), m.category.key, "medium", note=note)
                v = Value(v.taints | {src}, v.tags, v.fields)
        return v.plain()

    def messages_purpose(self, node, values: list[Value]) -> list[Value]:
        """`[{"role": "system", "content": "Write a SOAP note from the consultation
        transcript."}, {"role": "user", "content": text}]`, `[SystemMessage(...),
        HumanMessage(content=text)]`, `[("system", "..."), ("user", text)]`: a fixed message
        that names a document about a person says what the other messages' text is."""
        contents = [(i, c) for i, c in enumerate(map(_message_content, node.elts)) if c is not None]
        if len(contents) < 2:
            return values
        # a name's own value: constant text (a system prompt kept in a constant), or whether
        # it was redacted (the message holding it may not say)
        named = {i: self.eval(c) for i, c in contents if isinstance(c, ast.Name)}
        fixed = {i: _fixed_text(c, named.get(i)) for i, c in contents}
        match = next((m for m in map(self.vocab.purpose_in, (t for ts in fixed.values() for t in ts)) if m is not None), None)
        if match is None:
            return values
        out = list(values)
        for i, cnode in contents:
            v = values[i]
            if fixed[i] or any(x.flag(SANITIZED) or x.flag(HASHED) or only_redacted(x.taints)
                               for x in (v, named.get(i, v))):
                continue
            if v.srcs() and not (match.category.special and all(s.category in DOCUMENT_CATEGORIES for s in v.srcs())):
                continue
            parts = _data_parts(cnode)
            if not v.taints and not isinstance(cnode, _DATA_NODES) and not parts:
                continue
            # an f-string's data is what it writes in (`combined_text`), not its whole text
            shown = parts or [cnode]
            expr = ", ".join(self.text(p) for p in shown)
            src = self.source(shown[0], expr, match.category.key, "medium", known=False,
                              note=f"`{expr}` read as {match.term!r}, as another message of the prompt says ({match.category.label})")
            out[i] = Value(v.taints | {src}, v.tags, v.fields)
        return out

    def special_purpose(self, v: Value, node: ast.AST, text_before: str) -> Value:
        """An upload or a transcript the prompt calls a discharge letter or a criminal record
        is Art. 9 / 10 data: the purpose adds what the source alone does not say."""
        if not all(s.category in DOCUMENT_CATEGORIES for s in v.srcs()):
            return v  # a named datum (customer.name) is what it is; only a document is read anew
        m = self.vocab.classify_purpose(text_before)
        if m is None or not m.category.special:
            return v
        src = self.source(node, self.text(node), m.category.key, "medium", known=False,
                          note=f"`{self.text(node)}` introduced as {m.term!r} by the prompt ({m.category.label})")
        return Value(v.taints | {src}, v.tags, v.fields)

    def materialise(self, v: Value, node: ast.AST) -> Value:
        """str()/json.dumps() of a whole person record: all of it becomes text."""
        persons = v.of(Person) + [o for o in v.of(Obj) if self.ctx.class_is_person(o.cls)]
        if not persons or v.flag(SANITIZED):
            return v
        expr = self.text(node)
        src = self.source(node, expr, "record", "medium", note=f"`{expr}` (whole personal record serialised)")
        # its special-category fields go along, and are named (GDPR002): `asdict(patient)`
        # sends `patient.diagnosis`
        special = set()
        owner = node.value if isinstance(node, ast.Attribute) and node.attr in ("__dict__", "_data") else node
        for o in v.of(Obj):
            ci = self.ctx.classes.get(o.cls)
            for fname, cat in sorted(ci.field_categories.items()) if ci is not None else ():
                category = self.vocab.categories.get(cat)
                if category is not None and category.special:
                    field = f"{self.text(owner)}.{fname}"
                    special.add(self.source(node, field, cat, "high", known=plain_reference(owner),
                                            note=f"`{field}` ({category.label}) in the record serialised"))
        return Value(v.taints | {src} | special, v.tags, v.fields)

    def e_BinOp(self, node: ast.BinOp) -> Value:
        left = self.eval(node.left)
        right = self.eval(node.right)
        if isinstance(node.op, ast.BitOr):
            piped = surfaces.pipe(left, right, node)  # `prompt | model | parser`
            if piped is not None:
                return piped
            return Value(left.taints | right.taints, left.tags | right.tags)
        if isinstance(node.op, ast.Mod) and left.has(Const):
            return self.percent_format(left, node.left, node.right, right)
        if isinstance(node.op, ast.Add):
            if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                right = self.interpolate(right, node.right, node.left.value)
            else:
                right = self.materialise(right, node.right) if left.has(Const) else right
            return join(left.plain(), right.plain()).with_tags(*((SCALAR_FLAG,) if left.flag(SCALAR) and right.flag(SCALAR) else ()))
        if left.flag(SCALAR) and right.flag(SCALAR):
            return SCALAR_VALUE
        if isinstance(node.op, ast.Div):  # Path("data") / "anonymised": a path to redacted data
            read = self.location_read("joinpath", left, [right], [])
            if read is not None:
                return read
        return join(left.plain(), right.plain())

    def percent_format(self, tmpl: Value, tmpl_node: ast.AST, args_node: ast.AST, args: Value) -> Value:
        text = next(iter(tmpl.of(Const)[0].strings), "")
        chunks = text.split("%")
        if isinstance(args_node, ast.Tuple):
            out = [tmpl.plain()]
            for i, elt in enumerate(args_node.elts):
                v = self.eval(elt)
                before = chunks[i] if i < len(chunks) else ""
                out.append(self.interpolate(v, elt, before))
            return join_all(out)
        if isinstance(args_node, ast.Dict) or args.fields is not None:
            return join(tmpl.plain(), args.plain())
        return join(tmpl.plain(), self.interpolate(args, args_node, chunks[0] if chunks else ""))

    def e_BoolOp(self, node: ast.BoolOp) -> Value:
        return join_all(self.eval(v) for v in node.values)

    def e_IfExp(self, node: ast.IfExp) -> Value:
        self.eval(node.test)
        return join(self.eval(node.body), self.eval(node.orelse))

    def e_Compare(self, node: ast.Compare) -> Value:
        self.eval(node.left)
        for c in node.comparators:
            self.eval(c)
        return SCALAR_VALUE

    def e_UnaryOp(self, node: ast.UnaryOp) -> Value:
        v = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return SCALAR_VALUE
        return v

    def e_Await(self, node: ast.Await) -> Value:
        return self.eval(node.value)

    def e_Yield(self, node: ast.Yield) -> Value:
        """A generator's output is what it yields: `for text in gen(...)` sees it."""
        if node.value is not None:
            v = self.eval(node.value)
            self.ret = join(self.ret, v.extend(self.step(node, f"yielded from `{self.func.qualname if self.func else '<module>'}()`")))
        return EMPTY

    def e_YieldFrom(self, node: ast.YieldFrom) -> Value:
        v = self.element(self.eval(node.value))
        self.ret = join(self.ret, v.extend(self.step(node, f"yielded from `{self.func.qualname if self.func else '<module>'}()`")))
        return EMPTY

    def e_NamedExpr(self, node: ast.NamedExpr) -> Value:
        v = self.eval(node.value)
        self.assign(node.target, v, node.value)
        return v

    def e_Starred(self, node: ast.Starred) -> Value:
        return self.eval(node.value)

    def e_Lambda(self, node: ast.Lambda) -> Value:
        """A lambda is a function returning its body (`build = lambda c: f"Write to {c.email}"`)."""
        fdef = ast.FunctionDef(name="<lambda>", args=node.args, body=[ast.Return(value=node.body)],
                               decorator_list=[], returns=None, type_comment=None)
        if hasattr(fdef, "type_params"):
            fdef.type_params = []
        ast.copy_location(fdef, node)
        ast.copy_location(fdef.body[0], node.body)
        fi = self.ctx.define_function(self.module, fdef, self, cls=None)
        held = getattr(fi.node.body[0], "value", None)
        if fi.node is not fdef and (held is None or (held.lineno, held.col_offset) != (node.body.lineno, node.body.col_offset)):
            # another lambda on the same line holds the name: not followed (by position: the
            # enclosing body may have been parsed again since, pipeline/bodies.py)
            return EMPTY
        if self.func is not None:  # analysed now, with this frame as its closure
            self.ctx.summary(fi)
        return Value(tags=frozenset({Func(fi.key)}))

    def e_Slice(self, node: ast.Slice) -> Value:
        for part in (node.lower, node.upper, node.step):
            self.eval(part)
        return EMPTY

    def e_List(self, node) -> Value:
        values = [self.eval(e) for e in node.elts]
        if len(values) > 1:
            values = self.messages_purpose(node, values)
        consts = [next(iter(v.of(Const)[0].strings)) for v in values if v.has(Const) and len(v.of(Const)[0].strings) == 1]
        out = join_all(v.plain() if not v.has(Person) else v for v in values)
        if values and len(consts) == len(values):
            out = out.with_tags(Const(frozenset(consts)))
        # records stay records; functions stay functions (`tools = [lookup, search]`: an agent's)
        keep = [t for v in values for t in v.tags if isinstance(t, (Person, Obj, Func))]
        if keep:
            out = out.with_tags(*keep)
        return Value(out.taints, frozenset(t for t in out.tags if t != SCALAR_FLAG), None)

    e_Tuple = e_List
    e_Set = e_List

    def e_Dict(self, node: ast.Dict) -> Value:
        fields: dict[str, Value] | None = {}
        taints: set = set()
        for k, vnode in zip(node.keys, node.values):
            v = self.eval(vnode)
            if k is None:  # {**base}
                taints |= v.taints
                if v.fields is not None and fields is not None:
                    fields.update(dict(v.fields))
                else:
                    fields = None
                continue
            kv = self.eval(k)
            if isinstance(k, ast.Constant) and isinstance(k.value, str):
                v = self.key_evidence(k.value, v, vnode)
                if fields is not None:
                    fields[k.value] = v
            else:
                taints |= kv.taints
                fields = None
            taints |= v.taints
        return Value(frozenset(taints), frozenset(), tuple(fields.items()) if fields is not None else None)

    def comprehension(self, generators: list[ast.comprehension], elts: list[ast.AST]) -> Value:
        saved = self.env
        self.env = dict(saved)
        self.comprehension_depth += 1
        try:
            for gen in generators:
                it = self.eval(gen.iter)
                self.assign(gen.target, self.element(it), gen.iter, note="iterated into")
                for cond in gen.ifs:
                    self.eval(cond)
            return join_all(self.eval(e) for e in elts)
        finally:
            self.comprehension_depth -= 1
            self.env = saved

    def e_ListComp(self, node) -> Value:
        v = self.comprehension(node.generators, [node.elt])
        return Value(v.taints, frozenset(t for t in v.tags if isinstance(t, (Person, Obj, Flag)) and t != SCALAR_FLAG))

    e_SetComp = e_ListComp
    e_GeneratorExp = e_ListComp

    def e_DictComp(self, node) -> Value:
        v = self.comprehension(node.generators, [node.key, node.value])
        return Value(v.taints)

    def any_entry(self, d: Value) -> Value:
        """`TOOLS[name]`, `TOOLS.get(name)` with a computed key: any of the values, the
        functions of a dispatch table included (a tool the model chose), and the library
        objects of one (`HANDLERS = {"chat": client.chat.completions.create, ...}`)."""
        callables = [t for _, fv in d.fields or () for t in fv.tags
                     if isinstance(t, (Func, Partial, Cls)) or surfaces.owns(t)]
        return self.element(d).with_tags(*callables)

    def element(self, it: Value) -> Value:
        """The value of one element of an iterable."""
        tags = [t for t in it.tags if isinstance(t, (Person, Obj, Const, Flag))]
        taints = it.taints
        if it.fields is not None:
            for _, fv in it.fields:
                taints = taints | fv.taints
        return Value(taints, frozenset(tags))


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# LangChain message classes and roles of (role, text) pairs, for messages_purpose (and
# parameters named after the roles whose messages they fill, Functions.bind_parameters)
CHAT_ROLES = frozenset({"system", "developer", "user", "human", "assistant", "ai"})


# what a message's text can be read from: data that comes from somewhere
_DATA_NODES = (ast.Name, ast.Attribute, ast.Subscript, ast.Call)


def _fixed_text(cnode: ast.AST, value: Value | None) -> tuple[str, ...]:
    """The text of a message that is fixed: a literal, or a name (`value`: what it holds)
    bound to constant text (`SystemMessage(content=SYSTEM_PROMPT)`, the usual way to keep a
    system prompt)."""
    if isinstance(cnode, ast.Constant):
        return (cnode.value,) if isinstance(cnode.value, str) else ()
    if value is not None and not value.taints:
        return tuple(t for c in value.of(Const) for t in c.strings if isinstance(t, str))
    return ()


def _data_parts(node: ast.AST) -> list[ast.AST]:
    """What an f-string writes into its text from a name, attribute, item or call
    (`f"DOCUMENTS:\n{combined_text}"`)."""
    if not isinstance(node, ast.JoinedStr):
        return []
    return [p.value for p in node.values if isinstance(p, ast.FormattedValue) and isinstance(p.value, _DATA_NODES)]


def _message_content(elt: ast.AST) -> ast.AST | None:
    """The text node of one chat message written in place: a dict's "content", a
    `SystemMessage(content=...)`, or a `("system", text)` pair."""
    if isinstance(elt, ast.Dict):
        return next((v for k, v in zip(elt.keys, elt.values)
                     if isinstance(k, ast.Constant) and k.value == "content"), None)
    if isinstance(elt, ast.Call):
        name = elt.func.attr if isinstance(elt.func, ast.Attribute) else getattr(elt.func, "id", "")
        if name.endswith("Message") and name != "Message":
            return next((k.value for k in elt.keywords if k.arg == "content"), elt.args[0] if elt.args else None)
        return None
    if isinstance(elt, ast.Tuple) and len(elt.elts) == 2 and isinstance(elt.elts[0], ast.Constant) \
            and elt.elts[0].value in CHAT_ROLES:
        return elt.elts[1]
    return None


@lru_cache(maxsize=16384)
def _text_constant(text: str) -> Value:
    """A string literal without personal data: the same immutable value wherever it is read."""
    return Value(tags=frozenset({Const(frozenset({text}))}))
