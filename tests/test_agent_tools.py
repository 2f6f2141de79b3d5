"""What agent tools return reaches the model: LangChain / LangGraph agents built with the
project's `@tool` functions, OpenAI function-calling loops that dispatch through a table
of tool functions, and OpenAI Agents SDK tools that read the run context. Each has a twin
whose tools return nothing personal, or whose tools the call does not run.
"""

from __future__ import annotations

from helpers import assert_marked, check_json

PATIENTS = """
    from dataclasses import dataclass


    @dataclass
    class Patient:
        full_name: str
        diagnosis: str


    def load_patient(pid: str) -> Patient:
        ...
"""


def test_langchain_agents_send_what_their_tools_return(write):
    assert_marked(write({
        "clinic/__init__.py": "",
        "clinic/records.py": PATIENTS,
        "clinic/tools.py": """
            from langchain_core.tools import tool

            from clinic.records import load_patient


            @tool
            def patient_record(pid: str) -> str:
                \"\"\"Look up a patient.\"\"\"
                patient = load_patient(pid)
                return f"{patient.full_name}: {patient.diagnosis}"


            @tool
            def opening_hours(day: str) -> str:
                \"\"\"The clinic's opening hours.\"\"\"
                return "08-16" if day != "sunday" else "closed"
        """,
        "clinic/agents.py": """
            from langchain.agents import AgentExecutor, create_tool_calling_agent
            from langchain_core.prompts import ChatPromptTemplate
            from langchain_openai import ChatOpenAI
            from langgraph.prebuilt import create_react_agent

            from clinic.tools import opening_hours, patient_record

            llm = ChatOpenAI(model="gpt-4o")
            prompt = ChatPromptTemplate.from_messages([("system", "You help clinic staff."), ("human", "{input}")])
            tools = [patient_record, opening_hours]

            graph_agent = create_react_agent(llm, [patient_record])
            executor = AgentExecutor(agent=create_tool_calling_agent(llm, tools, prompt), tools=tools)
            front_desk = create_react_agent(llm, tools=[opening_hours])
            with_tools = llm.bind_tools([patient_record])


            def ask_graph(question):
                return graph_agent.invoke({"messages": [("user", question)]})  # expect: GDPR001, GDPR002


            def ask_executor(question):
                return executor.invoke({"input": question})  # expect: GDPR001, GDPR002


            def ask_front_desk(question):
                return front_desk.invoke({"messages": [("user", question)]})  # expect: none


            def plan(question):
                # the model only proposes tool calls here; nothing ran them
                return with_tools.invoke(question)  # expect: none
        """,
    }))


def test_function_calling_loop_through_a_dispatch_table(write):
    assert_marked(write({"shop/assistant.py": """
        import json

        from openai import OpenAI

        client = OpenAI()


        def find_customer(customer_id):
            ...


        def get_customer(customer_id):
            customer = find_customer(customer_id)
            return {"name": customer.name, "email": customer.email}


        def get_stock(sku):
            return {"sku": sku, "in_stock": 3}


        TOOLS = {"get_customer": get_customer}
        STOCK_TOOLS = {"get_stock": get_stock}


        def run(messages):
            while True:
                r = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[])  # expect: GDPR001
                msg = r.choices[0].message
                if not msg.tool_calls:
                    return msg.content
                messages.append(msg)
                for call in msg.tool_calls:
                    fn = TOOLS[call.function.name]
                    result = fn(**json.loads(call.function.arguments))
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})


        def run_stock(messages):
            while True:
                r = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[])  # expect: none
                msg = r.choices[0].message
                if not msg.tool_calls:
                    return msg.content
                for call in msg.tool_calls:
                    fn = STOCK_TOOLS.get(call.function.name)
                    result = fn(**json.loads(call.function.arguments))
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    """}))


