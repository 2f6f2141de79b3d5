"""Application shapes seen in real code: a wrapper class around the client used from
other modules, Django's request.user, records dumped with __dict__, training files
uploaded by name."""

from __future__ import annotations

from helpers import check_json

LLM = '''
from openai import OpenAI


class LLM:
    def __init__(self, model: str = "gpt-4o-mini"):
        self.client = OpenAI()
        self.model = model

    def ask(self, prompt: str, system: str = "You are helpful.") -> str:
        resp = self.client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": prompt}],
        )
        return resp.choices[0].message.content


llm = LLM()
'''


def test_wrapper_class_fed_from_other_modules(write):
    root = write({
        "app/__init__.py": "",
        "app/llm.py": LLM,
        "app/views.py": '''
            from .llm import llm


            def welcome(request):
                user = request.user
                return llm.ask(f"Write a welcome note for {user.get_full_name()} ({user.email})")


            def faq(request):
                return llm.ask("What are your opening hours?")
        ''',
        "app/tasks.py": '''
            import json

            from app.llm import LLM


            def nightly(customers):
                bot = LLM(model="gpt-4o")
                for c in customers:
                    bot.ask("Summarise this account:\\n" + json.dumps(c.__dict__, default=str))
        ''',
    })
    findings = check_json(root)
    assert [(f["code"], f["path"], f["line"]) for f in findings] == [("GDPR001", "app/llm.py", 10)]
    data = findings[0]["data"]
    assert "user.email (email)" in data
    assert "user.get_full_name() (name)" in data
    assert "c.__dict__ (whole personal record)" in data
    # the path of the first datum runs through the caller in another module
    paths = {step["path"] for step in findings[0]["flow"]}
    assert "app/llm.py" in paths and len(paths) == 2


def test_training_file_named_after_people_is_personal(write):
    root = write({"ml/finetune.py": '''
        from openai import OpenAI

        client = OpenAI()


        def upload_training_data():
            with open("exports/customer_tickets.jsonl", "rb") as fh:
                return client.files.create(file=fh, purpose="fine-tune")


        def upload_handbook():
            return client.files.create(file=open("handbook.pdf", "rb"), purpose="assistants")
    '''})
    findings = check_json(root)
    assert [(f["code"], f["line"]) for f in findings] == [("GDPR001", 8)]
    assert findings[0]["data"] == ["customer_tickets.jsonl (whole personal record)"]


def test_templates_rendered_with_records_and_constant_field_lists(write):
    root = write({"crm/drafts.py": '''
        from flask import render_template
        from jinja2 import Template
        from openai import OpenAI

        client = OpenAI()
        PROMPT = Template("Write to {{ customer.name }} about order {{ order.id }}")
        CONTACT_FIELDS = ["email", "phone"]


        def confirmation(customer, order):
            text = PROMPT.render(customer=customer, order=order)
            return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])


        def summary(patient):
            return client.responses.create(model="gpt-4o", input=render_template("summary.txt", patient=patient))


        def contact_line(row):
            parts = [row[f] for f in CONTACT_FIELDS]
            return client.responses.create(model="gpt-4o-mini", input=" / ".join(parts))


        def product_blurb(product_name, company):
            # labels alone do not make a product or company personal
            return client.responses.create(model="gpt-4o-mini", input=f"Name: {product_name}\\nAddress: {company.address}")
    '''})
    findings = check_json(root)
    got = {(f["line"], f["code"]): f["data"] for f in findings}
    assert set(got) == {(12, "GDPR001"), (16, "GDPR001"), (21, "GDPR001")}
    # the template's text is known: it writes the customer's name, not the whole record
    assert got[(12, "GDPR001")] == ["customer.name (name)"]
    # summary.txt is not in the project: the renderer writes everything it was given
    assert got[(16, "GDPR001")] == ["patient (whole personal record)"]
    assert got[(21, "GDPR001")] == ["row['email'] (email)", "row['phone'] (phone)"]


def test_resources_that_left_beta_are_still_requests(write):
    root = write({"kb/index.py": '''
        from openai import OpenAI

        client = OpenAI()


        def index_customers(vector_store_id):
            return client.beta.vector_stores.files.upload_and_poll(
                vector_store_id=vector_store_id, file=open("customers.csv", "rb"))
    '''})
    findings = check_json(root)
    assert [(f["code"], f["line"], f["endpoint"]) for f in findings] == [
        ("GDPR001", 7, "vector_stores.files.upload_and_poll")]


