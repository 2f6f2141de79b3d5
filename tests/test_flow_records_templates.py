"""Whole records and templates: what a rendering writes is what its placeholders read from
the arguments (inline Jinja2 templates, `from_string`, project template files loaded by
name, Flask/Django renderers with keywords or a context dict, across modules); a template
that writes only non-personal fields of a person record is clean."""

from __future__ import annotations

import pytest

from helpers import analyse, assert_marked

RECORDS = """
from dataclasses import dataclass


@dataclass
class Patient:
    name: str
    diagnosis: str
    medications: list


@dataclass
class Customer:
    name: str
    email: str
    plan: str
    seats: int
"""

TEMPLATE_FILES = {
    "templates/summary.txt": "Summarise the account of {{ customer.name }} ({{ customer.email }}).\nPlan: {{ customer.plan }}\n",
    "templates/plan.j2": "Suggest an upgrade for a customer on the {{ customer.plan }} plan with {{ customer.seats }} seats.\n",
    "templates/discharge.jinja": (
        "Discharge summary for {{ patient['name'] }}, diagnosis {{ patient.diagnosis | upper }}.\n"
        "{% for m in patient.medications %}- {{ m }}\n{% endfor %}\n"
    ),
    "templates/ward.jinja": "Ward round: {{ beds }} beds, {{ patient.name | length }} letters.\n",
    "app/templates/letter.html": (
        "<p>Dear {{ customer.get('first_name') }},</p>\n{% for o in orders %}<li>{{ o.total }}</li>{% endfor %}\n"
    ),
    "app/templates/stats.html": "<p>{{ customer.plan }}: {{ orders|length }} orders</p>\n",
    "app/prompts/triage.j2": (
        "{% set p = patient %}Triage request.\n{% if p.allergies %}Allergies: {{ p.allergies | join(', ') }}{% endif %}\n"
    ),
    "app/prompts/queue.j2": "{% set p = patient %}Queue position {{ position }} for ward {{ p.ward }}.\n",
}


def _project(write, body: str):
    return write({**TEMPLATE_FILES, "records.py": RECORDS, "app/__init__.py": "", "main.py": body})


LEAKS = {
    "inline-template": """
        from jinja2 import Template
        from openai import OpenAI
        from records import Patient
        client = OpenAI()
        def letter(p: Patient):
            prompt = Template("Write to {{ patient.name }} about {{ patient.diagnosis }}").render(patient=p)
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])  # expect: GDPR001, GDPR002
    """,
    "environment-from-string": """
        from jinja2 import Environment
        from openai import OpenAI
        from records import Customer
        client = OpenAI()
        env = Environment()
        GREETING = "Hello {{ c.name }}, we will write to {{ c.email }}"
        TPL = env.from_string(GREETING)
        def greet(c: Customer):
            client.responses.create(model="gpt-4o", input=TPL.render(c=c))  # expect: GDPR001
    """,
    "file-loader-get-template": """
        from jinja2 import Environment, FileSystemLoader
        from openai import OpenAI
        from records import Customer
        client = OpenAI()
        env = Environment(loader=FileSystemLoader("templates"))
        def summary(c: Customer):
            text = env.get_template("summary.txt").render(customer=c)
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])  # expect: GDPR001
    """,
    "file-with-loop-filters-and-keys": """
        from jinja2 import Environment, FileSystemLoader
        from openai import OpenAI
        from records import Patient
        client = OpenAI()
        env = Environment(loader=FileSystemLoader("templates"))
        def discharge(p: Patient):
            text = env.get_template("discharge.jinja").render(patient=p)
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])  # expect: GDPR001, GDPR002
    """,
    "untyped-argument-named-by-the-template": """
        from jinja2 import Template
        from openai import OpenAI
        client = OpenAI()
        def letter(row):
            text = Template("Dear {{ customer.email }}").render(customer=row)
            client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001
    """,
    "whole-record-placeholder": """
        from jinja2 import Template
        from openai import OpenAI
        from records import Customer
        client = OpenAI()
        def dump(c: Customer):
            text = Template("Customer record: {{ customer }}").render(customer=c)
            client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001
    """,
    "flask-render-template-keywords": """
        from flask import render_template
        from openai import OpenAI
        client = OpenAI()
        def letter(customer, orders):
            html = render_template("letter.html", customer=customer, orders=orders)
            return client.responses.create(model="gpt-4o", input=html)  # expect: GDPR001
    """,
    "django-render-to-string-context-dict": """
        from django.template.loader import render_to_string
        from openai import OpenAI
        client = OpenAI()
        def letter(customer, orders):
            html = render_to_string("letter.html", {"customer": customer, "orders": orders})
            return client.responses.create(model="gpt-4o", input=html)  # expect: GDPR001
    """,
    "context-dict-spread": """
        from jinja2 import Template
        from openai import OpenAI
        from records import Patient
        client = OpenAI()
        def note(p: Patient):
            ctx = {"patient": p, "ward": "B2"}
            text = Template("{{ patient.diagnosis }} on {{ ward }}").render(**ctx)
            # the dict holding the record counts as the record serialised (GDPR001) as well
            client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001, GDPR002
    """,
    "filtered-name-still-counts": """
        from jinja2 import Environment, FileSystemLoader
        from openai import OpenAI
        from records import Patient
        client = OpenAI()
        env = Environment(loader=FileSystemLoader("templates"))
        def ward(p: Patient):
            text = env.get_template("ward.jinja").render(patient=p, beds=12)
            client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001
    """,
}

