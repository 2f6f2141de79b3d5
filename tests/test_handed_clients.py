"""Requests sent through a client or model the code hands around instead of making where it
sends (analysis/calls.py `handed_receiver`, the specialised summaries of
analysis/program/functions.py), and libraries loaded by name at run time
(`importlib.import_module`, a lazy proxy's `__getattr__`, a module's `__getattr__`).
Each shape has a twin that hands over something that sends nothing.
"""

from __future__ import annotations

from helpers import assert_marked, check_json


def test_a_model_or_client_handed_to_a_helper_function(write):
    assert_marked(write({"crm/assist.py": """
        from langchain_openai import ChatOpenAI
        from openai import AsyncOpenAI


        def ask(llm, prompt):
            return llm.invoke(prompt)  # expect: GDPR001


        def ask_with_tools(llm, tools, messages):
            return llm.bind_tools(tools).invoke(messages)  # expect: GDPR001


        async def draft(client, text):
            return await client.responses.create(model="gpt-4o", input=text)  # expect: GDPR001


        class EchoModel:
            def invoke(self, prompt):
                return prompt


        def ask_offline(model, prompt):
            return model.invoke(prompt)


        def follow_up(customer):
            return ask(ChatOpenAI(model="gpt-4o"), f"Write to {customer.email}")


        def triage(customer, tools):
            return ask_with_tools(ChatOpenAI(), tools, [("user", f"Call {customer.phone}")])


        async def letter(customer_name: str):
            return await draft(AsyncOpenAI(), f"Dear {customer_name}")


        def rehearse(customer):
            return ask_offline(EchoModel(), f"Write to {customer.email}")
    """}))


def test_an_object_keeps_the_model_its_constructor_is_given(write):
    # a provider wrapper built directly or by a factory classmethod, in another module than
    # its callers; the twin keeps a model that is not OpenAI's
    assert_marked(write({
        "app/__init__.py": "",
        "app/provider.py": """
            from langchain_openai import ChatOpenAI


            class Provider:
                def __init__(self, llm, log=None):
                    self.llm = llm
                    self.log = log

                @classmethod
                def from_provider(cls, provider: str, **kwargs):
                    if provider == "openai":
                        llm = ChatOpenAI(**kwargs)
                    else:
                        raise ValueError(provider)
                    return cls(llm)

                async def get_chat_response(self, messages):
                    output = await self.llm.ainvoke(messages)  # expect: GDPR001
                    return output.content


            class OfflineModel:
                async def ainvoke(self, messages):
                    return messages


            class Rehearsal:
                def __init__(self, llm):
                    self.llm = llm

                async def respond(self, messages):
                    return await self.llm.ainvoke(messages)
        """,
        "app/llm.py": """
            from app.provider import OfflineModel, Provider, Rehearsal


            async def create_chat_completion(messages, model="gpt-4o"):
                provider = Provider.from_provider("openai", model=model)
                return await provider.get_chat_response(messages)


            async def summarise_customer(customer_name: str, email: str):
                return await create_chat_completion([{"role": "user", "content": f"Write to {customer_name} at {email}"}])


            async def rehearse(customer_name: str):
                return await Rehearsal(OfflineModel()).respond([("user", customer_name)])
        """,
    }))


def test_the_flow_names_the_helper_the_model_was_handed_to(write):
    findings = check_json(write({"crm/assist.py": """
        from langchain_openai import ChatOpenAI


        def ask(llm, prompt):
            return llm.invoke(prompt)


        def follow_up(customer):
            return ask(ChatOpenAI(model="gpt-4o"), f"Write to {customer.email}")
    """}))
    assert [(f["line"], f["endpoint"]) for f in findings] == [(5, "ChatOpenAI.invoke")]
    notes = [step["note"] for step in findings[0]["flow"]]
    assert notes[0] == "`customer.email` (email)"
    assert "passed to `ask()` as `prompt`" in notes


def test_libraries_loaded_by_name_at_run_time(write):
    assert_marked(write({
        "app/__init__.py": "",
        "app/llm.py": """
            import importlib


            class LazyLiteLLM:
                # importing litellm takes seconds: load it on first use
                _lazy_module = None

                def __getattr__(self, name):
                    if name == "_lazy_module":
                        return super()
                    self._load()
                    return getattr(self._lazy_module, name)

                def _load(self):
                    if self._lazy_module is None:
                        self._lazy_module = importlib.import_module("litellm")


            litellm = LazyLiteLLM()
        """,
        "app/sdk.py": """
            import importlib

            openai = importlib.import_module("openai")
            json = __import__("json")
        """,
        "app/lazy_openai.py": """
            import importlib


            def __getattr__(name):
                return getattr(importlib.import_module("openai"), name)
        """,
        "app/views.py": """
            from app import lazy_openai
            from app.llm import litellm
            from app.sdk import json, openai


            def reply(customer_name: str, email: str):
                return litellm.completion(model="gpt-4o", messages=[{"role": "user", "content": f"Write to {customer_name} <{email}>"}])  # expect: GDPR001


            def summarise(patient_name: str):
                client = openai.OpenAI()
                return client.responses.create(model="gpt-4o", input=f"Summarise {patient_name}")  # expect: GDPR001


            def translate(customer_name: str):
                client = lazy_openai.AsyncOpenAI()
                return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": customer_name}])  # expect: GDPR001


            def archive(customer_name: str):
                return json.dumps({"name": customer_name})
        """,
    }))


def test_a_module_loaded_by_name_that_is_not_a_client_library(write):
    assert_marked(write({"tools/report.py": """
        import importlib


        class LazyModule:
            def __init__(self, name):
                self._name = name

            def __getattr__(self, attr):
                return getattr(importlib.import_module("json"), attr)


        serialiser = LazyModule("json")


        def export(customer):
            return serialiser.dumps({"email": customer.email})
    """}))


def test_technical_senses_of_person_words_are_no_record_by_their_name_alone(write):
    # `candidate` is a JSON block found in a reply, `members` what `inspect` lists, `relative`
    # a path; what is read from a candidate, and a customer, still are someone's
    assert_marked(write({"app/extract.py": """
        import inspect
        import os
        import re

        from openai import OpenAI

        client = OpenAI()
        BLOCK = re.compile(r"```json(?P<payload>.*?)```", re.S)


        def extract(response: str) -> list[str]:
            candidates: list[str] = []
            for match in BLOCK.finditer(response):
                candidate = match.group("payload").strip()
                if candidate:
                    candidates.append(candidate)
            return candidates


        def repair(text: str):
            found = extract(text)
            return client.responses.create(model="gpt-4o", input=f"Fix these: {found}")


        def describe(obj, path: str):
            members = inspect.getmembers(obj)
            relative = os.path.relpath(path)
            return client.responses.create(model="gpt-4o", input=f"Describe {members} in {relative}")


        def screen(candidate):
            return client.responses.create(model="gpt-4o", input=f"Rate {candidate.email}")  # expect: GDPR001


        def follow_up(customer_id: int):
            customer = load_customer(customer_id)
            return client.responses.create(model="gpt-4o", input=f"Write to {customer}")  # expect: GDPR001
    """}))
