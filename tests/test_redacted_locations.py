"""Data read back from a place named as holding redacted data (analysis/scrubbers.py
`redacted_location`): a redaction step wrote it there, so what is read is redacted text,
not personal data by the name of the variable it lands in or of the file. The same reads
from a place not so named (or named as still to be redacted) stay personal.
"""

from __future__ import annotations

from helpers import assert_marked


def test_anonymised_folder_read_back_in_several_spellings(write):
    assert_marked(write({
        "app/__init__.py": "",
        "app/settings.py": """
            from dataclasses import dataclass
            from pathlib import Path

            DATA = Path("data")
            ANON_DIR = DATA / "anonymized"


            @dataclass
            class AppConfig:
                EMAIL_FOLDER: str = "data/emails/anonymised"
        """,
        "app/replies.py": """
            import glob
            import json
            import os
            from pathlib import Path

            import pandas as pd
            from openai import OpenAI

            from app.settings import ANON_DIR, AppConfig

            client = OpenAI()
            REDACTED = "output/redacted_notes"


            def from_path_glob():
                for f in Path("anonymised_emails").glob("*.txt"):
                    email = f.read_text()
                    client.responses.create(model="gpt-4o", input=email)  # expect: none


            def from_config(config: AppConfig):
                for name in os.listdir(config.EMAIL_FOLDER):
                    with open(os.path.join(config.EMAIL_FOLDER, name), encoding="utf-8") as fh:
                        email_content = fh.read()
                    client.responses.create(model="gpt-4o", input=email_content)  # expect: none


            def from_another_module():
                for p in ANON_DIR.glob("*.txt"):
                    email = p.read_text()
                    client.responses.create(model="gpt-4o", input=email)  # expect: none


            def from_fstring_path():
                for path in glob.glob(f"{REDACTED}/*.txt"):
                    note = open(path).read()
                    client.responses.create(model="gpt-4o", input=f"Diagnosis: {note}")  # expect: none


            def german_csv():
                patienten = pd.read_csv("exports/pseudonymisiert/patienten.csv")
                for _, patient in patienten.iterrows():
                    client.responses.create(model="gpt-4o", input=f"{patient['name']}: {patient['diagnose']}")  # expect: none


            def danish_json():
                with open("udtraek/anonymiseret/kunder.json") as fh:
                    kunder = json.load(fh)
                for kunde in kunder:
                    client.responses.create(model="gpt-4o", input=f"Skriv til {kunde['email']}")  # expect: none
        """,
    }))


def test_places_not_named_as_redacted_stay_personal(write):
    assert_marked(write({"app/replies.py": """
        import json
        from pathlib import Path

        from openai import OpenAI

        client = OpenAI()


        def plain_folder():
            for f in Path("emails").glob("*.txt"):
                email = f.read_text()
                client.responses.create(model="gpt-4o", input=email)  # expect: GDPR001


        def still_to_anonymise():
            for f in Path("to_anonymise").glob("*.txt"):
                email = f.read_text()
                client.responses.create(model="gpt-4o", input=email)  # expect: GDPR001


        def unredacted():
            with open("unredacted/customers.json") as fh:
                customers = json.load(fh)
            for customer in customers:
                client.responses.create(model="gpt-4o", input=customer["email"])  # expect: GDPR001


        def not_anonymised():
            for f in Path("exports/not_anonymised").iterdir():
                email = f.read_text()
                client.responses.create(model="gpt-4o", input=email)  # expect: GDPR001


        def raw_data_in_the_path(customer):
            # the folder is named redacted, the data sent is the customer's own
            path = Path("redacted") / f"{customer.email}.txt"
            return client.responses.create(model="gpt-4o", input=f"{path}")  # expect: GDPR001
    """}))


def test_queues_named_as_redacted(write):
    assert_marked(write({"worker/consume.py": """
        import json

        import boto3
        import redis
        from kafka import KafkaConsumer
        from openai import OpenAI

        client = OpenAI()
        r = redis.Redis()
        sqs = boto3.client("sqs")
        ANON_QUEUE = "https://sqs.eu-west-1.amazonaws.com/123/anonymised-tickets"


        def from_redis():
            while True:
                email = r.blpop("redacted:emails")
                client.responses.create(model="gpt-4o", input=email)  # expect: none


        def from_sqs():
            for message in sqs.receive_message(QueueUrl=ANON_QUEUE)["Messages"]:
                ticket = json.loads(message["Body"])
                client.responses.create(model="gpt-4o", input=ticket["email"])  # expect: none


        def from_kafka():
            for record in KafkaConsumer("pseudonymized-notes"):
                note = record.value.decode()
                client.responses.create(model="gpt-4o", input=f"Diagnosis: {note}")  # expect: none


        def from_a_plain_queue():
            while True:
                email = r.blpop("incoming:emails")
                client.responses.create(model="gpt-4o", input=email)  # expect: GDPR001


        def a_queue_variable_named_safe(safe_queue):
            email = safe_queue.get()
            client.responses.create(model="gpt-4o", input=email)  # expect: GDPR001
    """}))


