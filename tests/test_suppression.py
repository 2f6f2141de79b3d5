"""Suppression comments: `# noqa: GDPR001`, `# gdpr-lint: ignore[...]`,
`# gdpr-lint: file-ignore[...]`, reasons, blanket noqa, stale suppressions (GDPR100)."""

from __future__ import annotations

import json

from helpers import analyse, run_cli

from gdpr_lint.pipeline.suppression import read_suppressions

HEADER = """
from openai import OpenAI

client = OpenAI()

"""


def _codes(result) -> list[tuple[str, int]]:
    return sorted((f.code, f.line) for f in result.findings)


def _run(write, body: str, name: str = "crm/follow_up.py"):
    root = write({name: HEADER + body})
    return analyse(root)


def test_noqa_on_first_or_last_line_of_a_multi_line_call(write):
    result = _run(write, '''
def follow_up(customer):
    client.chat.completions.create(  # noqa: GDPR001 -- customer asked for a personal reply (ticket 4411)
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Write to {customer.name}"}],
    )


def reminder(customer):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Remind {customer.email} of the renewal"}],
    )  # noqa: GDPR001


def escalate(customer):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Escalate {customer.phone}"}],
    )
''')
    assert _codes(result) == [("GDPR001", 21)]
    assert sorted((f.line, f.suppression_reason) for f in result.suppressed) == [
        (7, "customer asked for a personal reply (ticket 4411)"), (14, ""),
    ]


def test_noqa_on_any_line_of_the_statement_holding_the_call(write):
    result = _run(write, '''
def summary(patient):
    text = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"{patient.full_name}: {patient.diagnosis}"}],  # noqa: GDPR001, GDPR002
    ).choices[0].message.content
    return text
''', "clinic/summary.py")
    assert result.findings == []
    assert {f.code for f in result.suppressed} == {"GDPR001", "GDPR002"}


def test_noqa_names_codes_and_only_silences_those(write):
    result = _run(write, '''
def handover(patient):
    return client.chat.completions.create(  # noqa: E501, GDPR001
        model="gpt-4o", messages=[{"role": "user", "content": f"{patient.full_name}: {patient.diagnosis}"}]
    )
''', "clinic/handover.py")
    assert _codes(result) == [("GDPR002", 7)]
    assert [f.code for f in result.suppressed] == ["GDPR001"]


def test_blanket_noqa_does_not_silence_the_gate(write):
    result = _run(write, '''
def follow_up(customer):
    return client.chat.completions.create(  # noqa
        model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}]
    )


def reminder(customer):
    # gdpr-lint: ignore
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}])
''')
    assert _codes(result) == [("GDPR001", 7), ("GDPR001", 14)]
    assert result.suppressed == []


def test_noqa_inside_a_string_is_not_a_comment(write):
    result = _run(write, '''
def follow_up(customer):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"# noqa: GDPR001 {customer.email}"}],
    )
''')
    assert _codes(result) == [("GDPR001", 7)]
    assert read_suppressions('x = "# noqa: GDPR001"\ny = 1  # noqa: GDPR002\n')[0].codes == ["GDPR002"]


def test_ignore_on_the_line_above_with_reason(write):
    result = _run(write, '''
def review(employee):
    # Performance reviews are drafted with the model; HR approved this (DPIA 2024-11).
    # gdpr-lint: ignore[GDPR001] reason: works council agreement 2024-11
    return client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": f"Review for {employee.full_name}"}]
    )


def warning_letter(employee):
    # gdpr-lint: ignore[GDPR001]

    return client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": f"Warning for {employee.full_name}"}]
    )
''', "hr/reviews.py")
    # a blank line between the comment and the statement breaks the link
    assert _codes(result) == [("GDPR001", 17), ("GDPR100", 15)]
    assert [(f.line, f.suppression_reason) for f in result.suppressed] == [(9, "works council agreement 2024-11")]


def test_file_ignore_covers_the_whole_file(write):
    result = _run(write, '''
# gdpr-lint: file-ignore[GDPR003] -- ids are already pseudonymous in this service


def ask(user, question):
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}], user=user.customer_number,
    )


def ask_again(user, question):
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": user.email}])
''', "support/ask.py")
    assert _codes(result) == [("GDPR001", 16)]
    assert [(f.code, f.suppression_reason) for f in result.suppressed] == [
        ("GDPR003", "ids are already pseudonymous in this service")]


