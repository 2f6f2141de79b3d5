"""Attributes stored on an object from outside its class (`ticket.body = ...`,
`clients.chat_client = AzureOpenAI(...)`) travel with that object - read back in the same
function, handed to callers through the parameter it came in, kept by a module global -
and not through the class, where every instance in every file analysed later would see
them. What a class declares (`chat_client: AzureOpenAI = None`) is what its instances hold."""

from __future__ import annotations

from helpers import analyse


def _found(result) -> list[tuple[str, int, list[str]]]:
    return sorted((f.path, f.line, sorted(d.split(" (")[0] for d in f.data)) for f in result.findings)


def test_an_attribute_stored_and_read_back_in_one_function(write):
    root = write({"desk.py": '''
        from dataclasses import dataclass

        from openai import OpenAI

        client = OpenAI()


        @dataclass
        class Ticket:
            topic: str
            body: str = ""


        def escalate(customer):
            ticket = Ticket(topic="refund")
            ticket.body = f"Customer {customer.email} asks for a refund"
            return client.responses.create(model="gpt-4o-mini", input=ticket.body)
        '''})
    result = analyse(root)
    assert [(p, line) for p, line, _ in _found(result)] == [("desk.py", 17)]
    assert "customer.email" in _found(result)[0][2]


def test_an_object_filled_by_a_helper_carries_the_data_to_the_request(write):
    # configure() looks a customer up itself and stores it on the bot it was given
    root = write({"bot.py": '''
        from openai import OpenAI

        client = OpenAI()


        class Bot:
            def __init__(self):
                self.greeting = "Hello"


        def configure(bot: Bot, customers, customer_id):
            customer = customers.get(customer_id)
            bot.greeting = f"Hello {customer.full_name}"


        def ask(bot: Bot, question):
            return client.responses.create(model="gpt-4o-mini", input=f"{bot.greeting}. {question}")


        def main(customers):
            bot = Bot()
            configure(bot, customers, 42)
            return ask(bot, "Where is my parcel?")
        '''})
    result = analyse(root)
    assert [(p, line) for p, line, _ in _found(result)] == [("bot.py", 17)]


# a test fills its own agent with a customer's name; the service's agent is another object
AGENT_TREE = {
    "app/__init__.py": "",
    "app/agent.py": '''
        class Agent:
            def __init__(self, instructions: str = "Be brief."):
                self.instructions = instructions
        ''',
    "app/a_test_agent.py": '''
        from openai import OpenAI

        from app.agent import Agent

        client = OpenAI()


        def test_instructions(customer):
            agent = Agent()
            agent.instructions = f"Always greet {customer.name}"
            assert client.responses.create(model="gpt-4o-mini", input="ping")
        ''',
    "app/b_service.py": '''
        from openai import OpenAI

        from app.agent import Agent

        client = OpenAI()


        def answer(question):
            agent = Agent()
            return client.responses.create(model="gpt-4o-mini", instructions=agent.instructions, input=question)
        ''',
}


def test_a_store_on_one_instance_does_not_reach_another_files_instance(write, one_project):
    root = write(AGENT_TREE)
    assert _found(analyse(root)) == []


def test_a_client_a_class_declares_is_that_client(write):
    # the holder's fields are filled by a setup function elsewhere; their declared type
    # says which client the requests go through
    root = write({
        "config.py": '''
            from dataclasses import dataclass

            from openai import AzureOpenAI


            @dataclass
            class RagClients:
                chat_client: AzureOpenAI = None


            def setup_clients() -> RagClients:
                clients = RagClients()
                clients.chat_client = AzureOpenAI(api_version="2024-06-01")
                return clients
            ''',
        "page.py": '''
            from config import RagClients


            def answer(clients: RagClients, customer):
                return clients.chat_client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"Reply to {customer.email}"}])
            ''',
    })
    [finding] = analyse(root).findings
    assert (finding.path, finding.flavour) == ("page.py", "openai-azure")
