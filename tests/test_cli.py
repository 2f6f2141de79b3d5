"""The installed `gdpr-lint` command: exit codes (0 clean, 1 findings, 2 usage,
configuration or unanalysable files) and error paths. Every error is one line on
stderr naming the file and the problem; other files are still analysed; never a
traceback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from helpers import LEAKY, run_cli


CLEAN = """
from openai import OpenAI

client = OpenAI()


def faq(question):
    return client.responses.create(model="gpt-4o-mini", input=f"Answer briefly: {question}")
"""


def err_lines(proc) -> list[str]:
    text = proc.stderr.decode()
    assert "Traceback" not in text, text
    return [line for line in text.splitlines() if line.strip()]


def only_error(proc, *needles: str) -> str:
    lines = err_lines(proc)
    assert len(lines) == 1, lines
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_clean_project_exits_0(write):
    root = write({"shop/faq.py": CLEAN})
    proc = run_cli("check", cwd=root)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert proc.stdout.decode() == "Found 0 findings (1 file analysed).\n"


def test_findings_exit_1_and_exit_zero(write):
    root = write({"crm/followup.py": LEAKY})
    proc = run_cli("check", ".", cwd=root)
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert "crm/followup.py:7:12: GDPR001" in out
    assert "customer.email (email)" in out and "customer.name (name)" in out
    assert run_cli("check", ".", "--exit-zero", cwd=root).returncode == 0


def test_json_output_contract(write):
    root = write({"crm/followup.py": LEAKY})
    proc = run_cli("check", "--output-format", "json", cwd=root)
    assert proc.returncode == 1
    [f] = json.loads(proc.stdout)
    assert (f["code"], f["path"], f["line"], f["column"]) == ("GDPR001", "crm/followup.py", 7, 12)
    assert f["data"] == ["customer.email (email)", "customer.name (name)"]
    assert f["categories"] == ["email", "name"]
    assert f["severity"] == "medium" and f["confidence"] == "high"
    assert f["endpoint"] == "chat.completions.create" and f["flavour"] == "openai-v1"
    assert f["function"] == "follow_up"
    assert all({"path", "line", "column", "note"} == set(s) for s in f["flow"])
    assert f["flow"][-1]["note"].startswith("sent as `messages`")


def test_output_file(write, tmp_path):
    root = write({"crm/followup.py": LEAKY})
    proc = run_cli("check", "--output-format", "json", "-o", "report.json", cwd=root)
    assert proc.returncode == 1
    assert json.loads((root / "report.json").read_text())[0]["code"] == "GDPR001"


def test_unwritable_output_file_exits_2(write):
    root = write({"crm/followup.py": LEAKY})
    proc = run_cli("check", "-o", "no/such/dir/report.txt", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "no/such/dir/report.txt", "cannot write output")


def test_select_ignore_and_levels_on_the_command_line(write):
    root = write({"clinic/handover.py": """
        from openai import OpenAI

        client = OpenAI()


        def handover(patient, helper):
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"{patient.full_name}: {patient.diagnosis}"}])
            helper.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": patient.email}])
    """})

    def codes(*args):
        proc = run_cli("check", "--output-format", "json", *args, cwd=root)
        assert proc.returncode in (0, 1), proc.stderr.decode()
        return sorted((f["code"], f["line"]) for f in json.loads(proc.stdout))

    assert codes() == [("GDPR001", 7), ("GDPR001", 8), ("GDPR002", 7)]
    assert codes("--select", "GDPR002") == [("GDPR002", 7)]
    assert codes("--ignore", "GDPR001") == [("GDPR002", 7)]
    assert codes("--severity-level", "high") == [("GDPR002", 7)]
    assert codes("--confidence-level", "high") == [("GDPR001", 7), ("GDPR002", 7)]


def test_stdin_filename(write):
    root = write({"pyproject.toml": "[tool.gdpr-lint]\nignore = []\n"})
    proc = run_cli("check", "--stdin-filename", "crm/followup.py", "--output-format", "concise",
                   cwd=root, input=LEAKY.lstrip().encode())
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("crm/followup.py:7:12: GDPR001")


def test_version():
    from gdpr_lint import __version__

    proc = run_cli("--version", cwd=os.getcwd())
    assert proc.returncode == 0
    assert proc.stdout.decode().strip() == f"gdpr-lint {__version__}"
    mod = subprocess.run([sys.executable, "-m", "gdpr_lint", "--version"], capture_output=True)
    assert mod.returncode == 0 and mod.stdout.decode().strip() == f"gdpr-lint {__version__}"


# --- usage errors: exit 2 --------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("check", "--no-such-option"),
    ("check", "--output-format", "xml"),
    ("check", "--severity-level", "critical"),
    ("frobnicate",),
])
def test_usage_errors_exit_2(tmp_path, args):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr.decode()
    assert "Error" in proc.stderr.decode() or "error" in proc.stderr.decode()


def test_unknown_rule_code_on_command_line(write):
    root = write({"shop/faq.py": CLEAN})
    proc = run_cli("check", "--select", "GDPR999", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "GDPR999")


def test_rule_command(tmp_path):
    proc = run_cli("rule", "GDPR002", cwd=tmp_path)
    assert proc.returncode == 0 and "special-category" in proc.stdout.decode()
    proc = run_cli("rule", cwd=tmp_path)
    assert proc.returncode == 0
    assert [line.split()[0] for line in proc.stdout.decode().splitlines()] == [
        "GDPR001", "GDPR002", "GDPR003", "GDPR004", "GDPR010", "GDPR100"]
    proc = run_cli("rule", "GDPR999", cwd=tmp_path)
    assert proc.returncode == 2
    only_error(proc, "GDPR999")


# --- files that cannot be analysed: one line each, others still analysed, exit 2 -----------


def _with_leaky_neighbour(write, files):
    return write({"crm/followup.py": LEAKY, **files})


def _assert_one_bad_file(root, name, problem, *, args=(".",)):
    proc = run_cli("check", *args, "--output-format", "json", cwd=root)
    assert proc.returncode == 2, proc.stderr.decode()
    findings = json.loads(proc.stdout)
    assert [(f["code"], f["path"]) for f in findings] == [("GDPR001", "crm/followup.py")]
    only_error(proc, name, problem)
    proc = run_cli("check", *args, cwd=root)
    assert proc.returncode == 2
    assert "1 file could not be analysed" in proc.stdout.decode()


def test_syntax_error(write):
    # a file that may send a request must parse, or the run fails
    root = _with_leaky_neighbour(write, {"crm/broken.py": "import openai\n\ndef f(:\n    pass\n"})
    _assert_one_bad_file(root, "crm/broken.py", "syntax error at line 3")


# Syntax of a newer Python than the one running the tests: 3.12's (PEP 701 f-strings, PEP 695
# generics and `type`) under 3.11, 3.14's t-strings under 3.12 and 3.13.
NEWER_SYNTAX = [
    'def greeting(customer):\n    return f"Dear {customer["name"] + "\\n"}"\n',  # a backslash: not respelled
    'def greeting(customer):\n    return f"Dear {f"{customer["name"]}"}"\n',  # nested deeper than 3.11 can spell
    'def lines(rows):\n    return f"{"\\n".join(rows)}"\n',
    'def first[T](items: list[T]) -> T:\n    return items[0]\n',
    'type Rows = list[dict[str, str]]\n',
] if sys.version_info < (3, 12) else ['def greeting(customer):\n    return t"Dear {customer.name}"\n']


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="no syntax newer than this interpreter's to try")
@pytest.mark.parametrize("source", NEWER_SYNTAX)
def test_newer_python_syntax_says_which_python_is_needed_and_which_runs(write, source):
    root = _with_leaky_neighbour(write, {"crm/modern.py": "import openai\n\n" + source})
    with pytest.raises(SyntaxError):
        compile(source, "modern.py", "exec")  # the interpreter running the tests refuses it
    proc = run_cli("check", ".", "--output-format", "json", cwd=root)
    assert proc.returncode == 2
    assert [f["path"] for f in json.loads(proc.stdout)] == ["crm/followup.py"]
    v = sys.version_info
    only_error(proc, "crm/modern.py: syntax error at line ",
                     f"this file needs Python {v.major}.{v.minor + 1} or later",
                     f"gdpr-lint runs on Python {v.major}.{v.minor}.{v.micro} at ")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this interpreter reads Python 3.12 f-strings itself")
@pytest.mark.parametrize("quoted, findings", [
    ('f"Dear {customer["name"]}, your order"', 1),
    ("f'Dear {customer['name']}'", 1),
    ('f"{", ".join(c["email"] for c in customers)}"', 1),
    ('f"{"Hello"} {len(order["items"])} items"', 0),  # negative: nothing personal
])
def test_python_312_fstrings_reusing_their_quotes_are_analysed(write, quoted, findings):
    """PEP 701 f-strings reuse their quotes inside the braces; the file is read in the
    running Python's spelling (the inner quotes swapped, every position unchanged)."""
    source = (f"from openai import OpenAI\n\nclient = OpenAI()\n\n\ndef draft(customer, customers, order):\n"
              f"    text = {quoted}\n"
              f"    return client.responses.create(model=\"gpt-4o-mini\", input=text)\n")
    with pytest.raises(SyntaxError):
        compile(source, "modern.py", "exec")
    root = write({"crm/modern.py": source})
    proc = run_cli("check", ".", "--output-format", "json", cwd=root)
    assert proc.returncode == (1 if findings else 0), proc.stderr.decode()
    found = json.loads(proc.stdout)
    assert len(found) == findings
    for f in found:
        assert (f["line"], f["column"]) == (8, 12)  # positions are the file's own
        assert f["flow"][0]["line"] == 7


