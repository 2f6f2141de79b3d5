"""The data map's HTML page in a real browser (headless Chromium): it loads, lays out (two
columns of call-site cards, no horizontal scrolling at 1280 px), the browser accepts the
print rules, and printing to PDF gives A4 pages.

Skipped, saying why, when Chromium is not installed; `.ci/run` installs it (Debian's
`chromium` package) and sets GDPR_LINT_REQUIRE_BROWSER=1, so in CI a missing browser fails
instead of skipping.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from helpers import run_cli
from test_map import KOMMUNE

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("GDPR_LINT_REQUIRE_BROWSER"):
        pytest.fail("GDPR_LINT_REQUIRE_BROWSER is set but no Chromium is installed")
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")


def _chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args],
            capture_output=True, timeout=300)


# Loads the map in a frame and reports what the browser made of it (the map itself has no script).
HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="f" src="map.html" style="width:1280px;height:1600px;border:0"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  const out = {};
  try {
    const d = this.contentDocument, w = this.contentWindow;
    out.title = d.title;
    out.overflow = d.documentElement.scrollWidth - w.innerWidth;
    const cards = Array.from(d.querySelectorAll('article.card'));
    out.cards = cards.length;
    out.flat = cards.filter(c => c.getBoundingClientRect().height < 60).length;
    out.columns = new Set(cards.map(c => Math.round(c.getBoundingClientRect().left))).size;
    out.describes = d.getElementById('describes').textContent;
    out.abuse = Array.from(d.querySelectorAll('td .tag.warn')).map(t => t.textContent);
    out.warn = getComputedStyle(d.querySelector('.tag.warn')).backgroundColor;
    out.print = Array.from(d.styleSheets[0].cssRules).filter(r => r.media && r.media.mediaText === 'print')
      .map(r => Array.from(r.cssRules).map(x => x.cssText)).flat();
  } catch (e) { out.error = String(e); }
  const pre = document.createElement('pre'); pre.id = 'result'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script></body></html>
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kommune")
    for name, text in KOMMUNE.items():
        import textwrap

        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "kommune-sag"\n\n[tool.gdpr-lint.map]\n'
        'purpose = "Case handling for citizens\' applications"\n'
        'legal-basis = "Art. 6(1)(e) public task; Art. 9(2)(g)"\n', encoding="utf-8")
    out = root / "site" / "map.html"
    out.parent.mkdir()
    proc = run_cli("map", ".", "--no-cache", "--output-format", "html", "-o", str(out), cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    (out.parent / "harness.html").write_text(HARNESS, encoding="utf-8")
    return out


def test_the_page_loads_and_lays_out_in_chromium(page):
    proc = _chromium("--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom",
                     (page.parent / "harness.html").as_uri())
    m = re.search(r'<pre id="result">(.*?)</pre>', proc.stdout.decode(), re.S)
    assert m, proc.stderr.decode()[-2000:]
    seen = json.loads(html.unescape(m.group(1)))
    assert "error" not in seen, seen
    assert seen["title"] == "Personal data sent to OpenAI"
    assert seen["cards"] == 8 and seen["flat"] == 0  # every call site has a card with content
    assert seen["columns"] == 2  # two columns of cards at 1280 px
    assert seen["overflow"] <= 0  # nothing wider than the window
    assert seen["describes"].startswith("Project kommune-sag") and "generated " in seen["describes"]
    assert "up to 30 days" in seen["abuse"]  # the provider's retention, not a green "no"
    assert seen["warn"] == "rgb(254, 240, 199)"  # amber
    # the browser kept the print rules (an invalid rule would have been dropped)
    assert any(r.startswith("@page") and "a4" in r for r in seen["print"])
    assert any(".card" in r and "break-inside: avoid" in r for r in seen["print"])


def test_printing_to_pdf_gives_a4_pages(page, tmp_path):
    pdf = tmp_path / "map.pdf"
    proc = _chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.is_file(), proc.stderr.decode()[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", data)
    boxes = {tuple(round(float(x)) for x in box.split()) for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)}
    assert len(pages) >= 2
    assert boxes == {(0, 0, 595, 842)}  # A4 in points
