"""Personal data from real sources under neutral names: files users upload, transcripts of
recordings, and a model's reply about the people it was told about (a summary of a
transcript is still about the person). Variants per framework and negative twins."""

from __future__ import annotations

import pytest
from helpers import analyse


def _found(result):
    return sorted((f.path, f.endpoint, tuple(sorted(f.categories))) for f in result.findings)


# ------------------------------------------------------------------ uploads

@pytest.mark.parametrize("files", [
    {"web.py": '''
        from flask import Flask, request
        from openai import OpenAI

        app = Flask(__name__)
        client = OpenAI()


        @app.post("/transcribe")
        def transcribe():
            audio = request.files["audio"]
            return client.audio.transcriptions.create(model="whisper-1", file=(audio.filename, audio.read()))
        '''},
    {"api.py": '''
        from fastapi import FastAPI, UploadFile
        from openai import AsyncOpenAI

        app = FastAPI()
        client = AsyncOpenAI()


        @app.post("/cv")
        async def screen(cv: UploadFile):
            text = (await cv.read()).decode()
            return await client.responses.create(model="gpt-4o", input=f"Summarise this CV: {text}")
        '''},
    {"views.py": '''
        from openai import OpenAI

        client = OpenAI()


        def upload_claim(request):
            document = request.FILES["claim"].read().decode()
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": document}])
        '''},
    {"app.py": '''
        import streamlit as st
        from openai import OpenAI

        client = OpenAI()
        uploaded = st.file_uploader("Upload the patient letter")
        if uploaded is not None:
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": uploaded.getvalue().decode()}])
        '''},
])
def test_a_file_a_user_uploads_is_personal(write, files):
    result = analyse(write(files))
    assert len(result.findings) == 1
    assert result.findings[0].categories == ["upload"]
    assert "(a file uploaded by a user)" in result.findings[0].flow[0].note


def test_form_fields_and_files_of_the_application_itself_are_not_uploads(write):
    root = write({"web.py": '''
        from flask import Flask, request
        from openai import OpenAI

        app = Flask(__name__)
        client = OpenAI()


        @app.post("/translate")
        def translate():
            language = request.form["language"]
            with open("templates/faq.md") as f:
                faq = f.read()
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"{language}: {faq}"}])
        '''})
    assert analyse(root).findings == []


# ------------------------------------------------------------------ transcripts and replies

def test_a_transcript_is_about_the_people_recorded(write):
    root = write({"consult.py": '''
        from openai import OpenAI

        client = OpenAI()


        def soap_note(recording_path):
            with open(recording_path, "rb") as audio:
                transcript = client.audio.transcriptions.create(model="whisper-1", file=audio)
            return client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"Write a SOAP note: {transcript.text}"}])
        '''})
    result = analyse(root)
    [finding, purpose] = sorted(result.findings, key=lambda f: f.code)
    assert finding.endpoint == "chat.completions.create" and finding.categories == ["free_text"]
    assert finding.confidence == "medium"
    # what the prompt asks for says what the consultation is about: health data, medium
    assert purpose.code == "GDPR002" and purpose.categories == ["health"] and purpose.confidence == "medium"


def test_a_reply_about_a_person_is_still_about_the_person(write):
    root = write({"crm.py": '''
        from openai import OpenAI

        client = OpenAI()


        def profile(customer):
            summary = client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"Summarise {customer.full_name}'s history"}])
            text = summary.choices[0].message.content
            return client.embeddings.create(model="text-embedding-3-small", input=text)


        def catalogue_blurb(product):
            blurb = client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"Describe {product.name}"}])
            return client.embeddings.create(model="text-embedding-3-small", input=blurb.choices[0].message.content)
        '''})
    result = analyse(root)
    assert sorted((f.endpoint, f.line) for f in result.findings) == [
        ("chat.completions.create", 7), ("embeddings.create", 10)]
    embedded = next(f for f in result.findings if f.endpoint == "embeddings.create")
    assert "in the reply of chat.completions.create" in [s.note for s in embedded.flow]


