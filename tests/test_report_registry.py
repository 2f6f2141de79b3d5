"""One registry of output formats (gdpr_lint/report/__init__.py): every formatter
has the same signature, and each command offers exactly its registered formats."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from gdpr_lint.cli.commands import main
from gdpr_lint.report import FORMATS, formats, formatter, render
from gdpr_lint.report.context import Report, ReportContext

ALL = [(command, fmt) for command, table in FORMATS.items() for fmt in table]


@pytest.mark.parametrize(("command", "fmt"), ALL, ids=[f"{c}-{f}" for c, f in ALL])
def test_every_formatter_takes_one_report(command, fmt):
    params = list(inspect.signature(formatter(command, fmt)).parameters.values())
    assert [p.name for p in params] == ["report"]


@pytest.mark.parametrize("command", ["check", "calls", "map"])
def test_cli_offers_the_registered_formats(command):
    option = next(p for p in main.commands[command].params if p.name == "output_format")
    assert list(option.type.choices) == formats(command)
    assert option.default == formats(command)[0]


@pytest.mark.parametrize(("command", "fmt"), [a for a in ALL if a[0] != "map"],
                         ids=[f"{c}-{f}" for c, f in ALL if c != "map"])
def test_an_empty_run_renders(command, fmt):
    text = render(command, fmt, Report(ReportContext(cwd=Path.cwd())))
    assert isinstance(text, str)
