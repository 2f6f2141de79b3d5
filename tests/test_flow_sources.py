"""Where personal data comes from: names (with their owner as context), dict keys,
types and schemas, literal values, whole records, free text, multilingual
vocabulary. Positive and negative cases; `# expect:` markers as in the corpus.
"""

from __future__ import annotations

import pytest

from helpers import analyse, assert_marked, findings_of


def chat_app(param: str, expr: str, codes: str, label: str = "Please help with this:") -> str:
    """A minimal support handler that interpolates `expr` into a chat prompt."""
    return f'''
from openai import OpenAI

client = OpenAI()


def handle({param}):
    return client.chat.completions.create(  # expect: {codes}
        model="gpt-4o-mini",
        messages=[{{"role": "user", "content": f"{label} {{{expr}}}"}}],
    )
'''


# (parameter list, interpolated expression, expected codes)
NAMES = [
    # owner gives context
    ("customer", "customer.name", "GDPR001"),
    ("patient", "patient.email", "GDPR001"),
    ("customer", "customer.phone_number", "GDPR001"),
    ("tenant", "tenant.home_address", "GDPR001"),
    ("applicant", "applicant.date_of_birth", "GDPR001"),
    ("debtor", "debtor.iban", "GDPR001"),
    ("citizen", "citizen.ssn", "GDPR001"),
    # normalised camelCase / snake_case
    ("customerEmail", "customerEmail", "GDPR001"),
    ("billingAddress", "billingAddress", "GDPR001"),
    ("first_name, last_name", "first_name + ' ' + last_name", "GDPR001"),
    ("client_ip", "client_ip", "GDPR001"),
    # multilingual vocabulary
    ("borger", "borger.fornavn", "GDPR001"),
    ("kunde", "kunde.efternavn", "GDPR001"),
    ("borger", "borger.adresse", "GDPR001"),
    ("kunde", "kunde.telefon", "GDPR001"),
    ("cpr_nummer", "cpr_nummer", "GDPR001"),
    ("personnummer", "personnummer", "GDPR001"),
    ("fødselsnummer", "fødselsnummer", "GDPR001"),
    ("geburtsdatum", "geburtsdatum", "GDPR001"),
    ("vorname, nachname", "vorname + nachname", "GDPR001"),
    ("prénom", "prénom", "GDPR001"),
    ("sagsnotat", "sagsnotat", "GDPR001"),
    ("lebenslauf", "lebenslauf", "GDPR001"),
    ("epikrise", "epikrise", "GDPR002"),
    ("anamnese", "anamnese", "GDPR002"),
    # free text about a person, by its name
    ("resume_text", "resume_text", "GDPR001"),
    ("case_notes", "case_notes", "GDPR001"),
    ("clinical_notes", "clinical_notes", "GDPR002"),
    # special categories, Art. 9 and Art. 10
    ("patient", "patient.diagnosis", "GDPR002"),
    ("patient", "patient.medication", "GDPR002"),
    ("applicant", "applicant.genetic_test_results", "GDPR002"),
    ("employee", "employee.face_encoding", "GDPR002"),
    ("applicant", "applicant.ethnicity", "GDPR002"),
    ("member", "member.political_opinion", "GDPR002"),
    ("employee", "employee.religion", "GDPR002"),
    ("employee", "employee.union_membership", "GDPR002"),
    ("user", "user.sexual_orientation", "GDPR002"),
    ("offender", "offender.criminal_record", "GDPR002"),
    ("applicant", "applicant.previous_convictions", "GDPR002"),
    ("patient", "patient.name + ': ' + patient.diagnosis", "GDPR001, GDPR002"),
]

NOT_PERSONAL = [
    ("product", "product.name"),
    ("model", "model.name"),
    ("file_name", "file_name"),
    ("company", "company.address"),
    ("server_ip", "server_ip"),
    ("email_template", "email_template"),
    ("phone_model", "phone_model"),
    ("date_of_release", "date_of_release"),
    ("country", "country"),
    ("customers", "len(customers)"),
    ("dog", "dog.diagnosis"),
    ("pet", "pet.medication"),
    ("team", "team.email"),
    ("opportunity", "opportunity.name"),
]


@pytest.mark.parametrize(("param", "expr", "codes"), NAMES, ids=[n[1] for n in NAMES])
def test_personal_identifiers(write, param, expr, codes):
    assert_marked(write({"app/handler.py": chat_app(param, expr, codes)}))


@pytest.mark.parametrize(("param", "expr"), NOT_PERSONAL, ids=[n[1] for n in NOT_PERSONAL])
def test_tempting_names_that_are_not_personal(write, param, expr):
    assert_marked(write({"app/handler.py": chat_app(param, expr, "none")}))


