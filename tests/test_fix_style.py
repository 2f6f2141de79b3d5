"""The fix follows the project's line length: a wrapper that would make a line longer
than Ruff's or Black's configured `line-length` (88 when none is set) is written one
argument per line, as those formatters would write it."""

from __future__ import annotations

import ast
import textwrap

import pytest
from helpers import run_cli

from gdpr_lint.fix import style

APP = '''
from openai import OpenAI

client = OpenAI()


class Letters:
    def follow_up(self, customer):
        reply = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"Write to {customer.name} <{customer.email}>"}],
        )
        return reply.choices[0].message.content


def embed(full_name):
    e = client.embeddings.create(input=full_name)
    return e.data[0].embedding
'''


def _fix(root, config: dict[str, str]):
    for name, text in config.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "letters.py").write_text(textwrap.dedent(APP).lstrip(), encoding="utf-8")
    style._line_length_in.cache_clear()
    proc = run_cli("check", "--fix", "--no-cache", "letters.py", cwd=root)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    fixed = (root / "letters.py").read_text(encoding="utf-8")
    ast.parse(fixed)
    again = run_cli("check", "--fix", "--no-cache", "letters.py", cwd=root)
    assert b"No fixes applied." in again.stdout
    assert (root / "letters.py").read_text(encoding="utf-8") == fixed
    return fixed


WRAPPED = '''        reply = protect(
            client.chat.completions.create,
            known={"name": [customer.name], "email": [customer.email]},
        )(
            model="gpt-4o-mini",'''
ONE_LINE = '''        reply = protect(client.chat.completions.create, known={"name": [customer.name], "email": [customer.email]})(
            model="gpt-4o-mini",'''
SHORT = '''    e = protect(client.embeddings.create, known={"name": [full_name]})(input=full_name)'''  # 87


def test_no_configuration_wraps_at_88(tmp_path):
    fixed = _fix(tmp_path, {})
    assert WRAPPED in fixed  # 116 characters on one line
    assert SHORT in fixed  # 87 characters: stays on its line


def test_ruff_line_length_keeps_it_on_one_line(tmp_path):
    fixed = _fix(tmp_path, {"pyproject.toml": "[project]\nname = 'letters'\n\n[tool.ruff]\nline-length = 120\n"})
    assert ONE_LINE in fixed and SHORT in fixed


@pytest.mark.parametrize("config", [
    {"pyproject.toml": "[tool.black]\nline-length = 100\n"},
    {"ruff.toml": "line-length = 100\n"},
    {".ruff.toml": "line-length = 100\n", "pyproject.toml": "[tool.ruff]\nline-length = 200\n"},
])
def test_black_and_ruff_files_are_read(tmp_path, config):
    fixed = _fix(tmp_path, config)
    assert WRAPPED in fixed and SHORT in fixed  # 116 and 87 characters against 100


def test_line_length_lookup(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 79\n", encoding="utf-8")
    pkg = tmp_path / "svc" / "app"
    pkg.mkdir(parents=True)
    (pkg / "m.py").write_text("", encoding="utf-8")
    style._line_length_in.cache_clear()
    assert style.line_length_for(pkg / "m.py") == 79  # the nearest file up to the repository root
    (tmp_path / "svc" / "ruff.toml").write_text("line-length = 110\n", encoding="utf-8")
    style._line_length_in.cache_clear()
    assert style.line_length_for(pkg / "m.py") == 110
    (tmp_path / "svc" / "ruff.toml").write_text("line-length = 'wide'\n", encoding="utf-8")
    style._line_length_in.cache_clear()
    assert style.line_length_for(pkg / "m.py") == 79  # not a number: the next setting counts
    outside = tmp_path / "sub" / "repo"
    (outside / ".git").mkdir(parents=True)
    style._line_length_in.cache_clear()
    assert style.line_length_for(outside / "x.py") == 88  # above a repository's root: not its settings
