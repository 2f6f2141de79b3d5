"""A LangGraph graph run on an input (`app.invoke({...})`, `ainvoke`, `stream`, `batch`): the
input is the state its nodes start from, so what a node sends of its state is what the
caller put there. And the class under it: a function that reads one item of a dict
parameter (`state["topic"]`) receives that item of the caller's dict, not the whole dict."""

from __future__ import annotations

import pytest

from helpers import analyse

GRAPH = '''
    from typing import TypedDict

    from langchain_openai import ChatOpenAI
    from langgraph.graph import END, START, StateGraph

    llm = ChatOpenAI(model="gpt-4o-mini")


    class State(TypedDict):
        topic: str
        note: str
        summary: str


    def summarise(state: State):
        return {"summary": f"Notes: {state['note']}"}


    def reply(state: State):
        answer = llm.invoke(f"Write a reply about {state['topic']} using {state['summary']}")
        return {"reply": answer.content}


    builder = StateGraph(State)
    builder.add_node("summarise", summarise)
    builder.add_node("reply", reply)
    builder.add_edge(START, "summarise")
    builder.add_edge("summarise", "reply")
    builder.add_edge("reply", END)
    app = builder.compile()
'''


def _found(result) -> list[tuple[str, int, str, list[str]]]:
    return sorted((f.path, f.line, f.code, sorted(d.split(" (")[0] for d in f.data)) for f in result.findings)


def test_the_input_of_a_graph_reaches_the_node_that_sends_it(write):
    root = write({"clinic.py": '''
        from typing import TypedDict

        from langchain_openai import ChatOpenAI
        from langgraph.graph import END, StateGraph

        llm = ChatOpenAI(model="gpt-4o")


        class State(TypedDict):
            note: str
            summary: str


        def summarise(state: State):
            reply = llm.invoke(f"Summarise this: {state['note']}")
            return {"summary": reply.content}


        builder = StateGraph(State)
        builder.add_node("summarise", summarise)
        builder.set_entry_point("summarise")
        builder.add_edge("summarise", END)
        graph = builder.compile()


        def handle(patient):
            return graph.invoke({"note": patient.diagnosis})
        '''})
    result = analyse(root)
    assert _found(result) == [("clinic.py", 15, "GDPR002", ["patient.diagnosis"])]
    [finding] = result.findings
    notes = [s.note for s in finding.flow]
    assert any("passed to `summarise()` as `state`" in n for n in notes), notes
    assert finding.flow[0].line == 27


def test_another_module_runs_the_graph_and_items_travel_through_a_node_update(write):
    # api.py hands a ticket's text and a customer's e-mail to a compiled graph of graph.py:
    # `summarise` turns the note into `summary`, `reply` sends the topic and the summary -
    # so the ticket's text leaves, the e-mail (never sent by any node) does not
    root = write({
        "svc/__init__.py": "",
        "svc/graph.py": GRAPH,
        "svc/api.py": '''
            from .graph import app


            async def handle(customer, ticket):
                return await app.ainvoke({"topic": "pricing", "email": customer.email, "note": ticket.description})
            ''',
    })
    result = analyse(root)
    assert _found(result) == [("svc/graph.py", 20, "GDPR001", ["ticket.description"])]
    notes = [s.note for s in result.findings[0].flow]
    assert any("returned from `summarise()`" in n for n in notes), notes


def test_stream_and_batch_of_a_graph_built_in_a_function(write):
    root = write({
        "agent/__init__.py": "",
        "agent/graph.py": '''
            from langchain_openai import ChatOpenAI
            from langgraph.graph import MessagesState, StateGraph

            model = ChatOpenAI(model="gpt-4.1")


            class State(MessagesState):
                question: str


            def answer(state: State):
                return {"messages": [model.invoke(state["question"])]}


            def build():
                graph = StateGraph(State)
                graph.add_node(answer)
                graph.set_entry_point("answer")
                return graph.compile()
            ''',
        "agent/cli.py": '''
            from agent.graph import build


            def ask_about(member):
                for chunk in build().stream({"question": f"What plan suits {member.full_name}?"}):
                    print(chunk)


            def ask_many(members):
                return build().batch([{"question": f"Renewal for {m.email}"} for m in members])
            ''',
    })
    result = analyse(root)
    [finding] = result.findings
    assert (finding.path, finding.line, finding.code) == ("agent/graph.py", 12, "GDPR001")
    assert sorted(d.split(" (")[0] for d in finding.data) == ["m.email", "member.full_name"]


def test_a_graph_run_on_data_that_is_not_personal_is_clean(write):
    # the same graph, run on a product question; and on a customer's e-mail under a key no node sends
    root = write({
        "svc/__init__.py": "",
        "svc/graph.py": GRAPH,
        "svc/api.py": '''
            from .graph import app


            def faq(product):
                return app.invoke({"topic": product.name, "note": product.description})


            def pricing(customer):
                return app.invoke({"topic": "pricing", "note": "annual plans", "email": customer.email})
            ''',
    })
    assert analyse(root).findings == []


