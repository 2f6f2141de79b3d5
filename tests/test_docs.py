"""The documentation works as written: every `gdpr-lint` command in the code blocks of
docs/ci.md and the README's CI snippets runs (exit 0 or 1, nothing on stderr but the
summary), the install instructions use a form pip accepts, and the pre-commit snippet
names hooks the repository ships."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import LEAKY, run_cli, write_files

REPO = Path(__file__).resolve().parents[1]
DOCS = (REPO / "docs" / "ci.md", REPO / "README.md")


def _code_blocks(path: Path) -> list[tuple[str, str]]:
    """(language, text) of every fenced code block, indented ones (in lists) included."""
    out = []
    for m in re.finditer(r"^( *)```(\w*)\n(.*?)^\1```", path.read_text(encoding="utf-8"), re.M | re.S):
        indent = len(m.group(1))
        out.append((m.group(2), "\n".join(line[indent:] for line in m.group(3).splitlines())))
    return out


def _shell_lines(path: Path) -> list[str]:
    """The shell commands of the yaml and console blocks (`- run: X`, `- X`, `$ X`)."""
    lines = []
    for lang, text in _code_blocks(path):
        if lang not in ("yaml", "console"):
            continue
        for line in text.splitlines():
            command = re.sub(r"^\s*(?:- run:|-|\$)\s+", "", line) if re.match(r"^\s*(?:- run:|-|\$)\s", line) \
                else line.strip() if lang == "console" else ""
            if command.startswith(("gdpr-lint ", "pip install ")):
                lines.append(command)
    return lines


def _gdpr_lint_commands(path: Path) -> list[list[str]]:
    return [shlex.split(c, comments=True) for c in _shell_lines(path) if c.startswith("gdpr-lint ")]


def test_the_snippets_have_commands_to_check():
    commands = _gdpr_lint_commands(REPO / "docs" / "ci.md")
    formats = {c[c.index("--output-format") + 1] for c in commands if "--output-format" in c}
    assert {"sarif", "github", "gitlab", "junit", "concise"} <= formats
    assert any(c[1] == "baseline" for c in commands)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_gdpr_lint_command_in_the_ci_snippets_runs_as_written(tmp_path, doc):
    root = write_files(tmp_path, {"crm/__init__.py": "", "crm/followup.py": LEAKY})
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", "."], cwd=root, check=True)
    commands = [c for c in _gdpr_lint_commands(doc) if c[1] in ("check", "baseline", "map", "calls")]
    if doc.name == "README.md":
        commands = [c for c in commands if "examples/clinic_app" not in c]  # the quick start: its own test
    assert commands
    for command in commands:  # in the order of the page: the baseline is written before it is used
        proc = run_cli(*command[1:], cwd=root)
        err = proc.stderr.decode()
        assert proc.returncode in (0, 1), (command, err)
        assert "error" not in err.lower() and "Usage:" not in err, (command, err)
        expected = 0 if {"--exit-zero", "--baseline", "--add-noqa"} & set(command) or command[1] == "baseline" else 1
        assert proc.returncode == expected, (command, proc.stdout.decode(), err)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_install_instructions_use_forms_that_work_today(doc):
    """Not `pip install gdpr-lint` (the name is not on the index): a checkout, or the git URL
    with the placeholders the reader fills in."""
    from packaging.requirements import Requirement

    installs = [c for c in _shell_lines(doc) if c.startswith("pip install ")]
    assert installs
    for line in installs:
        args = shlex.split(line, comments=True)[2:]
        args = args[:args.index("&&")] if "&&" in args else args
        if args in (["."], ["-e", ".[dev]"]):
            continue
        [spec] = args
        req = Requirement(spec)
        assert req.name == "gdpr-lint" and req.url == "git+https://github.com/OWNER/gdpr-lint@COMMIT", line


def test_the_pre_commit_snippet_names_shipped_hooks_and_a_commit():
    yaml = pytest.importorskip("yaml")
    shipped = {h["id"] for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    for doc in DOCS:
        configs = [yaml.safe_load(text) for lang, text in _code_blocks(doc) if lang == "yaml" and "repos:" in text]
        assert configs, doc.name
        for config in configs:
            [repo] = config["repos"]
            assert repo["repo"] == "https://github.com/OWNER/gdpr-lint"
            assert repo["rev"] == "COMMIT"  # a commit SHA the reader fills in: no tag exists yet
            assert {h["id"] for h in repo["hooks"]} <= shipped
