"""The bundled example app (examples/clinic_app) produces exactly the findings its
README promises: no more, no fewer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import analyse, run_cli

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "examples" / "clinic_app"
SUMMARIES = "clinic_app/services/summaries.py"

EXPECTED = {
    ("GDPR001", SUMMARIES, 19),  # handover_note: name and CPR via prompts.handover_prompt
    ("GDPR002", SUMMARIES, 19),  # ... and the diagnosis and allergies
    ("GDPR001", SUMMARIES, 31),  # stream_reminder: appointment.patient.name
    ("GDPR002", SUMMARIES, 42),  # index_for_search: diagnosis embedded for search
    ("GDPR001", SUMMARIES, 48),  # translate_letter (LiteLLM): patient.name
    ("GDPR003", SUMMARIES, 58),  # answer_patient_question: user=patient.email
}


@pytest.fixture(scope="module")
def result():
    if not APP.is_dir():
        pytest.skip("examples not present")
    return analyse(REPO / "examples", "clinic_app")


def test_findings_are_exactly_the_documented_ones(result):
    assert not result.errors
    assert {(f.code, f.path, f.line) for f in result.findings} == EXPECTED


def test_clean_and_pseudonymised_calls_are_listed_but_not_reported(result):
    sites = {s.span.line: s.endpoint for s in result.sites if s.path == SUMMARIES}
    assert sites == {19: "chat.completions.create", 31: "chat.completions.stream", 42: "embeddings.create",
                     48: "litellm.completion", 58: "chat.completions.create", 73: "chat.completions.create",
                     82: "chat.completions.create", 90: "responses.create"}


def test_cross_module_flow_names_the_prompt_builder(result):
    [f] = [f for f in result.findings if (f.code, f.line) == ("GDPR002", 19)]
    assert {"clinic_app/prompts.py", SUMMARIES} <= {s.path for s in f.flow}
    assert "patient.diagnosis (health data)" in f.data


def test_readme_lists_every_finding():
    readme = (REPO / "examples" / "README.md").read_text(encoding="utf-8")
    for code, _path, line in EXPECTED:
        assert f"summaries.py:{line}" in readme and code in readme


def test_cli_from_the_repository_root(tmp_path):
    """From the repository root the runtime's own source is part of the tree; the
    pseudonymised call must stay clean there too."""
    proc = run_cli("check", "examples/clinic_app", "--output-format", "json", cwd=REPO)
    assert proc.returncode == 1, proc.stderr.decode()
    found = {(f["code"], f["path"], f["line"]) for f in json.loads(proc.stdout)}
    assert found == {(c, "examples/" + p, n) for c, p, n in EXPECTED}
