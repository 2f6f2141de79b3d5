"""Report formats for CI: sarif, github, gitlab, junit, json-lines, and --statistics."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdpr_lint.report.ci import escape_data, escape_property
from gdpr_lint.report.fingerprints import line_hashes
from gdpr_lint.checks.rules import ALL_RULES
from helpers import LEAKY, check_json, run_cli

SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-2.1.0.json"

CLINIC = {
    "clinic/handover.py": '''
        from openai import OpenAI

        client = OpenAI()


        def handover(patient):
            note = f"Patient {patient.full_name}, diagnosis: {patient.diagnosis}"
            return client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": note}],
                user=patient.email,
            )


        def product_tip(product):
            return client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": product.name}]
            )
    ''',
    "crm/follow_up.py": LEAKY,
}


def _sarif(root: Path, *args: str) -> tuple[dict, subprocess.CompletedProcess]:
    proc = run_cli("check", ".", "--output-format", "sarif", *args, cwd=root)
    assert proc.returncode in (0, 1, 2), proc.stderr.decode()
    return json.loads(proc.stdout), proc


def _validate(log: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():
        pytest.skip("SARIF schema not available")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)


# ------------------------------------------------------------ fingerprints


# The published test vectors of GitHub's codeql-action (src/fingerprints.test.ts).
HASH_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
     ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
      "b86d3392aea1be30:1", "e6ceba753e1a442:1"]),
]
_ENDING_VECTOR = ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
                  "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]
HASH_VECTORS += [
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n", _ENDING_VECTOR),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r", _ENDING_VECTOR),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n", _ENDING_VECTOR),
    (" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n", _ENDING_VECTOR),
    ("Lorem ipsum dolor sit amet.\n" * 10,
     ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
      "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
      "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]),
]


@pytest.mark.parametrize("text,expected", HASH_VECTORS)
def test_primary_location_line_hash_matches_codeql_action_vectors(text, expected):
    assert line_hashes(text) == expected


def _reference_line_hashes(text: str) -> list[str]:
    """A character-at-a-time transcription of the algorithm's description, to check
    the faster implementation against on arbitrary input."""
    units = list(text.encode("utf-16-le", errors="surrogatepass"))
    units = [units[i] | units[i + 1] << 8 for i in range(0, len(units), 2)]
    window, line_at = [0] * 100, [-1] * 100
    h, idx, line, line_start, prev_cr = 0, 0, 0, True, False
    counts, out = {}, {}

    def emit():
        value = format(h, "x")
        counts[value] = counts.get(value, 0) + 1
        out[line_at[idx]] = f"{value}:{counts[value]}"
        line_at[idx] = -1

    def feed(c):
        nonlocal h, idx
        begin, window[idx] = window[idx], c
        h = (37 * h + c - pow(37, 100, 1 << 64) * begin) % (1 << 64)
        idx = (idx + 1) % 100

    for c in units + [65535]:
        if c in (32, 9) or (prev_cr and c == 10):
            prev_cr = False
            continue
        prev_cr = c == 13
        c = 10 if c == 13 else c
        if line_at[idx] != -1:
            emit()
        if line_start:
            line_start, line = False, line + 1
            line_at[idx] = line
        line_start = c == 10
        feed(c)
    for _ in range(100):
        if line_at[idx] != -1:
            emit()
        feed(0)
    return [out[k] for k in sorted(out)]


@given(st.lists(st.sampled_from(["a", "b", " ", "\t", "\n", "\r", "\r\n", "\u00e6", "\U0001F600", "x" * 40]),
                max_size=40).map("".join))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_line_hash_agrees_with_a_character_at_a_time_reference(text):
    assert line_hashes(text) == _reference_line_hashes(text)


def test_line_hash_ignores_indentation_and_sees_only_100_characters_ahead():
    a = line_hashes("def f(customer):\n    send(customer.email)\n")
    b = line_hashes("def f(customer):\n        send(customer.email)\n")
    assert a == b  # re-indenting does not change the alert's identity
    # a character change far below (beyond the 100-character window) does not matter either
    filler = "x = 1\n" * 40
    assert line_hashes("send(a)\n" + filler + "y = 2\n")[0] == line_hashes("send(a)\n" + filler + "y = 3\n")[0]
    # but it does within the window
    assert line_hashes("send(a)\nz = 1\n")[0] != line_hashes("send(a)\nz = 2\n")[0]


def test_line_hash_counts_utf16_code_units_like_javascript():
    # an emoji is two UTF-16 units: a line of 99 ASCII characters + 1 emoji differs
    # from one where the emoji is replaced by a BMP character
    assert line_hashes("a" * 60 + "\U0001F600\n") != line_hashes("a" * 60 + "\u00e6\n")
    assert len(line_hashes("navn = 'Søren 😀'\nx\n")) == 3


# ------------------------------------------------------------ SARIF


def test_sarif_of_the_corpus_is_valid_and_complete(corpus_copy):
    log, proc = _sarif(corpus_copy)
    assert proc.returncode == 1
    _validate(log)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert driver["name"] == "gdpr-lint" and driver["version"]  # links: test_sarif_links_lead_to_the_repository_it_was_installed_from
    assert [r["id"] for r in driver["rules"]] == [r.code for r in ALL_RULES]
    for rule in driver["rules"]:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"].startswith(f"## {rule['id']}")
        assert 0.1 <= float(rule["properties"]["security-severity"]) <= 10
        assert "gdpr" in rule["properties"]["tags"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    findings = check_json(corpus_copy)
    results = run["results"]
    assert len(results) == len(findings) > 20
    for res, f in zip(results, findings):
        assert res["ruleId"] == f["code"]
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] == {"high": "error", "medium": "warning", "low": "note"}[f["severity"]]
        # (the order of the data named in a message is not part of the contract)
        assert res["message"]["text"].split(":")[0] == f["message"].split(":")[0]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": f["path"], "uriBaseId": "%SRCROOT%"}
        assert loc["region"]["startLine"] == f["line"] and loc["region"]["startColumn"] == f["column"]
        assert (loc["region"]["endLine"], loc["region"]["endColumn"]) == (f["end_line"], f["end_column"])
        text = (corpus_copy / f["path"]).read_text(encoding="utf-8")
        assert res["partialFingerprints"]["primaryLocationLineHash"] == line_hashes(text)[f["line"] - 1]
        steps = res["codeFlows"][0]["threadFlows"][0]["locations"]
        assert [s["executionOrder"] for s in steps] == list(range(len(steps)))
        assert steps[-1]["location"]["message"]["text"].startswith("sent as")
        if len(f["data"]) == 1:  # with several data, which one's path is shown is not part of the contract
            assert [(s["location"]["physicalLocation"]["region"]["startLine"], s["location"]["message"]["text"])
                    for s in steps] == [(s["line"], s["note"]) for s in f["flow"]]
        assert sorted(res["properties"]["data"]) == sorted(f["data"])
        assert res["properties"]["confidence"] == f["confidence"]
        assert "suppressions" not in res


def test_sarif_uris_are_relative_to_the_repository_root_and_suppressions_are_listed(write):
    root = write({
        **{f"services/api/{k}": v for k, v in CLINIC.items()},
        "services/api/hr/review.py": '''
            from openai import OpenAI

            client = OpenAI()


            def review(employee):
                # gdpr-lint: ignore[GDPR001] reason: works council approved, DPIA-2024-11
                return client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"Review for {employee.full_name}"}]
                )
        ''',
    })
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    api = root / "services" / "api"
    log, proc = _sarif(api)
    _validate(log)
    run = log["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"services/api/clinic/handover.py", "services/api/crm/follow_up.py", "services/api/hr/review.py"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["ruleId"] == "GDPR001"
    assert suppressed[0]["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                              "justification": "works council approved, DPIA-2024-11"}]
    # the suppressed finding does not fail the gate, the others do
    assert proc.returncode == 1
    assert {r["ruleId"] for r in run["results"] if "suppressions" not in r} == {"GDPR001", "GDPR002", "GDPR003"}


def test_sarif_reports_files_that_could_not_be_analysed(write):
    root = write({**CLINIC, "crm/broken.py": "import openai\n\ndef follow_up(customer:\n    pass\n"})
    log, proc = _sarif(root)
    assert proc.returncode == 2
    _validate(log)
    inv = log["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    note = inv["toolExecutionNotifications"][0]
    assert note["level"] == "error" and "syntax error" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "crm/broken.py"


# ------------------------------------------------------------ GitHub annotations


def test_github_escaping():
    assert escape_data("50% of rows\r\nnext: a,b") == "50%25 of rows%0D%0Anext: a,b"
    assert escape_property("reports/q1,q2: 100%.py") == "reports/q1%2Cq2%3A 100%25.py"
    assert escape_property("line\nbreak") == "line%0Abreak"


def test_github_annotations(write):
    root = write({**CLINIC, "reports/q1,q2.py": CLINIC["crm/follow_up.py"]})
    proc = run_cli("check", ".", "--output-format", "github", cwd=root)
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 5 and all(line.startswith("::") for line in lines)
    by_key = {}
    for line in lines:
        head, _, message = line[2:].partition("::")
        level, _, props = head.partition(" ")
        fields = dict(p.split("=", 1) for p in props.split(","))
        by_key[(fields["file"], fields["title"])] = (level, fields, message)
    level, fields, message = by_key[("clinic/handover.py", "gdpr-lint GDPR002 (special-category-data-to-openai)")]
    assert level == "error"
    assert (fields["line"], fields["endLine"], fields["col"]) == ("8", "12", "12")
    assert "endColumn" not in fields  # multi-line region: GitHub ignores columns there
    assert message.startswith("Special-category data (health data) reaches chat.completions.create")
    assert "%0Adata path:%0A  clinic/handover.py:7:" in message and "\n" not in message
    # the file name's comma is escaped, so the property list still splits correctly
    assert ("reports/q1%2Cq2.py", "gdpr-lint GDPR001 (personal-data-to-openai)") in by_key
    # medium severity is an error too: it fails the check
    assert by_key[("crm/follow_up.py", "gdpr-lint GDPR001 (personal-data-to-openai)")][0] == "error"


def test_github_single_line_call_has_end_column_and_low_severity_is_a_warning(write):
    root = write({"crm/notify.py": '''
        from openai import OpenAI

        client = OpenAI()


        def notify(customer):
            return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}])


        def tip(product):
            return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": product.name}])  # noqa: GDPR001
    '''})
    lines = run_cli("check", ".", "--output-format", "github", cwd=root).stdout.decode().splitlines()
    assert len(lines) == 2
    source = (root / "crm" / "notify.py").read_text(encoding="utf-8").splitlines()
    leak = next(x for x in lines if "GDPR001" in x)
    end = len(source[6]) + 1  # the call ends the line; endColumn is exclusive
    assert leak.startswith(f"::error file=crm/notify.py,line=7,endLine=7,col=12,endColumn={end},")
    stale = next(x for x in lines if "GDPR100" in x)
    col = source[10].index("# noqa") + 1
    assert stale.startswith(f"::warning file=crm/notify.py,line=11,endLine=11,col={col},")


# ------------------------------------------------------------ GitLab, JUnit, JSON Lines


def test_gitlab_code_quality(write):
    root = write(CLINIC)
    proc = run_cli("check", ".", "--output-format", "gitlab", cwd=root)
    assert proc.returncode == 1
    issues = json.loads(proc.stdout)
    assert len(issues) == 4
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert {(i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues} == {
        ("GDPR001 personal-data-to-openai", "major", "clinic/handover.py", 8),
        ("GDPR002 special-category-data-to-openai", "critical", "clinic/handover.py", 8),
        ("GDPR003 raw-identifier-as-openai-user", "major", "clinic/handover.py", 8),
        ("GDPR001 personal-data-to-openai", "major", "crm/follow_up.py", 7),
    }
    assert len({i["fingerprint"] for i in issues}) == 4
    # fingerprints survive code moving down the file (GitLab matches MR issues by them)
    p = root / "crm" / "follow_up.py"
    p.write_text('"""Customer follow-ups."""\nimport logging\n\n' + p.read_text(encoding="utf-8"), encoding="utf-8")
    moved = json.loads(run_cli("check", ".", "--output-format", "gitlab", cwd=root).stdout)
    assert {i["fingerprint"] for i in moved} == {i["fingerprint"] for i in issues}
    assert next(i for i in moved if i["location"]["path"] == "crm/follow_up.py")["location"]["lines"]["begin"] == 10


def test_junit_one_testcase_per_finding_grouped_by_file(write):
    root = write(CLINIC)
    proc = run_cli("check", ".", "--output-format", "junit", cwd=root)
    assert proc.returncode == 1
    suites = ET.fromstring(proc.stdout)
    assert suites.tag == "testsuites" and suites.get("tests") == "4" and suites.get("failures") == "4"
    by_file = {s.get("name"): s for s in suites.findall("testsuite")}
    assert set(by_file) == {"clinic/handover.py", "crm/follow_up.py"}
    cases = by_file["clinic/handover.py"].findall("testcase")
    assert [c.find("failure").get("type") for c in cases] == ["GDPR001", "GDPR002", "GDPR003"]
    assert all(c.get("line") == "8" and c.get("classname") == "clinic/handover.py" for c in cases)
    assert "data path:" in cases[1].find("failure").text and "patient.diagnosis" in cases[1].find("failure").get("message")


def test_junit_clean_run_is_one_passing_test_case(write):
    """GitLab and Jenkins show a passed check, not "no tests"."""
    root = write({"crm/tip.py": CLINIC["clinic/handover.py"].split("def handover")[0], "crm/util.py": "X = 1\n"})
    proc = run_cli("check", ".", "--output-format", "junit", cwd=root)
    assert proc.returncode == 0
    suites = ET.fromstring(proc.stdout)
    assert (suites.get("tests"), suites.get("failures"), suites.get("errors")) == ("1", "0", "0")
    [suite] = suites.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "0", "0")
    [case] = suite.findall("testcase")
    assert case.get("name") == "no personal data reaches an OpenAI request (2 files analysed)"
    assert list(case) == []  # no <failure>, <error> or <skipped>: passed


def _sarif_driver(monkeypatch, url: str | None) -> dict:
    from gdpr_lint import provenance
    from gdpr_lint.report.context import Report, ReportContext
    from gdpr_lint.report.sarif import render_sarif

    if url is None:
        monkeypatch.delenv(provenance.ENV_URL, raising=False)
    else:
        monkeypatch.setenv(provenance.ENV_URL, url)
    provenance.source.cache_clear()
    try:
        repo = Path(__file__).resolve().parents[1]
        return json.loads(render_sarif(Report(ReportContext(cwd=repo))))["runs"][0]["tool"]["driver"]
    finally:
        provenance.source.cache_clear()


def test_sarif_links_lead_to_the_repository_it_was_installed_from(monkeypatch):
    """gdpr-lint is installed from a repository, not a package index: the links lead to
    that repository's README (its rules table), and nowhere when it is not known."""
    driver = _sarif_driver(monkeypatch, "git+https://github.com/acme/gdpr-lint.git")
    assert driver["informationUri"] == "https://github.com/acme/gdpr-lint"
    assert {r["helpUri"] for r in driver["rules"]} == {"https://github.com/acme/gdpr-lint/blob/HEAD/README.md#rules"}
    assert "\n## Rules\n" in (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    driver = _sarif_driver(monkeypatch, "https://gitlab.example.org/privacy/gdpr-lint")
    assert {r["helpUri"] for r in driver["rules"]} == {
        "https://gitlab.example.org/privacy/gdpr-lint/-/blob/HEAD/README.md#rules"}
    # installed from this checkout (editable): no web address is known, so none is invented
    driver = _sarif_driver(monkeypatch, None)
    assert "informationUri" not in driver and not any("helpUri" in r for r in driver["rules"])


def test_provenance_from_pip_direct_url(monkeypatch):
    """PEP 610: pip records the VCS URL and commit of a direct install."""
    import importlib.metadata

    from gdpr_lint import provenance

    class Dist:
        def __init__(self, text):
            self.text = text

        def read_text(self, name):
            return self.text if name == "direct_url.json" else None

    cases = {
        json.dumps({"url": "https://github.com/acme/gdpr-lint.git",
                    "vcs_info": {"vcs": "git", "commit_id": "4f1c2d", "requested_revision": "v1"}}):
            ("https://github.com/acme/gdpr-lint", "4f1c2d"),
        json.dumps({"url": "ssh://git@github.com/acme/gdpr-lint.git", "vcs_info": {"vcs": "git", "commit_id": "4f"}}):
            None,  # no web address
        json.dumps({"url": "file:///src/gdpr-lint", "dir_info": {"editable": True}}): None,  # a checkout
        "not json": None,
    }
    monkeypatch.delenv(provenance.ENV_URL, raising=False)
    for text, expected in cases.items():
        monkeypatch.setattr(importlib.metadata, "distribution", lambda name, t=text: Dist(t))
        provenance.source.cache_clear()
        got = provenance.source()
        assert (got and (got.repository, got.revision)) == expected or (got is None and expected is None), text
    provenance.source.cache_clear()


def test_json_lines_is_the_json_report_one_object_per_line(write):
    root = write(CLINIC)
    proc = run_cli("check", ".", "--output-format", "json-lines", cwd=root)
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 4
    assert [json.loads(x) for x in lines] == check_json(root)


# ------------------------------------------------------------ --statistics


def test_statistics(write):
    root = write(CLINIC)
    proc = run_cli("check", ".", "--statistics", cwd=root)
    assert proc.returncode == 1
    rows = [line.split("\t") for line in proc.stdout.decode().splitlines()]
    assert rows == [
        ["2", "GDPR001", "[*] personal-data-to-openai"],
        ["1", "GDPR002", "[*] special-category-data-to-openai"],
        ["1", "GDPR003", "[*] raw-identifier-as-openai-user"],
    ]
    stats = json.loads(run_cli("check", ".", "--statistics", "--output-format", "json", cwd=root).stdout)
    assert stats[0] == {"code": "GDPR001", "name": "personal-data-to-openai", "count": 2, "fixable": True, "fixable_count": 2}
    assert sum(s["count"] for s in stats) == 4
