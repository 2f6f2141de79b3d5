"""How personal data travels to the request: every propagation form, inside a
function, through functions and classes, and across modules. Each form is run
twice: carrying `customer.email` (a finding) and carrying `product.title` (none).
"""

from __future__ import annotations

import textwrap

import pytest

from helpers import analyse, assert_marked
from gdpr_lint.analysis.program.project import Project
from gdpr_lint.analysis.vocabulary import default_vocabulary
from gdpr_lint.pipeline.source import read_source

# Each body builds `payload` from {X} and ends in a request marked `# expect: {CODES}`.
FORMS = {
    "assignment-chain": """
        a = {X}
        b = a
        payload = b
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "augmented-assignment": """
        payload = "Draft a reply to "
        payload += {X}
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "f-string": """
        payload = f"Draft a reply to {{{X}}} about the late delivery"
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "percent-format": """
        payload = "Draft a reply to %s about %s" % ({X}, "the late delivery")
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "str-format": """
        payload = "Draft a reply to {{who}} about {{what}}".format(who={X}, what="the delivery")
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "format-map": """
        payload = "Draft a reply to {{who}}".format_map({{"who": {X}}})
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "string-template": """
        payload = string.Template("Draft a reply to $who").substitute(who={X})
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "concatenation": """
        payload = "Draft a reply to " + {X} + "."
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "join": """
        payload = "\\n".join(["Draft a reply to:", {X}])
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "list-literal": """
        messages = [{{"role": "system", "content": "You are polite."}}, {{"role": "user", "content": {X}}}]
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # expect: {CODES}
    """,
    "tuple-and-dict-literal": """
        parts = ("Reply to", {X})
        msg = {{"role": "user", "content": " ".join(parts)}}
        client.chat.completions.create(model="gpt-4o-mini", messages=[msg])  # expect: {CODES}
    """,
    "list-comprehension": """
        lines = [f"- {{v}}" for v in [{X}, "order 1234"]]
        client.responses.create(model="gpt-4o-mini", input="\\n".join(lines))  # expect: {CODES}
    """,
    "dict-comprehension": """
        fields = {{k: v for k, v in [("to", {X}), ("topic", "delivery")]}}
        client.responses.create(model="gpt-4o-mini", input=json.dumps(fields))  # expect: {CODES}
    """,
    "append": """
        messages = [{{"role": "system", "content": "You are polite."}}]
        messages.append({{"role": "user", "content": {X}}})
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # expect: {CODES}
    """,
    "extend": """
        messages = []
        messages.extend([{{"role": "user", "content": {X}}}])
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # expect: {CODES}
    """,
    "insert": """
        messages = [{{"role": "user", "content": "Reply please."}}]
        messages.insert(0, {{"role": "system", "content": {X}}})
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # expect: {CODES}
    """,
    "dict-update": """
        msg = {{"role": "user"}}
        msg.update(content={X})
        client.chat.completions.create(model="gpt-4o-mini", messages=[msg])  # expect: {CODES}
    """,
    "dict-unpacking": """
        base = {{"role": "user", "content": "Reply please."}}
        msg = {{**base, "content": {X}}}
        client.chat.completions.create(model="gpt-4o-mini", messages=[msg])  # expect: {CODES}
    """,
    "request-kwargs-unpacked": """
        params = {{"model": "gpt-4o-mini", "messages": [{{"role": "user", "content": {X}}}]}}
        client.chat.completions.create(**params)  # expect: {CODES}
    """,
    "functools-partial": """
        ask = functools.partial(client.chat.completions.create, model="gpt-4o-mini")
        ask(messages=[{{"role": "user", "content": {X}}}])  # expect: {CODES}
    """,
    "subscript-assignment": """
        msg = {{"role": "user"}}
        msg["content"] = {X}
        client.chat.completions.create(model="gpt-4o-mini", messages=[msg])  # expect: {CODES}
    """,
    "walrus-and-conditional": """
        if (text := {X}) and len(text) > 3:
            payload = text
        else:
            payload = "n/a"
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
    "loop-accumulator": """
        payload = ""
        for part in ("Dear", {X}):
            payload += part + " "
        client.responses.create(model="gpt-4o-mini", input=payload)  # expect: {CODES}
    """,
}

