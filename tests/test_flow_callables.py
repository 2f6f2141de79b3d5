"""Requests reached through callables a helper is handed (analysis/calls.py, the
specialised summaries of analysis/program/functions.py): `call_llm(client.chat.completions.create,
prompt)`, a retry helper given the project's own sending function, an async helper given
the async client's method, a LangChain model's `invoke`. Each has a twin that hands over
a callable that sends nothing, or data that is not personal.
"""

from __future__ import annotations

from helpers import assert_marked, check_json


def test_sdk_method_passed_to_a_helper_in_the_same_module(write):
    assert_marked(write({"crm/assist.py": """
        from openai import OpenAI

        client = OpenAI()


        def call_llm(fn, prompt):
            return fn(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])  # expect: GDPR001


        def local_echo(**kwargs):
            return kwargs


        def follow_up(customer):
            return call_llm(client.chat.completions.create, f"Write to {customer.email}")


        def describe(product):
            return call_llm(client.chat.completions.create, f"Describe {product.title}")


        def dry_run(customer):
            return call_llm(local_echo, f"Write to {customer.email}")
    """}))


def test_callables_through_helpers_in_other_modules(write):
    assert_marked(write({
        "app/__init__.py": "",
        "app/llm.py": """
            import time


            def with_retry(fn, *args, attempts=3, **kwargs):
                for i in range(attempts):
                    try:
                        return fn(*args, **kwargs)
                    except Exception:
                        time.sleep(2 ** i)


            async def call_async(create, **params):
                return await create(model="gpt-4o", **params)  # expect: GDPR002


            def run_chain(invoke, text):
                return invoke(text)  # expect: GDPR001
        """,
        "app/clinic.py": """
            from langchain_openai import ChatOpenAI
            from openai import AsyncOpenAI, OpenAI

            from app.llm import call_async, run_chain, with_retry

            client = OpenAI()
            aclient = AsyncOpenAI()
            llm = ChatOpenAI(model="gpt-4o")


            def summarise(note):
                return client.responses.create(model="gpt-4o", input=note)  # expect: GDPR002


            def summarise_patient(patient):
                return with_retry(summarise, patient.clinical_note)


            def summarise_stock(item):
                return with_retry(summarise, item.description)


            async def triage(patient):
                return await call_async(aclient.chat.completions.create,
                                        messages=[{"role": "user", "content": patient.diagnosis}])


            def greet(customer):
                return run_chain(llm.invoke, f"Greet {customer.full_name}")


            def plain(customer):
                return run_chain(str.upper, f"Greet {customer.full_name}")
        """,
    }))


def test_flow_names_the_helper_and_the_caller(write):
    root = write({"crm/assist.py": """
        from openai import OpenAI

        client = OpenAI()


        def call_llm(fn, prompt):
            return fn(model="gpt-4o-mini", input=prompt)


        def follow_up(customer):
            return call_llm(client.responses.create, customer.email)
    """})
    [finding] = check_json(root)
    assert finding["line"] == 7 and "customer.email" in finding["message"]
    notes = [s["note"] for s in finding["flow"]]
    assert notes[0] == "`customer.email` (email)" and "passed to `call_llm()` as `prompt`" in notes
    assert notes[-1] == "sent as `input` to responses.create"


def test_lambdas_are_functions(write):
    assert_marked(write({"crm/prompts.py": """
        import scrubadub
        from openai import OpenAI

        client = OpenAI()
        to_customer = lambda c: f"Write to {c.full_name} <{c.email}>"
        for_product = lambda p: f"Describe {p.title}"


        def follow_up(customer):
            return client.responses.create(model="gpt-4o", input=to_customer(customer))  # expect: GDPR001


        def describe(product):
            return client.responses.create(model="gpt-4o", input=for_product(product))  # expect: none


        def batch(patients):
            notes = [p.clinical_note for p in patients]
            clean = "\\n".join(map(lambda n: scrubadub.clean(n), notes))
            client.responses.create(model="gpt-4o", input=clean)  # expect: none
            raw = "\\n".join(map(lambda n: n.strip(), notes))
            return client.responses.create(model="gpt-4o", input=raw)  # expect: GDPR002


        def later(patient):
            note = patient.diagnosis
            send = lambda: client.responses.create(model="gpt-4o", input=note)  # expect: GDPR002
            return send()
    """}))


