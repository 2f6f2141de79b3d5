"""A class's instance store (`self.x = ...` outside the initialisers) is collected only from
methods whose text can spell such an assignment (analysis/program/classes.py). Every way of
spelling one must still be found; methods that only read or compare are skipped, with the
same findings as an exhaustive run."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write_files
from gdpr_lint.config.settings import ConfigResolver
from gdpr_lint.pipeline.engine import analyse_paths

STORES = {
    "plain": "self.note = customer.email",
    "spaced": "self . note = customer.email",
    "annotated": "self.note: str = customer.email",
    "parenthesised": "(self.note) = customer.email",
    "chained": "first = self.note = customer.email",
    "continued": "self.note = \\\n            customer.email",
    "other-name": "this.note = customer.email",
}


def _app(root: Path, store: str) -> Path:
    first = "this" if store.startswith("this.") else "self"
    return write_files(root, {
        "app/__init__.py": "",
        "app/mailer.py": f'''
            from openai import OpenAI


            class Mailer:
                def __init__(self):
                    self.client = OpenAI()
                    self.note = ""

                def remember({first}, customer):
                    if customer is not None:
                        {store}

                def is_known(self, customer):
                    return self.note == customer.email

                def send(self):
                    return self.client.responses.create(model="gpt-4o-mini", input=self.note)
            ''',
    })


def _findings(root: Path, exhaustive: bool) -> set:
    result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1, exhaustive=exhaustive)
    assert not result.errors, result.errors
    return {(f.code, f.path, f.span.line, tuple(sorted(f.data))) for f in result.findings}


@pytest.mark.parametrize("how", sorted(STORES))
def test_every_spelling_of_a_store_is_collected(tmp_path: Path, how: str) -> None:
    root = _app(tmp_path / how, STORES[how])
    fast = _findings(root, exhaustive=False)
    assert any("customer.email" in d for *_rest, data in fast for d in data), fast
    assert fast == _findings(root, exhaustive=True)


def test_reads_and_comparisons_store_nothing(tmp_path: Path) -> None:
    root = _app(tmp_path, "pass  # self.note == customer.email is no store")
    assert _findings(root, exhaustive=False) == _findings(root, exhaustive=True) == set()