HEADER = """\
import functools
import json
import string

from openai import OpenAI

client = OpenAI()


def handle(customer, product):
"""


def form_module(body: str, expr: str, codes: str) -> str:
    body = textwrap.dedent(body).strip("\n").replace("{X}", expr).replace("{CODES}", codes)
    body = body.replace("{{", "{").replace("}}", "}")
    return HEADER + textwrap.indent(body, "    ") + "\n"


@pytest.mark.parametrize("form", list(FORMS))
def test_propagation_carries_personal_data(tmp_path, form):
    (tmp_path / "crm").mkdir()
    (tmp_path / "crm" / "reply.py").write_text(form_module(FORMS[form], "customer.email", "GDPR001"))
    assert_marked(tmp_path)


@pytest.mark.parametrize("form", list(FORMS))
def test_propagation_of_non_personal_data_is_clean(tmp_path, form):
    (tmp_path / "crm").mkdir()
    (tmp_path / "crm" / "reply.py").write_text(form_module(FORMS[form], "product.title", "none"))
    assert_marked(tmp_path)


def test_overwritten_value_no_longer_leaks(write):
    root = write({"crm/reply.py": """
        from openai import OpenAI

        client = OpenAI()


        def handle(customer):
            payload = f"Reply to {customer.email}"
            payload = "Reply to the customer about the delivery."
            return client.responses.create(model="gpt-4o-mini", input=payload)  # expect: none
    """})
    assert_marked(root)


def test_self_attributes(write):
    root = write({"support/assistant.py": """
        from openai import OpenAI


        class TicketAssistant:
            def __init__(self, ticket, customer):
                self.client = OpenAI()
                self.ticket = ticket
                self.context = f"Customer {customer.full_name}, phone {customer.phone}"

            def draft(self):
                return self.client.chat.completions.create(  # expect: GDPR001
                    model="gpt-4o-mini",
                    messages=[{"role": "system", "content": self.context},
                              {"role": "user", "content": self.ticket.subject}],
                )

            def tag(self):
                return self.client.chat.completions.create(  # expect: none
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": self.ticket.subject}],
                )
    """})
    assert_marked(root)


def test_return_values_and_parameters(write):
    root = write({"hr/review.py": """
        from openai import OpenAI

        client = OpenAI()


        def build_prompt(employee):
            return f"Summarise the appraisal of {employee.full_name}"


        def build_generic(topic):
            return f"Write a short note about {topic}"


        def send(text):
            return client.responses.create(model="gpt-4o-mini", input=text)  # expect: GDPR001


        def appraisal(employee):
            return send(build_prompt(employee))


        def newsletter():
            return client.responses.create(model="gpt-4o-mini", input=build_generic("the summer party"))  # expect: none
    """})
    assert_marked(root)


def test_prompt_builders_in_other_modules_with_relative_imports(write):
    root = write({
        "municipality/__init__.py": "",
        "municipality/prompts/__init__.py": "",
        "municipality/prompts/templates.py": """
            CASE_TEMPLATE = "Citizen: {name}\\nCPR: {cpr}\\nCase: {case}"
            FAQ_TEMPLATE = "Answer the question about opening hours: {q}"
        """,
        "municipality/prompts/builders.py": """
            from .templates import CASE_TEMPLATE, FAQ_TEMPLATE


            def case_prompt(borger, case_text):
                return CASE_TEMPLATE.format(name=borger.fornavn, cpr=borger.cpr_nummer, case=case_text)


            def faq_prompt(question):
                return FAQ_TEMPLATE.format(q=question)
        """,
        "municipality/services/__init__.py": "",
        "municipality/services/caseworker.py": """
            from openai import OpenAI

            from ..prompts.builders import case_prompt, faq_prompt

            client = OpenAI()


            def assist(borger, case_text):
                return client.responses.create(model="gpt-4o", input=case_prompt(borger, case_text))  # expect: GDPR001


            def faq(question):
                return client.responses.create(model="gpt-4o", input=faq_prompt(question))  # expect: none
        """,
    })
    assert_marked(root)
    [f] = analyse(root).findings
    assert {s.path for s in f.flow} >= {"municipality/prompts/builders.py", "municipality/services/caseworker.py"}