def test_redacted_text_written_and_read_back_by_a_literal_path(write):
    # the path says nothing; the data written there was redacted, so the reader's names do not count
    assert_marked(write({"pipeline/steps.py": """
        import scrubadub
        from openai import OpenAI

        client = OpenAI()


        def prepare(customer):
            with open("work/out.txt", "w") as fh:
                fh.write(scrubadub.clean(f"{customer.email}: {customer.complaint}"))


        def answer():
            with open("work/out.txt") as fh:
                email = fh.read()
            return client.responses.create(model="gpt-4o", input=email)  # expect: none


        def prepare_raw(customer):
            with open("work/raw.txt", "w") as fh:
                fh.write(customer.email)


        def answer_raw():
            with open("work/raw.txt") as fh:
                text = fh.read()
            return client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001
    """}))


def test_session_state_gives_back_what_was_stored(write):
    assert_marked(write({
        "app/__init__.py": "",
        "app/models.py": """
            from dataclasses import dataclass


            @dataclass
            class MailItem:
                filename: str
                content: str


            @dataclass
            class Patient:
                full_name: str
                diagnosis: str
        """,
        "app/pages.py": """
            import os

            import streamlit as st
            from flask import session
            from openai import OpenAI

            from app.models import MailItem, Patient

            client = OpenAI()
            FOLDER = "data/emails/anonymized"


            def mail_page():
                name = st.selectbox("Mail", os.listdir(FOLDER))
                if name:
                    with open(os.path.join(FOLDER, name)) as fh:
                        st.session_state.selected_email = MailItem(filename=name, content=fh.read())
                if st.session_state.selected_email:
                    item = st.session_state.selected_email
                    client.responses.create(model="gpt-4o", input=item.content)  # expect: none


            def contact_page():
                st.session_state.email = st.text_input("Your e-mail")
                client.responses.create(model="gpt-4o", input=st.session_state.email)  # expect: GDPR001


            def history_page():
                # nothing stored here: the name is the evidence
                client.responses.create(model="gpt-4o", input=st.session_state["email"])  # expect: GDPR001


            def flask_view(pid):
                session["patient"] = Patient(full_name="?", diagnosis=st.text_input("Diagnosis"))
                return client.responses.create(model="gpt-4o", input=session["patient"].diagnosis)  # expect: GDPR002
        """,
    }))


def test_a_cache_in_session_state_gives_back_what_a_rerun_stored_there(write):
    # Streamlit reruns the page: the branch that finds an entry in the cache reads what an
    # earlier run stored below it. A mail read from the anonymised folder stays redacted
    # when it comes back from the cache; a reply drafted from the customer's e-mail is still
    # the customer's when it does. A cache this function never fills is read by its names.
    assert_marked(write({"pages.py": """
        import os
        from dataclasses import dataclass

        import streamlit as st
        from openai import OpenAI

        client = OpenAI()
        FOLDER = "data/emails/anonymized"


        @dataclass
        class MailItem:
            filename: str
            content: str


        def mail_page(name):
            path = os.path.join(FOLDER, name)
            if path in st.session_state.mail_cache:
                item = st.session_state.mail_cache[path]
            else:
                with open(path) as fh:
                    item = MailItem(filename=name, content=fh.read())
                st.session_state.mail_cache[path] = item
            client.responses.create(model="gpt-4o", input=item.content)  # expect: none


        def reply_page(customer):
            key = customer.id
            if key in st.session_state.drafts:
                draft = st.session_state.drafts[key]
                client.responses.create(model="gpt-4o", input=f"Polish this reply: {draft}")  # expect: GDPR001
            else:
                st.session_state.drafts[key] = f"Dear customer, we wrote to {customer.email} about your order."


        def inbox_page(mail_id):
            # filled by another page: what its name says
            mail = st.session_state.inbox[mail_id]
            client.responses.create(model="gpt-4o", input=mail.content)  # expect: GDPR001
    """}))


def test_a_record_built_from_redacted_text_is_not_personal_by_its_field_names(write):
    # a mail object whose content was read from the anonymised folder: `mail.content` (an
    # e-mail's content, free text by its name) stays redacted; the same object filled from
    # the inbox is personal
    assert_marked(write({"mail_app.py": """
        import os
        from dataclasses import dataclass

        from openai import OpenAI

        client = OpenAI()


        @dataclass
        class Settings:
            MAIL_FOLDER: str = "data/emails/anonymized"


        @dataclass
        class Mail:
            filename: str
            content: str


        def typed_settings(settings: Settings, name: str):
            with open(os.path.join(settings.MAIL_FOLDER, name)) as fh:
                mail = Mail(filename=name, content=fh.read())
            return client.responses.create(model="gpt-4o", input=f"Answer this e-mail: {mail.content}")  # expect: none


        def constant_folder(name: str):
            with open(os.path.join("data/emails/anonymized", name)) as fh:
                mail = Mail(filename=name, content=fh.read())
            return client.responses.create(model="gpt-4o", input=f"Answer this e-mail: {mail.content}")  # expect: none


        def inbox(name: str):
            with open(os.path.join("data/emails/inbox", name)) as fh:
                mail = Mail(filename=name, content=fh.read())
            return client.responses.create(model="gpt-4o", input=f"Answer this e-mail: {mail.content}")  # expect: GDPR001
    """}))