def test_a_plain_syntax_error_is_not_called_newer_syntax(write):
    from gdpr_lint.pipeline.newer_syntax import newer_python_note

    assert newer_python_note('x = f"{a"\ndef f(:\n    pass\n') is None
    assert newer_python_note("print 'hello'\n") is None
    # LibCST's native parser overflows its stack on this: it runs in a child, so the run goes on
    assert newer_python_note('y = f"{1}"\nx = ' + "(" * 50_000 + "1" + ")" * 50_000 + "\n") is None


def test_syntax_error_in_a_module_a_request_file_imports(write):
    root = _with_leaky_neighbour(write, {
        "crm/__init__.py": "",
        "crm/prompts.py": "def renewal(customer):\n    return f'Dear {customer.name'\n",
        "crm/renewals.py": "from openai import OpenAI\nfrom crm.prompts import renewal\n\n\n"
                           "def send(customer):\n    return OpenAI().responses.create(model='m', input=renewal(customer))\n",
    })
    proc = run_cli("check", "--output-format", "json", ".", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "crm/prompts.py", "syntax error at line 2")


BROKEN_BUT_UNRELATED = {
    "tools/py2_release.py": "print 'releasing'\n",  # a Python 2 script kept in the repository
    "crm/half_written.py": "def net_pay(employee:\n    return employee.salary\n",
}