def test_finding_names_the_data_and_its_category(write):
    root = write({"crm/followup.py": chat_app("customer", "customer.email", "GDPR001")})
    [f] = analyse(root).findings
    assert f.data == ["customer.email (email)"]
    assert f.categories == ["email"]
    assert (f.line, f.column) == (7, 12)
    assert f.flow[0].note == "`customer.email` (email)"
    assert f.flow[0].line == 9 and f.flow[-1].line == 9
    assert f.severity == "medium" and f.confidence == "high"
    assert f.params == ["messages"]


def test_special_category_finding_is_high_severity(write):
    root = write({"clinic/handover.py": chat_app("patient", "patient.diagnosis", "GDPR002")})
    [f] = analyse(root).findings
    assert f.code == "GDPR002" and f.severity == "high"
    assert f.categories == ["health"]
    assert f.data == ["patient.diagnosis (health data)"]


# --- dict keys, lookups, getattr ---------------------------------------------------------


def test_dict_keys_and_lookups(write):
    root = write({"crm/api.py": '''
        from flask import request
        from openai import OpenAI

        client = OpenAI()


        def enrich(row, payload):
            client.responses.create(model="gpt-4o-mini", input=f"Lead: {row['email']}")  # expect: GDPR001
            client.responses.create(model="gpt-4o-mini", input="Call " + request.json["phone"])  # expect: GDPR001
            client.responses.create(model="gpt-4o-mini", input=str(payload.get("cpr")))  # expect: GDPR001
            client.responses.create(model="gpt-4o-mini", input=f"{row['diagnosis']}")  # expect: GDPR002


        def lookup(user):
            return client.responses.create(model="gpt-4o-mini", input=getattr(user, "email"))  # expect: GDPR001


        def settings_only(settings):
            return client.responses.create(  # expect: none
                model=settings["model_name"], input=settings.get("email_template", "Hello!")
            )
    '''})
    assert_marked(root)


# --- types and schemas -------------------------------------------------------------------


def test_pydantic_email_str_and_model_fields(write):
    root = write({"shop/models.py": '''
        from pydantic import BaseModel, EmailStr


        class Lead(BaseModel):
            contact: EmailStr
            company_size: int


        class Product(BaseModel):
            title: str
            price: float
    ''', "shop/ai.py": '''
        from openai import OpenAI

        from shop.models import Lead, Product

        client = OpenAI()


        def pitch(lead: Lead, product: Product):
            client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"Pitch {product.title} to {lead.contact}"}],
            )
            client.chat.completions.create(  # expect: none
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": product.model_dump_json()}],
            )
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": lead.model_dump_json()}],
            )
    '''})
    assert_marked(root)


def test_django_model_fields(write):
    root = write({"members/models.py": '''
        from django.db import models


        class Member(models.Model):
            reach = models.EmailField()
            joined = models.DateField()


        class Venue(models.Model):
            title = models.CharField(max_length=80)
    ''', "members/tasks.py": '''
        from openai import OpenAI

        from members.models import Member, Venue

        client = OpenAI()


        def welcome(member_id, venue_id):
            m = Member.objects.get(pk=member_id)
            v = Venue.objects.get(pk=venue_id)
            client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"Welcome mail for {m.reach} at {v.title}"}],
            )
            return client.chat.completions.create(  # expect: none
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"Describe {v.title}, joined {m.joined:%Y}"}],
            )
    '''})
    assert_marked(root)


def test_sqlalchemy_and_dataclass_records(write):
    root = write({"bank/records.py": '''
        from dataclasses import dataclass, asdict

        import attr
        from sqlalchemy import Column, Integer, String
        from sqlalchemy.orm import declarative_base

        Base = declarative_base()


        class Borrower(Base):
            __tablename__ = "borrowers"
            id = Column(Integer, primary_key=True)
            full_name = Column(String(200))
            iban = Column(String(34))


        @dataclass
        class Applicant:
            fornavn: str
            telefon: str


        @attr.s(auto_attribs=True)
        class Branch:
            city: str
            opening_hours: str
    ''', "bank/assistant.py": '''
        import json
        from dataclasses import asdict

        from openai import OpenAI

        from bank.records import Applicant, Borrower, Branch

        client = OpenAI()


        def explain(b: Borrower, a: Applicant, br: Branch):
            client.responses.create(model="gpt-4o", input=str(b))  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=json.dumps(asdict(a)))  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=f"Opening hours: {br.opening_hours}")  # expect: none
    '''})
    assert_marked(root)


# --- literal values ----------------------------------------------------------------------


def test_literal_personal_values(write):
    root = write({"ops/debug_prompt.py": '''
        from openai import OpenAI

        client = OpenAI()

        client.responses.create(model="gpt-4o-mini", input="Why does mette.hansen@gmail.com get bounces?")  # expect: GDPR001
        client.responses.create(model="gpt-4o-mini", input="Look up CPR 070761-4285 in the register")  # expect: GDPR001
        client.responses.create(model="gpt-4o-mini", input="Refund to DK5000400440116243")  # expect: GDPR001
        client.responses.create(model="gpt-4o-mini", input="Explain HTTP status 404 and version 1.2.3")  # expect: none
        client.responses.create(model="gpt-4o-mini", input="Reply to support@clinic.dk without naming anyone")  # expect: none
        client.responses.create(model="gpt-4o-mini", input="Validate addresses like jane.doe@example.com")  # expect: none
    '''})
    assert_marked(root)


