"""Free text about a person under neutral names (`body`, `text`, `content`, `data`): judged
by where it comes from (an e-mail, a helpdesk ticket, an issue, an upload, a transcript)
or by what the prompt says it is ("Extract the candidate's details from this CV:",
"Fasse den Arztbrief zusammen:"). Each with negative twins of the same shape.
`# expect:` markers as in the corpus.
"""

from __future__ import annotations

from helpers import analyse, assert_marked


def test_email_messages_are_free_text_whatever_they_are_called(write):
    root = write({"inbox/triage.py": '''
        import email
        import imaplib
        from email import policy
        from email.parser import BytesParser

        from openai import OpenAI

        client = OpenAI()


        def ask(text):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])


        def unread():
            imap = imaplib.IMAP4_SSL("imap.example.org")
            imap.select("INBOX")
            _, ids = imap.search(None, "UNSEEN")
            for num in ids[0].split():
                _, data = imap.fetch(num, "(RFC822)")
                msg = email.message_from_bytes(data[0][1])
                body = msg.get_payload(decode=True).decode()
                client.chat.completions.create(  # expect: GDPR001
                    model="gpt-4o", messages=[{"role": "user", "content": f"Draft a reply to: {body}"}])


        def from_file(path):
            with open(path, "rb") as fh:
                msg = BytesParser(policy=policy.default).parse(fh)
            return client.responses.create(model="gpt-4o", input=msg.get_body().get_content())  # expect: GDPR001


        def gmail(service, message_id):
            res = service.users().messages().get(userId="me", id=message_id, format="full").execute()
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": res["snippet"]}])


        def newsletter_we_write(topic):
            msg = email.message.EmailMessage()
            msg.set_content("Our product news")
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": f"Improve: {msg.get_content()} on {topic}"}])


        def labels(service):
            res = service.users().labels().list(userId="me").execute()
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": str(res)}])
    '''})
    assert_marked(root)


def test_helpdesk_tickets_and_issues(write):
    root = write({"support/bot.py": '''
        from freshdesk.api import API
        from jira import JIRA
        from openai import OpenAI
        from zenpy import Zenpy

        client = OpenAI()
        zenpy_client = Zenpy(subdomain="acme", email="ops@acme.example", token="t")
        jira = JIRA("https://jira.acme.example")
        fd = API("acme.freshdesk.com", "key")


        def ask(text):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])


        def zendesk():
            for ticket in zenpy_client.tickets(status="open"):
                client.chat.completions.create(  # expect: GDPR001
                    model="gpt-4o", messages=[{"role": "user", "content": ticket.description}])


        def jira_issue(key):
            content = jira.issue(key).fields.description
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": "Classify: " + content}])


        def freshdesk(ticket_id):
            data = fd.tickets.get_ticket(ticket_id)
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": data.description_text}])


        def jira_project(key):
            text = jira.project(key).description
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": text}])
    '''})
    assert_marked(root)


def test_the_prompt_says_what_the_document_is(write):
    root = write({"docs/read.py": '''
        import docx
        import pdfplumber
        import PyPDF2
        import requests
        from fastapi import FastAPI, UploadFile
        from langchain_community.document_loaders import PyPDFLoader
        from langchain_openai import ChatOpenAI
        from openai import OpenAI
        from pypdf import PdfReader

        client = OpenAI()
        llm = ChatOpenAI(model="gpt-4o")
        app = FastAPI()


        def chat(prompt):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])


        def cv(path):
            content = "".join(p.extract_text() for p in PdfReader(path).pages)
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o",
                messages=[{"role": "user", "content": "Extract the candidate's details from this CV:\\n" + content}])


        def discharge(path):
            with pdfplumber.open(path) as pdf:
                text = pdf.pages[0].extract_text()
            return client.chat.completions.create(  # expect: GDPR002
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Summarise this patient's discharge letter:\\n{text}"}])


        def borgerjournal(path):
            text = "\\n".join(p.text for p in docx.Document(path).paragraphs)
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": f"Opsummer borgerens journal:\\n{text}"}])


        def lebenslauf(path):
            text = PyPDF2.PdfReader(path).pages[0].extract_text()
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o", messages=[{"role": "user", "content": f"Bewerte den Lebenslauf:\\n```\\n{text}\\n```"}])


        def cv_fr(text):
            return llm.invoke(f"Résume ce CV :\\n{text}")  # expect: GDPR001


        def resume_langchain(path):
            pages = PyPDFLoader(path).load()
            text = "\\n".join(p.page_content for p in pages)
            return llm.invoke("Here is the applicant's resume.\\n\\n" + text)  # expect: GDPR001


        @app.post("/letters")
        async def arztbrief(file: UploadFile):
            data = await file.read()
            return client.chat.completions.create(  # expect: GDPR001, GDPR002
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Fasse den Arztbrief zusammen:\\n{data.decode()}"}])


        # --- negative twins: the same shapes with documents about no one

        def manual(path):
            content = "".join(p.extract_text() for p in PdfReader(path).pages)
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": "Summarise this manual:\\n" + content}])


        def web_page(url):
            text = requests.get(url, timeout=10).text
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": f"Summarise this web page:\\n{text}"}])


        def write_cover_letter(language):
            return client.chat.completions.create(  # expect: none
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Write a cover letter template. Language: {language}"}])


        def cv_then_other(tone):
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": f"Tips for a good CV, in a {tone} tone"}])
    '''})
    assert_marked(root)


