"""A process past its memory budget lets go of what it keeps between chunks (parsed files,
their facts, reach.py's reads) and works it out again: the findings must not change, only
the time (gdpr_lint/pipeline/units.py, WORKER_MEMORY_MB)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from helpers import write_files
from gdpr_lint.analysis.program.project import Project
from gdpr_lint.config.settings import ConfigResolver
from gdpr_lint.pipeline import units
from gdpr_lint.pipeline.engine import analyse_paths

# A clinic app over ten files (several chunks): records in one module, prompt builders in
# another, requests in views that import both; a page that only mentions `.files` reaches
# no client (answered from bytes, through reach.py's memo).
APP = {
    "clinic/__init__.py": "",
    "clinic/records.py": '''
        from dataclasses import dataclass


        @dataclass
        class Patient:
            name: str
            cpr: str
            diagnosis: str
        ''',
    "clinic/prompts.py": '''
        def summary_prompt(patient):
            return f"Summarise the case of {patient.name} ({patient.diagnosis})."
        ''',
    "clinic/client.py": "from openai import OpenAI\n\nclient = OpenAI()\n",
    "clinic/uploads.py": '''
        def save(request):
            for f in request.files.values():
                f.save("/tmp/" + f.filename)
        ''',
}
for i in range(6):
    APP[f"clinic/view_{i}.py"] = f'''
        from clinic.client import client
        from clinic.prompts import summary_prompt
        from clinic.records import Patient


        def handle_{i}(name, cpr, diagnosis):
            patient = Patient(name, cpr, diagnosis)
            return client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{{"role": "user", "content": summary_prompt(patient)}}],
            )
        '''


def _findings(root: Path) -> str:
    result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1)
    assert result.errors == []
    return json.dumps([(f.path, f.span.line, f.code, f.message, [str(s) for s in f.flow]) for f in result.findings],
                      default=str)


def test_findings_do_not_change_when_a_process_lets_go_of_its_caches(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_files(tmp_path, APP)
    monkeypatch.setattr(units, "WORKER_MEMORY_MB", 0)  # no budget
    unlimited = _findings(root)
    assert unlimited.count('"GDPR001"') == 6 and unlimited.count('"GDPR002"') == 6

    released = []
    release = units.release_caches
    monkeypatch.setattr(units, "release_caches", lambda ctx: (released.append(len(ctx.parsed)), release(ctx)))
    monkeypatch.setattr(units, "WORKER_MEMORY_MB", 0.001)  # past it after the first chunk
    assert _findings(root) == unlimited
    assert released and released[0] > 0  # it let go of the files it had parsed


def test_the_caches_may_grow_by_half_the_budget_past_what_stays_after_a_release(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # what a process holds after letting go (a large file's analysis, a fragmented heap) is
    # not given back: the next release waits until the caches have grown by half the budget
    root = write_files(tmp_path, APP)
    resident = iter([1500, 1500, 1600, 1800, 2100, 2100, 2100, 2200, 2300, 2400, 2500])
    last = [0.0]

    def reading() -> float:
        last[0] = next(resident, last[0])
        return last[0]

    released = []
    release = units.release_caches
    monkeypatch.setattr(units, "_resident_mb", reading)
    monkeypatch.setattr(units, "release_caches", lambda ctx: (released.append(last[0]), release(ctx)))
    monkeypatch.setattr(units, "WORKER_MEMORY_MB", 1000)
    _findings(root)
    # 1500 > 1000: released, and 1500 stays (threshold 2000); 1600 and 1800 are below it;
    # 2100 > 2000: released (threshold 2600); nothing after reaches 2600
    assert released == [1500, 2100]


def test_resident_memory_is_read_where_the_system_tells_it() -> None:
    mb = units._resident_mb()
    assert mb is None or 1 < mb < 100_000
    if Path("/proc/self/statm").exists():
        assert mb is not None


def test_a_dropped_project_is_freed_without_the_cyclic_collector(tmp_path: Path) -> None:
    # a project's records point at each other (a module lists its functions, each function
    # names its module, a closure keeps its frame and with it the project): dropping it
    # must free it by reference counting, as the collector is paused during a run
    import gc
    import weakref

    from gdpr_lint.analysis.vocabulary import default_vocabulary

    root = write_files(tmp_path, APP)
    inputs = {p: (str(p.relative_to(root)), p.read_bytes()) for p in sorted(root.rglob("*.py"))}
    ctx = units.UnitContext(vocab=default_vocabulary(), roots=[root], cwd=root, inputs=inputs,
                            reported={d for d, _ in inputs.values()})
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = units.analyse_unit(ctx, root / "clinic" / "view_0.py")
        assert [f.code for f in result.findings].count("GDPR001") == 1
        project = ctx.project
        assert project is not None and project.functions and project.classes
        held = [weakref.ref(project)] + [weakref.ref(r) for r in (
            *project.modules.values(), *project.functions.values(), *project.classes.values())]
        del project
        units.drop_project(ctx)
        assert ctx.project is None
        assert [r for r in held if r() is not None] == []
    finally:
        if was_enabled:
            gc.enable()


def test_the_collector_is_paused_while_units_are_analysed_and_restored_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    root = write_files(tmp_path, APP)
    during = []
    analyse = units.analyse_unit
    monkeypatch.setattr(units, "analyse_unit", lambda *a, **k: (during.append(gc.isenabled()), analyse(*a, **k))[1])
    thresholds = gc.get_threshold()
    assert gc.isenabled()
    assert _findings(root).count('"GDPR001"') == 6
    assert during and not any(during)
    assert gc.isenabled() and gc.get_threshold() == thresholds
    gc.disable()  # a caller that paused it itself keeps it paused
    try:
        _findings(root)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_process_keeps_its_project_for_the_rest_of_the_run_until_past_its_budget(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # what the views share (records, prompts, the client) is summarised once per process,
    # not once per chunk or round; past the budget the project goes with the other caches
    root = write_files(tmp_path, APP)
    monkeypatch.setattr(units, "_chunks", lambda entries: [[e] for e in sorted(entries, key=lambda e: str(e[0]))])
    projects, chunks = [], []
    init, run_chunk = Project.__init__, units._run_chunk
    monkeypatch.setattr(Project, "__init__", lambda self, *a, **k: (projects.append(1), init(self, *a, **k))[1])
    monkeypatch.setattr(units, "_run_chunk", lambda ctx, chunk: (chunks.append(1), run_chunk(ctx, chunk))[1])

    monkeypatch.setattr(units, "WORKER_MEMORY_MB", 0)  # no budget
    kept = _findings(root)
    assert len(chunks) >= 6 and len(projects) == 1  # for every chunk, and every round of units

    projects.clear(), chunks.clear()
    monkeypatch.setattr(units, "WORKER_MEMORY_MB", 1000)
    growing = itertools.count(2000, 1000)  # past the budget, and past half of it again, after every chunk
    monkeypatch.setattr(units, "_resident_mb", lambda: next(growing))
    assert _findings(root) == kept
    assert len(projects) == len(chunks) >= 6


def test_the_default_budget_is_a_share_of_the_machines_memory_per_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # a budget below what one unit of a large package needs only makes a worker load that
    # package again after every chunk; the machine decides what a worker can keep
    import os

    monkeypatch.setattr(units, "WORKER_MEMORY_MB", -1)  # the default: not set
    pages = {"SC_PHYS_PAGES": 24 * 2**30 // 4096, "SC_PAGE_SIZE": 4096}
    monkeypatch.setattr(os, "sysconf", lambda name: pages[name])
    assert units.worker_budget(2) == pytest.approx(24 * 1024 * units.WORKER_MEMORY_SHARE / 2)
    assert units.worker_budget(4) == pytest.approx(24 * 1024 * units.WORKER_MEMORY_SHARE / 4)
    pages["SC_PHYS_PAGES"] = 4 * 2**30 // 4096  # a small CI machine: the floor
    assert units.worker_budget(2) == units.WORKER_MEMORY_MIN_MB
    monkeypatch.setattr(units, "WORKER_MEMORY_MB", 512)  # set by the user: as given
    assert units.worker_budget(2) == 512
    monkeypatch.setattr(units, "WORKER_MEMORY_MB", 0)  # no budget
    assert units.worker_budget(2) == 0