CLEAN = {
    "inline-template-non-personal-fields": """
        from jinja2 import Template
        from openai import OpenAI
        from records import Customer
        client = OpenAI()
        def upsell(c: Customer):
            prompt = Template("Suggest an upgrade from the {{ c.plan }} plan for {{ c.seats }} seats").render(c=c)
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])  # expect: none
    """,
    "file-template-non-personal-fields": """
        from jinja2 import Environment, FileSystemLoader
        from openai import OpenAI
        from records import Customer
        client = OpenAI()
        env = Environment(loader=FileSystemLoader("templates"))
        def upsell(c: Customer):
            text = env.get_template("plan.j2").render(customer=c)
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])  # expect: none
    """,
    "flask-render-template-stats": """
        from flask import render_template
        from openai import OpenAI
        client = OpenAI()
        def stats(customer, orders):
            html = render_template("stats.html", customer=customer, orders=orders)
            return client.responses.create(model="gpt-4o", input=html)  # expect: none
    """,
    "template-not-given-the-record": """
        from jinja2 import Template
        from openai import OpenAI
        from records import Patient
        client = OpenAI()
        def note(p: Patient):
            text = Template("Ward {{ ward }} of {{ patient.ward }} has {{ beds }} beds").render(ward="B2", beds=12)
            client.responses.create(model="gpt-4o", input=text)  # expect: none
    """,
}


@pytest.mark.parametrize("case", sorted(LEAKS))
def test_template_renderings_carry_what_their_placeholders_read(write, case):
    assert_marked(_project(write, LEAKS[case]))


@pytest.mark.parametrize("case", sorted(CLEAN))
def test_template_renderings_of_non_personal_fields_are_clean(write, case):
    assert_marked(_project(write, CLEAN[case]))


def test_health_data_in_a_template_file_is_special_category_and_the_flow_names_the_placeholder(write):
    root = _project(write, LEAKS["file-with-loop-filters-and-keys"])
    result = analyse(root)
    special = [f for f in result.findings if f.code == "GDPR002"]
    assert special and "p.diagnosis" in special[0].message
    notes = [s.note for s in special[0].flow]
    assert any("template's `patient.diagnosis`" in n for n in notes), notes


def test_template_module_used_from_another_module(write):
    root = write({
        **TEMPLATE_FILES,
        "app/__init__.py": "",
        "app/prompting.py": """
            from jinja2 import Environment, PackageLoader
            ENV = Environment(loader=PackageLoader("app", "prompts"))
            TRIAGE = ENV.get_template("triage.j2")
            QUEUE = ENV.get_template("queue.j2")
            def triage_prompt(patient):
                return TRIAGE.render(patient=patient)
            def queue_prompt(patient, position):
                return QUEUE.render(patient=patient, position=position)
        """,
        "app/ask.py": """
            from openai import OpenAI
            from .prompting import queue_prompt, triage_prompt
            client = OpenAI()
            def triage(record):
                return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": triage_prompt(record)}])  # expect: GDPR002
            def queue(record):
                return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": queue_prompt(record, 3)}])  # expect: none
        """,
    })
    assert_marked(root)


def test_an_unknown_template_file_writes_everything_it_was_given(write):
    root = write({"records.py": RECORDS, "main.py": """
        from jinja2 import Environment, FileSystemLoader
        from openai import OpenAI
        from records import Customer
        client = OpenAI()
        env = Environment(loader=FileSystemLoader("templates"))
        def upsell(c: Customer):
            text = env.get_template("missing.j2").render(customer=c)
            client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001
    """})
    assert_marked(root)
