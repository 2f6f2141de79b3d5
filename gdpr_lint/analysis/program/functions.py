"""Functions: definitions, parameters (with their annotations and names as evidence),
summaries computed on demand, and arguments bound to parameters at a call.

A part of the whole-program side: `Project` (project.py) combines them.
"""

from __future__ import annotations

import ast
import functools
from typing import Callable

from gdpr_lint.analysis.expressions import CHAT_ROLES
from gdpr_lint.analysis.frame import Frame
from gdpr_lint.analysis.models import library_models
from gdpr_lint.analysis.program.cycles import Solution
from gdpr_lint.analysis.program.symbols import ClassInfo, FunctionInfo, ModuleInfo, decorator_texts, node_fact, walk_nodes
from gdpr_lint.analysis.scrubbers import scrubber_via
from gdpr_lint.analysis.reads import Reads
from gdpr_lint.analysis.summaries import Summary
from gdpr_lint.analysis.values import (
    EMPTY,
    PENDING,
    Cls,
    Const,
    Obj,
    Par,
    Person,
    Value,
    join,
)
from gdpr_lint.pipeline.bodies import KeptBodies


class Functions:
    bodies: KeptBodies | None  # (Project) the run bodies held as trees; None: every body stays

    # ------------------------------------------------------------------ definitions

    def define_function(self, mod: ModuleInfo, node, frame: Frame, cls: ClassInfo | None) -> FunctionInfo:
        prefix = cls.qualname + "." if cls else (frame.func.qualname + ".<locals>." if frame.func else "")
        qualname = prefix + node.name
        key = f"{mod.name}:{qualname}:{node.lineno}"
        existing = self.functions.get(key)
        if existing is not None:
            existing.closure = frame if frame.func is not None else existing.closure
            return existing
        a = node.args
        params = [p.arg for p in a.posonlyargs + a.args]
        if a.vararg:
            params.append(a.vararg.arg)
        params += [p.arg for p in a.kwonlyargs]
        if a.kwarg:
            params.append(a.kwarg.arg)
        decorators = {d.split("(")[0].split(".")[-1] for d in decorator_texts(mod.source.tree, node)}
        is_method = cls is not None and "staticmethod" not in decorators
        fi = FunctionInfo(key, mod, qualname, node, cls, frame if frame.func is not None else None, params, is_method)
        self.functions[key] = fi
        mod.functions.append(fi)
        return fi

    def scrubber(self, fi: FunctionInfo) -> str | None:
        """The `via` of a project function that redacts text by itself (analysis/scrubbers.py),
        or None."""
        self.touch_all({("m", fi.module.name), ("f", fi.key)})
        if fi.redacts is None:
            via = scrubber_via(f"{fi.module.name}.{fi.qualname}", fi.node, fi.module.source.tree,
                               fi.cls.node if fi.cls is not None else None)
            fi.redacts = via or ""
        return fi.redacts or None

    # ------------------------------------------------------------------ summaries

    def bound_frame(self, fi: FunctionInfo) -> Frame:
        """A fresh frame for `fi`'s body with its parameters bound: for its summary, or to
        collect what it stores (class, module-global and graph stores)."""
        frame = Frame(self, fi.module, fi, parent=fi.closure)
        self.bind_parameters(frame, fi)
        return frame

    def bind_parameters(self, frame: Frame, fi: FunctionInfo) -> None:
        a = fi.node.args
        all_args = a.posonlyargs + a.args + ([a.vararg] if a.vararg else []) + a.kwonlyargs + ([a.kwarg] if a.kwarg else [])
        # `def complete(system: str, user: str)`: parameters named after the chat roles whose
        # messages they fill, side by side; `user` is that message's text, not a person (what
        # a caller passes in still counts)
        roles = CHAT_ROLES.intersection(fi.param_names)
        role_texts = roles if len(roles) > 1 else frozenset()
        for i, arg in enumerate(all_args):
            if i == 0 and fi.is_method:
                if "classmethod" in decorator_texts(fi.module.source.tree, fi.node):
                    frame.env[arg.arg] = Value(tags=frozenset({Cls(fi.cls.key)}))
                else:
                    tags = {Obj(fi.cls.key)} | ({Person(fi.cls.name)} if fi.cls.person else set())
                    frame.env[arg.arg] = Value(tags=frozenset(tags))
                continue
            value = Value(taints=frozenset({Par(i, arg.arg)}))
            ann = frame.annotation_value(arg.annotation) if arg.annotation is not None else EMPTY
            value = Value(value.taints, ann.tags)
            if arg is a.vararg or arg is a.kwarg:
                frame.env[arg.arg] = value
                continue
            if arg.arg not in role_texts:
                value = frame.name_evidence(arg.arg, value, arg)
            frame.env[arg.arg] = value

    def summary(self, fi: FunctionInfo) -> Summary:
        s = self.summaries.get(fi.key)
        if s is not None:
            self.touch_all(s.deps)
            return s
        return self._summary_of(fi, fi.key, {}, _every_parameter_returned)

    def specialised_summary(self, fi: FunctionInfo, bindings: dict[int, Value]) -> Summary:
        """The summary of `fi` with parameters bound to what a caller passes that decides where
        a request goes: callables it calls (`call_llm(client.chat.completions.create, prompt)`,
        `with_retry(ask, text)`), clients and models it calls methods on (`ask(llm, prompt)`,
        `self.llm` of an object holding one), an attribute hook's name; the request (or
        helper) is then found inside `fi`."""
        spec = (fi.key, frozenset((i, v.tags, v.fields) for i, v in bindings.items()))
        key = self.specialisations.setdefault(spec, f"{fi.key}|callables:{len(self.specialisations)}")
        s = self.summaries.get(key)
        if s is not None:
            self.touch_all(s.deps)
            return s
        # never touched as ("f", key): its hits reach the caller's frame
        return self._summary_of(fi, key, bindings, self.summary)

    def _summary_of(self, fi: FunctionInfo, key: str, bindings: dict[int, Value],
                    assume: Callable[[FunctionInfo], Summary]) -> Summary:
        """The summary under `key`, not kept yet: worked out now, or, inside a recursive cycle
        (cycles.py), what is known of it so far - `assume(fi)` for one still open."""
        cycles = self.cycles
        solution = cycles.solution
        if solution is not None:
            known = solution.current.get(key)
            if known is not None:
                solution.read.setdefault(key, solution.version[key])
                cycles.used_solution()
                return known
            known = solution.this_round.get(key)
            if known is not None:  # worked out from members' summaries: which, is not kept
                solution.read.update((m, v) for m, v in solution.version.items() if m not in solution.read)
                cycles.used_solution()
                self.touch_all(known.deps)
                return known
        known = cycles.pending.get(key)
        if known is not None:
            cycles.reached(key)
            self.touch_all(known.deps)
            return known
        if key in cycles.index:  # recursion: the summary is still being worked out
            cycles.reached(key)
            return assume(fi)
        return self._summarise(fi, key, bindings)

    def _summarise(self, fi: FunctionInfo, key: str, bindings: dict[int, Value]) -> Summary:
        """Work out the summary kept under `key` (Tarjan's bookkeeping around it: cycles.py)."""
        cycles = self.cycles
        cycles.enter(key, (fi, bindings))
        try:
            s = self._worked_out(fi, bindings)
        except BaseException:
            cycles.reset()
            raise
        done = cycles.leave(key)
        if done is None:  # in a cycle whose root is still open: kept aside until the root is done
            cycles.pending[key] = s
            return s
        group = done
        entries = {k: cycles.entries.pop(k) for k in group}
        if len(group) > 1 and cycles.solution is None:
            for k in group:
                cycles.pending.pop(k, None)  # worked out from an assumption: solved anew
            return self._solve_cycle(entries)[key]
        # no cycle, or a function that calls only itself (entered at one place: worked out
        # the same way in every process); or a cycle met while another is solved, kept as
        # first worked out (rare: the other cycle calls it only through outside functions)
        for k in group:
            self._keep(k, s if k == key else cycles.pending.pop(k))
        return s

    def _keep(self, key: str, s: Summary) -> None:
        solution = self.cycles.solution
        if solution is not None and key in solution.used_by:
            solution.this_round[key] = s  # it used a member's summary of this round
        else:
            self.keep_summary(key, s)

    def _solve_cycle(self, entries: dict[str, tuple[FunctionInfo, dict[int, Value]]]) -> dict[str, Summary]:
        """The summaries of a recursive cycle (a strongly connected group, cycles.py): from
        nothing known, each member in the order of their keys, again while a member it read
        has changed since. A member's summary grows by joins, so this ends; calls among
        members read the current summaries, and another function worked out meanwhile that
        reads one is kept from the last state only."""
        cycles = self.cycles
        order = sorted(entries, key=lambda k: _canonical_key(entries[k][0], entries[k][1]))
        solution = cycles.solution = Solution(current={k: Summary() for k in order}, base=len(cycles.open))
        current, version = solution.current, solution.version
        version.update(dict.fromkeys(order, 0))
        seen: dict[str, dict[str, int]] = {}  # member -> the versions of the members it read
        reads: dict[str, Reads] = {}
        try:
            for _sweep in range(MAX_CYCLE_SWEEPS):
                stale = [k for k in order if k not in seen or any(version[m] != v for m, v in seen[k].items())]
                if not stale:
                    break
                for k in stale:
                    fi, bindings = entries[k]
                    solution.read = {}
                    s = self._worked_out(fi, bindings)
                    seen[k] = solution.read
                    reads[k] = s.deps
                    joined = _joined(current[k], s)
                    if not _same(joined, current[k]):
                        version[k] += 1
                        # what was worked out from the old summary holds no more
                        solution.used_by.clear()
                        solution.this_round.clear()
                    current[k] = joined
        except BaseException:
            cycles.reset()
            raise
        finally:
            cycles.solution = None
        deps = Reads.of(set(reads.values()))
        for k in order:
            current[k].deps = deps
            self.keep_summary(k, current[k])
        for k, s in solution.this_round.items():
            s.deps = Reads.of({s.deps, deps})
            self.keep_summary(k, s)
        self.touch_all(deps)
        return current

    def _worked_out(self, fi: FunctionInfo, bindings: dict[int, Value]) -> Summary:
        """Run `fi`'s body into a summary, the parameters in `bindings` holding the callables
        a caller passes; what it read is its `deps`."""
        rec = self.recording()
        rec.update({("m", fi.module.name), ("f", fi.key)})
        try:
            if fi.cls is not None:
                self.ensure_class_store(fi.cls)
            frame = self._run_body(fi, bindings, {})
            late = [slot for slot in sorted(frame.state_unset) if slot in frame.env]
            if late:
                # A state object outlives the run (a Streamlit rerun, a session's next
                # request): a later run reads back, above the store, what the body stores
                # (`if path in st.session_state.cache: d = cache[path] else: ...; cache[path] = d`).
                # What it stores is worked out with those reads holding nothing yet (not
                # unknown: their names are no evidence), then the body runs with it.
                pending = self._run_body(fi, bindings, dict.fromkeys(late, PENDING))
                frame = self._run_body(fi, bindings, {slot: pending.env[slot] for slot in late
                                                      if pending.env.get(slot, PENDING) is not PENDING})
            s = Summary(ret=frame.ret, sinks=list(frame.sinks.values()), mutations=frame.mutations, hits=frame.hits)
        finally:
            deps = self.stop_recording(rec)
        s.deps = deps
        return s

    def _run_body(self, fi: FunctionInfo, bindings: dict[int, Value], state: dict[str, Value]) -> Frame:
        """A frame that ran `fi`'s body: the parameters in `bindings` holding what a caller
        hands over, the state-object members in `state` holding what an earlier run stored."""
        frame = self.bound_frame(fi)
        for i, v in bindings.items():
            name = fi.param_names[i]
            frame.env[name] = Value(frame.env[name].taints, v.tags, v.fields)
        frame.env.update(state)
        if self.bodies is not None:
            self.bodies.used(fi.node, fi.module.source)
        frame.run_block(fi.node.body)
        return frame

    def called_parameters(self, fi: FunctionInfo) -> frozenset[int]:
        """The parameters `fi` calls (`def call_llm(fn, prompt): return fn(...)`)."""
        if fi.called_params is None:
            _note_call_parameters(fi)
        return fi.called_params

    def hooked_attribute(self, hook: FunctionInfo, attr: str) -> Value | None:
        """What an attribute hook (`__getattr__(self, name)` of a class, `__getattr__(name)` of a
        module) gives for `attr`: its body run with the name known (a lazy loader's
        `getattr(importlib.import_module("litellm"), name)` is `litellm.<attr>`)."""
        index = 1 if hook.is_method else 0
        if len(hook.param_names) <= index:
            return None
        summ = self.specialised_summary(hook, {index: Value(tags=frozenset({Const(frozenset({attr}))}))})
        return Value(tags=summ.ret.tags) if summ.ret.tags else None

    def receiver_parameters(self, fi: FunctionInfo) -> frozenset[int]:
        """The parameters `fi` calls a method on (`def ask(llm, q): return llm.invoke(q)`,
        `client.chat.completions.create(...)`, `llm.bind_tools(t).invoke(...)`)."""
        if fi.receiver_params is None:
            _note_call_parameters(fi)
        return fi.receiver_params

    def bind_arguments(self, fi: FunctionInfo, node: ast.Call, args: list[Value], kwargs, bound_self) -> dict[int, Value]:
        a = fi.node.args
        positional = [p.arg for p in a.posonlyargs + a.args]
        mapping: dict[int, Value] = {}
        offset = 0
        if fi.is_method and bound_self is not None:
            mapping[0] = bound_self
            offset = 1
        idx = {n: i for i, n in enumerate(fi.param_names)}
        star_i = idx.get(a.vararg.arg) if a.vararg else None
        kw_i = idx.get(a.kwarg.arg) if a.kwarg else None
        for j, (v, anode) in enumerate(zip(args, node.args)):
            pos = j + offset
            if isinstance(anode, ast.Starred):
                for k in range(pos, len(positional)):
                    mapping[k] = join(mapping.get(k, EMPTY), v)
                if star_i is not None:
                    mapping[star_i] = join(mapping.get(star_i, EMPTY), v)
                continue
            if pos < len(positional):
                mapping[pos] = join(mapping.get(pos, EMPTY), v)
            elif star_i is not None:
                mapping[star_i] = join(mapping.get(star_i, EMPTY), v)
        for k, v, _ in kwargs:
            if k is None:
                if v.fields is not None:
                    for fk, fv in v.fields:
                        target = idx.get(fk, kw_i)
                        if target is not None:
                            mapping[target] = join(mapping.get(target, EMPTY), fv)
                else:
                    for _name, i in idx.items():
                        if i >= offset:
                            mapping[i] = join(mapping.get(i, EMPTY), v)
                continue
            target = idx.get(k, kw_i)
            if target is not None and target == kw_i and k not in idx:
                # into **kwargs: a dict with this key (a request it is passed on to reads the key)
                mapping[target] = join(mapping.get(target, Value(fields=())), Value(v.taints, frozenset(), ((k, v),)))
            elif target is not None:
                mapping[target] = join(mapping.get(target, EMPTY), v)
        return mapping


