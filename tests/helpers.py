"""Shared test helpers: run the installed `gdpr-lint` CLI (or the pipeline in-process) on
small realistic projects, and compare findings with `# expect:` markers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# The smallest realistic leak: a CRM follow-up that sends a customer's name and e-mail
# to chat completions (one GDPR001 at line 7, the call). Tests of the CLI, formats,
# progress and hostile inputs share it.
LEAKY = """
from openai import OpenAI

client = OpenAI()


def follow_up(customer):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Write to {customer.name} <{customer.email}>"}],
    )
"""


# A Django shop and a Tk dialog: receiver words (`from .models import`, `request.files`,
# `.invoke(`) and no OpenAI anywhere (tests of reach.py and of the whole-tree answer).
SHOP_WITHOUT_OPENAI = {
    "shop/__init__.py": "",
    "shop/models.py": '''
        class Customer:
            def __init__(self, name, email):
                self.name, self.email = name, email
        ''',
    "shop/views.py": '''
        from .models import Customer
        from shop import storage


        def upload(request):
            for f in request.files.values():
                storage.save(f, owner=Customer(request.user.name, request.user.email))
        ''',
    "shop/storage.py": "import os\n\n\ndef save(f, owner):\n    f.save(os.path.join('uploads', owner.email))\n",
    "dialogs.py": "import tkinter\n\n\ndef press(button: tkinter.Button) -> None:\n    button.invoke()\n",
}


def cli_command() -> list[str]:
    exe = shutil.which("gdpr-lint", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return [exe] if exe else [sys.executable, "-m", "gdpr_lint"]


def run_cli(*args: str, cwd: Path, input: bytes | None = None) -> subprocess.CompletedProcess:
    """Run the installed CLI as a user would (a separate process)."""
    return subprocess.run([*cli_command(), *args], cwd=cwd, capture_output=True, input=input, timeout=120)


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write {"app/views.py": "...source..."} under root, sources dedented; returns root."""
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def check_json(root: Path, *args: str) -> list[dict]:
    proc = run_cli("check", ".", "--output-format", "json", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return json.loads(proc.stdout)


def analyse(root: Path, *paths: str):
    """Run the pipeline in-process (no interpreter start-up): for the many small
    analysis tests. CLI behaviour is tested through `run_cli`."""
    from gdpr_lint.config.settings import ConfigResolver
    from gdpr_lint.pipeline.engine import analyse_paths

    resolver = ConfigResolver(cwd=root)
    return analyse_paths([root / p for p in (paths or (".",))], resolver)


def findings_of(root: Path, *paths: str) -> set[tuple[str, str, int]]:
    """{(code, path, line)} of every finding under root."""
    result = analyse(root, *paths)
    assert not result.errors, [str(e) for e in result.errors]
    return {(f.code, f.path, f.line) for f in result.findings}


def expected_markers(root: Path) -> set[tuple[str, str, int]]:
    """{(code, path, line)} from `# expect: GDPR001, GDPR002` markers (corpus format)
    in every .py file under root; `# expect: none` adds nothing."""
    import re

    out = set()
    for p in sorted(root.rglob("*.py")):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            m = re.search(r"#\s*expect:\s*([A-Za-z0-9, ]+)", line)
            if m:
                for code in m.group(1).split(","):
                    if code.strip() and code.strip() != "none":
                        out.add((code.strip(), p.relative_to(root).as_posix(), n))
    return out


def assert_marked(root: Path) -> None:
    """The findings under root are exactly the `# expect:` markers."""
    found = findings_of(root)
    expected = expected_markers(root)
    assert found == expected, f"missing: {sorted(expected - found)}; unexpected: {sorted(found - expected)}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of a dependency graph (`[a, b, ..., a]`), or None (the import-graph tests)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


# Two LangGraph graphs of one module: `reply_graph` sends the thread it is given to OpenAI,
# `digest` a fixed text (deployed graphs run by id: test_graph_state, test_cache).
DEPLOYED_GRAPHS = {
    "inbox/__init__.py": "",
    "inbox/graphs.py": '''
        from typing import TypedDict

        from langchain_openai import ChatOpenAI
        from langgraph.graph import StateGraph

        llm = ChatOpenAI(model="gpt-4o")


        class ReplyState(TypedDict):
            thread: str
            reply: str


        def draft_reply(state: ReplyState):
            return {"reply": llm.invoke(f"Draft a short answer to: {state['thread']}").content}


        def weekly_digest(state: ReplyState):
            return {"reply": llm.invoke("Write this week's product digest.").content}


        reply_graph = StateGraph(ReplyState)
        reply_graph.add_node(draft_reply)
        reply_graph.set_entry_point("draft_reply")
        reply_graph = reply_graph.compile()

        digest = StateGraph(ReplyState)
        digest.add_node(weekly_digest)
        digest.set_entry_point("weekly_digest")
        digest = digest.compile()
        ''',
}
