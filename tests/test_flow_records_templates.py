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
    "loop-over-the-record-items": """
        from jinja2 import Template
        from openai import OpenAI
        from records import Patient
        client = OpenAI()
        FORM = Template("{% for k, v in patient.items() %}{{ k }}: {{ v }}\\n{% endfor %}")
        def form(p: Patient):
            client.responses.create(model="gpt-4o", input=FORM.render(patient=p))  # expect: GDPR001, GDPR002
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
    "loop-over-a-dict-of-figures": """
        from jinja2 import Template
        from openai import OpenAI
        client = OpenAI()
        REPORT = Template("{% for k, v in stats.items() %}{{ k }}: {{ v }}\\n{% endfor %}")
        def report(customer):
            client.responses.create(model="gpt-4o", input=REPORT.render(stats={"open": 3, "closed": 9}, customer=customer))  # expect: none
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


# --- tables of people (pandas) --------------------------------------------------------

FRAMES = {
    "iterrows-of-a-csv-of-customers": """
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        df = pd.read_csv("data/customers.csv")
        for _, row in df.iterrows():
            client.responses.create(model="gpt-4o", input=f"Write to {row['email']}")  # expect: GDPR001
    """,
    "itertuples-of-a-patients-workbook": """
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        patients = pd.read_excel("patients.xlsx")
        for p in patients.itertuples(index=False):
            client.responses.create(model="gpt-4o", input=f"Summarise {p.diagnosis}")  # expect: GDPR001, GDPR002
    """,
    "records-of-a-sql-query-serialised": """
        import json
        import sqlite3
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        conn = sqlite3.connect("crm.db")
        frame = pd.read_sql("SELECT * FROM customers", conn)
        for rec in frame.to_dict("records"):
            client.responses.create(model="gpt-4o", input=json.dumps(rec))  # expect: GDPR001
    """,
    "markdown-of-the-table": """
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        df = pd.read_csv("customers.csv")
        client.responses.create(model="gpt-4o", input="Analyse:\\n" + df.head(20).to_markdown())  # expect: GDPR001
    """,
    "personal-columns-selected": """
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        df = pd.read_csv("customers.csv")
        contacts = df[["name", "email"]]
        client.responses.create(model="gpt-4o", input=contacts.to_csv())  # expect: GDPR001
    """,
    "a-non-personal-column-dropped-only": """
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        df = pd.read_csv("customers.csv")
        slim = df.drop(columns=["internal_score"])
        client.responses.create(model="gpt-4o", input=slim.to_csv())  # expect: GDPR001
    """,
    "non-personal-columns-of-customers": """
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        df = pd.read_csv("customers.csv")
        stats = df[["plan", "churn"]]
        client.responses.create(model="gpt-4o", input=stats.to_csv())  # expect: none
    """,
    "identifying-columns-dropped": """
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        df = pd.read_csv("customers.csv")
        anon = df.drop(columns=["email", "name", "phone"])
        client.responses.create(model="gpt-4o", input=anon.to_csv())  # expect: none
    """,
    "identifying-columns-dropped-by-axis": """
        import sqlite3
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        frame = pd.read_sql("SELECT * FROM patients", sqlite3.connect("clinic.db"))
        anon = frame.drop(["name", "cpr"], axis=1)
        client.responses.create(model="gpt-4o", input=anon.to_json())  # expect: none
    """,
    "a-table-of-products": """
        import pandas as pd
        from openai import OpenAI
        client = OpenAI()
        df = pd.read_csv("products.csv")
        for _, row in df.iterrows():
            client.responses.create(model="gpt-4o", input=f"Describe {row['name']}: {df.to_markdown()}")  # expect: none
    """,
}


@pytest.mark.parametrize("case", sorted(FRAMES))
def test_tables_of_people_and_their_columns(write, case):
    assert_marked(write({"main.py": FRAMES[case]}))


# --- ORM rows -------------------------------------------------------------------------

DJANGO_MODELS = """
from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()
    plan = models.CharField(max_length=20)


class Product(models.Model):
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2)
"""

