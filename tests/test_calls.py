"""Call-site inventory: every way real code reaches the OpenAI API is found, with the
right endpoint, flavour and confidence; look-alikes are not.

Each fixture marks its expected call sites with an end-of-line comment
`# call: <endpoint> <flavour> <confidence>` on the line where the call begins.
"""

from __future__ import annotations

import json
import re

import pytest

from helpers import CORPUS, analyse, run_cli

MARK = re.compile(r"#\s*call:\s*(\S+)\s+(\S+)\s+(\S+)")


def expected_sites(root, files: dict[str, str]) -> set[tuple]:
    out = set()
    for name in files:
        for n, line in enumerate((root / name).read_text().splitlines(), 1):
            m = MARK.search(line)
            if m:
                out.add((name, n, *m.groups()))
    return out


def found_sites(root) -> set[tuple]:
    result = analyse(root)
    assert not result.errors, [str(e) for e in result.errors]
    return {(s.path, s.span.line, s.endpoint, s.flavour, s.confidence) for s in result.sites}


CASES: dict[str, dict[str, str]] = {
    "plain-import-sync-and-async": {
        "crm/assist.py": """
            from openai import OpenAI, AsyncOpenAI

            client = OpenAI()
            aclient = AsyncOpenAI()

            def draft_reply(ticket_text):
                return client.chat.completions.create(  # call: chat.completions.create openai-v1 high
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": ticket_text}],
                )

            async def classify(ticket_text):
                resp = await aclient.chat.completions.create(  # call: chat.completions.create openai-v1-async high
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": ticket_text}],
                )
                return resp.choices[0].message.content
        """,
    },
    "azure-clients-aliased": {
        "hr/llm.py": """
            from openai import AzureOpenAI as Az, AsyncAzureOpenAI as AsyncAz

            az = Az(azure_endpoint="https://hr-eu.openai.azure.com", api_version="2024-06-01")

            def summarise(text):
                return az.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])  # call: chat.completions.create openai-azure high

            async def summarise_async(text):
                aaz = AsyncAz(azure_endpoint="https://hr-eu.openai.azure.com", api_version="2024-06-01")
                return await aaz.responses.create(model="gpt-4o", input=text)  # call: responses.create openai-azure-async high
        """,
    },
    "import-openai-as-oa": {
        "shop/describe.py": """
            import openai as oa

            client = oa.OpenAI()

            def describe(product_text):
                return client.responses.create(model="gpt-4o-mini", input=product_text)  # call: responses.create openai-v1 high
        """,
    },
    "self-attribute": {
        "support/bot.py": """
            from openai import OpenAI

            class SupportBot:
                def __init__(self):
                    self.client = OpenAI()

                def answer(self, question):
                    return self.client.chat.completions.create(  # call: chat.completions.create openai-v1 high
                        model="gpt-4o-mini",
                        messages=[{"role": "user", "content": question}],
                    )
        """,
    },
    "typed-parameter": {
        "bank/kyc.py": """
            from openai import OpenAI, AsyncOpenAI

            def explain_rule(client: OpenAI, rule_text: str):
                return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": rule_text}])  # call: chat.completions.create openai-v1 high

            async def explain_async(client: "AsyncOpenAI", rule_text: str):
                return await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": rule_text}])  # call: chat.completions.create openai-v1-async high
        """,
    },
    "factory-in-other-module": {
        "clinic/__init__.py": "",
        "clinic/llm_client.py": """
            import os
            from openai import AzureOpenAI

            def make_client():
                return AzureOpenAI(azure_endpoint=os.environ["AZURE_URL"], api_version="2024-06-01")
        """,
        "clinic/faq.py": """
            from .llm_client import make_client

            def faq_answer(question):
                client = make_client()
                return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}])  # call: chat.completions.create openai-azure high
        """,
        "clinic/search.py": """
            from clinic import llm_client

            def embed(chunks):
                return llm_client.make_client().embeddings.create(model="text-embedding-3-small", input=chunks)  # call: embeddings.create openai-azure high
        """,
    },
    "with-options-raw-and-streaming-response": {
        "insurance/claims.py": """
            from openai import OpenAI

            client = OpenAI()

            def triage(claim_text):
                slow = client.with_options(timeout=60, max_retries=5)
                slow.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": claim_text}])  # call: chat.completions.create openai-v1 high
                raw = client.chat.completions.with_raw_response.create(  # call: chat.completions.create openai-v1 high
                    model="gpt-4o", messages=[{"role": "user", "content": claim_text}]
                )
                with client.with_streaming_response.responses.create(model="gpt-4o", input=claim_text) as r:  # call: responses.create openai-v1 high
                    for line in r.iter_lines():
                        print(line)
                return raw.parse()
        """,
    },
    "stream-context-managers": {
        "school/tutor.py": """
            from openai import OpenAI

            client = OpenAI()

            def tutor(question):
                with client.chat.completions.stream(model="gpt-4o", messages=[{"role": "user", "content": question}]) as s:  # call: chat.completions.stream openai-v1 high
                    for event in s:
                        pass
                with client.responses.stream(model="gpt-4o", input=question) as s2:  # call: responses.stream openai-v1 high
                    return s2.get_final_response()

            def tutor_sse(question):
                for chunk in client.chat.completions.create(model="gpt-4o", stream=True, messages=[{"role": "user", "content": question}]):  # call: chat.completions.create openai-v1 high
                    yield chunk
        """,
    },
    "module-level-v1-client": {
        "municipality/letters.py": """
            import openai

            def polish(letter_text):
                return openai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": letter_text}])  # call: chat.completions.create openai-module high

            def moderate(letter_text):
                return openai.moderations.create(input=letter_text)  # call: moderations.create openai-module high
        """,
    },
    "variable-named-openai-shadows-module": {
        "crm/notes.py": """
            from openai import OpenAI

            openai = OpenAI()

            def tidy(note):
                return openai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": note}])  # call: chat.completions.create openai-v1 high
        """,
    },
    "legacy-0x-module-api": {
        "legacy/bot.py": """
            import openai

            openai.api_key = "sk-..."

            def old_chat(question):
                return openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=[{"role": "user", "content": question}])  # call: legacy:ChatCompletion.create openai-legacy high

            async def old_complete(prompt):
                return await openai.Completion.acreate(engine="text-davinci-003", prompt=prompt)  # call: legacy:Completion.acreate openai-legacy high

            def old_embed(text):
                return openai.Embedding.create(model="text-embedding-ada-002", input=[text])  # call: legacy:Embedding.create openai-legacy high
        """,
    },
    "endpoint-catalogue": {
        "platform/jobs.py": """
            from openai import OpenAI
            from pydantic import BaseModel

            client = OpenAI()

            class Summary(BaseModel):
                text: str

            def run_everything(text, audio_file, jsonl, image_prompt, assistant_id, thread_id, store_id):
                client.chat.completions.parse(model="gpt-4o", messages=[{"role": "user", "content": text}], response_format=Summary)  # call: chat.completions.parse openai-v1 high
                client.responses.parse(model="gpt-4o", input=text, text_format=Summary)  # call: responses.parse openai-v1 high
                client.completions.create(model="gpt-3.5-turbo-instruct", prompt=text)  # call: completions.create openai-v1 high
                client.embeddings.create(model="text-embedding-3-small", input=[text])  # call: embeddings.create openai-v1 high
                client.moderations.create(input=text)  # call: moderations.create openai-v1 high
                client.images.generate(model="dall-e-3", prompt=image_prompt)  # call: images.generate openai-v1 high
                client.audio.speech.create(model="tts-1", voice="alloy", input=text)  # call: audio.speech.create openai-v1 high
                client.audio.transcriptions.create(model="whisper-1", file=audio_file)  # call: audio.transcriptions.create openai-v1 high
                client.audio.translations.create(model="whisper-1", file=audio_file)  # call: audio.translations.create openai-v1 high
                f = client.files.create(file=jsonl, purpose="batch")  # call: files.create openai-v1 high
                client.uploads.create(bytes=1024, filename="x.jsonl", mime_type="text/jsonl", purpose="batch")  # call: uploads.create openai-v1 high
                client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h")  # call: batches.create openai-v1 high
                client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id)  # call: fine_tuning.jobs.create openai-v1 high
                client.beta.assistants.create(model="gpt-4o", instructions=text)  # call: beta.assistants.create openai-v1 high
                client.beta.threads.create()  # call: beta.threads.create openai-v1 high
                client.beta.threads.messages.create(thread_id, role="user", content=text)  # call: beta.threads.messages.create openai-v1 high
                client.beta.threads.runs.create(thread_id=thread_id, assistant_id=assistant_id)  # call: beta.threads.runs.create openai-v1 high
                client.conversations.create(items=[{"type": "message", "role": "user", "content": text}])  # call: conversations.create openai-v1 high
                client.vector_stores.create(name="kb")  # call: vector_stores.create openai-v1 high
                client.vector_stores.files.create(vector_store_id=store_id, file_id=f.id)  # call: vector_stores.files.create openai-v1 high
        """,
    },
    "langchain-models-and-chains": {
        "hr/screening.py": """
            from langchain_openai import ChatOpenAI, AzureChatOpenAI, OpenAIEmbeddings
            from langchain_core.prompts import ChatPromptTemplate
            from pydantic import BaseModel

            llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)
            azure_llm = AzureChatOpenAI(azure_deployment="gpt-4o")
            embedder = OpenAIEmbeddings(model="text-embedding-3-small")

            class Verdict(BaseModel):
                fit: bool

            def screen(job_ad):
                llm.invoke(job_ad)  # call: ChatOpenAI.invoke langchain high
                for part in azure_llm.stream(job_ad):  # call: AzureChatOpenAI.stream langchain high
                    print(part)
                llm.batch([job_ad, job_ad])  # call: ChatOpenAI.batch langchain high
                embedder.embed_query(job_ad)  # call: OpenAIEmbeddings.embed_query langchain high
                chain = ChatPromptTemplate.from_template("Summarise: {ad}") | llm
                chain.invoke({"ad": job_ad})  # call: ChatOpenAI.invoke langchain high
                structured = llm.with_structured_output(Verdict)
                return structured.invoke(job_ad)  # call: ChatOpenAI.invoke langchain high

            async def screen_async(job_ad):
                return await llm.ainvoke(job_ad)  # call: ChatOpenAI.ainvoke langchain high
        """,
    },
    "litellm-openai-models-only": {
        "support/router.py": """
            import litellm
            from litellm import completion, acompletion, embedding

            def route(question):
                completion(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])  # call: litellm.completion litellm high
                litellm.completion(model="openai/gpt-4o", messages=[{"role": "user", "content": question}])  # call: litellm.completion litellm high
                embedding(model="text-embedding-3-small", input=[question])  # call: litellm.embedding litellm high
                completion(model="claude-3-5-sonnet-20240620", messages=[{"role": "user", "content": question}])
                litellm.completion(model="anthropic/claude-3-opus", messages=[{"role": "user", "content": question}])

            async def route_async(question):
                return await acompletion(model="gpt-4o", messages=[{"role": "user", "content": question}])  # call: litellm.acompletion litellm high
        """,
    },
    "unresolved-receivers": {
        "tools/helpers.py": """
            def ask(client, prompt):
                return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])  # call: chat.completions.create openai-v1 medium

            def embed(x, chunks):
                return x.embeddings.create(model="text-embedding-3-small", input=chunks)  # call: embeddings.create openai-v1 low
        """,
    },
    "requests-without-content-are-still-listed": {
        "ops/housekeeping.py": """
            from openai import OpenAI

            client = OpenAI()

            def housekeeping():
                for m in client.models.list():  # call: models.list openai-v1 high
                    print(m.id)
                client.files.delete("file-abc")  # call: files.delete openai-v1 high
        """,
    },
}