def test_wrapper_fed_by_callers_elsewhere_reports_at_the_call_with_caller_in_flow(write):
    root = write({
        "clinic/__init__.py": "",
        "clinic/llm.py": """
            from openai import OpenAI

            client = OpenAI()


            def call_openai(prompt: str) -> str:
                resp = client.chat.completions.create(  # expect: GDPR002
                    model="gpt-4o",
                    messages=[{"role": "user", "content": prompt}],
                )
                return resp.choices[0].message.content
        """,
        "clinic/discharge.py": """
            from clinic.llm import call_openai


            def discharge_letter(patient):
                return call_openai(f"Write a discharge letter. Diagnosis: {patient.diagnosis}")
        """,
        "clinic/faq.py": """
            from clinic.llm import call_openai


            def opening_hours():
                return call_openai("When is the clinic open on public holidays?")
        """,
    })
    assert_marked(root)
    [f] = analyse(root).findings
    assert (f.path, f.line) == ("clinic/llm.py", 7)
    assert f.data == ["patient.diagnosis (health data)"]
    caller_steps = [s for s in f.flow if s.path == "clinic/discharge.py"]
    assert caller_steps and caller_steps[0].line == 5
    assert f.flow[-1].path == "clinic/llm.py"


def test_wrapper_with_only_clean_callers_is_clean(write):
    root = write({
        "shop/llm.py": """
            from openai import OpenAI

            client = OpenAI()


            def ask(prompt):
                return client.responses.create(model="gpt-4o-mini", input=prompt)  # expect: none
        """,
        "shop/catalogue.py": """
            from shop.llm import ask


            def describe(product):
                return ask(f"Describe {product.title} in two sentences.")
        """,
    })
    assert_marked(root)


def test_client_from_factory_in_other_module_still_sees_the_data(write):
    root = write({
        "bank/__init__.py": "",
        "bank/clients.py": """
            from openai import AzureOpenAI


            def eu_client():
                return AzureOpenAI(azure_endpoint="https://bank-eu.openai.azure.com", api_version="2024-06-01")
        """,
        "bank/kyc.py": """
            from .clients import eu_client


            def check(customer):
                client = eu_client()
                return client.chat.completions.create(  # expect: GDPR001
                    model="gpt-4o",
                    messages=[{"role": "user", "content": f"Is IBAN {customer.iban} plausible?"}],
                )
        """,
    })
    assert_marked(root)


def test_langchain_chain_and_litellm_carry_data(write):
    root = write({"hr/screening.py": """
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_openai import ChatOpenAI
        from litellm import completion

        llm = ChatOpenAI(model="gpt-4o-mini")
        prompt = ChatPromptTemplate.from_template("Assess this CV: {cv}")


        def screen(candidate):
            chain = prompt | llm
            chain.invoke({"cv": candidate.resume_text})  # expect: GDPR001
            completion(model="gpt-4o-mini", messages=[{"role": "user", "content": candidate.email}])  # expect: GDPR001
            completion(model="claude-3-5-sonnet-20240620", messages=[{"role": "user", "content": candidate.email}])
            return llm.invoke("List three interview questions for a backend role")  # expect: none
    """})
    assert_marked(root)


def test_generator_yields_and_closures(write):
    root = write({"crm/batch.py": """
        from openai import OpenAI

        client = OpenAI()


        def reminders(customers):
            for c in customers:
                yield f"Remind {c.email} about the unpaid invoice"


        def headlines(products):
            yield from (f"New: {p.title}" for p in products)


        def send_reminders(customers, products):
            for text in reminders(customers):
                client.responses.create(model="gpt-4o-mini", input=text)  # expect: GDPR001
            for text in headlines(products):
                client.responses.create(model="gpt-4o-mini", input=text)  # expect: none


        def callback_for(customer):
            def run():
                return client.responses.create(model="gpt-4o-mini", input=customer.phone)  # expect: GDPR001
            return run
    """})
    assert_marked(root)