def test_an_embedding_or_a_moderation_reply_holds_none_of_the_text_sent(write):
    # retrieval: the customer's question is embedded (a finding there), the vector finds
    # regulation texts in the index, and those go to the chat model - not the question.
    # The answer of a chat model, by contrast, is still about the customer.
    root = write({"support.py": '''
        from openai import OpenAI
        from pinecone import Pinecone

        client = OpenAI()
        index = Pinecone().Index("regulations")


        def relevant_rules(customer):
            vector = client.embeddings.create(model="text-embedding-3-small", input=customer.complaint_text)
            matches = index.query(vector=vector.data[0].embedding, top_k=3, include_metadata=True)
            return [m.metadata["text"] for m in matches.matches]


        def is_flagged(customer):
            verdict = client.moderations.create(input=customer.complaint_text)
            return verdict.results[0].flagged


        def explain_rules(customer):
            rules = "\\n".join(relevant_rules(customer))
            flagged = is_flagged(customer)
            return client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"Explain these rules (flagged: {flagged}):\\n{rules}"}])


        def explain_summary(customer):
            summary = client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"Summarise: {customer.complaint_text}"}])
            return client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"Explain: {summary.choices[0].message.content}"}])
        '''})
    result = analyse(root)
    assert sorted((f.endpoint, f.line) for f in result.findings) == [
        ("chat.completions.create", 27), ("chat.completions.create", 29),
        ("embeddings.create", 9), ("moderations.create", 15)]


# ------------------------------------------------------------------ graph state between nodes

def test_graph_nodes_pass_personal_data_through_the_state(write):
    root = write({"assistant.py": '''
        from langchain.chat_models import init_chat_model
        from langgraph.graph import MessagesState, StateGraph
        from langgraph.types import Command

        llm = init_chat_model("openai:gpt-4.1")


        class State(MessagesState):
            email_input: dict


        def triage(state: State):
            email = state["email_input"]
            update = {"messages": [{"role": "user", "content": f"Respond to {email['author']}: {email['email_thread']}"}]}
            return Command(goto="respond", update=update)


        def respond(state: State):
            return {"messages": [llm.invoke(state["messages"])]}


        def count(state: State):
            return {"turns": len(state["messages"])}


        class Tools:
            def reset(self):  # a method with no parameter but self, subscripting a local
                data = {"turns": 0}
                return data["turns"]
        '''})
    result = analyse(root)
    [finding] = result.findings
    assert finding.line == 19 and finding.code == "GDPR001"  # respond(): llm.invoke(state["messages"])
    assert "from the graph state `messages`" in [s.note for s in finding.flow]


def test_a_typed_dict_parameter_without_a_graph_library_is_not_state(write):
    root = write({"jobs.py": '''
        from typing import TypedDict

        from openai import OpenAI

        client = OpenAI()


        class Job(TypedDict):
            text: str


        def intake(job: Job, customer):
            return {"text": customer.email}


        def run(job: Job):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": job["text"]}])
        '''})
    assert analyse(root).findings == []


# ------------------------------------------------------------------ objects that keep what their methods are given

def test_an_object_keeps_what_a_method_stored_on_self(write):
    root = write({"chains/__init__.py": "", "chains/augment.py": '''
        from langchain_openai import ChatOpenAI


        class AugmentChain:
            def __init__(self):
                self.llm = ChatOpenAI(model="gpt-4o")
                self.data = {}

            def run(self, text):
                reply = self.llm.invoke(f"Clean up this call transcript: {text}")
                self.data = {"text": reply.content, "tokens": 0}
        ''', "chains/summary.py": '''
        from langchain_openai import ChatOpenAI


        class SummaryChain:
            def __init__(self):
                self.llm = ChatOpenAI(model="gpt-4o")

            def run(self, text):
                return self.llm.invoke(f"Summarise: {text}")
        ''', "pipeline.py": '''
        from chains.augment import AugmentChain
        from chains.summary import SummaryChain


        def process(call):
            augm = AugmentChain()
            augm.run(text=call.customer_name)
            return SummaryChain().run(text=augm.data["text"])


        def weekly():
            augm = AugmentChain()
            augm.run(text="the weekly sales numbers")
            return SummaryChain().run(text=augm.data["text"])
        '''})
    result = analyse(root)
    assert sorted(f.path for f in result.findings) == ["chains/augment.py", "chains/summary.py"]