def test_wrappers_partials_and_class_state(write):
    assert_marked(write({
        "app/__init__.py": "",
        "app/llm.py": """
            from functools import cached_property

            from openai import OpenAI


            class LLM:
                @cached_property
                def client(self):
                    return OpenAI()

                def ask(self, prompt, **options):
                    return self.client.responses.create(model="gpt-4o", input=prompt, **options)  # expect: GDPR001


            class Session:
                current_patient = None
        """,
        "app/use.py": """
            import functools

            from openai import OpenAI

            from app.llm import LLM, Session

            client = OpenAI()
            llm = LLM()


            def send(prompt, model="gpt-4o"):
                return client.responses.create(model=model, input=prompt)  # expect: GDPR001


            def follow_up(customer):
                ask = functools.partial(send, model="gpt-4o-mini")
                return ask(customer.email)


            def describe(product):
                return functools.partial(send, model="gpt-4o-mini")(product.title)


            def greet(customer):
                return llm.ask(f"Greet {customer.first_name}")


            def login(patient):
                Session.current_patient = patient


            def summarise():
                return client.responses.create(model="gpt-4o", input=Session.current_patient.diagnosis)  # expect: GDPR002
        """,
    }))


RUNNERS = {
    "app/__init__.py": "",
    # never mentions OpenAI: the request is found at `fn(...)` through its callers
    "app/util.py": """
        import time


        def with_retry(fn, *args, **kwargs):
            for i in range(3):
                try:
                    return fn(*args, **kwargs)
                except Exception:
                    time.sleep(i)
    """,
    "app/main.py": """
        import asyncio
        import functools
        from concurrent.futures import ThreadPoolExecutor

        from openai import OpenAI
        from starlette.concurrency import run_in_threadpool

        from app.util import with_retry

        client = OpenAI()
        pool = ThreadPoolExecutor(4)


        def summarise(note):
            return client.responses.create(model="gpt-4o", input=note)  # expect: GDPR002


        def retry(customer):
            return with_retry(client.responses.create, model="gpt-4o", input=customer.email)


        async def in_thread(customer):
            return await asyncio.to_thread(client.chat.completions.create, model="gpt-4o",  # expect: GDPR001
                                           messages=[{"role": "user", "content": customer.phone}])


        async def in_executor(patient):
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, functools.partial(client.responses.create,  # expect: GDPR002
                                                                      model="gpt-4o", input=patient.diagnosis))


        def submitted(customer):
            return pool.submit(client.responses.create, model="gpt-4o", input=customer.full_name).result()  # expect: GDPR001


        async def threadpool(patient):
            return await run_in_threadpool(summarise, patient.clinical_note)


        def mapped(patients):
            with ThreadPoolExecutor() as ex:
                return list(ex.map(summarise, [p.diagnosis for p in patients]))


        async def stock(item):
            await asyncio.to_thread(client.responses.create, model="gpt-4o", input=item.description)  # expect: none
            return pool.submit(summarise, item.description).result()
    """,
}


def test_libraries_that_run_a_callable(write, tmp_path):
    root = write(RUNNERS)
    root.joinpath("app/util.py").write_text(
        root.joinpath("app/util.py").read_text().replace("fn(*args, **kwargs)", "fn(*args, **kwargs)  # expect: GDPR001"))
    assert_marked(root)
    from gdpr_lint.config.settings import ConfigResolver
    from gdpr_lint.pipeline.engine import analyse_paths

    def view(exhaustive):
        result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1, exhaustive=exhaustive)
        return {(f.code, f.path, f.line, tuple(sorted(f.data))) for f in result.findings}, \
            {(f.path, f.line, f.fixable) for f in result.findings}

    fast, fixable = view(False)
    assert fast == view(True)[0]  # the prefilter and the relevance selection lose nothing
    # a request a library runs has no call of its own to wrap with protect()
    assert {(p, line) for p, line, fx in fixable if not fx} == {
        ("app/main.py", 23), ("app/main.py", 29), ("app/main.py", 34)}


def test_keywords_forwarded_through_kwargs_keep_their_request_parameter(write):
    assert_marked(write({
        "app/__init__.py": "",
        "app/llm.py": """
            from openai import OpenAI


            class Model:
                def __init__(self, model="gpt-4o"):
                    self.client = OpenAI()
                    self.model = model

                def complete(self, prompt, **kwargs):
                    return self.client.chat.completions.create(  # expect: GDPR001, GDPR003
                        model=self.model, messages=[{"role": "user", "content": prompt}], **kwargs)


            def respond(**params):
                return OpenAI().responses.create(model="gpt-4o", **params)  # expect: GDPR002
        """,
        "app/use.py": """
            import hashlib

            from app.llm import Model, respond

            llm = Model()


            def greet(customer):
                # the e-mail as user= is an identifier (GDPR003); the name in the prompt is content
                return llm.complete(f"Hi {customer.first_name}", user=customer.email, temperature=0.2)


            def greet_hashed(customer):
                return llm.complete("Hi there", user=hashlib.sha256(customer.email.encode()).hexdigest())


            def triage(patient):
                return respond(input=patient.diagnosis, metadata={"ticket": "T-1"})
        """,
    }))


