"""Baselines: `gdpr-lint baseline -o FILE`, `gdpr-lint check --baseline FILE`."""

from __future__ import annotations

import json

from helpers import run_cli

from gdpr_lint.pipeline.baseline import fingerprint
from gdpr_lint.model import Finding, Span

NOTIFY = '''
from openai import OpenAI

client = OpenAI()


def notify(customer):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Tell {customer.email} the invoice is overdue"}],
    )
'''

DUPLICATE = '''

def notify_again(customer):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Tell {customer.email} the invoice is overdue"}],
    )
'''


def _check(root, *args):
    proc = run_cli("check", ".", "--output-format", "json", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return proc.returncode, json.loads(proc.stdout)


def test_baseline_hides_known_findings_even_when_moved_and_shows_new_ones(write):
    root = write({"billing/dunning.py": NOTIFY})
    proc = run_cli("baseline", ".", "-o", "gdpr-lint-baseline.json", cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "Wrote 1 finding from 1 file" in proc.stderr.decode()
    doc = json.loads((root / "gdpr-lint-baseline.json").read_text(encoding="utf-8"))
    assert doc["gdpr-lint-baseline"] == 1 and doc["fingerprint"] == "v1"
    [entry] = doc["findings"]
    assert (entry["code"], entry["path"], entry["function"], entry["callee"]) == (
        "GDPR001", "billing/dunning.py", "notify", "client.chat.completions.create")

    assert _check(root, "--baseline", "gdpr-lint-baseline.json") == (0, [])

    # code moves down the file (imports and a docstring added above): still baselined
    src = root / "billing" / "dunning.py"
    src.write_text('"""Dunning letters."""\nimport logging\n\nlog = logging.getLogger(__name__)\n'
                   + src.read_text(encoding="utf-8"), encoding="utf-8")
    assert _check(root, "--baseline", "gdpr-lint-baseline.json") == (0, [])
    assert len(_check(root)[1]) == 1

    # a second, identical leak in the same function is new: one entry hides one finding
    text = src.read_text(encoding="utf-8")
    src.write_text(text.replace("def notify(customer):\n", "def notify(customer):\n"
                                "    client.chat.completions.create(\n"
                                "        model=\"gpt-4o-mini\",\n"
                                "        messages=[{\"role\": \"user\", \"content\": f\"Tell {customer.email} the invoice is overdue\"}],\n"
                                "    )\n"), encoding="utf-8")
    code, findings = _check(root, "--baseline", "gdpr-lint-baseline.json")
    assert code == 1 and len(findings) == 1
    assert len(_check(root)[1]) == 2

    # the same leak in another function is new as well
    src.write_text(text + DUPLICATE, encoding="utf-8")
    code, findings = _check(root, "--baseline", "gdpr-lint-baseline.json")
    assert code == 1 and [f["function"] for f in findings] == ["notify_again"]

    # and the human summary says how many were hidden
    out = run_cli("check", ".", "--baseline", "gdpr-lint-baseline.json", cwd=root)
    assert "1 known finding hidden by the baseline" in out.stdout.decode() + out.stderr.decode()


def test_new_data_at_a_baselined_call_is_reported(write):
    root = write({"billing/dunning.py": NOTIFY})
    assert run_cli("baseline", "-o", "baseline.json", cwd=root).returncode == 0
    src = root / "billing" / "dunning.py"
    src.write_text(src.read_text(encoding="utf-8").replace("overdue", "overdue; call {customer.phone}"), encoding="utf-8")
    code, findings = _check(root, "--baseline", "baseline.json")
    assert code == 1 and "customer.phone (phone)" in findings[0]["data"]


def test_missing_or_malformed_baseline_is_a_one_line_error(write):
    root = write({"billing/dunning.py": NOTIFY, "broken.json": "{\"gdpr-lint-baseline\": 1, \"findings\": [",
                  "other.json": "{\"version\": 3}", "future.json": "{\"gdpr-lint-baseline\": 9, \"findings\": []}",
                  "badfp.json": "{\"gdpr-lint-baseline\": 1, \"findings\": [{\"fingerprint\": \"abc\"}]}"})
    for name, needle in [("missing.json", "baseline file not found"), ("broken.json", "not valid JSON"),
                         ("other.json", "not a gdpr-lint baseline"), ("future.json", "unsupported baseline version 9"),
                         ("badfp.json", "findings[0] has no valid \"fingerprint\"")]:
        proc = run_cli("check", ".", "--baseline", name, cwd=root)
        err = proc.stderr.decode()
        assert proc.returncode == 2, (name, err)
        assert err.count("\n") == 1 and name in err and needle in err, err
        assert "Traceback" not in err and proc.stdout == b""


def test_baseline_refuses_to_record_a_partial_run(write):
    root = write({"billing/dunning.py": NOTIFY, "billing/broken.py": "import openai\n\ndef f(:\n"})
    proc = run_cli("baseline", ".", "-o", "baseline.json", cwd=root)
    assert proc.returncode == 2
    assert "billing/broken.py" in proc.stderr.decode() and "baseline not written" in proc.stderr.decode()
    assert not (root / "baseline.json").exists()


def test_fingerprint_ignores_position_and_whitespace_but_not_identity():
    def finding(**kw):
        base = dict(code="GDPR001", path="crm/views.py", span=Span(10, 5, 12, 6), message="m", severity="medium",
                    confidence="high", data=["customer.email (email)", "customer.name (name)"],
                    function="CustomerView.post", callee="client.chat.completions.create")
        base.update(kw)
        return Finding(**base)

    fp = fingerprint(finding())
    assert fingerprint(finding(span=Span(40, 9, 44, 10))) == fp
    assert fingerprint(finding(callee="client.chat\n    .completions.create")) == fp
    assert fingerprint(finding(data=["customer.name (name)", "customer.email (email)"])) == fp
    assert fingerprint(finding(code="GDPR002")) != fp
    assert fingerprint(finding(path="crm/api.py")) != fp
    assert fingerprint(finding(function="CustomerView.put")) != fp
    assert fingerprint(finding(callee="async_client.chat.completions.create")) != fp
    assert fingerprint(finding(data=["customer.email (email)"])) != fp
