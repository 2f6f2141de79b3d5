"""The result cache: content-keyed, self-ignoring, never stale when a module a
file depends on changes, and skipped entirely with --no-cache."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from helpers import DEPLOYED_GRAPHS, run_cli

PROMPTS_CLEAN = '''
def follow_up_prompt(customer):
    return f"Write a follow-up about order {customer.last_order_id}."
'''
PROMPTS_LEAKING = '''
def follow_up_prompt(customer):
    return f"Write a follow-up to {customer.name} <{customer.email}> about order {customer.last_order_id}."
'''
VIEWS = '''
from openai import OpenAI

from crm.prompts import follow_up_prompt

client = OpenAI()


def draft(customer):
    return client.responses.create(model="gpt-4o-mini", input=follow_up_prompt(customer))
'''


def _check(root: Path, *args: str) -> list[dict]:
    proc = run_cli("check", ".", "--output-format", "json", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return json.loads(proc.stdout)


def _entries(root: Path) -> set[Path]:
    cache = root / ".gdpr_lint_cache"
    return {p for p in cache.rglob("*") if p.is_file() and p.name not in (".gitignore", "CACHEDIR.TAG")}


def test_editing_an_imported_prompt_builder_changes_the_cached_result(write):
    root = write({"crm/__init__.py": "", "crm/prompts.py": PROMPTS_CLEAN, "crm/views.py": VIEWS})
    assert _check(root) == []
    assert _entries(root), "the first run fills the cache"
    # the file that imports the builder is unchanged; only the builder changes
    (root / "crm/prompts.py").write_text(PROMPTS_LEAKING, encoding="utf-8")
    findings = _check(root)
    assert [(f["code"], f["path"]) for f in findings] == [("GDPR001", "crm/views.py")]
    assert set(findings[0]["data"]) == {"customer.name (name)", "customer.email (email)"}
    # and back again: the cached clean answer is valid once more
    (root / "crm/prompts.py").write_text(PROMPTS_CLEAN, encoding="utf-8")
    assert _check(root) == []


def test_a_warm_run_answers_from_the_cache_with_the_same_findings(write):
    root = write({"crm/__init__.py": "", "crm/prompts.py": PROMPTS_LEAKING, "crm/views.py": VIEWS})
    cold = _check(root)
    entries = _entries(root)
    mtimes = {p: p.stat().st_mtime_ns for p in entries}
    warm = _check(root)
    assert warm == cold and cold
    # nothing was rewritten: the answer came from the stored entries
    assert {p: p.stat().st_mtime_ns for p in _entries(root)} == mtimes


def test_cache_folder_ignores_itself_and_no_cache_writes_nothing(write):
    root = write({"crm/__init__.py": "", "crm/prompts.py": PROMPTS_LEAKING, "crm/views.py": VIEWS})
    assert _check(root, "--no-cache")
    assert not (root / ".gdpr_lint_cache").exists()
    _check(root)
    gitignore = root / ".gdpr_lint_cache" / ".gitignore"
    assert gitignore.read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_a_corrupt_cache_entry_is_a_miss_not_an_error(write):
    root = write({"crm/__init__.py": "", "crm/prompts.py": PROMPTS_LEAKING, "crm/views.py": VIEWS})
    cold = _check(root)
    for p in _entries(root):
        p.write_bytes(b"not a pickle")
    assert _check(root) == cold


def test_a_module_created_later_is_noticed(write):
    # views imports a module that does not exist yet: the cached answer must not
    # survive its creation
    root = write({"crm/__init__.py": "", "crm/views.py": VIEWS})
    assert _check(root) == []
    (root / "crm/prompts.py").write_text(PROMPTS_LEAKING, encoding="utf-8")
    assert [f["code"] for f in _check(root)] == ["GDPR001"]


def test_settings_are_part_of_the_key(write):
    root = write({"crm/__init__.py": "", "crm/prompts.py": PROMPTS_LEAKING, "crm/views.py": VIEWS})
    assert _check(root)
    (root / "pyproject.toml").write_text('[tool.gdpr-lint]\nignore = ["GDPR001"]\n', encoding="utf-8")
    assert _check(root) == []
    os.remove(root / "pyproject.toml")
    assert _check(root)


def _unit_context(root: Path, sources: dict[str, str]):
    """The files written under `root`, and the context their units share (one project)."""
    from gdpr_lint.pipeline.units import UnitContext
    from gdpr_lint.analysis.vocabulary import default_vocabulary

    inputs = {}
    for name, text in sources.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
        inputs[root / name] = (name, text.encode())
    return UnitContext(vocab=default_vocabulary(), roots=[root], cwd=root, inputs=inputs, reported=set(sources))


def test_a_unit_lists_only_the_missing_modules_it_looked_for(tmp_path):
    # Units share one project per process; each cache entry must name the places where
    # *its* imports were looked for in vain, not every miss of the process so far
    # (on a large package that grew every entry to thousands of paths).
    from gdpr_lint.pipeline.units import analyse_unit

    sources = {
        "billing.py": "from openai import OpenAI\nimport stripe_sdk\n\nclient = OpenAI()\n"
                      "payments = stripe_sdk.Client(); client.models.list()\n",
        "support.py": "from openai import OpenAI\nimport zendesk_sdk\n\nclient = OpenAI()\n"
                      "tickets = zendesk_sdk.Client(); client.models.list()\n",
    }
    ctx = _unit_context(tmp_path, sources)
    billing = analyse_unit(ctx, tmp_path / "billing.py")
    support = analyse_unit(ctx, tmp_path / "support.py")
    assert ctx.project is not None  # the same project served both
    missing = {name: {Path(p).name for p, h in r.deps.items() if h == "missing"}
               for name, r in (("billing", billing), ("support", support))}
    assert "stripe_sdk.py" in missing["billing"] and "zendesk_sdk.py" not in missing["billing"]
    assert "zendesk_sdk.py" in missing["support"] and "stripe_sdk.py" not in missing["support"]


def test_a_unit_reusing_another_units_summaries_lists_what_they_read(tmp_path):
    # A summary worked out for one unit is reused by the next unit of the same project; what
    # it read (the modules behind the helper, two imports deep) is the second unit's
    # dependency too, or editing them would leave its cached answer stale.
    from gdpr_lint.pipeline.units import analyse_unit

    sources = {
        "crm/__init__.py": "",
        "crm/records.py": "def load_customer(db, customer_id):\n    return db.get(customer_id)\n",
        "crm/prompts.py": "from crm.records import load_customer\n\n\n"
                          "def follow_up(db, customer_id):\n    customer = load_customer(db, customer_id)\n"
                          "    return f\"Follow up with {customer.name} <{customer.email}>.\"\n",
        "sales.py": "from openai import OpenAI\nfrom crm.prompts import follow_up\n\nclient = OpenAI()\n\n\n"
                    "def draft(db, cid):\n    return client.responses.create(model=\"gpt-4o\", input=follow_up(db, cid))\n",
        "support.py": "from openai import OpenAI\nfrom crm.prompts import follow_up\n\nclient = OpenAI()\n\n\n"
                      "def reply(db, cid):\n    return client.responses.create(model=\"gpt-4o\", input=follow_up(db, cid))\n",
    }
    ctx = _unit_context(tmp_path, sources)
    first = analyse_unit(ctx, tmp_path / "sales.py")
    second = analyse_unit(ctx, tmp_path / "support.py")
    for result in (first, second):
        assert [f.code for f in result.findings] == ["GDPR001"]
        read = {Path(p).relative_to(tmp_path).as_posix() for p, h in result.deps.items() if h != "missing"}
        assert {"crm/prompts.py", "crm/records.py"} <= read, read
        records = tmp_path / "crm" / "records.py"  # named by its bytes' digest: an edit makes the answer stale
        assert result.deps[str(records)] == hashlib.sha256(records.read_bytes()).hexdigest()
    assert str(tmp_path / "sales.py") not in second.deps


def test_results_are_kept_per_python_version(tmp_path, monkeypatch):
    """A file in Python 3.12 syntax fails under 3.11 and parses under 3.12: what one interpreter
    found (a unit's result, a syntax verdict naming that interpreter) is not reused by another."""
    from gdpr_lint.pipeline import cache as cache_module

    cache = cache_module.Cache(tmp_path / "cache")
    key = cache.key(Path("app.py"), "hash", "settings", frozenset())
    cache.save_syntax_verdicts({"hash": "syntax error at line 1 (newer syntax: ...)"})
    assert cache.syntax_verdicts() == {"hash": "syntax error at line 1 (newer syntax: ...)"}
    monkeypatch.setattr(cache_module, "PYTHON", "3.12:/usr/bin/python3.12")
    assert cache.key(Path("app.py"), "hash", "settings", frozenset()) != key
    assert cache.syntax_verdicts() == {}


def test_editing_a_template_file_changes_the_cached_result(write):
    root = write({
        "templates/reply.j2": "Suggest an upgrade from the {{ customer.plan }} plan.\n",
        "app.py": """
            from jinja2 import Environment, FileSystemLoader
            from openai import OpenAI
            client = OpenAI()
            env = Environment(loader=FileSystemLoader("templates"))
            def reply(customer):
                return client.responses.create(model="gpt-4o", input=env.get_template("reply.j2").render(customer=customer))
        """,
    })
    assert _check(root) == []
    # only the template changes: it now writes the customer's e-mail address
    (root / "templates/reply.j2").write_text("Write to {{ customer.email }}.\n", encoding="utf-8")
    findings = _check(root)
    assert [(f["code"], f["data"]) for f in findings] == [("GDPR001", ["customer.email (email)"])]


def test_editing_langgraph_json_changes_the_cached_result(write):
    # a graph run by its deployment id: which graph the id names is langgraph.json's, so a
    # new mapping (or the file appearing) makes the cached answer stale
    root = write({**DEPLOYED_GRAPHS, "inbox/handlers.py": """
        from langgraph_sdk import get_client
        async def on_mail(customer, thread_id):
            await get_client().runs.create(thread_id, "assistant", input={"thread": customer.email})
    """})
    assert _check(root) == []  # "assistant" names no graph
    (root / "langgraph.json").write_text('{"graphs": {"assistant": "./inbox/graphs.py:digest"}}', encoding="utf-8")
    assert _check(root) == []
    (root / "langgraph.json").write_text('{"graphs": {"assistant": "./inbox/graphs.py:reply_graph"}}', encoding="utf-8")
    findings = _check(root)
    assert [(f["code"], f["path"], f["data"]) for f in findings] == [("GDPR001", "inbox/graphs.py", ["customer.email (email)"])]


def test_a_graph_the_id_comes_to_name_makes_the_cached_result_stale(write):
    # no langgraph.json: the id names a module-level graph of that name, so a graph module
    # that starts to define one changes the answer
    root = write({**DEPLOYED_GRAPHS, "inbox/handlers.py": """
        from langgraph_sdk import get_client
        async def on_mail(customer, thread_id):
            await get_client().runs.create(thread_id, "assistant", input={"thread": customer.email})
    """})
    assert _check(root) == []
    graphs = root / "inbox" / "graphs.py"
    graphs.write_text(graphs.read_text(encoding="utf-8") + "\nassistant = reply_graph\n", encoding="utf-8")
    assert [f["path"] for f in _check(root)] == ["inbox/graphs.py"]


def test_a_place_looked_for_in_vain_is_checked_once_per_run_and_noticed_next_run(tmp_path, monkeypatch):
    from gdpr_lint.pipeline.cache import Cache
    from gdpr_lint.pipeline.units import UnitResult

    absent = tmp_path / "app" / "llm_client.py"  # where two entries looked for `llm_client`
    entries = [tmp_path / "app" / name for name in ("views.py", "tasks.py")]
    cache = Cache(tmp_path / "cache")
    keys = [cache.key(entry, "0" * 64, "", frozenset()) for entry in entries]
    for key, entry in zip(keys, entries):
        cache.put(key, UnitResult(entry=entry.name, deps={str(absent): "missing"}))
    looked = []
    real_exists = os.path.exists
    monkeypatch.setattr(os.path, "exists", lambda p: looked.append(p) or real_exists(p))
    run = Cache(tmp_path / "cache")
    assert all(run.get(key, lambda path: None) is not None for key in keys)
    assert looked == [str(absent)]
    absent.parent.mkdir(parents=True)
    absent.write_text("def ask(prompt): ...\n", encoding="utf-8")
    assert all(Cache(tmp_path / "cache").get(key, lambda path: None) is None for key in keys)


def test_a_decorator_module_coming_to_give_langgraphs_entrypoint_makes_the_cached_result_stale(write):
    # `workflow.invoke(...)` runs the function only if its `@entrypoint` is LangGraph's; the
    # project's module providing the decorator changes from its own to LangGraph's
    own = "def entrypoint(**options):\n    return lambda fn: fn\n"
    langgraphs = "from langgraph.func import entrypoint\n\n__all__ = ['entrypoint']\n"
    root = write({
        "clinic/__init__.py": "",
        "clinic/graphing.py": own,
        "clinic/flows.py": '''
            from langchain_openai import ChatOpenAI
            from langgraph.func import task

            from clinic.graphing import entrypoint

            llm = ChatOpenAI(model="gpt-4o")


            @task
            def summarise(note: str) -> str:
                return llm.invoke(f"Summarise this case note: {note}").content


            @entrypoint()
            def case_workflow(note: str) -> dict:
                return {"summary": summarise(note).result()}


            def on_admission(patient):
                return case_workflow.invoke(patient.diagnosis)
            ''',
    })
    assert _check(root) == []
    (root / "clinic/graphing.py").write_text(langgraphs, encoding="utf-8")
    assert [(f["code"], f["path"]) for f in _check(root)] == [("GDPR002", "clinic/flows.py")]
    (root / "clinic/graphing.py").write_text(own, encoding="utf-8")
    assert _check(root) == []
