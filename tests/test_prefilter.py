"""The fast path loses nothing: the bytes prefilter (which files become analysis
units) and the demand-driven selection of functions (which functions are analysed)
must report exactly what an exhaustive run reports, where every file is a unit and
every function is analysed (`analyse_paths(..., exhaustive=True)`, the hidden
`--no-prefilter` flag).

Checked on the shared corpus, the example clinic app, every rule's VALID/INVALID
example and a CRM project whose personal data reaches the request through files
that never mention OpenAI.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import run_cli, write_files
from gdpr_lint.config.settings import ConfigResolver
from gdpr_lint.pipeline.engine import analyse_paths
from gdpr_lint.pipeline.prefilter import may_matter
from gdpr_lint.checks.rules import ALL_RULES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

CRM = {
    # the client and the only mention of OpenAI
    "crm/llm.py": '''
        from openai import OpenAI

        _client = OpenAI()


        def complete(prompt: str) -> str:
            reply = _client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": prompt}],
            )
            return reply.choices[0].message.content
        ''',
    # a prompt builder: no OpenAI spelling at all
    "crm/prompts.py": '''
        def follow_up_prompt(customer, order) -> str:
            return (
                f"Write a follow-up to {customer.full_name} <{customer.email}> "
                f"about order {order.number}, delivered to {customer.address}."
            )


        def product_prompt(product) -> str:
            return f"Describe {product.title} in two sentences."
        ''',
    # a view: calls the helper, never names the client
    "crm/views.py": '''
        from crm.llm import complete
        from crm.prompts import follow_up_prompt, product_prompt


        def follow_up(request, customer, order):
            text = follow_up_prompt(customer, order)
            return complete(text)


        def describe(request, product):
            return complete(product_prompt(product))
        ''',
    "crm/__init__.py": "",
}


def _run(root: Path, exhaustive: bool):
    return analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1, exhaustive=exhaustive)


def _view(result) -> tuple[set, set, list]:
    findings = {(f.code, f.path, f.span.line, f.span.column, tuple(sorted(f.data)), f.confidence)
                for f in result.findings}
    sites = {(s.path, s.span.line, s.span.column) for s in result.sites}
    return findings, sites, sorted(str(e) for e in result.errors)


def _assert_nothing_lost(root: Path) -> tuple[set, set]:
    fast_findings, fast_sites, fast_errors = _view(_run(root, exhaustive=False))
    full_findings, full_sites, full_errors = _view(_run(root, exhaustive=True))
    assert full_findings - fast_findings == set(), "findings lost by the prefilter / relevance selection"
    assert fast_findings == full_findings
    assert full_sites - fast_sites == set(), "call sites lost by the prefilter / relevance selection"
    assert fast_errors == full_errors
    return full_findings, full_sites


def _assert_call_site_files_pass_prefilter(root: Path) -> int:
    result = _run(root, exhaustive=True)
    files = {s.path for s in result.sites}
    for display in files:
        data = result.sources[display].data
        assert may_matter(data), f"{display} holds a request but the prefilter would skip it"
    return len(files)


@pytest.fixture
def rule_examples(tmp_path: Path) -> Path:
    root = tmp_path / "rule_examples"
    files = {}
    for rule in ALL_RULES:
        for kind, examples in (("valid", rule.valid), ("invalid", rule.invalid)):
            for i, example in enumerate(examples):
                files[f"{rule.code.lower()}_{kind}_{i}.py"] = example.code
    return write_files(root, files)


def test_corpus_exhaustive_run_finds_nothing_more(corpus_copy: Path) -> None:
    findings, sites = _assert_nothing_lost(corpus_copy)
    assert len(findings) > 20 and len(sites) > 40  # the corpus is full of requests


def test_example_app_exhaustive_run_finds_nothing_more(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root)
    findings, _ = _assert_nothing_lost(root)
    assert findings


def test_rule_examples_exhaustive_run_finds_nothing_more(rule_examples: Path) -> None:
    findings, _ = _assert_nothing_lost(rule_examples)
    assert {code for code, *_ in findings} >= {"GDPR001", "GDPR002", "GDPR003"}


def test_cross_file_crm_flow_is_found_without_the_word_openai(tmp_path: Path) -> None:
    root = write_files(tmp_path / "shop", CRM)
    assert not may_matter((root / "crm/prompts.py").read_bytes())
    assert not may_matter((root / "crm/views.py").read_bytes())
    findings, _ = _assert_nothing_lost(root)
    leaked = {d for code, path, *_rest in findings if code == "GDPR001" for d in _rest[2]}
    assert any("customer.email" in d for d in leaked), findings
    assert any("customer.address" in d for d in leaked), findings
    assert not any("product" in d for d in leaked), findings


def test_every_file_with_a_call_site_passes_the_prefilter(corpus_copy: Path, rule_examples: Path,
                                                          tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    counted = 0
    for root in (corpus_copy, tmp_path / "examples", rule_examples, write_files(tmp_path / "shop", CRM)):
        counted += _assert_call_site_files_pass_prefilter(root)
    assert counted > 60


def _fullwidth(word: str) -> str:
    """The word in full-width letters: Python reads identifiers in NFKC form, so it is the same name."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in word)


