"""The same code gives the same report, whatever the number of workers and run after run.

Units share a project (parsed modules, function summaries) per worker process, and
inside a recursive cycle the order in which summaries are first worked out shapes the
flow steps a finding shows. Each chunk of units therefore starts from a fresh project,
and the chunks do not depend on the number of workers (units.py). Before that, a run
with one worker and a run with two printed different flow steps for 15 of the 231
findings on this corpus (the findings themselves were the same).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from helpers import run_cli

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
