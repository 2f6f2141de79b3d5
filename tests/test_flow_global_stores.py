"""Module globals that one function fills and another reads (shared state between agent
tools, request handlers and their helpers): what was stored reaches the reader's
request. Each shape has a negative twin."""

from __future__ import annotations

import pytest
from helpers import assert_marked

STORES = {
    # an item set on a module-level dict by a login tool, read by another tool
    "dict_item": ('''
        SESSION = {"member": None}


        def login(member):
            SESSION["member"] = member.email
        ''', 'SESSION["member"]'),
    # appended to a module-level list, read as a whole
    "list_append": ('''
        HISTORY = []


        def remember(member):
            HISTORY.append(f"{member.full_name} <{member.email}>")
        ''', '"\\n".join(HISTORY)'),
    # a method chain broken over lines inside parentheses
    "chained_append": ('''
        NOTES = []


        def remember(member):
            (NOTES
                .append(member.email))
        ''', '"; ".join(NOTES)'),
    # `global` rebinding
    "global_statement": ('''
        last_phone = None


        def on_call(caller):
            global last_phone
            last_phone = caller.phone
        ''', "last_phone"),
    # `global` in the function that binds it: the module never assigns it at its top
    "global_statement_only": ('''
        def on_call(caller):
            global last_caller
            last_caller = caller.full_name
        ''', "last_caller"),
    # bound in a top-level `try` with a fallback (an optional cache library)
    "bound_in_try": ('''
        try:
            from cachetools import LRUCache
            RECENT = LRUCache(maxsize=100)
        except ImportError:
            RECENT = {}


        def remember(member):
            RECENT[member.id] = member.email
        ''', "list(RECENT.values())"),
    # bound on both branches of a top-level `if`
    "bound_in_if": ('''
        import os

        if os.environ.get("DESK_DEBUG"):
            AUDIT = []
        else:
            AUDIT = []


        def log_visit(visitor):
            AUDIT.append(visitor.phone)
        ''', '"; ".join(AUDIT)'),
    # an attribute of a module-level namespace object
    "namespace_attribute": ('''
        import types

        STATE = types.SimpleNamespace(patient=None)


        def admit(patient):
            STATE.patient = patient.cpr
        ''', "STATE.patient"),
    # a loop over records finds the one that matches and keeps it (the ATM-agent shape)
    "loop_match": ('''
        import json

        with open("members.json") as fh:
            MEMBERS = json.load(fh)
        CURRENT = {"member": None}


        def authenticate(email: str):
            for member in MEMBERS:
                if member["email"] == email:
                    CURRENT["member"] = member
        ''', 'CURRENT["member"]'),
}


@pytest.mark.parametrize("shape", sorted(STORES))
def test_what_one_function_stores_in_a_global_reaches_another_functions_request(shape, write):
    store, read = STORES[shape]
    assert_marked(write({"desk/tools.py": store + f'''

        from openai import OpenAI

        client = OpenAI()


        def answer(question: str):
            context = {read}
            return client.chat.completions.create(  # expect: GDPR001
                model="gpt-4o-mini",
                messages=[{{"role": "system", "content": f"Context: {{context}}"}}, {{"role": "user", "content": question}}],
            )
        '''}))


NOT_STORES = {
    # the function only reads the global, or builds a local copy of the same name
    "local_shadow": '''
        SESSION = {"member": None}


        def login(member):
            SESSION = {}
            SESSION["member"] = member.email
            return SESSION
        ''',
    # a parameter named like the global
    "parameter": '''
        SESSION = {"member": None}


        def login(SESSION, member):
            SESSION["member"] = member.email
        ''',
    # bound in a top-level `try`, but the function only fills its own local of that name
    "local_shadow_of_try_bound": '''
        try:
            import ujson as json
            SESSION = {"member": None}
        except ImportError:
            SESSION = {"member": None}


        def login(member):
            SESSION = {}
            SESSION["member"] = member.email
            return SESSION
        ''',
    # what is stored is not personal
    "plain_data": '''
        SESSION = {"member": None}


        def login(member):
            SESSION["member"] = member.tier
        ''',
}


@pytest.mark.parametrize("shape", sorted(NOT_STORES))
def test_globals_not_filled_with_personal_data_are_not_reported(shape, write):
    assert_marked(write({"desk/tools.py": NOT_STORES[shape] + '''

        from openai import OpenAI

        client = OpenAI()


        def answer(question: str):
            return client.chat.completions.create(  # expect: none
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": f"Context: {SESSION['member']}"}, {"role": "user", "content": question}],
            )
        '''}))


