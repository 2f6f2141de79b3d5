"""Recursive helpers: the summaries of a cycle of functions calling each other are solved
together (analysis/program/cycles.py), so what a unit reports does not depend on where its
process entered the cycle first, data and requests reached only through the recursion are
followed, and what the recursion never hands back is not reported.

Each case is analysed as one run over several entry files (one process, one project kept
from unit to unit) and each entry alone, in both orders of the entry files.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_cli, write_files

# A tree renderer whose two functions call each other (a document outline, a JSON walk).
RENDER = '''
    def render(node, depth):
        if isinstance(node, list):
            return ", ".join(render_item(x, depth) for x in node)
        return f"<{node}>"


    def render_item(item, depth):
        if depth > 3:
            return str(item)
        return "- " + render(item, depth + 1)
    '''

SUMMARY_ENTRY = '''
    from openai import OpenAI

    from crm.walk import render

    client = OpenAI()


    def summarise(customer):
        text = render(customer.email, 0)
        return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    '''

TRIAGE_ENTRY = '''
    from openai import OpenAI

    from crm.walk import render_item

    client = OpenAI()


    def triage(patient):
        text = render_item(patient.diagnosis, 0)
        return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    '''


def _report(root: Path) -> list[dict]:
    proc = run_cli("check", "--no-cache", "-j", "1", "--output-format", "json", ".", cwd=root)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return json.loads(proc.stdout)


def _each_alone_and_together(tmp_path: Path, shared: dict[str, str], entries: dict[str, str]) -> dict[str, list]:
    """{entry: the findings of a run over it alone}, checking that one run over every entry
    (in both file orders, so either entry's unit runs first) reports what the runs alone do."""
    alone = {}
    for name, text in entries.items():
        root = write_files(tmp_path / ("alone-" + name), {**shared, name: text})
        alone[name] = _report(root)
    expected = sorted({_normalised(f, {}) for found in alone.values() for f in found})
    for order, names in (("ab", list(entries)), ("ba", list(reversed(entries)))):
        renamed = {f"{i}_{name}": name for i, name in enumerate(names)}  # the file order is the unit order
        root = write_files(tmp_path / order, {**shared, **{new: entries[old] for new, old in renamed.items()}})
        assert sorted({_normalised(f, renamed) for f in _report(root)}) == expected, order
    return alone


def _normalised(finding: dict, renamed: dict[str, str]) -> tuple:
    """What a finding says, with the entry files under their names in the runs alone."""
    return (renamed.get(finding["path"], finding["path"]), finding["line"], finding["code"], finding["message"],
            tuple((renamed.get(s["path"], s["path"]), s["line"], s["column"], s["note"]) for s in finding["flow"]))


def _flows(findings: list[dict]) -> list[str]:
    return [" -> ".join(step["note"] for step in f["flow"]) for f in findings]


def test_a_cycle_entered_at_either_function_gives_each_entry_the_same_report(tmp_path: Path) -> None:
    found = _each_alone_and_together(tmp_path, {"crm/__init__.py": "", "crm/walk.py": RENDER},
                                     {"summary.py": SUMMARY_ENTRY, "triage.py": TRIAGE_ENTRY})
    assert [f["code"] for f in found["summary.py"]] == ["GDPR001"]
    assert [f["code"] for f in found["triage.py"]] == ["GDPR002"]  # a diagnosis: Art. 9 data
    assert "passed to `render()` as `node`" in _flows(found["summary.py"])[0]


def test_a_request_reached_only_through_the_recursion_is_found_from_either_side(tmp_path: Path) -> None:
    # `outline` sends nothing itself: only through `condense`, which calls it back. Worked out
    # from `condense` first (the other entry's unit), `outline` used to be kept without the
    # request, and the e-mail a later unit passes to it went unreported.
    shared = {"docs/__init__.py": "", "docs/outline.py": '''
        from openai import OpenAI

        client = OpenAI()


        def outline(text, depth):
            if depth > 2:
                return condense(text, depth)
            return [outline(part, depth + 1) for part in text.split("\\n\\n")]


        def condense(text, depth):
            if len(text) > 4000:
                return outline(text, depth)
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
        '''}
    entries = {
        "handbook.py": '''
            from docs.outline import condense


            def brief(chapter_text):
                return condense(chapter_text, 0)
            ''',
        "case_notes.py": '''
            from docs.outline import outline


            def case_summary(customer):
                return outline(customer.email, 0)
            ''',
    }
    found = _each_alone_and_together(tmp_path, shared, entries)
    assert found["handbook.py"] == []
    (leak,) = found["case_notes.py"]  # at the request, with the caller in its flow
    assert leak["path"] == "docs/outline.py" and leak["flow"][0]["path"] == "case_notes.py"


def test_what_the_recursion_never_hands_back_is_not_reported(tmp_path: Path) -> None:
    # `label_for` and `child_labels` take the customer along but return the nodes' titles:
    # the call still in progress used to be assumed to hand every parameter back, customer
    # included
    root = write_files(tmp_path, {
        "crm/__init__.py": "",
        "crm/tree.py": '''
            def label_for(node, customer):
                if not node.children:
                    return node.title
                return " / ".join(child_labels(node, customer))


            def child_labels(node, customer):
                return [label_for(child, customer) for child in node.children]
            ''',
        "report.py": '''
            from openai import OpenAI

            from crm.tree import label_for

            client = OpenAI()


            def describe(org_chart, customer):
                label = label_for(org_chart, customer.email)
                return client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"Summarise the chart {label}."}])
            ''',
        "report_named.py": '''
            from openai import OpenAI

            from crm.tree import label_for

            client = OpenAI()


            def describe_for(org_chart, customer):
                label = label_for(org_chart, customer.email)
                return client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"{customer.name}: summarise {label}."}])
            ''',
    })
    found = _report(root)
    assert [(f["path"], f["code"]) for f in found] == [("report_named.py", "GDPR001")]
    assert "label_for" not in " ".join(_flows(found))
