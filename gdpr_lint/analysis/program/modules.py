"""Modules: finding, loading and parsing the modules a unit imports, their globals
(run lazily, statement by statement), imports and re-exports, and the dependency
recording that tells the cache what each answer read.

A part of the whole-program side: `Project` (project.py) combines them.
"""

from __future__ import annotations

import ast
import os
from bisect import bisect_left
from pathlib import Path
from typing import Iterable

from gdpr_lint.analysis.frame import Frame
from gdpr_lint.analysis.program.importpath import module_path, resolve_relative
from gdpr_lint.analysis.program.symbols import ModuleInfo, tree_fact
from gdpr_lint.analysis.reads import NO_READS, Reads
from gdpr_lint.surfaces import registry as surfaces
from gdpr_lint.analysis.values import (
    EMPTY,
    Ext,
    Func,
    Imported,
    Mod,
    Value,
    join,
)
from gdpr_lint.model import FileError
from gdpr_lint.pipeline.source import SourceError, SourceFile, read_source

MAX_EXTRA_MODULES = 2000
# top-level statements whose binding is final once run (if the name is bound nowhere else)
FINAL_BINDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def roots_key(roots: list[Path]) -> str:
    """The import roots as one string, for keys: a string keeps its hash, where a tuple of
    paths hashes every path again at each of the many lookups an import resolution makes."""
    return "\0".join(map(str, roots))


def _file_of(root: Path, rel: str) -> tuple[Path | None, tuple[Path, ...]]:
    """(the file of module path `rel` (`pkg/mod`) under `root`, a module file before a
    package, or None; the places looked at in vain before it)."""
    in_vain: list[Path] = []
    for candidate in (root / (rel + ".py"), root / rel / "__init__.py"):
        if candidate.is_file():
            return candidate.resolve(), tuple(in_vain)
        in_vain.append(candidate)
    return None, tuple(in_vain)


