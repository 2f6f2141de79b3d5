"""Baselines: adopt the gate in an existing repository by recording today's
findings and reporting only what is new.

`gdpr-lint baseline [PATHS] -o FILE` writes the file; `gdpr-lint check
--baseline FILE` hides the findings it records.

A finding is matched by a fingerprint of what it is, not where it is:

    sha256 of [rule code, file path relative to the repository root,
               callee text with all whitespace removed,
               the data that reaches the call (sorted, whitespace-normalised),
               the enclosing function's qualified name]

The line number is deliberately not part of it, so findings stay baselined when
code above them moves. In a Jupyter notebook neither is the cell: inserting,
moving or deleting cells above a baselined call keeps it baselined (a call at
module level of a notebook has the function ""). Matching is a multiset: a baseline entry hides one
finding. If the baseline records one `client.chat.completions.create` leak of
`customer.email` in `notify()` and a second identical call is added to
`notify()`, one of the two is reported (the later one in the file).

File format (JSON, UTF-8, sorted for stable diffs):

    {
      "gdpr-lint-baseline": 1,            # format version
      "fingerprint": "v1",                # fingerprint scheme
      "generated-by": "gdpr-lint 0.1.0",
      "findings": [
        {"fingerprint": "<64 hex>", "code": "GDPR001", "path": "app/crm.py",
         "function": "notify", "callee": "client.chat.completions.create",
         "data": ["customer.email (email)"], "line": 12, "message": "..."},
        ...
      ]
    }

Only `fingerprint` is used for matching; the other fields are for the people
reading the file in review.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

from gdpr_lint import __version__
from gdpr_lint.model import Finding

BASELINE_VERSION = 1
FINGERPRINT_VERSION = "v1"


class BaselineError(Exception):
    """A baseline file that cannot be used; str(exc) names the file and the problem."""


def _normalise(text: str) -> str:
    return "".join(text.split())


def _path(finding: Finding, context) -> str:
    if context is None:
        return finding.path
    from gdpr_lint.report.locations import ci_path

    return ci_path(finding.path, context)


def fingerprint(finding: Finding, context=None) -> str:
    """The move-tolerant identity of a finding (hex sha256)."""
    key = [
        FINGERPRINT_VERSION,
        finding.code,
        _path(finding, context),
        _normalise(finding.callee),
        sorted(" ".join(d.split()) for d in finding.data),
        finding.function,
    ]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()


def fingerprints_for(findings: list[Finding], context=None) -> list[str]:
    """Fingerprints with an occurrence number (`<hex>:N`) that tells identical
    findings apart, in the order given."""
    seen: Counter[str] = Counter()
    out = []
    for f in findings:
        fp = fingerprint(f, context)
        seen[fp] += 1
        out.append(f"{fp}:{seen[fp]}")
    return out


def baseline_document(findings: list[Finding], context=None) -> dict:
    entries = []
    for f in sorted(findings, key=Finding.sort_key):
        entry = {
            "fingerprint": fingerprint(f, context),
            "code": f.code,
            "path": _path(f, context),
            "function": f.function,
            "callee": f.callee,
            "data": list(f.data),
            "line": f.line,
            "message": f.message,
        }
        if f.cell is not None:  # a notebook: the line is within this cell (neither is part of the fingerprint)
            entry["cell"] = f.cell
        entries.append(entry)
    return {
        "gdpr-lint-baseline": BASELINE_VERSION,
        "fingerprint": FINGERPRINT_VERSION,
        "generated-by": f"gdpr-lint {__version__}",
        "findings": entries,
    }


def write_baseline(path: Path, findings: list[Finding], context=None) -> None:
    text = json.dumps(baseline_document(findings, context), indent=2, ensure_ascii=False) + "\n"
    try:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None


def load_baseline(path: Path) -> Counter[str]:
    """The fingerprints recorded in a baseline file, with their counts."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create it with `gdpr-lint baseline -o {path}`)") from None
    except IsADirectoryError:
        raise BaselineError(f"{path}: baseline is a directory, not a file") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: baseline is not UTF-8 text") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: baseline is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(doc, dict) or "gdpr-lint-baseline" not in doc:
        raise BaselineError(f"{path}: not a gdpr-lint baseline (no \"gdpr-lint-baseline\" version key)")
    version = doc["gdpr-lint-baseline"]
    if version != BASELINE_VERSION:
        raise BaselineError(f"{path}: unsupported baseline version {version!r} (this gdpr-lint reads version {BASELINE_VERSION})")
    if doc.get("fingerprint", FINGERPRINT_VERSION) != FINGERPRINT_VERSION:
        raise BaselineError(f"{path}: unsupported fingerprint scheme {doc.get('fingerprint')!r} (expected {FINGERPRINT_VERSION!r}); regenerate the baseline")
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: \"findings\" must be a list")
    counts: Counter[str] = Counter()
    for i, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or len(fp) != 64 or any(c not in "0123456789abcdef" for c in fp):
            raise BaselineError(f"{path}: findings[{i}] has no valid \"fingerprint\" (64 lowercase hex digits)")
        counts[fp] += 1
    return counts


def filter_new(findings: list[Finding], baseline: Counter[str], context=None) -> tuple[list[Finding], list[Finding]]:
    """(new findings, findings hidden by the baseline). Each baseline entry hides
    at most one finding, taken in file order."""
    remaining = Counter(baseline)
    new, known = [], []
    for f in sorted(findings, key=Finding.sort_key):
        fp = fingerprint(f, context)
        if remaining[fp] > 0:
            remaining[fp] -= 1
            known.append(f)
        else:
            new.append(f)
    return new, known