def test_syntax_error_in_a_file_that_cannot_reach_a_request(write):
    # no request spelling, not imported by a file with one: no finding can come from it, so by
    # default it is not parsed (`syntax-check = "needed"`) and the verdict is the neighbour's
    root = _with_leaky_neighbour(write, BROKEN_BUT_UNRELATED)
    proc = run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=root)
    assert proc.returncode == 1, proc.stderr.decode()
    assert proc.stderr == b""
    assert [f["path"] for f in json.loads(proc.stdout)] == ["crm/followup.py"]
    # `--syntax-check all` (or the config key) compiles every file: each is reported, exit 2
    for args, cfg in ((["--syntax-check", "all"], None), ([], '[tool.gdpr-lint]\nsyntax-check = "all"\n')):
        if cfg:
            (root / "pyproject.toml").write_text(cfg)
        proc = run_cli("check", "--no-cache", *args, ".", cwd=root)
        assert proc.returncode == 2, proc.stderr.decode()
        err = proc.stderr.decode().splitlines()
        assert sorted(line.split(": ")[2] for line in err) == ["crm/half_written.py", "tools/py2_release.py"], err
        assert "2 files could not be analysed" in proc.stdout.decode()
    # and the command line wins over the config, as for every other key
    proc = run_cli("check", "--no-cache", "--syntax-check", "needed", ".", cwd=root)
    assert proc.returncode == 1 and proc.stderr == b""


def test_syntax_check_config_value_is_validated(write):
    root = write({"pyproject.toml": '[tool.gdpr-lint]\nsyntax-check = "some"\n', "crm/followup.py": LEAKY})
    proc = run_cli("check", ".", cwd=root)
    assert proc.returncode == 2
    assert 'syntax-check: expected "needed" or "all"' in proc.stderr.decode()


def test_undecodable_bytes(write):
    root = _with_leaky_neighbour(write, {})
    (root / "crm" / "latin.py").write_bytes(b"name = '\xe6\xf8\xe5'\n")
    _assert_one_bad_file(root, "crm/latin.py", "cannot decode")