def test_dataclass_constructor_arguments(write):
    root = write({"crm/drafts.py": """
        from dataclasses import dataclass

        from openai import OpenAI

        client = OpenAI()


        @dataclass
        class Draft:
            to: str
            body: str


        def send(customer):
            d = Draft(to=customer.email, body="Thanks for your order")
            return client.responses.create(model="gpt-4o-mini", input=d.to)  # expect: GDPR001
    """})
    assert_marked(root)


# The customer store of the two helpdesk tests below (nobody is selected at import time).
HELPDESK_CRM = {
    "helpdesk/__init__.py": "",
    "helpdesk/crm.py": """
        def load_customer():
            return None
    """,
}


def test_global_rebound_after_a_call_at_import_time_is_seen_by_later_calls(write):
    # `ask` runs once while the module is still loading (CONTEXT is a constant then);
    # every later caller sends the rebound CONTEXT, with the customer in it. What the
    # import-time call worked out about `ask` must not stand for the later calls.
    root = write({
        **HELPDESK_CRM,
        "helpdesk/assistant.py": """
            from openai import OpenAI

            from helpdesk.crm import load_customer

            client = OpenAI()
            CUSTOMER = load_customer()
            CONTEXT = "No customer selected."


            def ask(question: str) -> str:
                reply = client.chat.completions.create(  # expect: GDPR001
                    model="gpt-4o-mini",
                    messages=[
                        {"role": "system", "content": CONTEXT},
                        {"role": "user", "content": question},
                    ],
                )
                return reply.choices[0].message.content


            ask("Warm up: say hello.")
            CONTEXT = f"You are helping {CUSTOMER.name} <{CUSTOMER.email}>."
        """,
    })
    assert_marked(root)


def test_global_rebound_after_import_time_is_seen_through_a_helper_of_the_helper(write):
    # The same, one call deeper: `ask` reads CONTEXT only through `system_prompt` (every
    # name `ask` reads itself is final: imports and functions). What the import-time call
    # worked out for `ask` rested on `system_prompt`'s provisional answer, and goes with it.
    root = write({
        **HELPDESK_CRM,
        "helpdesk/llm.py": """
            from openai import OpenAI

            client = OpenAI()
        """,
        "helpdesk/assistant.py": """
            from helpdesk.crm import load_customer
            from helpdesk.llm import client

            CUSTOMER = load_customer()
            CONTEXT = "No customer selected."


            def system_prompt() -> str:
                return "Answer briefly. " + CONTEXT


            def product_prompt() -> str:
                return "Answer about the product catalogue only."


            def ask(question: str) -> str:
                reply = client.chat.completions.create(  # expect: GDPR001
                    model="gpt-4o-mini",
                    messages=[
                        {"role": "system", "content": system_prompt()},
                        {"role": "user", "content": question},
                    ],
                )
                return reply.choices[0].message.content


            def ask_catalogue(question: str) -> str:
                reply = client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=[
                        {"role": "system", "content": product_prompt()},
                        {"role": "user", "content": question},
                    ],
                )
                return reply.choices[0].message.content


            ask("Warm up: say hello.")
            ask_catalogue("Warm up: list the categories.")
            CONTEXT = f"You are helping {CUSTOMER.name} <{CUSTOMER.email}>."
        """,
    })
    assert_marked(root)


def test_script_entry_point_calling_a_helper_is_analysed(write):
    # The `if __name__ == "__main__":` block names no OpenAI API; it only calls a helper
    # that turns out to send its argument. Its analysis is deferred, then done.
    root = write({
        "clinic/__init__.py": "",
        "clinic/records.py": """
            def load_patient(patient_id):
                return None
        """,
        "clinic/summarise.py": """
            import sys

            from openai import OpenAI

            from clinic.records import load_patient

            client = OpenAI()


            def summarise(note: str) -> str:
                result = client.responses.create(model="gpt-4o-mini", input=note)  # expect: GDPR001, GDPR002
                return result.output_text


            if __name__ == "__main__":
                patient = load_patient(sys.argv[1])
                print(summarise(f"{patient.name}: {patient.diagnosis}"))
        """,
    })
    assert_marked(root)