DJANGO = {
    "values-of-personal-fields": """
        import json
        from openai import OpenAI
        from .models import Customer
        client = OpenAI()
        def export():
            rows = list(Customer.objects.filter(plan="pro").values("name", "email"))
            return client.responses.create(model="gpt-4o", input=json.dumps(rows))  # expect: GDPR001
    """,
    "values-list-of-emails": """
        from openai import OpenAI
        from .models import Customer
        client = OpenAI()
        def emails():
            return client.responses.create(model="gpt-4o", input=", ".join(Customer.objects.values_list("email", flat=True)))  # expect: GDPR001
    """,
    "drf-serializer-data": """
        import json
        from rest_framework import serializers
        from openai import OpenAI
        from .models import Customer
        client = OpenAI()
        class CustomerSerializer(serializers.ModelSerializer):
            class Meta:
                model = Customer
                fields = ["name", "email"]
        def profile(pk):
            data = CustomerSerializer(Customer.objects.get(pk=pk)).data
            return client.responses.create(model="gpt-4o", input=json.dumps(data))  # expect: GDPR001
    """,
    "model-form-cleaned-data": """
        from django import forms
        from openai import OpenAI
        from .models import Customer
        client = OpenAI()
        class SignupForm(forms.ModelForm):
            class Meta:
                model = Customer
                exclude = ["plan"]
        def signup(request):
            form = SignupForm(request.POST)
            if form.is_valid():
                client.responses.create(model="gpt-4o", input=f"New signup: {form.cleaned_data}")  # expect: GDPR001
    """,
    "values-of-a-non-personal-field": """
        import json
        from openai import OpenAI
        from .models import Customer
        client = OpenAI()
        def plans():
            rows = list(Customer.objects.values("plan"))
            return client.responses.create(model="gpt-4o", input=json.dumps(rows))  # expect: none
    """,
    "serializers-of-products-and-of-a-plan": """
        import json
        from rest_framework import serializers
        from openai import OpenAI
        from .models import Customer, Product
        client = OpenAI()
        class ProductSerializer(serializers.ModelSerializer):
            class Meta:
                model = Product
                fields = "__all__"
        class PlanSerializer(serializers.ModelSerializer):
            class Meta:
                model = Customer
                fields = ["plan"]
        def describe(pk):
            data = ProductSerializer(Product.objects.get(pk=pk)).data
            plan = PlanSerializer(Customer.objects.get(pk=pk)).data
            return client.responses.create(model="gpt-4o", input=json.dumps(data) + json.dumps(plan))  # expect: none
    """,
}


@pytest.mark.parametrize("case", sorted(DJANGO))
def test_django_rows_values_serializers_and_forms(write, case):
    assert_marked(write({"crm/__init__.py": "", "crm/models.py": DJANGO_MODELS, "crm/views.py": DJANGO[case]}))


SQLALCHEMY_MODELS = """
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    diagnosis: Mapped[str] = mapped_column(String(500))


class Venue(Base):
    __tablename__ = "venues"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
"""

SQLALCHEMY = {
    "session-get-then-vars": """
        from openai import OpenAI
        from sqlalchemy.orm import Session
        from models import Patient
        client = OpenAI()
        def summarise(session: Session, pid: int):
            rec = session.get(Patient, pid)
            client.responses.create(model="gpt-4o", input=f"Summarise {vars(rec)}")  # expect: GDPR001, GDPR002
    """,
    "session-get-then-a-name": """
        from openai import OpenAI
        from sqlalchemy.orm import Session
        from models import Patient
        client = OpenAI()
        def greet(session: Session, pid: int):
            rec = session.get(Patient, pid)
            client.responses.create(model="gpt-4o", input=f"Greet {rec.name}")  # expect: GDPR001
    """,
    "execute-select-scalars": """
        from openai import OpenAI
        from sqlalchemy import select
        from db import SessionLocal
        from models import Patient
        client = OpenAI()
        def digest():
            with SessionLocal() as s:
                for row in s.execute(select(Patient)).scalars():
                    client.responses.create(model="gpt-4o", input=str(row.__dict__))  # expect: GDPR001, GDPR002
    """,
    "legacy-query": """
        from openai import OpenAI
        from models import Patient
        client = OpenAI()
        def digest(session):
            first = session.query(Patient).filter(Patient.id == 1).first()
            client.responses.create(model="gpt-4o", input=repr(first))  # expect: GDPR001, GDPR002
    """,
    "a-lookup-keyed-by-a-patient-is-not-a-row": """
        from openai import OpenAI
        from models import Patient
        client = OpenAI()
        RISK = {}
        def risk(p: Patient):
            client.responses.create(model="gpt-4o", input=f"Risk score {RISK.get(p)}")  # expect: none
    """,
    "venues": """
        from openai import OpenAI
        from sqlalchemy import select
        from sqlalchemy.orm import Session
        from models import Venue
        client = OpenAI()
        def describe(session: Session):
            v = session.get(Venue, 1)
            rows = session.execute(select(Venue)).scalars().all()
            client.responses.create(model="gpt-4o", input=f"{v.name} {v.address} {vars(v)} {[r.name for r in rows]}")  # expect: none
    """,
}


