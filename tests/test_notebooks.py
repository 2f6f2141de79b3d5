"""Jupyter notebooks: discovery, IPython syntax, (cell, line, column) positions in every
format, bad notebooks failing the run, and the --fix / --diff round trip on the JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gdpr_lint.pipeline.notebook import load_notebook
from helpers import analyse, run_cli, write_files

SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-2.1.0.json"


# ----------------------------------------------------------------------------- building notebooks

@pytest.fixture(autouse=True)
def _one_line_wrappers(monkeypatch):
    """These tests are about what the fix rewrites: with no line length configured it
    would wrap the longer wrappers one argument per line (tested in test_fix_style.py)."""
    from gdpr_lint.fix import style

    monkeypatch.setattr(style, "DEFAULT_LINE_LENGTH", 200)
    style._line_length_in.cache_clear()



def code(source: str, *, outputs: list | None = None, count: int | None = None) -> dict:
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": outputs or [],
            "source": textwrap.dedent(source).strip("\n")}


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": textwrap.dedent(source).strip("\n")}


def notebook(*cells: dict, language: str = "python", indent: int = 1, ensure_ascii: bool = False,
             as_string: bool = False) -> str:
    """The JSON text of an nbformat 4.5 notebook, laid out as Jupyter writes it: sources as
    lists of lines, `indent=1`, sorted keys, literal non-ASCII, a final newline."""
    out = []
    for i, cell in enumerate(cells):
        cell = dict(cell, id=f"{cell['cell_type'][:4]}-{i:02d}")
        if not as_string:
            cell["source"] = cell["source"].splitlines(keepends=True)
        out.append(cell)
    doc = {
        "cells": out,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": language, "name": "python3"},
            "language_info": {"name": language, "version": "3.11.7", "mimetype": "text/x-python",
                              "file_extension": ".py"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(doc, indent=indent, sort_keys=True, ensure_ascii=ensure_ascii) + "\n"


def stream(text: str) -> dict:
    return {"name": "stdout", "output_type": "stream", "text": text.splitlines(keepends=True)}


TABLE = {"data": {"text/plain": ["   customer_id        full_name\n", "0         1042  Anna Lindqvist"],
                  "text/html": ["<table><tr><td>1042</td><td>Anna Lindqvist</td></tr></table>"]},
         "execution_count": 2, "metadata": {}, "output_type": "execute_result"}

# The churn win-back notebook: the CSV of churned customers loaded in one cell, a helper
# that builds the prompt in another, the loop calling the chat API two cells later.
CHURN = [
    markdown("""
        # Win-back e-mails for churned customers
        Loads last quarter's churned customers and drafts a personal e-mail for each.
    """),
    code("""
        %pip install --quiet openai pandas
        !ls data/
        import pandas as pd
        from openai import OpenAI

        client = OpenAI()
        churned = pd.read_csv("data/churned_customers.csv")
        churned.head()
    """, outputs=[stream("churned_customers.csv\n"), TABLE], count=2),
    code("""
        def win_back_prompt(row):
            return (
                f"Write a short, warm e-mail to {row['full_name']} ({row['email']}) "
                f"who cancelled their {row['plan']} plan. Offer 20% off."
            )
    """, count=3),
    markdown("## Draft the e-mails"),
    code("""
        %%time
        drafts = []
        for _, row in churned.iterrows():
            reply = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": win_back_prompt(row)}],
            )
            drafts.append(reply.choices[0].message.content)
    """, outputs=[stream("CPU times: user 1.2 s, sys: 80 ms, total: 1.3 s\nWall time: 41 s\n")], count=4),
    code("""
        churned.assign(draft=drafts).to_csv("data/drafts.csv", index=False)
    """, count=5),
]

# The same notebook on aggregated data only: plan names and counts, nobody in them.
CLEAN = [
    markdown("# Churn by plan"),
    code("""
        import pandas as pd
        from openai import OpenAI

        client = OpenAI()
        by_plan = pd.read_csv("data/churn_by_plan.csv")
    """, count=1),
    code("""
        summary = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"Summarise churn per plan: {by_plan['churn_rate'].describe()}"}],
        )
    """, count=2),
]


def write_notebook(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check(root: Path, *args: str):
    proc = run_cli("check", "--no-cache", *args, cwd=root)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


def err_lines(proc) -> list[str]:
    return [x for x in proc.stderr.decode().splitlines() if x.strip()]


def assert_nbformat4(doc: dict) -> None:
    """The nbformat 4 schema: nbformat's own validator when installed, else the same
    structure checked by hand (the keys each cell type may and must have)."""
    try:
        import nbformat
    except ImportError:
        nbformat = None
    if nbformat is not None:
        nbformat.validate(nbformat.from_dict(doc))
        return
    assert doc["nbformat"] == 4 and isinstance(doc["nbformat_minor"], int)
    assert set(doc) == {"cells", "metadata", "nbformat", "nbformat_minor"}
    assert isinstance(doc["metadata"], dict)
    allowed = {"code": {"id", "cell_type", "metadata", "source", "outputs", "execution_count"},
               "markdown": {"id", "cell_type", "metadata", "source", "attachments"},
               "raw": {"id", "cell_type", "metadata", "source", "attachments"}}
    for cell in doc["cells"]:
        kind = cell["cell_type"]
        assert kind in allowed and set(cell) <= allowed[kind], cell
        assert {"id", "cell_type", "metadata", "source"} <= set(cell)
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", cell["id"])
        assert isinstance(cell["metadata"], dict)
        src = cell["source"]
        assert isinstance(src, str) or (isinstance(src, list) and all(isinstance(s, str) for s in src))
        if kind == "code":
            assert cell["execution_count"] is None or isinstance(cell["execution_count"], int)
            for out in cell["outputs"]:
                assert out["output_type"] in {"stream", "display_data", "execute_result", "error"}


# ----------------------------------------------------------------------------- check


def test_leaking_notebook_is_reported_by_cell(tmp_path):
    write_notebook(tmp_path, "notebooks/churn_winback.ipynb", notebook(*CHURN))
    proc = check(tmp_path, "--output-format", "json")
    assert proc.returncode == 1, proc.stderr.decode()
    [f] = json.loads(proc.stdout)
    # cell 5 counting every cell (two markdown cells included); line and column within the cell
    assert (f["path"], f["cell"], f["line"], f["column"]) == ("notebooks/churn_winback.ipynb", 5, 4, 13)
    assert (f["end_line"], f["end_column"]) == (7, 6)
    assert list(f)[:4] == ["code", "path", "cell", "line"]
    assert {"name", "email"} <= set(f["categories"])
    # the helper defined two cells earlier is on the data path, with its own cell
    steps = {(s["cell"], s["line"]) for s in f["flow"]}
    assert (3, 3) in steps and all(s["path"] == f["path"] for s in f["flow"])

    proc = check(tmp_path)
    out = proc.stdout.decode()
    assert "notebooks/churn_winback.ipynb:cell 5:4:13: GDPR001" in out
    assert " 4 |     reply = client.chat.completions.create(" in out  # the cell's own line
    assert "notebooks/churn_winback.ipynb:cell 3:3:" in out  # a data-path step
    assert "Found 1 finding in 1 file" in out


def test_a_name_bound_again_cell_after_cell_is_read_as_bound_before_each_use(tmp_path):
    # the graph and its input are rebound in later cells: each run sees the values bound
    # before it, whichever file the analysis loaded first
    cells = [
        code('''
            from langchain.chat_models import init_chat_model
            from langgraph.graph import StateGraph, START
            from typing_extensions import TypedDict

            llm = init_chat_model("openai:gpt-4.1")


            class State(TypedDict):
                email_input: dict
                draft: str
            '''),
        code('''
            def outline(state: State):
                return {"draft": "Thanks for your message."}

            workflow = StateGraph(State)
            workflow.add_node("outline", outline)
            workflow.add_edge(START, "outline")
            agent = workflow.compile()
            '''),
        code('''
            def reply(state: State):
                author = state["email_input"]["author"]
                return {"draft": llm.invoke(f"Reply to {author}").content}

            workflow = StateGraph(State).add_node(reply).add_edge(START, "reply").compile()
            '''),
        code('''
            email_input = {"author": "Build server", "subject": "Nightly build"}
            workflow.invoke({"email_input": email_input})
            '''),
        code('''
            email_input = {"author": "Alice Smith <alice.smith@acme-corp.dk>", "subject": "API docs"}
            workflow.invoke({"email_input": email_input})
            '''),
    ]
    write_notebook(tmp_path, "notebooks/triage.ipynb", notebook(*cells))
    proc = check(tmp_path, "--output-format", "json")
    assert proc.returncode == 1, proc.stderr.decode()
    [f] = json.loads(proc.stdout)
    assert (f["cell"], f["endpoint"]) == (3, "init_chat_model.invoke")
    assert "alice.smith@acme-corp.dk (email)" in f["data"], f["data"]


def test_clean_notebook_passes(tmp_path):
    write_notebook(tmp_path, "churn_by_plan.ipynb", notebook(*CLEAN))
    proc = check(tmp_path, "churn_by_plan.ipynb")
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert "Found 0 findings (1 file analysed)." in proc.stdout.decode()
    sites = json.loads(run_cli("calls", "--output-format", "json", cwd=tmp_path).stdout)
    assert [(s["path"], s["cell"], s["line"], s["column"]) for s in sites] == [("churn_by_plan.ipynb", 3, 1, 11)]


def test_top_level_await_and_line_magics(tmp_path):
    nb = notebook(
        code("""
            from openai import AsyncOpenAI

            aclient = AsyncOpenAI()
        """),
        code("""
            %load_ext autoreload
            patient = {"full_name": "Maria Jensen", "cpr": "070761-4285", "diagnosis": "type 2 diabetes"}
            %time letter = await aclient.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"Referral letter for {patient['full_name']}, CPR {patient['cpr']}"}])
            help_text = client?
        """),
    )
    write_notebook(tmp_path, "referral.ipynb", nb)
    result = analyse(tmp_path)
    assert not result.errors, [str(e) for e in result.errors]
    [f] = result.findings
    # `%time ` is neutralised in place: the call's column is the one in the cell
    assert (f.code, f.cell, f.line, f.column) == ("GDPR001", 2, 3, 22)


def test_notebook_uses_a_prompt_builder_from_the_project(tmp_path):
    write_files(tmp_path, {
        "crm/__init__.py": "",
        "crm/prompts.py": '''
            def follow_up_prompt(customer):
                return f"Write to {customer.full_name} <{customer.email}> about the renewal."
        ''',
        "churn.py": "RETENTION_OFFER = 0.2\n",
    })
    write_notebook(tmp_path, "churn.ipynb", notebook(code("""
        from openai import OpenAI
        from crm.prompts import follow_up_prompt

        client = OpenAI()

        def send(customer):
            return client.responses.create(model="gpt-4o-mini", input=follow_up_prompt(customer))
    """)))
    # another module imports `churn`: the module, not the notebook next to it
    write_files(tmp_path, {"report.py": "import churn\nprint(churn.RETENTION_OFFER)\n"})
    result = analyse(tmp_path)
    assert not result.errors, [str(e) for e in result.errors]
    [f] = result.findings
    assert (f.path, f.cell, f.line) == ("churn.ipynb", 1, 7)
    assert {s.path for s in f.flow} == {"crm/prompts.py", "churn.ipynb"}
    assert all((s.cell is None) == (s.path == "crm/prompts.py") for s in f.flow)


def test_suppression_comment_in_a_cell(tmp_path):
    cells = [dict(c) for c in CHURN]
    cells[4] = code(CHURN[4]["source"].replace(
        "reply = client.chat.completions.create(",
        "reply = client.chat.completions.create(  # noqa: GDPR001 -- consented pilot, DPA 2024-11"))
    cells[5] = code(CHURN[5]["source"] + "  # noqa: GDPR002")
    write_notebook(tmp_path, "churn.ipynb", notebook(*cells))
    findings = json.loads(check(tmp_path, "--output-format", "json").stdout)
    assert [(f["code"], f["cell"], f["line"]) for f in findings] == [("GDPR100", 6, 1)]


def test_cached_run_reports_the_same_cells(tmp_path):
    write_notebook(tmp_path, "churn.ipynb", notebook(*CHURN))
    first = run_cli("check", "--output-format", "concise", cwd=tmp_path)
    second = run_cli("check", "--output-format", "concise", cwd=tmp_path)
    assert first.stdout == second.stdout and b"churn.ipynb:cell 5:4:13: GDPR001" in second.stdout
    assert (tmp_path / ".gdpr_lint_cache").is_dir()


def test_notebook_from_standard_input(tmp_path):
    proc = run_cli("check", "--no-cache", "--stdin-filename", "analysis/churn.ipynb", "--output-format", "concise",
                   cwd=tmp_path, input=notebook(*CHURN).encode())
    assert proc.returncode == 1, proc.stderr.decode()
    assert proc.stdout.decode().startswith("analysis/churn.ipynb:cell 5:4:13: GDPR001")


# ----------------------------------------------------------------------------- discovery and bad input


def test_discovery_includes_notebooks_and_settings_change_it(tmp_path):
    write_notebook(tmp_path, "notebooks/churn.ipynb", notebook(*CHURN))
    write_files(tmp_path, {"notebooks/.ipynb_checkpoints/stale.py": "x = 1\n"})
    assert b"Found 1 finding in 1 file (2 files analysed)." in check(tmp_path).stdout
    (tmp_path / "pyproject.toml").write_text('[tool.gdpr-lint]\nextend-exclude = ["*.ipynb"]\n')
    assert b"Found 0 findings (1 file analysed)." in check(tmp_path).stdout
    (tmp_path / "pyproject.toml").write_text('[tool.gdpr-lint]\ninclude = ["*.py"]\n')
    assert b"Found 0 findings (1 file analysed)." in check(tmp_path).stdout
    # named on the command line, a notebook is analysed whatever `include` says (as Ruff does)
    assert check(tmp_path, "notebooks/churn.ipynb").returncode == 1
    (tmp_path / "pyproject.toml").write_text('[tool.gdpr-lint]\ninclude = ["*.py"]\nextend-include = ["*.pyw"]\n')
    write_files(tmp_path, {"tools/export.pyw": "from openai import OpenAI\n"
                                                "OpenAI().embeddings.create(model='m', input=user.email)\n"})
    assert b"tools/export.pyw:2:1: GDPR001" in check(tmp_path, "--output-format", "concise").stdout


BAD = {
    "truncated.ipynb": ('{"cells": [{"cell_type": "code", "source": ["import openai\\n"',
                        "not a valid notebook: invalid JSON at line 1, column"),
    "old.ipynb": (json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": []}], "metadata": {}}),
                  "unsupported notebook format: nbformat 3"),
    "unversioned.ipynb": (json.dumps({"cells": [], "metadata": {}}), 'no "nbformat" version'),
    "list.ipynb": ("[1, 2, 3]", "the JSON document is not an object"),
    "cells.ipynb": (json.dumps({"cells": {"0": {}}, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                    '"cells" is missing or not a list'),
    "source.ipynb": (json.dumps({"cells": [{"cell_type": "code", "source": 42, "metadata": {}, "outputs": []}],
                                 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                     'cell 1: "source" is neither text nor a list of text'),
    "latin1.ipynb": (b'{"cells": [], "nbformat": 4, "metadata": {"author": "J\xf8rgen"}}', "not UTF-8"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_notebook_that_cannot_be_read_fails_the_run(tmp_path, name):
    text, needle = BAD[name]
    (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    for args in ((name,), (".",)):
        proc = check(tmp_path, *args)
        assert proc.returncode == 2, proc.stdout.decode()
        [line] = err_lines(proc)
        assert line.startswith(f"gdpr-lint: error: {name}: ") and needle in line, line
        assert b"Found 0 findings (1 file analysed).\n" not in proc.stdout
        assert b"1 file could not be analysed" in proc.stdout


def test_a_cell_that_does_not_parse_is_named(tmp_path):
    cells = [dict(c) for c in CHURN]
    cells[2] = code("""
        def win_back_prompt(row):
            return f"Write to {row['full_name']}" +
    """)
    write_notebook(tmp_path, "churn.ipynb", notebook(*cells))
    proc = check(tmp_path)
    assert proc.returncode == 2
    [line] = err_lines(proc)
    assert line.startswith("gdpr-lint: error: churn.ipynb: cell 3: syntax error at line 2, column"), line
    # a cell left open (a `def` without a body) is named too, not the cell after it
    cells[2] = code("def win_back_prompt(row):")
    write_notebook(tmp_path, "churn.ipynb", notebook(*cells))
    [line] = err_lines(check(tmp_path))
    assert "churn.ipynb: cell 3: syntax error at line 1" in line, line


def test_wrong_extension_named_explicitly_is_an_error(tmp_path):
    write_files(tmp_path, {"notes.txt": "client.chat.completions.create(messages=customer.email)\n",
                           "crm/followup.py": "x = 1\n", "bin/sync-crm": "print('ok')\n"})
    proc = check(tmp_path, "notes.txt", "crm/followup.py")
    assert proc.returncode == 2
    [line] = err_lines(proc)
    assert line.startswith("gdpr-lint: error: notes.txt: not a Python file or Jupyter notebook (.txt)"), line
    # a script without an extension is Python, as before
    assert check(tmp_path, "bin/sync-crm").returncode == 0


def test_notebook_in_another_language(tmp_path):
    write_notebook(tmp_path, "models/churn_glm.ipynb",
                   notebook(code('fit <- glm(churned ~ plan + tenure, data = customers, family = binomial)'),
                            language="R"))
    write_notebook(tmp_path, "churn.ipynb", notebook(*CLEAN))
    proc = check(tmp_path)
    assert proc.returncode == 0 and b"Found 0 findings (1 file analysed)." in proc.stdout  # skipped like a .R file
    proc = check(tmp_path, "models/churn_glm.ipynb")
    assert proc.returncode == 2
    [line] = err_lines(proc)
    assert "models/churn_glm.ipynb: not a Python notebook (kernel language: r)" in line


# ----------------------------------------------------------------------------- IPython syntax


def _cell(source: str):
    nb = load_notebook(notebook(code(source)).encode())
    [cell] = nb.cells
    return cell


@pytest.mark.parametrize("line, expected", [
    ("%pip install openai", "0" + " " * 18),
    ("!ls -la data/", "0" + " " * 12),
    ("!!head data/customers.csv", "0" + " " * 24),
    ("%time r = f(x)", "0;    r = f(x)"),
    ("%timeit -n 10 -r 3 f(x)", "0;" + " " * 17 + "f(x)"),
    ("%prun -l 10 model.fit(X, y)", "0;" + " " * 10 + "model.fit(X, y)"),
    ("files = !ls data/", "files = 0" + " " * 8),
    ("out = %sx wc -l data.csv", "out = 0" + " " * 17),
    ("t = %time compute()", "t =       compute()"),
    ("churned.head?", "0" + " " * 12),
    ("pd.read_csv??", "0" + " " * 12),
    ("?pd.merge", "0" + " " * 8),
    ("/print churned", "0" + " " * 13),
    ("print('done?')  # all rows?", "print('done?')  # all rows?"),
    ("x = 10 % 3", "x = 10 % 3"),
])
def test_line_syntax_is_neutralised_in_place(line, expected):
    cell = _cell(line)
    assert cell.code == [expected]
    assert len(cell.code[0]) == len(line)


def test_escape_inside_a_string_or_brackets_is_left_alone():
    cell = _cell('''
        query = """
        !not a shell command
        %not a magic
        """
        rows = [
            1,
        ]
        !echo done \\
            and more
        x = 1
    ''')
    assert cell.code[1:3] == ["!not a shell command", "%not a magic"]
    assert cell.code[7:9] == ["0" + " " * 11, ""]
    assert cell.code[9] == "x = 1"


@pytest.mark.parametrize("magic, python", [
    ("%%time", True), ("%%capture output", True), ("%%timeit -n 3", True), ("%%python3", True),
    ("%%bash", False), ("%%sql postgresql://crm", False), ("%%html", False), ("%%writefile export.py", False),
])
def test_cell_magics(magic, python):
    body = "customers = load()\nfor c in customers:\n    print(c.email)"
    cell = _cell(f"{magic}\n{body}")
    assert cell.code[0] == "0" + " " * (len(magic) - 1)
    assert cell.foreign is not python
    assert cell.code[1:] == (body.splitlines() if python else ["", "", ""])


def test_unknown_cell_magic_is_python_when_its_body_is():
    assert not _cell("%%memory_profile\nx = load()\nprint(x)").foreign
    assert _cell("%%spark_query\nSELECT email FROM customers").foreign


def test_indented_cell_is_dedented_with_its_columns_kept(tmp_path):
    source = ("    from openai import OpenAI\n    client = OpenAI()\n"
              "    client.embeddings.create(model='text-embedding-3-small', input=customer.email)")
    cell = dict(code(""), source=source)  # pasted with its indent: IPython strips it
    nb = load_notebook(notebook(cell).encode())
    assert nb.cells[0].code[2].startswith("client.embeddings")
    write_notebook(tmp_path, "embed.ipynb", notebook(cell))
    [f] = analyse(tmp_path).findings
    assert (f.cell, f.line, f.column) == (1, 3, 5)


# ----------------------------------------------------------------------------- other formats


def test_ci_formats_point_into_the_json_file(tmp_path):
    text = notebook(*CHURN)
    write_notebook(tmp_path, "churn.ipynb", text)
    raw_lines = text.splitlines()
    call_line = next(i for i, x in enumerate(raw_lines, 1) if "reply = client.chat.completions.create(" in x)
    call_col = raw_lines[call_line - 1].index("client.chat") + 1

    gh = check(tmp_path, "--output-format", "github").stdout.decode()
    assert f"file=churn.ipynb,line={call_line}," in gh and f"col={call_col}," in gh
    assert "in notebook cell 5, line 4, column 13" in gh

    [issue] = json.loads(check(tmp_path, "--output-format", "gitlab").stdout)
    assert issue["location"]["lines"]["begin"] == call_line

    case = ET.fromstring(check(tmp_path, "--output-format", "junit").stdout).find(".//testcase")
    assert case is not None and case.get("line") == str(call_line) and case.get("name").endswith("at cell 5:4:13")

    [row] = [json.loads(x) for x in check(tmp_path, "--output-format", "json-lines").stdout.splitlines()]
    assert (row["cell"], row["line"]) == (5, 4)

    sarif = json.loads(check(tmp_path, "--output-format", "sarif").stdout)
    if SARIF_SCHEMA.is_file():
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    [result] = sarif["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (call_line, call_col)
    assert result["properties"]["notebook"] == {"cell": 5, "line": 4, "column": 13, "endLine": 7, "endColumn": 6}
    first = result["codeFlows"][0]["threadFlows"][0]["locations"][0]["location"]
    step_line = first["physicalLocation"]["region"]["startLine"]
    assert "row['full_name']" in raw_lines[step_line - 1] or "row['email']" in raw_lines[step_line - 1]
    assert first["properties"]["notebook"]["cell"] == 3


def test_map_lists_notebook_call_sites(tmp_path):
    write_notebook(tmp_path, "churn.ipynb", notebook(*CHURN))
    doc = json.loads(run_cli("map", "--output-format", "json", cwd=tmp_path).stdout)
    [site] = doc["call_sites"]
    assert (site["id"], site["cell"], site["line"], site["status"]) == ("churn.ipynb:cell 5:4:13", 5, 4, "unprotected")
    assert {"name", "email"} <= set(site["categories"])
    assert any(step.get("cell") == 3 for fl in site["flows"] for step in fl["path"])
    md = run_cli("map", cwd=tmp_path).stdout.decode()
    assert "### `churn.ipynb:cell 5:4` `chat.completions.create`: unprotected" in md
    html = run_cli("map", "--output-format", "html", cwd=tmp_path).stdout.decode()
    assert "<code>churn.ipynb:cell 5:4</code>" in html


def test_baseline_survives_cells_added_above(tmp_path):
    write_notebook(tmp_path, "churn.ipynb", notebook(*CHURN))
    assert run_cli("baseline", "-o", "baseline.json", cwd=tmp_path).returncode == 0
    [entry] = json.loads((tmp_path / "baseline.json").read_text())["findings"]
    assert (entry["cell"], entry["line"]) == (5, 4)
    moved = [markdown("Data protection review: see DPIA-2024-07."), code("import logging"), *CHURN]
    write_notebook(tmp_path, "churn.ipynb", notebook(*moved))
    proc = check(tmp_path, "--baseline", "baseline.json")
    assert proc.returncode == 0 and b"1 known finding hidden by the baseline" in proc.stdout


# ----------------------------------------------------------------------------- --fix and --diff


def _raw_diff(before: str, after: str) -> list[str]:
    import difflib

    return [x for x in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if x[:1] in "+-" and not x.startswith(("+++", "---"))]


def test_fix_round_trip_rewrites_only_the_cell(tmp_path):
    before = notebook(*CHURN)
    path = write_notebook(tmp_path, "churn.ipynb", before)

    proc = check(tmp_path, "--diff")
    assert proc.returncode == 1 and path.read_text() == before  # --diff writes nothing
    diff = proc.stdout.decode()
    assert diff.startswith("--- a/churn.ipynb:cell 5\n+++ b/churn.ipynb:cell 5\n")
    assert "-    reply = client.chat.completions.create(\n+    reply = protect(client.chat.completions.create" in diff

    proc = check(tmp_path, "--fix")
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert b"Fixed 1 finding in 1 file." in proc.stdout
    after = path.read_text()
    doc, old = json.loads(after), json.loads(before)
    assert_nbformat4(doc)
    # only the cell's source changed: outputs, ids, metadata, the other cells untouched
    for i, (new_cell, old_cell) in enumerate(zip(doc["cells"], old["cells"])):
        assert {k: v for k, v in new_cell.items() if k != "source" or i != 4} == \
               {k: v for k, v in old_cell.items() if k != "source" or i != 4}
    assert doc["metadata"] == old["metadata"] and len(doc["cells"]) == len(old["cells"])
    source = "".join(doc["cells"][4]["source"])
    assert source.startswith("%%time\nfrom gdpr_lint.runtime import protect\n")
    # the file's layout is kept: a git diff shows the changed source lines only
    changed = _raw_diff(before, after)
    assert sorted(changed[:1] + changed[1:3]) == sorted(['-    "    reply = client.chat.completions.create(\\n",',
                                                         '+    "from gdpr_lint.runtime import protect\\n",',
                                                         '+    "\\n",']), changed
    assert len(changed) == 4 and changed[3].startswith('+    "    reply = protect(client.chat.completions.create'), changed
    assert changed[3].endswith(')(\\n",'), changed
    assert after.endswith("}\n")

    # idempotent, and what is left is reported from the rewritten notebook
    again = check(tmp_path, "--fix")
    assert again.returncode == 0 and b"No fixes applied." in again.stdout
    assert path.read_text() == after
    sites = json.loads(run_cli("calls", "--output-format", "json", cwd=tmp_path).stdout)
    assert [(s["cell"], s["protected"]) for s in sites] == [(5, True)]


def test_fix_keeps_a_line_magic_and_the_file_style(tmp_path):
    nb = notebook(
        markdown("Überblick: Kündigungen (Zoë's Team)"),
        code("""
            from openai import OpenAI
            client = OpenAI()
            customer = crm.get(1042)
        """),
        code("""
            %time reply = client.responses.create(model="gpt-4o-mini", input=f"Kündigung von {customer.full_name}")
            !echo sent
        """),
        indent=2, ensure_ascii=True, as_string=True)
    path = write_notebook(tmp_path, "kuendigung.ipynb", nb)
    proc = check(tmp_path, "--fix")
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    after = path.read_text(encoding="utf-8")
    assert after.isascii()  # the file escapes non-ASCII text: so does the rewrite
    doc = json.loads(after)
    assert_nbformat4(doc)
    source = doc["cells"][2]["source"]
    assert isinstance(source, str)  # a source stored as one string stays one string
    assert source.splitlines()[0] == "from gdpr_lint.runtime import protect"
    assert '%time reply = protect(client.responses.create, known={"name": [customer.full_name]})(' in source
    assert source.rstrip().endswith("!echo sent")
    changed = _raw_diff(nb, after)
    assert len(changed) == 2 and all('"source":' in x for x in changed), changed


def test_fix_leaves_a_call_behind_a_shell_escape_alone(tmp_path):
    nb = notebook(code("""
        from openai import OpenAI
        client = OpenAI()
        customer = crm.get(1042)
        files = !ls exports/; client.embeddings.create(model="text-embedding-3-small", input=customer.email)
    """))
    path = write_notebook(tmp_path, "exports.ipynb", nb)
    proc = check(tmp_path, "--fix")
    # the escape swallows the line in IPython: nothing to analyse, nothing rewritten
    assert proc.returncode == 0 and path.read_text() == nb


def test_fix_refuses_to_write_a_notebook_that_changed_meanwhile(tmp_path, monkeypatch):
    from gdpr_lint.config.settings import ConfigResolver
    from gdpr_lint.fix.runner import plan_fixes, write_fixes
    from gdpr_lint.pipeline.engine import analyse_paths

    path = write_notebook(tmp_path, "churn.ipynb", notebook(*CHURN))
    result = analyse_paths([tmp_path], ConfigResolver(cwd=tmp_path), use_cache=False)
    outcome = plan_fixes(result, result.findings)
    assert [ff.display for ff in outcome.files] == ["churn.ipynb"]
    assert outcome.files[0].cells is not None and outcome.files[0].cells[0][0] == 5
    edited = path.read_text().replace("Offer 20% off.", "Offer 25% off.")
    path.write_text(edited)
    write_fixes(outcome)
    assert path.read_text() == edited and "changed on disk" in outcome.errors[0].message
    assert not list(tmp_path.glob(".churn.ipynb.*"))  # no temporary file left behind


def test_raw_positions_follow_json_escapes():
    src = 'note = "Zoë \\"VIP\\"\\t€"; client.chat.completions.create(model="gpt-4o-mini", input=note)'
    column = src.index("client") + 1
    for ensure_ascii in (True, False):
        text = notebook(markdown("Kunden"), code(src), ensure_ascii=ensure_ascii)
        line, raw_column = load_notebook(text.encode()).raw_position(2, 1, column)
        assert text.splitlines()[line - 1][raw_column - 1:].startswith("client.chat"), ensure_ascii


def test_syntax_check_all_compiles_notebooks_without_openai(tmp_path):
    write_notebook(tmp_path, "eda.ipynb", notebook(
        markdown("Exploratory analysis"),
        code("import pandas as pd\ndf = pd.read_csv('customers.csv')"),
        code("df.groupby('plan').size(")))
    assert check(tmp_path).returncode == 0  # cannot hold or feed a request: not parsed by default
    proc = check(tmp_path, "--syntax-check", "all")
    assert proc.returncode == 2
    [line] = err_lines(proc)
    assert "eda.ipynb: cell 3: syntax error at line 1" in line, line


def test_the_notebook_reader_is_loaded_only_for_a_run_with_notebooks(tmp_path):
    # 10 ms of start-up most runs do not need
    script = textwrap.dedent('''
        import sys
        from pathlib import Path
        from gdpr_lint.config.settings import ConfigResolver
        from gdpr_lint.pipeline.engine import analyse_paths

        root = Path(sys.argv[1])
        result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1)
        print(len(result.findings), [f.cell for f in result.findings], "gdpr_lint.pipeline.notebook" in sys.modules)
        ''')
    write_files(tmp_path / "plain", {"crm/winback.py": '''
        from openai import OpenAI

        client = OpenAI()


        def win_back(customer):
            return client.responses.create(model="gpt-4o-mini", input=f"Write to {customer.email}")
        '''})
    write_notebook(tmp_path / "books", "notebooks/churn_winback.ipynb", notebook(*CHURN))
    runs = {}
    for name in ("plain", "books"):
        out = subprocess.run([sys.executable, "-c", script, str(tmp_path / name)], capture_output=True, text=True)
        runs[name] = out.stdout.strip() or out.stderr
    assert runs == {"plain": "1 [None] False", "books": "1 [5] True"}
