"""The abstract interpreter: runs one function (or module) body over abstract
values, flow-sensitively, and records where personal data reaches an OpenAI request.

Branches are interpreted separately and joined, so a redaction on one branch
only, or a redacted copy that is not the value sent, still leaks. Calls to
project functions apply that function's summary, which is how data crosses helper
functions and modules. Everything beyond the body being run (other modules,
classes, summaries) the frame reaches through analysis/context.py; what a library's
objects do (clients, models, requests) it asks the surfaces (surfaces/registry.py).
"""

from __future__ import annotations

import ast
import builtins
import re

from gdpr_lint.analysis.literals import find_personal_literals
from gdpr_lint.analysis.models import library_models
from gdpr_lint.model import FlowStep
from gdpr_lint.surfaces import registry as surfaces
from gdpr_lint.analysis.values import (
    EMPTY, HASHED, SANITIZED, SCALAR, Client, Cls, Const, Env, Ext, Flag, Func, Guess, Imported, Inst, LangChain,
    Mod, Obj, Par, Partial, Person, Protected, Red, Res, Src, Value, join, join_all, redacted,
)
from gdpr_lint.analysis.vocabulary import tokenize

from gdpr_lint.analysis.context import AnalysisContext
from gdpr_lint.analysis.program.symbols import ClassInfo, FunctionInfo, ModuleInfo
from gdpr_lint.analysis.summaries import Hit, ParamSink, strip_params

BUILTIN_NAMES = frozenset(dir(builtins))

_DATA_FILE = re.compile(r"([\w-]+)\.(?:csv|tsv|jsonl?|ndjson|xlsx?|parquet|txt|xml|pdf|docx?)\b", re.I)
_SQL_SELECT = re.compile(r"\s*select\s+(?:distinct\s+)?(.+?)\s+from\s+([\w.\"`\[\]]+)", re.I | re.S)
# How outside calls carry data (rules/library_models.toml)
MODELS = library_models()


API_TAGS = (Client, Res, Guess, LangChain, Protected, Func, Cls, Mod, Partial)


