"""Each surface on its own: what it recognises, what it does not, and what --fix can do
with it. One leaking and one clean or look-alike case per surface, through the whole
analysis (`analyse`), plus the registry's own decisions."""

from __future__ import annotations

import ast

import pytest
from helpers import analyse

from gdpr_lint.analysis.values import Client, Ext, Guess, LangChain, Protected, Res
from gdpr_lint.surfaces import registry
from gdpr_lint.surfaces.base import Request


def _sites(result):
    return sorted((s.endpoint, s.flavour) for s in result.sites)


def _codes(result):
    return sorted(f.code for f in result.findings)


CASES = {
    # surface: (leaking source, expected (endpoint, flavour))
    "openai_v1": ('''
        from openai import AsyncAzureOpenAI
        client = AsyncAzureOpenAI(azure_endpoint="https://x.openai.azure.com")

        async def note(patient):
            return await client.chat.completions.with_raw_response.create(
                model="gpt-4o", messages=[{"role": "user", "content": patient.email}])
        ''', ("chat.completions.create", "openai-azure-async")),
    "openai_module": ('''
        import openai

        def embed(customer):
            return openai.embeddings.create(model="text-embedding-3-small", input=customer.phone)
        ''', ("embeddings.create", "openai-module")),
    "openai_legacy": ('''
        import openai

        def reply(customer):
            return openai.ChatCompletion.create(model="gpt-4", messages=[{"role": "user", "content": customer.email}])
        ''', ("legacy:ChatCompletion.create", "openai-legacy")),
    "langchain": ('''
        from langchain_openai import ChatOpenAI
        llm = ChatOpenAI(model="gpt-4o").bind_tools([])

        def summarise(member):
            return llm.invoke(f"Write to {member.email}")
        ''', ("ChatOpenAI.invoke", "langchain")),
    "litellm": ('''
        import litellm

        def triage(ticket):
            return litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": ticket.customer_email}])
        ''', ("litellm.completion", "litellm")),
}


@pytest.mark.parametrize("surface", sorted(CASES))
def test_each_surface_lists_its_call_and_reports_the_leak(write, surface):
    source, site = CASES[surface]
    root = write({"app.py": source})
    result = analyse(root)
    assert _sites(result) == [site]
    assert _codes(result) == ["GDPR001"]


LOOK_ALIKES = {
    "groq": '''
        from groq import Groq
        client = Groq()

        def reply(customer):
            return client.chat.completions.create(model="llama3", messages=[{"role": "user", "content": customer.email}])
        ''',
    "class named OpenAI": '''
        class OpenAI:
            def complete(self, text):
                return text.upper()

        def reply(customer):
            return OpenAI().complete(customer.email)
        ''',
    "litellm with another provider's model": '''
        import litellm

        def reply(customer):
            return litellm.completion(model="anthropic/claude-3-haiku", messages=[{"role": "user", "content": customer.email}])
        ''',
    "langchain model of another vendor": '''
        from langchain_anthropic import ChatAnthropic
        llm = ChatAnthropic(model="claude-3-haiku")

        def reply(customer):
            return llm.invoke(customer.email)
        ''',
}


@pytest.mark.parametrize("name", sorted(LOOK_ALIKES))
def test_look_alikes_are_not_openai_calls(write, name):
    root = write({"app.py": LOOK_ALIKES[name]})
    result = analyse(root)
    assert _sites(result) == [] and _codes(result) == []


def test_a_configured_wrapper_is_a_surface(write):
    root = write({
        "pyproject.toml": '''
            [tool.gdpr-lint]
            sinks = [{function = "llm.ask", content = ["prompt"]}]
            ''',
        "llm.py": '''
            def ask(prompt):
                return prompt
            ''',
        "views.py": '''
            from llm import ask

            def reply(customer):
                return ask(prompt=customer.email)
            ''',
    })
    result = analyse(root)
    assert ("llm.ask", "configured") in _sites(result)
    assert _codes(result) == ["GDPR001"]


# ------------------------------------------------------------------ the registry's decisions

def _call(src: str) -> ast.Call:
    node = ast.parse(src, mode="eval").body
    assert isinstance(node, ast.Call)
    return node


def test_a_guess_counts_only_when_nothing_else_is_a_request():
    node = _call("x.chat.completions.create(messages=m)")
    guess = Guess(("chat", "completions", "create"), "x")
    res = Res("openai-azure", ("chat", "completions", "create"))
    for tags in ([guess, res], [res, guess]):
        surface, request = registry.request(None, tags, node, [], [])
        assert (surface.name, request.flavour, request.confidence) == ("openai_v1", "openai-azure", "high")
    surface, request = registry.request(None, [guess], node, [], [])
    assert request.fallback and request.confidence == "medium"