def test_global_bound_in_a_script_block_is_still_seen_by_functions(write):
    root = write({
        "sales/__init__.py": "",
        "sales/crm.py": """
            def current_customer():
                return None
        """,
        "sales/mailer.py": """
            from openai import OpenAI

            from sales.crm import current_customer

            client = OpenAI()


            def draft() -> str:
                reply = client.chat.completions.create(  # expect: GDPR001
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": "Write a renewal e-mail. " + SIGNATURE}],
                )
                return reply.choices[0].message.content


            if __name__ == "__main__":
                customer = current_customer()
                SIGNATURE = f"Sign it for {customer.full_name}, {customer.phone}."
                draft()
        """,
    })
    assert_marked(root)


def test_classes_and_constants_of_an_entry_module_run_on_demand(write):
    # Classes and constants without a request spelling run only when something reads
    # them: the class whose method calls a helper that turns out to send its argument,
    # the constant a request uses, and a constant rebound in a branch (the value sent
    # joins both bindings); a class nothing reads is never run.
    root = write({
        "crm/__init__.py": "",
        "crm/store.py": """
            def current_customer():
                return None
        """,
        "crm/mailer.py": """
            import os

            from openai import OpenAI

            from crm.store import current_customer

            client = OpenAI()
            CUSTOMER = current_customer()
            SIGNATURE = f"Kind regards, {CUSTOMER.name}"
            CONTEXT = "No customer selected."
            if os.environ.get("CRM_CONTEXT"):
                CONTEXT = f"Customer: {CUSTOMER.email}"


            def send(text: str):
                return client.chat.completions.create(  # expect: GDPR001
                    model="gpt-4o-mini", messages=[{"role": "user", "content": text}])


            def remind(note: str):
                return client.responses.create(model="gpt-4o-mini", input=note + SIGNATURE)  # expect: GDPR001


            def brief(question: str):
                return client.responses.create(model="gpt-4o-mini", instructions=CONTEXT, input=question)  # expect: GDPR001


            class Unused:
                LIMIT = int("10")


            class Mailer:
                def follow_up(self, customer):
                    return send(f"Write to {customer.phone}")
        """,
    })
    assert_marked(root)
    from gdpr_lint.config.settings import ConfigResolver
    from gdpr_lint.pipeline.engine import analyse_paths

    result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1)
    data = {(f.line, d.split(" (")[0]) for f in result.findings for d in f.data}
    assert (16, "customer.phone") in data  # the Mailer class was run once `send` was known to send
    # and the deferral did happen: `Unused` was left for later and never run
    from gdpr_lint.pipeline.units import UnitContext, analyse_unit
    from gdpr_lint.analysis.vocabulary import default_vocabulary

    entry = root / "crm" / "mailer.py"
    inputs = {p: (str(p.relative_to(root)), p.read_bytes()) for p in root.rglob("*.py")}
    ctx = UnitContext(vocab=default_vocabulary(), roots=[root], cwd=root, inputs=inputs,
                      reported={d for d, _ in inputs.values()})
    analyse_unit(ctx, entry)
    mod = ctx.project.modules["crm.mailer"]
    index = {getattr(st, "name", None): i for i, st in enumerate(mod.source.tree.body)}
    assert index["Unused"] in mod.deferred and index["Unused"] not in mod.evaluated
    assert index["Mailer"] in mod.deferred and index["Mailer"] in mod.evaluated


# A module with a mail record and a folder of anonymised mails (the tests below add functions).
MAIL_MODULE = """
            import os
            from dataclasses import dataclass
            from typing import Optional

            from openai import OpenAI

            client = OpenAI()
            ANONYMISED_FOLDER = "data/emails/anonymized"


            @dataclass
            class Mail:
                subject: str
                body: str
                draft: Optional[str] = None


"""


