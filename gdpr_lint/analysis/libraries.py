"""Outside callables: how library calls carry data (rules/library_models.toml), SQL
and data files as sources, templates, sanitizers and `protect()`.

A part of the interpreter: `Frame` (analysis/frame.py) combines them.
"""

from __future__ import annotations

import ast
import re

from gdpr_lint.analysis import protection
from gdpr_lint.analysis.models import library_models
from gdpr_lint.analysis.values import (
    FileHandle,
    Graph,
    Imported,
    EMPTY,
    HASHED,
    SANITIZED,
    SCALAR_VALUE,
    Cls,
    Const,
    Env,
    Ext,
    Flag,
    Func,
    Inst,
    LangChain,
    Mod,
    Obj,
    Partial,
    Person,
    Protected,
    Res,
    Src,
    Tmpl,
    Value,
    item_of,
    join,
    join_all,
)
from gdpr_lint.analysis.scrubbers import location_rules, redacted_location
from gdpr_lint.analysis.vocabulary import tokenize
from gdpr_lint.surfaces import registry as surfaces

_DATA_FILE = re.compile(r"([\w-]+)\.(?:csv|tsv|jsonl?|ndjson|xlsx?|parquet|txt|xml|pdf|docx?|ya?ml)\b", re.I)
_SQL_SELECT = re.compile(r"\s*select\s+(?:distinct\s+)?(.+?)\s+from\s+([\w.\"`\[\]]+)", re.I | re.S)
# How outside calls carry data (rules/library_models.toml)
MODELS = library_models()


