"""Human-readable formats: `full` (Ruff-like, with the data path) and `concise`.

With colour on (a terminal, `--color always`, FORCE_COLOR; never under NO_COLOR or
`--color never`), as Ruff: the path bold, the rule code bold red, the severity by level,
`help:` and the caret cyan. A source line too long to show (a generated or minified file)
is cut to a window around the column of the call.
"""

from __future__ import annotations

from typing import Callable

from gdpr_lint.fix.instruction import fix_instruction
from gdpr_lint.report.context import Report
from gdpr_lint.report.locations import source_line

# Lines up to this many characters are shown whole; longer ones are cut around the column.
MAX_FRAME_WIDTH = 320
_BEFORE = 100  # characters kept before the column in a cut line

_SEVERITY_COLOUR = {"high": "red", "medium": "yellow", "low": "blue"}


def _styler(on: bool) -> Callable[..., str]:
    if not on:
        return lambda text, **_: text
    import click

    return lambda text, **style: click.style(text, **style)


def _where(f, style) -> str:
    """`path:line:column:` (`path:cell 3:line:column:` in a notebook, Ruff's form), styled."""
    colon = style(":", fg="cyan")
    cell = f"{colon}cell {f.cell}" if getattr(f, "cell", None) is not None else ""
    return f"{style(f.path, bold=True)}{cell}{colon}{f.line}{colon}{f.column}{colon}"


def render_concise(report: Report) -> str:
    style = _styler(report.context.color)
    return "".join(f"{_where(f, style)} {style(f.code, fg='red', bold=True)} {f.message}\n" for f in report.findings)


def frame_line(line: str, column: int) -> tuple[str, int]:
    """The source line as shown in the code frame and the caret's 1-based column in it:
    the line itself, or for a very long line a window around `column` with `…` where cut."""
    if len(line) <= MAX_FRAME_WIDTH:
        return line, column
    start = max(0, min(column - 1 - _BEFORE, len(line) - MAX_FRAME_WIDTH))
    end = start + MAX_FRAME_WIDTH
    shown = ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")
    return shown, column - start + (1 if start else 0)


def render_full(report: Report) -> str:
    findings, context = report.findings, report.context
    style = _styler(context.color)
    out: list[str] = []
    for f in findings:
        severity = style(f"{f.severity} severity", fg=_SEVERITY_COLOUR.get(f.severity))
        out.append(f"{_where(f, style)} {style(f.code, fg='red', bold=True)} [{severity}, {f.confidence} confidence] "
                   f"{f.message}")
        text = source_line(context, f.path, f.line, getattr(f, "cell", None))
        if text is not None:
            width = len(str(f.line))
            shown, caret = frame_line(text, f.column)
            bar = style("|", fg="blue", bold=True)
            out.append(f" {' ' * width} {bar}")
            out.append(f" {style(str(f.line), fg='blue', bold=True)} {bar} {shown}")
            out.append(f" {' ' * width} {bar} {' ' * (caret - 1)}{style('^', fg='red', bold=True)}")
        if f.flow:
            out.append("  data path:")
            for step in f.flow:
                out.append(f"    {step.location}: {step.note}")
        if not f.fixable and f.fix_hint:
            out.append(f"  {style('help:', fg='cyan', bold=True)} {f.fix_hint}")
        elif f.fixable:
            out.append(f"  {style('help:', fg='cyan', bold=True)} fixable with {fix_instruction()}")
            fix = context.fixes.get((f.path, f.line, f.column, f.code)) if context.show_fixes else None
            if fix:
                out.append("  fix:")
                for line in fix:
                    colour = "green" if line.startswith("+") else "red" if line.startswith("-") else None
                    out.append(f"    {style(line, fg=colour)}")
        out.append("")
    return "\n".join(out) + ("\n" if out else "")
