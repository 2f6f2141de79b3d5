"""Report formats. Each renderer takes the findings of a run and returns text.

`render(fmt, findings, context)` dispatches by name; the registry below is the
single list of formats the CLI offers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Callable

from gdpr_lint.model import Finding


@dataclass
class ReportContext:
    cwd: Path
    sources: dict = field(default_factory=dict)  # display path -> SourceFile (for snippets, fingerprints)
    files: int = 0
    show_fixes: bool = True
    statistics: bool = False
    suppressed: list = field(default_factory=list)  # findings silenced by comments (SARIF lists them as suppressed)
    errors: list = field(default_factory=list)  # FileErrors of the run (SARIF notifications, JUnit errors)


# format name -> "module:function"
FORMATS: dict[str, str] = {
    "full": "gdpr_lint.report.text:render_full",
    "concise": "gdpr_lint.report.text:render_concise",
    "json": "gdpr_lint.report.json_formats:render_json",
    "json-lines": "gdpr_lint.report.ci:render_json_lines",
    "sarif": "gdpr_lint.report.sarif:render_sarif",
    "github": "gdpr_lint.report.ci:render_github",
    "gitlab": "gdpr_lint.report.ci:render_gitlab",
    "junit": "gdpr_lint.report.ci:render_junit",
}


def render(fmt: str, findings: list[Finding], context: ReportContext) -> str:
    module_name, func_name = FORMATS[fmt].split(":")
    func: Callable[[list[Finding], ReportContext], str] = getattr(import_module(module_name), func_name)
    return func(findings, context)