class Libraries:

    def sql_value(self, node: ast.Call) -> Value:
        """`execute("SELECT email, name FROM customers")`: the rows hold what the query selects."""
        if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
            return EMPTY
        m = _SQL_SELECT.match(node.args[0].value)
        if m is None:
            return EMPTY
        columns, table = m.group(1), m.group(2).split(".")[-1].strip('"`[]')
        table_toks = tokenize(table)
        person_table = self.vocab.owner_kind(table_toks) == "person"
        out = EMPTY
        for col in columns.split(","):
            col = re.split(r"\s+as\s+|\s+", col.strip(), flags=re.I)[-1].split(".")[-1].strip('"`[]')
            if col == "*":
                if person_table:
                    out = out.with_tags(Person(table))
                continue
            cm = self.vocab.classify(col, table_toks, "person" if person_table else None)
            if cm is not None and cm.category.content:
                out = Value(out.taints | {self.source(node.args[0], f"{table}.{col}", cm.category.key, cm.confidence,
                                                      note=f"column `{table}.{col}` selected by SQL ({cm.category.label})",
                                                      known=False)}, out.tags)
        return out

    def file_value(self, node: ast.Call) -> Value:
        """`open("patients.csv")`, `pd.read_csv("customer_export.csv")`: a file of personal records."""
        arg = node.args[0]
        if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
            return EMPTY
        m = _DATA_FILE.search(arg.value)
        if m is None:
            return EMPTY
        toks = tokenize(m.group(1))
        name = m.group(0)
        if self.vocab.owner_kind(toks) != "person" and not any(t in self.vocab.person_owners for t in toks):
            # a file named for what it holds about someone: `resume.yaml`, `transcripts.json`
            cm = self.vocab.classify(toks)
            if cm is None or not cm.category.content or cm.category.key in ("record", "upload"):
                return EMPTY
            return Value(frozenset({self.source(arg, name, cm.category.key, "medium", known=False,
                                                note=f"file `{name}` ({cm.category.label})")}))
        return Value(frozenset({self.source(arg, name, "record", "medium", known=False,
                                            note=f"file `{name}` (records about people)")}))

    def projection(self, recv: Value, owner: ast.AST, keys: list[str], node: ast.AST, how: str = "[{!r}]") -> Value:
        """Only the named fields of a record or table (`df[["plan", "churn"]]`,
        `Customer.objects.values("plan")`): what they hold, not the whole record."""
        shown = self.text(owner)
        kept = frozenset(lab for lab in recv.taints if not isinstance(lab, Src) or _field_of(lab.expr) in keys)
        return join_all([Value(kept)] + [self.classify_member(recv, owner, k, node, shown + how.format(k))
                                         for k in keys])

    def dropped_columns(self, node: ast.Call) -> list[str]:
        """`df.drop(columns=["email"])`, `df.drop(["email"], axis=1)`: the columns removed."""
        cols = next((k.value for k in node.keywords if k.arg == "columns"), None)
        if cols is None and node.args and any(k.arg == "axis" and isinstance(k.value, ast.Constant)
                                              and k.value.value in (1, "columns") for k in node.keywords):
            cols = node.args[0]
        if isinstance(cols, ast.Constant):
            return _constant_strings([cols]) or []
        return _constant_strings(cols.elts) or [] if isinstance(cols, (ast.List, ast.Tuple)) else []

    def without_columns(self, recv: Value, owner: ast.AST, dropped: list[str]) -> Value:
        """A table without the personal columns it named: what identified people is gone (the
        whole record and those columns); a drop of non-personal columns changes nothing."""
        _, kind = self.owner_of(recv, owner)
        if not any((m := self.vocab.classify(c, (), kind or "person")) is not None and m.category.content
                   for c in dropped):
            return recv
        kept = frozenset(lab for lab in recv.taints if not isinstance(lab, Src)
                         or lab.category != "record" and _field_of(lab.expr) not in dropped)
        return Value(kept, frozenset(t for t in recv.tags if not isinstance(t, (Person, Obj))))

    def rows_of_models(self, args: list[Value], runs: bool) -> Value | None:
        """Rows of the project model classes a query is given (`session.get(Patient, pid)`), or
        (`runs`) of the query it runs (`session.execute(select(Customer))`); None when it is given
        neither (`scores.get(customer)` is not a row of customers)."""
        tags: set = set()
        for a in args:
            for t in a.tags:
                key = t.key if isinstance(t, Cls) else t.cls if isinstance(t, Obj) and runs else None
                ci = self.ctx.classes.get(key) if key is not None else None
                if ci is not None:
                    tags.add(Obj(ci.key))
                    if ci.person:
                        tags.add(Person(ci.name))
        return Value(join_all(args).taints, frozenset(tags)) if tags else None

    def template_texts(self, arg: Value, files: bool) -> str | None:
        """The template text an argument gives: its constant text, or (`files`) the text of
        the project's template file it names; None when not known."""
        if not arg.has(Const):
            return None
        strings = sorted(arg.of(Const)[0].strings)
        if not files:
            return "\n".join(strings)
        found = [self.ctx.template_text(s) for s in strings if len(s) < 300 and "\n" not in s and "{" not in s]
        return "\n".join(t for t in found if t is not None) if found and None not in found else None

    def upload_source(self, node: ast.AST):
        """A file the application's users upload: personal by what it is (a CV, an ID scan,
        a recorded call), medium confidence as its content is not seen."""
        expr = self.text(node)
        return self.source(node, expr, "upload", "medium", known=False,
                           note=f"`{expr}` (a file uploaded by a user)")

    def typed_input(self, node: ast.Call) -> Value | None:
        """What a person types into an input labelled with personal data (`input("Your
        e-mail: ")`, `st.text_area("Consultation notes")`): that data, medium confidence."""
        label = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg in ("label", "prompt", "message", "text")), None)
        if not (isinstance(label, ast.Constant) and isinstance(label.value, str)):
            return None
        text = label.value.strip().rstrip(":?>").strip()
        if not text or len(text) > 60:
            return None
        m = self.vocab.classify(text) or self.vocab.classify_label(text + ":") or self.vocab.purpose_in(text)
        if m is None:
            return None
        expr = self.text(node)
        if len(expr) > 50:
            expr = f"{self.text(node.func)}({label.value.strip()!r})"
        return Value(frozenset({self.source(node, expr, m.category.key, "medium", known=False,
                                            note=f"`{expr}` ({m.category.label}: what a person types in, by its label)")}))

    def message_source(self, node: ast.AST, what: str) -> Value:
        """An e-mail, a helpdesk ticket, an issue: what people wrote, about themselves or
        others, whatever the variable is called (`data`, `body`, `text`)."""
        expr = self.text(node)
        if len(expr) > 40 and isinstance(node, ast.Call):
            expr = f"{self.text(node.func)}(...)"
        return Value(frozenset({self.source(node, expr, "free_text", "medium", known=False,
                                            note=f"`{expr}` ({what}: free text people wrote)")}))

    def opened_file(self, node: ast.Call) -> Value | None:
        """`open("batch.jsonl", "w")`: a handle whose writes are kept; read back, the data
        written to that path (only literal paths; a path computed at run time is unknown)."""
        target = open_target(node)
        if target is None:
            return None
        path, writes = target
        handle = FileHandle(path)
        if writes:
            return Value(tags=frozenset({handle}))
        stored = self.ctx.file_contents(path)
        if not stored:
            return None
        step = self.step(node, f"read back from `{path}`")
        return Value(frozenset(lab.extend(step) for lab in stored), frozenset({handle}))

    def write_to_file(self, handle: Value, data: Value, node: ast.AST) -> None:
        for h in handle.of(FileHandle):
            step = self.step(node, f"written to `{h.path}`")
            self.ctx.write_file(h.path, frozenset(lab.extend(step) for lab in data.taints))

    def generic_call(self, node: ast.Call, recv: Value | None, args: list[Value], kwargs) -> Value:
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        fname = method or getattr(node.func, "id", "")
        if method is not None and MODELS.message_chains:
            what = MODELS.message_chains.get(method_chain(node))
            if what is not None:  # service.users().messages().get(userId="me", id=...)
                return self.message_source(node, what)
        read = self.location_read(fname, recv, args, kwargs)
        if read is not None:
            return read
        if method is not None:
            ran = self.run_callable(method, node, args, kwargs)
            if ran is not None:
                return ran
        if fname == "open":
            opened = self.opened_file(node)
            if opened is not None:
                data_file = self.file_value(node) if node.args else EMPTY
                return join(opened, data_file)
        if node.args and fname in MODELS.file_readers:
            data_file = self.file_value(node)
            if data_file != EMPTY:
                return data_file
        sql = self.sql_value(node) if node.args else EMPTY
        if sql != EMPTY:
            if method in ("execute", "executemany") and isinstance(node.func.value, ast.Name):
                # cursor.execute(sql); cursor.fetchall() - the cursor now yields those rows
                old = self.lookup(node.func.value.id)
                self.env[node.func.value.id] = Value(old.taints | sql.taints, old.tags | sql.tags)
            return sql
        if fname in MODELS.renderer_methods and (method is None or recv is None):
            for i, a in enumerate(args[:2]):  # render_template("letter.j2", ...): a project file
                text = self.template_texts(a, files=True)
                if text is not None:
                    return self.render_with(text, node, args, kwargs, skip=i)
            rendered = [self.materialise(a, n) for a, n in zip(args, node.args)]
            rendered += [self.materialise(v, n) for _, v, n in kwargs]
            return join_all(r.plain() for r in rendered)
        if fname in MODELS.query_calls:
            rows = self.rows_of_models(args[:1], runs=fname in MODELS.query_runs)
            if rows is not None:
                return rows
        if method in MODELS.row_methods and recv is not None and (recv.has(Person) or recv.has(Obj)):
            return Value(recv.taints, frozenset(t for t in recv.tags if isinstance(t, (Person, Obj))))
        if method is not None and recv is not None:
            named = _constant_strings(node.args) if method in MODELS.projection_methods else None
            if named and (recv.has(Obj) or recv.has(Person)):
                return self.projection(recv, node.func.value, named, node, f".{method}({{!r}})")
            if method in MODELS.column_drop_methods and (recv.has(Person) or recv.has(Obj) or any(
                    isinstance(lab, Src) and lab.category == "record" for lab in recv.taints)):
                dropped = self.dropped_columns(node)
                if dropped:
                    return self.without_columns(recv, node.func.value, dropped)
            if method in MODELS.mutator_methods:
                added = join_all([a for a in args] + [v for _, v, _ in kwargs])
                added = self.materialise(added, node) if added.has(Person) else added
                if recv.has(FileHandle):
                    self.write_to_file(recv, added, node)
                self.update_target(node.func.value, added, node)
                return EMPTY
            if method in ("format", "format_map", "substitute", "safe_substitute"):
                return self.format_call(node, recv, args, kwargs)
            if method in MODELS.renderer_methods and recv.has(Tmpl):
                text = "\n".join(sorted(t.text for t in recv.of(Tmpl)))
                return join(recv.plain(), self.render_with(text, node, args, kwargs))
            if method in MODELS.renderer_methods:
                # a template rendered with a person record writes (some of) its fields
                rendered = [self.materialise(a, n) for a, n in zip(args, node.args)]
                rendered += [self.materialise(v, n) for _, v, n in kwargs]
                return join_all([recv.plain()] + [r.plain() for r in rendered])
            if method in ("get", "pop", "setdefault") and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                key = node.args[0].value
                fv = recv.field(key)
                if fv is not None:
                    return join(fv, join_all(args[1:]))
                member = self.classify_member(recv, node.func.value, key, node)
                return join_all([Value(item_of(recv.taints, key)), member] + args[1:])
            if method == "get" and node.args and recv.fields is not None:
                return join_all([self.any_entry(recv)] + args[1:])
            if method in MODELS.serialiser_methods:
                return self.materialise(recv, node.func.value).plain()
            if method.startswith(("get_", "get")) and not node.args and (recv.has(Person) or recv.has(Obj)):
                # a getter on a record: customer.get_full_name(), user.getEmail()
                member = self.classify_member(recv, node.func.value, method[4:] if method.startswith("get_") else method[3:], node)
                if member.taints:
                    return Value(recv.taints | member.taints)
            if method == "join":
                return join_all([recv.plain()] + [self.materialise(a, n) for a, n in zip(args, node.args)]).plain()
            if method in ("items", "values", "keys"):
                fields_taint = join_all(v for _, v in recv.fields) if recv.fields else EMPTY
                return Value(recv.taints | fields_taint.taints, frozenset(t for t in recv.tags if isinstance(t, (Person, Obj))))
            keep = frozenset(t for t in recv.tags if isinstance(t, Flag) and t.name in (SANITIZED, HASHED)) \
                if method in MODELS.keep_mark_methods or not any(a.taints for a in args) else frozenset()
            if method in ("count", "index", "find", "startswith", "endswith", "isdigit", "__len__"):
                return SCALAR_VALUE
            return Value(join_all([recv.plain()] + [a.plain() for a in args] + [v.plain() for _, v, _ in kwargs]).taints, keep)
        return Value(join_all([a.plain() for a in args] + [v.plain() for _, v, _ in kwargs]).taints)

    def format_call(self, node: ast.Call, tmpl: Value, args: list[Value], kwargs) -> Value:
        """`TEMPLATE.format(name=..., **person)`: placeholders and keywords name the data."""
        import string

        text = next(iter(tmpl.of(Const)[0].strings), "") if tmpl.has(Const) else ""
        out = [tmpl.plain()]
        fields: list[tuple[str, str]] = []  # (field name, literal text before it)
        if text:
            try:
                if isinstance(node.func, ast.Attribute) and node.func.attr in ("substitute", "safe_substitute"):
                    import re
                    pos = 0
                    for m in re.finditer(r"\$\{?([_a-zA-Z][_a-zA-Z0-9]*)\}?", text):
                        fields.append((m.group(1), text[pos:m.start()]))
                        pos = m.end()
                else:
                    for literal, fname, _, _ in string.Formatter().parse(text):
                        if fname is not None:
                            fields.append((fname.split(".")[0].split("[")[0], literal or ""))
            except ValueError:
                fields = []
        before = {name: lit for name, lit in fields}
        for i, (a, anode) in enumerate(zip(args, node.args)):
            lit = before.get(str(i), "") or (fields[i][1] if i < len(fields) and fields[i][0] == "" else "")
            out.append(self.interpolate(a, anode, lit))
        for k, v, vnode in kwargs:
            if k is None:
                out.append(v.plain())
                if v.fields is None and not v.srcs():
                    # **mapping we cannot see into: the template's field names say what it holds
                    for fname, lit in fields:
                        m = self.vocab.classify(fname)
                        if m is None:
                            m = self.vocab.classify_label(lit)
                        if m is not None and m.category.content:
                            out.append(Value(frozenset({self.source(
                                vnode, f"{self.text(vnode)}[{fname!r}]", m.category.key, "medium",
                                note=f"`{self.text(vnode)}` fills template field {{{fname}}} ({m.category.label})",
                                known=False)})))
                continue
            v = self.interpolate(v, vnode, before.get(k, ""))
            if not v.srcs():
                v = self.key_evidence(k, v, vnode)
            out.append(v)
        return join_all(out).plain()

    def location_read(self, fname: str, recv: Value | None, args: list[Value], kwargs) -> Value | None:
        """A path built on, or a file read from, a place named as holding redacted data
        (`Path("anonymised_emails").glob("*.txt")`, `open(f"{REDACTED_DIR}/{name}")`): what
        is read there is redacted text (analysis/scrubbers.py). None: not such a read."""
        if fname not in location_rules().calls:
            return None
        vals = list(args) + [v for _, v, _ in kwargs] + ([recv] if recv is not None else [])
        if any(v.srcs() for v in vals):
            return None  # raw personal data in the path itself
        if not any(v.flag(SANITIZED) or any(redacted_location(s) for c in v.of(Const) for s in c.strings)
                   for v in vals):
            return None
        return Value(join_all(v.plain() for v in vals).taints, frozenset({Flag(SANITIZED)}))

    def run_callable(self, name: str, node: ast.Call, args: list[Value], kwargs) -> Value | None:
        """A library call that runs a callable it is given (`asyncio.to_thread(fn, *args)`,
        `pool.submit(fn, x)`, `map(redact, notes)`: rules/library_models.toml): what calling
        it there would do, the request it sends included (reported at the callable)."""
        method = name.split("#")[-1] if "#" in name else name.rsplit(".", 1)[-1]
        runners, mappers = MODELS.callable_runners, MODELS.callable_mappers
        mapper = name in mappers or method in mappers and "." not in method
        i = 0 if mapper else runners.get(name, runners.get(method) if "." not in method else None)
        if i is None or len(node.args) <= i + (1 if mapper else 0) \
                or any(isinstance(a, ast.Starred) for a in node.args[:i + 2]):
            return None
        fn = args[i]
        if not any(isinstance(t, (Func, Ext, Partial, Res, LangChain, Protected)) for t in fn.tags):
            return None
        # the call as it runs, placed at the callable (the runner itself is not the request)
        one = ast.Call(func=node.args[i], args=node.args[i + 1:], keywords=node.keywords)
        ast.copy_location(one, node.args[i])
        one.end_lineno, one.end_col_offset = node.args[i].end_lineno, node.args[i].end_col_offset
        one.ran_by = name  # type: ignore[attr-defined]  # not a call in the source: --fix leaves it
        if mapper:
            return self.call(one, fn, None, [self.element(args[i + 1])] + args[i + 2:], kwargs)
        return self.call(one, fn, None, args[i + 1:], kwargs)

    def graphs_named(self, graph_id: Value) -> list[Graph]:
        """The project's graphs a deployment id (a string constant) names."""
        return sorted({g for n in _strings_of(graph_id) for g in self.ctx.graphs_by_id(n)},
                      key=lambda g: (g.module, g.line, g.col))

    def call_external(self, q: str, node: ast.Call, args: list[Value], kwargs, recv: Value | None) -> Value | None:
        read = self.location_read(q.rsplit(".", 1)[-1].split("#")[-1], recv, args, kwargs)
        if read is not None:
            return read
        ran = self.run_callable(q, node, args, kwargs)
        if ran is not None:
            return ran
        if q in MODELS.state_updates:  # Command(goto=..., update={...}): the update is what the node returns
            update = next((v for k, v, _ in kwargs if k == "update"), None)
            if update is not None:
                return update
        if q in MODELS.state_sends:  # Send("draft", {"item": row}): that node runs on the payload
            target = args[0] if args else next((v for k, v, _ in kwargs if k == "node"), EMPTY)
            payload = args[1] if len(args) > 1 else next((v for k, v, _ in kwargs if k == "arg"), EMPTY)
            for name in _strings_of(target):
                for fi in self.ctx.sent_to(self.module, name):
                    self.apply(fi, node, [payload], [], None)
            return payload
        if q in MODELS.state_graphs:  # StateGraph(State): a graph its module adds nodes to
            return Value(tags=frozenset({Graph(self.module.name, node.lineno, node.col_offset)}))
        if q in MODELS.graph_clients:  # a LangGraph Platform client: its `runs` run graphs by id
            return Value(tags=frozenset({Inst(q)}))
        client, _, method = q.partition("#")
        if method in MODELS.graph_client_runs and client in MODELS.graph_clients:
            # runs.create(thread_id, "agent", input={...}): the graph the id names, run on the input
            graph_id = args[1] if len(args) > 1 else next((v for k, v, _ in kwargs if k == "assistant_id"), EMPTY)
            state = next((v for k, v, _ in kwargs if k == "input"), EMPTY)
            return self.run_graphs(self.graphs_named(graph_id), node, state)
        if q in MODELS.remote_graphs:  # RemoteGraph("agent"): the graph the id names
            graph_id = args[0] if args else next((v for k, v, _ in kwargs if k == "assistant_id"), EMPTY)
            return Value(tags=frozenset(self.graphs_named(graph_id)))
        if q in MODELS.input_widgets:
            typed = self.typed_input(node)
            if typed is not None:
                return typed
        if q in MODELS.upload_calls:  # st.file_uploader(...), await upload.read()
            return Value(frozenset({self.upload_source(node)}), frozenset({Inst(q)}))
        if q in MODELS.message_calls:  # email.message_from_bytes(raw), jira.issue(key)
            return self.message_source(node, MODELS.message_calls[q]).with_tags(Inst(q))
        ctx = self.ctx
        san = ctx.sanitizers
        if q in MODELS.environment_calls and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            return Value(tags=frozenset({Env(node.args[0].value)}))
        if (q in MODELS.module_imports or q in MODELS.package_imports) and args and args[0].has(Const):
            # a module imported by name: the value an import statement would bind
            names = args[0].of(Const)[0].strings
            tops = names if q in MODELS.module_imports else {n.split(".")[0] for n in names}
            return self.ctx.resolve_imported(Value(tags=frozenset(Imported(n, None) for n in tops)))
        if q in san.protect:
            inner = args[0] if args else EMPTY
            return ctx.protect_value(inner, protection.handed_over(node, ctx.vocab))
        if q in san.content or q in ctx.extra_sanitizers or q.split(".")[-1] in ctx.extra_sanitizers:
            return Value(self.redacted_inputs(q, node, args, kwargs), frozenset({Flag(SANITIZED)}))
        if node.args and q.rsplit(".", 1)[-1] in MODELS.file_readers and not q.startswith("builtins."):
            # Path("customers.csv"), csv.DictReader(...) (open() is generic_call's: it keeps what is written)
            data_file = self.file_value(node)
            if data_file != EMPTY:
                return data_file
        if q in MODELS.template_texts or q in MODELS.template_files:
            text = self.template_texts(args[0], files=q in MODELS.template_files) if args else None
            if text is not None:
                return Value(args[0].taints, frozenset({Tmpl(text), Inst(q)}))
        if "#" in q:
            cls, method = q.split("#", 1)
            if (cls, method) in san.content_methods:
                return Value(self.redacted_inputs(f"{cls}.{method}", node, args, kwargs), frozenset({Flag(SANITIZED)}))
            return None
        if q in san.identity:
            return Value(self.redacted_inputs(q, node, args, kwargs), frozenset({Flag(HASHED)}))
        built = surfaces.construct(self, q, node, args, kwargs)  # a client or model of a surface
        if built is not None:
            return built
        if q == "functools.partial" and args:
            if any(isinstance(a, ast.Starred) for a in node.args):
                return Value(tags=frozenset({Partial(args[0], self.site_of(node))}))
            step = self.step(node, "bound by `functools.partial`")
            return Value(tags=frozenset({Partial(args[0], self.site_of(node), tuple(a.extend(step) for a in args[1:]),
                                                 tuple((k, v.extend(step)) for k, v, _ in kwargs))}))
        if q in MODELS.scalar_calls:
            return SCALAR_VALUE
        if q in MODELS.serialiser_calls:
            out = [self.materialise(a, n) for a, n in zip(args, node.args)] + [v for _, v, _ in kwargs]
            written = join_all(out).plain()
            for handle in args[1:2]:  # json.dump(record, file)
                if handle.has(FileHandle):
                    self.write_to_file(handle, written, node)
            return written
        if q == "builtins.getattr" and len(node.args) >= 2:
            obj = args[0]
            name = args[1]
            if name.has(Const):
                out = Value(obj.taints)
                # a module's attribute by name (`getattr(litellm, name)` in a lazy loader), or a
                # library object's (`getattr(client.chat.completions, "create")`)
                objects = frozenset(t for t in obj.tags if isinstance(t, (Ext, Mod)) or surfaces.owns(t))
                for s in name.of(Const)[0].strings:
                    out = join(out, self.classify_member(obj, node.args[0], s, node, f"{self.text(node.args[0])}.{s}"))
                    if objects:
                        spelled = ast.copy_location(ast.Attribute(value=node.args[0], attr=s, ctx=ast.Load()), node)
                        out = join(out, Value(tags=self.attribute(Value(tags=objects), s, spelled).tags))
                return out
            return self.materialise(obj, node.args[0]).plain()
        if q == "string.Template" and args:
            return args[0]
        if q in MODELS.container_calls:
            vals = args + [v for _, v, _ in kwargs]
            keep = [t for v in vals for t in v.tags if isinstance(t, (Person, Obj, Const))]
            return Value(join_all(v.plain() for v in vals).taints, frozenset(keep))
        root = q.split(".")[0]
        if root in MODELS.foreign_roots:
            return Value(join_all(a.plain() for a in args).taints, frozenset({Inst(q)}))
        if root != "builtins" and (q[0].isupper() or q.split(".")[-1][:1].isupper()):
            # probably a class: the instance may have sanitising methods (AnonymizerEngine)
            return Value(join_all([a.plain() for a in args] + [v.plain() for _, v, _ in kwargs]).taints,
                         frozenset({Inst(q)}))
        return None


