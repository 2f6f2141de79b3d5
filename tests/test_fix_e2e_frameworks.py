"""End to end: a LangChain app (ChatOpenAI behind a ChatPromptTemplate pipe) and a
LiteLLM Router app talk to a local stand-in for the OpenAI API through the real
libraries, before and after `gdpr-lint check --fix`.

Before the fix the recorded request bodies carry the customer's name, e-mail and
phone; after it they carry none of them (names included, which only the `known=`
values handed over by the fix let the runtime find), while the apps' own results,
built from the stand-in's echoed replies, still show the real values (also when
the LangChain chain streams its answer in five-character chunks).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers import run_cli
from test_fix_e2e import StandIn, _sent

pytest.importorskip("langchain_openai")
pytest.importorskip("litellm")

DESK = '''
"""Complaints desk: answers customer complaints with LangChain."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", max_retries=0)  # OPENAI_BASE_URL / OPENAI_API_KEY from the environment
prompt = ChatPromptTemplate.from_messages([
    ("system", "Answer the complaint politely."),
    ("user", "Complaint from {name} <{email}>, phone {phone}: {text}"),
])
chain = prompt | llm | StrOutputParser()


@dataclass
class Complaint:
    customer_name: str
    email: str
    phone: str
    text: str


def answer(complaint: Complaint) -> str:
    return chain.invoke({"name": complaint.customer_name, "email": complaint.email,
                         "phone": complaint.phone, "text": complaint.text})


def answer_live(complaint: Complaint) -> list[str]:
    chunks = []
    for chunk in chain.stream({"name": complaint.customer_name, "email": complaint.email,
                               "phone": complaint.phone, "text": complaint.text}):
        chunks.append(chunk)
    return chunks


def greeting(complaint: Complaint) -> str:
    return llm.invoke(f"Greet {complaint.customer_name} warmly.").content
'''

MEMBERS = '''
"""Member service: renewal letters through a LiteLLM router."""

import os

from litellm import Router

router = Router(model_list=[
    {"model_name": "letters", "litellm_params": {"model": "openai/gpt-4o-mini",
                                                 "api_base": os.environ.get("OPENAI_BASE_URL"),
                                                 "api_key": os.environ.get("OPENAI_API_KEY")}},
])


def renewal(member) -> str:
    reply = router.completion(
        model="letters",
        messages=[{"role": "user", "content": f"Write to {member.full_name} <{member.email}> about the renewal."}],
    )
    return reply.choices[0].message.content


async def reminder(member) -> str:
    reply = await router.acompletion(
        model="letters",
        messages=[{"role": "user", "content": f"Remind {member.full_name}, phone {member.phone}, to pay."}],
    )
    return reply.choices[0].message.content
'''

RUNNER = '''
import asyncio
import importlib.util
import json
import os
import sys
from types import SimpleNamespace

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


results = []
for i, folder in enumerate(sys.argv[1:]):  # one process for both versions: importing the libraries is slow
    desk = load(os.path.join(folder, "desk.py"), f"desk_{i}")
    members = load(os.path.join(folder, "members.py"), f"members_{i}")
    complaint = desk.Complaint("Mette Kjærgaard", "mette.kjaergaard@example.dk", "+45 20 12 34 56",
                               "The parcel never arrived.")
    member = SimpleNamespace(full_name="Søren Bøgh Lauridsen", email="soren.lauridsen@example.dk",
                             phone="+45 31 22 44 55")
    results.append({
        "answer": desk.answer(complaint),
        "live": desk.answer_live(complaint),
        "greeting": desk.greeting(complaint),
        "renewal": members.renewal(member),
        "reminder": asyncio.run(members.reminder(member)),
    })