def test_async_generators_stream_what_they_were_given(write):
    assert_marked(write({"clinic/stream.py": """
        from openai import AsyncOpenAI

        client = AsyncOpenAI()


        async def stream_answer(note):
            stream = await client.chat.completions.create(  # expect: GDPR002
                model="gpt-4o", messages=[{"role": "user", "content": note}], stream=True)
            async for chunk in stream:
                yield chunk.choices[0].delta.content or ""


        async def summarise(patient):
            parts = []
            async for piece in stream_answer(patient.clinical_note):
                parts.append(piece)
            return "".join(parts)


        async def describe(item):
            return [p async for p in stream_answer(item.description)]
    """}))


def test_a_partial_a_factory_binds_to_the_callers_client_sends_through_it(write):
    # the factory's parameter is bound into the partial it returns: the caller's client
    # (or model) is what the partial sends through; a caller handing it a stand-in is clean
    from helpers import analyse

    root = write({
        "desk/__init__.py": "",
        "desk/senders.py": """
            from functools import partial


            def send(text, client, model):
                return client.responses.create(model=model, input=text)  # expect: GDPR001


            def invoke_with(text, llm):
                return llm.invoke("Reply to: " + text)  # expect: GDPR001


            def sender_for(client, model="gpt-4o-mini"):
                return partial(send, client=client, model=model)


            def chain_for(llm):
                return partial(invoke_with, llm=llm)
        """,
        "desk/use.py": """
            from langchain_openai import ChatOpenAI
            from openai import OpenAI

            from desk.senders import chain_for, sender_for


            class Offline:
                class responses:
                    @staticmethod
                    def create(**kwargs):
                        return kwargs


            def notify(customer):
                ask = sender_for(OpenAI())
                return ask(f"Tell {customer.email} the parcel left")


            def reply(customer):
                return chain_for(ChatOpenAI(model="gpt-4o"))(customer.full_name)


            def rehearse(customer):
                return sender_for(Offline())(f"Call {customer.phone} when the parcel left")
        """,
    })
    assert_marked(root)
    sent = sorted(d.split(" (")[0] for f in analyse(root).findings for d in f.data)
    assert sent == ["customer.email", "customer.full_name"], sent


def test_a_callable_a_helper_hands_to_something_that_runs_it(write):
    # the helper never calls its parameter by name: it binds it (`functools.partial`), or
    # hands it to a thread, an executor or `map`. Twins: the same helpers given a callable
    # that sends nothing, and a queue of the project's own that keeps the callable uncalled.
    assert_marked(write({
        "desk/__init__.py": "",
        "desk/runners.py": """
            import asyncio
            import functools
            from concurrent.futures import ThreadPoolExecutor
            from functools import partial


            def bound(send, customer):
                ask = functools.partial(send, model="gpt-4o-mini")
                return ask(messages=[{"role": "user", "content": customer.email}])  # expect: GDPR001


            def bound_by_name(send, text):
                return partial(send, model="gpt-4o-mini")(input=text)  # expect: GDPR001


            async def threaded(send, customer):
                return await asyncio.to_thread(  # (reported at the callable it runs)
                    send, model="gpt-4o-mini", messages=[{"role": "user", "content": customer.phone}])  # expect: GDPR001


            def pooled(send, customer):
                with ThreadPoolExecutor() as pool:
                    return pool.submit(
                        send, model="gpt-4o-mini", messages=[{"role": "user", "content": customer.full_name}]).result()  # expect: GDPR001


            def each(send, notes):
                return list(map(send, notes))


            class Queue:
                def __init__(self):
                    self.jobs = []

                def submit(self, fn, **kwargs):
                    self.jobs.append((fn, kwargs))


            def queued(send, customer):
                Queue().submit(send, model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}])
        """,
        "desk/use.py": """
            import asyncio

            from openai import OpenAI

            from desk.runners import bound, bound_by_name, each, pooled, queued, threaded

            client = OpenAI()


            def log_only(**kwargs):
                return sorted(kwargs)


            def embed(note):
                return client.embeddings.create(model="text-embedding-3-small", input=note)  # expect: GDPR002


            def follow_up(customer):
                bound(client.chat.completions.create, customer)
                bound_by_name(client.responses.create, f"Summarise the case of {customer.email}")
                asyncio.run(threaded(client.chat.completions.create, customer))
                pooled(client.chat.completions.create, customer)
                each(embed, [customer.medical_history])


            def rehearse(customer):
                bound(log_only, customer)
                pooled(log_only, customer)
                each(len, [customer.medical_history])
                queued(client.chat.completions.create, customer)
        """,
    }))


