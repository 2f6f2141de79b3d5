"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

What is in it, and why:

* `tool.driver`: name, version, informationUri and every rule of rules.py with
  `shortDescription`, `fullDescription`, `help` (text and markdown, with the
  VALID / INVALID examples), `defaultConfiguration.level`, and `properties`
  with `security-severity` (GitHub's 0.1-10 scale) and tags (`security` makes
  GitHub file the alerts under code scanning's security view; CWE-359 is
  "Exposure of Private Personal Information").
* `run.columnKind = "unicodeCodePoints"`: our columns count code points.
* results: `ruleId` + `ruleIndex`, `level` from the finding's severity
  (high -> error, medium -> warning, low -> note), `message.text`, one location
  with a root-relative `artifactLocation.uri` under `uriBaseId` `%SRCROOT%`
  (declared in `originalUriBaseIds` as the repository root), a 1-based region
  whose `endColumn` is exclusive, `partialFingerprints.primaryLocationLineHash`
  (GitHub's algorithm, see fingerprints.py) plus our own move-tolerant
  `gdprLintFingerprint/v1` (the baseline fingerprint), the data path as a
  `codeFlows[].threadFlows[].locations[]`, and `properties` with severity,
  confidence, categories, data, endpoint, flavour and request parameters.
* findings silenced by a suppression comment are included with
  `suppressions: [{kind: "inSource", justification: <reason>}]`, so the code
  scanning UI shows them as suppressed instead of forgetting them.
* files that could not be analysed are `toolExecutionNotifications` (level
  error) and make `invocations[0].executionSuccessful` false.
* Jupyter notebooks: SARIF has no notion of a cell, so a region points into the
  notebook's JSON text as stored (the line and column of the JSON string holding the
  code; with Jupyter's one string per source line, the code's own line), which is
  what code scanning shows and what `primaryLocationLineHash` hashes. The result's
  `properties.notebook` holds the position in the notebook's terms:
  `{"cell": 3, "line": 4, "column": 9, "endLine": 4, "endColumn": 30}` (cell counted
  from 1 over every cell, markdown ones included; line and column within the cell),
  and each data-path step in a notebook carries `properties.notebook` `{cell, line,
  column}` likewise.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from gdpr_lint import __version__
from gdpr_lint.provenance import source
from gdpr_lint.model import Finding
from gdpr_lint.report.context import Report, ReportContext
from gdpr_lint.report.fingerprints import line_hashes
from gdpr_lint.report.locations import file_position, file_region, root_relative, source_root
from gdpr_lint.checks.rules import ALL_RULES, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL_BY_SEVERITY = {"high": "error", "medium": "warning", "low": "note"}
def _rule_help_markdown(rule: Rule) -> str:
    parts = [f"## {rule.code}: {rule.name}", "", rule.summary + ".", "", rule.description, "",
             f"**Fix:** {rule.fix}"]
    if not rule.default_enabled:
        parts += ["", f"This rule is off by default; enable it with `extend-select = [\"{rule.code}\"]`."]
    for title, examples in (("Reported", rule.invalid), ("Not reported", rule.valid)):
        for ex in examples[:1]:
            parts += ["", f"### {title}", "", "```python", ex.code.strip("\n"), "```"]
    return "\n".join(parts)


def _links() -> tuple[str | None, str | None]:
    """informationUri (the repository) and helpUri (its README's rules table; `gdpr-lint
    rule CODE` has the rest) of the commit this gdpr-lint was installed from; none when
    that is not known (provenance.py): a link to a page that may not exist helps nobody."""
    src = source()
    if src is None:
        return None, None
    return src.repository, src.file_url("README.md", "rules")


def _rule(rule: Rule) -> dict:
    out = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.description},
        "help": {"text": f"{rule.description}\n\nFix: {rule.fix}", "markdown": _rule_help_markdown(rule)},
        "defaultConfiguration": {"level": LEVEL_BY_SEVERITY[rule.severity], "enabled": rule.default_enabled},
        "properties": {
            "security-severity": rule.security_severity,
            "precision": rule.precision,
            "problem.severity": {"high": "error", "medium": "warning", "low": "recommendation"}[rule.severity],
            "tags": list(rule.tags),
        },
    }
    help_uri = _links()[1]
    if help_uri:
        out["helpUri"] = help_uri
    return out