def _note_call_parameters(fi: FunctionInfo) -> None:
    """Set the parameters `fi` calls and those it calls a method on (one walk of its body:
    every call of a helper asks for both)."""
    called, receivers = node_fact(fi.module.source.tree, fi.node, _call_names) if fi.module.source.tree \
        else (frozenset(), frozenset())
    fi.called_params = frozenset(i for i, n in enumerate(fi.param_names) if n in called)
    fi.receiver_params = frozenset(i for i, n in enumerate(fi.param_names) if n in receivers)


def _call_names(node: ast.AST) -> tuple[frozenset[str], frozenset[str]]:
    """The plain names called anywhere in `node` (`fn(...)`), or handed to a call that runs
    them (`partial(fn, ...)`, `asyncio.to_thread(fn, ...)`, `pool.submit(fn, ...)`, `map(fn,
    ...)`), and those a method is called on, through attributes and calls (`llm.invoke(...)`,
    `client.chat.completions.create(...)`, `llm.bind_tools(t).invoke(...)`)."""
    called = set()
    receivers = set()
    runners = _runner_positions()
    for n in walk_nodes(node):
        if isinstance(n, ast.Call):
            func = n.func
            runs = runners.get(func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else "")
            if runs is not None and len(n.args) > runs and isinstance(n.args[runs], ast.Name):
                called.add(n.args[runs].id)
            if isinstance(func, ast.Name):
                called.add(func.id)
            elif isinstance(func, ast.Attribute):
                head: ast.AST = func.value
                while isinstance(head, (ast.Attribute, ast.Call)):
                    head = head.value if isinstance(head, ast.Attribute) else head.func
                if isinstance(head, ast.Name):
                    receivers.add(head.id)
    return frozenset(called), frozenset(receivers)


