"""The data map (`gdpr-lint map`): which personal data the code sends to OpenAI, from
where, through which endpoint, protected or not, to which data residency, and
whether the request may be stored. For Art. 30 records of processing and DPIAs.

`build_inventory(result)` turns a RunResult into a plain dict (the JSON document
described in docs/map.md); the Markdown and HTML renderers read the same dict.
"""

from __future__ import annotations

import os
from pathlib import Path

from gdpr_lint import __version__
from gdpr_lint.model import CallSite, FlowStep
from gdpr_lint.checks.decide import article, code_for
from gdpr_lint.checks.residency import describe_config, site_verdict
from gdpr_lint.surfaces.registry import surface_for

SCHEMA = "gdpr-lint-map/1"

# Endpoints that keep what they are sent as an API object (until deleted, or for a retention period).
_STORED_PREFIXES = (
    "files.", "uploads.", "vector_stores.", "beta.assistants.", "beta.threads.", "conversations.",
    "batches.", "fine_tuning.", "containers.", "evals.", "beta.vector_stores.", "realtime.calls.",
)
_CHAT = ("chat.completions.create", "chat.completions.stream", "chat.completions.parse",
         "beta.chat.completions.parse", "beta.chat.completions.stream")


def provider_facts() -> dict:
    """What providers keep of API requests (rules/provider_retention.toml)."""
    from gdpr_lint.config.ruledata import load_rule_file

    return load_rule_file("provider_retention.toml")


def _abuse_monitoring(site: CallSite, zdr: bool) -> str | None:
    """How long the provider keeps the request in its abuse monitoring logs; None when the
    provider is not known from the code (Azure OpenAI, integrations, wrappers)."""
    facts = provider_facts()["openai"]
    surface = surface_for(site.flavour)
    if site.flavour.startswith("openai-azure") or not (surface is None or surface.openai_endpoints):
        return None
    return facts["zero_data_retention"] if zdr else facts["abuse_monitoring"]


def storage(site: CallSite, zdr: bool = False) -> dict:
    """Whether OpenAI may keep the request as a stored object, from store= and the endpoint, and
    for how long its abuse monitoring logs keep it (`zdr`: a Zero Data Retention agreement)."""
    out = _storage(site, zdr)
    out["abuse_monitoring"] = _abuse_monitoring(site, zdr)
    return out


def _storage(site: CallSite, zdr: bool) -> dict:
    arg = site.store or None
    ep = site.endpoint
    surface = surface_for(site.flavour)
    openai_ep = surface is None or surface.openai_endpoints
    if zdr and openai_ep and arg in ("true", "dynamic") and (ep.startswith("responses.") or ep in _CHAT):
        return {"may_store": False, "reason": "store= is treated as false under Zero Data Retention",
                "store_argument": arg}
    if zdr and openai_ep and arg is None and ep.startswith("responses."):
        return {"may_store": False, "reason": "store= is treated as false under Zero Data Retention",
                "store_argument": None}
    if arg == "true":
        return {"may_store": True, "reason": "store=True on the call", "store_argument": arg}
    if arg == "false":
        return {"may_store": False, "reason": "store=False on the call", "store_argument": arg}
    if arg == "dynamic":
        return {"may_store": None, "reason": "store= is computed at run time", "store_argument": arg}
    if not openai_ep:
        return {"may_store": None, "reason": "depends on the integration's settings", "store_argument": None}
    if ep.startswith("responses."):
        return {"may_store": True, "reason": "the Responses API stores responses unless store=False",
                "store_argument": None}
    if ep.startswith(_STORED_PREFIXES):
        return {"may_store": True, "reason": "creates a stored object (kept until deleted)", "store_argument": None}
    if ep in _CHAT:
        return {"may_store": False, "reason": "not stored unless store=True", "store_argument": None}
    return {"may_store": False, "reason": "the endpoint does not store requests", "store_argument": None}


def _step(s: FlowStep) -> dict:
    if s.cell is not None:
        return {"path": s.path, "cell": s.cell, "line": s.line, "column": s.column, "note": s.note}
    return {"path": s.path, "line": s.line, "column": s.column, "note": s.note}


def _git(cwd: Path, *args: str) -> str | None:
    import subprocess

    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _today() -> str:
    """The date of the map (UTC); SOURCE_DATE_EPOCH fixes it, for reproducible documents."""
    import datetime as dt

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date().isoformat()
    return dt.datetime.now(tz=dt.timezone.utc).date().isoformat()


def _project_name(cwd: Path, settings, top: str | None) -> str:
    if settings is not None and settings.map_info.project:
        return settings.map_info.project
    candidates = [settings.path] if settings is not None and settings.path is not None else []
    candidates.append(cwd / "pyproject.toml")
    for path in candidates:
        if path.name == "pyproject.toml" and path.is_file():
            try:
                from gdpr_lint.config.ruledata import load_toml

                name = load_toml(path).get("project", {}).get("name")
            except Exception:  # noqa: BLE001 - a name is a nicety; the config loader reports bad files
                name = None
            if isinstance(name, str) and name:
                return name
    return Path(top).name if top else cwd.name


