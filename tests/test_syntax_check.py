"""The fail-closed syntax pass over the files the analysis does not need
(gdpr_lint/pipeline/syntax_check.py): checked in forked children while the analysis runs, file
by file, so a parser crash or hang is pinned on its file and the rest is still checked.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import time
from pathlib import Path

import pytest

import gdpr_lint.pipeline.syntax_check as syntax_check
from gdpr_lint.pipeline.cache import Cache
from gdpr_lint.config.settings import ConfigResolver
from gdpr_lint.pipeline.engine import analyse_paths
from gdpr_lint.pipeline.syntax_check import SyntaxCheck

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="children are forked")

REPORT = '''\
from datetime import date


def monthly_totals(invoices):
    totals = {{}}
    for invoice in invoices:
        key = (invoice.issued.year, invoice.issued.month)
        totals[key] = totals.get(key, 0) + invoice.amount_{n}
    return totals


def overdue(invoices, today: date):
    return [i for i in invoices if i.due < today and not i.paid]
'''


def _billing_repo(root: Path, count: int = 80) -> None:
    for n in range(count):
        path = root / "billing" / f"report_{n:02d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(REPORT.format(n=n), encoding="utf-8")


def _inputs(root: Path) -> dict[Path, tuple[str, bytes]]:
    return {p: (p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.rglob("*.py"))}


def _break(root: Path, n: int, text: str = "    return totals[\n") -> None:
    path = root / "billing" / f"report_{n:02d}.py"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_children_report_every_broken_file_and_the_cache_remembers(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _billing_repo(root)
    _break(root, 3)
    _break(root, 71, "def late(:\n")
    inputs = _inputs(root)
    cache = Cache(tmp_path / "cache")
    check = SyntaxCheck(inputs, cache, jobs=2)
    assert len(check._children) == 2  # forked at once, working while the caller does other things
    errors = sorted((e.path, e.message) for e in check.errors(analysed=set()))
    assert [p for p, _ in errors] == ["billing/report_03.py", "billing/report_71.py"]
    assert all(m.startswith("syntax error at line ") for _, m in errors), errors
    # next run: verdicts come from the cache, no child is needed, same answer
    again = SyntaxCheck(inputs, Cache(tmp_path / "cache"), jobs=2)
    assert not again._children
    assert sorted((e.path, e.message) for e in again.errors(analysed=set())) == errors


def test_files_the_analysis_parsed_itself_are_left_out(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _billing_repo(root)
    _break(root, 5)
    inputs = _inputs(root)
    check = SyntaxCheck(inputs, Cache(None), jobs=2)
    assert check.errors(analysed={root / "billing" / "report_05.py"}) == []


def _sabotaged(victim: str, how):
    real = syntax_check.syntax_message

    def message(path: Path, display: str, data: bytes) -> str:
        if path.name == victim:
            how()
        return real(path, display, data)

    return message


def _segfault() -> None:
    faulthandler.disable()  # pytest's handler would print the test runner's stack
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_parser_crash_is_pinned_on_its_file_and_the_rest_is_checked(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "repo"
    _billing_repo(root)
    _break(root, 40)
    inputs = _inputs(root)
    # what a native crash in the parser looks like from outside: the child dies by a signal
    monkeypatch.setattr(syntax_check, "syntax_message",
                        _sabotaged("report_07.py", _segfault))
    errors = {e.path: e.message for e in SyntaxCheck(inputs, Cache(None), jobs=2).errors(analysed=set())}
    assert errors["billing/report_07.py"] == f"the parser crashed on this file (signal {int(signal.SIGSEGV)})"
    assert errors["billing/report_40.py"].startswith("syntax error at line ")
    assert len(errors) == 2


def _short_limit_for(monkeypatch, name: str) -> None:
    """The hanging file gets a 1 s limit; every other file keeps a generous one, so the test
    does not depend on how fast the machine compiles them."""
    monkeypatch.setattr(syntax_check, "time_limit", lambda display: 1.0 if display.endswith(name) else 600.0)


def test_a_hanging_parse_is_stopped_at_the_time_limit(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "repo"
    _billing_repo(root)
    _break(root, 60)
    inputs = _inputs(root)
    _short_limit_for(monkeypatch, "report_11.py")
    monkeypatch.setattr(syntax_check, "syntax_message", _sabotaged("report_11.py", lambda: time.sleep(600)))
    cache = Cache(tmp_path / "cache")
    errors = {e.path: e.message for e in SyntaxCheck(inputs, cache, jobs=2).errors(analysed=set())}
    assert errors["billing/report_11.py"] == "compiling stopped after the 1 s time limit"
    assert errors["billing/report_60.py"].startswith("syntax error at line ")
    assert len(errors) == 2
    # a time limit is not the file's answer: not cached, so the next run tries again
    monkeypatch.undo()
    errors = {e.path for e in SyntaxCheck(inputs, Cache(tmp_path / "cache"), jobs=2).errors(analysed=set())}
    assert errors == {"billing/report_60.py"}


def test_no_child_is_left_behind_when_the_run_is_interrupted(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "repo"
    _billing_repo(root)
    monkeypatch.setattr(syntax_check, "syntax_message", _sabotaged("report_00.py", lambda: time.sleep(600)))
    check = SyntaxCheck(_inputs(root), Cache(None), jobs=2)
    pids = [c.pid for c in check._children]
    check.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_whole_run_reports_a_broken_file_among_many_without_openai(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _billing_repo(root, count=120)
    _break(root, 99)
    strict = ConfigResolver(cwd=root, overrides={"syntax-check": "all"})
    result = analyse_paths([root], strict, use_cache=False, jobs=2)
    assert [(e.path, e.message.split(":")[0]) for e in result.errors] == [
        ("billing/report_99.py", "syntax error at line 14, column 18")]
    assert result.units == 0 and result.findings == []
    # by default none of these files is parsed: none can hold or feed a request
    result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=2)
    assert result.errors == [] and result.units == 0 and result.findings == []


def test_a_small_run_with_a_huge_file_still_has_a_time_limit(tmp_path: Path, monkeypatch) -> None:
    # too few files for a pool, but one is large enough that its parse could run away
    # (a generated 5 MB literal): it is compiled in a child that can be stopped
    root = tmp_path / "repo"
    _billing_repo(root, count=3)
    inputs = _inputs(root)
    monkeypatch.setattr(syntax_check, "BIG_FILE_BYTES", 200)
    _short_limit_for(monkeypatch, "report_01.py")
    monkeypatch.setattr(syntax_check, "syntax_message", _sabotaged("report_01.py", lambda: time.sleep(600)))
    check = SyntaxCheck(inputs, Cache(None), jobs=1)
    assert len(check._children) == 1
    errors = {e.path: e.message for e in check.errors(analysed=set())}
    assert errors == {"billing/report_01.py": "compiling stopped after the 1 s time limit"}
