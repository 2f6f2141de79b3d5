"""Whole-program part of the analysis: modules and imports, project functions and
classes, function summaries, OpenAI call-site detection, and turning the hits the
interpreter records into findings.

Summaries are computed on demand (bottom-up through calls), once per function;
a summary says what the function returns and which of its parameters reach an
OpenAI request, so a helper fed personal data by a caller in another module
yields a finding at the helper's request with the caller in the flow.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from gdpr_lint.interpreter import Frame, Hit, ParamSink, Summary, endpoint_params, strip_params
from gdpr_lint.model import CallSite, ClientConfig, FileError, FlowStep, Span
from gdpr_lint.openai_api import CLIENT_CLASSES, Endpoint, catalogue, sanitizers
from gdpr_lint.prefilter import GUESS_ROOTS
from gdpr_lint.source import SourceError, SourceFile, read_source
from gdpr_lint.values import (
    EMPTY, HASHED, SANITIZED, Client, Cls, Const, Ext, Flag, Func, Guess, Imported, Inst, LangChain, Mod,
    Obj, Par, Person, Protected, Res, Src, Value, join,
)
from gdpr_lint.vocabulary import Vocabulary, tokenize

MAX_EXTRA_MODULES = 2000
# top-level statements whose binding is final once run (if the name is bound nowhere else)
FINAL_BINDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
PROTECT = "gdpr_lint.runtime.protect"
# LiteLLM functions that gdpr_lint.runtime.protect() accepts (gdpr_lint/runtime/adapters/litellm_sdk.py)
LITELLM_PROTECTABLE = frozenset(f"litellm.{f}" for f in (
    "completion", "acompletion", "text_completion", "atext_completion", "embedding", "aembedding",
    "responses", "aresponses"))


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
INITIALISERS = frozenset({"__init__", "__post_init__", "__new__", "setUp", "setup", "__enter__", "__aenter__", "initialize", "initialise"})


@dataclass
class ModuleInfo:
    name: str
    source: SourceFile
    package: bool  # an __init__.py
    globals: dict[str, Value] = field(default_factory=dict)
    state: str = "new"  # new | collecting | ready
    reported: bool = True  # findings in this file are reported
    trigger_lines: dict | None = None  # extra words -> lines that may hold a request (prefilter)
    deps: frozenset = frozenset()  # what evaluating the module's globals read (see Project.touch)
    report_hits: list | None = None  # hits of the module-level code, once analysed as an entry
    report_deps: frozenset = frozenset()
    binders: dict[str, list[int]] | None = None  # name -> top-level statements that bind it
    collect_index: int = 0  # the top-level statement being run by ensure_globals
    deferred: set[int] = field(default_factory=set)  # top-level statements left for later (ensure_globals)
    lazy_names: set[str] = field(default_factory=set)  # globals a deferred statement still has to bind
    evaluated: set[int] = field(default_factory=set)  # top-level statements run (lazy globals)
    functions: list = field(default_factory=list)  # FunctionInfo defined in this module
    _line_bytes: dict[int, bytes] = field(default_factory=dict)

    def segment(self, node: ast.AST) -> str:
        lineno = getattr(node, "lineno", None)
        end = getattr(node, "end_lineno", None)
        if lineno is not None and lineno == end:
            b = self._line_bytes.get(lineno)
            if b is None:
                b = self.source.lines[lineno - 1].encode("utf-8") if lineno <= len(self.source.lines) else b""
                self._line_bytes[lineno] = b
            return b[node.col_offset:node.end_col_offset].decode("utf-8", errors="replace")
        try:
            return ast.unparse(node)
        except Exception:  # noqa: BLE001 - display text only
            return "<expression>"


@dataclass
class FunctionInfo:
    key: str
    module: ModuleInfo
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    cls: "ClassInfo | None"
    closure: Frame | None
    param_names: list[str]
    is_method: bool

    @property
    def name(self) -> str:
        return self.node.name


@dataclass
class ClassInfo:
    key: str
    module: ModuleInfo
    qualname: str
    name: str
    node: ast.ClassDef
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    attrs: dict[str, Value] = field(default_factory=dict)  # class-level and self.* attributes
    bases: list[Value] = field(default_factory=list)
    person: bool = False
    field_categories: dict[str, str] = field(default_factory=dict)
    store_state: str = "new"
    deps: frozenset = frozenset()
    field_order: list[str] = field(default_factory=list)  # declared fields (dataclass / model constructors)


@dataclass
class SiteInfo:
    site: CallSite
    module: ModuleInfo
    function_key: str
    endpoint: Endpoint | None
    node: ast.Call


FIELD_TYPE_CATEGORIES = {
    "EmailStr": "email", "EmailField": "email", "NameEmail": "email", "PhoneNumberField": "phone",
    "PhoneNumber": "phone", "IPAddressField": "ip_address", "GenericIPAddressField": "ip_address",
    "IPvAnyAddress": "ip_address", "PaymentCardNumber": "bank",
}


class Project:
    def __init__(self, vocab: Vocabulary, *, roots: list[Path], cwd: Path,
                 extra_sanitizers: tuple[str, ...] = (), sinks: tuple = (),
                 input_bytes: Callable[[Path], bytes | None] | None = None,
                 parse_cache: dict | None = None) -> None:
        self.vocab = vocab
        self.catalogue = catalogue()
        self.sanitizers = sanitizers()
        self.extra_sanitizers = frozenset(extra_sanitizers)
        self.configured_sinks = {s.function: s for s in sinks}
        # words that make a function worth analysing beyond the OpenAI spellings
        self.extra_words: frozenset[str] = frozenset(s.function.split(".")[-1] for s in sinks)
        self.cwd = cwd
        self.roots = [r.resolve() for r in roots]
        self.modules: dict[str, ModuleInfo] = {}
        self.by_path: dict[Path, ModuleInfo] = {}
        self.functions: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.summaries: dict[str, Summary] = {}
        self.in_progress: set[str] = set()
        self.sites: dict[str, SiteInfo] = {}
        self.module_hits: list[Hit] = []
        self.errors: list[FileError] = []
        self._missing: set[str] = set()
        self.load_errors: dict[str, FileError] = {}
        self._located: dict[str, Path | None] = {}  # module name -> its file
        self._probed: dict[str, list[Path]] = {}  # module name -> where it was looked for in vain
        self._extra_loaded = 0
        # Dependency recording: what each summary / module evaluation read, so that a
        # unit's result names every file it depends on (for the cache).
        self._rec: list[set] = []
        self.input_bytes = input_bytes or (lambda path: None)
        self.parse_cache = parse_cache if parse_cache is not None else {}

    # ------------------------------------------------------------------ dependencies

    def touch(self, item: tuple) -> None:
        if self._rec:
            self._rec[-1].add(item)

    def touch_all(self, items) -> None:
        if self._rec and items:
            self._rec[-1].update(items)

    def recording(self):
        rec: set = set()
        self._rec.append(rec)
        return rec

    def stop_recording(self, rec: set) -> frozenset:
        popped = self._rec.pop()
        assert popped is rec
        out = frozenset(rec)
        self.touch_all(out)
        return out

    # ------------------------------------------------------------------ modules

    def module_name_for(self, path: Path) -> tuple[str, bool]:
        path = path.resolve()
        package = path.name == "__init__.py"
        parts = [] if package else [path.stem]
        d = path.parent
        while (d / "__init__.py").exists() and d.parent != d:
            parts.insert(0, d.name)
            d = d.parent
        if d not in self.roots:
            self.roots.append(d)
        return ".".join(parts) or path.parent.name, package

    def add_source(self, source: SourceFile, reported: bool = True) -> ModuleInfo:
        known = self.by_path.get(source.path.resolve())
        if known is not None and known.source.data == source.data:
            known.reported = known.reported or reported
            return known
        name, package = self.module_name_for(source.path)
        existing = self.modules.get(name)
        if existing is not None and existing.source.path != source.path:
            # two top-level scripts with the same name in different folders
            name = f"{name}@{len(self.modules)}"
        mod = ModuleInfo(name=name, source=source, package=package, reported=reported)
        self.modules[name] = mod
        self.by_path[source.path.resolve()] = mod
        return mod

    def module_stub(self, source: SourceFile) -> ModuleInfo:
        """The module of a decoded, unparsed file, not added to the project (for reach.py)."""
        name, package = self.module_name_for(source.path)
        return ModuleInfo(name=name, source=source, package=package)

    def find_module(self, name: str) -> ModuleInfo | None:
        mod = self.modules.get(name)
        if mod is not None or name in self._missing:
            if mod is None and name in self.load_errors:
                self.touch(("e", name))
            if name in self._probed:
                self.locate_module(name)  # records where it was looked for
            return mod
        resolved = self.locate_module(name)
        if resolved is None:
            self._missing.add(name)
            return None
        if self._extra_loaded >= MAX_EXTRA_MODULES:
            return None
        self._extra_loaded += 1
        existing = self.by_path.get(resolved)
        if existing is not None:
            return existing
        mod = self._load(resolved, name)
        if mod is None:
            self._missing.add(name)
        return mod

    def locate_module(self, name: str) -> Path | None:
        """The file of module `name` under the project's roots (first root wins). The
        places looked at in vain are a dependency of whoever asked (if a file appears
        there, the answer changes): recorded as ("x", name), see missing_paths_of."""
        hit = self._located.get(name, False)
        if hit is False:
            rel = name.replace(".", os.sep)
            hit = None
            probed = []
            for root in list(self.roots):
                for candidate in (root / (rel + ".py"), root / rel / "__init__.py"):
                    if candidate.is_file():
                        hit = candidate.resolve()
                        break
                    probed.append(candidate)
                if hit is not None:
                    break
            self._located[name] = hit
            self._probed[name] = probed
        if self._probed[name]:
            self.touch(("x", name))
        return hit

    def missing_paths_of(self, deps) -> set[Path]:
        """The paths looked at in vain by what recorded `deps`."""
        return {p for kind, name in deps if kind == "x" for p in self._probed.get(name, ())}

    def _load(self, path: Path, name: str) -> ModuleInfo | None:
        from gdpr_lint.discovery import display_path

        display = display_path(path, self.cwd)
        data = self.input_bytes(path)
        src = self.parse_cache.get(path)
        if src is None or (data is not None and src.data is not data):
            try:
                src = read_source(path, display, data)
            except SourceError as exc:
                err = FileError(display, str(exc) if data is not None else f"imported module could not be analysed: {exc}")
                self.errors.append(err)
                self.load_errors[name] = err
                self.touch(("e", name))
                return None
            self.parse_cache[path] = src
        mod = ModuleInfo(name=name, source=src, package=path.name == "__init__.py", reported=False)
        self.modules[name] = mod
        self.by_path[path] = mod
        return mod

    def ensure_globals(self, mod: ModuleInfo, defer_words: frozenset[str] | None = None) -> dict[str, Value]:
        """Run a module's top-level code in order. With `defer_words` (an entry module,
        not exhaustive), the closing `main()` calls and `if __name__ == "__main__":`
        blocks that cannot hold a request (no trigger line, see analyse_entry) are left
        for later: run when a function reads a global they bind (global_value), or for
        their requests once a helper they call turns out to reach one."""
        if mod.state == "new":
            mod.state = "collecting"
            if defer_words is not None:
                mod.deferred = _deferrable(mod.source.tree.body, self.trigger_lines(mod, defer_words), _binders(mod))
                mod.evaluated -= mod.deferred
                mod.lazy_names = {name for name, where in mod.binders.items() if not mod.deferred.isdisjoint(where)}
            rec = self.recording()
            rec.add(("m", mod.name))
            try:
                frame = Frame(self, mod, env=mod.globals)
                for i, stmt in enumerate(mod.source.tree.body):
                    if i in mod.deferred:
                        continue
                    mod.collect_index = i
                    if frame.stmt(stmt):
                        break
            finally:
                mod.deps = self.stop_recording(rec)
            mod.state = "ready"
            # summaries that read a global of this module that could still change are
            # provisional (Frame.lookup marks them); the others hold and are kept
            marker = ("p", mod.name)
            for key in [k for k, s in self.summaries.items() if marker in s.deps]:
                del self.summaries[key]
        elif mod.state == "ready":
            self.touch_all(mod.deps)
        else:
            self.touch(("m", mod.name))
        return mod.globals

    def final_global(self, mod: ModuleInfo, name: str) -> bool:
        """While `mod`'s globals are being collected: whether global `name` already has
        the value it will keep (bound once, by a def, class or import that has run), or
        is never bound at top level (a builtin, or missing for good)."""
        binders = _binders(mod)
        where = binders.get(name, binders.get("*", ()))
        if not where:
            return True
        if len(where) != 1 or where[0] >= mod.collect_index:
            return False
        return isinstance(mod.source.tree.body[where[0]], FINAL_BINDERS)

    def global_value(self, mod: ModuleInfo, name: str) -> Value | None:
        """One global of a module, evaluating only the top-level statements that bind it.

        Imported modules are evaluated this way (an import of one helper should not run
        the whole module); entry modules by ensure_globals, except the statements it
        leaves for later (_deferrable), which run here when a name they bind is read."""
        if mod.state == "ready" and not mod.deferred:
            self.touch_all(mod.deps)
            return mod.globals.get(name)
        self.touch(("m", mod.name))
        by_name = _binders(mod)
        binders = by_name.get(name, by_name.get("*", ()))
        if mod.state == "collecting":
            # an entry module's definitions left for later (_deferrable) that would have run by now
            pending = [i for i in binders if i in mod.deferred and i not in mod.evaluated and i < mod.collect_index]
            if not pending:
                return mod.globals.get(name)
        else:
            pending = [i for i in binders if i not in mod.evaluated and (mod.state != "ready" or i in mod.deferred)]
        if pending:
            rec = self.recording()
            try:
                frame = Frame(self, mod, env=mod.globals)
                body = mod.source.tree.body
                for i in pending:
                    mod.evaluated.add(i)
                    frame.stmt(body[i])
            finally:
                mod.deps = mod.deps | self.stop_recording(rec)
        if name in mod.lazy_names and all(i in mod.evaluated for i in binders if i in mod.deferred):
            mod.lazy_names.discard(name)
        self.touch_all(mod.deps)
        return mod.globals.get(name)

    def module_value(self, dotted: str) -> Value:
        if self.find_module(dotted) is not None:
            return Value(tags=frozenset({Mod(dotted)}))
        return Value(tags=frozenset({Ext(dotted)}))

    def module_attr(self, modname: str, attr: str) -> Value:
        mod = self.find_module(modname)
        if mod is None:
            return Value(tags=frozenset({Ext(f"{modname}.{attr}")}))
        value = self.global_value(mod, attr)
        if value is not None:
            return value
        if self.find_module(f"{modname}.{attr}") is not None:
            return Value(tags=frozenset({Mod(f"{modname}.{attr}")}))
        return EMPTY

    def resolve_relative(self, mod: ModuleInfo, name: str | None, level: int) -> str:
        return resolve_relative(mod.name, mod.package, name, level)

    def import_name(self, base: str, name: str) -> Value:
        mod = self.find_module(base) if base else None
        if mod is None:
            if base and self.find_module(f"{base}.{name}") is not None:
                return Value(tags=frozenset({Mod(f"{base}.{name}")}))
            return Value(tags=frozenset({Ext(f"{base}.{name}" if base else name)}))
        value = self.global_value(mod, name)
        if value is not None:
            return value
        if self.find_module(f"{base}.{name}") is not None:
            return Value(tags=frozenset({Mod(f"{base}.{name}")}))
        return EMPTY

    def resolve_imported(self, value: Value) -> Value:
        out = Value(value.taints, frozenset(t for t in value.tags if not isinstance(t, Imported)), value.fields)
        seen: set = set()
        pending = list(value.of(Imported))
        while pending:
            t = pending.pop()
            if t in seen or len(seen) > 32:
                continue
            seen.add(t)
            resolved = self.module_value(t.base) if t.name is None else self.import_name(t.base, t.name)
            # a re-export (`from .llm import model` in a services module) is itself an import
            pending.extend(resolved.of(Imported))
            out = join(out, Value(resolved.taints, frozenset(x for x in resolved.tags if not isinstance(x, Imported)),
                                  resolved.fields))
        return out

    def star_import(self, base: str) -> dict[str, Value]:
        mod = self.find_module(base)
        if mod is None:
            return {}
        return {k: v for k, v in self.ensure_globals(mod).items() if not k.startswith("_")}

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
        decorators = {ast.unparse(d).split("(")[0].split(".")[-1] for d in node.decorator_list}
        is_method = cls is not None and "staticmethod" not in decorators
        fi = FunctionInfo(key, mod, qualname, node, cls, frame if frame.func is not None else None, params, is_method)
        self.functions[key] = fi
        mod.functions.append(fi)
        return fi

    def define_class(self, mod: ModuleInfo, node: ast.ClassDef, frame: Frame) -> ClassInfo:
        prefix = frame.func.qualname + ".<locals>." if frame.func else ""
        qualname = prefix + node.name
        key = f"{mod.name}:{qualname}:{node.lineno}"
        ci = self.classes.get(key)
        if ci is not None:
            return ci
        ci = ClassInfo(key, mod, qualname, node.name, node)
        self.classes[key] = ci
        ci.bases = [frame.eval(b) for b in node.bases]
        for b in ci.bases:
            for t in b.of(Cls):
                base = self.classes.get(t.key)
                if base is not None:
                    ci.methods.update(base.methods)
                    ci.field_categories.update(base.field_categories)
                    ci.person = ci.person or base.person
        ci.person = ci.person or self.vocab.owner_kind(tokenize(node.name)) == "person"
        fields: list[tuple[str, ast.AST | None]] = []
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                ci.methods[stmt.name] = self.define_function(mod, stmt, frame, ci)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                fields.append((stmt.target.id, stmt.annotation))
                if stmt.value is not None:
                    ci.attrs[stmt.target.id] = strip_params(frame.eval(stmt.value))
            elif isinstance(stmt, ast.Assign):
                v = strip_params(frame.eval(stmt.value))
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        ci.attrs[t.id] = v
                        if isinstance(stmt.value, ast.Call):
                            fields.append((t.id, stmt.value.func))
        ci.field_order = [f for f, ann in fields if ann is not None and not isinstance(ann, ast.Call)]
        # A class whose fields are personal is a person record (dataclass, Pydantic, ORM model).
        kind = "person" if ci.person else None
        for fname, ann in fields:
            type_name = ast.unparse(ann).split(".")[-1].split("(")[0] if ann is not None else ""
            for tname, cat in FIELD_TYPE_CATEGORIES.items():
                if tname in type_name:
                    ci.field_categories[fname] = cat
            m = self.vocab.classify(fname, (), kind)
            if m is not None and m.category.content:
                ci.field_categories.setdefault(fname, m.category.key)
        if not ci.person and any(
                (self.vocab.categories[c].direct_identifier or self.vocab.categories[c].special
                 or c in ("name", "date_of_birth", "national_id", "address"))
                and self.vocab.categories[c].content for c in ci.field_categories.values()):
            ci.person = True
            for fname, _ in fields:  # now that we know it is about a person, ambiguous fields count too
                m = self.vocab.classify(fname, (), "person")
                if m is not None and m.category.content:
                    ci.field_categories.setdefault(fname, m.category.key)
        return ci

    def class_is_person(self, key: str) -> bool:
        ci = self.classes.get(key)
        return bool(ci and ci.person)

    def class_method(self, ci: ClassInfo, name: str) -> FunctionInfo | None:
        return ci.methods.get(name)

    def class_member(self, ci: ClassInfo, attr: str, self_value: Value | None) -> Value | None:
        if attr in ci.methods:
            fi = ci.methods[attr]
            decorators = {ast.unparse(d) for d in fi.node.decorator_list}
            if "property" in decorators or "cached_property" in decorators or "functools.cached_property" in decorators:
                if self_value is not None:
                    return self.property_value(fi, self_value)
            return Value(tags=frozenset({Func(fi.key, self_value if fi.is_method else None)}))
        self.ensure_class_store(ci)
        if attr in ci.attrs:
            return ci.attrs[attr]
        for b in ci.bases:
            for t in b.of(Cls):
                base = self.classes.get(t.key)
                if base is not None and base is not ci:
                    v = self.class_member(base, attr, self_value)
                    if v is not None:
                        return v
        return None

    def property_value(self, fi: FunctionInfo, self_value: Value) -> Value:
        summ = self.summary(fi)
        return Value(frozenset(t for t in summ.ret.taints if isinstance(t, Src)), summ.ret.tags)

    def ensure_class_store(self, ci: ClassInfo) -> None:
        """Collect `self.x = ...` from every method before any method reads `self.x`."""
        if ci.store_state == "ready":
            self.touch_all(ci.deps)
        if ci.store_state != "new":
            return
        ci.store_state = "collecting"
        rec = self.recording()
        rec.add(("m", ci.module.name))
        try:
            self._collect_class_store(ci)
        finally:
            ci.deps = self.stop_recording(rec)
        ci.store_state = "ready"

    def _collect_class_store(self, ci: ClassInfo) -> None:
        order = sorted(ci.methods.values(), key=lambda f: (f.name not in INITIALISERS, f.node.lineno))
        for fi in order:
            if fi.cls is not ci:
                continue
            frame = Frame(self, fi.module, fi, parent=fi.closure)
            self.bind_parameters(frame, fi)
            if fi.name in INITIALISERS:
                frame.run_block(fi.node.body)
                continue
            # elsewhere only the `self.x = ...` statements matter; evaluate just those
            self_name = fi.param_names[0] if fi.param_names else "self"
            for stmt in ast.walk(fi.node):
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    if any(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == self_name
                           for t in targets):
                        frame.stmt(stmt)

    def class_attr_set(self, key: str, attr: str, value: Value) -> None:
        ci = self.classes.get(key)
        if ci is None:
            return
        old = ci.attrs.get(attr)
        ci.attrs[attr] = value if old is None else join(old, value)

    # ------------------------------------------------------------------ summaries

    def bind_parameters(self, frame: Frame, fi: FunctionInfo) -> None:
        a = fi.node.args
        all_args = a.posonlyargs + a.args + ([a.vararg] if a.vararg else []) + a.kwonlyargs + ([a.kwarg] if a.kwarg else [])
        for i, arg in enumerate(all_args):
            if i == 0 and fi.is_method:
                decorators = {ast.unparse(d) for d in fi.node.decorator_list}
                if "classmethod" in decorators:
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
            value = frame.name_evidence(arg.arg, value, arg)
            frame.env[arg.arg] = value

    def summary(self, fi: FunctionInfo) -> Summary:
        s = self.summaries.get(fi.key)
        if s is not None:
            self.touch_all(s.deps)
            return s
        if fi.key in self.in_progress:
            # recursion: assume every parameter may flow to the result
            return Summary(ret=Value(frozenset(Par(i, n) for i, n in enumerate(fi.param_names))))
        self.in_progress.add(fi.key)
        rec = self.recording()
        rec.update({("m", fi.module.name), ("f", fi.key)})
        try:
            if fi.cls is not None:
                self.ensure_class_store(fi.cls)
            frame = Frame(self, fi.module, fi, parent=fi.closure)
            self.bind_parameters(frame, fi)
            frame.run_block(fi.node.body)
            s = Summary(ret=frame.ret, sinks=frame.sinks, mutations=frame.mutations, hits=frame.hits)
        finally:
            self.in_progress.discard(fi.key)
            deps = self.stop_recording(rec)
        s.deps = deps
        self.summaries[fi.key] = s
        return s

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
                    for name, i in idx.items():
                        if i >= offset:
                            mapping[i] = join(mapping.get(i, EMPTY), v)
                continue
            target = idx.get(k, kw_i)
            if target is not None:
                mapping[target] = join(mapping.get(target, EMPTY), v)
        return mapping

    # ------------------------------------------------------------------ protect()

    def protect_value(self, inner: Value) -> Value:
        tags: set = set()
        for t in inner.tags:
            if isinstance(t, Client):
                tags.add(Client(t.flavour, True, t.config))
            elif isinstance(t, Res):
                tags.add(Protected(t))
            elif isinstance(t, Guess):
                tags.add(Protected(Res("openai-v1", t.path, True, "medium")))
            elif isinstance(t, Ext) and t.qualname.startswith("openai."):
                tags.add(Protected(Res("openai-module", tuple(t.qualname.split(".")[1:]), True)))
            elif isinstance(t, Ext) and t.qualname in LITELLM_PROTECTABLE:  # protect(litellm.completion)
                tags.add(Protected(t))
            elif isinstance(t, LangChain):
                tags.add(LangChain(t.kind, t.qualname, t.method, True))
            elif isinstance(t, Inst) and t.qualname in CLIENT_CLASSES:
                tags.add(Client(CLIENT_CLASSES[t.qualname], True))
        return Value(tags=frozenset(tags))

    # ------------------------------------------------------------------ request detection

    def detect_request(self, frame: Frame, node: ast.Call, fval: Value, args: list[Value], kwargs) -> Value | None:
        """If this call sends a request to OpenAI: record the call site and the data it sends."""
        found: tuple[str, str, Endpoint, bool, str] | None = None  # endpoint name, flavour, ep, protected, confidence
        for t in fval.tags:
            if isinstance(t, Protected) and isinstance(t.inner, Ext):  # protect(litellm.completion)(...)
                found = self._litellm_call(node, t.inner.qualname, True) or found
            elif isinstance(t, Protected):
                ep = self.catalogue.endpoint(t.inner.path) if isinstance(t.inner, Res) else None
                if ep is not None:
                    found = (ep.path, t.inner.flavour, ep, True, t.inner.confidence)
            elif isinstance(t, Res):
                ep = self.catalogue.endpoint(t.path)
                if ep is not None:
                    found = (ep.path, t.flavour, ep, t.protected, t.confidence)
            elif isinstance(t, Guess) and t.path[0] in GUESS_ROOTS:
                ep = self.catalogue.endpoint(t.path)
                if ep is not None and found is None:
                    conf = "medium" if len([p for p in t.path if p not in ("with_raw_response", "with_streaming_response")]) >= 3 else "low"
                    found = (ep.path, "openai-v1", ep, False, conf)
            elif isinstance(t, Ext) and t.qualname.startswith("openai."):
                rest = tuple(t.qualname.split(".")[1:])
                ep = self.catalogue.endpoint(rest)
                if ep is not None:
                    found = (ep.path, "openai-module", ep, False, "high")
                else:
                    leg = self.catalogue.legacy.get(".".join(rest))
                    if leg is not None:
                        found = ("legacy:" + leg.path, "openai-legacy", leg, False, "high")
            elif isinstance(t, LangChain) and t.method:
                m = self.catalogue.langchain_methods.get(t.method)
                if m is not None and (t.kind in m.kinds or t.kind == "chain"):
                    ep = Endpoint(f"langchain.{t.method}", t.kind, ("input",) + m.content_keywords, (), (), ("input",), False)
                    cls = t.qualname.split(".")[-1]
                    found = (f"{cls}.{t.method}", "langchain", ep, t.protected, "high")
            elif isinstance(t, Ext) and t.qualname in self.catalogue.litellm_functions:
                lit = self._litellm_call(node, t.qualname, False)
                if lit is None:
                    continue
                found = lit
            if found is None and isinstance(t, (Ext, Func)) and self.configured_sinks:
                qual = t.qualname if isinstance(t, Ext) else self.functions[t.key].module.name + "." + self.functions[t.key].qualname
                for name, sink in self.configured_sinks.items():
                    if qual == name or qual.endswith("." + name):
                        ep = Endpoint(name, "configured", sink.content or ("*",), sink.identity, (), (), False)
                        found = (name, "configured", ep, False, "high")
        if found is None:
            return None
        endpoint_name, flavour, ep, protected, confidence = found
        site_key = self.record_site(frame, node, endpoint_name, flavour, protected, confidence, ep,
                                    client=self.client_of(fval, kwargs))
        for pname, value, vnode in self.request_arguments(ep, node, args, kwargs, flavour):
            kind = None
            if pname in ep.identity:
                kind = "identity"
            elif pname in ep.content or "*" in ep.content or pname == "**":
                kind = "content"
            if kind is None:
                continue
            # protect(...) pseudonymises the content: a protected flow, not a finding
            via = PROTECT if protected and kind == "content" else ""
            value = frame.materialise(value, vnode) if kind == "content" else value
            sink_step = frame.step(vnode, f"sent as `{pname}` to {endpoint_name}")
            for lab in value.taints:
                frame.emit(site_key, kind, pname, lab.extend(sink_step), frame.scope, via)
        return Value(tags=frozenset({Inst("openai.response")}))

    def client_of(self, fval: Value, kwargs) -> tuple[ClientConfig, ...]:
        """The configuration of the client(s) a request goes through; unknown when not resolved."""
        configs = [t.config for t in fval.tags if isinstance(t, Res)]
        configs += [t.inner.config for t in fval.tags if isinstance(t, Protected) and isinstance(t.inner, Res)]
        out = [c for cfg in configs if cfg for c in cfg]
        if not configs or any(cfg is None for cfg in configs):
            out.append(ClientConfig("", "unknown"))
        return tuple(dict.fromkeys(out))

    def request_arguments(self, ep: Endpoint, node: ast.Call, args, kwargs, flavour: str):
        if flavour == "langchain":
            out = []
            if args:
                out.append(("input", args[0], node.args[0]))
            for k, v, vnode in kwargs:
                out.append(("input" if k in ep.content else (k or "**"), v, vnode))
            return out
        if flavour == "configured":
            return [(k or "**", v, vnode) for k, v, vnode in kwargs] + [
                (f"arg{i}", a, an) for i, (a, an) in enumerate(zip(args, node.args))]
        return endpoint_params(ep, node, args, kwargs)

    def _litellm_call(self, node: ast.Call, qualname: str, protected: bool) -> tuple[str, str, Endpoint, bool, str] | None:
        """A LiteLLM request (None when its literal model is not an OpenAI model)."""
        ep = self.catalogue.litellm_functions.get(qualname)
        if ep is None:
            return None
        model = self._model_arg(node, ep)
        verdict = self.catalogue.model_is_openai(model) if model is not None else None
        if verdict is False:
            return None
        return (qualname, "litellm", ep, protected, "high" if verdict else "low")

    def _model_arg(self, node: ast.Call, ep: Endpoint) -> str | None:
        for kw in node.keywords:
            if kw.arg == "model" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return kw.value.value
        if "model" in ep.positional:
            i = ep.positional.index("model")
            if i < len(node.args) and isinstance(node.args[i], ast.Constant) and isinstance(node.args[i].value, str):
                return node.args[i].value
        return None

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
                            confidence=confidence, protected=protected,
                            function=frame.func.qualname if frame.func else "", text=callee,
                            statement_lines=lines, client=client, store=store_argument(node))
            self.sites[key] = SiteInfo(site, frame.module, frame.scope, ep, node)
        else:
            existing = self.sites[key].site
            existing.protected = existing.protected and protected
            existing.client = tuple(dict.fromkeys(existing.client + client))
        return key

    # ------------------------------------------------------------------ driver

    def analyse(self) -> None:
        """Analyse every reported module as an entry (single-project use, e.g. tests)."""
        for mod in [m for m in self.modules.values() if m.reported]:
            hits, _, _ = self.analyse_entry(mod, frozenset())
            self.module_hits.extend(h for h in hits if h not in self.module_hits)

    def analyse_entry(self, mod: ModuleInfo, words: frozenset[str],
                      exhaustive: bool = False) -> tuple[list[Hit], frozenset, set[str]]:
        """Analyse one entry module: its module-level code and, demand-driven, the functions
        whose text can hold a request or a call of a helper that reaches one (every function
        when `exhaustive`).
        Returns (hits, what was read, helper names found)."""
        rec = self.recording()
        words = frozenset(words) | self.extra_words
        try:
            self.ensure_globals(mod, defer_words=None if exhaustive else words)
            body = mod.source.tree.body
            if mod.report_hits is None:
                inner = self.recording()
                frame = Frame(self, mod, env=dict(mod.globals))
                frame.run_block([st for i, st in enumerate(body) if i not in mod.deferred])
                mod.report_hits = frame.hits
                mod.report_deps = self.stop_recording(inner)
            else:
                self.touch_all(mod.report_deps)
            analysed: set[str] = set()
            for _ in range(6):  # until no new helper makes more callers relevant
                if mod.deferred:
                    # classes left for later whose methods may now call a helper that reaches a request
                    lines = self.trigger_lines(mod, words)
                    for i in sorted(mod.deferred - mod.evaluated):
                        if isinstance(body[i], ast.ClassDef) and _spans_any(body[i], lines):
                            self.global_value(mod, body[i].name)
                for fi in list(mod.functions):
                    if fi.key not in analysed and (exhaustive or self.relevant(fi, words)):
                        analysed.add(fi.key)
                        self.summary(fi)
                found = {self.functions[k[1]].name for k in rec if k[0] == "f" and self.summaries.get(k[1]) is not None
                         and self.summaries[k[1]].sinks}
                if found <= words:
                    break
                words = words | found
            tail_hits = []
            if mod.deferred:
                # deferred code, where it calls what turned out to reach a request
                lines = self.trigger_lines(mod, words)
                now = [st for i, st in enumerate(body) if i in mod.deferred and _spans_any(st, lines)]
                if now:
                    frame = Frame(self, mod, env=dict(mod.globals))
                    for st in now:
                        frame.stmt(st)
                    tail_hits = frame.hits
        finally:
            deps = self.stop_recording(rec)
        hits = list(mod.report_hits) + tail_hits
        for kind, key in deps:
            if kind == "f" and key in self.summaries:
                hits.extend(self.summaries[key].hits)
        helpers = {self.functions[k].name for kind, k in deps if kind == "f" and k in self.summaries and self.summaries[k].sinks}
        return hits, deps, helpers

    def trigger_lines(self, mod: ModuleInfo, words: frozenset[str]) -> list[int]:
        """Lines of `mod` that may hold a request or a call of a helper named in `words`."""
        cache = mod.trigger_lines
        if cache is None:
            cache = mod.trigger_lines = {}
        lines = cache.get(words)
        if lines is None:
            from gdpr_lint.prefilter import matching_lines

            lines = cache[words] = matching_lines(mod.source.search_view, words)
        return lines

    def relevant(self, fi: FunctionInfo, words: frozenset[str]) -> bool:
        return _spans_any(fi.node, self.trigger_lines(fi.module, words))

    def sink_helpers(self) -> set[str]:
        """Names of functions whose parameters reach a request: their callers matter too."""
        return {self.functions[k].name for k, s in self.summaries.items() if s.sinks}

    def all_hits(self) -> list[Hit]:
        hits = list(self.module_hits)
        for s in self.summaries.values():
            hits.extend(s.hits)
        return hits


def _spans_any(node: ast.AST, lines: list[int]) -> bool:
    start = node.lineno
    end = node.end_lineno or start
    return any(start <= ln <= end for ln in lines)


def _is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":` (either way round)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare) or len(node.test.comparators) != 1:
        return False
    sides = [node.test.left, node.test.comparators[0]]
    return isinstance(node.test.ops[0], ast.Eq) \
        and any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides) \
        and any(isinstance(x, ast.Constant) and x.value == "__main__" for x in sides)


def _deferrable(body: list[ast.stmt], trigger_lines: list[int], binders: dict[str, list[int]]) -> set[int]:
    """Top-level statements of an entry module, without a trigger line, that are run only
    on demand (Project.global_value):
    - what only runs it as a script: every `if __name__ == "__main__":` block, and the
      closing run of bare calls (`main()`, `unittest.main()`);
    - class definitions and assignments to plain names, when every statement binding
      those names is deferred too (so the value read is the one the module ends with):
      most of a module that gained one OpenAI call is classes and constants that call
      never touches."""
    out = {i for i, st in enumerate(body) if _is_main_guard(st) and not _spans_any(st, trigger_lines)}
    i = len(body)
    while i > 0 and (i - 1 in out or isinstance(body[i - 1], ast.Expr) and isinstance(body[i - 1].value, ast.Call)
                     and not _spans_any(body[i - 1], trigger_lines)):
        i -= 1
        out.add(i)
    lazy = {i for i, st in enumerate(body) if i not in out and _only_binds_names(st) and not _spans_any(st, trigger_lines)}
    bound_by: dict[int, list[str]] = {}
    for name, where in binders.items():
        for j in where:
            bound_by.setdefault(j, []).append(name)
    changed = True
    while changed:  # a name also bound by a statement that runs in order keeps all its binders in order
        changed = False
        for i in sorted(lazy):
            if any(j not in lazy and j not in out for name in bound_by.get(i, ()) for j in binders[name]):
                lazy.discard(i)
                changed = True
    return out | lazy


def _only_binds_names(st: ast.stmt) -> bool:
    if isinstance(st, ast.ClassDef):
        return True
    if isinstance(st, ast.AnnAssign):
        return st.value is not None and isinstance(st.target, ast.Name)
    if isinstance(st, ast.Assign):
        return all(_plain_target(t) for t in st.targets)
    return False


def _plain_target(t: ast.expr) -> bool:
    if isinstance(t, ast.Name):
        return True
    if isinstance(t, ast.Starred):
        return _plain_target(t.value)
    return isinstance(t, (ast.Tuple, ast.List)) and all(_plain_target(e) for e in t.elts)


def resolve_relative(modname: str, package: bool, name: str | None, level: int) -> str:
    """The absolute name of `from <level dots><name> import ...` in module `modname`."""
    if level == 0:
        return name or ""
    parts = modname.split("@")[0].split(".")
    base = parts if package else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _binders(mod: ModuleInfo) -> dict[str, list[int]]:
    if mod.binders is None:
        mod.binders = _top_level_binders(mod.source.tree)
    return mod.binders


def _top_level_binders(tree: ast.Module) -> dict[str, list[int]]:
    """For each name a module binds at top level, the indexes of the statements binding it
    (a compound statement counts for every name bound inside it, nested defs excepted)."""
    out: dict[str, list[int]] = {}

    def names(node: ast.AST):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                yield (alias.asname or alias.name).split(".")[0] if alias.name != "*" else "*"
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            yield node.id
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Lambda, ast.expr_context)):
                continue
            yield from names(child)

    for i, stmt in enumerate(tree.body):
        for name in set(names(stmt)):
            out.setdefault(name, []).append(i)
    # a star import may bind anything: run it for every name
    for i in out.pop("*", []):
        for lst in out.values():
            lst.append(i)
        out.setdefault("*", []).append(i)
    for lst in out.values():
        lst.sort()
    return out
