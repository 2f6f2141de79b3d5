"""The data map as one self-contained HTML page: inline CSS, no scripts, no external assets.

A category-by-endpoint matrix (special categories highlighted), the endpoints with
storage and data residency, and a card per call site with the path the data takes.
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
"""


def _e(x) -> str:
    return escape(str(x), quote=True)


def _yn(v, yes: str, no: str, unknown: str = "unknown") -> str:
    cls = "warn" if v is True else "prot" if v is False else "unk"
    return f'<span class="tag {cls}">{_e(yes if v is True else no if v is False else unknown)}</span>'


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
    a("<header><h1>Personal data sent to OpenAI</h1>")
    a(f'<p class="sub">gdpr-lint {_e(inv["tool"]["version"])} &middot; {inv["files_analysed"]} files analysed</p>')
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
      '<th>With personal data</th><th>May be stored</th><th>Data residency</th></tr></thead><tbody>')
    for e in eps:
        a(f'<tr><td><code>{_e(e["endpoint"])}</code></td><td>{e["call_sites"]}</td>'
          f'<td>{e["sites_with_personal_data"]}</td><td>{_yn(e["may_store"], "yes", "no")}</td><td>{_eu(e["eu"])}</td></tr>')
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
        a(f'<dt>Storage</dt><dd>{_yn(s["storage"]["may_store"], "may be stored", "not stored")} '
          f'{_e(s["storage"]["reason"])}</dd>')
        if s["findings"]:
            a(f'<dt>Findings</dt><dd>{_e(", ".join(s["findings"]))}</dd>')
        a("</dl>")
        for f in s["flows"]:
            cat = cats.get(f["category"])
            special = f' <span class="tag art">{_e(cat["article"])}</span>' if cat and cat["special"] else ""
            label = cat["label"].replace(f' ({cat["article"]})', "") if cat and cat["special"] else f["label"]
            prot = (f'<span class="tag prot">protected by {_e(f["protection"])}</span>' if f["protected"]
                    else '<span class="tag raw">unprotected</span>')
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