print(json.dumps(results))
'''

PERSONAL = ["Mette", "Kjærgaard", "mette.kjaergaard@example.dk", "20 12 34 56",
            "Søren", "Bøgh Lauridsen", "soren.lauridsen@example.dk", "31 22 44 55"]


@pytest.fixture
def stand_in():
    StandIn.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", StandIn.bodies
    finally:
        server.shutdown()
        server.server_close()


def _run(folders: list[Path], base_url: str) -> list[dict]:
    env = dict(os.environ, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=base_url, GDPR_LINT_KEY="3f" * 32,
               OPENAI_MAX_RETRIES="0", LITELLM_LOCAL_MODEL_COST_MAP="True")
    proc = subprocess.run([sys.executable, "-c", RUNNER, *map(str, folders)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_fixed_langchain_and_router_apps_send_no_personal_data_and_still_show_it(tmp_path: Path, stand_in) -> None:
    base_url, bodies = stand_in
    for version in ("before", "after"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "desk.py").write_text(textwrap.dedent(DESK).lstrip(), encoding="utf-8")
        (tmp_path / version / "members.py").write_text(textwrap.dedent(MEMBERS).lstrip(), encoding="utf-8")
    after_dir = tmp_path / "after"
    (after_dir / "pyproject.toml").write_text("[tool.ruff]\nline-length = 200\n", encoding="utf-8")  # one line per wrapper

    proc = run_cli("check", "--fix", ".", cwd=after_dir)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 0, out
    assert "Fixed 5 findings in 2 files." in out, out
    desk = (after_dir / "desk.py").read_text(encoding="utf-8")
    members = (after_dir / "members.py").read_text(encoding="utf-8")
    for text in (desk, members):
        ast.parse(text)
        assert "from gdpr_lint.runtime import protect\n" in text
    assert ('protect(chain.invoke, known={"name": [complaint.customer_name], "email": [complaint.email], '
            '"phone": [complaint.phone]})({') in desk
    assert "for chunk in protect(chain.stream, known=" in desk
    assert 'protect(llm.invoke, known={"name": [complaint.customer_name]})(f"Greet' in desk
    assert 'reply = protect(router.completion, known={"name": [member.full_name], "email": [member.email]})(' in members
    assert 'await protect(router.acompletion, known={"name": [member.full_name], "phone": [member.phone]})(' in members
    # nothing left, and a second --fix changes nothing
    again = run_cli("check", "--fix", ".", cwd=after_dir)
    assert again.returncode == 0 and "No fixes applied." in again.stdout.decode()
    assert (after_dir / "desk.py").read_text(encoding="utf-8") == desk
    assert (after_dir / "members.py").read_text(encoding="utf-8") == members

    before, after = _run([tmp_path / "before", after_dir], base_url)
    assert len(bodies) == 10
    sent_before, sent_after = _sent(bodies[:5]), _sent(bodies[5:])
    # Unfixed, both apps leak every value.
    for value in PERSONAL:
        assert value in sent_before, value
    # Fixed, none of them leaves the process: names included.
    for value in PERSONAL:
        assert value not in sent_after, f"{value!r} still sent after --fix: {sent_after}"
    assert "The parcel never arrived." in sent_after  # the complaint itself still reaches the model
    assert json.loads(bodies[6])["stream"] is True
    # Both versions show the user the same, real text: pseudonyms in the echoed replies
    # (streamed in five-character chunks too) are re-identified. The streamed chunks are cut
    # differently (a pseudonym is held back until it is complete), their text is the same.
    assert len([c for c in after["live"] if c]) > 5  # still streamed, not delivered at the end
    for result in (before, after):
        result["live"] = "".join(result["live"])
    assert after == before
    expected = ("Echo: Complaint from Mette Kjærgaard <mette.kjaergaard@example.dk>, phone +45 20 12 34 56: "
                "The parcel never arrived.")
    assert after["answer"] == expected
    assert after["live"] == expected
    assert after["greeting"] == "Echo: Greet Mette Kjærgaard warmly."
    assert after["renewal"] == "Echo: Write to Søren Bøgh Lauridsen <soren.lauridsen@example.dk> about the renewal."
    assert after["reminder"] == "Echo: Remind Søren Bøgh Lauridsen, phone +45 31 22 44 55, to pay."


HELPDESK = '''
"""Member helpdesk on the OpenAI Agents SDK."""

from agents import Agent, Runner, set_default_openai_api

set_default_openai_api("chat_completions")  # the client comes from OPENAI_BASE_URL / OPENAI_API_KEY

agent = Agent(name="helpdesk", instructions="Answer members briefly.")


def ask(member, question: str) -> str:
    result = Runner.run_sync(agent, f"{member.full_name} <{member.email}> asks: {question}")
    return result.final_output
'''

AGENTS_RUNNER = '''
import importlib.util
import json
import os
import sys
from types import SimpleNamespace

results = []
for i, folder in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"helpdesk_{i}", os.path.join(folder, "helpdesk.py"))
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    member = SimpleNamespace(full_name="Mette Kjærgaard", email="mette.kjaergaard@example.dk")
    results.append(module.ask(member, "When is my card renewed?"))
print(json.dumps(results))
'''


def test_fixed_agents_app_sends_no_personal_data_and_still_shows_it(tmp_path: Path, stand_in) -> None:
    base_url, bodies = stand_in
    for version in ("before", "after"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "helpdesk.py").write_text(textwrap.dedent(HELPDESK).lstrip(), encoding="utf-8")
    after_dir = tmp_path / "after"
    (after_dir / "pyproject.toml").write_text("[tool.ruff]\nline-length = 200\n", encoding="utf-8")  # one line per wrapper
    proc = run_cli("check", "--fix", ".", cwd=after_dir)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    fixed = (after_dir / "helpdesk.py").read_text(encoding="utf-8")
    assert ('result = protect(Runner.run_sync, known={"name": [member.full_name], "email": [member.email]})'
            '(agent, f"') in fixed
    ast.parse(fixed)

    env = dict(os.environ, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=base_url, GDPR_LINT_KEY="3f" * 32,
               OPENAI_MAX_RETRIES="0", OPENAI_AGENTS_DISABLE_TRACING="1")
    out = subprocess.run([sys.executable, "-c", AGENTS_RUNNER, str(tmp_path / "before"), str(after_dir)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    before, after = json.loads(out.stdout)
    assert len(bodies) == 2
    for value in ("Mette", "Kjærgaard", "mette.kjaergaard@example.dk"):
        assert value in _sent(bodies[:1]), value
        assert value not in _sent(bodies[1:]), f"{value!r} still sent after --fix"
    assert "When is my card renewed?" in _sent(bodies[1:])
    assert after == before == "Echo: Mette Kjærgaard <mette.kjaergaard@example.dk> asks: When is my card renewed?"