def test_dispatch_tables_of_library_objects(write):
    # a dict of SDK methods or models, looked up by a constant or a computed key, in a
    # module global or a local. Twins: a table of the project's own callables that send
    # nothing, and a table of SDK methods given data that is not personal.
    assert_marked(write({
        "desk/__init__.py": "",
        "desk/tables.py": """
            from langchain_openai import ChatOpenAI
            from openai import OpenAI

            client = OpenAI()
            HANDLERS = {"chat": client.chat.completions.create, "respond": client.responses.create}
            TIERS = {"fast": ChatOpenAI(model="gpt-4o-mini"), "deep": ChatOpenAI(model="gpt-4o")}
            NOTES = {"print": print, "len": len}


            def by_constant(customer):
                return HANDLERS["chat"](  # expect: GDPR001
                    model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}])


            def by_kind(kind, customer):
                return HANDLERS[kind](  # expect: GDPR001
                    model="gpt-4o-mini", messages=[{"role": "user", "content": customer.phone}])


            def by_tier(tier, patient):
                return TIERS[tier].invoke(f"Summarise: {patient.diagnosis}")  # expect: GDPR002


            def local_table(kind, customer):
                senders = {"a": client.chat.completions.create, "b": client.chat.completions.create}
                return senders[kind](  # expect: GDPR001
                    model="gpt-4o-mini", messages=[{"role": "user", "content": customer.full_name}])


            def noted(kind, customer):
                return NOTES[kind](customer.email)


            def catalogue(kind, product):
                return HANDLERS[kind](model="gpt-4o-mini", messages=[{"role": "user", "content": product.title}])
        """,
    }))


def test_a_library_method_stored_on_self_and_called_through_it(write):
    # the method that sends spells no request (`self.send(...)`); the one that stored it
    # does, and nothing in the project calls them (a web framework does). Twins: an
    # attribute holding a callable of the project's own, and the stored method given data
    # that is not personal.
    assert_marked(write({
        "desk/__init__.py": "",
        "desk/bots.py": """
            from functools import partial
            from typing import Callable

            from openai import OpenAI

            client = OpenAI()


            class Mailer:
                def __init__(self):
                    self.send = client.chat.completions.create
                    self._complete: Callable = partial(client.responses.create, model="gpt-4o-mini")
                    self.embed = client.embeddings.create
                    self.outbox = []
                    self.log = self.outbox.append

                def follow_up(self, customer):
                    return self.send(  # expect: GDPR001
                        model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}])

                def summarise(self, patient):
                    return self._complete(input=f"Summarise {patient.diagnosis}")  # expect: GDPR002

                def index(self, customers):
                    return self.embed(  # expect: GDPR001
                        model="text-embedding-3-small", input=[c.phone for c in customers])

                def note(self, customer):
                    self.log(customer.email)

                def describe(self, product):
                    return self.send(model="gpt-4o-mini", messages=[{"role": "user", "content": product.title}])
        """,
    }))


def test_a_library_object_read_by_getattr_with_a_constant_name(write):
    # `getattr(obj, "name")` is `obj.name`: with a default, a name held in a variable, a
    # LangChain model's method. Twins: getattr on an object of the project's own, and on the
    # SDK given data that is not personal.
    assert_marked(write({
        "desk/dyn.py": """
            from langchain_openai import ChatOpenAI
            from openai import OpenAI

            client = OpenAI()
            llm = ChatOpenAI(model="gpt-4o-mini")


            class Outbox:
                def send(self, text):
                    return len(text)


            def plain(customer):
                create = getattr(client.chat.completions, "create")
                return create(model="gpt-4o-mini", messages=[{"role": "user", "content": customer.email}])  # expect: GDPR001


            def with_default(customer):
                method = "create"
                create = getattr(client.responses, method, None)
                return create(model="gpt-4o-mini", input=f"Call {customer.phone}")  # expect: GDPR001


            def model_method(patient):
                return getattr(llm, "invoke")(f"Summarise {patient.diagnosis}")  # expect: GDPR002


            def own_object(customer):
                return getattr(Outbox(), "send")(customer.email)


            def catalogue(product):
                create = getattr(client.chat.completions, "create")
                return create(model="gpt-4o-mini", messages=[{"role": "user", "content": product.title}])
        """,
    }))