def test_missing_path(write):
    root = _with_leaky_neighbour(write, {})
    _assert_one_bad_file(root, "crm/nope.py", "No such file", args=("crm", "crm/nope.py"))


def test_fifo_named_like_a_python_file(write):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    root = _with_leaky_neighbour(write, {})
    os.mkfifo(root / "crm" / "pipe.py")
    _assert_one_bad_file(root, "crm/pipe.py", "not a regular file")
    _assert_one_bad_file(root, "crm/pipe.py", "not a regular file", args=("crm/followup.py", "crm/pipe.py"))


def test_socket_named_like_a_python_file(write):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets on this platform")
    root = _with_leaky_neighbour(write, {})
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(root / "crm" / "agent.py"))  # (a path a socket can bind: the tmp folder's is short)
        _assert_one_bad_file(root, "crm/agent.py", "not a regular file")
        _assert_one_bad_file(root, "crm/agent.py", "not a regular file", args=("crm/followup.py", "crm/agent.py"))


def test_a_file_that_grows_while_read_is_read_to_its_end(tmp_path, monkeypatch):
    """The size fstat gives is a first guess: a file written meanwhile is read to its end."""
    from gdpr_lint.pipeline import source

    path = tmp_path / "notes.py"
    path.write_bytes(b"x = 1\n")
    real_fstat = os.fstat

    def fstat_then_append(fd):
        st = real_fstat(fd)
        with open(path, "ab") as fh:
            fh.write(b"customer = load()\n" * 5000)
        return st

    monkeypatch.setattr(source.os, "fstat", fstat_then_append)
    assert source.read_bytes(path) == b"x = 1\n" + b"customer = load()\n" * 5000


def test_unreadable_file(write):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads files regardless of permissions (covered by the FIFO test)")
    root = _with_leaky_neighbour(write, {"crm/secret.py": "x = 1\n"})
    (root / "crm" / "secret.py").chmod(0)
    try:
        _assert_one_bad_file(root, "crm/secret.py", "permission denied")
    finally:
        (root / "crm" / "secret.py").chmod(0o644)


def test_unreadable_folder(write):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root lists folders regardless of permissions")
    root = _with_leaky_neighbour(write, {"crm/private/a.py": "x = 1\n"})
    (root / "crm" / "private").chmod(0)
    try:
        _assert_one_bad_file(root, "crm/private", "cannot")
    finally:
        (root / "crm" / "private").chmod(0o755)


def test_broken_symlink(write):
    root = _with_leaky_neighbour(write, {})
    os.symlink(root / "crm" / "gone.py", root / "crm" / "link.py")
    _assert_one_bad_file(root, "crm/link.py", "broken symbolic link")


def test_calls_command_exit_codes(write):
    root = write({"crm/followup.py": LEAKY})
    assert run_cli("calls", cwd=root).returncode == 0  # an inventory, not a gate
    (root / "crm" / "broken.py").write_text("import openai\nclass :\n")
    proc = run_cli("calls", cwd=root)
    assert proc.returncode == 2
    only_error(proc, "crm/broken.py", "syntax error")
    assert "crm/followup.py:7:12: chat.completions.create" in proc.stdout.decode()


def test_fix_instruction_names_the_hook_under_pre_commit(tmp_path, monkeypatch):
    from gdpr_lint.fix.instruction import fix_instruction

    monkeypatch.delenv("PRE_COMMIT", raising=False)
    assert fix_instruction() == "`gdpr-lint check --fix`"
    assert fix_instruction("crm/ai.py") == "`gdpr-lint check --fix crm/ai.py`"
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert fix_instruction("crm/ai.py") == (
        "the `gdpr-lint-fix` pre-commit hook (`pre-commit run gdpr-lint-fix --files crm/ai.py`)")


def test_a_reader_closing_the_pipe_early_stops_the_run_quietly(write):
    # `gdpr-lint check . | head -3` on a report far larger than a pipe's buffer
    from helpers import cli_command

    many = "\n".join(f"def follow_up_{i}(customer):\n"
                     f"    return client.responses.create(model='gpt-4o', input=customer.email)\n" for i in range(600))
    root = write({"crm.py": f"from openai import OpenAI\n\nclient = OpenAI()\n\n{many}"})
    proc = subprocess.Popen([*cli_command(), "check", "--no-cache", "."], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert first.startswith(b"crm.py:")
    assert err == "", err  # no traceback, no "internal error", no "Exception ignored"
