"""The abstract values of the flow analysis.

A `Value` is what the interpreter knows about an expression: the personal data it
may carry (`taints`, a set of labels) and what kind of object it is (`tags`: an
OpenAI client, a resource path, a person record, a project function ...).

Labels are either a concrete `Src` (personal data that entered at a known place)
or a symbolic `Par` (whatever the caller passes as parameter i), which is how a
function summary says "parameter 2 reaches the request in this helper".
Identity of a label ignores its path, so joins do not multiply paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable

from gdpr_lint.model import ClientConfig, FlowStep

MAX_PATH = 24


@dataclass(frozen=True, slots=True)
class Src:
    expr: str  # the source expression as written: "customer.email"
    category: str  # vocabulary category key
    confidence: str
    origin: FlowStep
    scope: str = field(default="", compare=False)  # function key where the data entered
    known: str | None = field(default=None, compare=False)  # expression usable at `scope` (for --fix)
    path: tuple[FlowStep, ...] = field(default=(), compare=False)

    def extend(self, *steps: FlowStep) -> "Src":
        # (the constructor, not dataclasses.replace: this runs for every label at every step)
        return Src(self.expr, self.category, self.confidence, self.origin, self.scope, self.known,
                   (self.path + steps)[-MAX_PATH:])


@dataclass(frozen=True, slots=True)
class Par:
    index: int
    name: str
    path: tuple[FlowStep, ...] = field(default=(), compare=False)
    key: str | None = None  # only this item of the parameter (`state["topic"]`), as a caller's dict holds it

    def extend(self, *steps: FlowStep) -> "Par":
        return Par(self.index, self.name, (self.path + steps)[-MAX_PATH:], self.key)


def item_of(taints: frozenset, key: str) -> frozenset:
    """The labels of `x[key]` / `x.get(key)`: of a parameter, only that item of what the caller
    passes (where the caller's dict is known); other labels stay as they are."""
    return frozenset(replace(t, key=key) if isinstance(t, Par) and t.key is None else t for t in taints)


@dataclass(frozen=True, slots=True)
class Red:
    """Personal data that was redacted (or hashed) on its way: `inner` passed through `via`,
    a sanitizer's qualified name. Not a leak; kept so the data map can list protected flows."""

    inner: "Src | Par"
    via: str

    @property
    def path(self) -> tuple[FlowStep, ...]:
        return self.inner.path

    def extend(self, *steps: FlowStep) -> "Red":
        return Red(self.inner.extend(*steps), self.via)


# A project redaction function's `via` lists the categories its patterns do not match
# ("app.privacy.mask_cpr (misses: email, name)": analysis/scrubbers.py); data of those
# passes through it as it is.
MISSES = " (misses: "


def redacted(labels: Iterable, via: str) -> frozenset:
    """The labels of a sanitizer's inputs, marked as redacted by `via` (already redacted ones
    stay; data of a category `via` misses stays raw)."""
    _, sep, rest = via.partition(MISSES)
    missed = frozenset(rest.rstrip(")").split(", ")) if sep else frozenset()
    return frozenset(lab if isinstance(lab, Red) or isinstance(lab, Src) and lab.category in missed
                     else Red(lab, via) for lab in labels)


Label = Src | Par | Red


def only_redacted(taints: Iterable) -> bool:
    """Data that all passed a redaction step (a redacted text written to a file and read
    back): its names no longer make it personal."""
    taints = list(taints)
    return bool(taints) and all(isinstance(t, Red) for t in taints)


def path_key(lab: Label) -> tuple:
    """Shorter paths first, then by source position: which of equal labels to keep."""
    return (len(lab.path), [(s.path, s.line, s.column, s.note) for s in lab.path])


def merge_labels(labels: Iterable[Label]) -> frozenset:
    """The labels as a set; where equal labels (same data, same origin) came by different
    paths, the shortest path (then the first in source order) is kept, so the reported
    path never depends on the order a set was iterated in (hash seeds differ per run)."""
    chosen: dict[Label, Label] = {}
    for lab in labels:
        old = chosen.get(lab)
        if old is None:
            chosen[lab] = lab
        elif old.path != lab.path and path_key(lab) < path_key(old):
            del chosen[old]
            chosen[lab] = lab
    return frozenset(chosen.values())


# --- object tags --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ext:
    """A name from outside the project: 'openai.OpenAI', 'json.dumps', 'groq.Groq'."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Inst:
    """An instance of an outside class ('openai.OpenAI' -> client), by qualified name."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Mod:
    """A project module."""

    name: str


@dataclass(frozen=True, slots=True)
class Imported:
    """A name bound by an import, resolved on first use (keeps unused imports free)."""

    base: str
    name: str | None  # None: `import base`


@dataclass(frozen=True, slots=True)
class Client:
    flavour: str  # openai-v1 | openai-v1-async | openai-azure | openai-azure-async
    protected: "bool | str" = False  # protect(): what it was handed over (analysis/protection.py)
    # where the client sends requests (base_url, azure_endpoint, ...); None: not known here
    config: "tuple[ClientConfig, ...] | None" = None


@dataclass(frozen=True, slots=True)
class Env:
    """The value is read from this environment variable (os.environ / os.getenv)."""

    var: str


@dataclass(frozen=True, slots=True)
class Res:
    """A resource or method reached from an OpenAI client: ('chat', 'completions', 'create')."""

    flavour: str
    path: tuple[str, ...]
    protected: "bool | str" = False
    confidence: str = "high"
    variants: tuple[str, ...] = ()  # with_raw_response / with_streaming_response
    config: "tuple[ClientConfig, ...] | None" = None  # of the client it was reached from


@dataclass(frozen=True, slots=True)
class Guess:
    """An attribute chain on something we could not resolve (a bare parameter)."""

    path: tuple[str, ...]
    root: str


@dataclass(frozen=True, slots=True)
class LangChain:
    kind: str  # chat | llm | embeddings | chain
    qualname: str
    method: str | None = None
    protected: "bool | str" = False


@dataclass(frozen=True, slots=True)
class Protected:
    """protect(<method>) : calling it is a protected request."""

    inner: "Res | LangChain | Ext"
    protection: "bool | str" = True  # what known= handed over (analysis/protection.py)


@dataclass(frozen=True, slots=True)
class Func:
    key: str  # "module:qualname"
    bound_self: "Value | None" = field(default=None, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Runs:
    """`lookup.invoke(...)` of a project function made a tool or runnable by a decorator
    (`@tool`): calling it runs the function (a plain function has no `invoke`)."""

    key: str


@dataclass(frozen=True, slots=True)
class Cls:
    key: str  # "module:qualname"


@dataclass(frozen=True, slots=True)
class Obj:
    """An instance of a project class."""

    cls: str


@dataclass(frozen=True, slots=True)
class Person:
    """A whole record about a natural person (`customer`, `patient`, a Patient instance)."""

    descr: str


@dataclass(frozen=True, slots=True)
class Const:
    """The value is one of these constant strings."""

    strings: frozenset[str]


@dataclass(frozen=True, slots=True)
class Partial:
    func: "Value" = field(compare=False, hash=False)
    # where it was made (module, positions; and, rebound by a factory's caller, where
    # that call is): by position, not by node, as a body's nodes may be made again
    # (pipeline/bodies.py)
    ident: tuple = ()
    # what functools.partial bound: positional values, then (keyword or None, value) pairs
    args: tuple = field(default=(), compare=False, hash=False)
    kwargs: tuple = field(default=(), compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Graph:
    """A LangGraph state graph (or the app compiled from it), by where it was built: running
    it calls the node functions added to it there (analysis/program/graph_state.py)."""

    module: str
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Tmpl:
    """A template whose text is known (`Template("...")`, a project template file): its
    rendering writes what its placeholders read from the arguments."""

    text: str


@dataclass(frozen=True, slots=True)
class FileHandle:
    """A file opened by a literal path: what is written to it can be read back from it
    (a JSONL batch file built from records, then uploaded)."""

    path: str


SANITIZED = "sanitized"  # personal data was redacted from this value
SCALAR = "scalar"  # a number / bool / aggregate: carries no text
HASHED = "hashed"  # a hash / pseudonymous id


@dataclass(frozen=True, slots=True)
class Flag:
    name: str


Tag = object


@dataclass(frozen=True, slots=True)
class Value:
    taints: frozenset = frozenset()
    tags: frozenset = frozenset()
    fields: tuple[tuple[str, "Value"], ...] | None = None  # dict literal with constant keys

    def __or__(self, other: "Value") -> "Value":
        return join(self, other)

    def has(self, kind: type) -> bool:
        for t in self.tags:  # a loop, not any(<generator>): asked a million times a run
            if isinstance(t, kind):
                return True
        return False

    def of(self, kind: type) -> list:
        return [t for t in self.tags if isinstance(t, kind)]

    def flag(self, name: str) -> bool:
        return _flag(name) in self.tags

    def srcs(self) -> list[Src]:
        return [t for t in self.taints if isinstance(t, Src)]

    def pars(self) -> list[Par]:
        return [t for t in self.taints if isinstance(t, Par)]

    def with_tags(self, *tags) -> "Value":
        return replace(self, tags=self.tags | frozenset(tags))

    def without_taint(self) -> "Value":
        return replace(self, taints=frozenset(), fields=None)

    def plain(self) -> "Value":
        """Only the data, not the object identity (e.g. the text of a str())."""
        return Value(self.taints, frozenset(t for t in self.tags if isinstance(t, Flag) and t.name == SANITIZED))

    def extend(self, *steps: FlowStep) -> "Value":
        if not self.taints:
            return self
        return Value(frozenset(t.extend(*steps) for t in self.taints), self.tags,
                     tuple((k, v.extend(*steps)) for k, v in self.fields) if self.fields else self.fields)

    def field(self, key: str) -> "Value | None":
        if self.fields is None:
            return None
        for k, v in self.fields:
            if k == key:
                return v
        return None


EMPTY = Value()
# A state object's member this function stores into, read before the store while what the
# store puts there is being worked out (Functions._summarise): nothing yet, not unknown. Told
# apart from EMPTY by identity; join treats it as empty.
PENDING = Value()
_FLAGS: dict[str, Flag] = {}


def _flag(name: str) -> Flag:
    """One Flag per name: a frozen dataclass is slow to build, and `flag()` asks often."""
    found = _FLAGS.get(name)
    if found is None:
        found = _FLAGS[name] = Flag(name)
    return found


_SANITIZED_FLAG = _flag(SANITIZED)
SCALAR_FLAG = _flag(SCALAR)
SCALAR_VALUE = Value(tags=frozenset({SCALAR_FLAG}))  # a number, bool or None (values are immutable: one will do)


def _only_scalar(v: Value) -> bool:
    """None, a number or a bool, and nothing else (however it was reached)."""
    return v.fields is None and not v.taints and v.tags == SCALAR_VALUE.tags


def join(a: Value, b: Value) -> Value:
    # the empty value by its parts: the dataclass's == builds and compares tuples (hot path)
    if a is b or (not b.taints and not b.tags and b.fields is None):
        return a
    if not a.taints and not a.tags and a.fields is None:
        return b
    fields = None
    if a.fields is not None and b.fields is not None:
        fields = merge_fields(a.fields, b.fields)
    elif _only_scalar(b) or _only_scalar(a):
        # an object or None (`except: item = None`): where a part of it is read, it is the
        # object, with the parts it was made with
        fields = a.fields if b.fields is None else b.fields
    tags = a.tags | b.tags
    # Sanitised only if every joined value was: raw data beside redacted text still leaks.
    if (_SANITIZED_FLAG in a.tags) != (_SANITIZED_FLAG in b.tags):
        tags = tags - {_SANITIZED_FLAG}
    return Value(a.taints | b.taints, tags, fields)


def merge_fields(a: tuple, b: Iterable[tuple[str, Value]]) -> tuple:
    """The fields of `a` with those of `b` joined in (a field of one side only as it is)."""
    merged: dict[str, Value] = dict(a)
    for k, v in b:
        merged[k] = join(merged[k], v) if k in merged else v
    return tuple(merged.items())


def join_all(values: Iterable[Value]) -> Value:
    out = EMPTY
    for v in values:
        out = join(out, v)
    return out
