"""The project's own redaction functions (analysis/scrubbers.py): a function named as a
redaction step that replaces text counts as one, for the categories its literal patterns
match; a recogniser's entities are trusted. Each shape has a twin that must still leak.
"""

from __future__ import annotations

from helpers import assert_marked, check_json


def test_regex_scrubbers_in_the_module_and_another_one(write):
    assert_marked(write({
        "app/__init__.py": "",
        "app/privacy.py": r'''
            import re

            EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
            PATTERNS = {
                "phone": r"\+?\d[\d ()-]{6,}\d",
                "cpr": r"\b\d{6}-?\d{4}\b",
            }


            def anonymise(text: str) -> str:
                text = EMAIL.sub("<email>", text)
                for label, pattern in PATTERNS.items():
                    text = re.sub(pattern, f"<{label}>", text)
                return text


            def pseudonymisieren(text):
                return re.sub(r"[\w.+-]+@[\w-]+\.[\w.]+", "<email>", text)
        ''',
        "app/support.py": '''
            from openai import OpenAI

            from app.privacy import anonymise, pseudonymisieren

            client = OpenAI()


            def reply(customer, ticket):
                text = anonymise(f"{customer.email} ({customer.phone}, CPR {customer.cpr}): {ticket.body}")
                return client.responses.create(model="gpt-4o-mini", input=text)  # expect: none


            def reply_de(kunde):
                return client.responses.create(model="gpt-4o-mini", input=pseudonymisieren(kunde.email))  # expect: none


            def greet(customer):
                # the patterns match no name: the name goes out as it is
                return client.responses.create(model="gpt-4o-mini", input=anonymise(f"Hi {customer.full_name}"))  # expect: GDPR001
        ''',
    }))


def test_entity_scrubbers_are_trusted(write):
    # spaCy entities, a NER pipeline's groups, Presidio results: what they find is computed
    assert_marked(write({"clinic/notes.py": '''
        import spacy
        from openai import OpenAI
        from transformers import pipeline

        client = OpenAI()
        nlp = spacy.load("da_core_news_sm")
        ner = pipeline("ner", aggregation_strategy="simple")


        def redact_entities(text):
            doc = nlp(text)
            for ent in doc.ents:
                if ent.label_ in ("PER", "LOC"):
                    text = text.replace(ent.text, f"[{ent.label_}]")
            return text


        def maskNames(text):
            out = []
            last = 0
            for e in ner(text):
                if e["entity_group"] == "PER":
                    out.append(text[last:e["start"]] + "[NAVN]")
                    last = e["end"]
            return "".join(out) + text[last:]


        def summarise(patient):
            note = f"{patient.full_name}: {patient.diagnosis}"
            client.responses.create(model="gpt-4o", input=redact_entities(note))  # expect: none
            return client.responses.create(model="gpt-4o", input=maskNames(note))  # expect: none
    '''}))


def test_element_wise_redaction(write):
    assert_marked(write({"clinic/batch.py": '''
        import json
        import re
        from dataclasses import asdict

        import scrubadub
        from openai import OpenAI

        client = OpenAI()


        def scrub(text):
            text = re.sub(r"\\b\\d{6}-?\\d{4}\\b", "<cpr>", text)
            return re.sub(r"\\b[A-Z][a-z]+ [A-Z][a-z]+\\b", "<name>", text)


        def summarise(patients):
            notes = [p.clinical_note for p in patients]
            clean = [scrub(n) for n in notes]
            client.responses.create(model="gpt-4o", input="\\n".join(clean))  # expect: none
            client.responses.create(model="gpt-4o", input="\\n".join(map(scrub, notes)))  # expect: none
            client.responses.create(model="gpt-4o", input="\\n".join(map(scrubadub.clean, notes)))  # expect: none
            return client.responses.create(model="gpt-4o", input="\\n".join(map(str.strip, notes)))  # expect: GDPR002


        def record(patient):
            safe = {k: scrub(str(v)) for k, v in asdict(patient).items()}
            client.responses.create(model="gpt-4o", input=json.dumps(safe))  # expect: none
            raw = {k: str(v).strip() for k, v in asdict(patient).items()}
            return client.responses.create(model="gpt-4o", input=json.dumps(raw))  # expect: GDPR001
    '''}))


def test_partial_and_one_branch_redaction_still_leak(write):
    assert_marked(write({"crm/mail.py": r'''
        import re

        from openai import OpenAI

        client = OpenAI()


        def redact_email(text):
            return re.sub(r"\S+@\S+", "[EMAIL]", text)


        def partial(customer):
            safe = redact_email(customer.email)
            return client.responses.create(model="gpt-4o", input=f"{safe} {customer.phone}")  # expect: GDPR001


        def not_sent(customer):
            text = f"Reply to {customer.email}"
            print(redact_email(text))
            return client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001


        def one_branch(customer, strict):
            text = f"Reply to {customer.email}"
            if strict:
                text = redact_email(text)
            return client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001


        def both(customer):
            return client.responses.create(model="gpt-4o", input=redact_email(customer.email))  # expect: none
    '''}))