NEGATIVE: dict[str, dict[str, str]] = {
    "groq-and-anthropic-look-alikes": {
        "support/other_vendors.py": """
            import anthropic
            from groq import Groq

            groq = Groq()
            claude = anthropic.Anthropic()

            def ask(question):
                groq.chat.completions.create(model="llama3-70b", messages=[{"role": "user", "content": question}])
                claude.messages.create(model="claude-3-5-sonnet-20240620", max_tokens=500, messages=[{"role": "user", "content": question}])
        """,
    },
    "django-orm-create": {
        "crm/views.py": """
            from crm.models import User, Ticket

            def register(request):
                user = User.objects.create(email=request.POST["email"], name=request.POST["name"])
                Ticket.objects.create(owner=user, subject="Welcome")
                return user
        """,
    },
    "typed-non-openai-client": {
        "billing/stripe_sync.py": """
            import stripe
            from mistralai import Mistral

            def sync(client: Mistral, customer_email):
                client.chat.complete(model="mistral-small", messages=[{"role": "user", "content": customer_email}])
                stripe.Customer.create(email=customer_email)
        """,
    },
}


@pytest.mark.parametrize("name", list(CASES))
def test_call_sites_found(write, name):
    files = CASES[name]
    root = write(files)
    expected = expected_sites(root, files)
    assert expected, "fixture has no markers"
    assert found_sites(root) == expected