class Frame:
    def __init__(self, ctx: AnalysisContext, module: ModuleInfo, func: FunctionInfo | None = None,
                 parent: "Frame | None" = None, env: dict | None = None) -> None:
        self.ctx = ctx
        self.module = module
        self.src = module.source
        self.func = func
        self.parent = parent
        self.env: dict[str, Value] = env if env is not None else {}
        self.ret = EMPTY
        self.sinks: list[ParamSink] = []
        self.mutations: dict[int, Value] = {}
        self.hits: list[Hit] = []
        self.comprehension_depth = 0
        self.current_stmt: ast.stmt | None = None  # the simple statement being interpreted
        self.vocab = ctx.vocab
        self.scope = func.key if func else f"{module.name}:<module>"
        self.param_index = {p: i for i, p in enumerate(func.param_names)} if func else {}

    # ------------------------------------------------------------------ helpers

    def step(self, node: ast.AST, note: str) -> FlowStep:
        line = getattr(node, "lineno", 1)
        return FlowStep(self.src.display, line, self.src.column(line, getattr(node, "col_offset", 0)), note)

    def text(self, node: ast.AST) -> str:
        return self.module.segment(node)

    def lookup(self, name: str) -> Value:
        f: Frame | None = self
        while f is not None:
            v = f.env.get(name)
            if v is not None:
                if v.has(Imported):
                    v = f.env[name] = self.ctx.resolve_imported(v)
                return v
            f = f.parent
        g = self.module.globals.get(name)
        if self.module.state == "collecting" and self.func is not None \
                and not self.ctx.final_global(self.module, name):
            self.ctx.touch(("p", self.module.name))  # this summary is provisional
        if g is None and (self.module.state != "ready" or self.module.deferred) or name in self.module.lazy_names:
            g = self.ctx.global_value(self.module, name)
        if g is not None:
            if g.has(Imported):
                g = self.module.globals[name] = self.ctx.resolve_imported(g)
            return g
        if name in BUILTIN_NAMES:
            return Value(tags=frozenset({Ext("builtins." + name)}))
        return EMPTY

    def source(self, node: ast.AST, expr: str, category: str, confidence: str, note: str | None = None,
               known: bool = True) -> Src:
        cat = self.vocab.categories.get(category)
        label = cat.label if cat else category
        return Src(expr=expr, category=category, confidence=confidence,
                   origin=self.step(node, note or f"`{expr}` ({label})"),
                   scope=self.scope, known=expr if known and self.comprehension_depth == 0 else None)

    def emit(self, site: str, kind: str, param: str, lab, scope: str, via: str = "") -> None:
        """Data reaching a request parameter: a hit for concrete data, a summary sink for a
        parameter of this function. Redacted data (`via` a sanitizer) is a protected flow."""
        if isinstance(lab, Red):
            via, lab = lab.via, lab.inner
        if isinstance(lab, Src):
            self.hits.append(Hit(site, kind, param, lab, scope, via))
        else:
            self.sinks.append(ParamSink(site, kind, param, lab, via))

    def where(self, node: ast.AST) -> str:
        """`path:line` of a node, as client configurations record it."""
        return f"{self.src.display}:{getattr(node, 'lineno', 1)}"

    # ------------------------------------------------------------------ statements

    def run_block(self, stmts: list[ast.stmt]) -> bool:
        """Interpret statements; True when the block always leaves (return/raise/...)."""
        for s in stmts:
            if self.stmt(s):
                return True
        return False

    def branch(self, stmts: list[ast.stmt]) -> tuple[dict, bool]:
        saved = self.env
        self.env = dict(saved)
        try:
            done = self.run_block(stmts)
            return self.env, done
        finally:
            self.env = saved

    def merge(self, envs: list[dict]) -> None:
        if not envs:
            return
        keys = set().union(*envs)
        merged = {}
        for k in keys:
            vals = [e[k] for e in envs if k in e]
            merged[k] = join_all(vals)
        # in place: a module frame's env is the module's globals dict
        self.env.clear()
        self.env.update(merged)

    def stmt(self, node: ast.stmt) -> bool:
        if not isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith,
                                 ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or isinstance(node, (ast.With, ast.AsyncWith)):
            self.current_stmt = node
        method = getattr(self, "s_" + type(node).__name__, None)
        if method is None:
            return False
        return bool(method(node))

    def s_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            return  # docstring
        self.eval(node.value)

    def s_Assign(self, node: ast.Assign) -> None:
        value = self.eval(node.value)
        for target in node.targets:
            self.assign(target, value, node.value)

    def s_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            value = self.eval(node.value)
        else:
            value = EMPTY
        ann = self.annotation_value(node.annotation)
        if ann.tags and isinstance(node.target, ast.Name):
            value = value.with_tags(*ann.tags)
        if node.value is not None or ann.tags:
            self.assign(node.target, value, node.value or node)

    def s_AugAssign(self, node: ast.AugAssign) -> None:
        value = self.eval(node.value)
        if isinstance(node.target, ast.Name):
            old = self.lookup(node.target.id)
            self.assign(node.target, join(old.plain() if not old.has(Const) else EMPTY, value.plain()), node.value)
        else:
            self.update_target(node.target, value, node)

    def s_Return(self, node: ast.Return) -> bool:
        if node.value is not None:
            v = self.eval(node.value)
            self.ret = join(self.ret, v.extend(self.step(node, f"returned from `{self.func.qualname if self.func else '<module>'}()`")))
        return True

    def s_Raise(self, node: ast.Raise) -> bool:
        if node.exc is not None:
            self.eval(node.exc)
        return True

    def s_Continue(self, node) -> bool:
        return True

    def s_Break(self, node) -> bool:
        return True

    def s_If(self, node: ast.If) -> None:
        self.eval(node.test)
        a, done_a = self.branch(node.body)
        b, done_b = self.branch(node.orelse)
        envs = [e for e, d in ((a, done_a), (b, done_b)) if not d]
        if not envs:
            self.merge([a, b])
            return True
        self.merge(envs)

    def _loop(self, node, bind) -> None:
        pre = dict(self.env)
        for _ in range(2):  # a second pass carries what the first iteration added
            bind()
            body_env, _ = self.branch(node.body)
            self.merge([pre, body_env])
            if self.env == pre:
                break
            pre = dict(self.env)
        if node.orelse:
            self.run_block(node.orelse)

    def s_For(self, node: ast.For) -> None:
        it = self.eval(node.iter)
        elem = self.element(it)
        self._loop(node, lambda: self.assign(node.target, elem, node.iter, note="iterated into"))

    s_AsyncFor = s_For

    def s_While(self, node: ast.While) -> None:
        self.eval(node.test)
        self._loop(node, lambda: None)

    def s_With(self, node: ast.With) -> None:
        for item in node.items:
            v = self.eval(item.context_expr)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, v, item.context_expr)
        return self.run_block(node.body)

    s_AsyncWith = s_With

    def s_Try(self, node: ast.Try) -> None:
        pre = dict(self.env)
        body_env, body_done = self.branch(node.body + node.orelse)
        envs = [] if body_done else [body_env]
        for handler in node.handlers:
            self.merge([pre, body_env])
            if handler.name:
                self.env[handler.name] = EMPTY
            h_env, h_done = self.branch(handler.body)
            if not h_done:
                envs.append(h_env)
        self.merge(envs or [pre, body_env])
        if node.finalbody:
            return self.run_block(node.finalbody)
        return not envs

    s_TryStar = s_Try

    def s_Match(self, node) -> None:
        self.eval(node.subject)
        envs = [self.env]
        for case in node.cases:
            e, done = self.branch(case.body)
            if not done:
                envs.append(e)
        self.merge(envs)

    def s_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            if isinstance(t, ast.Name):
                self.env.pop(t.id, None)

    def s_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.env[alias.asname] = Value(tags=frozenset({Imported(alias.name, None)}))
            else:
                top = alias.name.split(".")[0]
                self.env[top] = Value(tags=frozenset({Imported(top, None)}))

    def s_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self.ctx.resolve_relative(self.module, node.module, node.level)
        for alias in node.names:
            if alias.name == "*":
                self.env.update(self.ctx.star_import(base))
                continue
            self.env[alias.asname or alias.name] = Value(tags=frozenset({Imported(base, alias.name)}))

    def s_FunctionDef(self, node: ast.FunctionDef) -> None:
        fi = self.ctx.define_function(self.module, node, self, cls=None)
        self.env[node.name] = Value(tags=frozenset({Func(fi.key)}))
        if self.func is not None:  # nested function: analyse now, with this frame as closure
            self.ctx.summary(fi)

    s_AsyncFunctionDef = s_FunctionDef

    def s_ClassDef(self, node: ast.ClassDef) -> None:
        ci = self.ctx.define_class(self.module, node, self)
        self.env[node.name] = Value(tags=frozenset({Cls(ci.key)}))

    def s_Global(self, node) -> None:
        return None

    # ------------------------------------------------------------------ binding

    def assign(self, target: ast.expr, value: Value, value_node: ast.AST, note: str = "assigned to") -> None:
        if isinstance(target, ast.Name):
            self.bind_name(target.id, value, target, note)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value_node, (ast.Tuple, ast.List)) and len(value_node.elts) == len(target.elts) \
                    and not any(isinstance(e, ast.Starred) for e in target.elts):
                for t, vn in zip(target.elts, value_node.elts):
                    self.assign(t, self.eval(vn), vn, note)
            else:
                elem = value if value.fields is None else self.element(value)
                for t in target.elts:
                    self.assign(t.value if isinstance(t, ast.Starred) else t, elem, value_node, note)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, value_node, note)
        elif isinstance(target, ast.Attribute):
            self.set_attribute(target, value)
        elif isinstance(target, ast.Subscript):
            self.set_item(target, value)

    def bind_name(self, name: str, value: Value, node: ast.AST, note: str = "assigned to") -> None:
        if value.taints:
            value = value.extend(self.step(node, f"{note} `{name}`"))
        value = self.name_evidence(name, value, node)
        self.env[name] = value

    def name_evidence(self, name: str, value: Value, node: ast.AST) -> Value:
        """A variable's own name is evidence: `email = fetch()` holds an e-mail address."""
        if value.flag(SANITIZED) or value.flag(HASHED) or value.flag(SCALAR) or value.has(Const):
            return value
        if any(isinstance(t, API_TAGS) for t in value.tags):
            return value
        toks = tokenize(name)
        kind = self.vocab.owner_kind(toks)
        if kind == "person" and not value.has(Person):
            value = value.with_tags(Person(name))
        if not value.srcs():
            m = self.vocab.classify(toks)
            if m is not None and (m.category.content or m.category.direct_identifier) \
                    and (m.confidence == "high" or len(toks) == 1):
                value = Value(value.taints | {self.source(node, name, m.category.key, "medium")}, value.tags, value.fields)
        return value

    def set_attribute(self, target: ast.Attribute, value: Value) -> None:
        recv = self.eval(target.value)
        for obj in recv.of(Obj):
            self.ctx.class_attr_set(obj.cls, target.attr, strip_params(value))
        if isinstance(target.value, ast.Name) and not recv.has(Obj):
            # attribute on a local object: the object now carries the data
            self.update_target(target.value, value.plain(), target)

    def set_item(self, target: ast.Subscript, value: Value) -> None:
        base_node = target.value
        key = target.slice
        if isinstance(base_node, ast.Name):
            old = self.lookup(base_node.id)
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and (old.fields is not None or old == EMPTY):
                fields = dict(old.fields or ())
                fields[key.value] = value
                new = Value(old.taints | value.taints, old.tags, tuple(fields.items()))
            else:
                new = Value(old.taints | value.taints, old.tags, None)
            if value.taints:
                new = new.extend(self.step(target, f"stored in `{self.text(target)}`"))
            self.env[base_node.id] = new
            self.note_mutation(base_node.id, value)
        else:
            self.update_target(base_node, value, target)

    def update_target(self, node: ast.expr, value: Value, where: ast.AST) -> None:
        """A weak update: `target` now also holds `value` (append, +=, d[k] = v ...)."""
        if not value.taints:
            return
        if isinstance(node, ast.Name):
            old = self.lookup(node.id)
            extended = value.extend(self.step(where, f"added to `{node.id}`"))
            self.env[node.id] = Value(old.taints | extended.taints, old.tags, None)
            self.note_mutation(node.id, value)
        elif isinstance(node, ast.Attribute):
            recv = self.eval(node.value)
            for obj in recv.of(Obj):
                self.ctx.class_attr_set(obj.cls, node.attr, strip_params(value))
            if isinstance(node.value, ast.Name):
                self.update_target(node.value, value, where)
        elif isinstance(node, ast.Subscript):
            self.update_target(node.value, value, where)

    def note_mutation(self, name: str, value: Value) -> None:
        idx = self.param_index.get(name)
        if idx is not None:
            self.mutations[idx] = join(self.mutations.get(idx, EMPTY), value.plain())

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
            taints = frozenset(
                self.source(node, _shorten(text), cat, "medium", note=f"literal {_shorten(text)!r} ({self.vocab.categories[cat].label})", known=False)
                for cat, text in found)
            return Value(taints, frozenset({Const(frozenset({v}))}))
        if isinstance(v, (int, float, complex, bool)) or v is None:
            return Value(tags=frozenset({Flag(SCALAR)}))
        return EMPTY

    def e_Name(self, node: ast.Name) -> Value:
        return self.lookup(node.id)

    def e_JoinedStr(self, node: ast.JoinedStr) -> Value:
        parts: list[Value] = []
        before = ""
        for piece in node.values:
            if isinstance(piece, ast.Constant):
                before += str(piece.value)
                parts.append(self.e_Constant(piece).plain())
                continue
            if isinstance(piece, ast.FormattedValue):
                v = self.eval(piece.value)
                if piece.format_spec is not None:
                    self.eval(piece.format_spec)
                parts.append(self.interpolate(v, piece.value, before))
                before = ""
        return join_all(parts)

    def interpolate(self, v: Value, node: ast.AST, text_before: str) -> Value:
        """A value written into text: records become text, and the label before it is evidence."""
        v = self.materialise(v, node)
        if not v.srcs() and text_before and not (v.flag(SANITIZED) or v.flag(HASHED) or v.flag(SCALAR) or v.has(Const)) \
                and not self.named_not_personal(node):
            m = self.vocab.classify_label(text_before)
            if m is not None:
                src = self.source(node, self.text(node), m.category.key, "medium",
                                  note=f"`{self.text(node)}` labelled {m.term!r} in the prompt ({m.category.label})")
                v = Value(v.taints | {src}, v.tags, v.fields)
        return v.plain()

    def named_not_personal(self, node: ast.AST) -> bool:
        """`product_name`, `company.address`, `row["file_name"]`: the name itself rules it out."""
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
            self.vocab.owner_kind(toks) == "thing" or self.vocab.owner_kind(owner) == "thing"

    def materialise(self, v: Value, node: ast.AST) -> Value:
        """str()/json.dumps() of a whole person record: all of it becomes text."""
        persons = v.of(Person) + [o for o in v.of(Obj) if self.ctx.class_is_person(o.cls)]
        if not persons or v.flag(SANITIZED):
            return v
        expr = self.text(node)
        src = self.source(node, expr, "record", "medium", note=f"`{expr}` (whole personal record serialised)")
        return Value(v.taints | {src}, v.tags, v.fields)

    def e_BinOp(self, node: ast.BinOp) -> Value:
        left = self.eval(node.left)
        right = self.eval(node.right)
        if isinstance(node.op, ast.BitOr):
            lcs = left.of(LangChain) + right.of(LangChain)
            if lcs:
                return Value(left.taints | right.taints, frozenset({LangChain("chain", lcs[0].qualname)}))
            return Value(left.taints | right.taints, left.tags | right.tags)
        if isinstance(node.op, ast.Mod) and left.has(Const):
            return self.percent_format(left, node.left, node.right, right)
        if isinstance(node.op, ast.Add):
            if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                right = self.interpolate(right, node.right, node.left.value)
            else:
                right = self.materialise(right, node.right) if left.has(Const) else right
            return join(left.plain(), right.plain()).with_tags(*(t for t in left.tags | right.tags if t == Flag(SCALAR)) if left.flag(SCALAR) and right.flag(SCALAR) else ())
        if left.flag(SCALAR) and right.flag(SCALAR):
            return Value(tags=frozenset({Flag(SCALAR)}))
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
        return Value(tags=frozenset({Flag(SCALAR)}))

    def e_UnaryOp(self, node: ast.UnaryOp) -> Value:
        v = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return Value(tags=frozenset({Flag(SCALAR)}))
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
        return EMPTY

    def e_Slice(self, node: ast.Slice) -> Value:
        for part in (node.lower, node.upper, node.step):
            self.eval(part)
        return EMPTY

    def e_List(self, node) -> Value:
        values = [self.eval(e) for e in node.elts]
        consts = [next(iter(v.of(Const)[0].strings)) for v in values if v.has(Const) and len(v.of(Const)[0].strings) == 1]
        out = join_all(v.plain() if not v.has(Person) else v for v in values)
        if values and len(consts) == len(values):
            out = out.with_tags(Const(frozenset(consts)))
        keep = [t for v in values for t in v.tags if isinstance(t, (Person, Obj))]
        if keep:
            out = out.with_tags(*keep)
        return Value(out.taints, frozenset(t for t in out.tags if t != Flag(SCALAR)), None)

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

    def key_evidence(self, key: str, v: Value, node: ast.AST) -> Value:
        """`{"email": x}`: the key says what x is when nothing else does."""
        if not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.JoinedStr)):
            return v  # a literal or a nested structure (a JSON schema) is not the data itself
        v = self.materialise(v, node) if v.has(Person) else v
        if v.srcs() or v.flag(SANITIZED) or v.flag(HASHED) or v.flag(SCALAR) or v.has(Const):
            return v
        if any(isinstance(t, API_TAGS) for t in v.tags):
            return v
        m = self.vocab.classify(key)
        if m is not None and m.category.content and m.confidence == "high":
            return Value(v.taints | {self.source(node, self.text(node), m.category.key, "medium",
                                                  note=f"`{self.text(node)}` stored under key {key!r} ({m.category.label})")},
                         v.tags, v.fields)
        return v

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
        return Value(v.taints, frozenset(t for t in v.tags if isinstance(t, (Person, Obj, Flag)) and t != Flag(SCALAR)))

    e_SetComp = e_ListComp
    e_GeneratorExp = e_ListComp

    def e_DictComp(self, node) -> Value:
        v = self.comprehension(node.generators, [node.key, node.value])
        return Value(v.taints)

    def element(self, it: Value) -> Value:
        """The value of one element of an iterable."""
        tags = [t for t in it.tags if isinstance(t, (Person, Obj, Const, Flag))]
        taints = it.taints
        if it.fields is not None:
            for _, fv in it.fields:
                taints = taints | fv.taints
        return Value(taints, frozenset(tags))

    # ------------------------------------------------------------------ attributes, subscripts

    def e_Attribute(self, node: ast.Attribute) -> Value:
        recv = self.eval(node.value)
        return self.attribute(recv, node.attr, node)

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
                return Value(frozenset({self.source(node, expr, cat, "high")}))
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

    def attribute(self, recv: Value, attr: str, node: ast.Attribute) -> Value:
        tags: set = set()
        api = False
        for t in recv.tags:
            owned = surfaces.member(self.ctx, t, attr)  # a client, resource or model's member
            if owned is not None:
                api = True
                tags |= owned
                if not isinstance(t, Inst):
                    continue
            if isinstance(t, Ext):
                api = True
                tags.add(Ext(t.qualname + "." + attr))
            elif isinstance(t, Inst):
                api = True
                tags.add(Ext(t.qualname + "#" + attr))
            elif isinstance(t, Mod):
                api = True
                g = self.ctx.module_attr(t.name, attr)
                tags |= g.tags
                recv = Value(recv.taints | g.taints, recv.tags, None)
            elif isinstance(t, Obj):
                api = True
                ci = self.ctx.classes.get(t.cls)
                if ci is not None:
                    member = self.ctx.class_member(ci, attr, recv)
                    if member is not None:
                        tags |= member.tags
                        recv = Value(recv.taints | member.taints, recv.tags, None)
            elif isinstance(t, Cls):
                api = True
                ci = self.ctx.classes.get(t.key)
                if ci is not None:
                    member = self.ctx.class_member(ci, attr, None)
                    if member is not None:
                        tags |= member.tags
                    else:
                        tags.add(Obj(t.key))  # Model.objects -> rows of Model
        if not api and not recv.has(Person):
            guess = surfaces.guess_member(self.text(node.value), attr)  # `x.chat` on an unresolved x
            if guess is not None:
                tags.add(guess)
        flags = {t for t in recv.tags if isinstance(t, Flag) and t.name in (SANITIZED, HASHED)}
        if attr in ("__dict__", "__slots__", "_data", "_asdict"):
            flags |= {t for t in recv.tags if isinstance(t, (Person, Obj))}
        member = self.classify_member(recv, node.value, attr, node)
        if recv.fields is not None and recv.has(Obj):
            fv = recv.field(attr)  # an instance built with known constructor arguments
            if fv is not None:
                return Value(fv.taints | member.taints, fv.tags | frozenset(member.tags), fv.fields)
        taints = recv.taints | member.taints
        return Value(taints, frozenset(tags | flags | set(member.tags)))

    def e_Subscript(self, node: ast.Subscript) -> Value:
        recv = self.eval(node.value)
        key = node.slice
        keyv = self.eval(key)
        if Ext("os.environ") in recv.tags and isinstance(key, ast.Constant) and isinstance(key.value, str):
            return Value(tags=frozenset({Env(key.value)}))
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            fv = recv.field(key.value)
            if fv is not None:
                return fv
            member = self.classify_member(recv, node.value, key.value, node)
            tags = {t for t in recv.tags if isinstance(t, Flag) and t.name in (SANITIZED, HASHED)}
            return Value(recv.taints | member.taints, frozenset(tags | set(member.tags)))
        if keyv.has(Const) and (isinstance(key, (ast.List, ast.Tuple, ast.Name))):
            out = Value(recv.taints)
            for k in keyv.of(Const)[0].strings:
                out = join(out, self.classify_member(recv, node.value, k, node, f"{self.text(node.value)}[{k!r}]"))
            return out
        if recv.fields is not None:
            return self.element(recv)
        if recv.has(Const) and isinstance(key, ast.Slice):
            return recv.plain()
        tags = [t for t in recv.tags if isinstance(t, (Person, Obj, Flag, LangChain, Client, Res)) and t != Flag(SCALAR)]
        if isinstance(node.ctx, ast.Load) and recv.has(Ext):
            # typing constructs in annotations: Optional[X], list[X]
            tags += list(keyv.tags)
        return Value(recv.taints | (keyv.taints if not isinstance(key, ast.Slice) else frozenset()), frozenset(tags))

    # ------------------------------------------------------------------ calls

    def e_Call(self, node: ast.Call) -> Value:
        recv = None
        if isinstance(node.func, ast.Attribute):
            recv = self.eval(node.func.value)
            fval = self.attribute(recv, node.func.attr, node.func)
        else:
            fval = self.eval(node.func)
        args = [self.eval(a) for a in node.args]
        kwargs: list[tuple[str | None, Value, ast.AST]] = [(k.arg, self.eval(k.value), k.value) for k in node.keywords]
        return self.call(node, fval, recv, args, kwargs)

    def call(self, node: ast.Call, fval: Value, recv: Value | None, args: list[Value],
             kwargs: list[tuple[str | None, Value, ast.AST]]) -> Value:
        ctx = self.ctx
        site = ctx.detect_request(self, node, fval, args, kwargs)
        if site is not None:
            return site
        results: list[Value] = []
        handled = False
        for t in fval.tags:
            if isinstance(t, Ext):
                r = self.call_external(t.qualname, node, args, kwargs, recv)
                if r is not None:
                    results.append(r)
                    handled = True
            elif isinstance(t, Func):
                fi = ctx.functions.get(t.key)
                if fi is not None:
                    qn = f"{fi.module.name}.{fi.qualname}"
                    san = ctx.sanitizers
                    if qn in san.content or qn in san.identity or qn in san.protect \
                            or qn in ctx.extra_sanitizers or fi.name in ctx.extra_sanitizers:
                        # a known sanitizer whose source is part of the analysed project (the
                        # runtime analysed from its own repository, a vendored copy), or a project
                        # function configured in `sanitizers = [...]`
                        results.append(self.call_external(qn, node, args, kwargs, recv) or EMPTY)
                    else:
                        results.append(self.apply(fi, node, args, kwargs, t.bound_self))
                    handled = True
            elif isinstance(t, Cls):
                ci = ctx.classes.get(t.key)
                if ci is not None:
                    results.append(self.instantiate(ci, node, args, kwargs))
                    handled = True
            elif isinstance(t, Partial):
                inner_args = t.func
                results.append(self.call(node, inner_args, None, args, kwargs))
                handled = True
            else:
                other = surfaces.call_member(self, t, node, kwargs)  # client.with_options(...), model.bind_tools(...)
                if other is not None:
                    results.append(other)
                    handled = True
        if handled:
            return join_all(results)
        # An unknown callable or a method on data: the result carries the inputs.
        return self.generic_call(node, recv, args, kwargs)

    def sql_value(self, node: ast.Call) -> Value:
        """`execute("SELECT email, name FROM customers")`: the rows hold what the query selects."""
        if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
            return EMPTY
        m = _SQL_SELECT.match(node.args[0].value)
        if m is None:
            return EMPTY
        columns, table = m.group(1), m.group(2).split(".")[-1].strip('"`[]')
        table_toks = tokenize(table)
        person_table = self.vocab.owner_kind(table_toks) == "person"
        out = EMPTY
        for col in columns.split(","):
            col = re.split(r"\s+as\s+|\s+", col.strip(), flags=re.I)[-1].split(".")[-1].strip('"`[]')
            if col == "*":
                if person_table:
                    out = out.with_tags(Person(table))
                continue
            cm = self.vocab.classify(col, table_toks, "person" if person_table else None)
            if cm is not None and cm.category.content:
                out = Value(out.taints | {self.source(node.args[0], f"{table}.{col}", cm.category.key, cm.confidence,
                                                      note=f"column `{table}.{col}` selected by SQL ({cm.category.label})",
                                                      known=False)}, out.tags)
        return out

    def file_value(self, node: ast.Call) -> Value:
        """`open("patients.csv")`, `pd.read_csv("customer_export.csv")`: a file of personal records."""
        arg = node.args[0]
        if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
            return EMPTY
        m = _DATA_FILE.search(arg.value)
        if m is None:
            return EMPTY
        toks = tokenize(m.group(1))
        if self.vocab.owner_kind(toks) != "person" and not any(t in self.vocab.person_owners for t in toks):
            return EMPTY
        name = m.group(0)
        return Value(frozenset({self.source(arg, name, "record", "medium", known=False,
                                            note=f"file `{name}` (records about people)")}))

    def generic_call(self, node: ast.Call, recv: Value | None, args: list[Value], kwargs) -> Value:
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if node.args and (method or getattr(node.func, "id", "")) in MODELS.file_readers:
            data_file = self.file_value(node)
            if data_file != EMPTY:
                return data_file
        sql = self.sql_value(node) if node.args else EMPTY
        if sql != EMPTY:
            if method in ("execute", "executemany") and isinstance(node.func.value, ast.Name):
                # cursor.execute(sql); cursor.fetchall() - the cursor now yields those rows
                old = self.lookup(node.func.value.id)
                self.env[node.func.value.id] = Value(old.taints | sql.taints, old.tags | sql.tags)
            return sql
        fname = method or getattr(node.func, "id", "")
        if fname in MODELS.renderer_methods and (method is None or recv is None):
            rendered = [self.materialise(a, n) for a, n in zip(args, node.args)]
            rendered += [self.materialise(v, n) for _, v, n in kwargs]
            return join_all(r.plain() for r in rendered)
        if method in MODELS.row_methods and recv is not None and (recv.has(Person) or recv.has(Obj)):
            return Value(recv.taints, frozenset(t for t in recv.tags if isinstance(t, (Person, Obj))))
        if method is not None and recv is not None:
            if method in MODELS.mutator_methods:
                added = join_all([a for a in args] + [v for _, v, _ in kwargs])
                added = self.materialise(added, node) if added.has(Person) else added
                self.update_target(node.func.value, added, node)
                return EMPTY
            if method in ("format", "format_map", "substitute", "safe_substitute"):
                return self.format_call(node, recv, args, kwargs)
            if method in MODELS.renderer_methods:
                # a template rendered with a person record writes (some of) its fields
                rendered = [self.materialise(a, n) for a, n in zip(args, node.args)]
                rendered += [self.materialise(v, n) for _, v, n in kwargs]
                return join_all([recv.plain()] + [r.plain() for r in rendered])
            if method in ("get", "pop", "setdefault") and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                key = node.args[0].value
                fv = recv.field(key)
                if fv is not None:
                    return join(fv, join_all(args[1:]))
                member = self.classify_member(recv, node.func.value, key, node)
                return join_all([Value(recv.taints), member] + args[1:])
            if method in MODELS.serialiser_methods:
                return self.materialise(recv, node.func.value).plain()
            if method.startswith(("get_", "get")) and not node.args and (recv.has(Person) or recv.has(Obj)):
                # a getter on a record: customer.get_full_name(), user.getEmail()
                member = self.classify_member(recv, node.func.value, method[4:] if method.startswith("get_") else method[3:], node)
                if member.taints:
                    return Value(recv.taints | member.taints)
            if method == "join":
                return join_all([recv.plain()] + [self.materialise(a, n) for a, n in zip(args, node.args)]).plain()
            if method in ("items", "values", "keys"):
                fields_taint = join_all(v for _, v in recv.fields) if recv.fields else EMPTY
                return Value(recv.taints | fields_taint.taints, frozenset(t for t in recv.tags if isinstance(t, (Person, Obj))))
            keep = frozenset(t for t in recv.tags if isinstance(t, Flag) and t.name in (SANITIZED, HASHED)) \
                if method in MODELS.keep_mark_methods or not any(a.taints for a in args) else frozenset()
            if method in ("count", "index", "find", "startswith", "endswith", "isdigit", "__len__"):
                return Value(tags=frozenset({Flag(SCALAR)}))
            return Value(join_all([recv.plain()] + [a.plain() for a in args] + [v.plain() for _, v, _ in kwargs]).taints, keep)
        return Value(join_all([a.plain() for a in args] + [v.plain() for _, v, _ in kwargs]).taints)

    def format_call(self, node: ast.Call, tmpl: Value, args: list[Value], kwargs) -> Value:
        """`TEMPLATE.format(name=..., **person)`: placeholders and keywords name the data."""
        import string

        text = next(iter(tmpl.of(Const)[0].strings), "") if tmpl.has(Const) else ""
        out = [tmpl.plain()]
        fields: list[tuple[str, str]] = []  # (field name, literal text before it)
        if text:
            try:
                if isinstance(node.func, ast.Attribute) and node.func.attr in ("substitute", "safe_substitute"):
                    import re
                    pos = 0
                    for m in re.finditer(r"\$\{?([_a-zA-Z][_a-zA-Z0-9]*)\}?", text):
                        fields.append((m.group(1), text[pos:m.start()]))
                        pos = m.end()
                else:
                    for literal, fname, _, _ in string.Formatter().parse(text):
                        if fname is not None:
                            fields.append((fname.split(".")[0].split("[")[0], literal or ""))
            except ValueError:
                fields = []
        before = {name: lit for name, lit in fields}
        for i, (a, anode) in enumerate(zip(args, node.args)):
            lit = before.get(str(i), "") or (fields[i][1] if i < len(fields) and fields[i][0] == "" else "")
            out.append(self.interpolate(a, anode, lit))
        for k, v, vnode in kwargs:
            if k is None:
                out.append(v.plain())
                if v.fields is None and not v.srcs():
                    # **mapping we cannot see into: the template's field names say what it holds
                    for fname, lit in fields:
                        m = self.vocab.classify(fname)
                        if m is None:
                            m = self.vocab.classify_label(lit)
                        if m is not None and m.category.content:
                            out.append(Value(frozenset({self.source(
                                vnode, f"{self.text(vnode)}[{fname!r}]", m.category.key, "medium",
                                note=f"`{self.text(vnode)}` fills template field {{{fname}}} ({m.category.label})",
                                known=False)})))
                continue
            v = self.interpolate(v, vnode, before.get(k, ""))
            if not v.srcs():
                v = self.key_evidence(k, v, vnode)
            out.append(v)
        return join_all(out).plain()

    def call_external(self, q: str, node: ast.Call, args: list[Value], kwargs, recv: Value | None) -> Value | None:
        ctx = self.ctx
        san = ctx.sanitizers
        if q in MODELS.environment_calls and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            return Value(tags=frozenset({Env(node.args[0].value)}))
        if q in san.protect:
            inner = args[0] if args else EMPTY
            return ctx.protect_value(inner)
        if q in san.content or q in ctx.extra_sanitizers or q.split(".")[-1] in ctx.extra_sanitizers:
            return Value(self.redacted_inputs(q, node, args, kwargs), frozenset({Flag(SANITIZED)}))
        if "#" in q:
            cls, method = q.split("#", 1)
            if (cls, method) in san.content_methods:
                return Value(self.redacted_inputs(f"{cls}.{method}", node, args, kwargs), frozenset({Flag(SANITIZED)}))
            return None
        if q in san.identity:
            return Value(self.redacted_inputs(q, node, args, kwargs), frozenset({Flag(HASHED)}))
        built = surfaces.construct(self, q, node, args, kwargs)  # a client or model of a surface
        if built is not None:
            return built
        if q == "functools.partial" and args:
            return Value(tags=frozenset({Partial(args[0], id(node))}))
        if q in MODELS.scalar_calls:
            return Value(tags=frozenset({Flag(SCALAR)}))
        if q in MODELS.serialiser_calls:
            out = [self.materialise(a, n) for a, n in zip(args, node.args)] + [v for _, v, _ in kwargs]
            return join_all(out).plain()
        if q == "builtins.getattr" and len(node.args) >= 2:
            obj = args[0]
            name = args[1]
            if name.has(Const):
                out = Value(obj.taints)
                for s in name.of(Const)[0].strings:
                    out = join(out, self.classify_member(obj, node.args[0], s, node, f"{self.text(node.args[0])}.{s}"))
                return out
            return self.materialise(obj, node.args[0]).plain()
        if q == "string.Template" and args:
            return args[0]
        if q in MODELS.container_calls:
            vals = args + [v for _, v, _ in kwargs]
            keep = [t for v in vals for t in v.tags if isinstance(t, (Person, Obj, Const))]
            return Value(join_all(v.plain() for v in vals).taints, frozenset(keep))
        root = q.split(".")[0]
        if root in MODELS.foreign_roots:
            return Value(join_all(a.plain() for a in args).taints, frozenset({Inst(q)}))
        if root != "builtins" and (q[0].isupper() or q.split(".")[-1][:1].isupper()):
            # probably a class: the instance may have sanitising methods (AnonymizerEngine)
            return Value(join_all([a.plain() for a in args] + [v.plain() for _, v, _ in kwargs]).taints,
                         frozenset({Inst(q)}))
        return None

    def redacted_inputs(self, via: str, node: ast.Call, args: list[Value], kwargs) -> frozenset:
        """What a sanitizer was given, marked as redacted by it (`known=` only names values)."""
        vals = [self.materialise(a, n) for a, n in zip(args, node.args)]
        vals += [self.materialise(v, n) for k, v, n in kwargs if k != "known"]
        return redacted(join_all(vals).taints, via)

    def instantiate(self, ci: ClassInfo, node: ast.Call, args, kwargs) -> Value:
        self_value = Value(tags=frozenset({Obj(ci.key)} | ({Person(self.text(node.func))} if ci.person else set())))
        init = self.ctx.class_method(ci, "__init__")
        if init is not None:
            self.apply(init, node, args, kwargs, self_value)
            return self_value
        # generated constructor (dataclass, attrs, Pydantic, NamedTuple): arguments become fields
        fields: dict[str, Value] = {}
        for name, value in zip(ci.field_order, args):
            fields[name] = value
        for k, v, _ in kwargs:
            if k is not None:
                fields[k] = v
        taints = join_all(v.plain() for v in list(fields.values()) + [v for k, v, _ in kwargs if k is None]).taints
        return Value(taints, self_value.tags, tuple(fields.items()) if fields else None)

    def apply(self, fi: FunctionInfo, node: ast.Call, args: list[Value], kwargs, bound_self: Value | None) -> Value:
        """Apply a project function's summary at this call."""
        ctx = self.ctx
        summ = ctx.summary(fi)
        mapping = ctx.bind_arguments(fi, node, args, kwargs, bound_self)
        name = fi.qualname

        def arg_labels(i: int, par: Par) -> list:
            arg = mapping.get(i)
            if arg is None:
                return []
            step = self.step(node, f"passed to `{name}()` as `{fi.param_names[i]}`")
            return [lab.extend(step, *par.path) for lab in arg.taints]

        def substitute(lab) -> list:
            if isinstance(lab, Par):
                return arg_labels(lab.index, lab)
            if isinstance(lab, Red) and isinstance(lab.inner, Par):
                return list(redacted(arg_labels(lab.inner.index, lab.inner), lab.via))
            return [lab]

        ret_taints = set()
        here = self.step(node, f"returned by the call of `{name}()`")
        for lab in summ.ret.taints:
            if isinstance(lab, Par) or isinstance(lab, Red) and isinstance(lab.inner, Par):
                ret_taints.update(substitute(lab))
            else:
                ret_taints.add(lab.extend(here))
        for ps in summ.sinks:
            for lab in arg_labels(ps.par.index, ps.par):
                self.emit(ps.site, ps.kind, ps.param, lab, ctx.sites[ps.site].function_key, ps.via)
        for i, added in summ.mutations.items():
            if i < len(node.args) and (i - (1 if bound_self is not None and fi.is_method else 0)) >= 0:
                pos = i - (1 if bound_self is not None and fi.is_method else 0)
                if pos < len(node.args):
                    sub = set()
                    for lab in added.taints:
                        sub.update(substitute(lab))
                    self.update_target(node.args[pos], Value(frozenset(sub)), node)
        tags = set(summ.ret.tags)
        if bound_self is not None and fi.name == "__init__":
            tags = set()
        symbolic = summ.ret.pars() or any(isinstance(t, Red) and isinstance(t.inner, Par) for t in summ.ret.taints)
        return Value(frozenset(ret_taints), frozenset(tags), summ.ret.fields if not symbolic else None)

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


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
