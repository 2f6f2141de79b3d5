"""Hostile inputs: every file gets an answer, through the installed CLI.

A privacy gate that crashes, hangs or silently skips a file says "clean" when it
does not know. Each input below is either analysed (its findings reported) or
named on exactly one error line with its reason; the run goes on for every other
file and exits 2; nothing prints a traceback.

The crash-isolation tests at the end run the pipeline in-process and make a
worker die for real (SIGKILL from inside the analysis of one file).
"""

from __future__ import annotations

import faulthandler
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import LEAKY, cli_command, run_cli



def _errors(proc: subprocess.CompletedProcess) -> dict[str, str]:
    """{path: reason} from the `gdpr-lint: error: PATH: REASON` lines; each line exactly once."""
    err = proc.stderr.decode("utf-8")
    assert "Traceback" not in err, err
    out: dict[str, str] = {}
    for line in err.splitlines():
        if not line.startswith("gdpr-lint: error: "):
            continue
        path, _, reason = line[len("gdpr-lint: error: "):].partition(": ")
        assert path not in out, f"{path} reported twice:\n{err}"
        out[path] = reason
    return out


def _hostile_tree(root: Path, *, big: bool = True, related: bool = True) -> dict[str, str | None]:
    """Write the hostile files; return {display path: expected reason, or None if analysed with a finding}.

    The files that only the parser can refuse start with `import openai` when `related`
    (they may send a request, so they must parse); without it they are reported only
    under `--syntax-check all` (see test_unrelated_hostile_files_*)."""
    expect: dict[str, str | None] = {}
    head = b"import openai\n" if related else b""

    def put(name: str, data: bytes, reason: str | None) -> None:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        expect[name] = reason

    leaky = LEAKY.encode()
    put("crm/followup.py", leaky, None)
    put("kunder med mellemrum/opfølgning æøå.py", leaky, None)
    put("crm/syntax_error.py", head + b"def renew(customer:\n    pass\n", "syntax error at line")
    put("crm/bom.py", b"\xef\xbb\xbf" + leaky, None)
    put("crm/latin1.py", b"# -*- coding: latin-1 -*-\n# Kunde: J\xf8rgen S\xf8rensen\n" + leaky, None)
    put("crm/undecodable.py", b"greeting = 'K\xe6re kunde'\n", "cannot decode as utf-8")
    put("crm/bad_cookie.py", b"# -*- coding: klingon -*-\nx = 1\n", "encoding")
    put("crm/nul.py", b"x = 1\x00\n", "NUL bytes")
    put("crm/empty.py", b"", "")
    put("crm/only_comment.py", b"# nothing here\n", "")
    # a 5 MB generated module (protobuf style) with a request at the end
    if big:
        blob = b"DESCRIPTOR = b'" + b"\\x00" * 1_250_000 + b"'\n\n"
        put("crm/generated_pb2.py", blob + leaky, None)
        assert (root / "crm/generated_pb2.py").stat().st_size > 5_000_000
        # over the 10 MB size limit: reported without reading it
        with open(root / "crm/huge_fixture.py", "wb") as fh:
            fh.write(b"DATA = '")
            fh.seek(11 * 1024 * 1024)
            fh.write(b"'\n")
        expect["crm/huge_fixture.py"] = "file too large"
    put("crm/parens.py", head + b"x = " + b"(" * 10_000 + b"1" + b")" * 10_000 + b"\n", "too many nested parentheses")
    deep = "from openai import OpenAI\nclient = OpenAI()\n"
    for i in range(98):  # just under the tokenizer's 100 indentation levels
        deep += "    " * i + f"def level{i}(customer):\n"
    deep += "    " * 98 + "return client.chat.completions.create(model='m', messages=customer.email)\n"
    put("crm/deep_functions.py", deep.encode(), None)
    # (not named like deep_functions.py's helpers, which would make it a possible caller)
    too_deep = "".join("    " * i + f"def nest{i}():\n" for i in range(120)) + "    " * 120 + "pass\n"
    put("crm/too_deep_functions.py", head + too_deep.encode(), "too many levels of indentation")
    total = " + ".join(["customer.email"] * 30_000)
    put("crm/long_sum.py", (f"import openai\n\ndef total(customer):\n    return openai.embeddings.create(model='m', "
                            f"input={total})\n" if related else f"def total(customer):\n    return {total}\n").encode(),
        "too deeply nested")
    # links: a folder loop, a file loop, a dangling link
    (root / "crm" / "loop").mkdir()
    os.symlink("..", root / "crm" / "loop" / "up")
    os.symlink("ping.py", root / "crm" / "pong.py")
    os.symlink("pong.py", root / "crm" / "ping.py")
    expect["crm/ping.py"] = expect["crm/pong.py"] = "symbolic link loop"
    os.symlink("deleted.py", root / "crm" / "dangling.py")
    expect["crm/dangling.py"] = "broken symbolic link"
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "crm" / "pipe.py")
        expect["crm/pipe.py"] = "not a regular file"
    if sys.platform != "darwin":  # macOS file systems refuse names that are not UTF-8
        (root / "crm").joinpath(os.fsdecode(b"kunde_\xff.py")).write_bytes(leaky)
        expect["crm/kunde_\\xff.py"] = None
    return expect


