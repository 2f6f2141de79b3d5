"""Statements: blocks, branches joined, loops to a fixed point, assignments and the
mutations they make (`messages.append(...)`), imports and definitions.

A part of the interpreter: `Frame` (analysis/frame.py) combines them.
"""

from __future__ import annotations

import ast

from gdpr_lint.analysis.members import attribute_slot
from gdpr_lint.analysis.summaries import strip_params
from gdpr_lint.analysis.values import (
    EMPTY,
    Cls,
    Const,
    Func,
    Imported,
    Obj,
    Src,
    Value,
    join,
    merge_fields,
)


class Statements:
    current_stmt: ast.stmt | None  # the simple statement being interpreted (set by Frame)


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
        # the branches are copies of one env: most names hold the very same value in each,
        # which join returns at once
        merged = dict(envs[0])
        for env in envs[1:]:
            for k, v in env.items():
                have = merged.get(k)
                merged[k] = v if have is None else join(have, v)
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

    def s_Global(self, node: ast.Global) -> None:
        # `global current` in a function: assigning the name stores into the module's global
        if self.func is not None:
            self.stored_globals.update(node.names)

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
            if v.taints:
                v = v.extend(self.step(node, f"returned from `{self.func.qualname if self.func else '<module>'}()`"))
            self.ret = join(self.ret, v)
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

    # ------------------------------------------------------------------ binding

    def assign(self, target: ast.expr, value: Value, value_node: ast.AST, note: str = "assigned to") -> None:
        if isinstance(target, ast.Name):
            self.bind_name(target.id, value, target, note, member=_member_read(value_node))
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value_node, (ast.Tuple, ast.List)) and len(value_node.elts) == len(target.elts) \
                    and not any(isinstance(e, ast.Starred) for e in target.elts):
                for t, vn in zip(target.elts, value_node.elts):
                    self.assign(t, self.eval(vn), vn, note)
            else:
                elem = value if value.fields is None else self.element(value)
                for i, t in enumerate(target.elts):
                    if i == 0 and len(target.elts) == 2 and _items_call(value_node):
                        # `for k, v in asdict(patient).items()`: the keys are a record's field names
                        self.assign(t, _field_names(elem), value_node, note)
                        continue
                    self.assign(t.value if isinstance(t, ast.Starred) else t, elem, value_node, note)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, value_node, note)
        elif isinstance(target, ast.Attribute):
            self.set_attribute(target, value)
        elif isinstance(target, ast.Subscript):
            self.set_item(target, value)

    def bind_name(self, name: str, value: Value, node: ast.AST, note: str = "assigned to",
                  member: str | None = None) -> None:
        if value.taints:
            value = value.extend(self.step(node, f"{note} `{name}`"))
        value = self.name_evidence(name, value, node, member)
        if name in self.stored_globals:
            self.global_store(name, value)
        self.env[name] = value

    def set_attribute(self, target: ast.Attribute, value: Value) -> None:
        recv = self.eval(target.value)
        slot = self.state_key(recv, target.attr)
        if slot is not None:  # `st.session_state.x = v`: read back later in this function
            self.env[slot] = value
            return
        inside = self.on_self(target.value)
        for obj in recv.of(Obj) if inside else ():
            self.ctx.class_attr_set(obj.cls, target.attr, strip_params(value))
        if isinstance(target.value, ast.Name) and recv.has(Obj) and value.pars():
            # `self.data = <what the caller passed>`: the caller's object now carries it
            self.note_mutation(target.value.id, value)
        if isinstance(target.value, ast.Name) and not inside:
            # attribute on a local object: the object now carries the data, and this
            # function reads the attribute back (`ticket.body = ...` then `ticket.body`); an
            # object of a project class filled from outside its class is not joined into the
            # class for every instance of every later analysis
            if recv.has(Obj):
                self.env[attribute_slot(target.value.id, target.attr)] = value
            self.update_target(target.value, value.plain(), target, target.attr)

    def on_self(self, node: ast.expr) -> bool:
        """Whether `node` is the method's own instance (`self`): its stores make the class's
        store; any other object's are this function's own."""
        return (self.func is not None and self.func.is_method and isinstance(node, ast.Name)
                and bool(self.func.param_names) and node.id == self.func.param_names[0])

    def set_item(self, target: ast.Subscript, value: Value) -> None:
        base_node = target.value
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            slot = self.state_key(self.eval(base_node), key.value)
            if slot is not None:  # `session["x"] = v`
                self.env[slot] = value
                return
        else:
            entries = self.state_entries_key(base_node)
            if entries is not None:  # `st.session_state.cache[path] = v`: one more entry
                self.env[entries] = join(self.env.get(entries, EMPTY), value)
                return
        if isinstance(base_node, ast.Name):
            old = self.lookup(base_node.id)
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and (old.fields is not None or old == EMPTY):
                fields = dict(old.fields or ())
                fields[key.value] = value
                new = Value(old.taints | value.taints, old.tags, tuple(fields.items()))
            else:
                new = Value(old.taints | value.taints, old.tags, None)
            if value.taints:
                step = self.step(target, f"stored in `{self.text(target)}`")
                new, value = new.extend(step), value.extend(step)
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                # the item, so that a reader of `G["k"]` gets the object itself (its methods too)
                self.global_store(base_node.id, Value(value.taints, frozenset(), ((key.value, value),)))
            else:
                self.global_store(base_node.id, value)
            self.env[base_node.id] = new
            self.note_mutation(base_node.id, value)
        else:
            self.update_target(base_node, value, target)

    def update_target(self, node: ast.expr, value: Value, where: ast.AST, part: str | None = None) -> None:
        """A weak update: `target` now also holds `value` (append, +=, d[k] = v ...); `part`:
        the attribute of `target` that holds it (`mail.draft = reply`)."""
        if not value.taints:
            return
        if isinstance(node, ast.Name):
            old = self.lookup(node.id)
            extended = value.extend(self.step(where, f"added to `{node.id}`"))
            self.global_store(node.id, extended)
            # the same object with one part more: the parts it was made with stay its own
            fields = merge_fields(old.fields, ((part, value),)) if part is not None and old.fields is not None else None
            self.env[node.id] = Value(old.taints | extended.taints, old.tags, fields)
            self.note_mutation(node.id, value)
        elif isinstance(node, ast.Attribute):
            recv = self.eval(node.value)
            inside = self.on_self(node.value)
            for obj in recv.of(Obj) if inside else ():
                self.ctx.class_attr_set(obj.cls, node.attr, strip_params(value))
            if isinstance(node.value, ast.Name):
                if not inside and recv.has(Obj):
                    slot = attribute_slot(node.value.id, node.attr)
                    self.env[slot] = join(self.env.get(slot, EMPTY), value)
                self.update_target(node.value, value, where, node.attr)
        elif isinstance(node, ast.Subscript):
            self.update_target(node.value, value, where)

    def note_mutation(self, name: str, value: Value) -> None:
        idx = self.param_index.get(name)
        if idx is not None:
            self.mutations[idx] = join(self.mutations.get(idx, EMPTY), value.plain())


def _items_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "items" \
        and not node.args


def _field_names(elem: Value) -> Value:
    """The keys of a dict's items: what it holds, except that a serialised record's keys
    are its field names, not data about the person."""
    return Value(frozenset(lab for lab in elem.taints if not (isinstance(lab, Src) and lab.category == "record")),
                 frozenset(t for t in elem.tags if isinstance(t, Const)))


def _member_read(node: ast.AST) -> str | None:
    """The key or attribute a value is read by (`config["name"]`, `profile.email`): what one
    part of something it is, whatever the name it is then bound to."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return None