def test_protect_covers_what_each_runtime_adapter_covers():
    tags = registry.protect([Client("openai-v1"), Ext("litellm.completion"), Ext("litellm.image_generation"),
                             LangChain("chat", "langchain_openai.ChatOpenAI", "invoke"), Ext("json.dumps")])
    assert Client("openai-v1", True) in tags
    assert Protected(Ext("litellm.completion")) in tags
    assert LangChain("chat", "langchain_openai.ChatOpenAI", "invoke", True) in tags
    assert not any(isinstance(t, Protected) and t.inner == Ext("litellm.image_generation") for t in tags)
    assert Ext("json.dumps") not in tags and len(tags) == 3


@pytest.mark.parametrize("flavour,endpoint,code,fixable", [
    ("openai-v1", "chat.completions.create", "GDPR001", True),
    ("openai-module", "embeddings.create", "GDPR002", True),
    ("openai-legacy", "legacy:ChatCompletion.create", "GDPR001", False),
    ("openai-legacy", "legacy:ChatCompletion.create", "GDPR003", True),
    ("langchain", "ChatOpenAI.invoke", "GDPR001", True),
    ("langchain", "OpenAIEmbeddings.embed_documents", "GDPR001", True),
    ("langchain", "init_chat_model.astream", "GDPR002", True),
    ("langchain", "ChatOpenAI.invoke", "GDPR003", False),
    ("langchain", "FAISS.from_texts", "GDPR001", False),
    ("langchain", "FAISS.as_retriever().invoke", "GDPR001", False),
    ("litellm", "Router.acompletion", "GDPR001", True),
    ("openai-agents", "Runner.run_streamed", "GDPR001", True),
    ("openai-agents", "Runner.run", "GDPR003", False),
    ("litellm", "Router.image_generation", "GDPR001", False),
    ("litellm", "litellm.completion", "GDPR001", True),
    ("litellm", "litellm.image_generation", "GDPR001", False),
    ("configured", "llm.ask", "GDPR001", False),
])
def test_fixability_per_surface(flavour, endpoint, code, fixable):
    assert registry.fixable(flavour, endpoint, code) is fixable
    if not fixable:
        assert registry.fix_hint(flavour)


def test_prefilter_spellings_come_from_the_rule_data():
    # the prefilter reads how code spells each library from rules/integrations.toml, so that
    # it runs (on every file of a repository) without loading the surfaces' analysis
    from gdpr_lint.config.ruledata import load_rule_file
    from gdpr_lint.pipeline import prefilter
    from gdpr_lint.surfaces.catalogue import catalogue

    spellings = load_rule_file("integrations.toml")["spellings"]
    # every library surface says how it is spelled (a configured sink is spelled by the user's settings)
    assert set(spellings) == {s.name for s in registry.SURFACES} - {"configured"}
    assert set(prefilter.PACKAGE_WORDS) == {b"openai", b"OpenAI", b"langchain", b"litellm", b"from agents", b"import agents",
                                            b"langgraph_sdk", b"RemoteGraph"}
    methods = catalogue().request_methods
    assert {"invoke", "ainvoke", "stream", "embed_documents", "run_sync", "run_streamed", "runs.create"} <= set(methods)
    assert prefilter.may_matter(b"await lg.runs.create(thread_id, 'agent', input=state)\n")
    assert prefilter.may_matter(b"result = Runner.run_sync(triage_agent, message)\n")
    assert prefilter.may_matter(b"vectors = embedder.embed_documents(notes)\n")
    assert prefilter.may_matter(b"answer = llm.ainvoke(question)\n")
    assert not prefilter.may_matter(b"answer = llm.summon(question)\n")


def test_a_request_names_its_content_parameters():
    node = _call("llm.invoke(text, config=c)")
    surface, request = registry.request(None, [LangChain("chat", "langchain_openai.ChatOpenAI", "invoke")], node, [], [])
    assert isinstance(request, Request) and request.endpoint == "ChatOpenAI.invoke"
    from gdpr_lint.analysis.values import EMPTY

    args = surface.arguments(request, node, [EMPTY], [("config", EMPTY, node.keywords[0].value)])
    assert [a[0] for a in args] == ["input", "config"]


def test_a_fixable_surface_names_a_runtime_adapter_that_exists():
    import importlib.util

    for s in registry.SURFACES:
        if s.runtime_adapter:
            assert importlib.util.find_spec(s.runtime_adapter) is not None, s.runtime_adapter
        # --fix routes content through the runtime: only a surface with an adapter can fix content
        content_fixable = any(s.fixable(e, "GDPR001") for e in ("chat.completions.create", "litellm.completion"))
        assert not content_fixable or s.runtime_adapter, s.name


def test_every_surface_that_implements_a_hook_is_asked_in_registry_order():
    # the registry skips the surfaces that keep Surface's own hook (it answers None); every
    # one that overrides a hook must still be asked, in SURFACES' order (earlier wins)
    from gdpr_lint.surfaces.base import Surface

    for hook, asked in registry._HOOKS.items():
        overriding = [s for s in registry.SURFACES if getattr(type(s), hook) is not getattr(Surface, hook)]
        assert [m.__self__ for m in asked] == overriding, hook
        assert overriding, hook
    assert registry._HOOKS["request"][-1].__self__ is registry.SURFACES[-1]  # configured sinks, last