# --- whole records serialised ---------------------------------------------------------


def test_whole_records_serialised(write):
    root = write({"hr/export.py": '''
        import json
        from dataclasses import asdict

        import pandas as pd
        from openai import OpenAI

        client = OpenAI()


        def analyse(customer, employee, user, patient, products):
            client.responses.create(model="gpt-4o", input=json.dumps(customer))  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=employee.model_dump_json())  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=json.dumps(asdict(employee)))  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=json.dumps(vars(user)))  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=str(patient))  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=json.dumps({"count": len(products)}))  # expect: none


        def churn_table(path):
            df = pd.read_parquet(path)
            at_risk = df[df["churn_score"] > 0.7][["customer_name", "email", "mrr"]]
            client.responses.create(model="gpt-4o", input=at_risk.to_csv(index=False))  # expect: GDPR001
            totals = df[["region", "mrr"]].groupby("region").sum()
            return client.responses.create(model="gpt-4o", input=totals.to_csv())  # expect: none
    '''})
    assert_marked(root)


def test_rows_of_a_person_table_are_records(write):
    root = write({"crm/report.py": '''
        import json
        import sqlite3

        from openai import OpenAI

        client = OpenAI()
        db = sqlite3.connect("crm.db")


        def brief(customer_id):
            row = db.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
            return client.responses.create(model="gpt-4o", input=json.dumps(row))  # expect: GDPR001
    '''})
    assert_marked(root)


def test_person_modifier_on_a_container_name(write):
    root = write({"crm/report.py": chat_app("customer_row", "json.dumps(customer_row)", "GDPR001")
                  .replace("from openai", "import json\nfrom openai")})
    assert_marked(root)


# --- free text and prompt labels -----------------------------------------------------


def test_free_text_and_prompt_labels(write):
    root = write({"clinic/notes.py": '''
        from openai import OpenAI

        client = OpenAI()


        def summarise_visit(text, who, entry):
            client.chat.completions.create(  # expect: GDPR002
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Diagnosis: {text}"}],
            )
            client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Patient: {who}. Write a friendly reminder."}],
            )
            return client.chat.completions.create(  # expect: none
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Translate to Danish: {entry}"}],
            )
    '''})
    assert_marked(root)


# --- GDPR003: direct identifiers as user= / safety_identifier= -------------------------


def test_raw_identifiers_as_end_user_id(write):
    root = write({"support/chat.py": '''
        from openai import OpenAI

        client = OpenAI()
        MSGS = [{"role": "user", "content": "How do I reset my password?"}]


        def reply(customer, member, citizen, request):
            client.chat.completions.create(model="gpt-4o-mini", messages=MSGS, user=customer.email)  # expect: GDPR003
            client.chat.completions.create(model="gpt-4o-mini", messages=MSGS, user=member.username)  # expect: GDPR003
            client.responses.create(model="gpt-4o-mini", input="hi", safety_identifier=customer.customer_number)  # expect: GDPR003
            client.responses.create(model="gpt-4o-mini", input="hi", safety_identifier=citizen.cpr)  # expect: GDPR003
            client.chat.completions.create(model="gpt-4o-mini", messages=MSGS, user=request.user.username)  # expect: GDPR003
            client.chat.completions.create(model="gpt-4o-mini", messages=MSGS, user="support-widget")  # expect: none
    '''})
    assert_marked(root)


def test_identifier_only_in_user_is_not_content(write):
    """A customer number in user= is GDPR003, not GDPR001: content is untouched."""
    root = write({"shop/chat.py": '''
        from openai import OpenAI

        client = OpenAI()


        def ask(customer_number, question):
            return client.chat.completions.create(  # expect: GDPR003
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": question}],
                user=customer_number,
            )
    '''})
    assert_marked(root)
    assert {c for c, _, _ in findings_of(root)} == {"GDPR003"}


def test_a_chatbots_own_name_under_a_prompt_label_is_not_a_persons(write):
    # "Name:" in a persona prompt labels the bot's name; the same label on a customer's stays
    from helpers import assert_marked

    assert_marked(write({"bot/persona.py": '''
        from openai import OpenAI

        client = OpenAI()
        config = {"chatbot_name": "Nova", "bot_personality": "cheerful"}


        def persona_reply(question):
            system = f"Name: {config['chatbot_name']}\\nPersonality: {config['bot_personality']}"
            return client.chat.completions.create(  # expect: none
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": system}, {"role": "user", "content": question}])


        def support_reply(customer, question):
            system = f"Name: {customer.full_name}"
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": system}, {"role": "user", "content": question}])
        '''}))
