"""What the interpreter may ask of the whole program (pytype's `context.py` is the model).

A `Frame` (analysis/frame.py) runs one body; everything beyond that body - other
modules, classes, summaries of called functions, call-site records - it reaches
through this protocol, which `Project` (analysis/program/project.py) implements. The
frame never imports the project, so the two do not form an import cycle, and a test
can hand a frame a small stand-in.
"""

from __future__ import annotations

import ast
from typing import Any, Protocol

from gdpr_lint.analysis.program.symbols import ClassInfo, FunctionInfo, ModuleInfo, SiteInfo
from gdpr_lint.analysis.summaries import Summary
from gdpr_lint.analysis.values import Value
from gdpr_lint.analysis.vocabulary import Vocabulary
from gdpr_lint.model import FlowStep
from gdpr_lint.surfaces.catalogue import Sanitizers

# `Frame` below is the frame defining the function or class (typed Any: the frame
# module imports this one, not the other way round).
Frame = Any


class AnalysisContext(Protocol):
    vocab: Vocabulary
    sanitizers: Sanitizers
    extra_sanitizers: frozenset[str]
    configured_sinks: dict[str, Any]
    functions: dict[str, FunctionInfo]
    classes: dict[str, ClassInfo]
    sites: dict[str, SiteInfo]

    # dependencies (what a summary read, for the cache)
    def touch(self, item: tuple) -> None: ...

    # modules and imports
    def final_global(self, mod: ModuleInfo, name: str) -> bool: ...
    def global_value(self, mod: ModuleInfo, name: str) -> Value | None: ...
    def module_attr(self, modname: str, attr: str) -> Value: ...
    def resolve_relative(self, mod: ModuleInfo, name: str | None, level: int) -> str: ...
    def resolve_imported(self, value: Value) -> Value: ...
    def star_import(self, base: str) -> dict[str, Value]: ...

    # definitions and classes
    def define_function(self, mod: ModuleInfo, node: Any, frame: Frame, cls: ClassInfo | None) -> FunctionInfo: ...
    def define_class(self, mod: ModuleInfo, node: ast.ClassDef, frame: Frame) -> ClassInfo: ...
    def class_is_person(self, key: str) -> bool: ...
    def class_method(self, ci: ClassInfo, name: str) -> FunctionInfo | None: ...
    def class_member(self, ci: ClassInfo, attr: str, self_value: Value | None) -> Value | None: ...
    def class_attr_set(self, key: str, attr: str, value: Value) -> None: ...

    def global_stores(self, mod: ModuleInfo, name: str) -> Value | None: ...

    def record_global_store(self, mod: ModuleInfo, name: str, value: Value) -> None: ...

    # graph state passed between node functions
    def state_read(self, fi: FunctionInfo, key: str) -> Value | None: ...

    # files written and read back by literal path
    def write_file(self, path: str, taints: frozenset) -> None: ...
    def file_contents(self, path: str) -> frozenset: ...

    # calls
    def summary(self, fi: FunctionInfo) -> Summary: ...
    def bind_arguments(self, fi: FunctionInfo, node: ast.Call, args: list[Value], kwargs: Any,
                       bound_self: Value | None) -> dict[int, Value]: ...
    def protect_value(self, inner: Value, protection: "bool | str" = True) -> Value: ...
    def detect_request(self, frame: Frame, node: ast.Call, fval: Value, args: list[Value],
                       kwargs: Any) -> Value | None: ...


class FrameView(Protocol):
    """What a surface may ask of the frame interpreting a call."""

    ctx: AnalysisContext

    def where(self, node: ast.AST) -> str: ...

    def step(self, node: ast.AST, note: str) -> FlowStep: ...

    def source(self, node: ast.AST, expr: str, category: str, confidence: str, note: str | None = None,
               known: bool = True) -> Any: ...

    def eval(self, node: ast.AST | None) -> Value: ...

    def call(self, node: ast.Call, fval: Value, recv: Value | None, args: list[Value],
             kwargs: list[tuple[str | None, Value, ast.AST]]) -> Value: ...
