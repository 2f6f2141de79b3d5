"""Files whose only request spellings are receiver words (`.files`, `.models`,
`.invoke(`) are analysed only when a module they can reach could make an OpenAI client
or a LangChain model (gdpr_lint/pipeline/reach.py). Skipping the others must lose nothing: every
way a view can get hold of the model is checked against an exhaustive run, and the
cache must notice when a reachable module starts making a model.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helpers import SHOP_WITHOUT_OPENAI, write_files
from gdpr_lint.config.settings import ConfigResolver
from gdpr_lint.pipeline.engine import analyse_paths
from gdpr_lint.pipeline.prefilter import may_matter, origin_trigger
from gdpr_lint.analysis.program.project import Project
from gdpr_lint.pipeline.reach import imported_names, may_reach_request
from gdpr_lint.pipeline.source import read_source
from gdpr_lint.analysis.vocabulary import default_vocabulary

LLM_SETUP = '''
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model="gpt-4o-mini")
    '''

# A support view that sends a customer's e-mail through the model, reached six ways.
# None of these files spells OpenAI, LangChain or a guessable resource: only `.invoke(`.
HOW_THE_VIEW_GETS_THE_MODEL = {
    "from-import": ("from support.llm_setup import llm", "llm"),
    "import-as": ("import support.llm_setup as setup", "setup.llm"),
    "package-attribute": ("import support.llm_setup\nimport support", "support.llm_setup.llm"),
    "from-package-import-module": ("from support import llm_setup", "llm_setup.llm"),
    "relative": ("from .llm_setup import llm", "llm"),
    "through-a-service": ("from support.services import model", "model"),
}


def _support_app(root: Path, import_line: str, model_expr: str) -> Path:
    return write_files(root, {
        "support/__init__.py": "",
        "support/llm_setup.py": LLM_SETUP,
        "support/services.py": "from support.llm_setup import llm as model\n",
        "support/views.py": f'''
            {import_line.replace(chr(10), chr(10) + " " * 12)}


            def draft_reply(ticket):
                customer = ticket.customer
                prompt = f"Write to {{customer.email}} about ticket {{ticket.number}}."
                return {model_expr}.invoke(prompt).content
            ''',
    })


def _findings(root: Path, *, exhaustive: bool, use_cache: bool = False) -> set:
    result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=use_cache, jobs=1, exhaustive=exhaustive)
    assert not result.errors, result.errors
    return {(f.code, f.path, f.span.line, tuple(sorted(f.data))) for f in result.findings}


@pytest.mark.parametrize("how", sorted(HOW_THE_VIEW_GETS_THE_MODEL))
def test_model_reached_through_imports_is_still_analysed(tmp_path: Path, how: str) -> None:
    import_line, model_expr = HOW_THE_VIEW_GETS_THE_MODEL[how]
    root = _support_app(tmp_path / how, import_line, model_expr)
    views = (root / "support/views.py").read_bytes()
    assert may_matter(views) and not origin_trigger().search(views)  # receiver words only
    fast = _findings(root, exhaustive=False)
    assert fast == _findings(root, exhaustive=True)
    assert any(path == "support/views.py" and any("customer.email" in d for d in data)
               for _code, path, _line, data in fast), fast


def _project(root: Path) -> Project:
    return Project(default_vocabulary(), roots=[root], cwd=root)


def _entry(project: Project, path: Path):
    return project.add_source(read_source(path, path.name, path.read_bytes()))


def test_unrelated_receiver_words_are_not_analysed(tmp_path: Path) -> None:
    # Django: `from .models import`, `request.files`; a Tk dialog: `.invoke(`
    root = write_files(tmp_path, SHOP_WITHOUT_OPENAI)
    project = _project(root)
    reach, looked_at = may_reach_request(project, _entry(project, root / "shop/views.py"), frozenset())
    assert not reach
    assert {p.name for p, data in looked_at if data is not None} == {"views.py", "models.py", "storage.py", "__init__.py"}
    assert may_reach_request(project, _entry(project, root / "dialogs.py"), frozenset())[0] is False


def test_answered_from_bytes_without_parsing(tmp_path: Path) -> None:
    # the Tk dialog is decided before it is parsed: a syntax error in it only counts when
    # every file must parse (syntax-check = "all")
    root = write_files(tmp_path, {
        "dialogs.py": "import tkinter\n\n\ndef press(button: tkinter.Button) -> None:\n    button.invoke(\n",
        "crm/followup.py": '''
            from openai import OpenAI


            def follow_up(customer):
                return OpenAI().responses.create(model="gpt-4o-mini", input=customer.email)
            ''',
    })
    assert may_matter((root / "dialogs.py").read_bytes())
    result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1)
    assert result.units == 2 and result.errors == []
    assert [f.path for f in result.findings] == ["crm/followup.py"]
    strict = ConfigResolver(cwd=root, overrides={"syntax-check": "all"})
    for use_cache in (True, False, True):  # the verdict survives the cache, both ways
        result = analyse_paths([root], strict, use_cache=use_cache, jobs=1)
        assert [(e.path, e.message.split(":")[0]) for e in result.errors] == [("dialogs.py", "syntax error at line 5, column 18")]
        assert [f.path for f in result.findings] == ["crm/followup.py"]


def test_a_reachable_origin_or_helper_word_means_analyse(tmp_path: Path) -> None:
    root = _support_app(tmp_path, "from support.services import model", "model")
    project = _project(root)
    views = _entry(project, root / "support/views.py")
    assert may_reach_request(project, views, frozenset())[0] is True
    (root / "support/llm_setup.py").write_text("llm = None\n", encoding="utf-8")
    project = _project(root)
    views = _entry(project, root / "support/views.py")
    assert may_reach_request(project, views, frozenset())[0] is False
    # a helper found elsewhere that reaches a request (passed as a word) counts as origin
    assert may_reach_request(project, views, frozenset({"draft_reply"}))[0] is True


def test_cached_skip_is_undone_when_a_reachable_module_starts_making_a_model(tmp_path: Path) -> None:
    root = _support_app(tmp_path, "from support.services import model", "model")
    (root / "support/llm_setup.py").write_text("llm = None  # configured later\n", encoding="utf-8")
    assert _findings(root, exhaustive=False, use_cache=True) == set()
    (root / "support/llm_setup.py").write_text(textwrap.dedent(LLM_SETUP), encoding="utf-8")
    after = _findings(root, exhaustive=False, use_cache=True)
    assert after == _findings(root, exhaustive=True) != set()


def test_cached_skip_is_undone_when_an_imported_module_appears(tmp_path: Path) -> None:
    root = _support_app(tmp_path, "from support.services import model", "model")
    (root / "support/services.py").write_text("from support.extra import model\n", encoding="utf-8")
    (root / "support/llm_setup.py").unlink()
    assert _findings(root, exhaustive=False, use_cache=True) == set()
    (root / "support/extra.py").write_text(textwrap.dedent(LLM_SETUP).replace("llm =", "model ="), encoding="utf-8")
    assert _findings(root, exhaustive=False, use_cache=True) != set()


def test_imported_names_covers_every_import_form() -> None:
    source = textwrap.dedent('''
        import os, billing.invoices as inv
        import crm . contacts
        from . import forms
        from ..core.llm import (
            model,   # the chat model
            embedder as emb,
        )
        from reports import \\
            monthly
        x = 1; import late.binding
        def f():
            from lazy.mod import thing
        ''').encode()
    names, bound = imported_names(source, "shop.web.views", package=False)
    for expected in ("os", "billing", "billing.invoices", "crm.contacts", "shop.web", "shop.web.forms",
                     "shop.core.llm", "shop.core.llm.model", "shop.core.llm.embedder", "reports",
                     "reports.monthly", "late.binding", "lazy.mod", "lazy.mod.thing"):
        assert expected in names, expected
    assert bound["inv"] == "billing.invoices" and bound["emb"] == "shop.core.llm.embedder"
    assert bound["crm"] == "crm" and bound["forms"] == "shop.web.forms"
    # words that merely contain `import` / `from` are not imports
    names, _ = imported_names(b"reimport_all = transfrom_x = 1\n", "m", package=False)
    assert names == []


# A module that only names a guessable root where no request can follow (a table of HTTP
# responses, a list of completions, a docstring) makes no OpenAI object: a view reaching it
# is answered from bytes. One that reads the root as a value can, and is analysed.
RESOURCE_WORDS_WITHOUT_CLIENT = {
    "subscript-and-store": '''
        class Cache:
            def __init__(self):
                self.responses = {}

            def put(self, code, body):
                self.responses[code] = body
        ''',
    "docstring": '''
        def describe(server):
            """Looks things up in self.responses for the server's status line."""
            return server.status
        ''',
    "not-a-path": '''
        def complete(widget, word):
            widget.completions.append(word)
        ''',
}


@pytest.mark.parametrize("how", sorted(RESOURCE_WORDS_WITHOUT_CLIENT))
def test_reachable_resource_word_without_a_client_is_not_an_origin(tmp_path: Path, how: str) -> None:
    root = write_files(tmp_path / how, {
        "web/__init__.py": "",
        "web/helpers.py": RESOURCE_WORDS_WITHOUT_CLIENT[how],
        "web/views.py": '''
            from web import helpers


            def upload(request):
                for f in request.files.values():
                    helpers.describe(f) if hasattr(helpers, "describe") else None
            ''',
    })
    project = _project(root)
    reach, looked_at = may_reach_request(project, _entry(project, root / "web/views.py"), frozenset())
    assert reach is False
    assert "helpers.py" in {p.name for p, _ in looked_at}
    assert _findings(root, exhaustive=False) == _findings(root, exhaustive=True) == set()


def test_reachable_resource_root_read_as_a_value_is_an_origin(tmp_path: Path) -> None:
    # `backend.responses` handed on: the analysis guesses a request from it, so the view
    # that reaches it through `.files` is analysed, and reports what the exhaustive run does
    root = write_files(tmp_path, {
        "support/__init__.py": "",
        "support/backend.py": '''
            def api(backend):
                return backend.responses
            ''',
        "support/views.py": '''
            from support.backend import api


            def draft_reply(service, ticket):
                for f in ticket.files:
                    pass
                return api(service).create(model="gpt-4o-mini", input=ticket.customer.email)
            ''',
    })
    project = _project(root)
    assert may_reach_request(project, _entry(project, root / "support/views.py"), frozenset())[0] is True
    fast = _findings(root, exhaustive=False)
    assert fast == _findings(root, exhaustive=True)


def test_a_file_mentioning_a_helper_name_it_cannot_reach_is_not_analysed(tmp_path: Path) -> None:
    # `run` in crm/ai.py sends its argument; scripts/cli.py and jobs/nightly.py say `run` too.
    # The CLI imports the helper and is analysed (its flow is reported); the nightly job's
    # `run` is another library's and nothing it imports defines the helper: answered from
    # bytes, not parsed (a syntax error there does not count).
    root = write_files(tmp_path, {
        "crm/__init__.py": "",
        "crm/ai.py": '''
            from openai import OpenAI

            client = OpenAI()


            def run(text):
                return client.responses.create(model="gpt-4o-mini", input=text)
            ''',
        "scripts/cli.py": '''
            from crm.ai import run


            def main(customer):
                return run(f"Write to {customer.email}")
            ''',
        "jobs/nightly.py": '''
            from invoke import run


            def backup(customer):
                return run(f"backup --owner {customer.email}"
            ''',
    })
    result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1)
    assert result.errors == []
    assert [(f.path, f.span.line) for f in result.findings] == [("crm/ai.py", 7)]
    assert [s.path for f in result.findings for s in f.flow][0] == "scripts/cli.py"
    # the twin: the nightly job imports the helper's module, so it is analysed (and its
    # syntax error reported)
    (root / "jobs/nightly.py").write_text("from crm import ai\n\n\ndef main(c):\n    return ai.run(c.email\n",
                                          encoding="utf-8")
    result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1)
    assert [e.path for e in result.errors] == ["jobs/nightly.py"]


# Modules that import each other: the closure of each is kept for the run and shared by the
# units that reach them (reach._Reach); the answer must not depend on which entry came first.
CYCLE_APP = {
    "crm/__init__.py": "",
    "crm/records.py": "from crm import audit\n\n\nclass Customer:\n    email = ''\n",
    "crm/audit.py": "from crm import records\nfrom crm.notify import send\n",
    "crm/notify.py": "from crm import audit\n\n\ndef send(text):\n    return text\n",
    "crm/upload.py": '''
        from crm.records import Customer


        def attach(request):
            for f in request.files.values():
                f.save(Customer.email)
        ''',
    "crm/export.py": '''
        from crm import notify


        def export(batch):
            return batch.files.create(purpose="batch", file=notify.send("x"))
        ''',
}


@pytest.mark.parametrize("first", ["upload.py", "export.py"])
def test_an_import_cycle_without_an_origin_is_unreachable_from_every_entry(tmp_path: Path, first: str) -> None:
    root = write_files(tmp_path, CYCLE_APP)
    project = _project(root)
    order = [first] + [n for n in ("upload.py", "export.py") if n != first]
    looked = {}
    for name in order:
        reach, looked_at = may_reach_request(project, _entry(project, root / "crm" / name), frozenset())
        assert reach is False
        looked[name] = {p.name for p, data in looked_at if data is not None}
    # each answer depends on every module of the cycle, whichever entry walked it first
    assert looked["upload.py"] >= {"upload.py", "records.py", "audit.py", "notify.py", "__init__.py"}
    assert looked["export.py"] >= {"export.py", "records.py", "audit.py", "notify.py", "__init__.py"}


@pytest.mark.parametrize("first", ["upload.py", "export.py"])
def test_an_origin_inside_an_import_cycle_is_reached_from_every_entry(tmp_path: Path, first: str) -> None:
    files = dict(CYCLE_APP)
    files["crm/notify.py"] = "from crm import audit\nfrom openai import OpenAI\n\nclient = OpenAI()\n"
    root = write_files(tmp_path, files)
    project = _project(root)
    order = [first] + [n for n in ("upload.py", "export.py") if n != first]
    for name in order:
        assert may_reach_request(project, _entry(project, root / "crm" / name), frozenset())[0] is True


def test_too_many_reachable_modules_means_analyse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gdpr_lint.pipeline.reach as reach

    root = write_files(tmp_path, CYCLE_APP)
    monkeypatch.setattr(reach, "MAX_REACH_MODULES", 3)
    project = _project(root)
    assert may_reach_request(project, _entry(project, root / "crm/upload.py"), frozenset())[0] is True


def test_a_missing_module_is_a_dependency_of_the_answer(tmp_path: Path) -> None:
    # `import crm.helpers` that does not exist yet: if it appears, the answer may change
    root = write_files(tmp_path, {
        "crm/__init__.py": "",
        "crm/upload.py": "import crm.helpers\n\n\ndef attach(request):\n    return request.files\n",
    })
    project = _project(root)
    reach, looked_at = may_reach_request(project, _entry(project, root / "crm/upload.py"), frozenset())
    assert reach is False
    missing = {p.relative_to(root).as_posix() for p, data in looked_at if data is None}
    assert {"crm/helpers.py", "crm/helpers/__init__.py"} <= missing


def test_a_definition_is_found_whatever_letters_end_its_name() -> None:
    from gdpr_lint.pipeline.reach import defines_any

    view = "def résumé(texte):\n    return texte\n\nclass Übersetzer:\n    pass\n\nkürze = make_helper()\n".encode()
    for name in ("résumé", "Übersetzer", "kürze"):
        assert defines_any(view, frozenset({name})), name
    for name in ("résu", "Übersetz", "kürz", "texte"):  # a longer name, or no definition
        assert not defines_any(view, frozenset({name})), name