class Modules:
    # the current entry (enter): its path, its roots, the modules its imports found
    _entry_path: Path | None
    _roots_key: str  # roots_key(self.roots)
    _unit_modules: set[Path]

    # ------------------------------------------------------------------ dependencies

    def touch(self, item: tuple) -> None:
        if self._rec:
            self._rec[-1].add(item)

    def touch_all(self, reads: Reads | Iterable[tuple]) -> None:
        """Record what a part used read: a `Reads` as one node, items one by one."""
        if self._rec:
            if type(reads) is Reads:
                if reads is not NO_READS:
                    self._rec[-1].add(reads)
            else:
                self._rec[-1].update(reads)

    def keep_summary(self, key: str, summary) -> None:
        self.summaries[key] = summary
        # the few summaries with sinks or hits, which every unit looks up among the many it
        # reached (LiteLLM: 57 and 5 of 15,854)
        for index, has in ((self.sink_keys, summary.sinks), (self.hit_keys, summary.hits)):
            if has:
                index.add(key)
            else:
                index.discard(key)
        # indexed by the provisional markers it read, so that dropping them does not walk
        # every summary of the project (a project lives for many units)
        for item in summary.deps.provisional:
            self._provisional_readers.setdefault(item, []).append(key)

    def forget_summaries_reading(self, marker: tuple) -> None:
        """Drop the summaries that touched `marker` (what they read was still being
        collected): they are worked out again when next asked for."""
        for key in self._provisional_readers.pop(marker, ()):
            s = self.summaries.get(key)
            if s is not None and marker in s.deps.provisional:
                del self.summaries[key]
                self.sink_keys.discard(key)
                self.hit_keys.discard(key)

    def recording(self) -> set:
        rec: set = set()
        self._rec.append(rec)
        return rec

    def stop_recording(self, rec: set) -> Reads:
        """What `rec` recorded, as one node; the recording around it reads that too."""
        popped = self._rec.pop()
        assert popped is rec
        out = Reads.of(rec)
        self.touch_all(out)
        return out

    # ------------------------------------------------------------------ modules

    def module_name_for(self, path: Path) -> tuple[str, bool]:
        path = path.resolve()
        package = path.name == "__init__.py"
        parts, d = module_path(path)
        if d not in self.roots:
            self.roots.append(d)
            self._roots_key = roots_key(self.roots)
        return ".".join(parts) or path.parent.name, package

    def enter(self, path: Path) -> None:
        """Analyse the next entry, `path`: imports resolve under the run's roots and the
        entry's own, as when the program starts from it - not under the roots of the entries
        this project analysed before (a folder of scripts has its own `utils.py`)."""
        path = path.resolve()
        _, d = module_path(path)
        # a script in a namespace folder of a package: run, it imports its neighbours from
        # its folder; imported, its package's root finds the rest
        own = [path.parent] if path.parent != d and not (path.parent / "__init__.py").exists() else []
        self.roots = self.base_roots + [r for r in own + [d] if r not in self.base_roots]
        self._roots_key = roots_key(self.roots)
        self._entry_path = path
        self._unit_modules = set()

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
        """The module an import of `name` finds under the current roots (loading it if need
        be). A module of the same name another entry's roots found is not it."""
        if "@" in name:  # an entry or notebook under its own name, never an import
            return self.modules.get(name)
        resolved = self.locate_module(name)
        if resolved is None:
            return None
        if resolved not in self._unit_modules and resolved != self._entry_path:
            # at most so many modules per entry, counted as if its project were its own
            if len(self._unit_modules) >= MAX_EXTRA_MODULES:
                return None
            self._unit_modules.add(resolved)
        mod = self.by_path.get(resolved)
        if mod is not None:
            return mod
        if (self._roots_key, name) in self._missing:
            if name in self.load_errors:
                self.touch(("e", name))
            return None
        # another file already holds the name (a script folder's own `utils`): an alias
        mod = self._load(resolved, name if name not in self.modules else f"{name}@{len(self.modules)}")
        if mod is None:
            self._missing.add((self._roots_key, name))
        return mod

    def module_at(self, path: Path) -> ModuleInfo | None:
        """The module in file `path` (a checked file found by what it spells, not by an
        import), loaded under the name its packages give it; None if another file holds
        that name or it cannot be read."""
        known = self.by_path.get(path)
        if known is not None:
            return known
        parts, _ = module_path(path)
        name = ".".join(parts)
        if not name or name in self.modules:
            return None
        return self._load(path, name)

    def locate_module(self, name: str) -> Path | None:
        """The file of module `name` under the project's roots (first root wins). The
        places looked at in vain are a dependency of whoever asked (if a file appears
        there, the answer changes): recorded as ("x", name), see missing_paths_of."""
        key = (self._roots_key, name)
        hit = self._located.get(key, False)
        if hit is False:
            hit, in_vain = self.places_of(name)
            self._probed[key] = tuple(map(str, in_vain))  # as the cache's dependencies name them
            self._located[key] = hit
        if self._probed[key]:
            self.touch(("x", name))
        return hit

    def places_of(self, name: str) -> tuple[Path | None, list[Path]]:
        """(the file of module `name`, the places looked at in vain before it), without
        recording them as a dependency."""
        rel = name.replace(".", os.sep)
        in_vain: list[Path] = []
        for root in self.roots:
            key = (root, rel)
            found = self.file_probes.get(key)
            if found is None:
                found = self.file_probes[key] = _file_of(root, rel)
            in_vain.extend(found[1])
            if found[0] is not None:
                return found[0], in_vain
        return None, in_vain

    def missing_paths_of(self, looked_for: Iterable[str]) -> set[str]:
        """The paths looked at in vain for the modules `looked_for` (recorded as ("x", name))
        under the current roots."""
        probed, roots = self._probed, self._roots_key
        out: set[str] = set()
        for name in looked_for:
            out.update(probed.get((roots, name), ()))
        return out

    def _load(self, path: Path, name: str) -> ModuleInfo | None:
        from gdpr_lint.pipeline.discovery import display_path

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
            self.forget_summaries_reading(("p", mod.name))
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
        return Value(tags=frozenset({Ext(surfaces.canonical(dotted))}))

    def module_attr(self, modname: str, attr: str) -> Value:
        mod = self.find_module(modname)
        if mod is None:
            return Value(tags=frozenset({Ext(f"{modname}.{attr}")}))
        value = self.global_value(mod, attr)
        if value is not None:
            return value
        if self.find_module(f"{modname}.{attr}") is not None:
            return Value(tags=frozenset({Mod(f"{modname}.{attr}")}))
        hook = self.global_value(mod, "__getattr__")  # a module's attribute hook (PEP 562)
        for t in hook.of(Func) if hook is not None else ():
            fi = self.functions.get(t.key)
            if fi is not None and fi.module is mod:
                return self.hooked_attribute(fi, attr) or EMPTY
        return EMPTY

    def resolve_relative(self, mod: ModuleInfo, name: str | None, level: int) -> str:
        return resolve_relative(mod.name, mod.package, name, level)

    def import_name(self, base: str, name: str) -> Value:
        mod = self.find_module(base) if base else None
        if mod is None:
            if base and self.find_module(f"{base}.{name}") is not None:
                return Value(tags=frozenset({Mod(f"{base}.{name}")}))
            return Value(tags=frozenset({Ext(surfaces.canonical(f"{base}.{name}" if base else name))}))
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
    - class definitions and assignments to plain names bound once, when nothing else
      binds those names (so the value read is the one the module ends with): most of a
      module that gained one OpenAI call is classes and constants that call never touches.
      A name bound again (a notebook's `email_input = {...}` cell after cell) keeps its
      binders in order: code between them reads the value bound before it, and a frame
      that already holds the first value would not ask for the next one."""
    out = {i for i, st in enumerate(body) if _is_main_guard(st) and not spans_any(st, trigger_lines)}
    i = len(body)
    while i > 0 and (i - 1 in out or isinstance(body[i - 1], ast.Expr) and isinstance(body[i - 1].value, ast.Call)
                     and not spans_any(body[i - 1], trigger_lines)):
        i -= 1
        out.add(i)
    rebound = {j for where in binders.values() if len(where) > 1 for j in where}
    lazy = {i for i, st in enumerate(body) if i not in out and i not in rebound and _only_binds_names(st)
            and not spans_any(st, trigger_lines)}
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


def _binders(mod: ModuleInfo) -> dict[str, list[int]]:
    if mod.binders is None:
        assert mod.source.tree is not None
        mod.binders = tree_fact(mod.source.tree, _top_level_binders)
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


def spans_any(node: ast.AST, lines: list[int]) -> bool:
    """Whether one of `lines` (sorted: trigger lines) lies within the node."""
    start = node.lineno
    i = bisect_left(lines, start)
    return i < len(lines) and lines[i] <= (node.end_lineno or start)
