"""`gdpr-lint check --fix` on LangChain models and chains, LiteLLM routers and the
OpenAI Agents SDK: the rewrite of each call shape (input / expected output),
idempotence, and what is left to do by hand."""

from __future__ import annotations

import ast
import textwrap

import pytest
from helpers import analyse

from gdpr_lint.cli.commands import main

LC_HEADER = '''\
"""Support desk: drafts replies with LangChain."""
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

llm = ChatOpenAI(model="gpt-4o-mini")
prompt = ChatPromptTemplate.from_template("Write to {name} <{email}> about: {issue}")
chain = prompt | llm | StrOutputParser()
embeddings = OpenAIEmbeddings(model="text-embedding-3-small")
'''
LC_HEADER_FIXED = LC_HEADER.replace(  # isort's place: gdpr_lint before langchain_core
    "from langchain_core.output_parsers import StrOutputParser\n",
    "from gdpr_lint.runtime import protect\nfrom langchain_core.output_parsers import StrOutputParser\n")

@pytest.fixture(autouse=True)
def _one_line_wrappers(monkeypatch):
    """These tests are about what the fix rewrites: with no line length configured it
    would wrap the longer wrappers one argument per line (tested in test_fix_style.py)."""
    from gdpr_lint.fix import style

    monkeypatch.setattr(style, "DEFAULT_LINE_LENGTH", 200)
    style._line_length_in.cache_clear()



