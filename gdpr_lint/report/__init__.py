"""Report formats: one registry for every command, in the shape of Bandit's
formatter registry. `FORMATS[command]` maps a format name to a formatter, a
function `(report: Report) -> str` (`Report`, in report/context.py, carries what
the command produced), named as "module:function" and imported only when used:
the CLI takes its `--output-format` choices from here without loading them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from gdpr_lint.report.context import Report

# command -> format name -> "module:function"; the first format is the default
FORMATS: dict[str, dict[str, str]] = {
    "check": {
        "full": "gdpr_lint.report.text:render_full",
        "concise": "gdpr_lint.report.text:render_concise",
        "json": "gdpr_lint.report.json_formats:render_json",
        "json-lines": "gdpr_lint.report.ci:render_json_lines",
        "sarif": "gdpr_lint.report.sarif:render_sarif",
        "github": "gdpr_lint.report.ci:render_github",
        "gitlab": "gdpr_lint.report.ci:render_gitlab",
        "junit": "gdpr_lint.report.ci:render_junit",
    },
    # `check --statistics`: JSON with --output-format json, the table otherwise
    "statistics": {
        "text": "gdpr_lint.report.statistics:render_statistics",
        "json": "gdpr_lint.report.statistics:render_statistics_json",
    },
    "calls": {
        "text": "gdpr_lint.report.calls:render_calls_text",
        "json": "gdpr_lint.report.calls:render_calls_json",
    },
    "map": {
        "markdown": "gdpr_lint.report.map_markdown:render_map_markdown",
        "json": "gdpr_lint.report.map_json:render_map_json",
        "html": "gdpr_lint.report.map_html:render_map_html",
    },
}


def formats(command: str) -> list[str]:
    """The format names of a command, the default first."""
    return list(FORMATS[command])


def formatter(command: str, fmt: str) -> Callable[[Report], str]:
    module_name, func_name = FORMATS[command][fmt].split(":")
    return getattr(import_module(module_name), func_name)


def render(command: str, fmt: str, report: Report) -> str:
    return formatter(command, fmt)(report)