@functools.cache
def _runner_positions() -> dict[str, int]:
    """The last name of each call that runs a callable it is given -> the callable's position
    (rules/library_models.toml; `functools.partial` binds one, called later): spelled by
    name, as `_call_names` reads syntax. A look-alike only costs a specialised summary."""
    out = {name.rsplit(".", 1)[-1]: i for name, i in library_models().callable_runners.items()}
    out.update(dict.fromkeys((name.rsplit(".", 1)[-1] for name in library_models().callable_mappers), 0))
    out["partial"] = 0
    return out


# Sweeps over a recursive cycle's members; the summaries grow by joins, and in practice settle
# in two or three (past the limit, the summaries of the last sweep are kept).
MAX_CYCLE_SWEEPS = 8


def _every_parameter_returned(fi: FunctionInfo) -> Summary:
    """What a call back into a summary still being worked out is assumed to do, until its
    cycle is solved: hand every parameter back."""
    return Summary(ret=Value(frozenset(Par(i, n) for i, n in enumerate(fi.param_names))))


def _canonical_key(fi: FunctionInfo, bindings: dict[int, Value]) -> tuple:
    """A cycle member's place in the solving order, the same in every process (a specialised
    summary's key numbers specialisations in the order they were met)."""
    return fi.key, tuple(sorted((i, tuple(sorted(map(repr, v.tags)))) for i, v in bindings.items()))


def _same(a: Summary, b: Summary) -> bool:
    return a.ret == b.ret and a.sinks == b.sinks and a.mutations == b.mutations and a.hits == b.hits


def _joined(old: Summary, new: Summary) -> Summary:
    """What two rounds of a cycle's solving found (the paths of data already found stay)."""
    mutations = dict(old.mutations)
    for i, v in new.mutations.items():
        mutations[i] = join(mutations[i], v) if i in mutations else v
    known_sinks, known_hits = set(old.sinks), set(old.hits)
    return Summary(ret=join(old.ret, new.ret),
                   sinks=old.sinks + [x for x in new.sinks if x not in known_sinks],
                   mutations=mutations,
                   hits=old.hits + [h for h in new.hits if h not in known_hits])
