"""Imports resolve as the program starting from the entry would resolve them: under the
run's roots and the entry's own folder, never under the folders of the entries analysed
before it in the same process. Folders of scripts each with their own `prompts.py`, and a
notebook folder looking for a package that lives under `src/`, are the shapes."""

from __future__ import annotations

from helpers import analyse
from test_cache import PROMPTS_CLEAN, PROMPTS_LEAKING  # the same prompt builder, clean or leaking

# a course exercise: a script importing its folder's own prompt builder
APP = '''
    from openai import OpenAI

    from prompts import follow_up_prompt

    client = OpenAI()


    def send(customer):
        return client.responses.create(model="gpt-4o-mini", input=follow_up_prompt(customer))
'''


def _found(result) -> list[tuple[str, int]]:
    return sorted((f.path, f.line) for f in result.findings)


def test_each_script_folder_imports_its_own_module(write, one_project):
    # two course exercises: the first's prompts are clean, the second's leak
    root = write({"ex1/app.py": APP, "ex1/prompts.py": PROMPTS_CLEAN,
                  "ex2/app.py": APP, "ex2/prompts.py": PROMPTS_LEAKING})
    assert _found(analyse(root)) == [("ex2/app.py", 9)]


def test_each_script_folder_imports_its_own_module_the_other_way_round(write, one_project):
    root = write({"ex1/app.py": APP, "ex1/prompts.py": PROMPTS_LEAKING,
                  "ex2/app.py": APP, "ex2/prompts.py": PROMPTS_CLEAN})
    assert _found(analyse(root)) == [("ex1/app.py", 9)]


def test_a_module_one_entry_cannot_find_is_found_by_the_next_that_can(write, one_project):
    # the notebook folder comes first and cannot import the package under src/ (not one of
    # its roots); the package's own view, analysed next, can - and only through the helper
    # does the order's customer e-mail reach the request
    root = write({
        "notebooks/explore.py": '''
            from openai import OpenAI

            from shop.prompts import follow_up

            client = OpenAI()
            print(client.responses.create(model="gpt-4o-mini", input=follow_up(sample_order)))
            ''',
        "src/shop/__init__.py": "",
        "src/shop/prompts.py": '''
            def follow_up(order):
                return f"Write to {order.customer.email} about order {order.number}."
            ''',
        "src/shop/views.py": '''
            from openai import OpenAI

            from shop.prompts import follow_up

            client = OpenAI()


            def send(order):
                return client.responses.create(model="gpt-4o-mini", input=follow_up(order))
            ''',
    })
    result = analyse(root)
    assert _found(result) == [("src/shop/views.py", 9)]
    assert result.findings[0].flow[0].path == "src/shop/prompts.py"


def test_alone_the_same(write):
    # a fresh project per unit (the default for a run this small) gives the same answers
    root = write({"ex1/app.py": APP, "ex1/prompts.py": PROMPTS_CLEAN,
                  "ex2/app.py": APP, "ex2/prompts.py": PROMPTS_LEAKING})
    assert _found(analyse(root)) == [("ex2/app.py", 9)]


def test_the_module_limit_counts_per_entry_not_per_process(write, one_project, monkeypatch):
    # with room for two imported modules per entry, the first script uses its two and the
    # second still finds the prompt builder it imports (alone it would)
    from gdpr_lint.analysis.program import modules

    monkeypatch.setattr(modules, "MAX_EXTRA_MODULES", 2)
    root = write({
        "a_batch.py": '''
            from openai import OpenAI

            import audit
            import settings

            client = OpenAI()
            print(client.responses.create(model="gpt-4o-mini", input=settings.GREETING + audit.TAG))
            ''',
        "audit.py": 'TAG = "batch"\n',
        "settings.py": 'GREETING = "Hello"\n',
        "b_views.py": '''
            from openai import OpenAI

            from shop_prompts import follow_up

            client = OpenAI()


            def send(order):
                return client.responses.create(model="gpt-4o-mini", input=follow_up(order))
            ''',
        "shop_prompts.py": '''
            def follow_up(order):
                return f"Write to {order.customer.email} about order {order.number}."
            ''',
    })
    assert _found(analyse(root)) == [("b_views.py", 9)]