def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def gdpr(root, monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(root)
    with pytest.raises(SystemExit) as exc:
        main.main(list(args), prog_name="gdpr-lint")
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


# The call is wrapped where it is made: protect(<runnable>.<method>, known=...)(...). The
# runtime protects the OpenAI model the runnable holds (a chain, a model configured with
# bind_tools / with_structured_output, the model itself).
LANGCHAIN_SHAPES = {
    "chain_invoke": (
        '''
        def draft(ticket):
            return chain.invoke({"name": ticket.customer_name, "email": ticket.email, "issue": ticket.issue})
        ''',
        '''
        def draft(ticket):
            return protect(chain.invoke, known={"name": [ticket.customer_name], "email": [ticket.email]})({"name": ticket.customer_name, "email": ticket.email, "issue": ticket.issue})
        ''',
    ),
    "chain_stream": (
        '''
        def live(ticket):
            for chunk in chain.stream({"name": ticket.customer_name, "email": "-", "issue": ticket.issue}):
                print(chunk, end="")
        ''',
        '''
        def live(ticket):
            for chunk in protect(chain.stream, known={"name": [ticket.customer_name]})({"name": ticket.customer_name, "email": "-", "issue": ticket.issue}):
                print(chunk, end="")
        ''',
    ),
    "awaited": (
        '''
        async def draft(ticket):
            return await chain.ainvoke(
                {"name": ticket.customer_name, "email": ticket.email, "issue": ticket.issue},
            )
        ''',
        '''
        async def draft(ticket):
            return await protect(chain.ainvoke, known={"name": [ticket.customer_name], "email": [ticket.email]})(
                {"name": ticket.customer_name, "email": ticket.email, "issue": ticket.issue},
            )
        ''',
    ),
    "astream": (
        '''
        async def live(patient):
            async for chunk in llm.astream(f"Summarise the visit of {patient.full_name}"):
                yield chunk.content
        ''',
        '''
        async def live(patient):
            async for chunk in protect(llm.astream, known={"name": [patient.full_name]})(f"Summarise the visit of {patient.full_name}"):
                yield chunk.content
        ''',
    ),
    "model_invoke": (
        '''
        def reply(member):
            return llm.invoke(f"Write to {member.full_name}, phone {member.phone}").content
        ''',
        '''
        def reply(member):
            return protect(llm.invoke, known={"name": [member.full_name], "phone": [member.phone]})(f"Write to {member.full_name}, phone {member.phone}").content
        ''',
    ),
    "bind_tools": (
        '''
        def route(member, tools):
            return llm.bind_tools(tools).invoke(f"Find the account of {member.email}")
        ''',
        '''
        def route(member, tools):
            return protect(llm.bind_tools(tools).invoke, known={"email": [member.email]})(f"Find the account of {member.email}")
        ''',
    ),
    "structured_output": (
        '''
        def extract(Letter, patient):
            return llm.with_structured_output(Letter).invoke(f"Letter to {patient.full_name}")
        ''',
        '''
        def extract(Letter, patient):
            return protect(llm.with_structured_output(Letter).invoke, known={"name": [patient.full_name]})(f"Letter to {patient.full_name}")
        ''',
    ),
    "embeddings": (
        '''
        def vector(customer):
            return embeddings.embed_query(customer.email)
        ''',
        '''
        def vector(customer):
            return protect(embeddings.embed_query, known={"email": [customer.email]})(customer.email)
        ''',
    ),
    "pipe_in_place": (
        '''
        def draft(ticket):
            return (prompt | llm).invoke({"name": ticket.customer_name, "email": "-", "issue": "-"}).content
        ''',
        '''
        def draft(ticket):
            return protect((prompt | llm).invoke, known={"name": [ticket.customer_name]})({"name": ticket.customer_name, "email": "-", "issue": "-"}).content
        ''',
    ),
}


@pytest.mark.parametrize("shape", sorted(LANGCHAIN_SHAPES))
def test_langchain_calls_are_wrapped_with_protect(shape, write, monkeypatch, capsys) -> None:
    before, after = LANGCHAIN_SHAPES[shape]
    root = write({"desk.py": LC_HEADER + "\n\n" + dedent(before)})
    findings = analyse(root).findings
    assert findings and all(f.fixable and f.flavour == "langchain" for f in findings)
    code, out, err = gdpr(root, monkeypatch, capsys, "check", "--fix", "desk.py")
    fixed = (root / "desk.py").read_text()
    assert fixed == LC_HEADER_FIXED + "\n\n" + dedent(after), out + err
    assert code == 0 and "Found 0 findings" in out, out + err
    ast.parse(fixed)
    result = analyse(root)
    assert result.findings == []
    assert result.sites and all(s.protected and s.flavour == "langchain" for s in result.sites)
    # a second --fix changes nothing
    code, out, err = gdpr(root, monkeypatch, capsys, "check", "--fix", "desk.py")
    assert code == 0 and "No fixes applied." in out
    assert (root / "desk.py").read_text() == fixed


def test_a_model_protected_where_it_is_built_is_not_wrapped_again(write, monkeypatch, capsys) -> None:
    src = dedent('''
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_openai import ChatOpenAI

        from gdpr_lint.runtime import protect

        llm = protect(ChatOpenAI(model="gpt-4o-mini"))
        chain = ChatPromptTemplate.from_template("Write to {name}") | llm


        def draft(ticket):
            return chain.invoke({"name": ticket.customer_name}), llm.invoke(ticket.customer_name)


        def again(ticket):
            return protect(chain.invoke)({"name": ticket.customer_name})
        ''')
    root = write({"desk.py": src})
    result = analyse(root)
    assert result.findings == [] and len(result.sites) == 3 and all(s.protected for s in result.sites)
    code, out, err = gdpr(root, monkeypatch, capsys, "check", "--fix", ".")
    assert code == 0 and "No fixes applied." in out, out + err
    assert (root / "desk.py").read_text() == src


def test_protecting_a_pipe_keeps_what_the_projects_own_callables_in_it_send(write) -> None:
    """protect(chain.ainvoke) covers the OpenAI models the chain holds; a wrapper class of
    the project in the pipe makes its own call, which stays a finding."""
    root = write({"ai/__init__.py": "", "ai/model.py": '''
        from langchain_openai import ChatOpenAI


        class Model:
            def __init__(self):
                self.llm = ChatOpenAI(model="gpt-4o")

            def __call__(self, prompt_value):
                return self.llm.invoke(prompt_value)
        ''', "crm/__init__.py": "", "crm/letters.py": '''
        from langchain_core.prompts import ChatPromptTemplate

        from ai.model import Model
        from gdpr_lint.runtime import protect

        chain = ChatPromptTemplate.from_template("Write to {name}") | Model()


        async def follow_up(customer):
            return await protect(chain.ainvoke)({"name": customer.full_name})
        '''})
    [finding] = analyse(root).findings
    assert finding.path == "ai/model.py" and finding.categories == ["name"]


def test_a_vector_store_built_with_protected_embeddings_is_protected(write) -> None:
    root = write({"search.py": '''
        from langchain_community.vectorstores import FAISS
        from langchain_openai import OpenAIEmbeddings

        from gdpr_lint.runtime import protect


        def index(tickets, customer):
            store = FAISS.from_texts([t.customer_email for t in tickets], protect(OpenAIEmbeddings()))
            return store.similarity_search(customer.full_name)
        '''})
    result = analyse(root)
    assert result.findings == []
    assert {s.endpoint for s in result.sites} == {"FAISS.from_texts", "FAISS.similarity_search"}
    assert all(s.protected for s in result.sites)


def test_a_vector_store_call_is_left_with_a_hint(write, monkeypatch, capsys) -> None:
    src = dedent('''
        from langchain_community.vectorstores import FAISS
        from langchain_openai import OpenAIEmbeddings


        def index(tickets):
            return FAISS.from_texts([t.customer_email for t in tickets], OpenAIEmbeddings())
        ''')
    root = write({"search.py": src})
    [finding] = analyse(root).findings
    assert not finding.fixable and "protect(OpenAIEmbeddings())" in finding.fix_hint
    code, out, err = gdpr(root, monkeypatch, capsys, "check", "--fix", ".")
    assert code == 1 and (root / "search.py").read_text() == src


# ------------------------------------------------------------------ LiteLLM Router

ROUTER_HEADER = '''\
from litellm import Router

router = Router(model_list=[{"model_name": "support", "litellm_params": {"model": "openai/gpt-4o-mini"}}])
'''

ROUTER_SHAPES = {
    "completion": (
        '''
        def reply(member):
            return router.completion(model="support", messages=[{"role": "user", "content": f"Dear {member.full_name}"}])
        ''',
        '''
        def reply(member):
            return protect(router.completion, known={"name": [member.full_name]})(model="support", messages=[{"role": "user", "content": f"Dear {member.full_name}"}])
        ''',
    ),
    "awaited": (
        '''
        async def reply(member):
            answer = await router.acompletion(
                model="support",
                messages=[{"role": "user", "content": f"Call {member.phone}"}],
                user=member.email,
            )
            return answer.choices[0].message.content
        ''',
        '''
        async def reply(member):
            answer = await protect(router.acompletion, known={"phone": [member.phone]})(
                model="support",
                messages=[{"role": "user", "content": f"Call {member.phone}"}],
                user=pseudonymous_id(member.email),
            )
            return answer.choices[0].message.content
        ''',
    ),
}


@pytest.mark.parametrize("shape", sorted(ROUTER_SHAPES))
def test_router_calls_are_wrapped_with_protect(shape, write, monkeypatch, capsys) -> None:
    before, after = ROUTER_SHAPES[shape]
    root = write({"desk.py": ROUTER_HEADER + "\n\n" + dedent(before)})
    assert all(f.fixable and f.endpoint.startswith("Router.") for f in analyse(root).findings)
    code, out, err = gdpr(root, monkeypatch, capsys, "check", "--fix", "desk.py")
    names = "protect, pseudonymous_id" if "pseudonymous_id" in after else "protect"
    header = ROUTER_HEADER.replace("from litellm import Router\n",
                                   f"from gdpr_lint.runtime import {names}\nfrom litellm import Router\n")
    assert (root / "desk.py").read_text() == header + "\n\n" + dedent(after), out + err
    assert code == 0, out + err
    result = analyse(root)
    assert result.findings == [] and all(s.protected for s in result.sites)


def test_a_protected_router_is_not_wrapped_again(write, monkeypatch, capsys) -> None:
    src = ROUTER_HEADER.replace("router = Router(", "from gdpr_lint.runtime import protect\n\nrouter = protect(Router(") \
        .replace("}])\n", "}]))\n") + "\n\n" + dedent('''
        def reply(member):
            return router.completion(model="support", messages=[{"role": "user", "content": member.full_name}])


        def image(member):
            return router.image_generation(model="support", prompt=f"A card for {member.full_name}")
        ''')
    root = write({"desk.py": src})
    findings = analyse(root).findings
    # the router's request methods are protected; its image and audio methods are its own
    assert [(f.endpoint, f.fixable) for f in findings] == [("Router.image_generation", False)]
    code, out, err = gdpr(root, monkeypatch, capsys, "check", "--fix", ".")
    assert code == 1 and (root / "desk.py").read_text() == src
    assert "help: " in out


# ------------------------------------------------------------------ OpenAI Agents SDK

AGENTS_HEADER = '''\
from agents import Agent, Runner, function_tool


@function_tool
def lookup_member(member_id: int) -> str:
    """The member's contact details."""
    member = load_member(member_id)
    return f"{member.full_name}, {member.email}"


agent = Agent(name="desk", instructions="Help members.", tools=[lookup_member])
'''

AGENTS_SHAPES = {
    "run_sync": (
        '''
        def answer(member):
            return Runner.run_sync(agent, f"Write to {member.full_name} about {member.phone}").final_output
        ''',
        '''
        def answer(member):
            return protect(Runner.run_sync, known={"name": [member.full_name], "phone": [member.phone]})(agent, f"Write to {member.full_name} about {member.phone}").final_output
        ''',
    ),
    "run": (
        '''
        async def answer(member):
            result = await Runner.run(agent, f"Hello {member.email}", max_turns=3)
            return result.final_output
        ''',
        '''
        async def answer(member):
            result = await protect(Runner.run, known={"email": [member.email]})(agent, f"Hello {member.email}", max_turns=3)
            return result.final_output
        ''',
    ),
    "run_streamed": (
        '''
        async def answer(member):
            result = Runner.run_streamed(agent, input=f"Hello {member.full_name}")
            async for event in result.stream_events():
                print(event)
        ''',
        '''
        async def answer(member):
            result = protect(Runner.run_streamed, known={"name": [member.full_name]})(agent, input=f"Hello {member.full_name}")
            async for event in result.stream_events():
                print(event)
        ''',
    ),
    "tool_data_only": (  # what the tool returns reaches the model: no value in scope, the detectors work
        '''
        def answer():
            return Runner.run_sync(agent, "Look up member 17 and draft a greeting.").final_output
        ''',
        '''
        def answer():
            return protect(Runner.run_sync)(agent, "Look up member 17 and draft a greeting.").final_output
        ''',
    ),
}


@pytest.mark.parametrize("shape", sorted(AGENTS_SHAPES))
def test_agents_runs_are_wrapped_with_protect(shape, write, monkeypatch, capsys) -> None:
    before, after = AGENTS_SHAPES[shape]
    root = write({"desk.py": AGENTS_HEADER + "\n\n" + dedent(before)})
    findings = analyse(root).findings
    assert findings and all(f.fixable and f.flavour == "openai-agents" for f in findings)
    code, out, err = gdpr(root, monkeypatch, capsys, "check", "--fix", "desk.py")
    header = AGENTS_HEADER.replace("from agents import Agent, Runner, function_tool\n",
                                   "from agents import Agent, Runner, function_tool\nfrom gdpr_lint.runtime import protect\n")
    assert (root / "desk.py").read_text() == header + "\n\n" + dedent(after), out + err
    assert code == 0, out + err
    result = analyse(root)
    assert result.findings == [] and result.sites and all(s.protected for s in result.sites)


# ------------------------------------------------------------------ what stays manual


def test_legacy_call_hint_names_the_v1_call(write) -> None:
    root = write({"refill.py": '''
        import openai


        async def refill(patient):
            return await openai.ChatCompletion.acreate(model="gpt-3.5-turbo", messages=[{"role": "user", "content": patient.name}])
        '''})
    [finding] = analyse(root).findings
    assert not finding.fixable
    assert "`client = AsyncOpenAI()`, `await client.chat.completions.create(...)`" in finding.fix_hint