def open_target(node: ast.Call) -> tuple[str, bool] | None:
    """(literal path, opened for writing) of `open(path[, mode])`; None for a computed path."""
    path = node.args[0] if node.args else None
    if not (isinstance(path, ast.Constant) and isinstance(path.value, str)):
        return None
    mode_node = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
    mode = mode_node.value if isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, str) else "r"
    return path.value, any(c in mode for c in "wax")


def _constant_strings(nodes) -> list[str] | None:
    """The strings of constant string nodes; None if any is not one."""
    out = [n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return out if len(out) == len(nodes) else None


def _field_of(expr: str) -> str:
    """The field an expression reads (`users.email`, `row['email']` -> email)."""
    return re.split(r"[.\[]", expr.rstrip("]'\""))[-1].strip("'\"")


def method_chain(node: ast.Call, depth: int = 3) -> str:
    """`service.users().messages().get(...)` -> "users().messages().get": the last `depth`
    attribute steps of a call, calls written `()` whatever their arguments."""
    parts: list[str] = []
    cur: ast.AST = node.func
    called = False
    while isinstance(cur, ast.Attribute) and len(parts) < depth:
        parts.append(cur.attr + ("()" if called else ""))
        cur, called = cur.value, False
        if isinstance(cur, ast.Call):
            cur, called = cur.func, True
    return ".".join(reversed(parts))


def _strings_of(value: Value) -> list[str]:
    """The strings a value is one of (a node's name, a graph's id), sorted."""
    return sorted({s for c in value.of(Const) for s in c.strings if isinstance(s, str)})