def test_a_helper_reading_one_item_of_a_dict_gets_that_item(write):
    root = write({"helpers.py": '''
        from openai import OpenAI

        client = OpenAI()


        def ask(d):
            return client.responses.create(model="gpt-4o", input=f"About {d['topic']}")


        def pricing(customer):
            return ask({"topic": "pricing", "email": customer.email})


        def complaint(customer):
            return ask({"topic": customer.complaint_text, "email": "support@example.com"})


        def ask_plan(d):
            return client.responses.create(model="gpt-4o", input=f"Plan: {d.get('plan', 'basic')}")


        def upgrade(customer):
            return ask_plan({"plan": "premium", "name": customer.full_name})


        def unknown_shape(db, customer):
            return ask(db.fetch_profile(customer.email))  # a dict we cannot see into: all of it may be read
        '''})
    result = analyse(root)
    [finding] = result.findings
    assert finding.line == 7
    assert sorted(d.split(" (")[0] for d in finding.data) == ["customer.complaint_text", "customer.email"]


# LangGraph's functional API: `@entrypoint()` makes a function a graph whose `invoke`,
# `stream`, `batch` (and async twins) call it on their input; `@task` functions it calls
# are plain calls that return a future (`.result()`).
FUNCTIONAL = '''
    from langchain_openai import ChatOpenAI
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.func import entrypoint, task

    llm = ChatOpenAI(model="gpt-4o")


    @task
    def summarise(note: str) -> str:
        return llm.invoke(f"Summarise this case note: {note}").content


    @entrypoint(checkpointer=InMemorySaver())
    def case_workflow(note: str) -> dict:
        return {"summary": summarise(note).result()}
'''


@pytest.mark.parametrize("run", [
    'case_workflow.invoke(f"{patient.full_name}: {patient.diagnosis}")',
    'case_workflow.invoke(input=patient.diagnosis, config={"configurable": {"thread_id": "1"}})',
    'list(case_workflow.stream(patient.diagnosis, {"configurable": {"thread_id": "1"}}))',
    'case_workflow.batch([p.diagnosis for p in [patient]])',
])
def test_a_functional_graph_run_on_an_input_calls_its_entrypoint(write, run):
    result = analyse(write({"clinic/__init__.py": "", "clinic/flows.py": FUNCTIONAL, "clinic/handlers.py": f'''
        from clinic.flows import case_workflow


        def on_admission(patient):
            return {run}
        '''}))
    assert [(f.path, f.line, f.code) for f in result.findings if f.code == "GDPR002"] == [("clinic/flows.py", 10, "GDPR002")]
    notes = [s.note for s in result.findings[0].flow]
    assert "passed to `case_workflow()` as `note`" in notes, notes


def test_an_async_functional_graph_streamed_in_its_module(write):
    result = analyse(write({"clinic.py": '''
        from langchain_openai import ChatOpenAI
        from langgraph.func import entrypoint, task

        llm = ChatOpenAI(model="gpt-4o")


        @task
        async def summarise(note: str) -> str:
            reply = await llm.ainvoke(f"Summarise this case note: {note}")
            return reply.content


        @entrypoint()
        async def case_workflow(note: str) -> dict:
            return {"summary": await summarise(note)}


        async def on_admission(patient):
            async for chunk in case_workflow.astream(patient.diagnosis):
                print(chunk)
        '''}))
    assert result.errors == []
    assert _found(result) == [("clinic.py", 9, "GDPR002", ["patient.diagnosis"])]


def test_a_functional_graph_run_on_text_that_is_not_personal_is_clean(write):
    result = analyse(write({"clinic.py": FUNCTIONAL + '''

    def weekly_digest(ward):
        return case_workflow.invoke(f"Bed occupancy for ward {ward.code} this week")
    '''}))
    assert _found(result) == []


def test_invoke_on_a_function_wrapped_by_another_entrypoint_decorator_runs_nothing(write):
    # the project's own `entrypoint` (a CLI registry), not LangGraph's: `.invoke` is not a run
    result = analyse(write({"clinic.py": FUNCTIONAL.replace(
        "from langgraph.func import entrypoint, task", "from langgraph.func import task\n    from clinic_cli import entrypoint"
    ) + '''

    def on_admission(patient):
        return case_workflow.invoke(patient.diagnosis)
    ''', "clinic_cli.py": '''
        def entrypoint(**options):
            def register(fn):
                fn.invoke = lambda *a: print("registered", a)
                return fn
            return register
        '''}))
    assert _found(result) == []


def test_a_state_graph_given_its_input_by_keyword(write):
    # `input=` instead of the first positional argument: the same state
    result = analyse(write({"svc/__init__.py": "", "svc/graph.py": GRAPH, "svc/api.py": '''
        from .graph import app


        def handle(ticket):
            return app.invoke(input={"topic": "billing", "note": ticket.description}, config={"recursion_limit": 5})
        '''}))
    assert _found(result) == [("svc/graph.py", 20, "GDPR001", ["ticket.description"])]