def test_another_message_of_the_prompt_says_what_the_text_is(write):
    root = write({"clinic/notes.py": '''
        from openai import OpenAI

        client = OpenAI()


        def soap_note(audio_path):
            with open(audio_path, "rb") as f:
                tr = client.audio.transcriptions.create(model="whisper-1", file=f)
            return client.chat.completions.create(  # expect: GDPR001, GDPR002
                model="gpt-4o",
                messages=[
                    {"role": "system", "content": "Write a SOAP note from the consultation transcript."},
                    {"role": "user", "content": tr.text},
                ],
            )


        def screen(text):
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o",
                messages=[
                    {"role": "system", "content": "You screen job applications. Score the CV from 1 to 5."},
                    {"role": "user", "content": text},
                ],
            )


        def epikrise(text):
            return client.chat.completions.create(  # expect: GDPR002
                model="gpt-4o",
                messages=[
                    {"role": "system", "content": "Du skriver en kort epikrise til egen læge."},
                    {"role": "user", "content": text},
                ],
            )


        def product_manual(text):
            return client.chat.completions.create(  # expect: none
                model="gpt-4o",
                messages=[
                    {"role": "system", "content": "You summarise product manuals for the support team."},
                    {"role": "user", "content": text},
                ],
            )
    '''})
    assert_marked(root)
    [soap] = [f for f in analyse(root).findings if f.code == "GDPR002" and f.function.endswith("soap_note")]
    assert soap.confidence == "medium"
    assert "as another message of the prompt says" in soap.flow[0].note


def test_made_up_people_in_demo_scripts_stay_clean(write):
    root = write({"examples/demo.py": '''
        from openai import OpenAI

        client = OpenAI()
        EXAMPLE = "Jane Doe, 32, diabetic"
        print(client.chat.completions.create(  # expect: none
            model="gpt-4o", messages=[{"role": "user", "content": f"Classify the risk: {EXAMPLE}"}]))
        patient = {"name": "John Smith", "diagnosis": "type 2 diabetes"}
        print(client.chat.completions.create(  # expect: none
            model="gpt-4o", messages=[{"role": "user", "content": f"{patient['name']} has {patient['diagnosis']}"}]))
        print(client.chat.completions.create(  # expect: none
            model="gpt-4o", messages=[{"role": "user", "content": "Summarise this CV:\\nJane Doe, nurse, 10 years"}]))
    '''})
    assert_marked(root)


def test_langchain_messages_say_what_the_text_is(write):
    root = write({"hr/screen.py": '''
        from langchain_core.messages import HumanMessage, SystemMessage
        from langchain_openai import ChatOpenAI

        llm = ChatOpenAI(model="gpt-4o")


        def discharge(notes):
            return llm.invoke([  # expect: GDPR002
                SystemMessage(content="Write a discharge summary from these clinical notes."),
                HumanMessage(content=notes),
            ])


        def history(text):
            return llm.invoke([("system", "Summarise the patient's medical history."), ("user", text)])  # expect: GDPR002


        def lebenslauf(text):
            return llm.invoke([SystemMessage("Bewerte den Lebenslauf der Bewerberin."), HumanMessage(text)])  # expect: GDPR001


        def release_notes(text):
            return llm.invoke([  # expect: none
                SystemMessage(content="Write release notes from these commit messages."),
                HumanMessage(content=text),
            ])
    '''})
    assert_marked(root)


