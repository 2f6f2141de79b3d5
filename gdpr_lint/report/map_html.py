"""The data map as one self-contained HTML page: inline CSS, no scripts, no external assets.

What it describes (project, commit, paths, date), the record of processing from
[tool.gdpr-lint.map], what the provider keeps (with the date those facts were checked), a
category-by-endpoint matrix (special categories highlighted), the endpoints with storage,
abuse-monitoring retention and data residency, and a card per call site with the path the
data takes. Print CSS lays it out for A4 (a PDF export from the browser).
"""

from __future__ import annotations

from html import escape

from gdpr_lint.report.context import Report
from gdpr_lint.report.inventory import line_ref

CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f5f6f8;margin:0;padding:24px 32px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px}
.sub{color:#5b6472;margin:0 0 18px}
code{font:13px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef0f3;padding:1px 4px;border-radius:3px}
.totals{display:flex;gap:12px;flex-wrap:wrap}
.total{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 16px;min-width:150px}
.total b{display:block;font-size:24px}
.total.bad b{color:#b42318}.total.ok b{color:#067647}.total.special b{color:#6941c6}
table{border-collapse:collapse;background:#fff;border:1px solid #dde1e6;border-radius:8px;overflow:hidden}
th,td{padding:7px 10px;border-bottom:1px solid #eceef1;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600;font-size:13px}
.matrix td.n{text-align:center;min-width:96px}
.matrix tr.special th[scope=row]{background:#f4f0ff;color:#53389e}
.tag{display:inline-block;font-size:12px;font-weight:600;border-radius:10px;padding:1px 8px;margin:1px 2px;white-space:nowrap}
.raw{background:#fee4e2;color:#b42318}.prot{background:#dcfae6;color:#067647}
.art{background:#ebe9fe;color:#5925dc}.unk{background:#f2f4f7;color:#475467}.warn{background:#fef0c7;color:#b54708}
.empty{color:#98a2b3}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}
.card{background:#fff;border:1px solid #dde1e6;border-left:6px solid #98a2b3;border-radius:8px;padding:12px 16px}
.card.unprotected,.card.partly{border-left-color:#d92d20}.card.protected{border-left-color:#17b26a}
.card h3{font-size:15px;margin:0 0 6px;overflow-wrap:anywhere}
.card h3 .loc{display:block;margin-bottom:3px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:13px;margin:6px 0 8px}
.facts dt{color:#5b6472}.facts dd{margin:0}
.flow{border-top:1px solid #eceef1;padding:6px 0;font-size:13px}
.flow ol{margin:4px 0 0;padding-left:22px;color:#344054}
.flow li{margin:1px 0}
.legend{font-size:13px;color:#5b6472;margin-top:6px}
.record{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 16px;max-width:980px}
.record dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0}
.record dt{color:#5b6472}.record dd{margin:0}.record .unset{color:#98a2b3;font-style:italic}
.provider{margin:6px 0}.provider .checked{color:#5b6472;font-size:13px}
@media print{
@page{size:A4;margin:14mm}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{background:#fff;padding:0;font-size:11pt}
h2{break-after:avoid;page-break-after:avoid}
.totals{gap:6px}.total{min-width:0;padding:6px 10px}
table{width:100%;font-size:9pt}thead{display:table-header-group}tr,.card,.record,.flow li{break-inside:avoid;page-break-inside:avoid}
.matrix td.n{min-width:0}
.cards{display:block}.card{margin:0 0 10px}
code{white-space:pre-wrap;overflow-wrap:anywhere}
}
"""


def _e(x) -> str:
    return escape(str(x), quote=True)


def _plain_label(cat: dict) -> str:
    """"health data (Art. 9)": the label with its article once."""
    if not cat["special"]:
        return cat["label"]
    return cat["label"] if cat["article"] in cat["label"] else f'{cat["label"]} ({cat["article"]})'


def _label(cat: dict) -> str:
    if not cat["special"]:
        return _e(cat["label"])
    base = cat["label"].replace(f' ({cat["article"]})', "")
    return f'{_e(base)} <span class="tag art">{_e(cat["article"])}</span>'


def _note(note: str) -> str:
    """A flow step's note, with its `code` spans as <code>."""
    parts = _e(note).split("`")
    if len(parts) % 2 == 0:  # unbalanced backticks: show as written
        return _e(note)
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _stored(v, yes: str = "yes") -> str:
    """Stored as an API object: yes is a warning; no is neutral, never a reassuring green
    (the provider may still keep the request in its logs: see the abuse monitoring column)."""
    cls = "warn" if v is True else "unk"
    return f'<span class="tag {cls}">{yes if v is True else "no" if v is False else "unknown"}</span>'


def _abuse(value, zdr: bool) -> str:
    if not value:
        return '<span class="tag unk">unknown</span>'
    return f'<span class="tag {"prot" if zdr else "warn"}">{_e(value)}</span>'


def _eu(v) -> str:
    cls = "prot" if v is True else "raw" if v is False else "unk"
    return f'<span class="tag {cls}">{"EU" if v is True else "not EU" if v is False else "unknown"}</span>'


def render_map_html(report: Report) -> str:
    inv = report.inventory
    t = inv["totals"]
    cats = {c["key"]: c for c in inv["categories"]}
    eps = inv["endpoints"]
    h: list[str] = []
    a = h.append
    a("<!DOCTYPE html>")
    a('<html lang="en"><head><meta charset="utf-8">')
    a('<meta name="viewport" content="width=device-width, initial-scale=1">')
    a("<title>Personal data sent to OpenAI</title>")
    a(f"<style>{CSS}</style></head><body>")
    g = inv.get("generated") or {}
    zdr = any(p.get("zero_data_retention") for p in inv.get("provider_retention", []))
    a("<header><h1>Personal data sent to OpenAI</h1>")
    commit = (f'commit <code>{_e(g["commit"][:12])}</code>' + (" (with uncommitted changes)" if g.get("uncommitted_changes")
                                                               else "")) if g.get("commit") else "no git commit"
    paths = ", ".join(f"<code>{_e(p)}</code>" for p in g.get("paths", ["."]))
    a(f'<p class="sub" id="describes">Project <b>{_e(g.get("project") or "unnamed")}</b> &middot; {commit} &middot; '
      f'{paths} &middot; generated <time datetime="{_e(g.get("date", ""))}">{_e(g.get("date", ""))}</time> by '
      f'gdpr-lint {_e(inv["tool"]["version"])} &middot; {inv["files_analysed"]} files analysed</p>')
    a('<div class="totals">')
    for cls, n, label in (("", t["call_sites"], "OpenAI call sites"),
                          ("", t["with_personal_data"], "send personal data"),
                          ("bad", t["unprotected"], "with unprotected data"),
                          ("ok", t["protected_only"], "protected only"),
                          ("special", t["with_special_categories"], "receive special categories")):
        a(f'<div class="total {cls}"><b>{n}</b>{_e(label)}</div>')
    a("</div></header>")
    if inv["errors"]:
        a('<h2>Incomplete: files that could not be analysed</h2><ul>')
        for e in inv["errors"]:
            a(f"<li><code>{_e(e['path'])}</code>: {_e(e['message'])}</li>")
        a("</ul>")

    a("<main>")
    record = inv.get("record") or {}
    a('<section><h2>Record of processing</h2><div class="record"><dl>')
    for key, label in (("purpose", "Purpose"), ("legal_basis", "Legal basis"), ("retention", "Retention")):
        value = record.get(key)
        shown = _e(value) if value else (f'<span class="unset">not stated (set <code>{key.replace("_", "-")}</code> '
                                         f'in <code>[tool.gdpr-lint.map]</code>)</span>')
        a(f"<dt>{label}</dt><dd>{shown}</dd>")
    a("</dl></div></section>")
    a('<section><h2>What the provider keeps</h2><div class="record">')
    for p in inv.get("provider_retention", []):
        checked = ""
        if p.get("checked"):
            checked = f' <span class="checked">Checked {_e(p["checked"])}' + (
                f' against {_e(p["source"])}' if p.get("source") else "") + ".</span>"
        mine = ' <span class="checked">As configured for this project.</span>' if p.get("configured") else ""
        a(f'<p class="provider"><b>{_e(p["provider"])}</b>: {_e(p["statement"])}{checked}{mine}</p>')
    a("</div></section>")
    if cats:
        a('<section><h2>Categories by endpoint</h2><table class="matrix"><thead><tr><th scope="col">Category</th>')
        for e in eps:
            a(f'<th scope="col"><code>{_e(e["endpoint"])}</code></th>')
        a("</tr></thead><tbody>")
        for key, c in cats.items():
            a(f'<tr class="{"special" if c["special"] else "ordinary"}"><th scope="row">{_label(c)}</th>')
            for e in eps:
                counts = e["categories"].get(key)
                if not counts:
                    a('<td class="n empty">&ndash;</td>')
                    continue
                cell = []
                if counts["unprotected"]:
                    cell.append(f'<span class="tag raw">{counts["unprotected"]} unprotected</span>')
                if counts["protected"]:
                    cell.append(f'<span class="tag prot">{counts["protected"]} protected</span>')
                a(f'<td class="n">{"".join(cell)}</td>')
            a("</tr>")
        a("</tbody></table>")
        a('<p class="legend">Counts are data flows (one datum reaching one call site). '
          'Highlighted rows are special categories (GDPR Art. 9/10).</p></section>')

    a('<section><h2>Endpoints</h2><table><thead><tr><th>Endpoint</th><th>Call sites</th>'
      '<th>With personal data</th><th>Stored as an API object</th><th>Abuse monitoring logs</th>'
      '<th>Data residency</th></tr></thead><tbody>')
    for e in eps:
        a(f'<tr><td><code>{_e(e["endpoint"])}</code></td><td>{e["call_sites"]}</td>'
          f'<td>{e["sites_with_personal_data"]}</td><td>{_stored(e["may_store"])}</td>'
          f'<td>{_abuse(e.get("abuse_monitoring"), zdr)}</td><td>{_eu(e["eu"])}</td></tr>')
    a("</tbody></table></section>")

    a('<section><h2>Call sites</h2><div class="cards">')
    for s in inv["call_sites"]:
        status_cls = {"unprotected": "unprotected", "partly protected": "partly",
                      "protected": "protected"}.get(s["status"], "none")
        badge = {"unprotected": "raw", "partly": "raw", "protected": "prot"}.get(status_cls, "unk")
        a(f'<article class="card {status_cls}" id="{_e(s["id"])}">')
        func = f' in <code>{_e(s["function"])}</code>' if s["function"] else ""
        a(f'<h3><span class="loc"><code>{_e(line_ref(s))}</code></span><code>{_e(s["endpoint"])}</code>'
          f'{func} <span class="tag {badge}">{_e(s["status"])}</span></h3>')
        a('<dl class="facts">')
        if s["special_categories"]:
            tags = "".join(f'<span class="tag art">{_e(_plain_label(cats[c]))}</span>'
                           for c in s["special_categories"] if c in cats)
            a(f"<dt>Special categories</dt><dd>{tags}</dd>")
        a(f'<dt>Data residency</dt><dd>{_eu(s["residency"]["eu"])} {_e(s["residency"]["summary"])}</dd>')
        a(f'<dt>Stored as an object</dt><dd>{_stored(s["storage"]["may_store"], "may be stored")} '
          f'{_e(s["storage"]["reason"])}</dd>')
        a(f'<dt>Abuse monitoring logs</dt><dd>{_abuse(s["storage"].get("abuse_monitoring"), zdr)}</dd>')
        if s["findings"]:
            a(f'<dt>Findings</dt><dd>{_e(", ".join(s["findings"]))}</dd>')
        a("</dl>")
        for f in s["flows"]:
            cat = cats.get(f["category"])
            special = f' <span class="tag art">{_e(cat["article"])}</span>' if cat and cat["special"] else ""
            label = cat["label"].replace(f' ({cat["article"]})', "") if cat and cat["special"] else f["label"]
            if f["protected"]:
                prot = f'<span class="tag prot">protected by {_e(f["protection"])}</span>'
            elif f["protection"]:  # passed the runtime, whose detectors do not recognise it
                prot = f'<span class="tag raw">not recognised by {_e(f["protection"])}</span>'
            else:
                prot = '<span class="tag raw">unprotected</span>'
            if f["suppressed"]:
                prot += ' <span class="tag unk">finding suppressed</span>'
            a(f'<div class="flow"><code>{_e(f["data"])}</code> &middot; {_e(label)}{special} '
              f'&rarr; <code>{_e(f["param"])}</code> {prot}<ol>')
            for st in f["path"]:
                a(f'<li><code>{_e(line_ref(st))}</code> {_note(st["note"])}</li>')
            a("</ol></div>")
        if not s["flows"]:
            a('<p class="empty">No personal data found in this request.</p>')
        a("</article>")
    a("</div></section>")

    a('<section><h2>Files</h2><table><thead><tr><th>File</th><th>Call sites</th><th>Unprotected flows</th>'
      '<th>Protected flows</th></tr></thead><tbody>')
    for f in inv["files"]:
        a(f'<tr><td><code>{_e(f["path"])}</code></td><td>{f["call_sites"]}</td><td>{f["unprotected_flows"]}</td>'
          f'<td>{f["protected_flows"]}</td></tr>')
    a("</tbody></table></section></main></body></html>")
    return "\n".join(h) + "\n"
