"""Classes: definitions, person-like classes, members and per-instance stores
(`self.x = ...` in initialisers), typed fields (`EmailStr`).

A part of the whole-program side: `Project` (project.py) combines them.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from gdpr_lint.analysis.frame import Frame
from gdpr_lint.analysis.models import library_models
from gdpr_lint.analysis.program.entries import imported_surface_names
from gdpr_lint.analysis.program.symbols import (
    ClassInfo,
    FunctionInfo,
    ModuleInfo,
    decorator_texts,
    source_text,
    tree_fact,
)
from gdpr_lint.analysis.summaries import strip_params
from gdpr_lint.analysis.values import (
    EMPTY,
    Cls,
    Ext,
    Func,
    Src,
    Value,
    join,
)
from gdpr_lint.analysis.vocabulary import tokenize
from gdpr_lint.surfaces import registry as surfaces

MODELS = library_models()
INITIALISERS = frozenset({"__init__", "__post_init__", "__new__", "setUp", "setup", "__enter__", "__aenter__", "initialize", "initialise"})
FIELD_TYPE_CATEGORIES = {
    "EmailStr": "email", "EmailField": "email", "NameEmail": "email", "PhoneNumberField": "phone",
    "PhoneNumber": "phone", "IPAddressField": "ip_address", "GenericIPAddressField": "ip_address",
    "IPvAnyAddress": "ip_address", "PaymentCardNumber": "bank",
}


class Classes:

    def define_class(self, mod: ModuleInfo, node: ast.ClassDef, frame: Frame) -> ClassInfo:
        prefix = frame.func.qualname + ".<locals>." if frame.func else ""
        qualname = prefix + node.name
        key = f"{mod.name}:{qualname}:{node.lineno}"
        ci = self.classes.get(key)
        if ci is not None:
            return ci
        ci = ClassInfo(key, mod, qualname, node.name, node)
        self.classes[key] = ci
        ci.bases = [frame.eval(b) for b in node.bases]
        for b in ci.bases:
            for t in b.of(Cls):
                base = self.classes.get(t.key)
                if base is not None:
                    ci.methods.update(base.methods)
                    ci.field_categories.update(base.field_categories)
                    ci.weak_fields.update(base.weak_fields)
                    ci.person = ci.person or base.person
            # a user account model (Django's AbstractUser, flask_login's UserMixin)
            ci.person = ci.person or any(t.qualname in MODELS.person_bases for t in b.of(Ext))
        # The class's own name says whose fields these are: a Customer's name is a person's, a
        # Venue's address and switchboard phone or a Pet's diagnosis are not (an owner_name is).
        own_kind = None if ci.person else self.vocab.owner_kind(tokenize(node.name))
        ci.person = ci.person or own_kind == "person"
        for stmt in node.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
                self._meta_model(ci, stmt, frame)
        fields: list[tuple[str, ast.AST | None]] = []
        # names the module imports from a surface's library: only a field annotated with one
        # can be declared a client (the annotation is not evaluated for every field)
        surface_names = tree_fact(mod.source.tree, imported_surface_names) if mod.source.tree is not None else frozenset()
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                ci.methods[stmt.name] = self.define_function(mod, stmt, frame, ci)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                fields.append((stmt.target.id, stmt.annotation))
                value = strip_params(frame.eval(stmt.value)) if stmt.value is not None else None
                if surface_names and not surface_names.isdisjoint(_annotation_words(stmt.annotation)):
                    declared = frame.annotation_value(stmt.annotation)
                    if surfaces.owned(declared):
                        # `chat_client: AzureOpenAI = None`: whatever fills it later is that client
                        base = value if value is not None else EMPTY
                        value = Value(base.taints, declared.tags | base.tags)
                if value is not None:
                    ci.attrs[stmt.target.id] = value
            elif isinstance(stmt, ast.Assign):
                v = strip_params(frame.eval(stmt.value))
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        ci.attrs[t.id] = v
                        if isinstance(stmt.value, ast.Call):
                            fields.append((t.id, stmt.value.func))
        ci.field_order = [f for f, ann in fields if ann is not None and not isinstance(ann, ast.Call)]
        # A class whose fields are personal is a person record (dataclass, Pydantic, ORM model).
        kind = "person" if ci.person else own_kind
        # a stored chat message, comment or ticket: its text is what a person wrote
        head = tokenize(node.name)[-1:]
        written = bool(head) and (head[0] in self.vocab.written_records or head[0].rstrip("s") in self.vocab.written_records) \
            and self.stored_record(ci)
        for fname, ann in fields:
            type_name = source_text(mod.source.tree, ann).split(".")[-1].split("(")[0] if ann is not None else ""
            # a Venue's EmailField is the venue's address; a Pet's owner_email one of a person
            typed = kind not in ("thing", "animal") or any(t in self.vocab.person_owners for t in tokenize(fname))
            for tname, cat in FIELD_TYPE_CATEGORIES.items():
                if tname in type_name and typed:
                    ci.field_categories[fname] = cat
            m = self.vocab.classify(fname, (), kind)
            if m is not None and m.category.content:
                ci.field_categories.setdefault(fname, m.category.key)
            elif written and tokenize(fname)[-1:] and tokenize(fname)[-1] in self.vocab.written_fields:
                if fname not in ci.field_categories:  # ChatMessage.content
                    ci.field_categories[fname] = "free_text"
                    ci.weak_fields.add(fname)
        if not ci.person and own_kind not in ("thing", "animal") and any(
                (self.vocab.categories[c].direct_identifier or self.vocab.categories[c].special
                 or c in ("name", "date_of_birth", "national_id", "address"))
                and self.vocab.categories[c].content for c in ci.field_categories.values()):
            ci.person = True
            for fname, _ in fields:  # now that we know it is about a person, ambiguous fields count too
                m = self.vocab.classify(fname, (), "person")
                if m is not None and m.category.content:
                    ci.field_categories.setdefault(fname, m.category.key)
        return ci

    def _meta_model(self, ci: ClassInfo, meta: ast.ClassDef, frame: Frame) -> None:
        """A DRF ModelSerializer or Django ModelForm (`class Meta: model = Customer; fields =
        [...]`) holds the fields it names of its model: its `.data` / `.cleaned_data` is
        that part of the record."""
        model = None
        names: list[str] | None = None  # None: all fields
        excluded: list[str] = []
        for stmt in meta.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
                continue
            target, value = stmt.targets[0].id, stmt.value
            strings = [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)] \
                if isinstance(value, (ast.List, ast.Tuple)) else None
            if target == "model":
                model = next((self.classes.get(t.key) for t in frame.eval(value).of(Cls)), None)
            elif target == "fields" and strings is not None:
                names = strings
            elif target == "exclude" and strings is not None:
                excluded = strings
        if model is None:
            return
        cats = {f: c for f, c in model.field_categories.items()
                if (names is None or f in names) and f not in excluded}
        ci.field_categories.update(cats)
        if model.person and (names is None or cats):
            ci.person = True

    def stored_record(self, ci: ClassInfo) -> bool:
        """A database model: a base from an ORM package, a stored base class, or `__tablename__`."""
        if "__tablename__" in ci.attrs:
            return True
        for b in ci.bases:
            if any(t.qualname.split(".")[0] in MODELS.stored_record_packages
                   or any(t.qualname.startswith(p + ".") for p in MODELS.stored_record_packages) for t in b.of(Ext)):
                return True
            if any((base := self.classes.get(t.key)) is not None and base is not ci and self.stored_record(base)
                   for t in b.of(Cls)):
                return True
        return False

    def class_is_person(self, key: str) -> bool:
        ci = self.classes.get(key)
        return bool(ci and ci.person)

    def class_method(self, ci: ClassInfo, name: str) -> FunctionInfo | None:
        return ci.methods.get(name)

    def class_member(self, ci: ClassInfo, attr: str, self_value: Value | None) -> Value | None:
        if attr in ci.methods:
            fi = ci.methods[attr]
            decorators = decorator_texts(fi.module.source.tree, fi.node)
            if "property" in decorators or "cached_property" in decorators or "functools.cached_property" in decorators:
                if self_value is not None:
                    return self.property_value(fi, self_value)
            return Value(tags=frozenset({Func(fi.key, self_value if fi.is_method else None)}))
        self.ensure_class_store(ci)
        if attr in ci.attrs:
            return ci.attrs[attr]
        for b in ci.bases:
            for t in b.of(Cls):
                base = self.classes.get(t.key)
                if base is not None and base is not ci:
                    v = self.class_member(base, attr, self_value)
                    if v is not None:
                        return v
        return None

    def property_value(self, fi: FunctionInfo, self_value: Value) -> Value:
        summ = self.summary(fi)
        return Value(frozenset(t for t in summ.ret.taints if isinstance(t, Src)), summ.ret.tags)

    def ensure_class_store(self, ci: ClassInfo) -> None:
        """Collect `self.x = ...` from every method before any method reads `self.x`."""
        if ci.store_state == "ready":
            self.touch_all(ci.deps)
        if ci.store_state != "new":
            return
        ci.store_state = "collecting"
        rec = self.recording()
        rec.add(("m", ci.module.name))
        try:
            self._collect_class_store(ci)
        finally:
            ci.deps = self.stop_recording(rec)
        ci.store_state = "ready"

    def _collect_class_store(self, ci: ClassInfo) -> None:
        order = sorted(ci.methods.values(), key=lambda f: (f.name not in INITIALISERS, f.node.lineno))
        for fi in order:
            if fi.cls is not ci:
                continue
            if fi.name in INITIALISERS:
                self.bound_frame(fi).run_block(fi.node.body)
                continue
            # elsewhere only the `self.x = ...` statements matter; evaluate just those (a
            # method without any needs no frame: its parameters' annotations are not read)
            stores = _self_stores(fi.node, fi.param_names[0] if fi.param_names else "self", fi.module)
            if not stores:
                continue
            frame = self.bound_frame(fi)
            for stmt in stores:
                frame.stmt(stmt)

    def stored_parameters(self, fi: FunctionInfo) -> tuple[tuple[int, tuple[str, ...]], ...]:
        """(parameter, attributes) for the parameters a method stores on `self` as they are
        (`self.llm = llm`): a constructor keeping the client or model it is given."""
        if fi.stored_params is None:
            by_name: dict[str, list[str]] = {}
            first = fi.param_names[0] if fi.param_names else "self"
            for stmt in _self_stores(fi.node, first, fi.module):
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name):
                    for t in stmt.targets:
                        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == first:
                            by_name.setdefault(stmt.value.id, []).append(t.attr)
            fi.stored_params = tuple((i, tuple(by_name[n])) for i, n in enumerate(fi.param_names) if i and n in by_name)
        return fi.stored_params

    def class_attr_set(self, key: str, attr: str, value: Value) -> None:
        ci = self.classes.get(key)
        if ci is None:
            return
        old = ci.attrs.get(attr)
        ci.attrs[attr] = value if old is None else join(old, value)


def _self_stores(node: ast.AST, self_name: str, mod: ModuleInfo) -> list[ast.stmt]:
    """The `self.x = ...` assignments anywhere in a method, in `ast.walk` order. Kept on the
    syntax tree, which the projects of a process share (a class is collected once per
    project). A method whose text spells no such assignment is not walked."""
    memo = node.__dict__.setdefault("_gdpr_self_stores", {})
    hit = memo.get(self_name)
    if hit is None:
        if not _may_store(node, self_name, mod):
            hit = memo[self_name] = []
            return hit
        hit = memo[self_name] = [
            stmt for stmt in ast.walk(node)
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None
            and any(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == self_name
                    for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]))]
    return hit


_LINE_END = re.compile(r"\r\n|\r|\n")  # the line ends the parser counts (not form feeds)


def _may_store(node: ast.AST, self_name: str, mod: ModuleInfo) -> bool:
    """Whether the method's text can hold `<self>.<attr> =` or `<self>.<attr>: T = ...`
    (a superset: strings, comments and comparisons are not told apart; text that is not
    plain ASCII is always walked, as identifiers are read in NFKC form)."""
    tree = mod.source.tree
    start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    if tree is None or start is None or end is None:
        return True
    lines = tree.__dict__.get("_gdpr_lines")
    if lines is None:
        lines = tree.__dict__["_gdpr_lines"] = _LINE_END.split(mod.source.text)
    text = "\n".join(lines[start - 1:end])
    if not text.isascii():
        return True
    return _store_pattern(self_name).search(text) is not None


@lru_cache(maxsize=64)
def _store_pattern(self_name: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(self_name) + r"[\s\\]*\.[\s\\]*[A-Za-z_]\w*[\s\\)]*(?::|=(?!=))")


def _annotation_words(node: ast.expr) -> set[str]:
    """The names an annotation spells (`Optional[openai.AzureOpenAI]`, `"AzureOpenAI"`)."""
    words = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            words.add(n.id)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            words.update(re.findall(r"\w+", n.value))
    return words
