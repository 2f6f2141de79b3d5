"""End to end: a small clinic app talks to a local stand-in for the OpenAI API
through the real `openai` client, before and after `gdpr-lint check --fix`.

Before the fix the recorded request bodies carry the patient's name, e-mail,
phone and address; after it they carry none of them (names included, which
only the `known=` hints from the analysis let the runtime find), while the
app's own results, built from the stand-in's echoed replies, still show the
real values (re-identification, also across streamed chunks).

The last test does the same with the README's bundled example app,
examples/clinic_app (embeddings and a LiteLLM call included).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import run_cli

pytest.importorskip("openai")

CLINIC = '''
"""Clinic assistant: reminders, call summaries and letters drafted with OpenAI."""

from __future__ import annotations

from dataclasses import dataclass

from openai import OpenAI

client = OpenAI()  # OPENAI_BASE_URL / OPENAI_API_KEY from the environment


@dataclass
class Patient:
    patient_id: int
    name: str
    email: str
    phone: str
    address: str


def draft_reminder(patient: Patient, note: str) -> str:
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Write a short, friendly appointment reminder."},
            {"role": "user", "content": f"Patient: {patient.name} <{patient.email}>. Note from the GP: {note}"},
        ],
        user=patient.email,
    )
    return response.choices[0].message.content


def call_summary(patient: Patient) -> str:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        stream=True,
        messages=[{"role": "user", "content": f"Summarise the call with {patient.name}, phone {patient.phone}."}],
    )
    parts = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
    return "".join(parts)


def letter(patient: Patient) -> str:
    response = client.responses.create(
        model="gpt-4o-mini",
        input=f"Write a letter to {patient.name}, {patient.address}, about the new opening hours.",
    )
    return response.output_text
'''

RUNNER = '''
import importlib.util
import json
import sys

results = []
for i, path in enumerate(sys.argv[1:]):  # one process for both versions: `import openai` is slow
    spec = importlib.util.spec_from_file_location(f"clinic_{i}", path)
    clinic = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(clinic)
    p = clinic.Patient(17, "Mette Kjærgaard", "mette.kjaergaard@example.dk", "+45 20 12 34 56",
                       "Nørregade 12, 8000 Aarhus C")
    results.append({
        "reminder": clinic.draft_reminder(p, "Bring the list of current medication."),
        "summary": clinic.call_summary(p),
        "letter": clinic.letter(p),
    })
print(json.dumps(results))
'''

PERSONAL = ["Mette Kjærgaard", "Kjærgaard", "mette.kjaergaard@example.dk", "20 12 34 56", "Nørregade 12"]


class StandIn(BaseHTTPRequestHandler):
    """Answers chat completions (plain and streamed) and responses by echoing
    the last user text back, and embeddings with a fixed vector; records every
    request body (and its path)."""

    bodies: list[bytes] = []
    paths: list[str] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).bodies.append(data)
        type(self).paths.append(self.path)
        body = json.loads(data)
        if self.path.endswith("/chat/completions"):
            text = "Echo: " + body["messages"][-1]["content"]
            if body.get("stream"):
                self._stream(text)
            else:
                self._json({
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                })
        elif self.path.endswith("/responses"):
            text = "Echo: " + body["input"]
            self._json({
                "id": "resp_1", "object": "response", "created_at": 0, "model": body["model"], "status": "completed",
                "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                            "content": [{"type": "output_text", "text": text, "annotations": []}]}],
                "parallel_tool_calls": False, "tool_choice": "auto", "tools": [],
            })
        elif self.path.endswith("/embeddings"):
            self._json({"object": "list", "model": body["model"],
                        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        else:
            self.send_error(404)

    def _json(self, obj) -> None:
        out = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def _stream(self, text: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        # Small pieces, so pseudonyms are split across chunks.
        for i in range(0, len(text), 5):
            chunk = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o-mini",
                     "choices": [{"index": 0, "delta": {"content": text[i:i + 5]}, "finish_reason": None}]}
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        end = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o-mini",
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(b"data: " + json.dumps(end).encode() + b"\n\ndata: [DONE]\n\n")
        self.wfile.flush()


@pytest.fixture
def stand_in():
    StandIn.bodies = []
    StandIn.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", StandIn.bodies
    finally:
        server.shutdown()
        server.server_close()


def _runtime_ready() -> str | None:
    """None when the runtime imports, else the reason (it is developed in parallel)."""
    proc = subprocess.run([sys.executable, "-c", "import gdpr_lint.runtime as r; r.protect, r.pseudonymous_id"],
                          capture_output=True, text=True, timeout=300)
    return None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[-1]


def _run_apps(apps: list[Path], base_url: str) -> list[dict]:
    env = dict(os.environ, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=base_url,
               GDPR_LINT_KEY="3f" * 32, OPENAI_MAX_RETRIES="0")
    proc = subprocess.run([sys.executable, "-c", RUNNER, *map(str, apps)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _sent(bodies: list[bytes]) -> str:
    return "\n".join(json.dumps(json.loads(b), ensure_ascii=False) for b in bodies)


def test_fixed_clinic_app_sends_no_personal_data_and_still_shows_it(tmp_path: Path, stand_in) -> None:
    reason = _runtime_ready()
    if reason is not None:
        pytest.fail(f"gdpr_lint.runtime is not importable: {reason}")
    base_url, bodies = stand_in
    for version in ("before", "after"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "clinic.py").write_text(textwrap.dedent(CLINIC).lstrip(), encoding="utf-8")
    after_dir = tmp_path / "after"

    proc = run_cli("check", "--fix", "clinic.py", cwd=after_dir)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    fixed = (after_dir / "clinic.py").read_text(encoding="utf-8")
    assert "from gdpr_lint.runtime import protect, pseudonymous_id" in fixed
    assert "user=pseudonymous_id(patient.email)" in fixed
    # wider than 88 characters (no line length configured): one argument per line
    assert ('response = protect(\n        client.responses.create,\n'
            '        known={"name": [patient.name], "address": [patient.address]},\n    )(\n') in fixed
    assert run_cli("check", "clinic.py", cwd=after_dir).returncode == 0

    before, after = _run_apps([tmp_path / "before" / "clinic.py", after_dir / "clinic.py"], base_url)
    assert len(bodies) == 6
    sent_before, sent_after = _sent(bodies[:3]), _sent(bodies[3:])

    # Unfixed, the app leaks every value.
    for value in PERSONAL:
        assert value in sent_before, value
    assert json.loads(bodies[0])["user"] == "mette.kjaergaard@example.dk"
    # Fixed, none of them leaves the process: names included.
    for value in PERSONAL + ["Mette", "kjaergaard"]:
        assert value not in sent_after, f"{value!r} still sent after --fix: {sent_after}"
    user = json.loads(bodies[3])["user"]
    assert user and "mette" not in user and "@" not in user
    # The note (no personal data) still reaches the model unchanged.
    assert "Bring the list of current medication." in sent_after
    # Both versions show the user the same, real text: pseudonyms in the echoed
    # replies (streamed in five-character chunks too) are re-identified.
    assert after == before
    assert "Mette Kjærgaard <mette.kjaergaard@example.dk>" in after["reminder"]
    assert "Mette Kjærgaard, phone +45 20 12 34 56" in after["summary"]
    assert "Mette Kjærgaard, Nørregade 12, 8000 Aarhus C" in after["letter"]


PROMPTS = '''
def handover_prompt(patient) -> str:
    return f"Handover for {patient.name}, phone {patient.phone}: follow up on the blood test."
'''

NOTES = '''
from dataclasses import dataclass

from openai import OpenAI

from clinicpkg.prompts import handover_prompt

client = OpenAI()


@dataclass
class Patient:
    name: str
    phone: str


def handover(p: Patient) -> str:
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": handover_prompt(p)}],
    )
    return response.choices[0].message.content
'''

TWO_MODULE_RUNNER = '''
import json
import sys

sys.path.insert(0, sys.argv[1])
from clinicpkg import notes

print(json.dumps(notes.handover(notes.Patient("Søren Bøgh Lauridsen", "+45 31 22 44 55"))))
'''


def test_fixed_app_whose_prompt_builder_is_in_another_package(tmp_path: Path, stand_in) -> None:
    """The personal data enters in a helper of another package: --fix hands it over as
    known values at the call, so the runtime replaces the name it cannot recognise."""
    base_url, bodies = stand_in
    pkg = tmp_path / "clinicpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "prompts.py").write_text(textwrap.dedent(PROMPTS).lstrip(), encoding="utf-8")
    (pkg / "notes.py").write_text(textwrap.dedent(NOTES).lstrip(), encoding="utf-8")

    proc = run_cli("check", "--fix", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    fixed = (pkg / "notes.py").read_text(encoding="utf-8")
    assert 'known={"name": [p.name], "phone": [p.phone]}' in fixed, fixed

    env = dict(os.environ, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=base_url,
               GDPR_LINT_KEY="3f" * 32, OPENAI_MAX_RETRIES="0")
    out = subprocess.run([sys.executable, "-c", TWO_MODULE_RUNNER, str(tmp_path)], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    sent = _sent(bodies)
    for value in ("Søren", "Bøgh Lauridsen", "31 22 44 55"):
        assert value not in sent, f"{value!r} still sent after --fix: {sent}"
    assert "follow up on the blood test" in sent
    assert "Søren Bøgh Lauridsen" in json.loads(out.stdout)  # the caller sees the real name again


# The README's bundled example app, examples/clinic_app, fixed and run: every call
# it makes (chat completions, a streamed reply, embeddings, LiteLLM, the portal
# chatbot's user=, the already pseudonymised discharge summary and the two clean
# FAQ generators) goes to the stand-in, before and after `check --fix`.

EXAMPLE_APP = Path(__file__).resolve().parents[1] / "examples" / "clinic_app"

EXAMPLE_RUNNER = '''
import json
import os
import sys
from datetime import date

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # importing litellm must not go to the network

server, results = sys.argv[1], {}
for version, root in zip(("before", "after"), sys.argv[2:]):
    # Both copies are the package `clinic_app`: import each afresh. Its module-level
    # OpenAI() client and LiteLLM read OPENAI_BASE_URL, so the stand-in sees which
    # copy sent a request by the path.
    os.environ["OPENAI_BASE_URL"] = f"{server}/{version}/v1"
    for name in [m for m in sys.modules if m == "clinic_app" or m.startswith("clinic_app.")]:
        del sys.modules[name]
    sys.path.insert(0, root)
    from clinic_app import models
    from clinic_app.services import summaries

    sys.path.remove(root)
    patient = models.Patient(
        name="Karen Søndergaard",
        cpr="140583-1238",
        email="karen.sondergaard@example.dk",
        phone="+45 28 91 44 07",
        diagnosis="type 2 diabetes with peripheral neuropathy",
        allergies=["penicillin", "latex"],
    )
    visit = models.Appointment(patient, date(2027, 3, 9), "3B", "HbA1c control")
    results[version] = {
        "handover": summaries.handover_note(patient),
        "reminder": "".join(summaries.stream_reminder(visit)),
        "embedding": summaries.index_for_search(patient),
        "letter": summaries.translate_letter(patient, "Vi bekræfter din tid tirsdag den 9. marts kl. 10.30."),
        "answer": summaries.answer_patient_question(patient, "Hvornår har I åbent om lørdagen?"),
        "discharge": summaries.discharge_summary(patient, "Udskrives til egen læge med justeret metformin-dosis."),
        "faq": summaries.treatment_faq(models.Treatment("Hudscreening", 30, 650)),
        "hours": summaries.opening_hours_faq(),
    }
print(json.dumps(results))
'''

KAREN = {
    "name": "Karen Søndergaard",
    "cpr": "140583-1238",
    "email": "karen.sondergaard@example.dk",
    "diagnosis": "type 2 diabetes with peripheral neuropathy",
}
# ... and the pieces and other spellings of them that must not leave either
KAREN_PIECES = ["Karen", "Søndergaard", "sondergaard", "1405831238", "4583-1238", "peripheral neuropathy",
                "penicillin", "latex", "28 91 44 07"]


def test_fixed_readme_example_app_sends_no_personal_data_and_still_shows_it(tmp_path: Path, stand_in) -> None:
    if not EXAMPLE_APP.is_dir():
        pytest.skip("examples not present")
    base_url, bodies = stand_in
    for version in ("before", "after"):
        shutil.copytree(EXAMPLE_APP, tmp_path / version / "clinic_app")
    after_dir = tmp_path / "after"

    # 1. The fix, as examples/README.md and docs/fix.md describe it.
    proc = run_cli("check", "--fix", "clinic_app", cwd=after_dir)
    out = proc.stdout.decode() + proc.stderr.decode()
    # A finding left after the fix must say what to do (a help: line).
    remaining = re.split(r"\n(?=\S+\.py:\d+:\d+: GDPR\d{3} )", "\n" + proc.stdout.decode())[1:]
    for finding in remaining:
        assert "\n  help: " in finding, finding
    # All six documented findings are fixed, the LiteLLM one included: nothing is left.
    assert remaining == [], out
    assert proc.returncode == 0, out
    assert "Fixed 6 findings in 1 file." in out, out
    for py in sorted((after_dir / "clinic_app").rglob("*.py")):
        ast.parse(py.read_text(encoding="utf-8"), filename=str(py))
    fixed = (after_dir / "clinic_app" / "services" / "summaries.py").read_text(encoding="utf-8")
    assert "protect(litellm.completion, known={\"name\": [patient.name]})(" in fixed
    assert "user=pseudonymous_id(patient.email)" in fixed
    again = run_cli("check", "clinic_app", "--output-format", "json", cwd=after_dir)
    assert again.returncode == 0 and json.loads(again.stdout) == [], again.stdout.decode()

    # 2. Both copies call every function of services/summaries.py that sends a request.
    env = dict(os.environ, OPENAI_API_KEY="sk-test", GDPR_LINT_KEY="3f" * 32, OPENAI_MAX_RETRIES="0",
               LITELLM_LOCAL_MODEL_COST_MAP="True")
    proc = subprocess.run([sys.executable, "-c", EXAMPLE_RUNNER, base_url.removesuffix("/v1"),
                           str(tmp_path / "before"), str(after_dir)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    before, after = results["before"], results["after"]

    sent: dict[str, list[dict]] = {"before": [], "after": []}
    for path, raw in zip(StandIn.paths, bodies):
        version, _, endpoint = path.lstrip("/").partition("/v1/")
        sent[version].append({"endpoint": endpoint, **json.loads(raw)})
    calls = ["chat/completions", "chat/completions", "embeddings", "chat/completions",  # ... the 4th is LiteLLM's
             "chat/completions", "chat/completions", "chat/completions", "responses"]
    # The LiteLLM call (model gpt-4o) reaches the same stand-in as the SDK's calls.
    for version in ("before", "after"):
        assert [b["endpoint"] for b in sent[version]] == calls, sent[version]
        assert [b["model"] for b in sent[version]][2:4] == ["text-embedding-3-small", "gpt-4o"]

    # 3. Unfixed, the app sends the patient's name, CPR number, e-mail and diagnosis.
    text_before = "\n".join(json.dumps(b, ensure_ascii=False) for b in sent["before"])
    for value in KAREN.values():
        assert value in text_before, value
    handover, _, embedding, letter, answer, *_ = sent["before"]
    assert KAREN["cpr"] in json.dumps(handover, ensure_ascii=False)
    assert KAREN["diagnosis"] in embedding["input"]
    assert KAREN["name"] in json.dumps(letter, ensure_ascii=False)
    assert answer["user"] == KAREN["email"]

    # Fixed, no request body carries any of them: not the chat ones, not the streamed
    # one, not the embeddings input, not the LiteLLM request, not the user= id.
    for body in sent["after"]:
        text = json.dumps(body, ensure_ascii=False)
        for value in [*KAREN.values(), *KAREN_PIECES]:
            assert value not in text, f"{value!r} still sent to {body['endpoint']} ({body['model']}) after --fix: {text}"
    assert sent["after"][4]["user"] and "@" not in sent["after"][4]["user"]
    # What is not personal still reaches the model as it was.
    assert "Vi bekræfter din tid tirsdag den 9. marts kl. 10.30." in json.dumps(sent["after"][3], ensure_ascii=False)
    assert sent["after"][4]["messages"][-1]["content"] == "Hvornår har I åbent om lørdagen?"
    assert "09.03.2027" in json.dumps(sent["after"][1]) and "room 3B" in json.dumps(sent["after"][1])

    # The caller sees the real values again where the stand-in echoes them back
    # (the streamed reminder arrives in five-character chunks).
    assert after["reminder"] == before["reminder"]
    assert "Write a friendly SMS reminder in Danish to Karen Søndergaard about the appointment" in after["reminder"]
    assert after["letter"] == before["letter"]
    assert "Dear Karen Søndergaard,\nVi bekræfter" in after["letter"]
    assert after["answer"] == before["answer"] and after["embedding"] == before["embedding"]
    assert "Patient: Karen Søndergaard (CPR " in after["handover"]
    assert "Diagnosis: type 2 diabetes with peripheral neuropathy\nAllergies: penicillin, latex" in after["handover"]
    # ... except the CPR number: redacted by default, irreversibly, so never restored.
    assert KAREN["cpr"] in before["handover"] and KAREN["cpr"] not in after["handover"]
    assert after["handover"] == before["handover"].replace(KAREN["cpr"], "[[CPR_REDACTED_1]]")
    # Calls the fix leaves alone answer as before: the clean FAQs, and the discharge
    # summary the app pseudonymises itself (it does not reidentify() the reply).
    for key in ("faq", "hours", "discharge"):
        assert after[key] == before[key], key
