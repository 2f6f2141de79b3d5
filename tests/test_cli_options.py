"""The command line as Ruff and Bandit users expect it: `-` for standard input, `-v`,
warnings for runs that check nothing, Bandit's `all` levels, colour (`--color`,
NO_COLOR, FORCE_COLOR), the closing line with what is fixable, `--show-fixes`,
`--exclude` / `--extend-exclude`, `--show-files`, `--show-settings`, `--add-noqa`,
code frames of very long lines, and "Did you mean" without hidden options."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from helpers import LEAKY, cli_command, run_cli

ANSI = re.compile(r"\x1b\[[0-9;]*m")

# two leaks in one module (one call, GDPR001 + GDPR002), one unfixable (legacy API), and a clean file
CLINIC = {
    "clinic/__init__.py": "",
    "clinic/handover.py": '''
from openai import OpenAI

client = OpenAI()


def handover(patient):
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"{patient.full_name}: {patient.diagnosis}"}],
    )
''',
    "clinic/legacy.py": '''
import openai


def old_summary(patient):
    return openai.ChatCompletion.create(model="gpt-4", messages=[{"role": "user", "content": patient.email}])
''',
    "clinic/util.py": "WEEKDAYS = 7\n",
}


def _run(root, *args, env=None, input=None):
    return subprocess.run([*cli_command(), *args], cwd=root, capture_output=True, timeout=300, input=input,
                          env={**os.environ, **(env or {})})


def _codes(proc) -> list[tuple[str, str]]:
    return sorted((f["code"], f["path"]) for f in json.loads(proc.stdout))


def _no_traceback(proc) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    return err


# ------------------------------------------------------------------ the closing line


def test_closing_line_counts_files_with_findings_and_files_analysed_and_says_what_is_fixable(write):
    root = write(CLINIC)
    proc = run_cli("check", ".", cwd=root)
    assert proc.returncode == 1
    tail = proc.stdout.decode().splitlines()[-2:]
    assert tail == ["Found 3 findings in 2 files (4 files analysed).", "2 fixable with `gdpr-lint check --fix`."]
    # concise output has the same closing lines
    out = run_cli("check", ".", "--output-format", "concise", cwd=root).stdout.decode()
    assert out.splitlines()[-2:] == tail
    # nothing fixable: no fixable line
    proc = run_cli("check", "clinic/legacy.py", cwd=root)
    assert proc.stdout.decode().splitlines()[-1] == "Found 1 finding in 1 file (1 file analysed)."


def test_closing_line_of_a_clean_run(write):
    root = write({"clinic/util.py": "WEEKDAYS = 7\n", "clinic/more.py": "X = 1\n"})
    proc = run_cli("check", ".", cwd=root)
    assert proc.returncode == 0 and proc.stdout.decode() == "Found 0 findings (2 files analysed).\n"


# ------------------------------------------------------------------ --show-fixes


def test_show_fixes_shows_the_rewrite_under_each_fixable_finding(write):
    root = write(CLINIC)
    proc = run_cli("check", ".", "--show-fixes", cwd=root)
    assert proc.returncode == 1
    out = proc.stdout.decode()
    block = out.split("clinic/handover.py:7:12: GDPR001")[1].split("\n\n")[0]
    assert "  fix:\n    +from gdpr_lint.runtime import protect\n    -    return client.chat.completions.create(\n" \
           "    +    return protect(\n    +        client.chat.completions.create,\n    +        known=" in block
    assert (root / "clinic" / "handover.py").read_text() == CLINIC["clinic/handover.py"].lstrip("\n")  # nothing written
    legacy = out.split("clinic/legacy.py:5:12: GDPR001")[1].split("\n\n")[0]
    assert "fix:" not in legacy and "help:" in legacy
    assert "fix:" not in run_cli("check", ".", cwd=root).stdout.decode()  # only when asked


def test_fix_with_show_fixes_lists_what_was_fixed(write):
    root = write(CLINIC)
    proc = run_cli("check", ".", "--fix", "--show-fixes", cwd=root)
    out = proc.stdout.decode()
    assert proc.returncode == 1, out  # the legacy call is left
    assert "Fixed 2 findings:\n- clinic/handover.py:\n    1 × GDPR001 (personal-data-to-openai)\n" \
           "    1 × GDPR002 (special-category-data-to-openai)\n" in out
    assert "protect(" in (root / "clinic" / "handover.py").read_text()


# ------------------------------------------------------------------ colour


def _frame_has_colour(proc) -> bool:
    return "\x1b[" in proc.stdout.decode()


def test_colour_follows_color_option_no_color_and_force_color(write):
    root = write({"crm/followup.py": LEAKY})
    plain = _run(root, "check", ".")
    assert not _frame_has_colour(plain)  # a pipe: no colour by default
    coloured = _run(root, "check", ".", "--color", "always")
    out = coloured.stdout.decode()
    assert "\x1b[1mcrm/followup.py\x1b[0m" in out  # the path bold
    assert "\x1b[31m\x1b[1mGDPR001\x1b[0m" in out  # the code bold red
    assert "\x1b[33mmedium severity\x1b[0m" in out  # the severity by level
    assert ANSI.sub("", out) == plain.stdout.decode()  # the same text underneath
    assert _frame_has_colour(_run(root, "check", ".", env={"FORCE_COLOR": "1"}))
    assert not _frame_has_colour(_run(root, "check", ".", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}))
    assert not _frame_has_colour(_run(root, "check", ".", "--color", "never", env={"FORCE_COLOR": "1"}))
    assert _frame_has_colour(_run(root, "check", ".", "--color", "always", env={"NO_COLOR": "1"}))
    # never in machine-readable formats or files
    assert not _frame_has_colour(_run(root, "check", ".", "--output-format", "json", "--color", "always"))
    _run(root, "check", ".", "-o", "report.txt", env={"FORCE_COLOR": ""})
    assert "\x1b[" not in (root / "report.txt").read_text()


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_colour_on_a_terminal_by_default(write):
    import pty

    root = write({"crm/followup.py": LEAKY})
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    try:
        proc = subprocess.run([*cli_command(), "check", "."], cwd=root, stdout=slave, stderr=subprocess.PIPE,
                              env=env, timeout=300)
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.returncode == 1
    assert b"\x1b[31m\x1b[1mGDPR001" in b"".join(chunks)


# ------------------------------------------------------------------ very long lines


def test_a_very_long_line_is_cut_around_the_column_in_the_code_frame(write):
    filler = "x" * 100_000
    root = write({"gen/bundle.py": f'''
from openai import OpenAI

client = OpenAI()


def f(customer):
    pad = "{filler}"; return client.chat.completions.create(model="m", messages=[{{"role": "user", "content": customer.email}}])
'''})
    proc = run_cli("check", ".", cwd=root)
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    assert max(len(line) for line in lines) < 1000
    [frame] = [line for line in lines if line.startswith(" 7 | ")]
    [caret] = [line for line in lines if line.strip().endswith("^") and line.strip().startswith("|")]
    code = frame[len(" 7 | "):]
    assert code.startswith("…") and code.endswith("customer.email}])")  # cut before, whole after
    assert code[caret.index("^") - len(" 7 | ")] == "c"  # the caret under `client`
    assert "client.chat.completions.create" in code


@pytest.mark.parametrize("breaker", ["\f", "\x0b", "\x1c", "\u2028", "\x85"])
def test_lines_are_counted_as_python_counts_them(write, breaker):
    # characters `str.splitlines` breaks at and Python's parser does not (a form feed page
    # break, a line separator in a string): the line shown, and the column of a call after
    # non-ASCII text, are those of the line the parser names
    root = write({"crm/mail.py": f'''
from openai import OpenAI

client = OpenAI()
NOTE = "Kære kunde{breaker}Venlig hilsen"


def følg_op(kunde):
    svar = "æ"; return client.chat.completions.create(model="m", messages=[{{"role": "user", "content": kunde.email}}])
'''})
    proc = run_cli("check", ".", "--output-format", "json", cwd=root)
    assert proc.returncode == 1, proc.stderr.decode()
    [finding] = json.loads(proc.stdout)
    assert finding["line"] == 8 and finding["column"] == 24  # `client`, counted in characters
    proc = run_cli("check", ".", cwd=root)
    [frame] = [line for line in proc.stdout.decode().splitlines() if line.startswith(" 8 | ")]
    assert frame.endswith("kunde.email}])") and "svar" in frame


def test_frame_line_window():
    from gdpr_lint.report.text import MAX_FRAME_WIDTH, frame_line

    assert frame_line("short", 3) == ("short", 3)
    line = "a" * 10 + "X" + "b" * 1000
    shown, caret = frame_line(line, 11)  # near the start: cut at the end only
    assert shown[caret - 1] == "X" and not shown.startswith("…") and shown.endswith("…")
    line = "a" * 1000 + "X" + "b" * 10
    shown, caret = frame_line(line, 1001)  # near the end: cut at the start only
    assert shown[caret - 1] == "X" and shown.startswith("…") and not shown.endswith("…")
    assert len(shown) == MAX_FRAME_WIDTH + 1


# ------------------------------------------------------------------ standard input as `-`


def test_dash_reads_standard_input(write):
    root = write({"pyproject.toml": "[tool.gdpr-lint]\n"})
    source = LEAKY.lstrip().encode()
    proc = run_cli("check", "-", "--output-format", "concise", cwd=root, input=source)
    assert proc.returncode == 1, proc.stderr.decode()
    assert proc.stdout.decode().startswith("-:7:12: GDPR001")
    proc = run_cli("check", "-", "--stdin-filename", "crm/followup.py", "--output-format", "concise", cwd=root,
                   input=source)
    assert proc.returncode == 1 and proc.stdout.decode().startswith("crm/followup.py:7:12: GDPR001")
    # with --fix the fixed source goes to standard output, as Ruff does
    proc = run_cli("check", "-", "--fix", cwd=root, input=source)
    assert b"protect(\n        client.chat.completions.create,\n" in proc.stdout and proc.returncode == 0, \
        proc.stderr.decode()


# ------------------------------------------------------------------ runs that check nothing


def test_a_folder_without_python_files_warns(write):
    root = write({"docs/index.md": "# docs\n", "src/app.py": "X = 1\n"})
    proc = run_cli("check", "docs", cwd=root)
    assert proc.returncode == 0
    assert _no_traceback(proc).strip() == "gdpr-lint: warning: no Python files found in docs"
    assert run_cli("check", "docs", "-q", cwd=root).stderr == b""
    assert run_cli("check", "src", cwd=root).stderr == b""
    for command in ("calls", "map"):
        assert "no Python files found in docs" in run_cli(command, "docs", cwd=root).stderr.decode()


def test_map_refuses_a_missing_path_and_writes_nothing(write):
    root = write({"crm/followup.py": LEAKY})
    proc = run_cli("map", "crm", "no_such_dir", "-o", "map.md", cwd=root)
    assert proc.returncode == 2
    assert _no_traceback(proc).splitlines() == ["gdpr-lint: error: no_such_dir: No such file or directory",
                                                "gdpr-lint: error: map not written to map.md: 1 path given does not exist"]
    assert not (root / "map.md").exists()
    proc = run_cli("map", "no_such_dir", cwd=root)
    assert proc.returncode == 2 and proc.stdout == b""


# ------------------------------------------------------------------ Bandit's levels


def test_severity_and_confidence_level_all(write):
    root = write(CLINIC)
    everything = _codes(run_cli("check", ".", "--output-format", "json", cwd=root))
    assert len(everything) == 3
    for option in ("--severity-level", "--confidence-level"):
        assert _codes(run_cli("check", ".", "--output-format", "json", option, "all", cwd=root)) == everything
    assert _codes(run_cli("check", ".", "--output-format", "json", "--severity-level", "high", cwd=root)) == [
        ("GDPR002", "clinic/handover.py")]


# ------------------------------------------------------------------ -v


def test_verbose_says_which_settings_which_files_and_how_long(write):
    root = write({**CLINIC, "pyproject.toml": "[tool.gdpr-lint]\nignore = []\n"})
    proc = run_cli("check", ".", "-v", "--no-cache", "--output-format", "json", cwd=root)
    assert proc.returncode == 1
    err = _no_traceback(proc).splitlines()
    assert "gdpr-lint: settings from pyproject.toml for 4 files" in err
    assert "gdpr-lint: 4 files read, 2 analysed as entry files (0 from the cache)" in err
    assert "gdpr-lint: analysed clinic/handover.py" in err and "gdpr-lint: analysed clinic/legacy.py" in err
    assert re.fullmatch(r"gdpr-lint: done in \d+\.\d\d s", err[-1])
    json.loads(proc.stdout)  # the report is untouched
    run_cli("check", ".", cwd=root)  # fill the cache
    err = run_cli("check", ".", "-v", cwd=root).stderr.decode()
    assert "(2 from the cache)" in err and "gdpr-lint: analysed clinic/handover.py (cached)" in err
    assert run_cli("check", ".", cwd=root).stderr == b""  # nothing without -v


# ------------------------------------------------------------------ --exclude, --show-files, --show-settings


def test_exclude_and_extend_exclude_on_the_command_line(write):
    root = write({**CLINIC, "pyproject.toml": '[tool.gdpr-lint]\nextend-exclude = ["clinic/util.py"]\n'})

    def files(*args):
        proc = run_cli("check", ".", "--show-files", *args, cwd=root)
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout.decode().split()

    assert files() == ["clinic/__init__.py", "clinic/handover.py", "clinic/legacy.py"]
    assert files("--extend-exclude", "legacy.py") == ["clinic/__init__.py", "clinic/handover.py"]
    assert files("--extend-exclude", "clinic/legacy.py,__init__.py") == ["clinic/handover.py"]
    # --exclude replaces the configured `exclude` (the defaults too); extend-exclude stays
    assert files("--exclude", "handover.py") == ["clinic/__init__.py", "clinic/legacy.py"]
    # a pattern with '/' is relative to the working directory, also below a config's folder
    sub = root / "clinic"
    proc = run_cli("check", ".", "--show-files", "--extend-exclude", "legacy.py", cwd=sub)
    assert proc.stdout.decode().split() == ["__init__.py", "handover.py"]
    proc = run_cli("check", "--output-format", "json", "--extend-exclude", "clinic/legacy.py", cwd=root)
    assert _codes(proc) == [("GDPR001", "clinic/handover.py"), ("GDPR002", "clinic/handover.py")]


def test_show_settings(write):
    root = write({**CLINIC, "pyproject.toml": '[tool.gdpr-lint]\nextend-select = ["GDPR010"]\n'
                                              'sinks = [{ function = "clinic.llm.ask", content = ["prompt"] }]\n'
                                              '[tool.gdpr-lint.map]\npurpose = "Handover notes"\n'})
    proc = run_cli("check", ".", "--show-settings", "--ignore", "GDPR003", cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode().splitlines()
    assert lines[0] == "Resolved settings for: clinic/__init__.py (and 3 more files)"
    assert lines[1] == "Settings path: pyproject.toml"
    assert 'select = ["GDPR001", "GDPR002", "GDPR003", "GDPR004", "GDPR100", "GDPR010"]' in lines
    assert 'ignore = ["GDPR003"]' in lines
    assert 'sinks = [{"function": "clinic.llm.ask", "content": ["prompt"], "identity": []}]' in lines
    assert 'map = {"purpose": "Handover notes"}' in lines
    assert not (root / ".gdpr_lint_cache").exists()  # nothing was analysed


# ------------------------------------------------------------------ --add-noqa


def test_add_noqa_suppresses_every_finding_with_the_reason(write):
    root = write({**CLINIC, "clinic/wrapped.py": '''
from openai import OpenAI

client = OpenAI()


def notes(patient):
    text = """Notes
    for the ward"""; reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": patient.email}])
    return reply
''', "clinic/headers.py": '''
from openai import OpenAI

client = OpenAI()


def stream(patient):
    for chunk in client.chat.completions.create(model="m", stream=True,
                                                messages=[{"role": "user", "content": patient.email}]):
        yield chunk
'''})
    before = _codes(run_cli("check", ".", "--output-format", "json", cwd=root))
    assert len(before) == 5
    proc = run_cli("check", ".", "--add-noqa", "--noqa-reason", "DPIA-2024-07: accepted until the Q3 rewrite", cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr.decode().strip() == "Added 4 suppression comments for 5 findings in 4 files."
    handover = (root / "clinic" / "handover.py").read_text()
    assert ("def handover(patient):\n"
            "    # gdpr-lint: ignore[GDPR001, GDPR002] DPIA-2024-07: accepted until the Q3 rewrite\n"
            "    return client.chat.completions.create(\n") in handover
    assert "    # gdpr-lint: ignore[GDPR001] DPIA-2024-07" in (root / "clinic" / "headers.py").read_text()
    for name in ("handover.py", "legacy.py", "wrapped.py", "headers.py"):
        compile((root / "clinic" / name).read_text(), name, "exec")
    after = run_cli("check", ".", "--output-format", "sarif", cwd=root)
    assert after.returncode == 0, after.stdout.decode()
    results = json.loads(after.stdout)["runs"][0]["results"]
    assert len(results) == 5
    assert {r["suppressions"][0]["justification"] for r in results} == {"DPIA-2024-07: accepted until the Q3 rewrite"}
    # a second run finds nothing to add
    proc = run_cli("check", ".", "--add-noqa", cwd=root)
    assert proc.returncode == 0 and "Added 0 suppression comments" in proc.stderr.decode()


def test_add_noqa_default_reason_crlf_and_bad_use(write):
    root = write({"crm/followup.py": ""})
    (root / "crm" / "followup.py").write_bytes(LEAKY.lstrip().replace("\n", "\r\n").encode())
    proc = run_cli("check", ".", "--add-noqa", cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    data = (root / "crm" / "followup.py").read_bytes()
    assert b"    # gdpr-lint: ignore[GDPR001] existing finding when gdpr-lint was adopted; review it\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    for args, message in [(("--add-noqa", "--fix"), "--add-noqa cannot be combined with --fix or --diff"),
                          (("--noqa-reason", "x"), "--noqa-reason needs --add-noqa"),
                          (("--add-noqa", "--noqa-reason", "two\nlines"), "--noqa-reason: the reason must be one line"),
                          (("--add-noqa", "-"), "--add-noqa cannot rewrite standard input")]:
        proc = run_cli("check", *args, cwd=root, input=b"")
        assert proc.returncode == 2 and _no_traceback(proc).strip() == f"gdpr-lint: error: {message}"


# ------------------------------------------------------------------ usage


def test_did_you_mean_does_not_suggest_hidden_options(tmp_path):
    proc = run_cli("check", "--no-prefilte", cwd=tmp_path)
    err = _no_traceback(proc)
    assert proc.returncode == 2 and "No such option '--no-prefilte'" in err
    assert "--no-prefilter" not in err
    proc = run_cli("check", "--no-cach", cwd=tmp_path)
    assert "Did you mean '--no-cache'?" in proc.stderr.decode()
    assert "--no-prefilter" not in run_cli("check", "--help", cwd=tmp_path).stdout.decode()


def test_rule_list_says_opt_in_once(tmp_path):
    proc = run_cli("rule", cwd=tmp_path)
    assert proc.returncode == 0
    lines = proc.stdout.decode().splitlines()
    assert all(line.count("opt-in") <= 1 for line in lines), lines
    assert [line.split()[0] for line in lines if "opt-in" in line] == ["GDPR010"]
