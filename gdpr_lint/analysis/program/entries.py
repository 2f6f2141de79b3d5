"""Entries: analysing an entry module - its top-level code and the functions whose
lines can hold a request (prefilter words), deferring script code that cannot.

A part of the whole-program side: `Project` (project.py) combines them.
"""

from __future__ import annotations

import ast
import re

from gdpr_lint.analysis.frame import Frame
from gdpr_lint.analysis.libraries import open_target
from gdpr_lint.analysis.models import library_models
from gdpr_lint.analysis.program.modules import spans_any
from gdpr_lint.analysis.program.graph_state import edge_functions
from gdpr_lint.analysis.program.symbols import FunctionInfo, ModuleInfo, tree_fact
from gdpr_lint.analysis.reads import Reached, by_kind
from gdpr_lint.surfaces import registry as surfaces
from gdpr_lint.analysis.summaries import Hit
from gdpr_lint.analysis.values import Obj


class Entries:

    # ------------------------------------------------------------------ driver

    def analyse(self) -> None:
        """Analyse every reported module as an entry (single-project use, e.g. tests)."""
        for mod in [m for m in self.modules.values() if m.reported]:
            hits, _, _ = self.analyse_entry(mod, frozenset())
            self.module_hits.extend(h for h in hits if h not in self.module_hits)

    def analyse_entry(self, mod: ModuleInfo, words: frozenset[str],
                      exhaustive: bool = False) -> tuple[list[Hit], dict[str, list[str]], set[str]]:
        """Analyse one entry module: its module-level code and, demand-driven, the functions
        whose text can hold a request or a call of a helper that reaches one (every function
        when `exhaustive`).
        Returns (hits, what was read by kind (reads.by_kind), helper names found)."""
        rec = self.recording()
        reached = Reached()  # what `rec` holds, flattened round by round
        imported = tree_fact(mod.source.tree, imported_surface_names) if mod.source.tree is not None else frozenset()
        words = frozenset(words) | self.extra_words | imported
        routing: frozenset[str] = frozenset()
        if mod.source.tree is not None and b"_conditional_e" in mod.source.search_view:
            # a graph's routing function (`add_conditional_edges`) can `Send` data to a node
            routing = tree_fact(mod.source.tree, edge_functions)
            words |= {ref.rsplit(".", 1)[-1] for ref in routing if ref.rsplit(".", 1)[-1].isidentifier()}
        try:
            self.ensure_globals(mod, defer_words=None if exhaustive else words)
            # module globals holding a library's object (`router = Router(...)`, `ask =
            # functools.partial(client.chat.completions.create, ...)`) mark the lines using them
            words |= {name for name, v in mod.globals.items() if surfaces.owned(v)}
            words |= self.instances_of_helpers(mod, words)
            words |= self.attributes_given_requests(mod)
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
            # a routing function defined in another module (`routes.fan_out`) runs as part of
            # this module's graph: its `Send`s run their nodes here
            for fi in self.graph_functions(mod, sorted(routing)):
                if fi.module is not mod and fi.key not in analysed:
                    analysed.add(fi.key)
                    self.summary(fi)
            if not exhaustive:
                # a function writing a file this module reads back (a JSONL batch built from
                # records, then uploaded) runs first, so the read sees what was written
                for fi in file_writers(mod):
                    analysed.add(fi.key)
                    self.summary(fi)
            for _ in range(6):  # until no new helper makes more callers relevant
                if mod.deferred:
                    # classes left for later whose methods may now call a helper that reaches a request
                    lines = self.trigger_lines(mod, words)
                    for i in sorted(mod.deferred - mod.evaluated):
                        if isinstance(body[i], ast.ClassDef) and spans_any(body[i], lines):
                            self.global_value(mod, body[i].name)
                for fi in list(mod.functions):
                    if fi.key not in analysed and (exhaustive or self.relevant(fi, words)):
                        analysed.add(fi.key)
                        self.summary(fi)
                reached.add(rec)
                sinks = self.reached_summaries(self.sink_keys, reached)
                # a callable object's class is spelled where the object is made (`model = Model()`)
                found = {fi.name for fi in sinks} | {fi.cls.name for fi in sinks if fi.cls and fi.name == "__call__"}
                if found <= words:
                    break
                words = words | found
                words |= self.instances_of_helpers(mod, words)
            tail_hits = []
            if mod.deferred:
                # deferred code, where it calls what turned out to reach a request
                lines = self.trigger_lines(mod, words)
                now = [st for i, st in enumerate(body) if i in mod.deferred and spans_any(st, lines)]
                if now:
                    frame = Frame(self, mod, env=dict(mod.globals))
                    for st in now:
                        frame.stmt(st)
                    tail_hits = frame.hits
        finally:
            self.stop_recording(rec)
        reached.add(rec)
        reads = by_kind(reached.items)
        hits = list(mod.report_hits) + tail_hits
        for fi in self.reached_summaries(self.hit_keys, reached):
            hits.extend(self.summaries[fi.key].hits)
        sink_functions = self.reached_summaries(self.sink_keys, reached)
        helpers = {fi.name for fi in sink_functions}
        helpers |= {fi.cls.name for fi in sink_functions if fi.cls is not None and fi.name == "__call__"}
        return hits, reads, helpers

    def reached_summaries(self, keys: set[str], reached: Reached) -> list[FunctionInfo]:
        """The functions among `keys` (the summaries with sinks, or with hits) whose summaries
        a unit's analysis used: looked up from the few with either, not the many it used."""
        return [self.functions[k] for k in keys if ("f", k) in reached.items]

    def unanalysed_spans(self, mod: ModuleInfo, reads: dict[str, list[str]]) -> tuple[tuple[int, int], ...]:
        """The line ranges of entry `mod` whose code its analysis (which read `reads`) did
        not run: functions it never summarised and top-level statements left for later. A
        helper's name found later only in other lines adds nothing to the entry's answer:
        the calls there were analysed, and a call resolves to the helper whatever the words."""
        touched = set(reads.get("f", ()))
        assert mod.source.tree is not None
        body = mod.source.tree.body
        spans = {(body[i].lineno, body[i].end_lineno or body[i].lineno) for i in mod.deferred}
        spans |= {(fi.node.lineno, fi.node.end_lineno or fi.node.lineno) for fi in mod.functions
                  if fi.key not in touched}
        return tuple(sorted(spans))

    def instance_classes(self, mod: ModuleInfo) -> tuple[tuple[str, str], ...]:
        """(global, class name) for the module globals holding an object of a project class:
        the class named as a helper (its `__call__` reaches a request) marks the global."""
        out = set()
        for name, v in mod.globals.items():
            for o in v.of(Obj):
                ci = self.classes.get(o.cls)
                if ci is not None:
                    out.add((name, ci.name))
        return tuple(sorted(out))

    def instances_of_helpers(self, mod: ModuleInfo, words: frozenset[str]) -> set[str]:
        """Module globals holding an instance of a class named in `words` (a callable wrapper
        whose `__call__` reaches a request): the lines calling them can reach it too."""
        return {name for name, cls in self.instance_classes(mod) if cls in words}

    def attributes_given_requests(self, mod: ModuleInfo) -> set[str]:
        """Attributes a method sets, on a line that spells a request, to what it spells
        (`self.send = client.chat.completions.create`): the lines calling them through
        `self` (`self.send(...)`, in another method) can reach it too."""
        lines = mod.source.lines
        out = set()
        for n in self.trigger_lines(mod, frozenset()):
            if n <= len(lines) and (m := _SELF_STORE.match(lines[n - 1])):
                out.add(m.group(1))
        return out

    def trigger_lines(self, mod: ModuleInfo, words: frozenset[str]) -> list[int]:
        """Lines of `mod` that may hold a request or a call of a helper named in `words`."""
        cache = mod.trigger_lines
        if cache is None:
            cache = mod.trigger_lines = {}
        lines = cache.get(words)
        if lines is None:
            from gdpr_lint.pipeline.prefilter import lines_by_word, trigger_lines

            # the spellings' lines once, each word's once: the words grow round by round
            # and differ from unit to unit, the file does not
            by_word = mod.word_lines
            if by_word is None:
                by_word = mod.word_lines = {"": trigger_lines(mod.source.search_view)}
            new = words - by_word.keys()
            if new:
                by_word.update(lines_by_word(mod.source.search_view, frozenset(new)))
            found = set(by_word[""])
            for w in words:
                found |= by_word[w]
            lines = cache[words] = sorted(found)
        return lines

    def relevant(self, fi: FunctionInfo, words: frozenset[str]) -> bool:
        return spans_any(fi.node, self.trigger_lines(fi.module, words))

    def sink_helpers(self) -> set[str]:
        """Names of functions whose parameters reach a request: their callers matter too."""
        return {self.functions[k].name for k, s in self.summaries.items() if s.sinks}

    def all_hits(self) -> list[Hit]:
        hits = list(self.module_hits)
        for s in self.summaries.values():
            hits.extend(s.hits)
        return hits