def test_agents_sdk_tools_read_the_run_context(write):
    assert_marked(write({"support/agent.py": """
        from dataclasses import dataclass

        from agents import Agent, RunContextWrapper, Runner, function_tool


        @dataclass
        class Customer:
            full_name: str
            email: str


        @dataclass
        class SupportContext:
            customer: Customer
            order_status: str


        @function_tool
        def whoami(ctx: RunContextWrapper[SupportContext]) -> str:
            return f"{ctx.context.customer.full_name} <{ctx.context.customer.email}>"


        @function_tool
        def order_status(ctx: RunContextWrapper[SupportContext]) -> str:
            return ctx.context.order_status


        support = Agent(name="Support", instructions="Help the customer.", tools=[whoami])
        tracking = Agent(name="Tracking", instructions="Report the order status.", tools=[order_status])


        async def answer(question, context: SupportContext):
            return await Runner.run(support, question, context=context)  # expect: GDPR001


        async def track(question, context: SupportContext):
            return await Runner.run(tracking, question, context=context)  # expect: none
    """}))


def test_langchain_agent_flow_names_the_tool(write):
    root = write({"hr/agent.py": """
        from langchain_core.tools import tool
        from langchain_openai import ChatOpenAI
        from langgraph.prebuilt import create_react_agent


        def load_candidate(cid):
            ...


        @tool
        def candidate_cv(cid: str) -> str:
            \"\"\"A candidate's CV.\"\"\"
            candidate = load_candidate(cid)
            return candidate.email


        agent = create_react_agent(ChatOpenAI(model="gpt-4o"), [candidate_cv])


        def screen(question):
            return agent.invoke({"messages": [("user", question)]})
    """})
    [finding] = check_json(root)
    notes = [s["note"] for s in finding["flow"]]
    assert notes[0] == "`candidate.email` (email)"
    assert "returned by a tool of the agent" in notes and notes[-1] == "sent as `input` to ChatOpenAI.invoke"


def test_langchain_tool_loop_run_by_hand(write):
    # the docs' loop: the model proposes calls, the code runs the tool and sends its output back
    assert_marked(write({"clinic/loop.py": """
        from langchain_core.messages import HumanMessage, ToolMessage
        from langchain_core.tools import tool
        from langchain_openai import ChatOpenAI


        def load_patient(pid):
            ...


        @tool
        def patient_record(pid: str) -> str:
            \"\"\"Look up a patient.\"\"\"
            patient = load_patient(pid)
            return f"{patient.full_name}: {patient.diagnosis}"


        @tool
        def ward_of(pid: str) -> str:
            \"\"\"The ward a bed is on.\"\"\"
            return "B" if pid.startswith("2") else "A"


        llm_with_tools = ChatOpenAI(model="gpt-4o").bind_tools([patient_record, ward_of])


        def ask(question):
            messages = [HumanMessage(question)]
            ai_msg = llm_with_tools.invoke(messages)
            messages.append(ai_msg)
            for tool_call in ai_msg.tool_calls:
                selected = {"patient_record": patient_record}[tool_call["name"].lower()]
                messages.append(selected.invoke(tool_call))
            return llm_with_tools.invoke(messages)  # expect: GDPR001, GDPR002


        async def ask_ward(question):
            messages = [HumanMessage(question)]
            ai_msg = await llm_with_tools.ainvoke(messages)
            for tool_call in ai_msg.tool_calls:
                output = await ward_of.ainvoke(tool_call["args"])
                messages.append(ToolMessage(output, tool_call_id=tool_call["id"]))
            return await llm_with_tools.ainvoke(messages)  # expect: none
    """}))


def test_agents_sdk_tools_held_in_a_list_variable(write):
    assert_marked(write({"support/agent.py": """
        from agents import Agent, Runner, function_tool


        def find_member(member_id):
            ...


        @function_tool
        def member_contact(member_id: str) -> str:
            member = find_member(member_id)
            return f"{member.full_name}, {member.phone}"


        @function_tool
        def opening_hours() -> str:
            return "09-17"


        TOOLS = [member_contact, opening_hours]
        FAQ_TOOLS = [opening_hours]
        support = Agent(name="Support", instructions="Help members.", tools=TOOLS)
        faq = Agent(name="FAQ", instructions="Answer questions.", tools=FAQ_TOOLS)


        def answer(question):
            return Runner.run_sync(support, question)  # expect: GDPR001


        def answer_faq(question):
            return Runner.run_sync(faq, question)  # expect: none
    """}))