def test_noqa_in_the_body_of_a_compound_statement_does_not_reach_its_header(write):
    result = _run(write, '''
def stream_reply(customer):
    for chunk in client.chat.completions.create(  # noqa: GDPR001 -- streamed to the customer only
        model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": customer.email}],
    ):
        yield chunk


def stream_other(customer):
    for chunk in client.chat.completions.create(
        model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": customer.email}],
    ):
        yield chunk  # noqa: GDPR001
''')
    assert _codes(result) == [("GDPR001", 14), ("GDPR100", 17)]
    assert [f.line for f in result.suppressed] == [7]


def test_stale_suppressions_are_reported_at_the_comment(write):
    result = _run(write, '''
def follow_up(customer):
    return client.chat.completions.create(  # noqa: GDPR001, GDPR002
        model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}]
    )


def product_tip(product):
    # gdpr-lint: ignore[GDPR001, GDPR999]
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": product.name}])
''')
    stale = sorted((f for f in result.findings if f.code == "GDPR100"), key=lambda f: f.line)
    assert [(f.line, f.column, f.data, f.severity) for f in stale] == [
        (7, 45, ["GDPR002"], "low"),
        (13, 5, ["GDPR001", "GDPR999"], "low"),
    ]
    assert "GDPR002" in stale[0].message and "matches no finding" in stale[0].message
    assert "GDPR999 is not a gdpr-lint rule" in stale[1].message
    assert stale[1].function == "product_tip"
    assert [f.code for f in result.suppressed] == ["GDPR001"]


def test_stale_suppression_in_a_file_without_findings(write):
    # the file has no finding left (the text is pseudonymised); its suppressions are read
    # because one names a code, not because it imports gdpr_lint
    result = _run(write, '''
from gdpr_lint.runtime import pseudonymise


def follow_up(customer):
    return client.chat.completions.create(  # noqa: gdpr001 reviewed in 2024
        model="gpt-4o-mini", messages=[{"role": "user", "content": pseudonymise(customer.email)}]
    )
''')
    assert [(f.code, f.line, f.data) for f in result.findings] == [("GDPR100", 10, ["GDPR001"])]


def test_stale_suppressions_obey_select_and_ignore(write):
    root = write({"crm/follow_up.py": HEADER + '''
def follow_up(customer):
    return client.chat.completions.create(  # noqa: GDPR001, GDPR002
        model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}]
    )
'''})
    def codes(*args):
        proc = run_cli("check", ".", "--output-format", "json", *args, cwd=root)
        return proc.returncode, sorted(f["code"] for f in json.loads(proc.stdout))

    assert codes() == (1, ["GDPR100"])
    assert codes("--ignore", "GDPR100") == (0, [])
    # GDPR002 is not selected: a noqa for it cannot be called stale
    assert codes("--select", "GDPR001,GDPR100") == (0, [])
    (root / "pyproject.toml").write_text('[tool.gdpr-lint]\nper-file-ignores = { "crm/*" = ["GDPR100"] }\n',
                                         encoding="utf-8")
    assert codes() == (0, [])


def test_stale_suppression_can_itself_be_silenced(write):
    result = _run(write, '''
def product_tip(product):
    return client.chat.completions.create(  # noqa: GDPR001, GDPR100 -- kept while the prompt is being reworked
        model="gpt-4o-mini", messages=[{"role": "user", "content": product.name}]
    )
''')
    assert result.findings == []
    assert [f.code for f in result.suppressed] == ["GDPR100"]


def test_fully_suppressed_run_exits_zero_and_full_output_is_clean(write):
    root = write({"crm/follow_up.py": HEADER + '''
def follow_up(customer):
    return client.chat.completions.create(  # noqa: GDPR001 -- consented research export
        model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}]
    )
'''})
    proc = run_cli("check", ".", cwd=root)
    assert proc.returncode == 0, proc.stdout.decode()
    assert "Found 0 findings (1 file analysed)." in proc.stdout.decode() + proc.stderr.decode()
