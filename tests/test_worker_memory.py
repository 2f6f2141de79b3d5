"""A process past its memory budget lets go of what it keeps between chunks (parsed files,
their facts, reach.py's reads) and works it out again: the findings must not change, only
the time (gdpr_lint/pipeline/units.py, WORKER_MEMORY_MB)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import write_files
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
    monkeypatch.setattr(units, "WORKER_MEMORY_MB", 0.001)  # past it after every chunk
    assert _findings(root) == unlimited
    assert len(released) >= 3 and max(released) > 0  # several chunks, each let go of parsed files


def test_resident_memory_is_read_where_the_system_tells_it() -> None:
    mb = units._resident_mb()
    assert mb is None or 1 < mb < 100_000
    if Path("/proc/self/statm").exists():
        assert mb is not None