def _utf7_letters(text: str, letters: str) -> str:
    """`text` with `letters` spelled as UTF-7 shift sequences (`o` -> `+AG8-`)."""
    import base64

    return "".join("+" + base64.b64encode(c.encode("utf-16-be")).decode().rstrip("=") + "-"
                   if c in letters else c for c in text)


def test_request_spelled_in_other_unicode_forms_is_not_lost(tmp_path: Path) -> None:
    # Python normalises identifiers (NFKC) and honours coding cookies, so these files import
    # openai and call it although no byte of them spells "openai", "embeddings" or the helper
    fw = _fullwidth
    files = {
        "crm/__init__.py": "",
        "crm/fullwidth.py": (
            f"from {fw('openai')} import {fw('OpenAI')}\n\n{fw('client')} = {fw('OpenAI')}()\n\n\n"
            f"def {fw('notify')}(customer):\n"
            f"    return {fw('client')}.{fw('embeddings')}.{fw('create')}(model='text-embedding-3-small', "
            f"input=customer.email)\n"),
        "crm/views.py": f"from crm.llm import {fw('complete')}\n\n\ndef follow_up(customer):\n"
                        f"    return {fw('complete')}(customer.phone)\n",
        "crm/llm.py": "from openai import OpenAI\n\n\ndef complete(prompt):\n"
                      "    return OpenAI().chat.completions.create(model='m', messages=[{'role': 'user', 'content': prompt}])\n",
    }
    root = write_files(tmp_path / "shop", files)
    utf7 = "# -*- coding: utf-7 -*-\n" + _utf7_letters(
        "import openai\n\n\ndef renew(customer):\n"
        "    return openai.OpenAI().embeddings.create(model='m', input=customer.cpr_nummer)\n", "oe")
    (root / "crm" / "utf7.py").write_bytes(utf7.encode("ascii"))
    for name in ("fullwidth.py", "utf7.py", "views.py"):
        data = (root / "crm" / name).read_bytes()
        assert b"openai" not in data and b"embeddings" not in data and b"complete" not in data
    findings, _ = _assert_nothing_lost(root)
    leaked = {(path, d.split(" (")[0]) for code, path, *_rest in findings if code == "GDPR001" for d in _rest[2]}
    assert leaked == {("crm/fullwidth.py", "customer.email"), ("crm/utf7.py", "customer.cpr_nummer"),
                      ("crm/llm.py", "customer.phone")}  # the last one through crm/views.py