@pytest.mark.parametrize("name", list(NEGATIVE))
def test_look_alikes_are_not_openai_calls(write, name):
    root = write(NEGATIVE[name])
    assert found_sites(root) == set()


def test_protected_call_is_listed_as_protected(write):
    root = write({"crm/safe.py": """
        from openai import OpenAI
        from gdpr_lint.runtime import protect

        client = OpenAI()
        safe_client = protect(OpenAI())

        def reply(text):
            protect(client.chat.completions.create)(model="gpt-4o", messages=[{"role": "user", "content": text}])
            safe_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    """})
    sites = {s.span.line: s.protected for s in analyse(root).sites}
    assert sites == {8: True, 9: True, 10: False}


def test_unresolved_receiver_findings_carry_its_confidence(write):
    root = write({"tools/helpers.py": """
        def notify(client, customer):
            return client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"Write to {customer.email}"}]
            )
    """})
    [f] = analyse(root).findings
    assert (f.code, f.line, f.confidence) == ("GDPR001", 2, "medium")


# --- the `calls` command ---------------------------------------------------------------


def test_calls_command_text_and_json(write):
    root = write(CASES["plain-import-sync-and-async"])
    proc = run_cli("calls", ".", cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "crm/assist.py:7:12: chat.completions.create [openai-v1, high confidence]" in out
    assert "crm/assist.py:13:18: chat.completions.create [openai-v1-async, high confidence]" in out
    assert "2 OpenAI call sites in 1 files." in out

    proc = run_cli("calls", "--output-format", "json", cwd=root)
    assert proc.returncode == 0
    sites = json.loads(proc.stdout)
    assert [(s["path"], s["line"], s["column"], s["endpoint"], s["flavour"], s["confidence"], s["function"]) for s in sites] == [
        ("crm/assist.py", 7, 12, "chat.completions.create", "openai-v1", "high", "draft_reply"),
        ("crm/assist.py", 13, 18, "chat.completions.create", "openai-v1-async", "high", "classify"),
    ]
    assert {"end_line", "end_column", "protected", "callee"} <= set(sites[0])
    assert sites[0]["callee"] == "client.chat.completions.create"


def test_calls_command_empty_project(write):
    root = write({"app/util.py": "def add(a, b):\n    return a + b\n"})
    proc = run_cli("calls", "--output-format", "json", cwd=root)
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == []


def test_calls_command_syntax_error_still_lists_other_files(write):
    root = write({
        "app/broken.py": "from openai import OpenAI\n\ndef f(:\n",
        "app/ok.py": "import openai\nopenai.embeddings.create(model='m', input='x')\n",
    })
    proc = run_cli("calls", "--output-format", "json", cwd=root)
    assert proc.returncode == 2
    assert [s["path"] for s in json.loads(proc.stdout)] == ["app/ok.py"]
    err = proc.stderr.decode().strip().splitlines()
    assert len(err) == 1 and "app/broken.py" in err[0] and "syntax error" in err[0]
    assert "Traceback" not in proc.stderr.decode()


def _corpus_markers() -> set[tuple[str, int]]:
    marks = set()
    for p in sorted(CORPUS.rglob("*.py")):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"#\s*expect:", line):
                marks.add((p.relative_to(CORPUS).as_posix(), n))
    return marks


def test_every_corpus_marker_is_a_listed_call_site(corpus_copy):
    marks = _corpus_markers()
    assert len(marks) > 50
    result = analyse(corpus_copy)
    lines = {(s.path, s.span.line) for s in result.sites}
    missing = sorted(marks - lines)
    assert not missing, missing