@pytest.mark.parametrize("case", sorted(SQLALCHEMY))
def test_sqlalchemy_rows_of_the_model_queried(write, case):
    db = "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker(create_engine('sqlite://'))\n"
    assert_marked(write({"models.py": SQLALCHEMY_MODELS, "db.py": db, "main.py": SQLALCHEMY[case]}))


# --- records serialised ---------------------------------------------------------------

SERIALISED = {
    "asdict-of-a-patient": """
        import json
        from dataclasses import asdict
        from openai import OpenAI
        from records import Patient
        client = OpenAI()
        def send(p: Patient):
            client.responses.create(model="gpt-4o", input=json.dumps(asdict(p)))  # expect: GDPR001, GDPR002
    """,
    "model-dump-json-of-a-pydantic-patient": """
        from pydantic import BaseModel
        from openai import OpenAI
        client = OpenAI()
        class Admission(BaseModel):
            patient_name: str
            diagnosis: str
        def send(a: Admission):
            client.responses.create(model="gpt-4o", input=a.model_dump_json())  # expect: GDPR001, GDPR002
    """,
    "string-template-substitute-of-asdict": """
        import string
        from dataclasses import asdict
        from openai import OpenAI
        from records import Patient
        client = OpenAI()
        LETTER = string.Template("Discharge letter for $name: $diagnosis")
        def send(p: Patient):
            client.responses.create(model="gpt-4o", input=LETTER.substitute(**asdict(p)))  # expect: GDPR001, GDPR002
    """,
    "customer-without-special-fields": """
        from dataclasses import asdict
        from openai import OpenAI
        from records import Customer
        client = OpenAI()
        def send(c: Customer):
            client.responses.create(model="gpt-4o", input=str(asdict(c)))  # expect: GDPR001
    """,
}


@pytest.mark.parametrize("case", sorted(SERIALISED))
def test_serialised_records_carry_their_special_category_fields(write, case):
    assert_marked(write({"records.py": RECORDS, "main.py": SERIALISED[case]}))


def test_a_serialised_record_names_its_special_fields_in_the_code_s_terms(write):
    root = write({"records.py": RECORDS, "main.py": SERIALISED["asdict-of-a-patient"]})
    special = [f for f in analyse(root).findings if f.code == "GDPR002"]
    assert special and "p.diagnosis" in special[0].message


# --- LangChain prompt templates -------------------------------------------------------

