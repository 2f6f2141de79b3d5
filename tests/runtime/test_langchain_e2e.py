"""The real ``langchain_openai`` models, through their ``openai`` clients, against the
local stand-in server (no mocks): ``protect(ChatOpenAI(...))``, chains built with LCEL
pipes, tool calls, structured output, streaming and embeddings.

Every test checks both directions: the recorded request bodies contain no personal
value, and the caller sees the original values.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any, Dict, List

import pytest

from gdpr_lint.runtime import Conversation, protect

from .conftest import CPR, EMAIL, NAME, PHONE, TOKEN, StandIn, assert_no_personal

pytest.importorskip("langchain_openai")

from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.runnables import RunnableLambda, RunnablePassthrough  # noqa: E402
from langchain_core.vectorstores import VectorStore  # noqa: E402
from langchain_openai import AzureChatOpenAI, ChatOpenAI, OpenAIEmbeddings  # noqa: E402
from pydantic import BaseModel  # noqa: E402

KNOWN = {"name": NAME}
RECORD = {"name": NAME, "email": EMAIL, "phone": PHONE, "issue": "the invoice is wrong"}
# What the user's text becomes in the stand-in's echo; the caller must see it again.
TEXT = f"Customer {NAME} <{EMAIL}>, tlf {PHONE}: the invoice is wrong"
PERSONAL_IN_TEXT = [NAME, EMAIL, PHONE, "Holm"]
SPLITS = ["all", "1,2,3", "7,15,16,40,41", "20,60,61,62,100"]


def model(api: StandIn, headers: Dict[str, str] | None = None, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(model="gpt-4o-mini", base_url=api.base_url, api_key="test", max_retries=0,
                      default_headers=headers, **kwargs)


def support_chain(llm: Any) -> Any:
    prompt = ChatPromptTemplate.from_messages([
        ("system", "You answer support tickets briefly."),
        ("user", "Customer {name} <{email}>, tlf {phone}: {issue}"),
    ])
    return prompt | llm | StrOutputParser()


def sent(api: StandIn) -> List[str]:
    bodies = api.bodies()
    assert bodies, "no request reached the stand-in"
    return bodies


# ---------------------------------------------------------------------------
# chains and models


def test_unprotected_chain_leaks_the_record(api: StandIn) -> None:
    """The stand-in and the record are such that an unprotected chain is caught."""
    assert support_chain(model(api)).invoke(RECORD) == TEXT
    with pytest.raises(AssertionError):
        assert_no_personal(sent(api), PERSONAL_IN_TEXT)


def test_protected_chain_invoke(api: StandIn) -> None:
    llm = model(api)
    chain = support_chain(llm)
    protected = protect(chain, known=KNOWN)
    assert type(protected) is type(chain)
    assert protected.invoke(RECORD) == TEXT
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)
    assert len(TOKEN.findall(sent(api)[0])) == 3  # name, e-mail, phone as pseudonyms
    # the caller's chain and model are unchanged
    api.recorder.clear()
    assert chain.invoke(RECORD) == TEXT
    assert NAME in sent(api)[0]


def test_model_protected_where_it_is_built_works_in_a_pipe(api: StandIn) -> None:
    llm = protect(model(api), known=KNOWN)
    assert isinstance(llm, ChatOpenAI)
    assert support_chain(llm).invoke(RECORD) == TEXT
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)


def test_protected_bound_method(api: StandIn) -> None:
    chain = support_chain(model(api))
    assert protect(chain.invoke, known=KNOWN)(RECORD) == TEXT
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)


@pytest.mark.parametrize("split", SPLITS)
def test_stream_reidentifies_pseudonyms_split_over_chunks(api: StandIn, split: str) -> None:
    chain = protect(support_chain(model(api, {"x-test-split": split})), known=KNOWN)
    chunks = list(chain.stream(RECORD))
    assert len(chunks) > 3
    assert "".join(chunks) == TEXT
    assert json.loads(sent(api)[0])["stream"] is True
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)


def test_async_invoke_stream_and_batch(api: StandIn) -> None:
    other = dict(RECORD, name="Mette Kjærgaard", email="mette@example.dk")
    chain = protect(support_chain(model(api, {"x-test-split": "all"})), known={"name": [NAME, other["name"]]})

    async def run() -> List[Any]:
        streamed = [c async for c in chain.astream(RECORD)]
        return [await chain.ainvoke(RECORD), "".join(streamed), await chain.abatch([RECORD, other])]

    single, streamed, batch = asyncio.run(run())
    assert single == streamed == TEXT
    assert chain.batch([RECORD, other]) == batch
    assert batch[1] == TEXT.replace(NAME, "Mette Kjærgaard").replace(EMAIL, "mette@example.dk")
    assert_no_personal(sent(api), PERSONAL_IN_TEXT + ["Mette", "Kjærgaard", "mette@example.dk"])


def test_tool_calls_are_reidentified(api: StandIn) -> None:
    def find_customer(text: str) -> str:
        """Find the customer a ticket is about."""
        return text

    bound = protect(model(api).bind_tools([find_customer]), known=KNOWN)
    message = bound.invoke(f"Find {NAME}, tlf {PHONE}")
    [call] = message.tool_calls
    assert call["name"] == "find_customer"
    assert call["args"]["text"] == f"Find {NAME}, tlf {PHONE}"
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)


def test_tool_calls_streamed(api: StandIn) -> None:
    def find_customer(text: str) -> str:
        """Find the customer a ticket is about."""
        return text

    bound = protect(model(api, {"x-test-split": "all"}), known=KNOWN).bind_tools([find_customer])
    final = None
    for chunk in bound.stream(f"Find {NAME}"):
        final = chunk if final is None else final + chunk
    assert final is not None
    assert final.tool_calls[0]["args"]["text"] == f"Find {NAME}"
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)


class Reply(BaseModel):
    greeting: str
    summary: str


def test_structured_output(api: StandIn) -> None:
    structured = protect(model(api), known=KNOWN).with_structured_output(Reply)
    out = structured.invoke(f"Greet {NAME} <{EMAIL}>")
    assert out == Reply(greeting=f"Greet {NAME} <{EMAIL}>", summary=f"Greet {NAME} <{EMAIL}>")
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)
    # the same, with protect() on the structured runnable (a chain: model | parser)
    api.recorder.clear()
    out = protect(model(api).with_structured_output(Reply), known=KNOWN).invoke(f"Greet {NAME}")
    assert out.greeting == f"Greet {NAME}"
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)


def test_responses_api_model(api: StandIn) -> None:
    llm = protect(model(api, {"x-test-split": "all"}, use_responses_api=True), known=KNOWN)
    assert llm.invoke(TEXT).text == TEXT
    assert "".join(chunk.text for chunk in llm.stream(TEXT)) == TEXT
    assert [r["path"] for r in api.recorder.requests] == ["/v1/responses", "/v1/responses"]
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)


def test_azure_chat_model(api: StandIn) -> None:
    azure = AzureChatOpenAI(azure_endpoint=api.base_url.rsplit("/v1", 1)[0], azure_deployment="support",
                            api_version="2024-10-21", api_key="test", max_retries=0)
    assert protect(support_chain(azure), known=KNOWN).invoke(RECORD) == TEXT
    assert api.recorder.requests[0]["path"].startswith("/openai/deployments/support/chat/completions")
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)


def test_embeddings_send_text_not_token_ids(api: StandIn) -> None:
    embeddings = OpenAIEmbeddings(base_url=api.base_url, api_key="test", max_retries=0)
    protected = protect(embeddings, known=KNOWN)
    vectors = protected.embed_documents([f"{NAME} called about CPR {CPR}", "opening hours"])
    assert len(vectors) == 2 and protected.embed_query(f"Who is {NAME}?")
    assert embeddings.check_embedding_ctx_length is True  # the caller's model is unchanged
    bodies = sent(api)
    assert_no_personal(bodies, PERSONAL_IN_TEXT + [CPR])
    first = json.loads(bodies[0])["input"]
    assert all(isinstance(t, str) for t in first) and TOKEN.search(first[0])


class NotesStore(VectorStore):
    """A minimal vector store (a plain object, as LangChain's stores are) holding its embeddings."""

    def __init__(self, embedding: Any) -> None:
        self.embedding = embedding
        self.texts: List[str] = []

    def add_texts(self, texts: Any, metadatas: Any = None, **kwargs: Any) -> List[str]:
        self.texts.extend(texts)
        return [str(i) for i, _ in enumerate(self.texts)]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> List[Document]:
        self.embedding.embed_query(query)  # what a real store does before the search
        return [Document(page_content=t) for t in self.texts[:k]]

    @classmethod
    def from_texts(cls, texts: Any, embedding: Any, metadatas: Any = None, **kwargs: Any) -> "NotesStore":
        store = cls(embedding)
        store.add_texts(texts)
        return store


def test_retrieval_chain_protects_the_embeddings_of_its_vector_store(api: StandIn) -> None:
    store = NotesStore.from_texts(["Refunds take five days."], OpenAIEmbeddings(base_url=api.base_url, api_key="test",
                                                                                max_retries=0))
    prompt = ChatPromptTemplate.from_messages([("user", "{question} Context: {context}")])
    rag = {"context": store.as_retriever(), "question": RunnablePassthrough()} | prompt | model(api) | StrOutputParser()
    question = f"When does {NAME} get the refund?"
    answer = protect(rag, known=KNOWN).invoke(question)
    assert answer.startswith(question) and "Refunds take five days." in answer
    paths = [r["path"] for r in api.recorder.requests]
    assert paths == ["/v1/embeddings", "/v1/chat/completions"]  # the query is embedded, then sent to the model
    assert_no_personal(sent(api), PERSONAL_IN_TEXT)
    assert isinstance(json.loads(api.recorder.requests[0]["body"])["input"][0], str)


def test_protecting_twice_pseudonymises_once_with_both_known_values(api: StandIn) -> None:
    llm = protect(protect(model(api), known={"name": "Jytte Dam"}), known=KNOWN)
    text = f"Jytte Dam og {NAME}"
    assert llm.invoke(text).content == text
    body = sent(api)[0]
    assert_no_personal([body], ["Jytte", "Dam", NAME])
    assert "[[NAME_[[" not in body and len(TOKEN.findall(body)) == 2


def test_conversation_gives_stable_pseudonyms_across_calls(api: StandIn) -> None:
    conv = Conversation()
    chain = protect(support_chain(model(api)), known=KNOWN, conversation=conv)
    chain.invoke(RECORD)
    chain.invoke(RECORD)
    first, second = (TOKEN.findall(b) for b in sent(api))
    assert first == second


def test_chain_without_an_openai_model_is_refused(api: StandIn) -> None:
    opaque = RunnableLambda(lambda x: model(api).invoke(x))  # the model is hidden in a closure
    with pytest.raises(TypeError, match="found no OpenAI model"):
        protect(ChatPromptTemplate.from_messages([("user", "{q}")]) | opaque, known=KNOWN)
    assert api.bodies() == []


def test_langchain_is_imported_only_for_langchain_objects() -> None:
    code = (
        "import sys\n"
        "import gdpr_lint.runtime as r\n"
        "from openai import OpenAI\n"
        "r.protect(OpenAI(api_key='x', base_url='http://127.0.0.1:9/v1'))\n"
        "assert not [m for m in sys.modules if m.startswith(('langchain', 'litellm', 'libcst', 'click'))], "
        "sorted(m for m in sys.modules if m.startswith(('langchain', 'litellm', 'libcst', 'click')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
