"""The interpreter on its own: a Frame runs one function body against a small stand-in
for the whole program (analysis/context.py is the only way a frame reaches it), so its
rules can be tested without modules, imports or summaries."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from gdpr_lint.analysis.frame import Frame
from gdpr_lint.analysis.program.symbols import FunctionInfo, ModuleInfo
from gdpr_lint.analysis.values import EMPTY, SANITIZED, Ext, Par, Person, Red, Value
from gdpr_lint.analysis.vocabulary import default_vocabulary
from gdpr_lint.model import FlowStep
from gdpr_lint.pipeline.source import SourceFile
from gdpr_lint.surfaces.catalogue import sanitizers


class StandIn:
    """The least a frame needs of the program: no other modules, classes or functions."""

    def __init__(self) -> None:
        self.vocab = default_vocabulary()
        self.sanitizers = sanitizers()
        self.extra_sanitizers: frozenset[str] = frozenset()
        self.configured_sinks: dict = {}
        self.functions: dict = {}
        self.classes: dict = {}
        self.sites: dict = {}
        self.requests: list = []

    def touch(self, item):
        pass

    def final_global(self, mod, name):
        return True

    def global_value(self, mod, name):
        return None

    def resolve_imported(self, value):
        return EMPTY

    def global_stores(self, mod, name):
        return None  # no other functions store into this module's globals

    def record_global_store(self, mod, name, value):
        return None

    def class_member(self, ci, attr, self_value):
        return None

    def class_is_person(self, key):
        return False

    def protect_value(self, inner):
        return EMPTY

    def detect_request(self, frame, node, fval, args, kwargs):
        return None


def run(source: str, params: dict[str, Value] | None = None) -> tuple[Frame, ast.FunctionDef]:
    text = textwrap.dedent(source)
    tree = ast.parse(text)
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    src = SourceFile(Path("app.py"), "app.py", text, text.encode(), tree)
    mod = ModuleInfo("app", src, package=False, state="ready")
    fi = FunctionInfo("app:f:1", mod, func.name, func, None, None, [a.arg for a in func.args.args], False)
    frame = Frame(StandIn(), mod, fi)
    for name, value in (params or {}).items():
        frame.env[name] = value
    frame.run_block(func.body)
    return frame, func


def returned(frame: Frame) -> set[tuple[str, str]]:
    return {(s.expr, s.category) for s in frame.ret.srcs()}


def test_an_attribute_of_a_person_is_personal_data_by_its_name():
    frame, _ = run('''
        def f(customer):
            return f"Dear {customer.first_name}, we wrote to {customer.email}"
        ''', {"customer": Value(tags=frozenset({Person("customer")}))})
    assert returned(frame) == {("customer.first_name", "name"), ("customer.email", "email")}


def test_the_owner_decides_a_product_name_is_not_a_person_name():
    frame, _ = run('''
        def f(product):
            return f"Describe {product.name}"
        ''')
    assert returned(frame) == set()


def test_data_flows_through_variables_and_containers():
    frame, _ = run('''
        def f(patient):
            note = "Diagnosis: " + patient.diagnosis
            messages = []
            messages.append({"role": "user", "content": note})
            return messages
        ''', {"patient": Value(tags=frozenset({Person("patient")}))})
    assert ("patient.diagnosis", "health") in returned(frame)


def test_a_branch_that_redacts_does_not_clean_the_other():
    frame, _ = run('''
        def f(customer, safe):
            if safe:
                text = "[redacted]"
            else:
                text = customer.email
            return text
        ''', {"customer": Value(tags=frozenset({Person("customer")}))})
    assert returned(frame) == {("customer.email", "email")}


def test_a_known_sanitizer_redacts_what_it_is_given():
    customer = Value(tags=frozenset({Person("customer")}))
    frame, _ = run('''
        def f(customer):
            return scrubadub.clean(customer.email)
        ''', {"customer": customer, "scrubadub": Value(tags=frozenset({Ext("scrubadub")}))})
    assert returned(frame) == set()
    assert frame.ret.flag(SANITIZED)
    assert {(t.inner.expr, t.via) for t in frame.ret.taints if isinstance(t, Red)} == {
        ("customer.email", "scrubadub.clean")}


def test_a_parameter_reaching_one_request_parameter_along_several_paths_is_one_sink():
    # each sink is applied at every call of the function: kept once, by its shortest path
    step = [FlowStep("app.py", line, 5, f"step {line}") for line in range(1, 5)]
    longer, shorter, tie = Par(0, "note", tuple(step[1:4])), Par(0, "note", (step[2],)), Par(0, "note", (step[3],))
    for order in ([longer, shorter, tie], [tie, longer, shorter], [shorter, tie, longer]):
        frame, _ = run('''
            def f(note):
                return None
            ''')
        for par in order:
            frame.emit("app:site:3", "content", "input", par, frame.scope)
        frame.emit("app:site:3", "content", "instructions", longer, frame.scope)  # another request parameter
        frame.emit("app:site:3", "content", "input", Red(longer, "scrubadub.clean"), frame.scope)  # redacted: its own sink
        sinks = list(frame.sinks.values())
        assert [(s.param, s.via) for s in sinks] == [("input", ""), ("instructions", ""), ("input", "scrubadub.clean")]
        assert sinks[0].par.path == (step[2],)  # the shortest, then the first in source order