# `self.send = ...`, `self.send: Callable = ...` at the start of a line (not `==`)
_SELF_STORE = re.compile(r"\s*self\.([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)")


def imported_surface_names(tree: ast.Module | None) -> frozenset[str]:
    """The names a module binds by importing from a surface's library (`from litellm import
    acompletion as ask`, `import litellm as ll`): the lines using them can hold a request."""
    if tree is None:
        return frozenset()
    roots = surfaces.package_roots()
    # and what runs a deployed graph of the project (`get_client`, `RemoteGraph`): its nodes
    # may send requests (`runs = get_client().runs` ... `runs.wait(...)`)
    models = library_models()
    runners = models.graph_clients | models.remote_graphs
    out = set()
    for node in _statements(tree.body):  # imports are statements: no need to visit expressions
        if isinstance(node, ast.ImportFrom) and not node.level and node.module \
                and node.module.split(".", 1)[0] in roots:
            out.update(a.asname or a.name for a in node.names if a.name != "*")
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.update(a.asname or a.name for a in node.names if f"{node.module}.{a.name}" in runners)
        elif isinstance(node, ast.Import):
            out.update(a.asname or a.name.split(".", 1)[0] for a in node.names if a.name.split(".", 1)[0] in roots)
    return frozenset(out)


def _statements(body: list[ast.stmt]):
    """Every statement of a body, nested ones included (not the expressions in them)."""
    for st in body:
        yield st
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(st, field, None)
            if inner:
                yield from _statements(inner)
        for handler in getattr(st, "handlers", ()) or ():
            yield from _statements(handler.body)
        for case in getattr(st, "cases", ()) or ():
            yield from _statements(case.body)


_WRITE_OPEN = re.compile(r"""open\(\s*['"]([^'"\n]+)['"]\s*,\s*(?:mode\s*=\s*)?['"][^'"\n]*[wax]""")


def _opened_paths(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Literal paths given to open(...): (opened for writing, opened for reading)."""
    written, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (node.func.attr if isinstance(node.func, ast.Attribute)
                                           else getattr(node.func, "id", "")) == "open":
            target = open_target(node)
            if target is not None:
                (written if target[1] else read).add(target[0])
    return written, read


def file_writers(mod: ModuleInfo) -> list[FunctionInfo]:
    """The module's functions that write a literal path the module also reads."""
    tree = mod.source.tree
    text = mod.source.text
    # cheap first: a literal path opened for writing that the text names again
    written = {m.group(1) for m in _WRITE_OPEN.finditer(text)}
    if tree is None or not any(text.count(path) > 1 for path in written):
        return []
    _, read = _opened_paths(tree)
    if not read:
        return []
    return [fi for fi in mod.functions if _opened_paths(fi.node)[0] & read]