LANGCHAIN = {
    "partial-piped-into-the-model": """
        from langchain_core.prompts import PromptTemplate
        from langchain_openai import ChatOpenAI
        from records import Customer
        llm = ChatOpenAI(model="gpt-4o")
        BASE = PromptTemplate.from_template("Write to {name} about their {plan} plan")
        def upsell(c: Customer):
            chain = BASE.partial(name=c.name) | llm
            return chain.invoke({"plan": c.plan})  # expect: GDPR001
    """,
    "partial-then-format": """
        from langchain_core.prompts import PromptTemplate
        from langchain_openai import ChatOpenAI
        from records import Customer
        llm = ChatOpenAI(model="gpt-4o")
        BASE = PromptTemplate.from_template("Write to {email} about their {plan} plan")
        def upsell(c: Customer):
            prompt = BASE.partial(email=c.email)
            return llm.invoke(prompt.format(plan=c.plan))  # expect: GDPR001
    """,
    "from-messages-with-a-parser": """
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_openai import ChatOpenAI
        from records import Patient
        prompt = ChatPromptTemplate.from_messages([("system", "Clinical assistant."), ("human", "Explain {diagnosis} to {name}")])
        chain = prompt | ChatOpenAI(model="gpt-4o") | StrOutputParser()
        def explain(p: Patient):
            return chain.invoke({"diagnosis": p.diagnosis, "name": p.name})  # expect: GDPR001, GDPR002
    """,
    "format-messages": """
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_openai import ChatOpenAI
        from records import Patient
        llm = ChatOpenAI()
        TPL = ChatPromptTemplate.from_template("Explain {diagnosis} simply")
        def explain(p: Patient):
            return llm.invoke(TPL.format_messages(diagnosis=p.diagnosis))  # expect: GDPR002
    """,
    "a-chain-fed-by-another-chain": """
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_openai import ChatOpenAI
        from records import Patient
        llm = ChatOpenAI()
        summarise = ChatPromptTemplate.from_template("Summarise: {notes}") | llm | StrOutputParser()
        translate = ChatPromptTemplate.from_template("Translate to Danish: {text}") | llm | StrOutputParser()
        def handover(p: Patient):
            summary = summarise.invoke({"notes": p.diagnosis})  # expect: GDPR002
            return translate.invoke({"text": summary})  # expect: GDPR002
    """,
    "partial-of-a-setting": """
        from langchain_core.prompts import PromptTemplate
        from langchain_openai import ChatOpenAI
        from records import Customer
        llm = ChatOpenAI(model="gpt-4o")
        BASE = PromptTemplate.from_template("In a {tone} tone, suggest an upgrade from the {plan} plan")
        def upsell(c: Customer):
            chain = BASE.partial(tone="friendly") | llm
            return chain.invoke({"plan": c.plan})  # expect: none
    """,
    "from-messages-of-non-personal-fields": """
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_openai import ChatOpenAI
        from records import Customer
        prompt = ChatPromptTemplate.from_messages([("system", "Pricing assistant."), ("user", "Suggest an upgrade from the {plan} plan for {seats} seats")])
        chain = prompt | ChatOpenAI()
        def upsell(c: Customer):
            return chain.invoke({"plan": c.plan, "seats": c.seats})  # expect: none
    """,
}


@pytest.mark.parametrize("case", sorted(LANGCHAIN))
def test_langchain_prompt_templates_partials_and_chains(write, case):
    assert_marked(write({"records.py": RECORDS, "main.py": LANGCHAIN[case]}))


def test_a_chain_defined_in_another_module_with_a_partial_prompt(write):
    root = write({
        "records.py": RECORDS,
        "chains.py": """
            from langchain_core.prompts import PromptTemplate
            from langchain_openai import ChatOpenAI
            BASE = PromptTemplate.from_template("Write to {name} about their {plan} plan")
            def letter_chain(name):
                return BASE.partial(name=name) | ChatOpenAI(model="gpt-4o")
        """,
        "main.py": """
            from chains import letter_chain
            from records import Customer
            def upsell(c: Customer):
                return letter_chain(c.name).invoke({"plan": c.plan})  # expect: GDPR001
            def generic(c: Customer):
                return letter_chain("our customer").invoke({"plan": c.plan})  # expect: none
        """,
    })
    assert_marked(root)


# --- files of people ------------------------------------------------------------------

FILES = {
    "yaml-resume": """
        import yaml
        from openai import OpenAI
        client = OpenAI()
        profile = yaml.safe_load(open("resume.yaml"))
        client.responses.create(model="gpt-4o", input=f"Improve this: {profile}")  # expect: GDPR001
    """,
    "json-customers": """
        import json
        from openai import OpenAI
        client = OpenAI()
        for entry in json.load(open("data/customers.json")):
            client.responses.create(model="gpt-4o", input=str(entry))  # expect: GDPR001
    """,
    "dict-reader-over-a-path": """
        import csv
        from pathlib import Path
        from openai import OpenAI
        client = OpenAI()
        rows = list(csv.DictReader(Path("exports/employees.csv").open()))
        client.responses.create(model="gpt-4o", input=str(rows[:10]))  # expect: GDPR001
    """,
    "path-read-text": """
        from pathlib import Path
        from openai import OpenAI
        client = OpenAI()
        client.responses.create(model="gpt-4o", input=Path("patients.csv").read_text())  # expect: GDPR001
    """,
    "settings-templates-and-products": """
        import csv
        import yaml
        from pathlib import Path
        from openai import OpenAI
        client = OpenAI()
        cfg = yaml.safe_load(open("config.yaml"))
        tmpl = Path("email_template.txt").read_text()
        items = list(csv.DictReader(Path("products.csv").open()))
        client.responses.create(model="gpt-4o", input=str(cfg) + tmpl + str(items))  # expect: none
    """,
}


@pytest.mark.parametrize("case", sorted(FILES))
def test_files_of_people_read_whole(write, case):
    assert_marked(write({"main.py": FILES[case]}))