def test_an_object_or_none_keeps_the_parts_it_was_made_with(write):
    # `mail = Mail(...)` in a `try`, `mail = None` in the `except`: where a part of it is
    # read, it is the object, with what it was made with: a customer's address is found as
    # that address, and a mail read from the anonymised folder stays redacted (both were
    # judged by the part's name alone: `mail.body`, a person's text).
    root = write({
        "desk/__init__.py": "",
        "desk/mails.py": MAIL_MODULE + """
            def ask(text: str) -> str:
                r = client.responses.create(model="gpt-4o-mini", input=text)  # expect: GDPR001
                return r.output_text


            def answer(text: str) -> str:
                r = client.responses.create(model="gpt-4o-mini", input=text)  # expect: none
                return r.output_text


            def delivery_mail(customer) -> str:
                try:
                    mail = Mail(subject="Delivery", body=f"Ship to {customer.home_address}")
                except ValueError:
                    mail = None
                return ask(mail.body) if mail else ""


            def reply_to(name: str) -> str:
                try:
                    with open(os.path.join(ANONYMISED_FOLDER, name), encoding="utf-8") as fh:
                        mail = Mail(subject=name, body=fh.read())
                except OSError:
                    mail = None
                if mail is None:
                    return ""
                mail.draft = answer(mail.body)
                return mail.draft
        """,
    })
    assert_marked(root)
    [finding] = analyse(root).findings
    assert "customer.home_address (postal address)" in finding.data



def test_setting_a_part_of_an_object_keeps_its_other_parts(write):
    # `mail.draft = ...` after the object was made: its body is still the anonymised text
    # it was made with (before, the store cost the object its parts, and `mail.body` was
    # judged by its name: a person's text); the whole object now also holds the draft.
    root = write({
        "desk/__init__.py": "",
        "desk/mails.py": MAIL_MODULE + """
            def follow_up(name: str, customer) -> str:
                with open(os.path.join(ANONYMISED_FOLDER, name), encoding="utf-8") as fh:
                    mail = Mail(subject=name, body=fh.read())
                mail.draft = f"Dear {customer.full_name},"
                r = client.responses.create(model="gpt-4o-mini", input=mail.body)  # expect: none
                r = client.responses.create(model="gpt-4o-mini", input=str(mail))  # expect: GDPR001
                return r.output_text
        """,
    })
    assert_marked(root)


def test_a_helper_reaching_a_request_along_several_paths_reports_the_shortest_once(write):
    # `letter` hands `note` to `ask` three ways: its summary holds one sink for them, with the
    # shortest path (of two as short, the first in source order), which the finding shows
    root = write({
        "clinic/__init__.py": "",
        "clinic/llm.py": """
            from openai import OpenAI

            client = OpenAI()


            def ask(prompt):
                return client.responses.create(model="gpt-4o-mini", input=prompt)  # expect: GDPR002
        """,
        "clinic/letters.py": """
            from clinic.llm import ask


            def letter(note, retries=3):
                draft = note.strip()
                framed = f"Rewrite for the patient: {draft}"
                ask(framed)
                for attempt in range(retries):
                    ask(f"Attempt {attempt}: {note}")
                ask(note)
        """,
        "clinic/discharge.py": """
            from clinic.letters import letter


            def discharge(patient):
                letter(patient.diagnosis)
        """,
    })
    assert_marked(root)
    [f] = analyse(root).findings
    assert [(s.path, s.line) for s in f.flow] == [
        ("clinic/discharge.py", 5), ("clinic/discharge.py", 5), ("clinic/letters.py", 9), ("clinic/llm.py", 7)]

    project = Project(default_vocabulary(), roots=[root], cwd=root)
    mod = project.add_source(read_source(root / "clinic/discharge.py", "clinic/discharge.py",
                                         (root / "clinic/discharge.py").read_bytes()))
    project.analyse_entry(mod, frozenset(), exhaustive=True)
    [letter] = [s for key, s in project.summaries.items() if key.startswith("clinic.letters:letter:")]
    assert [(s.param, s.par.name) for s in letter.sinks] == [("input", "note")]
