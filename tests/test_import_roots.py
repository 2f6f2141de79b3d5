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


# an order's follow-up prompt (the customer's e-mail in it), and a view sending it
FOLLOW_UP = '''
    def follow_up(order):
        return f"Write to {order.customer.email} about order {order.number}."
'''


def sender(prompts_module: str) -> str:
    """A view importing follow_up from `prompts_module` and sending it (the request on line 9)."""
    return f'''
    from openai import OpenAI

    from {prompts_module} import follow_up

    client = OpenAI()


    def send(order):
        return client.responses.create(model="gpt-4o-mini", input=follow_up(order))
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
        "src/shop/prompts.py": FOLLOW_UP,
        "src/shop/views.py": sender("shop.prompts"),
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
        "b_views.py": sender("shop_prompts"),
        "shop_prompts.py": FOLLOW_UP,
    })
    assert _found(analyse(root)) == [("b_views.py", 9)]


# A src layout whose package holds a folder without an __init__.py (a namespace portion,
# PEP 420: Python imports `shop.jobs.mailer` all the same). The job imports its package
# absolutely; the views import the job.
SRC_LAYOUT = {
    "pyproject.toml": '[project]\nname = "shop"\nversion = "1"\n',
    "src/shop/__init__.py": "",
    "src/shop/prompts.py": FOLLOW_UP,
    "src/shop/jobs/mailer.py": sender("shop.prompts"),
    "src/shop/views.py": '''
        from shop.jobs.mailer import send


        def order_shipped(order):
            return send(order)
        ''',
}


def test_a_module_in_a_folder_without_init_inside_a_package_is_named_by_its_package(write):
    # alone, the job's `from shop.prompts import ...` resolves: its package's root (src/)
    # is an import root, as when Python imports it
    root = write(SRC_LAYOUT)
    assert _found(analyse(root, "src/shop/jobs/mailer.py")) == [("src/shop/jobs/mailer.py", 9)]


def test_a_namespace_module_has_one_name_whether_entry_or_imported(write, monkeypatch):
    # the views load the job under its import name first, or the job is its own entry
    # first: the same report either way, and the same as a fresh project per unit
    from gdpr_lint.pipeline import units

    root = write(SRC_LAYOUT)

    def report(chunks):
        monkeypatch.setattr(units, "_chunks", chunks)
        return [(f.path, f.line, f.flow[0].path) for f in analyse(root).findings]

    ordered = lambda entries: sorted(entries, key=lambda e: str(e[0]))  # noqa: E731
    alone = report(lambda entries: [[e] for e in ordered(entries)])
    assert alone == [("src/shop/jobs/mailer.py", 9, "src/shop/prompts.py")]
    assert report(lambda entries: [ordered(entries)]) == alone
    assert report(lambda entries: [ordered(entries)[::-1]]) == alone


def test_a_script_in_a_namespace_folder_still_imports_its_neighbours(write):
    # run as a script, `import templates` finds the file beside it; the package's own
    # modules are found through the package's root
    root = write({
        "src/shop/__init__.py": "",
        "src/shop/settings.py": 'MODEL = "gpt-4o-mini"\n',
        "src/shop/scripts/templates.py": '''
            def reminder(customer):
                return f"Remind {customer.full_name} ({customer.phone}) of the unpaid invoice."
            ''',
        "src/shop/scripts/remind.py": '''
            from openai import OpenAI

            from shop.settings import MODEL
            from templates import reminder

            client = OpenAI()


            def run(customer):
                return client.responses.create(model=MODEL, input=reminder(customer))
            ''',
        "src/shop/scripts/greet.py": '''
            from openai import OpenAI

            from templates import reminder

            client = OpenAI()
            print(client.responses.create(model="gpt-4o-mini", input="Say hello to the team."))
            ''',
    })
    result = analyse(root)
    assert _found(result) == [("src/shop/scripts/remind.py", 10)]
    assert result.findings[0].flow[0].path == "src/shop/scripts/templates.py"
