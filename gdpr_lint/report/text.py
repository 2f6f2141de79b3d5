"""Human-readable formats: `full` (Ruff-like, with the data path) and `concise`."""

from __future__ import annotations

from gdpr_lint.report.context import Report
from gdpr_lint.report.locations import source_line


def render_concise(report: Report) -> str:
    return "".join(f"{f.location}: {f.code} {f.message}\n" for f in report.findings)


def render_full(report: Report) -> str:
    findings, context = report.findings, report.context
    out: list[str] = []
    for f in findings:
        out.append(f"{f.location}: {f.code} [{f.severity} severity, {f.confidence} confidence] {f.message}")
        text = source_line(context, f.path, f.line, f.cell)
        if text is not None:
            width = len(str(f.line))
            out.append(f" {' ' * width} |")
            out.append(f" {f.line} | {text}")
            out.append(f" {' ' * width} | {' ' * (f.column - 1)}^")
        if f.flow:
            out.append("  data path:")
            for step in f.flow:
                out.append(f"    {step.location}: {step.note}")
        if not f.fixable and f.fix_hint:
            out.append(f"  help: {f.fix_hint}")
        elif f.fixable:
            out.append("  help: fixable with `gdpr-lint check --fix`")
        out.append("")
    return "\n".join(out) + ("\n" if out else "")
