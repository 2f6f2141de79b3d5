"""The data map (`gdpr-lint map`): which personal data the code sends to OpenAI, from
where, through which endpoint, protected or not, to which data residency, and
whether the request may be stored. For Art. 30 records of processing and DPIAs.

`build_inventory(result)` turns a RunResult into a plain dict (the JSON document
described in docs/map.md); the Markdown and HTML renderers read the same dict.
"""

from __future__ import annotations

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


def storage(site: CallSite) -> dict:
    """Whether OpenAI may keep the request (beyond abuse monitoring), from store= and the endpoint."""
    arg = site.store or None
    ep = site.endpoint
    surface = surface_for(site.flavour)
    openai_ep = surface is None or surface.openai_endpoints
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


def line_ref(item: dict) -> str:
    """`app/crm.py:12` for a call site or step of the map, `analysis.ipynb:cell 3:4` in a notebook."""
    if item.get("cell") is not None:
        return f"{item['path']}:cell {item['cell']}:{item['line']}"
    return f"{item['path']}:{item['line']}"


def build_inventory(result, vocab=None) -> dict:
    """The data map of a run (see docs/map.md for the schema)."""
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
            if not fl.via:
                key = where + (code_for(fl.kind, cat),)
                if key not in reported:
                    continue  # rule not selected, or ignored for this file
                suppressed = reported[key]
            used_categories.add(fl.category)
            flows.append({
                "category": fl.category, "label": cat.label, "special": cat.special,
                "data": fl.expr, "param": fl.param, "kind": fl.kind,
                "protected": bool(fl.via), "protection": fl.via or None, "suppressed": suppressed,
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
            "storage": storage(site),
            "findings": sorted(set(codes_at.get(where, []))),
            "flows": flows,
        })

    endpoints: dict[str, dict] = {}
    for s in sites:
        e = endpoints.setdefault(s["endpoint"], {"endpoint": s["endpoint"], "call_sites": 0,
                                                 "sites_with_personal_data": 0, "categories": {},
                                                 "may_store": False, "eu": True})
        e["call_sites"] += 1
        e["sites_with_personal_data"] += bool(s["flows"])
        for f in s["flows"]:
            c = e["categories"].setdefault(f["category"], {"unprotected": 0, "protected": 0})
            c["protected" if f["protected"] else "unprotected"] += 1
        e["may_store"] = _any3(e["may_store"], s["storage"]["may_store"])
        e["eu"] = _all3(e["eu"], s["residency"]["eu"])
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