def test_look_alikes_are_not_redaction(write):
    # named like a redaction step but replacing markup, or not replacing at all; a regular
    # replacement under another name
    assert_marked(write({"crm/clean.py": r'''
        import re

        from openai import OpenAI

        client = OpenAI()


        def scrub_html(text):
            return re.sub(r"<[^>]+>", "", text)


        def mask_whitespace(text):
            return text.replace("\t", " ").replace("\n", " ")


        def anonymise(text):
            return text.strip()


        def tidy(text):
            return re.sub(r"\S+@\S+", "[EMAIL]", text)


        def sanitize_input(text, token):
            # cleaning input is not redaction: the name does not say so
            return text.replace(token, "")


        def reply(customer):
            client.responses.create(model="gpt-4o", input=scrub_html(customer.email))  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=mask_whitespace(customer.email))  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=anonymise(customer.email))  # expect: GDPR001
            client.responses.create(model="gpt-4o", input=sanitize_input(customer.email, "\x00"))  # expect: GDPR001
            return client.responses.create(model="gpt-4o", input=tidy(customer.email))  # expect: GDPR001
    '''}))


def test_scrubber_inside_a_helper_keeps_what_it_misses(write):
    # redaction inside a prompt builder: decided when the caller's data arrives
    assert_marked(write({"hr/screen.py": r'''
        import re

        from openai import OpenAI

        client = OpenAI()


        def mask_cpr(text):
            return re.sub(r"\d{6}-\d{4}", "XXXXXX-XXXX", text)


        def prompt(text):
            return "Assess: " + mask_cpr(text)


        def screen(candidate):
            client.responses.create(model="gpt-4o", input=prompt(candidate.cpr))  # expect: none
            return client.responses.create(model="gpt-4o", input=prompt(candidate.email))  # expect: GDPR001
    '''}))


def test_flow_names_the_scrubber_that_missed(write):
    root = write({"crm/mail.py": r'''
        import re

        from openai import OpenAI

        client = OpenAI()


        def redact_phone(text):
            return re.sub(r"\+?\d[\d -]{7,}\d", "[PHONE]", text)


        def reply(customer):
            return client.responses.create(model="gpt-4o", input=redact_phone(f"{customer.phone} {customer.email}"))
    '''})
    [finding] = check_json(root)
    assert "customer.email" in finding["message"] and "customer.phone" not in finding["message"]
    assert "passed through `redact_phone()`, whose patterns do not match it" in [s["note"] for s in finding["flow"]]


def test_redactor_classes_and_wrappers_in_another_module(write):
    assert_marked(write({
        "app/__init__.py": "",
        "app/privacy.py": r'''
            import re

            from presidio_analyzer import AnalyzerEngine
            from presidio_anonymizer import AnonymizerEngine

            _analyzer = AnalyzerEngine()
            _anonymizer = AnonymizerEngine()


            def prepare(text):
                # named like nothing in particular: a wrapper of a library anonymiser
                return _anonymizer.anonymize(text=text, analyzer_results=_analyzer.analyze(text=text, language="en")).text


            class PIIRedactor:
                EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")

                def __init__(self):
                    self.cpr = re.compile(r"\b\d{6}-\d{4}\b")

                def redact(self, text):
                    return self.cpr.sub("<CPR>", self.EMAIL.sub("<EMAIL>", text))
        ''',
        "app/use.py": '''
            from openai import OpenAI

            from app.privacy import PIIRedactor, prepare

            client = OpenAI()
            redactor = PIIRedactor()


            def a(patient):
                return client.responses.create(model="gpt-4o", input=prepare(f"{patient.full_name}: {patient.diagnosis}"))  # expect: none


            def b(borger):
                return client.responses.create(model="gpt-4o", input=redactor.redact(f"{borger.email} {borger.cpr}"))  # expect: none


            def c(customer):
                return client.responses.create(model="gpt-4o", input=redactor.redact(customer.full_name))  # expect: GDPR001
        ''',
    }))


def test_element_wise_runtime_pseudonymisation_of_a_record(write):
    assert_marked(write({"crm/export.py": """
        import json
        from dataclasses import asdict, dataclass

        from openai import OpenAI

        from gdpr_lint.runtime import pseudonymise

        client = OpenAI()


        @dataclass
        class Customer:
            full_name: str
            email: str


        def summarise(c: Customer):
            safe = {k: pseudonymise(str(v)) for k, v in asdict(c).items()}
            client.responses.create(model="gpt-4o", input=json.dumps(safe))  # expect: none
            half = {k: (pseudonymise(v) if k == "email" else v) for k, v in asdict(c).items()}
            return client.responses.create(model="gpt-4o", input=json.dumps(half))  # expect: GDPR001
    """}))


def test_a_scrubber_that_asks_a_model_still_sends_what_it_is_given(write):
    # an anonymiser built on the model itself: the text reaches OpenAI inside it
    assert_marked(write({"crm/anon.py": r'''
        import re

        from openai import OpenAI

        client = OpenAI()


        def anonymise(text):
            reply = client.responses.create(model="gpt-4o-mini", input=f"Replace every name: {text}")  # expect: GDPR001
            return re.sub(r"[\w.+-]+@[\w-]+\.[\w.]+", "<email>", reply.output_text)


        def summarise(customer):
            safe = anonymise(f"{customer.full_name} <{customer.email}>")
            return client.responses.create(model="gpt-4o", input=safe)  # expect: GDPR001
    '''}))
