"""What a formatter is handed: `Report`, the output of one command (the findings of
`check`, the call sites of `calls`, the data map of `map`) with its `ReportContext`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gdpr_lint.model import CallSite, Finding


@dataclass
class ReportContext:
    cwd: Path
    sources: dict = field(default_factory=dict)  # display path -> SourceFile (for snippets, fingerprints)
    files: int = 0
    show_fixes: bool = False  # --show-fixes: the planned rewrite under each fixable finding (`fixes`)
    fixes: dict = field(default_factory=dict)  # (path, line, column, code) -> diff lines of its fix
    color: bool = False  # ANSI colours in the text formats (--color, NO_COLOR, FORCE_COLOR)
    statistics: bool = False
    suppressed: list = field(default_factory=list)  # findings silenced by comments (SARIF lists them as suppressed)
    errors: list = field(default_factory=list)  # FileErrors of the run (SARIF notifications, JUnit errors)


@dataclass
class Report:
    """What a command produced, for its formatter (`(report: Report) -> str`)."""

    context: ReportContext
    findings: list[Finding] = field(default_factory=list)  # check
    sites: list[CallSite] = field(default_factory=list)  # calls
    inventory: dict = field(default_factory=dict)  # map: the document of report/inventory.py
    quiet: bool = False  # -q: no summary line (calls' text format)
