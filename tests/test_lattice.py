"""Unit tests of the value lattice (analysis/values.py), the summaries' parameter
labels (analysis/summaries.py) and the library models (rules/library_models.toml)."""

from __future__ import annotations

from gdpr_lint.analysis.models import library_models
from gdpr_lint.analysis.summaries import strip_params
from gdpr_lint.analysis.values import (
    EMPTY, SANITIZED, Client, Flag, Par, Person, Red, Src, Value, join, join_all, redacted,
)
from gdpr_lint.model import FlowStep

STEP = FlowStep("app.py", 3, 5, "`customer.email` (email)")
EMAIL = Src("customer.email", "email", "high", STEP)
NAME = Src("customer.name", "name", "high", STEP)
PAR0 = Par(0, "text")


def v(*taints, tags=(), fields=None) -> Value:
    return Value(frozenset(taints), frozenset(tags), fields)


def test_join_is_a_union_of_data_and_kinds():
    a, b = v(EMAIL, tags=[Person("customer")]), v(NAME, tags=[Client("openai-v1")])
    j = join(a, b)
    assert j.taints == {EMAIL, NAME} and j.tags == {Person("customer"), Client("openai-v1")}
    assert join(a, b) == join(b, a)  # commutative
    assert join(a, a) == a  # idempotent
    assert join(join(a, b), v(PAR0)) == join(a, join(b, v(PAR0)))  # associative
    assert join(a, EMPTY) is a and join(EMPTY, b) is b  # EMPTY is the bottom
    empty_dict = v(fields=())  # `{}`: known to have no keys, which EMPTY does not say
    assert join(EMPTY, empty_dict) is empty_dict and join(empty_dict, EMPTY) is empty_dict
    assert join(empty_dict, v(fields=(("email", v(EMAIL)),))).fields == (("email", v(EMAIL)),)
    assert join(empty_dict, v(EMAIL)).fields is None


def test_redaction_on_one_branch_only_is_not_a_redaction():
    clean = v(tags=[Flag(SANITIZED)])
    raw = v(EMAIL)
    assert not join(clean, raw).flag(SANITIZED)
    assert not join(raw, clean).flag(SANITIZED)
    assert join(clean, v(tags=[Flag(SANITIZED)])).flag(SANITIZED)


def test_fields_join_key_by_key():
    a = v(fields=(("email", v(EMAIL)),))
    b = v(fields=(("email", v(NAME)), ("phone", EMPTY)))
    j = join(a, b)
    assert j.field("email").taints == {EMAIL, NAME}
    assert j.field("phone") == EMPTY and j.field("missing") is None
    assert join(a, v(EMAIL)).fields is None  # one side unknown: no field knowledge survives


def test_label_identity_ignores_the_path():
    moved = EMAIL.extend(FlowStep("app.py", 9, 1, "assigned to `prompt`"))
    assert moved == EMAIL and moved.path and not EMAIL.path
    assert len(join_all([v(EMAIL), v(moved)]).taints) == 1


def test_plain_keeps_the_data_and_the_redaction_mark_only():
    p = v(EMAIL, tags=[Person("customer"), Flag(SANITIZED), Client("openai-v1")]).plain()
    assert p.taints == {EMAIL} and p.tags == {Flag(SANITIZED)}


def test_redacted_marks_labels_once():
    once = redacted({EMAIL, PAR0}, "scrubadub.clean")
    assert once == {Red(EMAIL, "scrubadub.clean"), Red(PAR0, "scrubadub.clean")}
    assert redacted(once, "other.scrub") == once  # already redacted labels stay as they are


def test_strip_params_drops_symbolic_labels_only():
    mixed = v(EMAIL, PAR0, Red(PAR0, "x.scrub"), Red(NAME, "x.scrub"), fields=(("body", v(PAR0, NAME)),))
    out = strip_params(mixed)
    assert out.taints == {EMAIL, Red(NAME, "x.scrub")}
    assert out.field("body").taints == {NAME}
    concrete = v(EMAIL)
    assert strip_params(concrete) is concrete


def test_library_models_load_and_do_not_overlap_where_it_would_be_ambiguous():
    m = library_models()
    for name in m.__dataclass_fields__:
        assert getattr(m, name), f"{name} is empty"
    # a call is either scalar (no data) or a serialiser (all data), never both
    assert not m.scalar_calls & m.serialiser_calls
    assert not m.scalar_calls & m.container_calls
    assert "json.dumps" in m.serialiser_calls and "model_dump_json" in m.serialiser_methods
