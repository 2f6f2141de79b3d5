"""Members: attributes and subscripts of values - fields of records and rows, class
members, modules' globals, and the objects of a library (asked of the surfaces).

A part of the interpreter: `Frame` (analysis/frame.py) combines them.
"""

from __future__ import annotations

import ast

from gdpr_lint.analysis.values import (
    EMPTY,
    HASHED,
    PENDING,
    SANITIZED,
    SCALAR_FLAG,
    Client,
    Cls,
    Const,
    Env,
    Ext,
    Flag,
    Func,
    Inst,
    LangChain,
    Mod,
    Obj,
    Person,
    Res,
    Runs,
    Src,
    Value,
    item_of,
    join,
    only_redacted,
)
from gdpr_lint.analysis.evidence import settled
from gdpr_lint.analysis.models import library_models
from gdpr_lint.surfaces import registry as surfaces

MODELS = library_models()
# how a decorated function (a LangChain tool, a runnable) is run: `patient_record.invoke(args)`
RUN_METHODS = ("invoke", "ainvoke", "run", "arun")


def attribute_slot(name: str, attr: str) -> str:
    """The frame's name for `name.attr` that this function stored into (statements.py): an
    env key no variable can have."""
    return f"<attr {name}>.{attr}"


class Members:

    # ------------------------------------------------------------------ attributes, subscripts

    def e_Attribute(self, node: ast.Attribute) -> Value:
        recv = self.eval(node.value)
        named = self.attribute(recv, node.attr, node)
        if isinstance(node.value, ast.Name):
            stored = self.env.get(attribute_slot(node.value.id, node.attr))
            if stored is not None:  # `ticket.body = ...` earlier in this function
                return join(named, stored.extend(self.step(node, f"read back from `{self.text(node)}`")))
        return self.stored_state(recv, node.attr, node, named)

    def state_key(self, recv: Value, key: str) -> str | None:
        """The frame's name for `st.session_state.key` / `session["key"]`: a state object's
        member, which the code may store into and read back (None: not one)."""
        if self.func is None:
            return None  # a module frame's env is the module's globals
        for t in recv.tags:
            if isinstance(t, Ext) and t.qualname in MODELS.state_objects:
                return f"<state {t.qualname}>.{key}"
        return None

    def stored_state(self, recv: Value, key: str, node: ast.AST, named: Value) -> Value:
        """A state object's member read after this function stored into it: what was stored,
        and, unless that is a known kind of value, what its name says."""
        slot = self.state_key(recv, key)
        stored = self.env.get(slot) if slot is not None else None
        if stored is None:
            if slot is not None:
                self.state_unset.add(slot)
            return named
        if stored is PENDING:
            return EMPTY
        stored = stored.extend(self.step(node, f"read back from `{self.text(node)}`"))
        known = settled(stored) or stored.has(Obj)
        return stored if known else join(stored, named)

    def state_entries_key(self, container: ast.expr) -> str | None:
        """The frame's name for the entries of a state object's member used as a mapping
        (`st.session_state.cache[path]`, `session["drafts"][draft_id]`), None: not one."""
        if isinstance(container, ast.Attribute):
            slot = self.state_key(self.eval(container.value), container.attr)
        elif isinstance(container, ast.Subscript) and isinstance(container.slice, ast.Constant) \
                and isinstance(container.slice.value, str):
            slot = self.state_key(self.eval(container.value), container.slice.value)
        else:
            return None
        return None if slot is None else slot + "[]"

    def attribute(self, recv: Value, attr: str, node: ast.Attribute) -> Value:
        own = recv  # an instance's own fields (constructor arguments) win over its class's store
        tags: set = set()
        api = False
        for t in recv.tags:
            if isinstance(t, Func) and attr in RUN_METHODS:
                api = True
                tags.add(Runs(t.key))
                continue
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
                    if member is None and (hook := self.ctx.class_method(ci, "__getattr__")) is not None:
                        member = self.ctx.hooked_attribute(hook, attr)  # a proxy: `__getattr__` answers
                    if member is not None:
                        tags |= member.tags
                        recv = Value(recv.taints | member.taints, recv.tags, None)
                    elif attr in MODELS.record_attributes and ci.person and attr not in ci.field_categories:
                        tags |= {t, Person(ci.name)}  # serializer.data, form.cleaned_data: the record
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
        if own.fields is not None and recv.has(Obj):
            fv = own.field(attr)  # an instance built with known constructor arguments
            if fv is not None:
                if fv.flag(SANITIZED) or fv.flag(HASHED) or only_redacted(fv.taints):
                    return fv  # redacted before it was stored: its name makes it personal no more
                return Value(fv.taints | member.taints, fv.tags | frozenset(member.tags), fv.fields)
        taints = recv.taints | member.taints
        if attr in MODELS.upload_members or any(
                isinstance(t, Ext) and t.qualname in MODELS.upload_attributes for t in tags):
            taints = taints | {self.upload_source(node)}
        return Value(taints, frozenset(tags | flags | set(member.tags)))

    def e_Subscript(self, node: ast.Subscript) -> Value:
        recv = self.eval(node.value)
        key = node.slice
        keyv = self.eval(key)
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)) and isinstance(node.ctx, ast.Load):
            entries = self.state_entries_key(node.value)
            if entries is not None:  # `st.session_state.cache[path]`: what this function caches there
                cached = self.env.get(entries)
                if cached is PENDING:
                    return EMPTY
                if cached is not None:
                    return cached.extend(self.step(node, f"read back from `{self.text(node)}`"))
                self.state_unset.add(entries)
        if Ext("os.environ") in recv.tags and isinstance(key, ast.Constant) and isinstance(key.value, str):
            return Value(tags=frozenset({Env(key.value)}))
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            fv = recv.field(key.value)
            if fv is not None:
                return fv
            slot = self.state_key(recv, key.value)
            if slot is not None and slot in self.env:
                return self.stored_state(recv, key.value, node, self.classify_member(recv, node.value, key.value, node))
            member = self.classify_member(recv, node.value, key.value, node)
            tags = {t for t in recv.tags if isinstance(t, Flag) and t.name in (SANITIZED, HASHED)}
            out = Value(item_of(recv.taints, key.value) | member.taints, frozenset(tags | set(member.tags)))
            first = 1 if self.func is not None and self.func.is_method else 0
            if self.func is not None and isinstance(node.value, ast.Name) and len(self.func.param_names) > first \
                    and node.value.id == self.func.param_names[first]:
                # `state["messages"]` in a graph node: what the other nodes put there
                written = self.ctx.state_read(self.func, key.value)
                if written is not None:
                    step = self.step(node, f"from the graph state `{key.value}`")
                    out = Value(out.taints | frozenset(lab.extend(step) for lab in written.taints), out.tags)
            return out
        if keyv.has(Const) and isinstance(key, (ast.List, ast.Tuple)) and (recv.has(Person) or any(
                isinstance(lab, Src) and lab.category == "record" for lab in recv.taints)):
            # df[["plan", "churn"]]: those columns of a table of people, not the whole table
            return self.projection(recv, node.value, sorted(keyv.of(Const)[0].strings), node)
        if keyv.has(Const) and (isinstance(key, (ast.List, ast.Tuple, ast.Name))):
            out = Value(recv.taints)
            for k in keyv.of(Const)[0].strings:
                out = join(out, self.classify_member(recv, node.value, k, node, f"{self.text(node.value)}[{k!r}]"))
            return out
        if recv.fields is not None:
            return self.any_entry(recv)
        if recv.has(Const) and isinstance(key, ast.Slice):
            return recv.plain()
        tags = [t for t in recv.tags if isinstance(t, (Person, Obj, Flag, LangChain, Client, Res)) and t != SCALAR_FLAG]
        if isinstance(node.ctx, ast.Load) and recv.has(Ext):
            # typing constructs in annotations: Optional[X], list[X]
            tags += list(keyv.tags)
        return Value(recv.taints | (keyv.taints if not isinstance(key, ast.Slice) else frozenset()), frozenset(tags))