def test_prefilter_skips_code_without_any_request_spelling() -> None:
    # the superset must still be useful: ordinary code is not a unit
    payroll = b"def net_pay(employee):\n    return employee.salary * 0.62\n"
    assert not may_matter(payroll)
    assert may_matter(b"import openai\n")
    assert may_matter(b"reply = llm.invoke(prompt)\n")
    assert may_matter(b"r = self.client.chat.completions.create(messages=m)\n")
    assert may_matter(b"notify(customer)\n", frozenset({"notify"}))
    assert not may_matter(b"notify_all(customers)\n", frozenset({"notify"}))


GUESSED_CLIENTS = {
    # requests on clients of unknown origin (parameters), through every use of a root
    "support/replies.py": '''
        def reply(client, ticket):
            api = client.responses
            return api.create(model="gpt-4o-mini", input=f"Answer {ticket.customer_email}")


        def summarise(client, patient):
            return send(client.chat, patient)


        def send(chat, patient):
            return chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": patient.diagnosis}])


        def embed(client, customer):
            return client.embeddings.with_raw_response.create(model="m", input=customer.full_name)
        ''',
    # the same words as plain attributes of other objects: no request can come from them
    "web/handler.py": '''
        class Handler:
            responses = {200: ("OK", "Request fulfilled")}

            def __init__(self):
                self.completions = []
                self.images = {}

            def message(self, code):
                if code in self.responses:
                    return self.responses[code][0]
                self.completions.append(code)
                self.images[code] = None
                return ""
        ''',
    # a seed by its bytes (the docstring's mention is a value use as far as bytes can tell);
    # once parsed, no read of `.responses` can lead to a request
    "web/rpc.py": '''
        class Client:
            def __init__(self):
                self.responses = {}

            def wait(self, seq):
                """Poll until a reply for `seq` is in
                self.responses and return it."""
                while seq not in self.responses:
                    pass
                reply = self.responses[seq]
                del self.responses[seq]
                return reply
        ''',
}


def test_attribute_dots_with_blanks_comments_and_continuations(tmp_path: Path) -> None:
    # Python allows blanks, line continuations and, inside brackets, comments and line
    # breaks between a dot and the attribute name
    root = write_files(tmp_path / "app", {"crm/__init__.py": "", "crm/spaced.py": '''
        from crm.clients import client, files_client


        def follow_up(customer):
            return (client
                    .  # the chat resource
                    chat. completions .create(model="m", messages=[{"role": "user", "content": customer.email}]))


        def upload(customer):
            return files_client.\\
                files.create(file=customer.cv_document, purpose="assistants")
        ''', "crm/clients.py": "from openai import OpenAI\n\nclient = files_client = OpenAI()\n"})
    text = (root / "crm/spaced.py").read_bytes()
    assert b".chat" not in text and b".files" not in text and b".completions" not in text
    assert may_matter(text)
    findings, sites = _assert_nothing_lost(root)
    assert {(path, line) for path, line, _ in sites} == {("crm/spaced.py", 5), ("crm/spaced.py", 11)}
    assert any(path == "crm/spaced.py" and any("customer.email" in d for d in data)
               for code, path, line, col, data, conf in findings), findings


def test_guess_root_in_use_after_parsing() -> None:
    import ast

    from gdpr_lint.pipeline.reach import guess_root_in_use

    used = ["r = client.responses", "helper(self.chat)", "c.chat.completions.create(messages=m)",
            "x.responses.with_raw_response.create()", "f(x.images or y)", "api = getattr(x.chat, name)",
            "for r in make(self.responses): pass", "n = size(self.images)"]
    unused = ["self.responses[code] = x", "self.responses = {}", "self.responses += [1]", "del self.responses[k]",
              "self.completions.append(x)", "ok = code in self.responses", "n = self.images > 2 < x.chat",
              "'a docstring naming self.responses'",
              # iterated or only read by a builtin: idlelib's completion list, a list of images
              "for r in self.responses: pass", "n = len(self.images)", "last = min(len(self.completions) - 1, i)",
              "names = [c for c in self.completions]", "print(sorted(self.files))"]
    for text in used:
        assert guess_root_in_use(ast.parse(text), text.encode()), text
    for text in unused:
        assert not guess_root_in_use(ast.parse(text), text.encode()), text
    # what the bytes rule out is not looked at again; a use on another line is found
    nested = "class C:\n    def f(self, k):\n        return k in self.images\n\n    def g(self):\n        return send(\n            self.images)\n"
    assert guess_root_in_use(ast.parse(nested), nested.encode())
    assert not guess_root_in_use(ast.parse(nested.replace("send(", "len(x) > (")), nested.encode())