def describe_run(cwd: Path, settings=None, paths: list[str] | None = None) -> dict:
    """What the map describes: the date, the project, the commit and the paths analysed."""
    top = _git(cwd, "rev-parse", "--show-toplevel")
    commit = _git(cwd, "rev-parse", "HEAD") if top else None
    dirty = None
    if commit:
        status = _git(cwd, "status", "--porcelain", "--untracked-files=no")
        dirty = bool(status) if status is not None else None
    return {"date": _today(), "project": _project_name(cwd, settings, top), "commit": commit,
            "uncommitted_changes": dirty, "paths": list(paths or ["."])}


def _record(settings) -> dict:
    info = settings.map_info if settings is not None else None
    return {"purpose": info.purpose if info else None, "legal_basis": info.legal_basis if info else None,
            "retention": info.retention if info else None}


def _provider_retention(settings, sites: list[dict]) -> list[dict]:
    """The providers' retention statements for the map (one per provider reached)."""
    facts = provider_facts()
    info = settings.map_info if settings is not None else None
    zdr = bool(info and info.zero_data_retention)
    out = []
    azure = any(s["flavour"].startswith("openai-azure") for s in sites)
    if any(not s["flavour"].startswith("openai-azure") for s in sites) or not sites:
        f = facts["openai"]
        out.append({"provider": f["provider"], "abuse_monitoring": f["zero_data_retention"] if zdr
                    else f["abuse_monitoring"], "statement": f["zero_data_retention_statement"] if zdr else f["statement"],
                    "checked": f["checked"], "source": f["source"], "zero_data_retention": zdr, "configured": zdr})
    if azure:
        f = facts["azure"]
        out.append({"provider": f["provider"], "abuse_monitoring": None, "statement": f["statement"],
                    "checked": None, "source": None, "zero_data_retention": False, "configured": False})
    if info and info.provider_retention:  # the project's own statement replaces the facts' text
        for p in out:
            p.update(statement=info.provider_retention, checked=info.provider_retention_checked, source=None,
                     configured=True)
    return out


def line_ref(item: dict) -> str:
    """`app/crm.py:12` for a call site or step of the map, `analysis.ipynb:cell 3:4` in a notebook."""
    if item.get("cell") is not None:
        return f"{item['path']}:cell {item['cell']}:{item['line']}"
    return f"{item['path']}:{item['line']}"