def test_stored_chat_messages_and_comments_are_what_people_wrote(write):
    root = write({"chat/models.py": '''
        from django.db import models
        from sqlalchemy import Column, Integer, Text
        from sqlalchemy.orm import declarative_base

        Base = declarative_base()


        class Message(models.Model):
            role = models.CharField(max_length=20)
            content = models.TextField()


        class ChatMessage(Base):
            __tablename__ = "chat_messages"
            id = Column(Integer, primary_key=True)
            body = Column(Text)


        class Besked(models.Model):
            tekst = models.TextField()


        class FAQ(models.Model):
            question = models.TextField()
            answer = models.TextField()


        class Article(models.Model):
            title = models.CharField(max_length=200)
            content = models.TextField()
    ''', "chat/schemas.py": '''
        from pydantic import BaseModel


        class IncomingMessage(BaseModel):  # a request body, not a stored history
            content: str
    ''', "chat/bot.py": '''
        from openai import OpenAI

        from chat.models import FAQ, Article, Besked, ChatMessage, Message
        from chat.schemas import IncomingMessage

        client = OpenAI()


        def reply(conversation_id):
            history = Message.objects.filter(conversation_id=conversation_id).order_by("id")
            msgs = [{"role": m.role, "content": m.content} for m in history]
            return client.chat.completions.create(model="gpt-4o", messages=msgs)  # expect: GDPR001


        def summarise(rows: list[ChatMessage]):
            text = "\\n".join(r.body for r in rows)
            return client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001


        def dansk(pk):
            b = Besked.objects.get(pk=pk)
            return client.responses.create(model="gpt-4o", input=b.tekst)  # expect: GDPR001


        def faq():
            text = "\\n".join(f.answer for f in FAQ.objects.all())
            return client.responses.create(model="gpt-4o", input=text)  # expect: none


        def article(pk):
            return client.responses.create(model="gpt-4o", input=Article.objects.get(pk=pk).content)  # expect: none


        def answer(message: IncomingMessage):
            return client.responses.create(model="gpt-4o", input=message.content)  # expect: none


        def judge_the_reply():
            resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Tell a joke"}])
            message = resp.choices[0].message
            return client.chat.completions.create(  # expect: none
                model="gpt-4o", messages=[{"role": "user", "content": "Rate: " + message.content}])
    '''})
    assert_marked(root)
    [f] = [f for f in analyse(root).findings if f.function.endswith("reply")]
    assert f.confidence == "medium" and "a field of Message" in f.flow[0].note


PURPOSES = [
    # (text before the value, category or None)
    ("Extract the candidate's details from this CV:\n", "free_text"),
    ("Here is the applicant's resume.\n\n", "free_text"),
    ("Score this resume:\n```\n", "free_text"),
    ("Summarise this patient's discharge letter:\n", "health"),
    ("Write a SOAP note: ", "health"),
    ("Opsummer borgerens journal:\n", "free_text"),
    ("Resumé af ansøgningen:\n", "free_text"),
    ("Skriv en epikrise ud fra notatet:\n", "health"),
    ("Sammanfatta journalen:\n", "free_text"),
    ("Les søknaden:\n", "free_text"),
    ("Prüfe die Lebensläufe:\n", "free_text"),
    ("Fasse die Arztbriefe zusammen:\n", "health"),
    ("Résume ce CV :\n", "free_text"),
    ("Résume le dossier médical :\n", "health"),
    ("Summarise the criminal record:\n", "criminal"),
    # generic names for what is known of a patient's health
    ("Please summarize the following medical information:\n\n", "health"),
    ("Here is the patient data:\n", "health"),
    ("Review this clinical information and flag risks:\n", "health"),
    ("Opsummer borgerens helbredsoplysninger:\n", "health"),
    ("Fasse die Patientendaten zusammen:\n", "health"),
    ("Sammanfatta patientuppgifter:\n", "health"),
    ("Oppsummer helseopplysninger:\n", "health"),
    # what a bank or an insurer holds of one applicant or customer
    ("Assess the risk from the loan application:\n", "free_text"),
    ("Summarise the applicant's prior claims history:\n", "free_text"),
    ("Extract income and fixed costs from this bank statement:\n", "bank"),
    ("Read the payslips below and give the net monthly salary.\n", "bank"),
    ("Opsummer kundens kontoudtog:\n", "bank"),
    ("Prüfe den Versicherungsantrag:\n", "free_text"),
    ("Fasse die Kontoauszüge zusammen:\n", "bank"),
    ("Sammanfatta lönespecifikationen:\n", "bank"),
    ("Vurder lånesøknaden:\n", "free_text"),
    # documents about no one, the verb "resume", a value that is not introduced
    ("Summarise this manual:\n", None),
    ("Translate the following journal article:\n", None),
    ("Resume the conversation:\n", None),
    ("Write a cover letter template. Language: ", None),
    ("Tips for a good CV, in a ", None),
    ("Answer from the docs:\n", None),
    ("Explain this medication leaflet:\n", None),
    ("Summarise the medical journal article:\n", None),
    ("List the bank holidays in this calendar:\n", None),
    ("Explain the loan calculator's settings:\n", None),
]