def test_a_store_in_another_module_is_seen_through_the_import(write):
    assert_marked(write({
        "desk/__init__.py": "",
        "desk/state.py": '''
            CURRENT = {"member": None}


            def login(member):
                CURRENT["member"] = member.email
            ''',
        "desk/agent.py": '''
            from openai import OpenAI

            from desk import state

            client = OpenAI()


            def answer(question: str):
                who = state.CURRENT["member"]
                return client.responses.create(model="gpt-4o-mini", input=f"{who} asks: {question}")  # expect: GDPR001
            ''',
    }))


def test_agent_tools_sharing_the_logged_in_account(write):
    # the ATM-agent shape: a tool logs the holder in by keeping the matching account in a
    # module global; other tools read it and return the balance and a greeting to the model
    assert_marked(write({"atm/main.py": '''
        import json

        from agents import Agent, Runner, function_tool


        class BankAccount:
            def __init__(self, name, pin, balance):
                self.name = name
                self.pin = pin
                self.balance = balance

            def greet(self):
                return f"Welcome {self.name}!"


        with open("accounts.json") as fh:
            accounts = [BankAccount(d["name"], d["pin"], d["balance"]) for d in json.load(fh)]
        current_account = {"account": None}


        @function_tool
        def login(name: str, pin: int) -> str:
            for account in accounts:
                if account.name == name and account.pin == pin:
                    current_account["account"] = account
                    return "Logged in."
            return "Not found."


        @function_tool
        def greet() -> str:
            return current_account["account"].greet()


        @function_tool
        def balance() -> str:
            return f"Your balance is {current_account['account'].balance}"


        agent = Agent(name="ATM", instructions="Log the user in, then help.", tools=[login, greet, balance])


        def main():
            while True:
                print(Runner.run_sync(agent, input("> ")).final_output)  # expect: GDPR001
        '''}))


def test_the_writers_of_each_global_are_read_off_the_tree():
    # the fact global_stores.py runs writers by: item, attribute, mutating method and
    # `global` stores count; a local of the same name, a read, a non-mutating method and an
    # attribute of an imported module's object do not
    import ast
    import textwrap

    from gdpr_lint.analysis.program.global_stores import _writers_by_global

    tree = ast.parse(textwrap.dedent('''
        import cache
        SESSION = {}
        HISTORY: list = []
        current = None
        settings = cache.Settings()


        def login(member):
            SESSION["member"] = member.email


        def remember(member):
            HISTORY.append(member.full_name)


        def switch(member):
            global current
            current = member


        def shadow(member):
            SESSION = {}
            SESSION["member"] = member
            return HISTORY.count(member), [x for x in HISTORY if x]


        class Desk:
            def configure(self, member):
                settings.owner = member.email

            def read(self):
                return SESSION.get("member"), cache.lookup(self)
        '''))
    assert _writers_by_global(tree) == {
        "SESSION": {"login": frozenset()},
        "HISTORY": {"remember": frozenset()},
        "current": {"switch": frozenset()},
        "settings": {"Desk": frozenset({"configure"})},
    }


def test_walk_nodes_visits_every_node_but_expression_contexts():
    import ast
    import textwrap

    from gdpr_lint.analysis.program.symbols import walk_nodes

    tree = ast.parse(textwrap.dedent('''
        @app.post("/x", tags=["a"])
        async def handler(request: Request, *args: int, key: str = "k", **kw) -> dict[str, Any]:
            global seen
            async with client.stream(f"{request.user!r:>10}") as (a, b):
                match request.json():
                    case {"name": str(name), **rest} if name:
                        seen[name] = lambda x=1: x + rest["n"]
                    case [first, *others]:
                        del others[0]
            try:
                yield {k: v async for k, v in a if v}
            except* (ValueError, TypeError) as exc:
                raise RuntimeError(...) from exc
            return {**kw, "n": -1, "t": (1, 2), "s": {b"x"}}
        '''))
    expected = sorted(type(n).__name__ for n in ast.walk(tree) if not isinstance(n, ast.expr_context))
    assert sorted(type(n).__name__ for n in walk_nodes(tree)) == expected
    assert {"Lambda", "MatchMapping", "MatchStar", "TryStar", "JoinedStr", "FormattedValue",
            "arguments", "keyword", "withitem", "match_case"} <= set(expected)
