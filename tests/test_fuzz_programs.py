"""Property-based robustness: generated Python programs (hypothesmith) through the
analysis, `check --fix` and the runtime round trip.

- the analysis never raises; a program that `ast.parse` accepts is never reported
  as unanalysable;
- every file `--fix` rewrites still parses, and fixing the fixed file again
  changes nothing;
- the runtime's pseudonymise/reidentify round trip gives back the exact text.

The analysis runs in-process (`analyse_paths`), not in a subprocess per example.
CI runs a bounded number of examples; GDPR_LINT_LONG_FUZZ=1 runs many more (see
tests/README.md).
"""

from __future__ import annotations

import ast
import os
import tempfile
import textwrap
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

LONG = os.environ.get("GDPR_LINT_LONG_FUZZ") == "1"
SETTINGS = settings(max_examples=1000 if LONG else 10, deadline=None, derandomize=not LONG,
                    suppress_health_check=list(HealthCheck))
# the round trip is cheap; generating programs is what costs
RUNTIME_SETTINGS = settings(max_examples=2000 if LONG else 10, deadline=None, derandomize=not LONG,
                            suppress_health_check=list(HealthCheck))
pytestmark = pytest.mark.filterwarnings("ignore:gdpr_lint.runtime. no pseudonymisation key:RuntimeWarning")

# A leaking request appended to every generated program, so --fix has work to do
# whatever the program around it looks like.
LEAK = textwrap.dedent('''\


    from openai import OpenAI as _GdprFuzzClient


    def _gdpr_fuzz_reminder(patient):
        return _GdprFuzzClient().chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"Remind {patient.email} of {patient.diagnosis}"}],
        )
''')

programs = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _analyse(root: Path):
    from gdpr_lint.config.settings import ConfigResolver
    from gdpr_lint.pipeline.engine import analyse_paths

    return analyse_paths([root], ConfigResolver(cwd=root, isolated=True), use_cache=False, jobs=1)


def _check_and_fix(source: str) -> None:
    from gdpr_lint.fix.runner import plan_fixes, write_fixes

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "generated.py"
        path.write_bytes(source.encode("utf-8", "surrogatepass"))
        result = _analyse(root)
        if _parses(source):
            assert not result.errors, (result.errors, source)
        else:
            assert [e.path for e in result.errors] == ["generated.py"]
            return
        outcome = plan_fixes(result, result.findings)
        write_fixes(outcome)
        if not outcome.written:
            assert path.read_bytes() == source.encode("utf-8", "surrogatepass") or outcome.errors
            return
        fixed = path.read_bytes()
        assert _parses(fixed.decode("utf-8")), fixed.decode()
        # a second fix changes nothing
        again = _analyse(root)
        assert not again.errors
        second = plan_fixes(again, again.findings)
        assert second.files == [], second.diff()


@SETTINGS
@given(programs)
def test_generated_programs_through_check_and_fix(program: str) -> None:
    _check_and_fix(program)


@SETTINGS
@given(programs)
def test_generated_programs_with_a_leak_are_fixed_once(program: str) -> None:
    if "__future__" in program or not _parses(program):
        program = ""  # a __future__ import must stay first; keep the example useful
    _check_and_fix(program + LEAK)


@RUNTIME_SETTINGS
@given(hypothesmith.from_grammar(), st.sampled_from(["Anders Holm", "anders.holm@example.dk", "+45 40 12 34 56", "070761-4285"]))
def test_runtime_round_trip_on_generated_programs(program: str, person: str) -> None:
    """Source code is the kind of text people paste into prompts: brackets, quotes, digits."""
    from gdpr_lint.runtime import Conversation

    text = f"Review this code for {person}:\n{program}\n# contact: {person}"
    conv = Conversation(policy={"CPR": "pseudonymise", "CARD": "pseudonymise"})
    pseudo = conv.pseudonymise(text, known={"name": ["Anders Holm"]})
    assert person not in pseudo
    assert conv.reidentify(pseudo) == text


@pytest.mark.parametrize("source", [
    # shapes found by earlier fuzzing and by hand: decorators, lambdas, walrus, match, async, nested f-strings
    "@decorator\nclass A(metaclass=M):\n    x: int = (y := 1)\n",
    "match p:\n    case {'email': e, **rest}:\n        pass\n    case [*_]:\n        pass\n",
    "async def f():\n    async with a as (b, c):\n        yield [x async for x in b]\n",
    "f'{f\"{x!r:>{width}}\"}'\n",
    "lambda: (yield)\n",
    "def f(a, /, b=1, *c, d, **e): return a\n",
    "\\\n\n",
    "x = 1;\n",
])
def test_known_awkward_programs(source: str) -> None:
    _check_and_fix(source)
    _check_and_fix(source + LEAK)