def test_purpose_phrases_per_language():
    from gdpr_lint.analysis.vocabulary import default_vocabulary

    vocab = default_vocabulary()
    got = [(text, m.category.key if (m := vocab.classify_purpose(text)) else None) for text, _ in PURPOSES]
    assert got == PURPOSES


def test_a_helper_whose_prompt_calls_its_text_medical_information(write):
    # the text reaches the helper as a plain `content` from a form; the helper's own prompt
    # says what it is, whichever caller hands it over
    assert_marked(write({
        "clinic/__init__.py": "",
        "clinic/services.py": '''
            from openai import OpenAI


            class SummaryService:
                def __init__(self):
                    self.client = OpenAI()

                def summarise(self, content: str, context: str | None = None) -> str:
                    user_message = f"Please summarize the following medical information:\\n\\n{content}"
                    response = self.client.chat.completions.create(  # expect: GDPR002
                        model="gpt-4o",
                        messages=[{"role": "user", "content": user_message}],
                    )
                    return response.choices[0].message.content

                def release_notes(self, content: str) -> str:
                    response = self.client.chat.completions.create(
                        model="gpt-4o",
                        messages=[{"role": "user", "content": f"Please summarize the following release notes:\\n\\n{content}"}],
                    )
                    return response.choices[0].message.content
        ''',
        "clinic/views.py": '''
            from clinic.services import SummaryService


            def create_summary(validated_data: dict) -> str:
                return SummaryService().summarise(validated_data["content"])


            def publish(changes: str) -> str:
                return SummaryService().release_notes(changes)
        ''',
    }))


def test_a_system_prompt_kept_in_a_constant_says_what_the_other_messages_are(write):
    # the usual way to keep a system prompt: a module constant. The user message is an
    # f-string writing in text read from uploaded files (no source of its own); the system
    # prompt names what that text is. A redacted text, a prompt naming no document about a
    # person, and a user message of constants only stay clean.
    root = write({"underwriting/app.py": '''
        from langchain_core.messages import HumanMessage, SystemMessage
        from langchain_openai import AzureChatOpenAI
        from openai import OpenAI
        import scrubadub

        llm = AzureChatOpenAI(deployment_name="gpt-4.1-mini")
        client = OpenAI()

        UNDERWRITING_PROMPT = """You assist an insurance underwriter. You are given:
        1. Applicant data
        2. Prior claims history
        3. External verification reports
        Score the risk from 0 to 100."""
        STATEMENT_PROMPT = "You read a customer's bank statements and list recurring payments."
        CHANGELOG_PROMPT = "You write release notes from the commit messages below."


        def read_uploads(folder):
            return {name: open(folder + "/" + name).read() for name in ["a.pdf", "b.pdf"]}


        def underwrite(folder):
            combined = "\\n".join(read_uploads(folder).values())
            messages = [
                SystemMessage(content=UNDERWRITING_PROMPT),
                HumanMessage(content=f"DOCUMENTS:\\n{combined}"),
            ]
            return llm.invoke(messages)  # expect: GDPR001


        def recurring_payments(text):
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": STATEMENT_PROMPT},
                          {"role": "user", "content": f"Statement:\\n{text}"}],
            )


        def recurring_payments_scrubbed(text):
            scrubbed = scrubadub.clean(text)
            return client.chat.completions.create(  # expect: none
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": STATEMENT_PROMPT},
                          {"role": "user", "content": scrubbed}],
            )


        def release_notes(log):
            return client.chat.completions.create(  # expect: none
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": CHANGELOG_PROMPT},
                          {"role": "user", "content": f"Commits:\\n{log}"}],
            )


        def statement_help():
            return client.chat.completions.create(  # expect: none
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": STATEMENT_PROMPT},
                          {"role": "user", "content": f"Which fields does a {'bank'} statement have?"}],
            )
    '''})
    assert_marked(root)
    [underwrite] = [f for f in analyse(root).findings if f.function.endswith("underwrite")]
    assert underwrite.data == ["combined (free text about a person)"]
    assert "'claims history', as another message of the prompt says" in underwrite.flow[0].note
    [payments] = [f for f in analyse(root).findings if f.function.endswith("recurring_payments")]
    assert payments.categories == ["bank"]
