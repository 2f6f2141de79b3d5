"""Formats for CI systems: GitHub workflow annotations, GitLab Code Quality,
JUnit XML, and JSON Lines.

Levels (chosen for a privacy gate that fails the build on any finding):

* `github`: high and medium severity -> `::error`, low -> `::warning`
  (GDPR010 and stale suppressions, GDPR100). Medium findings are errors because
  they fail the check; showing them as warnings would misstate why it failed.
* `gitlab`: high -> critical, medium -> major, low -> minor.

In a Jupyter notebook the line and column point into the JSON file as stored
(locations.file_region); the message says the cell and the position within it.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET

from gdpr_lint.fix.instruction import fix_instruction
from gdpr_lint.model import Finding
from gdpr_lint.report.context import Report
from gdpr_lint.report.locations import cell_note, ci_path, file_region
from gdpr_lint.checks.rules import RULES_BY_CODE

GITHUB_LEVEL = {"high": "error", "medium": "error", "low": "warning"}
GITLAB_SEVERITY = {"high": "critical", "medium": "major", "low": "minor"}


def _rule_name(code: str) -> str:
    rule = RULES_BY_CODE.get(code)
    return rule.name if rule else code


def _details(f: Finding) -> list[str]:
    lines = []
    if f.cell is not None:
        lines.append(f"in notebook {cell_note(f)}")
    if f.flow:
        lines.append("data path:")
        lines.extend(f"  {s.location}: {s.note}" for s in f.flow)
    if f.fix_hint:
        lines.append(f"help: {f.fix_hint}")
    elif f.fixable:
        lines.append(f"help: fixable with {fix_instruction()}")
    return lines


# ----------------------------------------------------------------- GitHub


def escape_data(text: str) -> str:
    """Escape a workflow command's message (what follows `::`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (file=, title=, ...)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    findings, context = report.findings, report.context
    out = []
    for f in findings:
        line, column, end_line, end_column = file_region(context, f)
        props = [
            ("file", ci_path(f.path, context)),
            ("line", str(line)),
            ("endLine", str(max(end_line, line))),
            ("col", str(column)),
        ]
        if end_line == line and end_column > column:
            # GitHub reads endColumn only for single-line annotations
            props.append(("endColumn", str(end_column)))
        props.append(("title", f"gdpr-lint {f.code} ({_rule_name(f.code)})"))
        prop_text = ",".join(f"{k}={escape_property(v)}" for k, v in props)
        message = "\n".join([f.message, *_details(f)])
        out.append(f"::{GITHUB_LEVEL.get(f.severity, 'error')} {prop_text}::{escape_data(message)}\n")
    for e in getattr(context, "errors", []) or []:
        out.append(f"::error file={escape_property(ci_path(e.path, context))},title={escape_property('gdpr-lint: file not analysed')}::{escape_data(e.message)}\n")
    return "".join(out)


# ----------------------------------------------------------------- GitLab


def render_gitlab(report: Report) -> str:
    findings, context = report.findings, report.context
    from gdpr_lint.pipeline.baseline import fingerprints_for

    issues = []
    ordered = sorted(findings, key=Finding.sort_key)
    for f, fp in zip(ordered, fingerprints_for(ordered, context)):
        line, _, end_line, _ = file_region(context, f)
        issues.append({
            "type": "issue",
            "engine_name": "gdpr-lint",
            "check_name": f"{f.code} {_rule_name(f.code)}",
            "description": f"{f.code}: {f.message}",
            "content": {"body": "\n".join(_details(f))} if _details(f) else None,
            "categories": ["Security"],
            "fingerprint": hashlib.md5(fp.encode("utf-8"), usedforsecurity=False).hexdigest(),
            "severity": GITLAB_SEVERITY.get(f.severity, "major"),
            "location": {
                "path": ci_path(f.path, context),
                "lines": {"begin": line, "end": max(end_line, line)},
            },
        })
        if issues[-1]["content"] is None:
            del issues[-1]["content"]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------- JUnit


def render_junit(report: Report) -> str:
    findings, context = report.findings, report.context
    errors = list(getattr(context, "errors", []) or [])
    by_file: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        by_file.setdefault(f.path, []).append(f)
    root = ET.Element("testsuites", name="gdpr-lint", tests=str(len(findings) + len(errors)),
                      failures=str(len(findings)), errors=str(len(errors)))
    for path, items in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(len(items)), failures=str(len(items)), errors="0")
        for f in items:
            at = f.location[len(f.path) + 1:]  # `12:5`, or `cell 3:4:9` in a notebook
            case = ET.SubElement(suite, "testcase", name=f"{f.code} {_rule_name(f.code)} at {at}",
                                 classname=path, file=path, line=str(file_region(context, f)[0]))
            failure = ET.SubElement(case, "failure", message=f.message, type=f.code)
            failure.text = "\n".join([f"{f.location}: {f.code} [{f.severity} severity, "
                                      f"{f.confidence} confidence] {f.message}", *_details(f)])
    if errors:
        suite = ET.SubElement(root, "testsuite", name="files not analysed", tests=str(len(errors)), failures="0",
                              errors=str(len(errors)))
        for e in errors:
            case = ET.SubElement(suite, "testcase", name=f"analyse {e.path}", classname=e.path, file=e.path)
            ET.SubElement(case, "error", message=e.message, type="FileError").text = f"{e.path}: {e.message}"
    if not by_file and not errors:
        # a clean run is one passing test case, so CI shows a passed check instead of "no tests"
        root.set("tests", "1")
        suite = ET.SubElement(root, "testsuite", name="gdpr-lint", tests="1", failures="0", errors="0")
        n = context.files
        ET.SubElement(suite, "testcase", name=f"no personal data reaches an OpenAI request "
                                               f"({n} file{'s' if n != 1 else ''} analysed)", classname="gdpr-lint")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ----------------------------------------------------------------- JSON Lines


def render_json_lines(report: Report) -> str:
    return "".join(json.dumps(f.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n" for f in report.findings)
