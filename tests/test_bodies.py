"""Function bodies let go once many have run, and parsed again when read (pipeline/bodies.py).

A body made again must be the body that was let go, node for node and position for
position, whatever the def's shape; the bodies let go are the ones run least recently; and
an analysis whose bodies are let go as soon as another runs reports what one that keeps
them all reports.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from gdpr_lint.pipeline import bodies
from gdpr_lint.pipeline.bodies import KeptBodies
from gdpr_lint.pipeline.source import parse_source, text_source
from helpers import run_cli, write_files

# Defs of every shape a file gives them: methods indented with tabs, async and decorated,
# nested, one line long, on the file's first line, under `if`/`try`, after a form feed,
# with CRLF line ends, non-ASCII text (columns are UTF-8 bytes) and a 3.12 f-string that
# reuses its quotes (parsed in the running Python's spelling).
SHAPES = {
    "first_line": "def first(x): return x + 1\n\n\ndef second(y):\n    return [y, y]\n",
    "class_with_tabs": (
        "import functools\n\n\nclass Mailer:\n"
        "\tdef __init__(self, client):\n\t\tself.client = client\n\n"
        "\t@functools.lru_cache(maxsize=8)\n"
        "\tasync def send(self, customer, *, retries=2):\n"
        "\t\tfor attempt in range(retries):\n\t\t\tawait self.client.post(customer.email)\n"
        "\t\treturn attempt\n"
    ),
    "nested": (
        "def outer(records):\n"
        "    total = 0\n\n"
        "    def inner(record):\n"
        "        nonlocal total\n"
        "        total += len(record.name)\n"
        "        return lambda: record.email\n\n"
        "    return [inner(r) for r in records], total\n"
    ),
    "one_liners": "def a(x): return x; \ndef b(): x = 1; y = 2; return x + y\n",
    "blocks": (
        "import typing\n\nif typing.TYPE_CHECKING:\n    def typed(x: int) -> int:\n        return x\n"
        "try:\n    import fast\nexcept ImportError:\n    def fast(x):\n        return x * 2\n"
        "else:\n    pass\n"
    ),
    "form_feed": "import os\n\f\ndef paged(path):\n    return os.path.basename(path)\n\n\fdef after(x):\n    return x\n",
    "crlf": "def windows(patient):\r\n    note = f\"{patient.name}: {patient.diagnosis}\"\r\n    return note\r\n",
    "non_ascii": (
        "def résumé(kandidat):\n"
        "    besked = f\"Kære {kandidat.navn} — ønsker du at fortsætte?\"  # 'æøå'\n"
        "    return besked, kandidat.cpr\n"
    ),
    "newer_fstring": 'def greet(d):\n    return f"Hello {d["name"]}, your e-mail is {d["email"]}"\n',
}


def _defs(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _source(name: str, text: str):
    src = text_source(Path(f"{name}.py"), f"{name}.py", text.encode("utf-8"))
    src.tree = parse_source(src)
    return src


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_body_let_go_is_made_again_node_for_node(shape: str) -> None:
    src = _source(shape, SHAPES[shape])
    assert src.tree is not None
    defs = _defs(src.tree)
    assert defs
    for node in defs:
        before = [ast.dump(s, include_attributes=True) for s in node.body]
        kept = KeptBodies(limit=1)
        kept._let_go(node, src.lines)
        assert "body" not in node.__dict__ and type(node) is not ast.FunctionDef
        assert type(node).__name__ == ("AsyncFunctionDef" if isinstance(node, ast.AsyncFunctionDef) else "FunctionDef")
        assert [ast.dump(s, include_attributes=True) for s in node.body] == before
        assert type(node) in (ast.FunctionDef, ast.AsyncFunctionDef)  # a plain node again
    # a walk over the whole tree reads every body as it was
    again = _source(shape, SHAPES[shape])
    assert ast.dump(src.tree, include_attributes=True) == ast.dump(again.tree, include_attributes=True)


def test_a_def_the_fast_path_cannot_make_is_found_in_the_whole_file() -> None:
    # `\f` before `def` on its line: the def's column counts it, and a block put under
    # `if 1:` would not be indented as it is; the whole file is parsed again instead
    text = "class A:\n    x = 1\n\n    \fdef m(self):\n        return self.x\n"
    src = _source("ff", text)
    assert src.tree is not None
    (node,) = _defs(src.tree)
    before = ast.dump(node.body[0], include_attributes=True)
    KeptBodies(limit=1)._let_go(node, src.lines)
    assert ast.dump(node.body[0], include_attributes=True) == before


def test_the_bodies_run_least_recently_are_let_go(tmp_path: Path) -> None:
    text = "".join(f"def f{i}(x):\n    y = x + {i}\n    return y\n\n\n" for i in range(4))
    src = _source("four", text)
    assert src.tree is not None
    f0, f1, f2, f3 = _defs(src.tree)
    kept = KeptBodies(limit=9)  # three bodies of three lines
    for node in (f0, f1, f2):
        kept.used(node, src)
    assert all("body" in n.__dict__ for n in (f0, f1, f2))
    kept.used(f3, src)
    assert "body" not in f0.__dict__ and all("body" in n.__dict__ for n in (f1, f2, f3))
    kept.used(f0, src)  # run again: made again, and the least recent (f1) goes
    assert "body" in f0.__dict__ and "body" not in f1.__dict__
    assert [type(s).__name__ for s in f0.body] == ["Assign", "Return"]
    assert kept.lines == 9


def test_no_limit_keeps_every_body() -> None:
    src = _source("two", "def a():\n    return 1\n\n\ndef b():\n    return 2\n")
    assert src.tree is not None
    kept = KeptBodies(limit=0)
    for node in _defs(src.tree):
        kept.used(node, src)
    assert kept.lines == 0 and all("body" in n.__dict__ for n in _defs(src.tree))


# A small CRM whose requests are reached through helpers in other modules, a method, a
# closure, a lambda, a partial, a recursive pair and a class store: each body is run in
# several shapes, so with one line kept every run parses its body again.
APP = {
    "crm/__init__.py": "",
    "crm/prompts.py": '''
        import functools

        from openai import OpenAI

        client = OpenAI()


        def describe(customer, depth=0):
            if depth > 2:
                return customer.name
            return summarise(customer, depth + 1)


        def summarise(customer, depth):
            return f"{describe(customer, depth)} <{customer.email}>"


        def render(template, customer):
            fill = lambda c: template.format(name=c.name, phone=c.phone)
            return fill(customer)


        def bound(customer):
            ask = functools.partial(client.chat.completions.create, model="gpt-4o-mini")
            return ask(messages=[{"role": "user", "content": describe(customer)}])
        ''',
    "crm/mailer.py": '''
        from openai import OpenAI

        from crm.prompts import bound, render


        class Mailer:
            def __init__(self):
                self.client = OpenAI()
                self.last = None

            def follow_up(self, customer):
                self.last = customer
                def body():
                    return render("Dear {name}, we will call {phone}", self.last)
                return self.client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": body()}])

            def quick(self, customer):
                return bound(customer)
        ''',
    "crm/jobs.py": '''
        from crm.mailer import Mailer


        def nightly(customers):
            mailer = Mailer()
            for customer in customers:
                mailer.follow_up(customer)
                mailer.quick(customer)
        ''',
}


def _report(root: Path, monkeypatch: pytest.MonkeyPatch, lines: int) -> list[dict]:
    monkeypatch.setenv("GDPR_LINT_BODY_LINES", str(lines))
    proc = run_cli("check", "--no-cache", "-j", "1", "--output-format", "json", ".", cwd=root)
    assert proc.returncode == 1, proc.stderr.decode()
    return json.loads(proc.stdout)


def test_findings_are_the_same_when_every_body_is_let_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_files(tmp_path, APP)
    kept_all = _report(root, monkeypatch, 0)
    let_go = _report(root, monkeypatch, 1)
    assert let_go == kept_all
    data = {(f["path"], f["line"], d) for f in kept_all for d in f.get("data", [])}
    assert {(p, line) for p, line, _ in data} == {("crm/mailer.py", 15), ("crm/prompts.py", 25)}, kept_all


def test_an_analysis_with_one_line_kept_parses_bodies_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # in-process, to see that the bodies were indeed let go and made again
    from gdpr_lint.config.settings import ConfigResolver
    from gdpr_lint.pipeline.engine import analyse_paths

    root = write_files(tmp_path, APP)

    def analyse(root: Path):
        return analyse_paths([root], ConfigResolver(cwd=root), use_cache=False)

    made_again = []
    parsed_again = bodies._parsed_again
    monkeypatch.setattr(bodies, "_parsed_again", lambda *a: made_again.append(a[0].name) or parsed_again(*a))
    monkeypatch.setattr(bodies, "BODY_LINES", 0)
    every = analyse(root)
    assert not made_again
    monkeypatch.setattr(bodies, "BODY_LINES", 1)
    one = analyse(root)
    assert made_again  # bodies were let go and read again
    assert [(f.code, f.path, f.line, f.data) for f in one.findings] \
        == [(f.code, f.path, f.line, f.data) for f in every.findings] != []
