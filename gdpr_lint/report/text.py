"""Human-readable formats: `full` (Ruff-like, with the data path) and `concise`."""

from __future__ import annotations

from gdpr_lint.report.context import Report


def render_concise(report: Report) -> str:
    return "".join(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n" for f in report.findings)


def render_full(report: Report) -> str:
    findings, context = report.findings, report.context
    out: list[str] = []
    for f in findings:
        out.append(f"{f.path}:{f.line}:{f.column}: {f.code} [{f.severity} severity, {f.confidence} confidence] {f.message}")
        src = context.sources.get(f.path)
        if src is not None and 1 <= f.line <= len(src.lines):
            width = len(str(f.line))
            out.append(f" {' ' * width} |")
            out.append(f" {f.line} | {src.lines[f.line - 1]}")
            out.append(f" {' ' * width} | {' ' * (f.column - 1)}^")
        if f.flow:
            out.append("  data path:")
            for step in f.flow:
                out.append(f"    {step.path}:{step.line}:{step.column}: {step.note}")
        if not f.fixable and f.fix_hint:
            out.append(f"  help: {f.fix_hint}")
        elif f.fixable:
            out.append("  help: fixable with `gdpr-lint check --fix`")
        out.append("")
    return "\n".join(out) + ("\n" if out else "")