def _on_disk(root: Path, display: str) -> Path:
    """The file behind a display path (names that are not UTF-8 are shown escaped)."""
    return root / os.fsdecode(display.encode("ascii", "backslashreplace").decode("unicode_escape").encode("latin-1")) \
        if "\\x" in display else root / display


@pytest.mark.parametrize("related, syntax_check", [(True, "needed"), (False, "all")],
                         ids=["request-files", "syntax-check-all"])
def test_every_hostile_file_is_analysed_or_named_once(tmp_path, related, syntax_check):
    expect = _hostile_tree(tmp_path, related=related)
    proc = run_cli("check", "--no-cache", "--syntax-check", syntax_check, "--output-format", "json", ".",
                   cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr.decode()
    errors = _errors(proc)
    findings = json.loads(proc.stdout)
    found = {f["path"] for f in findings}
    for path, reason in expect.items():
        if reason is None:
            assert path in found, (path, proc.stderr.decode())
            assert path not in errors
        elif reason == "":
            assert path not in errors and path not in found
        else:
            assert reason in errors.get(path, ""), (path, errors)
    # the folder loop is walked once: nothing under crm/loop/up/ is reported
    assert not [p for p in [*errors, *found] if "loop/up" in p]
    # nothing else is reported
    assert set(errors) == {p for p, r in expect.items() if r}
    assert found == {p for p, r in expect.items() if r is None}
    # positions survive a BOM and a coding cookie (code-point columns, lines of the file)
    span = {f["path"]: (f["line"], f["column"], f["end_line"], f["end_column"]) for f in findings}
    assert span["crm/bom.py"] == span["crm/followup.py"]
    line, col, end_line, end_col = span["crm/followup.py"]
    assert span["crm/latin1.py"] == (line + 2, col, end_line + 2, end_col)
    # the human summary counts them
    proc = run_cli("check", "--no-cache", "--syntax-check", syntax_check, ".", cwd=tmp_path)
    n_bad = sum(1 for r in expect.values() if r)
    assert f"{n_bad} files could not be analysed" in proc.stdout.decode()
    assert proc.returncode == 2


def test_unrelated_hostile_files_are_read_but_not_parsed_by_default(tmp_path):
    # without a request spelling, the parser-level hostile files cannot hold or feed a
    # request: by default they are not parsed; what the read refuses is still reported
    expect = _hostile_tree(tmp_path, big=False, related=False)
    parse_only = {"crm/syntax_error.py", "crm/parens.py", "crm/too_deep_functions.py", "crm/long_sum.py"}
    proc = run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert set(_errors(proc)) == {p for p, r in expect.items() if r and p not in parse_only}
    assert {f["path"] for f in json.loads(proc.stdout)} == {p for p, r in expect.items() if r is None}


def test_hostile_tree_through_fix_and_every_format(tmp_path):
    expect = _hostile_tree(tmp_path, big=False)
    before = {p: (tmp_path / p).read_bytes() for p, r in expect.items()
              if r is not None and not (tmp_path / p).is_symlink()
              and not p.endswith("pipe.py")}
    for fmt in ("sarif", "github", "junit"):
        proc = run_cli("check", "--output-format", fmt, ".", cwd=tmp_path)
        assert proc.returncode == 2, (fmt, proc.stderr.decode())
        _errors(proc)
    proc = run_cli("check", "--fix", ".", cwd=tmp_path)
    assert proc.returncode == 2
    _errors(proc)
    # the analysable leaky files were fixed (and still parse); the unanalysable ones are untouched
    for p, reason in expect.items():
        if reason is None:
            text = _on_disk(tmp_path, p).read_bytes()
            assert b"protect(" in text, p
            compile(text, p, "exec")
    assert {p: (tmp_path / p).read_bytes() for p in before} == before
    # a second fix run changes nothing more
    fixed = {p: _on_disk(tmp_path, p).read_bytes() for p, r in expect.items() if r is None}
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert {p: _on_disk(tmp_path, p).read_bytes() for p in fixed} == fixed


def test_stdin_hostile_bytes(tmp_path):
    for data, reason in [(b"x = '\xff'\n", "cannot decode"), (b"x = 1\x00\n", "NUL bytes"),
                         (b"import openai\ndef f(:\n", "syntax error"), (b"", None)]:
        proc = run_cli("check", "--stdin-filename", "crm/piped.py", cwd=tmp_path, input=data)
        errors = _errors(proc)
        if reason is None:
            assert proc.returncode == 0 and not errors
        else:
            assert proc.returncode == 2 and reason in errors["crm/piped.py"]


def _without_dac_override() -> list[str] | None:
    """A command prefix under which permission bits apply (root ignores them)."""
    if not hasattr(os, "geteuid"):
        return None
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    probe = subprocess.run([setpriv, "--bounding-set=-dac_override,-dac_read_search",
                            "--inh-caps=-dac_override,-dac_read_search", "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]


def test_unreadable_file_and_folder(tmp_path):
    prefix = _without_dac_override()
    if prefix is None:
        pytest.skip("cannot run without permission override here")
    (tmp_path / "hr").mkdir()
    (tmp_path / "hr" / "onboarding.py").write_text(LEAKY)
    (tmp_path / "hr" / "salaries.py").write_text(LEAKY)
    (tmp_path / "hr" / "payroll").mkdir()
    (tmp_path / "hr" / "payroll" / "export.py").write_text(LEAKY)
    (tmp_path / "hr" / "salaries.py").chmod(0)
    (tmp_path / "hr" / "payroll").chmod(0)
    try:
        for args in (["."], ["hr/onboarding.py", "hr/salaries.py", "hr/payroll"]):
            proc = subprocess.run([*prefix, *cli_command(), "check", "--no-cache", "--output-format", "json", *args],
                                  cwd=tmp_path, capture_output=True, timeout=120)
            assert proc.returncode == 2, proc.stderr.decode()
            errors = _errors(proc)
            assert errors["hr/salaries.py"] == "permission denied"
            assert errors["hr/payroll"].startswith("cannot list folder: Permission denied") or \
                errors["hr/payroll"].startswith("cannot access folder")
            assert [f["path"] for f in json.loads(proc.stdout)] == ["hr/onboarding.py"]
    finally:
        (tmp_path / "hr" / "salaries.py").chmod(0o644)
        (tmp_path / "hr" / "payroll").chmod(0o755)


def test_time_limit_is_reported_not_silent(tmp_path):
    """A file whose analysis runs over the per-unit time limit is named; the others are analysed.
    The slow unit is made slow by a test hook (it stalls and its alarm goes off at once), not by
    the machine's speed; the other unit has the whole (generous) limit, however slow the machine."""
    (tmp_path / "chain.py").write_text(LEAKY)
    (tmp_path / "followup.py").write_text(LEAKY)
    env = {**os.environ, "GDPR_LINT_UNIT_TIMEOUT": "300", "GDPR_LINT_TEST_STALL_ENTRY": "chain.py"}
    proc = subprocess.run([*cli_command(), "check", "--no-cache", "--output-format", "json", "."], cwd=tmp_path,
                          capture_output=True, timeout=600, env=env)
    assert proc.returncode == 2
    assert "analysis stopped after the 300 s time limit" in _errors(proc)["chain.py"]
    assert [f["path"] for f in json.loads(proc.stdout)] == ["followup.py"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="address-space limits are enforced on Linux")
def test_a_file_whose_analysis_outgrows_the_worker_memory_limit_fails_closed(tmp_path):
    """A unit that grows past its worker's limit (GDPR_LINT_UNIT_MEMORY_MB) is named as out of
    memory; the run goes on with the other files in a pool of workers and exits 2, instead of
    the system killing the run. The growth comes from a test hook, not a pathological input."""
    for i in range(30):  # enough units for a process pool
        (tmp_path / f"followup_{i:02d}.py").write_text(LEAKY)
    # the grown unit (held in a cycle) is followed by others in its worker, which must get
    # its memory back to analyse them
    env = {**os.environ, "GDPR_LINT_UNIT_MEMORY_MB": "1500", "GDPR_LINT_TEST_BLOAT_ENTRY": "followup_06.py"}
    proc = subprocess.run([*cli_command(), "check", "--no-cache", "-j", "2", "--output-format", "json", "."],
                          cwd=tmp_path, capture_output=True, timeout=600, env=env)
    assert proc.returncode == 2
    assert _errors(proc) == {"followup_06.py": "ran out of memory during analysis"}
    reported = sorted(f["path"] for f in json.loads(proc.stdout))
    assert reported == [f"followup_{i:02d}.py" for i in range(30) if i != 6]


# ------------------------------------------------------------------ in-process: races and crashes


def _resolver(root: Path):
    from gdpr_lint.config.settings import ConfigResolver

    return ConfigResolver(cwd=root)


def test_file_deleted_between_discovery_and_reading(tmp_path, monkeypatch):
    from gdpr_lint.pipeline import discovery
    from gdpr_lint.pipeline.engine import analyse_paths

    (tmp_path / "intake.py").write_text(LEAKY)
    (tmp_path / "triage.py").write_text(LEAKY)
    real = discovery.Discovery.files

    def files_then_delete(self, paths):
        found, errors = real(self, paths)
        (tmp_path / "triage.py").unlink()  # another process removes it mid-run
        return found, errors

    monkeypatch.setattr(discovery.Discovery, "files", files_then_delete)
    result = analyse_paths([tmp_path], _resolver(tmp_path), use_cache=False, jobs=1)
    assert [(e.path, e.message) for e in result.errors] == [("triage.py", "file disappeared before it could be read")]
    assert [f.path for f in result.findings] == ["intake.py"]


def test_imported_helper_deleted_mid_run_is_not_a_crash(tmp_path, monkeypatch):
    """The entry file imports a prompt builder outside the inputs; it vanishes before it is read."""
    from gdpr_lint.pipeline import discovery
    from gdpr_lint.pipeline.engine import analyse_paths

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "prompts.py").write_text("def build(patient):\n    return f'Summarise {patient.diagnosis}'\n")
    (tmp_path / "app" / "ask.py").write_text(textwrap.dedent('''\
        from openai import OpenAI
        from app.prompts import build

        client = OpenAI()


        def summary(patient):
            return client.responses.create(model="gpt-4o", input=build(patient))
    '''))
    real = discovery.Discovery.files

    def only_ask(self, paths):
        found, errors = real(self, paths)
        (tmp_path / "app" / "prompts.py").unlink()
        return [p for p in found if p.name == "ask.py"], errors

    monkeypatch.setattr(discovery.Discovery, "files", only_ask)
    result = analyse_paths([tmp_path / "app"], _resolver(tmp_path), use_cache=False, jobs=1)
    assert not [e for e in result.errors if "internal" in e.message]
    assert result.files == 1


def _clinic_tree(root: Path, n: int) -> list[str]:
    names = []
    for i in range(n):
        name = f"clinic/letters_{i:02d}.py"
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(LEAKY.replace("follow_up", f"letter_{i}"))
        names.append(name)
    return names


def _die_on(monkeypatch, culprit: str, how):
    """Make the analysis of `culprit` misbehave, in this process and in forked workers."""
    from gdpr_lint.pipeline import units

    real = units._run

    def patched(ctx, entry, display, data, result, words):
        if display == culprit:
            how()
        return real(ctx, entry, display, data, result, words)

    monkeypatch.setattr(units, "_run", patched)


@pytest.mark.skipif(sys.platform == "win32", reason="fork-based pool")
def test_worker_killed_by_the_kernel_is_contained(tmp_path, monkeypatch):
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.pipeline.units import POOL_MIN_UNITS

    names = _clinic_tree(tmp_path, POOL_MIN_UNITS + 6)
    culprit = names[7]
    _die_on(monkeypatch, culprit, lambda: os.kill(os.getpid(), signal.SIGKILL))
    result = analyse_paths([tmp_path], _resolver(tmp_path), use_cache=False, jobs=2)
    assert [(e.path, e.message) for e in result.errors] == [(culprit, "the analysis process crashed on this file")]
    assert sorted(f.path for f in result.findings) == sorted(n for n in names if n != culprit)


@pytest.mark.skipif(sys.platform == "win32", reason="fork-based pool")
def test_native_crash_in_worker_is_contained(tmp_path, monkeypatch):
    """A segfault-like death (os._exit without cleanup) is contained the same way."""
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.pipeline.units import POOL_MIN_UNITS

    names = _clinic_tree(tmp_path, POOL_MIN_UNITS + 2)
    culprits = {names[0], names[-1]}
    from gdpr_lint.pipeline import units

    real = units._run

    def patched(ctx, entry, display, data, result, words):
        if display in culprits:
            faulthandler.disable()  # no fault report from the dying worker, just the death
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(ctx, entry, display, data, result, words)

    monkeypatch.setattr(units, "_run", patched)
    result = analyse_paths([tmp_path], _resolver(tmp_path), use_cache=False, jobs=2)
    assert {(e.path, e.message) for e in result.errors} == {
        (c, "the analysis process crashed on this file") for c in culprits}
    assert sorted(f.path for f in result.findings) == sorted(n for n in names if n not in culprits)


@pytest.mark.skipif(sys.platform == "win32", reason="fork-based workers")
def test_a_worker_ended_by_an_exit_is_contained_without_a_traceback(tmp_path, monkeypatch, capfd):
    """Something raising SystemExit in a worker (no unit catches it) ends that worker like
    a crash: named on its file, the other files analysed, nothing printed by the worker."""
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.pipeline.units import POOL_MIN_UNITS

    names = _clinic_tree(tmp_path, POOL_MIN_UNITS + 6)
    culprit = names[7]
    _die_on(monkeypatch, culprit, lambda: sys.exit(3))
    result = analyse_paths([tmp_path], _resolver(tmp_path), use_cache=False, jobs=2)
    assert [(e.path, e.message) for e in result.errors] == [(culprit, "the analysis process crashed on this file")]
    assert sorted(f.path for f in result.findings) == sorted(n for n in names if n != culprit)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("jobs", [1, 2])
def test_internal_error_on_one_file_is_contained_and_not_cached(tmp_path, monkeypatch, jobs):
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.pipeline.units import POOL_MIN_UNITS

    monkeypatch.setenv("GDPR_LINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GDPR_LINT_DEBUG", raising=False)
    names = _clinic_tree(tmp_path / "src", POOL_MIN_UNITS + 1)
    culprit = "src/" + names[3]

    def boom():
        raise KeyError("summary")

    _die_on(monkeypatch, culprit, boom)
    result = analyse_paths([tmp_path / "src"], _resolver(tmp_path), use_cache=True, jobs=jobs)
    assert len(result.errors) == 1 and result.errors[0].path == culprit
    assert result.errors[0].message.startswith("internal error during analysis: KeyError")
    assert len(result.findings) == len(names) - 1
    # the failure is not remembered as the file's answer: once the bug is gone, the file is analysed
    monkeypatch.undo()
    monkeypatch.setenv("GDPR_LINT_CACHE_DIR", str(tmp_path / "cache"))
    result = analyse_paths([tmp_path / "src"], _resolver(tmp_path), use_cache=True, jobs=jobs)
    assert not result.errors
    assert len(result.findings) == len(names)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the time limit uses signal.setitimer")
def test_time_limit_in_process_then_fresh_project(tmp_path, monkeypatch):
    """A unit stopped by the time limit is reported; the units after it still get full answers.
    The culprit spins with its alarm set to go off at once (the real timer and handler stop it);
    the other units keep the whole limit, so the test does not depend on the machine's speed."""
    from gdpr_lint.pipeline import units
    from gdpr_lint.pipeline.engine import analyse_paths

    names = _clinic_tree(tmp_path, 3)
    monkeypatch.setattr(units, "UNIT_TIME_LIMIT", 300.0)

    def spin():
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        while True:
            pass

    _die_on(monkeypatch, names[1], spin)
    result = analyse_paths([tmp_path], _resolver(tmp_path), use_cache=False, jobs=1)
    assert [(e.path, e.message) for e in result.errors] == [(names[1], "analysis stopped after the 300 s time limit")]
    assert sorted(f.path for f in result.findings) == [names[0], names[2]]


# ------------------------------------------------------------------ bad configuration


BAD_CONFIGS = [
    ('select = "GDPR001"', "select: expected a list of rule codes"),
    ('select = ["GDPR001", "GDPR999"]', "select: unknown rule code or prefix 'GDPR999'"),
    ('ignore = [1]', "ignore: expected a list of rule codes"),
    ('respect-gitignore = "yes"', "respect-gitignore: expected true or false"),
    ('exclude = "migrations"', "exclude: expected a list of strings"),
    ('per-file-ignores = ["tests/*"]', "per-file-ignores: expected a table"),
    ('per-file-ignores = { "tests/*" = ["NOPE1"] }', "per-file-ignores.tests/*: unknown rule code"),
    ('sinks = [{ function = 3 }]', "sinks[0]: function: expected a string"),
    ('extend = "../shared/gdpr.toml"', "extend: ../shared/gdpr.toml does not exist"),
    ('extend-rules = "vocab.toml"', "extend-rules: expected a list of strings"),
    ('extend-rules = ["missing.toml"]', "extend-rules[0]: missing.toml does not exist"),
    ('[tool.gdpr-lint.personal-data]\nname = "fornavn"', "personal-data.name: expected a list of strings"),
]

BAD_RULE_FILES = [
    ('[categories.benefits\nterms = ["x"]', "malformed TOML"),
    ('[benefits]\nterms = ["x"]', "unknown key 'benefits'"),
    ('[categories.benefits]\nterms = "kontanthjælp"', "categories.benefits.terms: expected a list of strings"),
    ('[categories.benefits]\nspecial = "yes"', "categories.benefits.special: expected true or false"),
    ('[categories.benefits]\nsynonyms = ["x"]', "categories.benefits: unknown key 'synonyms'"),
    ('[categories.benefits]\nterms = [""]', "categories.benefits.terms: empty term"),
    ('[categories.benefits]\ncontextual = [{ term = "case", owners = "citizen" }]',
     "categories.benefits.contextual[0].owners: expected a list of strings"),
    ('[categories.benefits]\ncontextual = [{ term = "case", owners = ["citizen"], category = "nope" }]',
     "names unknown category 'nope'"),
    ('[categories.health]\nspecial = false', "categories.health.special: cannot change a built-in category"),
]


def _pyproject(root: Path, body: str) -> None:
    if not body.startswith("["):
        body = "[tool.gdpr-lint]\n" + body
    (root / "pyproject.toml").write_text(body + "\n", encoding="utf-8")


@pytest.mark.parametrize("body, message", BAD_CONFIGS)
def test_bad_configuration_names_file_and_key(tmp_path, body, message):
    from gdpr_lint.config.settings import ConfigError, ConfigResolver

    _pyproject(tmp_path, body)
    with pytest.raises(ConfigError) as exc:
        ConfigResolver(cwd=tmp_path).for_path(tmp_path / "app.py")
    text = str(exc.value)
    assert text.startswith(str((tmp_path / "pyproject.toml").resolve()) + ": "), text
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize("rules, message", BAD_RULE_FILES)
def test_malformed_extend_rules_file_names_file_and_key(tmp_path, rules, message):
    from gdpr_lint.config.settings import ConfigError, ConfigResolver

    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "kommune.toml").write_text(rules + "\n", encoding="utf-8")
    _pyproject(tmp_path, 'extend-rules = ["vocab/kommune.toml"]')
    with pytest.raises(ConfigError) as exc:
        ConfigResolver(cwd=tmp_path).for_path(tmp_path / "app.py")
    text = str(exc.value)
    assert "pyproject.toml: extend-rules[0]: " in text and "kommune.toml" in text, text
    assert message in text, text
    assert "\n" not in text


def test_bad_configuration_through_the_cli_is_one_line_exit_2(tmp_path):
    (tmp_path / "vocab.toml").write_text('[categories.benefits]\nterms = "kontanthjælp"\n', encoding="utf-8")
    _pyproject(tmp_path, 'extend-rules = ["vocab.toml"]')
    (tmp_path / "app.py").write_text(LEAKY)
    proc = run_cli("check", ".", cwd=tmp_path)
    assert proc.returncode == 2
    err = proc.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "pyproject.toml: extend-rules[0]: " in err and "categories.benefits.terms" in err
    # an unreadable extend target: a folder where a file is expected
    (tmp_path / "shared.toml").mkdir()
    _pyproject(tmp_path, 'extend = "shared.toml"')
    proc = run_cli("check", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert "pyproject.toml: extend: shared.toml does not exist or is not a file" in proc.stderr.decode()


MUNICIPALITY = textwrap.dedent('''\
    from openai import OpenAI

    client = OpenAI()


    def draft_reply(citizen):
        return client.responses.create(
            model="gpt-4o",
            input=f"Draft a reply about {citizen.kontanthjaelp_sag} and {citizen.misbrugsbehandling}",
        )
''')


def test_extend_rules_adds_categories_and_terms(tmp_path):
    """A municipality's own vocabulary: social-benefit cases (new category) and a Danish
    health term added to the built-in special category."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "kommune.toml").write_text(textwrap.dedent('''\
        [categories.social_benefits]
        label = "social benefit case"
        terms = ["kontanthjaelp sag", "boligstoette"]

        [categories.health]
        terms = ["misbrugsbehandling"]
    '''), encoding="utf-8")
    (tmp_path / "sag.py").write_text(MUNICIPALITY, encoding="utf-8")
    proc = run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()  # the built-in vocabulary knows neither
    _pyproject(tmp_path, 'extend-rules = ["rules/kommune.toml"]')
    proc = run_cli("check", "--output-format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr.decode()
    by_code = {f["code"]: f for f in json.loads(proc.stdout)}
    assert "citizen.kontanthjaelp_sag (social benefit case)" in by_code["GDPR001"]["data"]
    assert "social_benefits" in by_code["GDPR001"]["categories"]
    assert "health" in by_code["GDPR002"]["categories"]
    # the vocabulary file is part of the cache key: removing a term changes the answer
    (tmp_path / "rules" / "kommune.toml").write_text('[categories.social_benefits]\nterms = ["boligstoette"]\n')
    proc = run_cli("check", "--output-format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout.decode()


# ------------------------------------------------------------------ --fix interrupted


def _letters_tree(root: Path, n: int) -> dict[str, bytes]:
    files = {}
    for i in range(n):
        name = f"crm/m{i % 3}/letters_{i:03d}.py"
        text = LEAKY.replace("follow_up", f"letter_{i}").replace("the renewal", f"order {i}")
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        files[name] = text.encode()
    return files


def _fixed_versions(root: Path, originals: dict[str, bytes]) -> dict[str, bytes]:
    """What --fix writes for each file, computed in-process without writing."""
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.fix.runner import plan_fixes

    result = analyse_paths([root], _resolver(root), use_cache=False, jobs=1)
    outcome = plan_fixes(result, result.findings)
    fixed = {ff.display: ff.new for ff in outcome.files}
    assert set(fixed) == set(originals)
    return fixed


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_fix_interrupted_mid_write_leaves_every_file_old_or_new(tmp_path, sig):
    originals = _letters_tree(tmp_path, 12)
    fixed = _fixed_versions(tmp_path, originals)
    inodes = {name: (tmp_path / name).stat().st_ino for name in originals}
    proc = subprocess.Popen([*cli_command(), "check", "--fix", "--no-cache", "-j", "1", "-q", "."], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait until the first file has been replaced, then interrupt the writing
    deadline = 120
    import time

    start = time.monotonic()
    while proc.poll() is None and time.monotonic() - start < deadline:
        if any((tmp_path / n).stat().st_ino != ino for n, ino in inodes.items()):
            proc.send_signal(sig)
            break
        time.sleep(0.001)
    out, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err, err.decode()
    old = new = 0
    for name, original in originals.items():
        data = (tmp_path / name).read_bytes()
        assert data in (original, fixed[name]), name
        compile(data, name, "exec")
        old += data == original
        new += data == fixed[name]
    assert new >= 1  # the signal arrived while writing
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".gdpr-lint.tmp")]
    assert leftovers == []
    if proc.returncode not in (0, 1):  # interrupted before the end (not merely after the last write)
        assert proc.returncode == 130, (proc.returncode, err.decode())
        assert b"gdpr-lint: interrupted" in err
    # a second run finishes the job and fixes exactly the files left old
    proc = subprocess.run([*cli_command(), "check", "--fix", "--no-cache", "-q", "."], cwd=tmp_path, capture_output=True,
                          timeout=120)
    assert {n: (tmp_path / n).read_bytes() for n in originals} == fixed


@pytest.mark.parametrize("data", [
    b"name = 'Kunde'\n",
    "navn = 'Søren Ærø'\n".encode(),  # UTF-8 without a declaration
    b"\xef\xbb\xbfname = 'bom'\n",  # a BOM
    b"# -*- coding: latin-1 -*-\nnavn = 'S\xf8ren'\n",
    b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n",  # the cookie on line 2
    b"x = 1\ny = 2\n# the coding style guide\nz = 'S\xf8ren'\n",  # `coding` after line 2 is no cookie
    b"x = 'S\xf8ren'\n",  # not UTF-8 on line 1
    b"x = 1\ny = 2\nz = 3\nw = 'S\xf8ren'\n",  # not UTF-8 further down
    b"\xef\xbb\xbf# coding: latin-1\n",  # a BOM and another cookie
    b"# coding: klingon\n",
    b"",
])
def test_decoding_follows_pep_263_as_the_tokenizer_reads_it(data):
    """The decoder's shortcut for files without a BOM or cookie says what the tokenizer's
    encoding detection and the decoding would: the same text, or the same reason."""
    import io
    import tokenize

    from gdpr_lint.pipeline.source import SourceError, decode

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        expected = data.decode(encoding).removeprefix("\ufeff")
    except (SyntaxError, LookupError, UnicodeDecodeError):
        expected = None
    try:
        got = decode(data)
    except SourceError as exc:
        assert expected is None, exc
        if b"coding" not in data:
            assert str(exc).startswith("cannot decode as utf-8: invalid byte at offset ")
    else:
        assert got == expected


@pytest.mark.parametrize("variable", ["GDPR_LINT_BODY_LINES", "GDPR_LINT_WORKER_MEMORY_MB", "GDPR_LINT_UNIT_MEMORY_MB",
                                      "GDPR_LINT_UNIT_TIMEOUT", "GDPR_LINT_REWRITE_TIMEOUT"])
@pytest.mark.parametrize("value", ["150k", "nan", "1e999"])
def test_a_limit_in_the_environment_that_is_no_number_stops_the_run(tmp_path, variable, value):
    # a typo in a CI file's environment must not become a traceback, nor a silent default
    (tmp_path / "app.py").write_text(LEAKY, encoding="utf-8")
    env = {**os.environ, variable: value}
    fix = ["--fix"] if variable == "GDPR_LINT_REWRITE_TIMEOUT" else []  # (read by --fix)
    proc = subprocess.run([*cli_command(), "check", "--no-cache", *fix, "."], cwd=tmp_path, env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode == 2
    assert (tmp_path / "app.py").read_text(encoding="utf-8") == LEAKY
    assert proc.stderr.decode().strip().splitlines() == [
        f"gdpr-lint: error: environment variable {variable}: expected a "
        f"{'finite ' if value != '150k' else ''}number, got {value!r}"]
    assert not proc.stdout


@pytest.mark.parametrize("value", ["two", "0", "1.5", "-2"])
def test_a_number_of_workers_in_the_environment_that_is_no_whole_number_stops_the_run(tmp_path, value):
    # before, anything but digits was silently ignored (and 0 taken as 1)
    (tmp_path / "app.py").write_text(LEAKY, encoding="utf-8")
    env = {**os.environ, "GDPR_LINT_JOBS": value}
    proc = subprocess.run([*cli_command(), "check", "--no-cache", "."], cwd=tmp_path, env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == (
        "gdpr-lint: error: environment variable GDPR_LINT_JOBS: "
        + ("expected a number" if value == "two" else "expected a whole number of at least 1") + f", got {value!r}")


def test_a_number_of_workers_in_the_environment_is_used(tmp_path):
    (tmp_path / "app.py").write_text(LEAKY, encoding="utf-8")
    env = {**os.environ, "GDPR_LINT_JOBS": " 3 "}
    proc = subprocess.run([*cli_command(), "check", "--no-cache", "--output-format", "json", "."], cwd=tmp_path,
                          env=env, capture_output=True, timeout=120)
    assert proc.returncode == 1 and len(json.loads(proc.stdout)) == 1, proc.stderr.decode()


def test_the_progress_delay_in_the_environment_must_be_a_number(monkeypatch):
    # read only when stderr is a terminal; there a bad value used to be replaced by 1 s
    from gdpr_lint.config.environment import EnvironmentSettingError
    from gdpr_lint.pipeline.progress import progress_after

    monkeypatch.setenv("GDPR_LINT_PROGRESS_AFTER", "2.5")
    assert progress_after() == 2.5
    monkeypatch.setenv("GDPR_LINT_PROGRESS_AFTER", "-1")
    assert progress_after() == 0.0
    monkeypatch.setenv("GDPR_LINT_PROGRESS_AFTER", "soon")
    with pytest.raises(EnvironmentSettingError, match="GDPR_LINT_PROGRESS_AFTER: expected a number, got 'soon'"):
        progress_after()
