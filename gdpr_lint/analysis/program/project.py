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
from pathlib import Path
from typing import Callable

from gdpr_lint.analysis.program.classes import Classes
from gdpr_lint.analysis.program.cycles import SummaryCycles
from gdpr_lint.analysis.program.entries import Entries
from gdpr_lint.analysis.program.functions import Functions
from gdpr_lint.analysis.program.global_stores import GlobalStores
from gdpr_lint.analysis.program.graph_state import GraphState
from gdpr_lint.analysis.program.modules import Modules, roots_key
from gdpr_lint.analysis.program.requests import Requests
from gdpr_lint.analysis.program.template_files import TemplateFiles
from gdpr_lint.analysis.program.symbols import ClassInfo, FunctionInfo, ModuleInfo, SiteInfo
from gdpr_lint.analysis.summaries import Hit, Summary
from gdpr_lint.analysis.vocabulary import Vocabulary
from gdpr_lint.model import FileError
from gdpr_lint.pipeline.bodies import KeptBodies
from gdpr_lint.surfaces.catalogue import catalogue, sanitizers


class Project(Modules, Classes, Functions, GlobalStores, Requests, Entries, GraphState, TemplateFiles):
    """The whole program a unit sees: the modules it loads, their functions and classes,
    summaries, and the request call sites found. Implements analysis/context.py's
    AnalysisContext; the concerns live in the classes it combines."""

    def __init__(self, vocab: Vocabulary, *, roots: list[Path], cwd: Path,
                 extra_sanitizers: tuple[str, ...] = (), sinks: tuple = (),
                 input_bytes: Callable[[Path], bytes | None] | None = None,
                 parse_cache: dict | None = None, bodies: KeptBodies | None = None,
                 file_probes: dict | None = None,
                 graph_builders: tuple[Path, ...] = ()) -> None:
        self.vocab = vocab
        self.catalogue = catalogue()
        self.sanitizers = sanitizers()
        self.extra_sanitizers = frozenset(extra_sanitizers)
        self.configured_sinks = {s.function: s for s in sinks}
        # words that make a function worth analysing beyond the OpenAI spellings
        self.extra_words: frozenset[str] = frozenset(s.function.split(".")[-1] for s in sinks)
        self.cwd = cwd
        self.roots = [r.resolve() for r in roots]
        self.base_roots = list(self.roots)  # the run's; the entry's own is added (Modules.enter)
        self._roots_key = roots_key(self.roots)
        self.modules: dict[str, ModuleInfo] = {}
        self.by_path: dict[Path, ModuleInfo] = {}
        self.functions: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.summaries: dict[str, Summary] = {}
        self.sink_keys: set[str] = set()  # keys of the summaries with sinks (keep_summary)
        self.hit_keys: set[str] = set()  # keys of the summaries with hits
        self._provisional_readers: dict[tuple, list[str]] = {}  # marker -> keys of summaries that read it (keep_summary)
        self.specialisations: dict[tuple, str] = {}  # (function, callables bound) -> its summary's key
        self.cycles = SummaryCycles()  # recursive cycles among the summaries being worked out
        self.sites: dict[str, SiteInfo] = {}
        self.site_rank: dict[str, int] = {}  # site key -> the order it was found in
        self.module_hits: list[Hit] = []
        self.errors: list[FileError] = []
        self._missing: set[tuple[str, str]] = set()  # (roots, name): failed to load
        self.load_errors: dict[str, FileError] = {}
        self._located: dict[tuple[str, str], Path | None] = {}  # (roots, module name) -> its file
        self._probed: dict[tuple[str, str], tuple[str, ...]] = {}  # ... -> where it was looked for in vain
        self._unit_modules: set[Path] = set()  # the modules the current entry's imports found
        self._entry_path: Path | None = None
        # Dependency recording: what each summary / module evaluation read, so that a
        # unit's result names every file it depends on (for the cache).
        self._rec: list[set] = []
        self.input_bytes = input_bytes or (lambda path: None)
        self.parse_cache = parse_cache if parse_cache is not None else {}
        self.bodies = bodies  # the parse cache's run function bodies held as trees (None: all)
        # (root, module path) -> its file or None: the file system does not change during a
        # run, so the projects of one run share what was found where (modules.locate_module)
        self.file_probes: dict[tuple[Path, str], tuple[Path | None, tuple[Path, ...]]] = file_probes if file_probes is not None else {}
        # data written to files by literal path, for reads of the same path (analysis order)
        self.file_data: dict[str, frozenset] = {}
        # graph state (LangGraph): the nodes whose updates a module's nodes read, per (module,
        # state type); what they write, per (state type, those nodes) -> key
        self.graph_writers: dict[tuple[str, str], list[FunctionInfo]] = {}
        self.graph_state: dict[tuple, dict[str, frozenset]] = {}
        self.graph_state_collecting: set[tuple] = set()
        self.graph_state_reads: set[str] | None = None  # keys the writer being run reads
        # the checked files that add nodes to a graph (graph_state.state_writers)
        self.graph_builders = graph_builders
        self.graph_builder_words: dict[str, bool] = {}  # function name -> spelled by a graph builder?
        # (module, reference) -> its expression, parsed once: a partial's value is told by its node
        self.graph_references: dict[tuple[str, str], ast.expr] = {}
        self.graph_entrypoints: dict[str, tuple] = {}  # function key -> (a functional-API graph?, reads)
        # (module, function) -> (its names once run, reads), for graph nodes named through them
        self.graph_scopes: dict[tuple[str, str], tuple] = {}

    def dispose(self) -> None:
        """Break the reference cycles between the project's records (a module lists its
        functions and each function names its module; a closure keeps its enclosing frame,
        which keeps the project), so that a dropped project is freed at once by reference
        counting instead of waiting for the cyclic collector to walk the heap. The project
        is unusable afterwards; the parsed files it read are shared and stay."""
        for records in (self.modules.values(), self.functions.values(), self.classes.values(), self.sites.values()):
            for record in records:
                record.__dict__.clear()
        self.__dict__.clear()

    def write_file(self, path: str, taints: frozenset) -> None:
        self.file_data[path] = self.file_data.get(path, frozenset()) | taints

    def file_contents(self, path: str) -> frozenset:
        return self.file_data.get(path, frozenset())