# ------------------------------------------------------------------ the OpenAI Agents SDK

AGENT_MEMBERS = '''
    from dataclasses import dataclass


    @dataclass
    class Member:
        full_name: str
        phone: str
        balance: float


    def lookup(member_id: str) -> Member:
        ...
    '''


def test_agents_a_tool_that_returns_a_members_data_sends_it(write):
    root = write({"members.py": AGENT_MEMBERS, "support.py": '''
        from agents import Agent, Runner, function_tool

        from members import lookup


        @function_tool
        def member_details(member_id: str) -> str:
            m = lookup(member_id)
            return f"{m.full_name}, phone {m.phone}, balance {m.balance}"


        support = Agent(name="Member support", instructions="Answer account questions.", tools=[member_details])


        async def answer(question: str):
            result = await Runner.run(support, question)
            return result.final_output
        '''})
    result = analyse(root)
    assert _sites(result) == [("Runner.run", "openai-agents")]
    [finding] = result.findings
    assert finding.code == "GDPR001" and set(finding.categories) == {"name", "phone"}
    notes = [s.note for s in finding.flow]
    assert "returned by a tool of the agent" in notes and "sent as `starting_agent` to Runner.run" in notes
    assert finding.fixable  # protect(Runner.run, known=...)(...): runtime/adapters/agents_sdk.py


def test_agents_dynamic_instructions_and_the_input_are_sent(write):
    root = write({"triage.py": '''
        from agents import Agent, Runner


        def instructions_for(ctx, agent):
            patient = ctx.context.patient
            return f"The patient is {patient.name}, diagnosis {patient.diagnosis}."


        triage = Agent(name="Triage", instructions=instructions_for)


        def run_triage(patient, ctx):
            Runner.run_sync(triage, f"Book a follow-up for {patient.email}", context=ctx)
            return Runner.run_streamed(starting_agent=triage, input="Summarise the case", context=ctx)
        '''})
    result = analyse(root)
    assert _sites(result) == [("Runner.run_streamed", "openai-agents"), ("Runner.run_sync", "openai-agents")]
    by_line = {}
    for f in result.findings:
        by_line.setdefault(f.line, set()).update(f.categories)
    sync_line, streamed_line = sorted(by_line)
    assert by_line[sync_line] == {"email", "name", "health"}  # input + instructions
    assert by_line[streamed_line] == {"name", "health"}  # instructions only


def test_agents_handoffs_carry_the_other_agents_data(write):
    root = write({"desk.py": '''
        from agents import Agent, Runner


        def billing_prompt(ctx, agent):
            return f"Customer IBAN: {ctx.context.customer.iban}"


        billing = Agent(name="Billing", instructions=billing_prompt)
        front = Agent(name="Front desk", instructions="Route the question.", handoffs=[billing])


        def ask(question):
            return Runner.run_sync(front, question)
        '''})
    result = analyse(root)
    assert {c for f in result.findings for c in f.categories} == {"bank"}


def test_agents_clean_run_and_context_alone_are_not_findings(write):
    root = write({"faq.py": '''
        from dataclasses import dataclass

        from agents import Agent, Runner


        @dataclass
        class Ctx:
            customer_email: str


        faq = Agent(name="FAQ", instructions="Answer questions about opening hours.")


        def answer(question: str, customer):
            ctx = Ctx(customer_email=customer.email)  # local run context: not sent to the model
            return Runner.run_sync(faq, question, context=ctx)
        '''})
    result = analyse(root)
    assert _sites(result) == [("Runner.run_sync", "openai-agents")]
    assert result.findings == []


def test_agents_on_another_providers_model_and_look_alike_runners_are_not_listed(write):
    root = write({"bots.py": '''
        from agents import Agent, Runner
        from agents.extensions.models.litellm_model import LitellmModel
        from celery_tools import Runner as JobRunner


        claude = Agent(name="Claude", instructions="Help.", model=LitellmModel(model="anthropic/claude-3-haiku"))


        def reply(customer):
            Runner.run_sync(claude, customer.email)
            return JobRunner.run(customer.email)
        '''})
    result = analyse(root)
    assert _sites(result) == [] and result.findings == []


def test_agents_a_session_replays_what_was_added_to_it(write):
    root = write({"memory.py": '''
        from agents import Agent, Runner, SQLiteSession

        coach = Agent(name="Coach", instructions="Help with training plans.")


        async def resume(member):
            session = SQLiteSession(f"member-{member.id}")
            await session.add_items([{"role": "user", "content": f"My diagnosis: {member.diagnosis}"}])
            return await Runner.run(coach, "What should I do today?", session=session)
        '''})
    result = analyse(root)
    assert [(f.endpoint, f.code) for f in result.findings] == [("Runner.run", "GDPR002")]
    assert "sent as `session` to Runner.run" in [s.note for s in result.findings[0].flow]
