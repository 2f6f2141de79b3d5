"""LangGraph state between nodes: a node reads what the nodes of its own graphs write,
whatever else the run analysed before it. The writers of a node module's state are its
module's own nodes and the nodes of the graphs, in any checked file, that add one of its
functions; two graphs on one state type in two modules do not see each other's writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import DEPLOYED_GRAPHS, analyse, run_cli

STATE = '''
    from langgraph.graph import MessagesState


    class State(MessagesState):
        email_input: dict
        draft: str
'''

# a graph whose triage puts the e-mail into the messages its responder sends
MAIL_GRAPH = '''
    from langchain.chat_models import init_chat_model
    from langgraph.graph import StateGraph

    from app.schemas import State

    llm = init_chat_model("openai:gpt-4.1")


    def triage(state: State):
        email = state["email_input"]
        return {"messages": [{"role": "user", "content": f"Answer {email['author']}: {email['email_thread']}"}]}


    def respond(state: State):
        return {"messages": [llm.invoke(state["messages"])]}


    builder = StateGraph(State)
    builder.add_node("triage", triage)
    builder.add_node("respond", respond)
    mail_agent = builder.compile()
'''

# another graph on the same state type: its messages are a fixed instruction
REPORT_GRAPH = '''
    from langchain.chat_models import init_chat_model
    from langgraph.graph import StateGraph

    from app.schemas import State

    llm = init_chat_model("openai:gpt-4.1")


    def plan(state: State):
        return {"messages": [{"role": "user", "content": "Summarise this week's ticket volume by product."}]}


    def write_report(state: State):
        return {"draft": llm.invoke(state["messages"]).content}


    builder = StateGraph(State)
    builder.add_node("plan", plan)
    builder.add_node("write_report", write_report)
    report_agent = builder.compile()
'''


def _found(result) -> list[tuple[str, int, list[str]]]:
    return sorted((f.path, f.line, sorted(d.split(" (")[0] for d in f.data)) for f in result.findings)


def test_two_graphs_on_one_state_type_do_not_see_each_others_updates(write, one_project):
    # both in one run, the mail graph analysed first: the report graph's messages are its own
    root = write({"app/__init__.py": "", "app/schemas.py": STATE,
                  "app/a_mail_graph.py": MAIL_GRAPH, "app/b_report_graph.py": REPORT_GRAPH})
    result = analyse(root)
    assert [(path, line) for path, line, _ in _found(result)] == [("app/a_mail_graph.py", 15)]
    notes = [s.note for s in result.findings[0].flow]
    assert "from the graph state `messages`" in notes


def test_the_same_graphs_give_the_same_answer_in_either_order(write, one_project):
    # the report graph first this time (file order decides what a run analyses first)
    root = write({"app/__init__.py": "", "app/schemas.py": STATE,
                  "app/a_report_graph.py": REPORT_GRAPH, "app/b_mail_graph.py": MAIL_GRAPH})
    assert [(path, line) for path, line, _ in _found(analyse(root))] == [("app/b_mail_graph.py", 15)]


NODES = {
    "agent/__init__.py": "",
    "agent/state.py": STATE,
    "agent/nodes/__init__.py": "",
    "agent/nodes/intake.py": '''
        from agent.state import State


        def intake(state: State):
            email = state["email_input"]
            return {"messages": [{"role": "user", "content": f"From {email['author']}: {email['email_thread']}"}]}
        ''',
    "agent/nodes/reply.py": '''
        from langchain_openai import ChatOpenAI

        from agent.state import State

        llm = ChatOpenAI(model="gpt-4o")


        def reply(state: State):
            return {"draft": llm.invoke(state["messages"]).content}
        ''',
}

GRAPH_OF_BOTH = '''
    from langgraph.graph import StateGraph

    from agent.nodes.intake import intake
    from agent.nodes.reply import reply
    from agent.state import State

    builder = StateGraph(State)
    builder.add_node("intake", intake)
    builder.add_node("reply", reply)
    graph = builder.compile()
'''

GRAPH_OF_REPLY_ONLY = '''
    from langgraph.graph import StateGraph

    from agent.nodes.reply import reply
    from agent.state import State

    builder = StateGraph(State)
    builder.add_node("reply", reply)
    graph = builder.compile()
'''


def test_nodes_in_modules_of_their_own_see_the_updates_of_their_graph(write):
    # graph.py assembles nodes defined one module each: reply sends what intake wrote
    root = write({**NODES, "agent/graph.py": GRAPH_OF_BOTH})
    result = analyse(root)
    assert _found(result) == [("agent/nodes/reply.py", 9, ["email['author']", 'state["email_input"]'])]
    notes = [s.note for s in result.findings[0].flow]
    assert "from the graph state `messages`" in notes
    assert result.findings[0].flow[0].path == "agent/nodes/intake.py"


# the nodes named other ways than by a plain name: through the module that defines them
GRAPHS_BY_REFERENCE = {
    "module_attribute": '''
        from langgraph.graph import StateGraph

        from agent.nodes import intake, reply
        from agent.state import State

        builder = StateGraph(State)
        builder.add_node("intake", intake.intake)
        builder.add_node("reply", reply.reply)
        graph = builder.compile()
    ''',
    "aliased_module": '''
        import agent.nodes.intake as intake_node
        import agent.nodes.reply as reply_node
        from agent.state import State
        from langgraph.graph import StateGraph

        graph = StateGraph(State).add_node(intake_node.intake).add_node(reply_node.reply).compile()
    ''',
    "package_path": '''
        import agent.nodes.intake
        import agent.nodes.reply
        from agent.state import State
        from langgraph.graph import StateGraph

        builder = StateGraph(State)
        builder.add_node("intake", action=agent.nodes.intake.intake)
        builder.add_node("reply", action=agent.nodes.reply.reply)
        graph = builder.compile()
    ''',
}


@pytest.mark.parametrize("shape", sorted(GRAPHS_BY_REFERENCE))
def test_nodes_added_through_their_module_see_the_updates_of_their_graph(write, shape):
    root = write({**NODES, "agent/graph.py": GRAPHS_BY_REFERENCE[shape]})
    assert _found(analyse(root)) == [("agent/nodes/reply.py", 9, ["email['author']", 'state["email_input"]'])]


def test_a_graph_adding_only_the_reply_through_its_module_is_clean(write):
    graph = GRAPHS_BY_REFERENCE["module_attribute"].replace('builder.add_node("intake", intake.intake)\n', "")
    assert "intake.intake" not in graph
    assert _found(analyse(write({**NODES, "agent/graph.py": graph}))) == []


# a graph built by a class out of its own methods (`self.reply`)
CLASS_GRAPH = '''
    from langchain_openai import ChatOpenAI
    from langgraph.graph import StateGraph

    from agent.state import State


    class MailAgent:
        def __init__(self):
            self.llm = ChatOpenAI(model="gpt-4o")
            builder = StateGraph(State)
            builder.add_node("intake", self.{intake})
            builder.add_node("reply", self.reply)
            self.graph = builder.compile()

        def intake(self, state: State):
            email = state["email_input"]
            return {{"messages": [{{"role": "user", "content": f"From {{email['author']}}: {{email['email_thread']}}"}}]}}

        def canned_intake(self, state: State):
            return {{"messages": [{{"role": "user", "content": "Reply that the office is closed until Monday."}}]}}

        def reply(self, state: State):
            return {{"draft": self.llm.invoke(state["messages"]).content}}
'''


def test_methods_added_as_nodes_see_the_updates_of_their_graph(write):
    root = write({"agent/__init__.py": "", "agent/state.py": STATE,
                  "agent/mail.py": CLASS_GRAPH.format(intake="intake")})
    assert _found(analyse(root)) == [("agent/mail.py", 23, ["email['author']", 'state["email_input"]'])]


def test_a_method_graph_whose_intake_writes_a_fixed_text_is_clean(write):
    root = write({"agent/__init__.py": "", "agent/state.py": STATE,
                  "agent/mail.py": CLASS_GRAPH.format(intake="canned_intake")})
    assert _found(analyse(root)) == []


# LangGraph's multi-agent shape: one node function, bound to each agent by functools.partial
PARTIAL_NODES = '''
    import functools
    from functools import partial

    from langchain_core.messages import HumanMessage
    from langchain_openai import ChatOpenAI
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import create_react_agent

    llm = ChatOpenAI(model="gpt-4o")
    research_agent = create_react_agent(llm, tools=[])


    def agent_node(state, agent, name):
        result = agent.invoke(state)
        return {{"messages": [HumanMessage(content=result["messages"][-1].content, name=name)]}}


    {bind}
    workflow = StateGraph(MessagesState)
    workflow.add_node("Researcher", {node})
    workflow.add_edge(START, "Researcher")
    graph = workflow.compile()


    def find_trials(patient):
        return graph.invoke({{"messages": [("user", {question})]}})
'''

PARTIAL_SHAPES = {
    "bound_to_a_name": ('research_node = functools.partial(agent_node, agent=research_agent, name="Researcher")\n',
                        "research_node"),
    "inline": ("", 'functools.partial(agent_node, agent=research_agent, name="Researcher")'),
    "imported_partial": ("", 'partial(agent_node, agent=research_agent, name="Researcher")'),
}


@pytest.mark.parametrize("shape", sorted(PARTIAL_SHAPES))
def test_a_partial_of_a_node_function_runs_it_with_what_it_binds(write, shape):
    bind, node = PARTIAL_SHAPES[shape]
    app = PARTIAL_NODES.format(bind=bind, node=node, question='f"Find trials for {patient.diagnosis}"')
    result = analyse(write({"trials.py": app}))
    assert _found(result) == [("trials.py", 14, ["patient.diagnosis"])]


def test_a_partial_node_given_no_personal_data_is_clean(write):
    bind, node = PARTIAL_SHAPES["bound_to_a_name"]
    app = PARTIAL_NODES.format(bind=bind, node=node, question='"Find trials for stage II melanoma"')
    assert _found(analyse(write({"trials.py": app}))) == []


# a graph built in a function, its nodes named through the function's own variables
LOCAL_NODES = '''
    from functools import partial
    from typing import TypedDict

    from langchain_openai import ChatOpenAI
    from langgraph.graph import START, StateGraph


    class TicketState(TypedDict):
        ticket: str
        draft: str


    class Responder:
        def __init__(self, llm):
            self.llm = llm

        def run(self, state: TicketState):
            return {{"draft": self.llm.invoke("Reply to: " + state["ticket"]).content}}


    class Echo:
        def run(self, state: TicketState):
            return {{"draft": state["ticket"]}}


    def respond_with(state: TicketState, llm):
        return {{"draft": llm.invoke("Reply to: " + state["ticket"]).content}}


    def build():
        llm = ChatOpenAI(model="gpt-4o")
        responder = {agent}
        agents = {{"responder": responder}}

        def respond(state: TicketState):
            return {{"draft": llm.invoke("Reply to: " + state["ticket"]).content}}

        graph = StateGraph(TicketState)
        graph.add_node("respond", {node})
        graph.add_edge(START, "respond")
        return graph.compile()


    def answer(customer):
        return build().invoke({{"ticket": f"{{customer.full_name}} <{{customer.email}}> asks for a refund"}})
'''

LOCAL_NODE_SHAPES = {
    "object": ("responder.run", 18),
    "object_in_a_dict": ('agents["responder"].run', 18),
    "partial_binding_a_local": ("partial(respond_with, llm=llm)", 27),
    "nested_function": ("respond", 36),
}


@pytest.mark.parametrize("shape", sorted(LOCAL_NODE_SHAPES))
def test_nodes_named_through_the_building_functions_variables_run(write, shape):
    node, line = LOCAL_NODE_SHAPES[shape]
    root = write({"desk.py": LOCAL_NODES.format(agent="Responder(llm)", node=node)})
    assert _found(analyse(root)) == [("desk.py", line, ["customer.email", "customer.full_name"])]


def test_a_local_object_that_sends_nothing_is_clean(write):
    root = write({"desk.py": LOCAL_NODES.format(agent="Echo()", node="responder.run")})
    assert _found(analyse(root)) == []


# the objects the nodes belong to made by the builder's caller and passed in
PASSED_NODES = '''
    from typing import TypedDict

    from langchain_openai import ChatOpenAI
    from langgraph.graph import START, StateGraph


    class CaseState(TypedDict):
        note: str
        summary: str


    class Summariser:
        def __init__(self):
            self.llm = ChatOpenAI(model="gpt-4o")

        def run(self, state: CaseState):
            return {{"summary": self.llm.invoke("Summarise: " + state["note"]).content}}


    class Shortener:
        def run(self, state: CaseState):
            return {{"summary": state["note"][:200]}}


{builder}


    def summarise_case(patient):
        return {run}.invoke({{"note": f"{{patient.full_name}}: {{patient.diagnosis}}"}})
'''

# a function building the graph from the summariser it is given
BUILD_FROM_A_SUMMARISER = '''
    def build(summariser):
        graph = StateGraph(CaseState)
        graph.add_node("summarise", summariser.run)
        graph.add_edge(START, "summarise")
        return graph.compile()

'''

PASSED_SHAPES = {
    # a class whose method builds the graph from the agents another of its methods made
    "method_given_a_dict": ('''
    class Chief:
        def _agents(self):
            return {{"summariser": {agent}()}}

        def _workflow(self, agents):
            workflow = StateGraph(CaseState)
            workflow.add_node("summarise", agents["summariser"].run)
            workflow.add_edge(START, "summarise")
            return workflow

        def team(self):
            agents = self._agents()
            return self._workflow(agents).compile()
''', "Chief().team()"),
    # a function given the agent by keyword
    "function_given_a_keyword": (BUILD_FROM_A_SUMMARISER + '''

    def make_app():
        return build(summariser={agent}())
''', "make_app()"),
    # a function the module's top calls (`app = build(...)`)
    "function_called_at_the_top": (BUILD_FROM_A_SUMMARISER + '''

    app = build({agent}())
''', "app"),
}


@pytest.mark.parametrize("shape", sorted(PASSED_SHAPES))
def test_nodes_of_objects_the_builders_caller_passes_in_run(write, shape):
    builder, run = PASSED_SHAPES[shape]
    app = PASSED_NODES.format(builder=builder.format(agent="Summariser"), run=run)
    result = analyse(write({"cases.py": app}))
    # the health data (GDPR002) and the name (GDPR001), at the summariser's request
    assert _found(result) == [("cases.py", 17, ["patient.diagnosis"]), ("cases.py", 17, ["patient.full_name"])]


@pytest.mark.parametrize("shape", sorted(PASSED_SHAPES))
def test_nodes_of_passed_objects_that_send_nothing_are_clean(write, shape):
    builder, run = PASSED_SHAPES[shape]
    app = PASSED_NODES.format(builder=builder.format(agent="Shortener"), run=run)
    assert _found(analyse(write({"cases.py": app}))) == []


def test_a_node_module_whose_graph_does_not_add_the_writer_is_clean(write):
    # intake is defined but no graph runs it next to reply: nothing reaches reply's messages
    root = write({**NODES, "agent/graph.py": GRAPH_OF_REPLY_ONLY})
    assert _found(analyse(root)) == []


def test_an_update_made_from_another_update_is_found_whichever_node_comes_first(write):
    # the sender is defined (and so met) first; its draft comes from the summary, which
    # comes from the intake: two hops through the state
    root = write({"desk.py": '''
        from typing import TypedDict

        from langgraph.graph import StateGraph
        from openai import OpenAI

        client = OpenAI()


        class Ticket(TypedDict):
            customer: dict
            summary: str
            draft: str


        def send(state: Ticket):
            return client.responses.create(model="gpt-4o", input=state["draft"])


        def compose(state: Ticket):
            return {"draft": f"Dear customer, about: {state['summary']}"}


        def intake(state: Ticket):
            return {"summary": f"{state['customer']['name']} wrote about a refund"}


        builder = StateGraph(Ticket)
        builder.add_node("send", send)
        builder.add_node("compose", compose)
        builder.add_node("intake", intake)
        '''})
    result = analyse(root)
    assert [(path, line) for path, line, _ in _found(result)] == [("desk.py", 16)]
    notes = [s.note for s in result.findings[0].flow]
    assert notes.count("from the graph state `summary`") == 1 and "from the graph state `draft`" in notes


def _check(root: Path) -> list[dict]:
    proc = run_cli("check", ".", "--output-format", "json", cwd=root)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return json.loads(proc.stdout)


def test_a_graph_module_added_later_is_noticed_by_the_cached_node_modules(write):
    root = write(dict(NODES))
    assert _check(root) == []  # no graph: reply's messages hold only what reply writes
    (root / "agent/graph.py").write_text(GRAPH_OF_BOTH.replace("\n    ", "\n").lstrip("\n"), encoding="utf-8")
    assert [(f["code"], f["path"]) for f in _check(root)] == [("GDPR001", "agent/nodes/reply.py")]


def test_a_graph_built_in_one_expression_shares_its_state(write):
    # the agent graph is built step by step, the workflow around it in one chained expression:
    # triage (a node of the chained graph) writes the messages the agent's node sends
    root = write({"assistant.py": '''
        from langchain.chat_models import init_chat_model
        from langgraph.graph import START, MessagesState, StateGraph
        from langgraph.types import Command

        llm = init_chat_model("openai:gpt-4.1")


        class State(MessagesState):
            email_input: dict


        def llm_call(state: State):
            return {"messages": [llm.invoke(state["messages"])]}


        agent_builder = StateGraph(State)
        agent_builder.add_node("llm_call", llm_call)
        agent = agent_builder.compile()


        def triage_router(state: State):
            email = state["email_input"]
            return Command(goto="response_agent", update={"messages": [f"Reply to {email['author']}"]})


        workflow = StateGraph(State).add_node(triage_router).add_node("response_agent", agent).add_edge(START, "triage_router")
        app = workflow.compile()
        '''})
    result = analyse(root)
    assert [(path, line) for path, line, _ in _found(result)] == [("assistant.py", 13)]
    assert "from the graph state `messages`" in [s.note for s in result.findings[0].flow]


def test_a_node_that_returns_nothing_on_one_path_still_updates_the_state_on_the_other(write):
    # `return None` (nothing to change) on one branch, an update on the other, as a review
    # node does: what the update holds reaches the nodes reading the state.
    nodes = dict(NODES)
    nodes["agent/nodes/intake.py"] = '''
        from agent.state import State


        def intake(state: State):
            email = state["email_input"]
            if not email.get("email_thread"):
                return None
            return {"messages": [{"role": "user", "content": f"From {email['author']}: {email['email_thread']}"}]}
        '''
    root = write({**nodes, "agent/graph.py": GRAPH_OF_BOTH})
    assert _found(analyse(root)) == [("agent/nodes/reply.py", 9, ["email['author']", 'state["email_input"]'])]


# The common idiom rebinds the builder's name to the compiled app (`graph = graph.compile()`):
# the nodes added before are still that graph's, and running it from another module runs them.
REBOUND_GRAPHS = {
    "clinic/__init__.py": "",
    "clinic/state.py": '''
        from typing import TypedDict


        class NoteState(TypedDict):
            text: str
            summary: str
        ''',
    "clinic/graph.py": '''
        from langchain_openai import ChatOpenAI
        from langgraph.graph import StateGraph, START, END

        from clinic.state import NoteState

        llm = ChatOpenAI(model="gpt-4o")


        def summarise(state: NoteState):
            return {"summary": llm.invoke(f"Summarise for the GP: {state['text']}").content}


        graph = StateGraph(NoteState)
        graph.add_node(summarise)
        graph.add_edge(START, "summarise")
        graph.add_edge("summarise", END)
        graph = graph.compile()
        ''',
    "clinic/factory.py": '''
        from langchain_openai import ChatOpenAI
        from langgraph.checkpoint.memory import MemorySaver
        from langgraph.graph import StateGraph

        from clinic.state import NoteState

        llm = ChatOpenAI(model="gpt-4o")


        def draft_letter(state: NoteState):
            return {"summary": llm.invoke("Rewrite politely: " + state["text"]).content}


        def build():
            workflow = StateGraph(NoteState)
            workflow.add_node("draft_letter", draft_letter)
            workflow.set_entry_point("draft_letter")
            workflow = workflow.compile(checkpointer=MemorySaver())
            return workflow
        ''',
    "clinic/api.py": '''
        from clinic.factory import build
        from clinic.graph import graph


        def summarise_visit(patient):
            return graph.invoke({"text": f"{patient.name}: {patient.diagnosis}"})


        def refer(patient):
            return build().invoke({"text": patient.diagnosis})
        ''',
}


def test_a_graph_rebound_to_its_compiled_app_still_runs_the_nodes_added_to_it(write):
    root = write(REBOUND_GRAPHS)
    result = analyse(root)
    assert _found(result) == [("clinic/factory.py", 11, ["patient.diagnosis"]),
                              ("clinic/graph.py", 10, ["patient.diagnosis"]), ("clinic/graph.py", 10, ["patient.name"])]
    assert [s.note for s in result.findings[0].flow][1] == "passed to `draft_letter()` as `state`"


def test_a_name_bound_to_another_graph_adds_its_nodes_to_that_one(write):
    # the same name for two graphs in turn: the app runs only the second graph's node, which
    # sends a fixed text; the first graph's node would send the note, but it never runs
    root = write({"triage.py": '''
        from typing import TypedDict

        from langchain_openai import ChatOpenAI
        from langgraph.graph import StateGraph

        llm = ChatOpenAI(model="gpt-4o")


        class NoteState(TypedDict):
            note: str
            summary: str


        class PlanState(TypedDict):
            plan: str


        def summarise(state: NoteState):
            return {"summary": llm.invoke(state["note"]).content}


        def plan_week(state: PlanState):
            return {"plan": llm.invoke("Plan the clinic's rota for next week.").content}


        g = StateGraph(NoteState)
        g.add_node(summarise)
        g = StateGraph(PlanState)
        g.add_node(plan_week)
        app = g.compile()


        def plan_for(patient):
            return app.invoke({"note": patient.diagnosis, "plan": ""})
        '''})
    assert _found(analyse(root)) == []


# A deployed graph run by its id through the LangGraph Platform client (or a RemoteGraph):
# the id names a graph of the project, by its entry in langgraph.json or by its name.
# (helpers.DEPLOYED_GRAPHS: a graph that sends the thread it is given, one that sends a fixed text)


def _deployed(write, caller: str, extra: dict[str, str] | None = None):
    root = write({**DEPLOYED_GRAPHS, **(extra or {}), "inbox/handlers.py": caller})
    return _found(analyse(root))


def test_a_graph_run_by_its_id_runs_the_graph_of_that_name(write):
    caller = '''
        from langgraph_sdk import get_client

        client = get_client()


        async def on_mail(customer, thread_id):
            await client.runs.create(thread_id, "reply_graph", input={"thread": customer.email_body})
        '''
    assert _deployed(write, caller) == [("inbox/graphs.py", 15, ["customer.email_body"])]


@pytest.mark.parametrize("where", ["./inbox/graphs.py:reply_graph", "inbox.graphs:reply_graph"])
def test_a_graph_id_in_langgraph_json_names_its_file_and_variable(write, where):
    # the id ("mail_assistant") is not the variable's name: langgraph.json maps it, by a
    # file path relative to it or by a module name
    caller = '''
        from langgraph_sdk import get_sync_client


        def on_mail(customer, thread_id):
            client = get_sync_client(url="http://localhost:2024")
            return client.runs.wait(thread_id, assistant_id="mail_assistant", input={"thread": customer.email_body})
        '''
    config = {"langgraph.json": json.dumps({"graphs": {"mail_assistant": where, "digest": "./inbox/graphs.py:digest"}})}
    assert _deployed(write, caller, config) == [("inbox/graphs.py", 15, ["customer.email_body"])]


def test_a_remote_graph_by_id_runs_that_graph(write):
    caller = '''
        from langgraph.pregel.remote import RemoteGraph

        remote = RemoteGraph("reply_graph", url="http://localhost:2024")


        def on_mail(customer):
            return remote.invoke({"thread": customer.email_body})
        '''
    assert _deployed(write, caller) == [("inbox/graphs.py", 15, ["customer.email_body"])]


def test_an_id_naming_another_graph_or_none_runs_no_node_that_sends_the_data(write):
    # the digest's node sends a fixed text; "archive" names no graph of the project
    caller = '''
        from langgraph_sdk import get_client

        client = get_client()


        async def on_mail(customer, thread_id):
            await client.runs.create(thread_id, "digest", input={"thread": customer.email_body})
            await client.runs.stream(thread_id, "archive", input={"thread": customer.email_body})
        '''
    assert _deployed(write, caller) == []


# A compiled graph added as a node of another (a subgraph): running the parent runs the
# subgraph's nodes on the state it is given, one level down or two.
SUBGRAPHS = {
    "care/__init__.py": "",
    "care/research.py": '''
        from typing import TypedDict

        from langchain_openai import ChatOpenAI
        from langgraph.graph import StateGraph

        llm = ChatOpenAI(model="gpt-4o")


        class ResearchState(TypedDict):
            question: str
            answer: str


        def answer(state: ResearchState):
            return {"answer": llm.invoke("Answer briefly: " + state["question"]).content}


        def cite_guidelines(state: ResearchState):
            return {"answer": llm.invoke("List this year's clinical guideline updates.").content}


        research = StateGraph(ResearchState)
        research.add_node("answer", answer)
        research_graph = research.compile()

        guidelines = StateGraph(ResearchState)
        guidelines.add_node("cite", cite_guidelines)
        guidelines_graph = guidelines.compile()
        ''',
    "care/team.py": '''
        from typing import TypedDict

        from langgraph.graph import StateGraph

        from care.research import research_graph


        class TeamState(TypedDict):
            question: str
            answer: str


        team = StateGraph(TeamState)
        team.add_node("research", research_graph)
        team_graph = team.compile()
        ''',
}


# the parent: a graph whose one node is the subgraph imported as `{name}` from `{module}`
PARENT_APP = '''
    from typing import TypedDict

    from langgraph.graph import StateGraph

    from {module} import {name}


    class State(TypedDict):
        question: str
        answer: str


    parent = StateGraph(State)
    parent.add_node("sub", {name})
    app = parent.compile()


    def ask_about(patient):
        return app.invoke({{"question": f"What follows from {{patient.diagnosis}}?"}})
'''


def test_a_subgraph_added_as_a_node_runs_its_nodes_on_the_parents_input(write):
    app = PARENT_APP.format(module="care.team", name="team_graph")
    result = analyse(write({**SUBGRAPHS, "care/app.py": app}))
    assert _found(result) == [("care/research.py", 15, ["patient.diagnosis"])]
    assert "passed to `answer()` as `state`" in [s.note for s in result.findings[0].flow]


def test_a_subgraph_whose_nodes_send_a_fixed_text_is_no_leak(write):
    app = PARENT_APP.format(module="care.research", name="guidelines_graph")
    assert _found(analyse(write({**SUBGRAPHS, "care/app.py": app}))) == []


# `Send(node, payload)`: a routing function (or a node's Command) runs one node on a state
# of its own, once per item (LangGraph's map step).
FAN_OUT = '''
    from typing import TypedDict

    from langchain_openai import ChatOpenAI
    from langgraph.graph import START, StateGraph
    from langgraph.types import Send

    from crm import load_rows

    llm = ChatOpenAI(model="gpt-4o")


    class OverallState(TypedDict):
        segment: str
        rows: list
        drafts: list


    class ItemState(TypedDict):
        item: dict


    def load(state: OverallState):
        return {"rows": load_rows(state["segment"])}


    def fan_out(state: OverallState):
        return [Send("draft", {"item": row}) for row in state["rows"]]


    def write_draft(state: ItemState):
        return {"drafts": [llm.invoke(f"Draft a renewal note for: {state['item']}").content]}


    builder = StateGraph(OverallState)
    builder.add_node("load", load)
    builder.add_node("draft", write_draft)
    builder.add_edge(START, "load")
    builder.add_conditional_edges("load", fan_out, ["draft"])
    graph = builder.compile()
'''


def test_a_send_from_a_routing_function_runs_its_node_on_the_payload(write):
    crm = '''
        import sqlite3


        def load_rows(segment):
            db = sqlite3.connect("crm.db")
            return db.execute("SELECT name, email FROM customers WHERE segment = ?", (segment,)).fetchall()
        '''
    result = analyse(write({"crm.py": crm, "renewals.py": FAN_OUT}))
    assert _found(result) == [("renewals.py", 31, ["customers.email", "customers.name"])]
    assert "passed to `write_draft()` as `state`" in [s.note for s in result.findings[0].flow]


def test_a_send_of_items_that_are_no_personal_data_is_no_leak(write):
    crm = '''
        import sqlite3


        def load_rows(segment):
            db = sqlite3.connect("crm.db")
            return db.execute("SELECT sku, price FROM products WHERE segment = ?", (segment,)).fetchall()
        '''
    assert _found(analyse(write({"crm.py": crm, "renewals.py": FAN_OUT}))) == []


# the routing function in a module of its own, the graph built in another; the state
# types of FAN_OUT in a module of theirs
ROUTED_STATES = "\n    from typing import TypedDict\n\n\n" \
    + FAN_OUT[FAN_OUT.index("    class OverallState"):FAN_OUT.index("    def load(")].rstrip() + "\n"

ROUTES = '''
    from langgraph.types import Send

    from states import OverallState


    def fan_out(state: OverallState):
        return [Send("draft", {"item": row}) for row in state["rows"]]
'''

ROUTED_GRAPH = '''
    from langchain_openai import ChatOpenAI
    from langgraph.graph import START, StateGraph

    {import_routes}
    from crm import load_rows
    from states import ItemState, OverallState

    llm = ChatOpenAI(model="gpt-4o")


    def load(state: OverallState):
        return {{"rows": load_rows(state["segment"])}}


    def write_draft(state: ItemState):
        return {{"drafts": [llm.invoke(f"Draft a renewal note for: {{state['item']}}").content]}}


    builder = StateGraph(OverallState)
    builder.add_node("load", load)
    builder.add_node("draft", write_draft)
    builder.add_edge(START, "load")
    builder.add_conditional_edges("load", {routes}, ["draft"])
    graph = builder.compile()
'''

CRM_ROWS = '''
    import sqlite3


    def load_rows(segment):
        db = sqlite3.connect("crm.db")
        return db.execute("SELECT {columns} FROM {table} WHERE segment = ?", (segment,)).fetchall()
'''


@pytest.mark.parametrize("import_routes, routes", [
    ("from routes import fan_out", "fan_out"),
    ("import routes", "routes.fan_out"),
    ("import routes as routing", "routing.fan_out"),
])
def test_a_send_from_a_routing_function_of_another_module_runs_its_node(write, import_routes, routes):
    result = analyse(write({"crm.py": CRM_ROWS.format(columns="name, email", table="customers"),
                            "states.py": ROUTED_STATES, "routes.py": ROUTES,
                            "renewals.py": ROUTED_GRAPH.format(import_routes=import_routes, routes=routes)}))
    assert _found(result) == [("renewals.py", 16, ["customers.email", "customers.name"])]
    assert "passed to `write_draft()` as `state`" in [s.note for s in result.findings[0].flow]


def test_a_routing_function_of_another_module_sending_no_personal_data_is_no_leak(write):
    result = analyse(write({"crm.py": CRM_ROWS.format(columns="sku, price", table="products"),
                            "states.py": ROUTED_STATES, "routes.py": ROUTES,
                            "renewals.py": ROUTED_GRAPH.format(import_routes="import routes", routes="routes.fan_out")}))
    assert _found(result) == []


def test_a_send_in_a_nodes_command_runs_its_node_when_the_graph_is_run(write):
    # a node returns Command(goto=[Send(...)]); the graph is run from another module
    graph = '''
        from typing import TypedDict

        from langchain_openai import ChatOpenAI
        from langgraph.graph import StateGraph
        from langgraph.types import Command, Send

        llm = ChatOpenAI(model="gpt-4o")


        class TicketState(TypedDict):
            tickets: list


        class OneTicket(TypedDict):
            text: str


        def route(state: TicketState):
            return Command(goto=[Send("answer", {"text": t}) for t in state["tickets"]])


        def answer(state: OneTicket):
            return {"tickets": [llm.invoke("Reply kindly: " + state["text"]).content]}


        builder = StateGraph(TicketState)
        builder.add_node("route", route)
        builder.add_node("answer", answer)
        support = builder.compile()
        '''
    app = '''
        from helpdesk.graph import support


        def handle(customer):
            return support.invoke({"tickets": [f"{customer.full_name} <{customer.email}>: {customer.complaint}"]})
        '''
    result = analyse(write({"helpdesk/__init__.py": "", "helpdesk/graph.py": graph, "helpdesk/app.py": app}))
    assert [(path, line) for path, line, _ in _found(result)] == [("helpdesk/graph.py", 23)]
    assert {"customer.email", "customer.full_name"} <= set(_found(result)[0][2])


def test_a_clients_runs_kept_in_a_variable_still_run_the_graph_the_id_names(write):
    caller = '''
        from langgraph_sdk import get_sync_client as platform


        def on_mail(customer, thread_id):
            runs = platform(url="http://localhost:2024").runs
            return runs.wait(thread_id, "reply_graph", input={"thread": customer.email_body})
        '''
    assert _deployed(write, caller) == [("inbox/graphs.py", 15, ["customer.email_body"])]


# a node made by a factory of the project: a closure over the model, a partial, a method
# making one; at the module's top, in a building function, or imported from another module
FACTORIES = '''
    from functools import partial
    from typing import TypedDict

    from langchain_openai import ChatOpenAI


    class TicketState(TypedDict):
        ticket: str
        draft: str


    def make_responder(llm, prefix):
        def respond(state: TicketState):
            return {"draft": llm.invoke(prefix + state["ticket"]).content}

        return respond


    def make_greeter(llm):
        def greet(state: TicketState):
            return {"draft": llm.invoke("Write a friendly greeting.").content}

        return greet


    def respond_with(state: TicketState, llm):
        return {"draft": llm.invoke("Reply to: " + state["ticket"]).content}


    def make_partial(llm):
        return partial(respond_with, llm=llm)


    class Nodes:
        def __init__(self, llm):
            self.llm = llm

        def responder(self):
            def respond(state: TicketState):
                return {"draft": self.llm.invoke("Reply to: " + state["ticket"]).content}

            return respond
'''

FACTORY_GRAPH = '''
    from langchain_openai import ChatOpenAI
    from langgraph.graph import START, StateGraph

    from desk.factories import Nodes, TicketState, make_greeter, make_partial, make_responder

{build}


    def answer(customer):
        return {app}.invoke({{"ticket": f"{{customer.full_name}} <{{customer.email}}> asks for a refund"}})
'''

FACTORY_SHAPES = {
    "closure_at_the_top": ('''
    llm = ChatOpenAI(model="gpt-4o")
    graph = StateGraph(TicketState)
    graph.add_node("respond", {node})
    graph.add_edge(START, "respond")
    app = graph.compile()
''', "app"),
    "closure_in_a_building_function": ('''
    def build():
        llm = ChatOpenAI(model="gpt-4o")
        graph = StateGraph(TicketState)
        graph.add_node("respond", {node})
        graph.add_edge(START, "respond")
        return graph.compile()
''', "build()"),
}

FACTORY_NODES = {
    "closure": ('make_responder(llm, "Reply to: ")', 14),
    "partial": ("make_partial(llm)", 27),
    "method": ("Nodes(llm).responder()", 40),
}


@pytest.mark.parametrize("node", sorted(FACTORY_NODES))
@pytest.mark.parametrize("shape", sorted(FACTORY_SHAPES))
def test_a_node_a_factory_makes_runs_on_the_graphs_input(write, shape, node):
    build, app = FACTORY_SHAPES[shape]
    made, line = FACTORY_NODES[node]
    root = write({"desk/__init__.py": "", "desk/factories.py": FACTORIES,
                  "desk/support.py": FACTORY_GRAPH.format(build=build.format(node=made), app=app)})
    assert _found(analyse(root)) == [("desk/factories.py", line, ["customer.email", "customer.full_name"])]


@pytest.mark.parametrize("shape", sorted(FACTORY_SHAPES))
def test_a_node_a_factory_makes_that_sends_a_fixed_text_is_clean(write, shape):
    build, app = FACTORY_SHAPES[shape]
    root = write({"desk/__init__.py": "", "desk/factories.py": FACTORIES,
                  "desk/support.py": FACTORY_GRAPH.format(build=build.format(node="make_greeter(llm)"), app=app)})
    assert _found(analyse(root)) == []


# a LangChain runnable added as a node (LangGraph invokes it with the state): a prebuilt
# agent (the multi-agent tutorials' `add_node("researcher", research_agent)`), a chain
RUNNABLE_NODES = '''
    from langchain_anthropic import ChatAnthropic
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_openai import ChatOpenAI
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import create_react_agent

    llm = {model}
    research_agent = create_react_agent(llm, tools=[])
    prompt = ChatPromptTemplate.from_messages([("placeholder", "{{messages}}")])
    chain = prompt | llm

{build}


    def find_trials(patient):
        return {app}.invoke({{"messages": [("user", {question})]}})
'''

RUNNABLE_SHAPES = {
    "agent_at_the_top": ('''
    workflow = StateGraph(MessagesState)
    workflow.add_node("researcher", research_agent)
    workflow.add_edge(START, "researcher")
    graph = workflow.compile()
''', "graph"),
    "chain_at_the_top": ('''
    workflow = StateGraph(MessagesState)
    workflow.add_node("researcher", chain)
    workflow.add_edge(START, "researcher")
    graph = workflow.compile()
''', "graph"),
    "agent_made_in_the_building_function": ('''
    def build():
        agent = create_react_agent(llm, tools=[])
        workflow = StateGraph(MessagesState)
        workflow.add_node("researcher", agent)
        workflow.add_edge(START, "researcher")
        return workflow.compile()
''', "build()"),
}

QUESTION = 'f"Find trials for {patient.diagnosis}"'


@pytest.mark.parametrize("shape", sorted(RUNNABLE_SHAPES))
def test_a_runnable_added_as_a_node_is_invoked_with_the_graphs_input(write, shape):
    build, app = RUNNABLE_SHAPES[shape]
    source = RUNNABLE_NODES.format(model='ChatOpenAI(model="gpt-4o")', build=build, app=app, question=QUESTION)
    result = analyse(write({"trials.py": source}))
    last = len(source.strip("\n").splitlines())
    # reported where the graph runs (no call of the project's sends it there): not fixable
    # by wrapping that call, the hint says what to protect
    assert _found(result) == [("trials.py", last, ["patient.diagnosis"])]
    assert [f.fixable for f in result.findings] == [False] and result.findings[0].fix_hint


@pytest.mark.parametrize("shape", sorted(RUNNABLE_SHAPES))
def test_a_runnable_node_on_another_provider_or_given_no_personal_data_is_clean(write, shape):
    build, app = RUNNABLE_SHAPES[shape]
    other = RUNNABLE_NODES.format(model='ChatAnthropic(model="claude-sonnet-4-5")', build=build, app=app,
                                  question=QUESTION)
    assert _found(analyse(write({"trials.py": other}))) == []
    fixed_text = RUNNABLE_NODES.format(model='ChatOpenAI(model="gpt-4o")', build=build, app=app,
                                       question='"Find trials for stage II melanoma"')
    assert _found(analyse(write({"trials.py": fixed_text}))) == []
