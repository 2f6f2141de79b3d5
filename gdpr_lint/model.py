"""The data every stage of the pipeline passes on: call sites, findings, errors.

These are plain, serialisable records so that the cache, the worker processes and
every report format share one contract (documented in README.md, "JSON findings").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a file: 1-based lines, 1-based columns in Unicode code points."""

    line: int
    column: int
    end_line: int
    end_column: int


def location(path: str, line: int, column: int, cell: int | None = None) -> str:
    """`app/crm.py:12:5`, or in a notebook `analysis.ipynb:cell 3:4:9` (Ruff's notebook form)."""
    if cell is None:
        return f"{path}:{line}:{column}"
    return f"{path}:cell {cell}:{line}:{column}"


@dataclass(frozen=True, slots=True)
class FlowStep:
    """One step of the path personal data takes from where it enters to the request."""

    path: str
    line: int
    column: int
    note: str
    cell: int | None = None  # in a notebook: the 1-based cell (every cell counted); line/column within it

    @property
    def location(self) -> str:
        return location(self.path, self.line, self.column, self.cell)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.cell is None:
            del out["cell"]
        return out


@dataclass(frozen=True)
class ClientConfig:
    """One fact about where an OpenAI client sends its requests, as the code states it."""

    setting: str  # base_url | azure_endpoint | data_residency | websocket_base_url | "" (not known)
    kind: str  # constant | environment | default | unknown
    value: str = ""  # the literal, the environment variable, or the SDK default URL
    where: str = ""  # "path:line" of the client's construction

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CallSite:
    """An OpenAI request call expression found in the code."""

    path: str
    span: Span
    endpoint: str  # e.g. "chat.completions.create"
    flavour: str  # openai-v1 | openai-v1-async | openai-azure | openai-module | openai-legacy | langchain | litellm
    confidence: str  # high | medium | low (how sure we are the receiver is an OpenAI client)
    protected: bool = False  # routed through gdpr_lint.runtime.protect
    function: str = ""  # enclosing function's qualified name ("" at module level)
    text: str = ""  # the callee expression as written, e.g. "client.chat.completions.create"
    statement_lines: tuple[int, int] = (0, 0)  # first and last line of the enclosing statement
    client: tuple[ClientConfig, ...] = ()  # the receiving client's configuration (data residency)
    store: str = ""  # the call's store= argument: "true" | "false" | "dynamic" | "" (not given)
    cell: int | None = None  # in a notebook: the 1-based cell (every cell counted); the span is within it

    @property
    def location(self) -> str:
        return location(self.path, self.span.line, self.span.column, self.cell)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.cell is not None:
            out["cell"] = self.cell
        out.update({
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "endpoint": self.endpoint,
            "flavour": self.flavour,
            "confidence": self.confidence,
            "protected": self.protected,
            "function": self.function,
            "callee": self.text,
        })
        return out


@dataclass
class Finding:
    """A rule violation at an OpenAI request call (or, for GDPR100, at a comment)."""

    code: str
    path: str
    span: Span
    message: str
    severity: str  # low | medium | high
    confidence: str  # low | medium | high
    data: list[str] = field(default_factory=list)  # e.g. ["customer.email (email)"]
    categories: list[str] = field(default_factory=list)  # e.g. ["email", "name"]
    flow: list[FlowStep] = field(default_factory=list)
    endpoint: str = ""
    flavour: str = ""
    function: str = ""  # enclosing function's qualified name, part of the fingerprint
    callee: str = ""  # callee text, part of the fingerprint
    fixable: bool = False
    fix_hint: str = ""  # what to do by hand when no automatic fix exists
    # Personal expressions in scope at the call, handed to the runtime by --fix:
    # category -> list of source expressions valid at the call site.
    known: dict[str, list[str]] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)  # request parameters the data arrives in
    suppression_reason: str | None = None
    # Lines of the statement holding the call (a noqa comment anywhere on them applies).
    statement_lines: tuple[int, int] = (0, 0)
    # In a notebook: the 1-based cell, counting every cell (markdown ones too); the span
    # and statement_lines are then within the cell's source. None in a Python file.
    cell: int | None = None

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def location(self) -> str:
        """`path:line:column`, or `path:cell N:line:column` in a notebook."""
        return location(self.path, self.span.line, self.span.column, self.cell)

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.span.line, self.span.column, self.code)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "path": self.path}
        if self.cell is not None:
            out["cell"] = self.cell
        out.update({
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "message": self.message,
            "severity": self.severity,
            "confidence": self.confidence,
            "data": list(self.data),
            "categories": list(self.categories),
            "flow": [s.to_dict() for s in self.flow],
            "endpoint": self.endpoint,
            "flavour": self.flavour,
            "function": self.function,
            "fixable": self.fixable,
            "params": list(self.params),
            "callee": self.callee,
            "known": {k: list(v) for k, v in self.known.items()},
        })
        if self.fix_hint:
            out["fix_hint"] = self.fix_hint
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Finding":
        return cls(
            code=d["code"],
            path=d["path"],
            span=Span(d["line"], d["column"], d["end_line"], d["end_column"]),
            message=d["message"],
            severity=d["severity"],
            confidence=d["confidence"],
            data=list(d.get("data", [])),
            categories=list(d.get("categories", [])),
            flow=[FlowStep(**s) for s in d.get("flow", [])],
            endpoint=d.get("endpoint", ""),
            flavour=d.get("flavour", ""),
            function=d.get("function", ""),
            callee=d.get("callee", ""),
            fixable=d.get("fixable", False),
            params=list(d.get("params", [])),
            fix_hint=d.get("fix_hint", ""),
            known={k: list(v) for k, v in d.get("known", {}).items()},
            cell=d.get("cell"),
        )


@dataclass(frozen=True)
class FileError:
    """A file (or path) that could not be analysed. Any of these makes the run exit 2."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


LEVELS = ("low", "medium", "high")


def level_at_least(value: str, minimum: str) -> bool:
    return LEVELS.index(value) >= LEVELS.index(minimum)


def filter_levels(findings: list[Finding], severity: str, confidence: str) -> list[Finding]:
    """The findings at or above both levels (--severity-level, --confidence-level)."""
    return [f for f in findings if level_at_least(f.severity, severity) and level_at_least(f.confidence, confidence)]