class _Locator:
    """Artifact locations and line hashes, computed once per file."""

    def __init__(self, context: ReportContext) -> None:
        self.context = context
        self._hashes: dict[str, list[str]] = {}

    def artifact(self, display: str) -> dict:
        rel = root_relative(display, self.context)
        if rel is not None:
            return {"uri": quote(rel), "uriBaseId": "%SRCROOT%"}
        p = Path(display)
        if not p.is_absolute():
            p = Path(self.context.cwd) / p
        return {"uri": p.absolute().as_uri()}

    def line_hash(self, display: str, line: int) -> str | None:
        if display not in self._hashes:
            src = self.context.sources.get(display)
            if src is None:
                self._hashes[display] = []
            else:
                # The upload action hashes the file as it is on disk, read as UTF-8.
                self._hashes[display] = line_hashes(src.data.decode("utf-8", errors="replace"))
        hashes = self._hashes[display]
        return hashes[line - 1] if 1 <= line <= len(hashes) else None


def _region(line: int, column: int, end_line: int | None = None, end_column: int | None = None) -> dict:
    region = {"startLine": max(line, 1), "startColumn": max(column, 1)}
    if end_line is not None and end_column is not None:
        if (end_line, end_column) > (region["startLine"], region["startColumn"]):
            region["endLine"] = end_line
            region["endColumn"] = end_column
    return region


def _result(f: Finding, rule_index: dict[str, int], loc: _Locator, fingerprint: str) -> dict:
    from gdpr_lint.pipeline.baseline import FINGERPRINT_VERSION

    line, column, end_line, end_column = file_region(loc.context, f)
    result: dict = {
        "ruleId": f.code,
        "ruleIndex": rule_index[f.code],
        "level": LEVEL_BY_SEVERITY.get(f.severity, "warning"),
        "message": {"text": f.message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": loc.artifact(f.path),
                "region": _region(line, column, end_line, end_column),
            },
        }],
    }
    fingerprints = {}
    h = loc.line_hash(f.path, line)
    if h is not None:
        fingerprints["primaryLocationLineHash"] = h
    fingerprints[f"gdprLintFingerprint/{FINGERPRINT_VERSION}"] = fingerprint
    result["partialFingerprints"] = fingerprints
    if f.flow:
        result["codeFlows"] = [{
            "message": {"text": f"How {f.data[0]} reaches {f.endpoint or 'the request'}" if f.data else "Data path"},
            "threadFlows": [{
                "locations": [
                    _flow_location(step, i, loc)
                    for i, step in enumerate(f.flow)
                ],
            }],
        }]
    props: dict = {"severity": f.severity, "confidence": f.confidence,
                   "categories": list(f.categories), "data": list(f.data)}
    if f.cell is not None:
        props["notebook"] = {"cell": f.cell, "line": f.span.line, "column": f.span.column,
                             "endLine": f.span.end_line, "endColumn": f.span.end_column}
    if f.endpoint:
        props["endpoint"] = f.endpoint
    if f.flavour:
        props["flavour"] = f.flavour
    if f.params:
        props["params"] = list(f.params)
    if f.function:
        props["function"] = f.function
    props["fixable"] = f.fixable
    result["properties"] = props
    return result


def _flow_location(step, order: int, loc: _Locator) -> dict:
    line, column = file_position(loc.context, step.path, step.line, step.column, step.cell)
    location: dict = {
        "physicalLocation": {
            "artifactLocation": loc.artifact(step.path),
            "region": _region(line, column),
        },
        "message": {"text": step.note},
    }
    if step.cell is not None:
        location["properties"] = {"notebook": {"cell": step.cell, "line": step.line, "column": step.column}}
    return {"location": location, "executionOrder": order}


def render_sarif(report: Report) -> str:
    findings, context = report.findings, report.context
    from gdpr_lint.pipeline.baseline import fingerprints_for

    rules = list(ALL_RULES)
    rule_index = {r.code: i for i, r in enumerate(rules)}
    loc = _Locator(context)
    suppressed = list(getattr(context, "suppressed", []) or [])
    ordered = sorted(findings, key=Finding.sort_key)
    prints = fingerprints_for(ordered, context)
    results = [_result(f, rule_index, loc, fp) for f, fp in zip(ordered, prints)]
    for f, fp in zip(suppressed, fingerprints_for(suppressed, context)):
        r = _result(f, rule_index, loc, fp)
        r["suppressions"] = [{"kind": "inSource", "status": "accepted",
                              "justification": f.suppression_reason or "suppressed by a comment without a reason"}]
        results.append(r)
    errors = list(getattr(context, "errors", []) or [])
    invocation: dict = {"executionSuccessful": not errors}
    if errors:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": e.message},
                "locations": [{"physicalLocation": {"artifactLocation": loc.artifact(e.path)}}],
            }
            for e in errors
        ]
    root = source_root(Path(context.cwd))
    root_uri = root.as_uri()
    run = {
        "tool": {
            "driver": {
                "name": "gdpr-lint",
                "version": __version__,
                "semanticVersion": __version__,
                **({"informationUri": _links()[0]} if _links()[0] else {}),
                "rules": [_rule(r) for r in rules],
            }
        },
        "invocations": [invocation],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri if root_uri.endswith("/") else root_uri + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