def test_a_person_named_variable_bound_to_one_part_names_that_part(write):
    # `user = config["name"]` holds the user's name, not their whole record; `user =
    # request.user` and `customer = load(...)` still hold the person
    root = write({"assistant.py": '''
        from openai import OpenAI

        client = OpenAI()


        def sign_off(config, body):
            user = config["name"]
            owner = config.contact.email
            return client.responses.create(model="gpt-4o", input=f"{body}\\n\\nRegards, {user} ({owner})")


        def greet(request):
            user = request.user
            return client.responses.create(model="gpt-4o", input=f"Greet {user}")


        def theme(config):
            user = config["theme"]
            return client.responses.create(model="gpt-4o", input=f"Describe the {user} theme")
    '''})
    found = {f["line"]: f["data"] for f in check_json(root)}
    assert sorted(found[9]) == ["config.contact.email (email)", "user (name)"]
    assert found[14] == ["user (whole personal record)"]
    # a part no word names (`theme`) leaves the name's own meaning: unknown, as before
    assert found[19] == ["user (whole personal record)"]


def test_parameters_named_after_chat_roles_are_message_texts(write):
    # `def complete(system, user)`: `user` is the text of the user message, not a person;
    # what a caller passes through it is still followed. A `user` with no role beside it
    # (`greet(user)`) still names a person.
    from helpers import assert_marked

    assert_marked(write({
        "svc/__init__.py": "",
        "svc/llm.py": """
            from openai import OpenAI

            client = OpenAI()


            def complete(system: str, user: str) -> str:
                return client.chat.completions.create(  # expect: GDPR001
                    model="gpt-4o-mini",
                    messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                ).choices[0].message.content


            def reply(user, assistant, follow_up):
                return client.chat.completions.create(model="gpt-4o-mini", messages=[
                    {"role": "user", "content": user}, {"role": "assistant", "content": assistant},
                    {"role": "user", "content": follow_up}])


            def greet(user):
                return client.responses.create(model="gpt-4o-mini", input=f"Write a greeting for {user}")  # expect: GDPR001
        """,
        "svc/screening.py": """
            from svc.llm import complete


            def screen(applicant):
                return complete("You screen CVs.", f"{applicant.full_name}: {applicant.cv_text}")


            def describe(product):
                return complete("You write product copy.", f"Describe {product.title}")
        """,
    }))
    findings = check_json(write({}))
    [helper] = [f for f in findings if f["line"] == 7]
    assert sorted(d.split(" (")[0] for d in helper["data"]) == ["applicant.cv_text", "applicant.full_name"]


def test_a_person_word_typed_as_text_is_that_persons_name(write):
    # `author: str`, `customer: Optional[str]`, `patient: str | None`: text, so the person's
    # name, not their whole record (medium severity, not high). Unannotated or typed with a
    # class of the project's, the word still means the record.
    root = write({"desk/greet.py": """
        from typing import Optional

        from openai import OpenAI

        client = OpenAI()


        class Customer:
            def __init__(self, name, email):
                self.name, self.email = name, email


        def imitate(author: str, topic):
            return client.responses.create(model="gpt-4o-mini", input=f"{topic} in the style of {author}")


        def greet(customer: Optional[str]):
            return client.responses.create(model="gpt-4o-mini", input=f"Greet {customer}")


        def notes(patient: str | None):
            return client.responses.create(model="gpt-4o-mini", input=f"Notes for {patient}")


        def welcome(customer):
            return client.responses.create(model="gpt-4o-mini", input=f"Welcome {customer}")


        def thank(customer: Customer):
            return client.responses.create(model="gpt-4o-mini", input=f"Thank {customer}")
    """})
    found = {f["line"]: (f["data"], f["severity"]) for f in check_json(root, "--no-cache")}
    assert found == {
        14: (["author (name)"], "medium"),
        18: (["customer (name)"], "medium"),
        22: (["patient (name)"], "medium"),
        26: (["customer (whole personal record)"], "high"),
        30: (["customer (whole personal record)"], "high"),
    }, found