def test_guessable_roots_are_seeds_only_where_the_value_is_used() -> None:
    for spelling in (b"r = client.responses\n", b"helper(self.chat)\n", b"x = c.chat.completions\n",
                     b"x.responses.with_raw_response.create()\n", b"x.beta.vector_stores.create()\n",
                     b"x.responses . create()\n", b"x.responses.\\\n  create()\n", b"(x.responses\n  .create())\n",
                     b"for r in self.responses:\n", b"if y in f(x).responses:\n", b"d = {x.responses: 1}\n"):
        assert may_matter(spelling), spelling
    for spelling in (b"self.responses[code] = x\n", b"self.responses = {}\n", b"self.responses += [1]\n",
                     b"self.completions.append(x)\n", b"if code in self.responses:\n",
                     b"    while seq not in self.responses:\n"):
        assert not may_matter(spelling), spelling


def test_guessed_clients_are_found_and_plain_attributes_are_not_seeds(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", GUESSED_CLIENTS)
    assert may_matter((root / "support/replies.py").read_bytes())
    assert not may_matter((root / "web/handler.py").read_bytes())
    assert may_matter((root / "web/rpc.py").read_bytes())
    findings, sites = _assert_nothing_lost(root)
    fast = _run(root, exhaustive=False)
    assert fast.units == 2  # the two seeds; web/rpc.py is parsed, not analysed
    assert {(path, line) for path, line, _ in sites} == {("support/replies.py", 3), ("support/replies.py", 11),
                                                         ("support/replies.py", 16)}
    assert {d.split(" (")[0] for code, path, *_rest in findings for d in _rest[2]} == {
        "ticket.customer_email", "patient.diagnosis", "customer.full_name"}


def test_cli_no_prefilter_flag_reports_the_same(tmp_path: Path) -> None:
    root = write_files(tmp_path / "shop", CRM)
    fast = run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=root)
    full = run_cli("check", "--no-prefilter", "--output-format", "json", ".", cwd=root)
    assert fast.returncode == full.returncode == 1, (fast.stderr, full.stderr)
    assert fast.stdout == full.stdout
    assert not (root / ".gdpr_lint_cache").exists()  # exhaustive runs do not touch the cache


def test_one_scan_answers_origin_and_seed_as_the_two_tests_do() -> None:
    # the engine asks every file both questions with one scan of its dots; it must answer
    # as has_origin_spelling and may_matter do, on the spellings where the guessable roots
    # and the receiver words meet and on real modules (this package's own, the fixtures)
    from gdpr_lint.pipeline.prefilter import has_origin_spelling, origin_and_seed

    spellings = [b"x.beta.files.create(f)\n", b"x.chat.invoke(p)\n", b"x.beta . files\n", b"self.responses[code]\n",
                 b"self.responses[k] = v\nr.files\n", b"if k in self.responses:\n    m.invoke(1)\n",
                 b"self.completions.append(x)\n", b"x.images.models\n", b"x.completions.invoke(1)\n", b"y.files\n", b"z.invoke (\n",
                 b"import openai\n", b"llm.stream(x)\nself.chat.x\n", b"a.b.c\n", b"", b"for r in self.responses:\n"]
    package = Path(__file__).resolve().parents[1] / "gdpr_lint"
    files = spellings + [p.read_bytes() for p in sorted(package.rglob("*.py"))]
    files += [p.read_bytes() for p in sorted(Path(__file__).parent.rglob("*.py"))]
    answers = {(origin_and_seed(data), (has_origin_spelling(data), may_matter(data))) for data in files}
    assert all(one == two for one, two in answers), [data for data in files
                                                      if origin_and_seed(data) != (has_origin_spelling(data), may_matter(data))]
    assert {one for one, _ in answers} == {(True, True), (False, True), (False, False)}
    # the package words are searched with fewer passes than words (`from agents`, `import agents`)
    from gdpr_lint.pipeline.prefilter import PACKAGE_WORDS, _has_package_word

    agents = [b"from agents import Agent\n", b"import agents\n", b"agents = []\n", b"import  agents\n"]
    assert [_has_package_word(data) for data in agents] == [True, True, False, False]
    assert all(_has_package_word(data) == any(w in data for w in PACKAGE_WORDS) for data in files + agents)
    assert origin_and_seed(b"x.completions.files\n") == origin_and_seed(b"x.images.models\n") == (False, True)
    assert origin_and_seed(b"helper(customer)\n", frozenset({"helper"})) == (True, True)


