"""The same code gives the same report, whatever the number of workers and run after run.

Units share a project (parsed modules, function summaries) per worker process, so what a
unit reports must not depend on the units its process analysed before. Inside a recursive
cycle, the order in which summaries are first worked out used to shape the flow steps a
finding shows (a run with one worker and one with two printed different steps for 15 of
the 231 findings on this corpus); a cycle's summaries are now solved together, whichever
member was entered first (analysis/program/cycles.py, test_recursive_cycles.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from helpers import run_cli, write_files

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _report(cwd: Path, jobs: int) -> list:
    proc = run_cli("check", "--no-cache", "-j", str(jobs), "--output-format", "json", "openai_heavy", cwd=cwd)
    assert proc.returncode == 1, proc.stderr.decode()
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_report_is_the_same_for_any_number_of_workers(tmp_path: Path) -> None:
    # real code: 240 standard-library modules, each with an appended function that
    # sends customer data to OpenAI (the benchmark corpus (a)); separate processes, as
    # two CI runs would be
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from make_corpora import generate
    finally:
        sys.path.remove(str(BENCHMARKS))
    generate(tmp_path, limit=240)
    one = _report(tmp_path, jobs=1)
    assert len(one) > 200
    two = _report(tmp_path, jobs=2)
    assert [f for f in two if f not in one] == []
    assert two == one


def _report_with_seed(root: Path, seed: int) -> list:
    import os
    import subprocess

    from helpers import cli_command

    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    proc = subprocess.run([*cli_command(), "check", "--no-cache", "--output-format", "json", "."],
                          cwd=root, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 1, proc.stderr.decode()
    return json.loads(proc.stdout)


def test_flow_path_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    # one value reaches a helper through several parameters (tuple unpacking): the same
    # data arrives by as many paths, and the one reported was whichever a set yielded first
    write_files(tmp_path, {
        "mail/parse.py": '''
            def parse_email(email_input):
                return email_input["a"], email_input["b"], email_input["c"], email_input["d"]


            def format_email_markdown(first, second, third, fourth):
                return f"{first} / {second} / {third}\\n\\n{fourth}"
            ''',
        "mail/triage.py": '''
            from openai import OpenAI

            from mail.parse import format_email_markdown, parse_email

            client = OpenAI()


            def triage(customer_email):
                w, x, y, z = parse_email(customer_email)
                text = format_email_markdown(w, x, y, z)
                return client.chat.completions.create(model="gpt-4o-mini",
                                                      messages=[{"role": "user", "content": text}])
            ''',
    })
    reports = [_report_with_seed(tmp_path, seed) for seed in (0, 1, 2, 3, 4, 5)]
    assert reports[0], "the leak must be found"
    assert all(r == reports[0] for r in reports[1:])


def test_client_flavour_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    # the client is an Azure one on one path and a plain one on another: the call is
    # reported once, with the same flavour in every run
    write_files(tmp_path, {"desk/llm.py": '''
        import os

        from openai import AsyncAzureOpenAI, AsyncOpenAI, AzureOpenAI, OpenAI

        if os.environ.get("AZURE_OPENAI_ENDPOINT"):
            client = AzureOpenAI(api_version="2024-06-01")
            aclient = AsyncAzureOpenAI(api_version="2024-06-01")
        else:
            client = OpenAI()
            aclient = AsyncOpenAI()


        def reply(customer):
            return client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": f"Write to {customer.email}"}])


        async def areply(customer):
            return await aclient.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": f"Write to {customer.email}"}])
        '''})
    reports = [_report_with_seed(tmp_path, seed) for seed in range(8)]
    assert len(reports[0]) == 2
    assert all(r == reports[0] for r in reports[1:])


def test_a_units_answer_does_not_depend_on_the_units_before_it(write, monkeypatch) -> None:
    # the invariant the chunking rests on, on one tree with the shapes of graph state, import
    # roots and stores on objects from outside their class (each mechanism has its own test
    # that fails on the code before it, with one project: test_graph_state, test_import_roots,
    # test_object_stores): a fresh project per unit, one project for all in file order and
    # in reverse order give the same report
    from dataclasses import asdict

    from gdpr_lint.pipeline import units
    from helpers import analyse
    from test_graph_state import MAIL_GRAPH, REPORT_GRAPH, STATE
    from test_import_roots import APP, PROMPTS_CLEAN, PROMPTS_LEAKING
    from test_object_stores import AGENT_TREE

    root = write({
        "app/__init__.py": "", "app/schemas.py": STATE,
        "app/a_mail_graph.py": MAIL_GRAPH, "app/b_report_graph.py": REPORT_GRAPH,
        "ex1/app.py": APP, "ex1/prompts.py": PROMPTS_CLEAN,
        "ex2/app.py": APP, "ex2/prompts.py": PROMPTS_LEAKING,
        **{"agents/" + name: text for name, text in AGENT_TREE.items()},
    })

    def report(chunks):
        monkeypatch.setattr(units, "_chunks", chunks)
        return [asdict(f) for f in analyse(root).findings]

    ordered = lambda entries: sorted(entries, key=lambda e: str(e[0]))  # noqa: E731
    alone = report(lambda entries: [[e] for e in ordered(entries)])
    together = report(lambda entries: [ordered(entries)])
    backwards = report(lambda entries: [ordered(entries)[::-1]])
    assert sorted((f["path"], f["span"]["line"]) for f in alone) == [("app/a_mail_graph.py", 15), ("ex2/app.py", 9)]
    assert together == alone and backwards == alone


@pytest.mark.parametrize("count", [1, 7, 40, 605, 3000])
def test_chunks_in_one_process_cover_each_unit_once_in_path_order(count):
    # neighbouring files together; at most 64 a chunk, eight at least (the memory budget is
    # looked at between chunks); a pool of workers deals its own (test_lanes.py)
    from gdpr_lint.pipeline.units import _chunks

    entries = [(Path(f"pkg/m{i:05d}.py"), frozenset()) for i in range(count)][::-1]
    chunks = _chunks(entries)
    assert [e for c in chunks for e in c] == sorted(entries, key=lambda e: str(e[0]))
    assert all(0 < len(c) <= 64 for c in chunks)
    assert len(chunks) >= min(8, count)