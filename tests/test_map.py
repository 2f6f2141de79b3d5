"""`gdpr-lint map`: the inventory of personal data sent to OpenAI (per endpoint and call
site, protected or not, data residency, storage), its Markdown / JSON / HTML outputs,
and the opt-in rule GDPR010 for clients not pinned to EU data residency."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser

import pytest

from helpers import analyse, run_cli

# A municipality's case-handling service: clients configured in one module, requests in another.
KOMMUNE = {
    "kommune/__init__.py": "",
    "kommune/settings.py": """
        import os

        EU_ENDPOINT = "https://eu.api.openai.com/v1"
        GATEWAY_URL = os.environ.get("LLM_GATEWAY_URL")
    """,
    "kommune/llm.py": """
        from openai import AzureOpenAI, OpenAI

        from gdpr_lint.runtime import protect

        from .settings import EU_ENDPOINT, GATEWAY_URL

        eu_client = OpenAI(base_url=EU_ENDPOINT)
        gateway = OpenAI(base_url=GATEWAY_URL)
        default_client = OpenAI()
        azure_sweden = AzureOpenAI(azure_endpoint="https://swedencentral.api.cognitive.microsoft.com/", api_version="2024-06-01")
        azure_resource = AzureOpenAI(azure_endpoint="https://kommune-ai.openai.azure.com/", api_version="2024-06-01")
        safe_client = protect(OpenAI(base_url=EU_ENDPOINT))


        def ask_safely(text):
            \"\"\"Every caller's text is pseudonymised before it leaves the municipality.\"\"\"
            from gdpr_lint.runtime import pseudonymise

            return eu_client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": pseudonymise(text)}])
    """,
    "kommune/cases.py": """
        import hashlib

        from gdpr_lint.runtime import pseudonymise

        from .llm import ask_safely, azure_resource, azure_sweden, default_client, eu_client, gateway, safe_client


        def summarise_case(citizen):
            return eu_client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": f"CPR {citizen.cpr}. Diagnosis: {citizen.diagnosis}"}],
                store=True,
            )


        def draft_letter(citizen):
            return default_client.responses.create(model="gpt-4o", input=f"Write to {citizen.name}, {citizen.address}")


        def embed_case(citizen):
            return gateway.embeddings.create(model="text-embedding-3-small",
                                             input=pseudonymise(f"{citizen.name}: {citizen.diagnosis}", known={"health": citizen.diagnosis}))


        def triage(citizen):
            return safe_client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": f"Triage: {citizen.diagnosis}"}])


        def reply_in_swedish(citizen, question):
            return azure_sweden.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"Svar til {citizen.name}: {question}"}],
                user=hashlib.sha256(citizen.email.encode()).hexdigest(),
            )


        def confirm_email(citizen):
            return azure_resource.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"Confirm the address {citizen.email}"}])


        def screening(citizen):
            return ask_safely(f"Record: {citizen.criminal_record}")


        def opening_hours():
            return default_client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "When is the town hall open?"}])
    """,
}
CASES = "kommune/cases.py"


def _inventory(root, *args):
    from gdpr_lint.report.inventory import build_inventory

    result = analyse(root)
    assert not result.errors, [str(e) for e in result.errors]
    return build_inventory(result)


@pytest.fixture
def kommune(write):
    return write(KOMMUNE)


@pytest.fixture
def inv(kommune):
    return {(s["path"], s["line"]): s for s in _inventory(kommune)["call_sites"]}


def _flows(site):
    return {(f["data"], f["category"], f["protection"]) for f in site["flows"]}


def test_unprotected_flows_with_special_categories_and_store_true(inv):
    s = inv[(CASES, 9)]
    assert s["endpoint"] == "chat.completions.create" and s["function"] == "summarise_case"
    assert s["status"] == "unprotected"
    assert _flows(s) == {("citizen.cpr", "national_id", None), ("citizen.diagnosis", "health", None)}
    assert s["special_categories"] == ["health"]
    assert s["findings"] == ["GDPR001", "GDPR002"]
    assert s["storage"] == {"may_store": True, "reason": "store=True on the call", "store_argument": "true",
                            "abuse_monitoring": "up to 30 days"}
    assert s["residency"]["eu"] is True
    assert s["residency"]["client"][0]["kind"] == "constant"
    assert s["residency"]["client"][0]["value"] == "https://eu.api.openai.com/v1"
    assert s["residency"]["client"][0]["where"] == "kommune/llm.py:7"


def test_protected_flows_name_their_sanitizer(inv):
    # pseudonymise() around the text, the diagnosis handed over in known=
    s = inv[(CASES, 21)]
    assert s["status"] == "protected" and s["findings"] == []
    assert _flows(s) == {("citizen.name", "name", "gdpr_lint.runtime.pseudonymise (known: health)"),
                         ("citizen.diagnosis", "health", "gdpr_lint.runtime.pseudonymise (known: health)")}


def test_data_the_runtime_cannot_recognise_is_not_protected(inv):
    # a client wrapped in protect(...): its detectors do not recognise a diagnosis
    s = inv[(CASES, 26)]
    assert s["status"] == "unprotected" and s["findings"] == ["GDPR004"]
    assert _flows(s) == {("citizen.diagnosis", "health", "gdpr_lint.runtime.protect")}
    assert [f["protected"] for f in s["flows"]] == [False]
    # a helper in another module pseudonymises what its callers pass: the flow starts at the caller
    s = inv[("kommune/llm.py", 19)]
    assert _flows(s) == {("citizen.criminal_record", "criminal", "gdpr_lint.runtime.pseudonymise")}
    assert s["special_categories"] == ["criminal"]
    assert s["flows"][0]["path"][0]["path"] == CASES
    assert s["status"] == "unprotected" and s["findings"] == ["GDPR004"]


def test_partly_protected_raw_content_beside_a_hashed_user_id(inv):
    s = inv[(CASES, 31)]
    assert s["status"] == "partly protected"
    assert _flows(s) == {("citizen.name", "name", None), ("citizen.email", "email", "hashlib.sha256")}
    assert {f["param"] for f in s["flows"]} == {"messages", "user"}
    assert s["findings"] == ["GDPR001"]


def test_data_residency_variants(inv):
    def res(line, path=CASES):
        return inv[(path, line)]["residency"]

    assert res(17)["eu"] is False and res(17)["client"][0]["kind"] == "default"
    assert res(21)["eu"] is None
    assert res(21)["client"][0] == {"setting": "base_url", "kind": "environment", "value": "LLM_GATEWAY_URL",
                                    "where": "kommune/llm.py:8",
                                    "description": "base_url from environment (LLM_GATEWAY_URL)"}
    assert res(26)["eu"] is True  # protect(OpenAI(base_url=EU)) keeps the client's configuration
    assert res(31)["eu"] is True and "swedencentral" in res(31)["summary"]
    assert res(38)["eu"] is None and "region not visible" in res(38)["summary"]


def test_storage_defaults_by_endpoint(inv):
    assert inv[(CASES, 17)]["storage"]["may_store"] is True  # Responses API stores unless store=False
    assert inv[(CASES, 21)]["storage"]["may_store"] is False  # embeddings
    assert inv[(CASES, 47)]["storage"] == {"may_store": False, "reason": "not stored unless store=True",
                                           "store_argument": None, "abuse_monitoring": "up to 30 days"}
    # Azure OpenAI is Microsoft's service: its retention is not stated from OpenAI's facts
    assert inv[(CASES, 31)]["storage"]["abuse_monitoring"] is None
    assert inv[(CASES, 47)]["status"] == "no personal data"


def test_protected_flows_are_not_findings(kommune):
    result = analyse(kommune)
    assert {(f.code, f.line) for f in result.findings if f.path == CASES} == {
        ("GDPR001", 9), ("GDPR002", 9), ("GDPR001", 17), ("GDPR001", 31), ("GDPR001", 38),
        ("GDPR004", 26)}  # a diagnosis through protect(client): not recognised by its detectors
    assert [(f.code, f.line) for f in result.findings if f.path == "kommune/llm.py"] == [("GDPR004", 19)]


def test_gdpr010_is_opt_in_and_follows_the_residency_policy(kommune):
    proc = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=kommune)
    assert not [f for f in json.loads(proc.stdout) if f["code"] == "GDPR010"]
    proc = run_cli("check", ".", "--no-cache", "--output-format", "json", "--extend-select", "GDPR010", cwd=kommune)
    assert proc.returncode == 1, proc.stderr.decode()
    got = {(f["path"], f["line"], f["confidence"]) for f in json.loads(proc.stdout) if f["code"] == "GDPR010"}
    # default client: high; environment and an Azure resource without a visible region: low;
    # EU base_url, protect(EU client), the Swedish Azure region and the EU helper: not reported;
    # the call without personal data: not reported
    assert got == {(CASES, 17, "high"), (CASES, 21, "low"), (CASES, 38, "low")}
    f = next(f for f in json.loads(proc.stdout) if f["code"] == "GDPR010" and f["line"] == 17)
    assert f["flow"][0]["path"] == "kommune/llm.py" and f["flow"][0]["line"] == 9
    assert "citizen.name (name)" in f["data"]


def test_gdpr010_from_config_with_eu_base_urls(write):
    root = write({
        "pyproject.toml": """
            [tool.gdpr-lint]
            extend-select = ["GDPR010"]
            eu-base-urls = ["https://llm-gateway.bank.example.eu/v1"]
        """,
        "bank/advice.py": """
            from openai import OpenAI

            gateway = OpenAI(base_url="https://llm-gateway.bank.example.eu/v1")
            us_proxy = OpenAI(base_url="https://llm-proxy.bank.example.com/v1")
            eu_project = OpenAI(data_residency="eu")


            def advise(customer):
                return gateway.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"Advise {customer.name}"}])


            def advise_abroad(customer):
                return us_proxy.with_options(timeout=20).chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"Advise {customer.name}"}])


            def advise_eu(customer):
                return eu_project.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"Advise {customer.name}"}])


            def advise_eu_options(customer):
                return us_proxy.with_options(base_url="https://eu.api.openai.com/v1").chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"Advise {customer.name}"}])
        """,
    })
    proc = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=root)
    got = {(f["line"], f["confidence"]) for f in json.loads(proc.stdout) if f["code"] == "GDPR010"}
    # a gateway that is not a known EU endpoint is reported with medium confidence
    assert got == {(14, "medium")}


def test_residency_policy_for_literals():
    from gdpr_lint.checks.residency import url_verdict

    assert url_verdict("https://eu.api.openai.com/v1/")[0] is True
    assert url_verdict("https://api.openai.com/v1")[:2] == (False, "high")
    assert url_verdict("https://westeurope.api.cognitive.microsoft.com/")[0] is True
    assert url_verdict("https://eastus2.api.cognitive.microsoft.com/")[:2] == (False, "high")
    assert url_verdict("https://contoso.openai.azure.com/")[:2] == (None, "low")
    assert url_verdict("https://ai.internal.example/v1")[:2] == (False, "medium")
    assert url_verdict("https://ai.internal.example/v1", ("https://*.internal.example/*",))[0] is True


def test_markdown_output(kommune):
    proc = run_cli("map", ".", "--no-cache", cwd=kommune)
    assert proc.returncode == 0, proc.stderr.decode()  # an inventory, not a gate: findings do not fail it
    md = proc.stdout.decode()
    lines = md.splitlines()
    assert lines[0] == "# Personal data sent to OpenAI"
    header = next(line for line in lines if line.startswith("| Category |"))
    assert header == "| Category | `chat.completions.create` | `embeddings.create` | `responses.create` |"
    # a diagnosis and a criminal record through the runtime without known=: not recognised
    assert "| **health data** (Art. 9) | 2 unprotected | 1 protected | – |" in lines
    assert "| **criminal convictions and offences (Art. 10)** | 1 unprotected | – | – |" in lines
    assert ("| `citizen.diagnosis` | **health data** (Art. 9) | `messages` | **none**: not recognised by "
            "`gdpr_lint.runtime.protect` | kommune/cases.py:27 |") in lines
    assert "| postal address | – | – | 1 unprotected |" in lines
    assert "| `responses.create` | 1 | 1 | yes | up to 30 days | no |" in lines
    assert "### `kommune/cases.py:9` `chat.completions.create` in `summarise_case`: unprotected" in lines
    assert "| `citizen.email` | email | `user` | `hashlib.sha256` | kommune/cases.py:33 |" in lines
    assert "| `kommune/cases.py` | 7 | 7 | 3 |" in lines


def test_json_output_schema(kommune, tmp_path):
    out = tmp_path / "map.json"
    proc = run_cli("map", ".", "--no-cache", "--output-format", "json", "-o", str(out), cwd=kommune)
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(out.read_text())
    assert doc["schema"] == "gdpr-lint-map/1"
    assert set(doc) == {"schema", "tool", "generated", "record", "provider_retention", "files_analysed", "errors",
                        "totals", "categories", "endpoints", "files", "call_sites"}
    assert doc["totals"] == {"call_sites": 8, "with_personal_data": 7, "unprotected": 6, "protected_only": 1,
                             "with_special_categories": 4, "unprotected_flows": 8, "protected_flows": 3}
    assert {"key": "criminal", "label": "criminal convictions and offences (Art. 10)", "special": True,
            "article": "Art. 10"} in doc["categories"]
    site = doc["call_sites"][0]
    assert set(site) == {"id", "path", "line", "column", "end_line", "end_column", "endpoint", "flavour",
                         "confidence", "function", "callee", "status", "categories", "special_categories",
                         "residency", "storage", "findings", "flows"}
    assert set(site["residency"]) == {"eu", "summary", "client"}
    assert set(site["storage"]) == {"may_store", "reason", "store_argument", "abuse_monitoring"}
    assert set(site["flows"][0]) == {"category", "label", "special", "data", "param", "kind", "protected",
                                     "protection", "suppressed", "confidence", "path"}
    assert set(site["flows"][0]["path"][0]) == {"path", "line", "column", "note"}
    ep = next(e for e in doc["endpoints"] if e["endpoint"] == "embeddings.create")
    assert ep == {"endpoint": "embeddings.create", "call_sites": 1, "sites_with_personal_data": 1,
                  "categories": {"health": {"unprotected": 0, "protected": 1},
                                 "name": {"unprotected": 0, "protected": 1}},
                  "may_store": False, "abuse_monitoring": "up to 30 days", "eu": None}
    assert {f["path"] for f in doc["files"]} == {"kommune/cases.py", "kommune/llm.py"}


class _Structure(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_html_output_is_self_contained_and_well_formed(kommune, tmp_path):
    out = tmp_path / "map.html"
    proc = run_cli("map", ".", "--no-cache", "--output-format", "html", "-o", str(out), cwd=kommune)
    assert proc.returncode == 0, proc.stderr.decode()
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    parser = _Structure()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert "http://" not in page.split("<body>")[0] and "url(" not in page
    assert not [a for _, a in parser.tags if str(a.get("href", "")).startswith("http") or "src" in a]
    # the matrix highlights special categories; every call site has a card with its data path
    assert page.count('<tr class="special">') == 2
    assert page.count('<article class="card') == 8
    assert 'id="kommune/cases.py:31:12"' in page
    assert "protected by gdpr_lint.runtime.pseudonymise (known: health)" in page
    assert "not recognised by gdpr_lint.runtime.protect" in page


def test_html_escapes_code_text(write, tmp_path):
    root = write({"crm/notes.py": """
        from openai import OpenAI
        client = OpenAI(base_url="https://eu.api.openai.com/v1?<b>x</b>")

        def note(customer):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": customer.email}])
    """})
    proc = run_cli("map", ".", "--no-cache", "--output-format", "html", cwd=root)
    page = proc.stdout.decode()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_map_exits_2_when_a_file_cannot_be_analysed(write):
    root = write({
        "crm/broken.py": "import openai\n\ndef f(:\n",
        "crm/ok.py": """
            from openai import OpenAI
            client = OpenAI()

            def ask(customer):
                return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": customer.email}])
        """,
    })
    proc = run_cli("map", ".", "--no-cache", cwd=root)
    assert proc.returncode == 2
    assert "crm/broken.py" in proc.stderr.decode()
    md = proc.stdout.decode()
    assert "**Incomplete:**" in md and "`crm/broken.py`" in md
    assert "| email | 1 unprotected |" in md


def test_suppressed_findings_stay_on_the_map_and_ignored_rules_leave_it(write):
    root = write({"hr/review.py": """
        from openai import OpenAI
        client = OpenAI()

        def review(employee):
            return client.chat.completions.create(  # noqa: GDPR002 - DPIA 2024-07, Art. 9(2)(b)
                model="gpt-4o", messages=[{"role": "user", "content": f"{employee.name}: {employee.diagnosis}"}])
    """})
    site = _inventory(root)["call_sites"][0]
    by_cat = {f["category"]: f for f in site["flows"]}
    assert by_cat["health"]["suppressed"] is True and by_cat["name"]["suppressed"] is False
    proc = run_cli("map", ".", "--no-cache", "--output-format", "json", "--ignore", "GDPR001", cwd=root)
    doc = json.loads(proc.stdout)
    assert [f["category"] for f in doc["call_sites"][0]["flows"]] == ["health"]


# ------------------------------------------------------------------ what a DPO needs besides the flows


def _git(*args, cwd):
    import subprocess

    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false",
                           *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_the_map_says_which_project_commit_and_date_it_describes(kommune):
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (kommune / "pyproject.toml").write_text('[project]\nname = "kommune-sag"\n')
    _git("init", "-q", ".", cwd=kommune)
    _git("add", ".", cwd=kommune)
    _git("commit", "-q", "-m", "cases", cwd=kommune)
    head = _git("rev-parse", "HEAD", cwd=kommune)
    import subprocess

    from helpers import cli_command

    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01 UTC

    def run(*args):
        proc = subprocess.run([*cli_command(), "map", "kommune", "--no-cache", *args], cwd=kommune, env=env,
                              capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout.decode()

    doc = json.loads(run("--output-format", "json"))
    assert doc["generated"] == {"date": "2026-01-01", "project": "kommune-sag", "commit": head,
                                "uncommitted_changes": False, "paths": ["kommune"]}
    md = run()
    assert md.splitlines()[2] == (f"Project kommune-sag, commit {head[:12]}; paths `kommune`; "
                                  f"generated on 2026-01-01.")
    page = run("--output-format", "html")
    assert f"commit <code>{head[:12]}</code>" in page and '<time datetime="2026-01-01">' in page
    with open(kommune / "kommune" / "settings.py", "a") as fh:
        fh.write("# edited\n")
    assert json.loads(run("--output-format", "json"))["generated"]["uncommitted_changes"] is True
    assert "(with uncommitted changes)" in run()


def test_outside_git_the_map_names_the_folder_and_no_commit(kommune):
    doc = json.loads(run_cli("map", ".", "--no-cache", "--output-format", "json", cwd=kommune).stdout)
    assert doc["generated"]["commit"] is None and doc["generated"]["project"] == kommune.name
    assert doc["record"] == {"purpose": None, "legal_basis": None, "retention": None}
    md = run_cli("map", ".", "--no-cache", cwd=kommune).stdout.decode()
    assert "not in a git repository (no commit)" in md
    assert "- Purpose: *not stated* (set `purpose` in `[tool.gdpr-lint.map]`)" in md


def test_purpose_legal_basis_and_retention_from_the_configuration(kommune):
    (kommune / "pyproject.toml").write_text(
        '[tool.gdpr-lint.map]\nproject = "Sagsbehandling"\npurpose = "Drafting replies to citizens"\n'
        'legal-basis = "Art. 6(1)(e); Art. 9(2)(g) <substantial public interest>"\n'
        'retention = "Case files 5 years after closure"\n')
    doc = json.loads(run_cli("map", ".", "--no-cache", "--output-format", "json", cwd=kommune).stdout)
    assert doc["generated"]["project"] == "Sagsbehandling"
    assert doc["record"] == {"purpose": "Drafting replies to citizens",
                             "legal_basis": "Art. 6(1)(e); Art. 9(2)(g) <substantial public interest>",
                             "retention": "Case files 5 years after closure"}
    md = run_cli("map", ".", "--no-cache", cwd=kommune).stdout.decode()
    assert "- Legal basis: Art. 6(1)(e); Art. 9(2)(g) <substantial public interest>" in md
    page = run_cli("map", ".", "--no-cache", "--output-format", "html", cwd=kommune).stdout.decode()
    assert "<dt>Legal basis</dt><dd>Art. 6(1)(e); Art. 9(2)(g) &lt;substantial public interest&gt;</dd>" in page
    assert "<dt>Retention</dt><dd>Case files 5 years after closure</dd>" in page


def test_provider_retention_is_stated_with_its_date_not_a_reassuring_no(kommune):
    from gdpr_lint.report.inventory import provider_facts

    facts = provider_facts()["openai"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", facts["checked"]) and facts["source"].startswith("https://")
    doc = json.loads(run_cli("map", ".", "--no-cache", "--output-format", "json", cwd=kommune).stdout)
    [openai, azure] = doc["provider_retention"]
    assert openai["provider"] == "OpenAI" and "up to 30 days" in openai["statement"]
    assert (openai["checked"], openai["source"], openai["configured"]) == (facts["checked"], facts["source"], False)
    assert azure["provider"] == "Microsoft (Azure OpenAI)" and azure["abuse_monitoring"] is None
    chat = next(e for e in doc["endpoints"] if e["endpoint"] == "chat.completions.create")
    assert chat["abuse_monitoring"] is None  # OpenAI and Azure call sites: no single answer
    emb = next(e for e in doc["endpoints"] if e["endpoint"] == "embeddings.create")
    assert (emb["may_store"], emb["abuse_monitoring"]) == (False, "up to 30 days")
    md = run_cli("map", ".", "--no-cache", cwd=kommune).stdout.decode()
    assert f"(checked {facts['checked']} against {facts['source']})" in md
    assert "| `embeddings.create` | 1 | 1 | no | up to 30 days | unknown |" in md
    page = run_cli("map", ".", "--no-cache", "--output-format", "html", cwd=kommune).stdout.decode()
    row = next(r for r in page.split("<tr>") if "<code>embeddings.create</code></td><td>1</td>" in r)
    assert '<span class="tag unk">no</span>' in row  # not green: the provider still keeps the request
    assert '<span class="tag warn">up to 30 days</span>' in row


def test_zero_data_retention_and_the_projects_own_statement(kommune):
    (kommune / "pyproject.toml").write_text('[tool.gdpr-lint.map]\nzero-data-retention = true\n')
    inv = {(s["path"], s["line"]): s for s in json.loads(run_cli(
        "map", ".", "--no-cache", "--output-format", "json", cwd=kommune).stdout)["call_sites"]}
    # store=True on chat completions and the Responses API's default are treated as false under ZDR
    assert inv[(CASES, 9)]["storage"] == {"may_store": False, "store_argument": "true",
                                          "reason": "store= is treated as false under Zero Data Retention",
                                          "abuse_monitoring": "not kept (Zero Data Retention)"}
    assert inv[(CASES, 17)]["storage"]["may_store"] is False
    assert inv[(CASES, 21)]["storage"]["abuse_monitoring"] == "not kept (Zero Data Retention)"
    doc = json.loads(run_cli("map", ".", "--no-cache", "--output-format", "json", cwd=kommune).stdout)
    assert doc["provider_retention"][0]["zero_data_retention"] is True
    assert doc["provider_retention"][0]["statement"].startswith("Zero Data Retention applies")
    page = run_cli("map", ".", "--no-cache", "--output-format", "html", cwd=kommune).stdout.decode()
    assert '<span class="tag prot">not kept (Zero Data Retention)</span>' in page  # green only when agreed
    (kommune / "pyproject.toml").write_text(
        '[tool.gdpr-lint.map]\nprovider-retention = "Per our DPA of 2025-03-01: no logs kept beyond 24 hours"\n'
        'provider-retention-checked = "2026-11-30"\n')
    doc = json.loads(run_cli("map", ".", "--no-cache", "--output-format", "json", cwd=kommune).stdout)
    assert {(p["statement"], p["checked"], p["configured"]) for p in doc["provider_retention"]} == {
        ("Per our DPA of 2025-03-01: no logs kept beyond 24 hours", "2026-11-30", True)}
    md = run_cli("map", ".", "--no-cache", cwd=kommune).stdout.decode()
    assert "no logs kept beyond 24 hours (checked 2026-11-30) As configured for this project." in md


@pytest.mark.parametrize("table, message", [
    ('[tool.gdpr-lint.map]\npurpos = "x"\n', "map: unknown key 'purpos'"),
    ('[tool.gdpr-lint.map]\nzero-data-retention = "yes"\n', "map.zero-data-retention: expected true or false"),
    ('[tool.gdpr-lint.map]\npurpose = ""\n', "map.purpose: expected a non-empty string"),
    ('[tool.gdpr-lint]\nmap = "x"\n', "map: expected a table [tool.gdpr-lint.map]"),
])
def test_map_configuration_errors_name_the_key(kommune, table, message):
    (kommune / "pyproject.toml").write_text(table)
    proc = run_cli("map", ".", "--no-cache", cwd=kommune)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and message in err, err