def test_lines_by_word_names_each_words_own_lines() -> None:
    # An entry's helper words grow round by round; each word's lines are kept apart so a
    # later round adds only the new words' (entries.trigger_lines).
    from gdpr_lint.pipeline.prefilter import lines_by_word, trigger_lines

    data = (
        "from openai import OpenAI\n"                            # 1: a spelling
        "def summarise(ticket):\n"                               # 2: summarise
        "    return ask_model(ticket.body)\n"                    # 3: ask_model
        "def summarise_all(tickets):\n"                          # 4: a longer name, not the word
        "    return [summarise(t) for t in tickets]  # ask\n"    # 5: summarise (and `ask` in a comment)
        "def übersetzen(text):\n"                                # 6: a non-ASCII name
        "    return ask_model(text)\n"                           # 7: ask_model
        "pre_summarise = ask_models = task_model = ask\n"       # 8: `ask` alone, not the others
    ).encode()
    words = frozenset({"summarise", "ask_model", "übersetzen", "classify", "ask"})
    found = lines_by_word(data, words)
    assert found == {"summarise": {2, 5}, "ask_model": {3, 7}, "übersetzen": {6}, "classify": set(), "ask": {5, 8}}
    assert lines_by_word(b"summarise(x)", words)["summarise"] == {1}  # at the very start
    assert 1 in trigger_lines(data) and not {2, 4, 6} & trigger_lines(data)


@pytest.mark.parametrize("words", [
    ("invoke", "ainvoke", "batch", "batch_as_completed", "abatch", "run", "runs.create", "run_sync"),
    ("chat", "completions", "responses", "audio", "batches", "beta"),
    ("übersetze", "über", "résumé", "réponse"),  # names beyond ASCII branch on their letters
    ("a", "ab", "abc", "b"),  # every prefix is itself a word
    ("send",),
])
def test_alternation_as_a_trie_matches_as_the_flat_alternation(words) -> None:
    """The trie form of an alternation finds the same matches, with the same spans, as the
    words joined in sorted order: with a boundary after it and without one (where the
    first word in sorted order that fits wins)."""
    import re

    from gdpr_lint.pipeline.prefilter import WORD_END, alternation

    text = ("llm.ainvoke(x); llm.batch_as_completed(q) .batch (r) runs.create(a) run_sync() abc ab a b "
            "übersetze über(x) résumé réponses chatty completions beta.chat.completions send sender").encode()
    flat = "|".join(re.escape(w) for w in sorted(words))
    trie = alternation(words)
    assert trie != flat or len(words) == 1
    for tail in ("", WORD_END, r"\s*\("):
        expected = [m.span() for m in re.finditer(f"(?:{flat}){tail}".encode(), text)]
        assert [m.span() for m in re.finditer(f"(?:{trie}){tail}".encode(), text)] == expected
        assert expected or tail
