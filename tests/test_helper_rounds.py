"""Helper rounds: a file that names a helper found by another unit (a function whose
parameters reach a request) is analysed again with that name - unless every line naming
it lies in code the first run already analysed, calls it bare (`main()`), is an attribute
of a library module (`asyncio.run(...)`) or is prose. Skipping such a re-run must not
change the answer: the tests compare with the run that re-analyses every such file and
with the exhaustive run (every file a unit, every function analysed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write_files
from gdpr_lint.config.settings import ConfigResolver
from gdpr_lint.pipeline import engine, units
from gdpr_lint.pipeline.engine import analyse_paths
from gdpr_lint.pipeline.prefilter import HelperMentions, helper_uses

DESK = {
    # the helper: its parameter reaches a request; named `run`, as agent runners are
    "desk/agent.py": '''
        from openai import OpenAI

        client = OpenAI()


        def run(question: str) -> str:
            reply = client.responses.create(model="gpt-4o-mini", input=question)
            return reply.output_text
        ''',
    # analysed in the first round (a request of its own); `run` here is subprocess's and
    # asyncio's, and main() is called bare: nothing a second run would add
    "desk/jobs.py": '''
        import asyncio
        import subprocess

        from openai import OpenAI

        client = OpenAI()


        def changelog() -> str:
            log = subprocess.run(["git", "log", "--oneline"], capture_output=True, text=True).stdout
            return client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"Summarise: {log}"}],
            ).choices[0].message.content


        async def main() -> None:
            print(changelog())


        if __name__ == "__main__":
            asyncio.run(main())
        ''',
    # no OpenAI spelling: only the helper's name makes it matter (second round)
    "desk/handlers.py": '''
        from desk.agent import run


        def escalate(customer):
            return run(f"Draft an apology to {customer.full_name} <{customer.email}>")
        ''',
    # a script: the helper called with a record at the top level, left for later in the
    # first round (no request spelling), so it is analysed again with the helper's name
    "desk/cli.py": '''
        import json
        import sys

        from desk.agent import run


        def main() -> None:
            print("usage: cli.py RECORD")


        if __name__ == "__main__":
            with open(sys.argv[1]) as fh:
                patient = json.load(fh)
            run(f"Summarise the case of {patient['name']}, diagnosis {patient['diagnosis']}")
            main()
        ''',
    "desk/__init__.py": "",
}


def _run(root: Path, exhaustive: bool = False):
    return analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1, exhaustive=exhaustive)


def _view(result) -> tuple[set, set, list]:
    findings = {(f.code, f.path, f.span.line, tuple(sorted(f.data)), tuple(str(s) for s in f.flow))
                for f in result.findings}
    sites = {(s.path, s.span.line, s.span.column) for s in result.sites}
    return findings, sites, sorted(str(e) for e in result.errors)


def _desk_paging_in_unanalysed_code() -> dict[str, str]:
    """DESK, but jobs.py also calls the helper with data in a function the first run does
    not analyse (it spells no request): jobs.py runs in both rounds."""
    files = dict(DESK)
    files["desk/jobs.py"] = DESK["desk/jobs.py"].replace('''
        client = OpenAI()''', '''
        from desk.agent import run

        client = OpenAI()''').replace('''
        async def main() -> None:''', '''
        def page(member):
            return run(f"Tell {member.email} the build broke")


        async def main() -> None:''')
    return files


@pytest.fixture
def units_run(monkeypatch) -> list[list[str]]:
    """The entry files of each round of units, by name."""
    rounds: list[list[str]] = []
    real = engine.run_units

    def recording(ctx, entries, jobs, on_done=None, on_idle=None):
        rounds.append(sorted(Path(p).name for p, _ in entries))
        return real(ctx, entries, jobs, on_done, on_idle)

    monkeypatch.setattr(engine, "run_units", recording)
    return rounds


def test_a_file_naming_the_helper_only_where_it_was_analysed_is_not_run_again(tmp_path, units_run):
    root = write_files(tmp_path / "support", DESK)
    result = _run(root)
    later = [name for r in units_run[1:] for name in r]
    assert "jobs.py" in units_run[0] and "jobs.py" not in later, units_run
    assert "handlers.py" in later and "cli.py" in later, units_run
    leaked = {(f.path, d) for f in result.findings if f.code == "GDPR001" for d in f.data}
    assert any("customer.email" in d for _, d in leaked), leaked
    assert any("patient['name']" in d for _, d in leaked), leaked
    assert any("diagnosis" in d for f in result.findings for d in f.data), result.findings
    assert not any("log" in d for _, d in leaked), leaked


def test_the_rounds_share_one_set_of_workers_and_report_what_one_process_reports(tmp_path, monkeypatch, units_run):
    # the callers of a helper found in round one run in the workers that summarised it
    import os

    from gdpr_lint.pipeline import lanes

    root = write_files(tmp_path / "support", _desk_paging_in_unanalysed_code())
    alone = _view(_run(root))
    started = []
    real_lane = lanes.Lane.__init__
    monkeypatch.setattr(lanes.Lane, "__init__", lambda self, *a: started.append(1) or real_lane(self, *a))
    ran = []  # (entry, process), in the workers (forked after the patch)
    real_unit = units.analyse_unit
    monkeypatch.setattr(units, "analyse_unit",
                        lambda ctx, entry, words=frozenset(): (ran.append((entry.name, os.getpid())),
                                                               real_unit(ctx, entry, words))[1])
    reported = tmp_path / "ran.txt"
    real_chunk = units._worker_chunk

    def chunk_and_tell(chunk):
        results = real_chunk(chunk)
        with open(reported, "a") as fh:
            fh.writelines(f"{entry} {pid}\n" for entry, pid in ran)
        ran.clear()
        return results

    monkeypatch.setattr(units, "_worker_chunk", chunk_and_tell)
    monkeypatch.setattr(units, "POOL_MIN_UNITS", 1)  # workers even for these few files
    prepared = []
    real_prepare = HelperMentions.prepare
    monkeypatch.setattr(HelperMentions, "prepare", lambda self: prepared.append(1) or real_prepare(self))
    units_run.clear()
    pooled = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=2)
    assert len(units_run) >= 2 and started == [1, 1], units_run
    assert prepared, "the names for the next round are gathered while a worker waits"
    assert _view(pooled) == alone
    # jobs.py runs in both rounds: the second time in the process that analysed it the first time
    runs = [line.split() for line in reported.read_text().splitlines()]
    jobs_runs = [pid for entry, pid in runs if entry == "jobs.py"]
    assert len(jobs_runs) == 2 and jobs_runs[0] == jobs_runs[1], runs
    assert len({pid for _, pid in runs}) == 2, runs


def test_skipping_the_rerun_reports_what_rerunning_reports(tmp_path, monkeypatch):
    root = write_files(tmp_path / "support", DESK)
    skipped = _view(_run(root))
    monkeypatch.setattr(engine, "_analysed_already", lambda *args: False)
    rerun = _view(_run(root))
    assert skipped == rerun
    assert skipped[0] == _view(_run(root, exhaustive=True))[0]


@pytest.mark.parametrize("broken", [
    # an unclosed bracket: broken under any Python
    'def notify(customer):\n    return run(f"Write to {customer.email}"\n',
    # a stray indent
    'def notify(customer):\n    return run(customer.email)\n  print("sent")\n',
    # a closing bracket too many
    'def notify(customer):\n    return run(customer.email))\n',
])
def test_a_file_that_does_not_parse_is_not_run_again_for_a_helper_name(tmp_path, units_run, broken):
    # a seed (it spells a request) that calls the helper found in round one: the second
    # round would fail the same way, so its first answer, the error, stands
    files = dict(DESK)
    files["desk/mail.py"] = "from openai import OpenAI\nfrom desk.agent import run\n\nclient = OpenAI()\n\n" + broken
    root = write_files(tmp_path / "support", files)
    result = _run(root)
    assert "mail.py" in units_run[0], units_run
    assert "mail.py" not in [name for r in units_run[1:] for name in r], units_run
    assert "handlers.py" in [name for r in units_run[1:] for name in r], units_run  # a file that parses is
    assert [e.path for e in result.errors] == ["desk/mail.py"], result.errors
    assert _view(result) == _view(_run(root, exhaustive=True))


def test_a_helper_named_in_code_the_first_run_left_out_is_followed(tmp_path, units_run):
    files = _desk_paging_in_unanalysed_code()
    root = write_files(tmp_path / "support", files)
    result = _run(root)
    assert "jobs.py" in [name for r in units_run[1:] for name in r], units_run
    assert any(f.code == "GDPR001" and any("member.email" in d for d in f.data) for f in result.findings), \
        [(f.path, f.data) for f in result.findings]


@pytest.mark.parametrize(("line", "counted"), [
    ("reply = run(customer.email)", True),                 # the helper called with data
    ("pool.submit(run, record)", True),                    # handed over as a callable
    ("answer = runner.run(question)", True),               # a method: it gets its object
    ("asyncio.run(main())", False),                        # asyncio's run, main called bare
    ("out = subprocess.run(['ls'], check=True)", False),   # a library module's function
    ("main()", False),                                     # bare: hands the helper nothing
    ("record.main()", True),                               # a method call hands it `record`
    ("# run the tests before merging", False),             # prose
    ("run and stop", True),                                # an operator keyword follows: code
])
def test_which_mentions_of_a_helper_name_can_hand_it_data(line, counted):
    data = ("import asyncio\nimport subprocess\n\n" + line + "\n").encode()
    uses = list(helper_uses(data, frozenset({"run", "main"})))
    libraries = {"asyncio", "subprocess"}
    assert any(line == 4 and receiver not in libraries for line, receiver in uses) is counted, uses


@pytest.mark.parametrize("words", [
    {"run", "run_agent", "runner"},          # one name the start of another
    {"übersetze", "résumé", "run"},         # letters beyond ASCII
    {"aa", "a"},                             # a name inside a repetition of itself
])
def test_mentions_are_found_one_name_at_a_time_as_one_pattern_finds_them(words):
    # helper_uses scans for each name alone (fast literal searches); the places found are
    # those one pattern of every name finds: the whole words, the shortest name where two
    # start at one place, none inside another
    from gdpr_lint.pipeline.prefilter import _whole_words, word_pattern

    text = """
        run(x); run_agent(x); runner.run(y); rerun(z); run2(w); _run(v); run_agent_x(u)
        übersetze(text); xübersetze(t); résumé(r); résuméx(q); é_run(p); érun(o)
        aa(1); aaa(2); a(3); aa_a(4); a.aa(5); aaé(6); éaa(7)
        asyncio.run(main())  # run the tests
    """.encode()
    words = frozenset(words)
    assert _whole_words(text, words) == [m.span() for m in word_pattern(words).finditer(text)]
    assert _whole_words(text, words)  # (the text holds some)


def test_a_cached_second_run_answers_the_same_without_analysing(tmp_path, monkeypatch, units_run):
    root = write_files(tmp_path / "support", DESK)
    monkeypatch.setenv("GDPR_LINT_CACHE_DIR", str(tmp_path / "cache"))

    def cached_run():
        return analyse_paths([root], ConfigResolver(cwd=root), use_cache=True, jobs=1)

    first = _view(cached_run())
    units_run.clear()
    second = _view(cached_run())
    assert second == first
    assert not any(units_run), units_run  # every answer, the skipped re-run's too, came from the cache


def test_which_files_mention_a_helper_name():
    views = {
        Path("a.py"): b"def notify(customer):\n    return ask(customer.email)\n",
        Path("b.py"): b"from a import notify\n\nnotify(member)\n",
        Path("c.py"): b"notify_all = []\nrenotify(x)\nnotify2()\n",      # other identifiers
        Path("d.py"): b"def r\xc3\xa9sum\xc3\xa9(x):\n    return x\n\nr\xc3\xa9sum\xc3\xa9(cv)\n",
        Path("e.py"): b"import remote\nremote.ask(text)\n",                 # `ask` defined in no input
        # a definition across a line continuation; `subclass Notifier` in prose defines nothing
        Path("f.py"): b"class \\\n        Mailer:\n    pass\n# a subclass Notifier would\n",
        Path("g.py"): b"from f import Mailer\n\nMailer().send(Notifier)\n",
    }
    mentions = HelperMentions(views)
    found = mentions.in_files({"notify", "résumé", "ask", "Mailer", "Notifier"})
    assert found == {
        Path("a.py"): frozenset({"notify", "ask"}),
        Path("b.py"): frozenset({"notify"}),
        Path("d.py"): frozenset({"résumé"}),
        Path("e.py"): frozenset({"ask"}),
        Path("f.py"): frozenset({"Mailer", "Notifier"}),
        Path("g.py"): frozenset({"Mailer", "Notifier"}),
    }
    assert mentions.defined == {b"notify", "résumé".encode(), b"Mailer"}
    # gathered ahead (while a worker waits for the round to end): the same answer
    ahead = HelperMentions(views)
    ahead.prepare()
    assert set(ahead.names) == set(views)
    assert ahead.in_files({"notify", "résumé", "ask", "Mailer", "Notifier"}) == found


def test_a_notebook_is_run_again_only_for_a_cell_the_first_run_left_out(tmp_path, units_run):
    from test_notebooks import code, notebook

    cells = [
        code('''
            import asyncio

            from openai import OpenAI

            from desk.agent import run

            client = OpenAI()
            '''),
        code('''
            def changelog(log: str) -> str:
                return client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": log}],
                ).choices[0].message.content
            '''),
    ]
    paging = code('''
        def page(member):
            return run(f"Tell {member.email} the build broke")
        ''')
    files = dict(DESK)
    files["desk/release.ipynb"] = notebook(*cells, code("asyncio.run(main())"), as_string=True)
    files["desk/oncall.ipynb"] = notebook(*cells, paging, as_string=True)
    root = write_files(tmp_path / "support", files)
    result = _run(root)
    later = [name for r in units_run[1:] for name in r]
    assert "release.ipynb" in units_run[0] and "release.ipynb" not in later, units_run
    assert "oncall.ipynb" in later, units_run
    paged = [f for f in result.findings if any("member.email" in d for d in f.data)]
    assert paged, [(f.path, f.data) for f in result.findings]
    assert any(flow.expr == "member.email" and flow.steps[0].path.endswith("oncall.ipynb") for flow in result.flows)


def test_helpers_named_with_letters_beyond_ascii_are_followed_into_their_callers(tmp_path):
    # A helper's name that starts or ends with a letter beyond ASCII (`übersetze`,
    # `résumé`): its callers elsewhere are found by that name, as an ASCII name's are.
    from helpers import assert_marked

    root = write_files(tmp_path / "kundenservice", {
        "kundenservice/__init__.py": "",
        "kundenservice/llm.py": '''
            from openai import OpenAI

            client = OpenAI()


            def übersetze(text: str) -> str:
                antwort = client.responses.create(model="gpt-4o-mini", input=f"Übersetze: {text}")  # expect: GDPR001
                return antwort.output_text


            def résumé(texte: str) -> str:
                réponse = client.responses.create(model="gpt-4o-mini", input=f"Résume: {texte}")  # expect: GDPR001
                return réponse.output_text


            def kürze(text: str) -> str:
                antwort = client.responses.create(model="gpt-4o-mini", input=f"Kürze: {text}")  # expect: none
                return antwort.output_text
            ''',
        "kundenservice/briefe.py": '''
            from kundenservice.llm import kürze, übersetze


            def beschwerde(kunde):
                return übersetze(f"Sehr geehrte/r {kunde.name}, Ihre Adresse {kunde.adresse} ...")


            def katalog(produkt):
                return kürze(f"{produkt.titel}: {produkt.beschreibung}")
            ''',
        "kundenservice/lettres.py": '''
            from kundenservice.llm import résumé


            def réclamation(client):
                return résumé(f"Plainte de {client.email} au sujet de la commande")
            ''',
    })
    assert_marked(root)