def build_inventory(result, vocab=None, *, cwd: Path | None = None, settings=None,
                    paths: list[str] | None = None) -> dict:
    """The data map of a run (see docs/map.md for the schema). `settings` holds the map's
    [tool.gdpr-lint.map] (the working directory's configuration), `paths` the paths given."""
    zdr = bool(settings is not None and settings.map_info.zero_data_retention)
    if vocab is None:
        from gdpr_lint.pipeline.engine import _vocabulary

        vocab = _vocabulary(list({id(s): s for s in result.settings.values()}.values()))
    # positions are keyed with the cell (None outside notebooks): line 4 of cell 3 is not line 4 of cell 5
    reported = {(f.path, f.cell, f.span.line, f.span.column, f.code): False for f in result.findings}
    for f in result.suppressed:
        reported.setdefault((f.path, f.cell, f.span.line, f.span.column, f.code), True)
    codes_at: dict[tuple, list[str]] = {}
    for f in result.findings:
        codes_at.setdefault((f.path, f.cell, f.span.line, f.span.column), []).append(f.code)
    flows_at: dict[tuple, list] = {}
    for fl in result.flows:
        flows_at.setdefault((fl.path, fl.cell, fl.line, fl.column), []).append(fl)

    sites = []
    used_categories: set[str] = set()
    for site in result.sites:
        where = (site.path, site.cell, site.span.line, site.span.column)
        flows = []
        for fl in flows_at.get(where, []):
            cat = vocab.categories.get(fl.category)
            if cat is None:
                continue
            suppressed = False
            code = code_for(fl.kind, cat, fl.via)  # None: redacted on its way
            if code is not None:  # raw, or let through unrecognised by the runtime (GDPR004)
                key = where + (code,)
                if key not in reported:
                    continue  # rule not selected, or ignored for this file
                suppressed = reported[key]
            used_categories.add(fl.category)
            flows.append({
                "category": fl.category, "label": cat.label, "special": cat.special,
                "data": fl.expr, "param": fl.param, "kind": fl.kind,
                "protected": code is None, "protection": fl.via or None, "suppressed": suppressed,
                "confidence": fl.confidence, "path": [_step(s) for s in fl.steps],
            })
        flows.sort(key=lambda f: (f["protected"], not f["special"], f["category"], f["data"], f["param"]))
        raw = [f for f in flows if not f["protected"]]
        prot = [f for f in flows if f["protected"]]
        status = ("partly protected" if raw and prot else "unprotected" if raw
                  else "protected" if prot else "no personal data")
        settings = result.settings.get(site.path)
        verdict = site_verdict(site.client, site.endpoint, tuple(settings.eu_base_urls) if settings else ())
        cats = list(dict.fromkeys(f["category"] for f in flows))
        position: dict = {"path": site.path}
        if site.cell is not None:
            position["cell"] = site.cell
        position.update({"line": site.span.line, "column": site.span.column,
                         "end_line": site.span.end_line, "end_column": site.span.end_column})
        sites.append({
            "id": site.location,
            **position,
            "endpoint": site.endpoint, "flavour": site.flavour, "confidence": site.confidence,
            "function": site.function, "callee": site.text, "status": status,
            "categories": cats, "special_categories": [c for c in cats if vocab.categories[c].special],
            "residency": {
                "eu": verdict.eu, "summary": verdict.text,
                "client": [dict(c.to_dict(), description=describe_config(c)) for c in site.client],
            },
            "storage": storage(site, zdr),
            "findings": sorted(set(codes_at.get(where, []))),
            "flows": flows,
        })

    endpoints: dict[str, dict] = {}
    for s in sites:
        e = endpoints.setdefault(s["endpoint"], {"endpoint": s["endpoint"], "call_sites": 0,
                                                 "sites_with_personal_data": 0, "categories": {},
                                                 "may_store": False, "abuse_monitoring": [], "eu": True})
        if s["storage"]["abuse_monitoring"] not in e["abuse_monitoring"]:
            e["abuse_monitoring"].append(s["storage"]["abuse_monitoring"])
        e["call_sites"] += 1
        e["sites_with_personal_data"] += bool(s["flows"])
        for f in s["flows"]:
            c = e["categories"].setdefault(f["category"], {"unprotected": 0, "protected": 0})
            c["protected" if f["protected"] else "unprotected"] += 1
        e["may_store"] = _any3(e["may_store"], s["storage"]["may_store"])
        e["eu"] = _all3(e["eu"], s["residency"]["eu"])
    for e in endpoints.values():  # one value when every call site agrees, else unknown (None)
        e["abuse_monitoring"] = e["abuse_monitoring"][0] if len(e["abuse_monitoring"]) == 1 else None
    files: dict[str, dict] = {}
    for s in sites:
        f = files.setdefault(s["path"], {"path": s["path"], "call_sites": 0, "unprotected_flows": 0,
                                         "protected_flows": 0, "categories": []})
        f["call_sites"] += 1
        for fl in s["flows"]:
            f["protected_flows" if fl["protected"] else "unprotected_flows"] += 1
            if fl["category"] not in f["categories"]:
                f["categories"].append(fl["category"])
        # files the data passes through on its way (prompt builders, models)
        for fl in s["flows"]:
            for st in fl["path"]:
                if st["path"] not in files and st["path"] != s["path"]:
                    files.setdefault(st["path"], {"path": st["path"], "call_sites": 0, "unprotected_flows": 0,
                                                  "protected_flows": 0, "categories": []})
    order = sorted(used_categories, key=lambda k: (not vocab.categories[k].special, k))
    return {
        "schema": SCHEMA,
        "tool": {"name": "gdpr-lint", "version": __version__},
        "generated": describe_run(Path(cwd or Path.cwd()), settings, paths),
        "record": _record(settings),
        "provider_retention": _provider_retention(settings, sites),
        "files_analysed": result.files,
        "errors": [{"path": e.path, "message": e.message} for e in result.errors],
        "totals": {
            "call_sites": len(sites),
            "with_personal_data": sum(1 for s in sites if s["flows"]),
            "unprotected": sum(1 for s in sites if s["status"] in ("unprotected", "partly protected")),
            "protected_only": sum(1 for s in sites if s["status"] == "protected"),
            "with_special_categories": sum(1 for s in sites if s["special_categories"]),
            "unprotected_flows": sum(1 for s in sites for f in s["flows"] if not f["protected"]),
            "protected_flows": sum(1 for s in sites for f in s["flows"] if f["protected"]),
        },
        "categories": [{"key": k, "label": vocab.categories[k].label, "special": vocab.categories[k].special,
                        "article": article(vocab.categories[k])} for k in order],
        "endpoints": sorted(endpoints.values(), key=lambda e: e["endpoint"]),
        "files": sorted(files.values(), key=lambda f: f["path"]),
        "call_sites": sites,
    }


def _any3(a, b):
    """Three-valued or: True if any is True, None if unknown, else False."""
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _all3(a, b):
    """Three-valued and: False if any is False, None if unknown, else True."""
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True
