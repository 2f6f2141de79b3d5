"""Graph state: data that node functions pass to each other through a shared state
(LangGraph's `StateGraph`): a node returns `{"messages": [...]}` or
`Command(update={...})`, and another node reads `state["messages"]`. The framework
does the passing, so the analysis works out what the nodes of one graph write, per key
(the state type named by the annotation of their first parameter), and gives it to the
nodes that read it. Which nodes share a state is a function of the checked files (the
graphs a node's module builds, or the files adding its functions), never of what else a
run happened to analyse first: a unit's answer must not depend on its neighbours.

The input a graph is run with (`app.invoke({"note": ...})`) is the state every node it
was built with starts from: the nodes are the functions its module adds to the builder
(`builder.add_node(summarise)`, `builder.add_node("summarise", summarise)`).

A part of the whole-program side: `Project` (project.py) combines them.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from collections import deque
from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple

from gdpr_lint.analysis.frame import Frame
from gdpr_lint.analysis.program.symbols import FunctionInfo, ModuleInfo, tree_fact, walk_nodes
from gdpr_lint.analysis.reads import NO_READS, Reads
from gdpr_lint.analysis.summaries import Summary, strip_params

from gdpr_lint.analysis.models import library_models
from gdpr_lint.analysis.values import Ext, Func, Graph, Imported, LangChain, Partial, Value, join


GRAPH_PACKAGES = ("langgraph",)
RUNNABLE_KINDS = ("chat", "llm", "chain")  # LangChain objects a graph can invoke as a node (not embeddings)
MODELS = library_models()


def state_type(fi: FunctionInfo) -> str | None:
    """The type a function's state parameter is annotated with (`def triage(state: State)`
    -> "State"), None if it has none. It is a graph node's state only in a module that
    imports a graph library, or if a graph adds the function (GraphState.state_writers)."""
    args = fi.node.args.posonlyargs + fi.node.args.args
    if fi.is_method:
        args = args[1:]
    if not args or args[0].annotation is None:
        return None
    ann = args[0].annotation
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        return ann.value.rsplit(".", 1)[-1] or None
    if isinstance(ann, ast.Name):
        return ann.id
    if isinstance(ann, ast.Attribute):
        return ann.attr
    return None


def _imports_graph_library(tree: ast.Module | None) -> bool:
    return tree is not None and tree_fact(tree, _graph_imports)


def _graph_imports(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".", 1)[0] in GRAPH_PACKAGES:
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".", 1)[0] in GRAPH_PACKAGES for a in node.names):
            return True
    return False


class GraphState:
    # what it uses of the Project it is part of (project.py)
    if TYPE_CHECKING:
        functions: dict[str, FunctionInfo]
        summaries: dict[str, Summary]
        graph_state: dict[tuple, dict[str, frozenset]]
        graph_state_collecting: set[tuple]
        graph_writers: dict[tuple[str, str], list[FunctionInfo]]
        graph_references: dict[tuple[str, str], ast.expr]
        graph_entrypoints: dict[str, tuple[bool, Reads]]
        graph_scopes: dict[tuple[str, str], tuple[dict[str, Value] | None, Reads]]
        graph_state_reads: set[str] | None
        graph_builder_words: dict[str, bool]
        graph_builders: tuple[Path, ...]
        input_bytes: Callable[[Path], bytes | None]
        base_roots: list[Path]
        cwd: Path

        def module_at(self, path: Path) -> ModuleInfo | None: ...

        def touch(self, item: tuple) -> None: ...
        def touch_all(self, reads: Reads) -> None: ...
        def recording(self) -> set: ...
        def stop_recording(self, rec: set) -> Reads: ...
        def bound_frame(self, fi: FunctionInfo) -> Frame: ...
        def forget_summaries_reading(self, marker: tuple) -> None: ...

        def find_module(self, name: str) -> ModuleInfo | None: ...
        def global_value(self, mod: ModuleInfo, name: str) -> Value | None: ...
        def resolve_imported(self, value: Value) -> Value: ...

    def graph_nodes(self, graph: Graph, _within: frozenset[Graph] = frozenset()) -> list[Value]:
        """What running `graph` calls, in the order its module added it to the builder: each
        node (a function, a `functools.partial` of one with what it binds, or a LangChain
        runnable, `runnable_node`, which the graph invokes), then the
        functions routing the module's graphs; a compiled graph added as a node
        (`builder.add_node("research", research_graph)`) stands for its own nodes, which run
        on the state it is given."""
        mod, names = self._graph_references(graph)
        if mod is None:
            return []
        within = _within | {graph}
        out: list[Value] = []
        for value, callables in self._resolved(mod, names):
            for t in callables:
                if not (isinstance(t, Func) and t.key not in self.functions):
                    node = Value(tags=frozenset({t}))
                    if node not in out:
                        out.append(node)
            runnable = runnable_node(value)
            if runnable is not None and not callables and runnable not in out:
                out.append(runnable)
            for g in sorted(value.of(Graph), key=lambda g: (g.module, g.line, g.col)):
                if g not in within:
                    out += [v for v in self.graph_nodes(g, within) if v not in out]
        return out

    def sent_to(self, mod: ModuleInfo, node_name: str) -> list[FunctionInfo]:
        """The function added under `node_name` to a graph (`Send("draft", ...)` in `mod`):
        by `mod` itself, or else by a checked file that builds graphs."""
        builders = [mod]
        if mod.source.tree is None or node_name not in tree_fact(mod.source.tree, node_functions):
            self.touch(("b", ""))  # the answer depends on which checked files build graphs
            builders = [b for b in map(self.module_at, self.graph_builders) if b is not None and b is not mod]
        out: list[FunctionInfo] = []
        for b in builders:
            self.touch(("m", b.name))  # a node of that name added there later changes the answer
            fn = tree_fact(b.source.tree, node_functions).get(node_name) if b.source.tree is not None else None
            if fn is not None:
                out += [w for w in self._nodes_named(b, [fn]) if w not in out]
        return out

    def graphs_by_id(self, graph_id: str) -> list[Graph]:
        """The graphs a deployment id names (`runs.create(thread, "agent", ...)`,
        `RemoteGraph("agent")`): its entry in a `langgraph.json` at a root of the run
        (`"graphs": {"agent": "./app/graph.py:graph"}`), or else a module-level graph of
        that name in a checked file that builds graphs."""
        for config in dict.fromkeys([*self.base_roots, self.cwd]):
            path = config / GRAPH_CONFIG
            self.touch(("t", str(path)))  # the answer depends on it, there or not
            spec = _graph_spec(path, graph_id)
            if spec is None:
                continue
            target, name = spec
            mod = self.module_at(target.resolve()) if target.suffix == ".py" else self.find_module(str(target))
            value = self.global_value(mod, name) if mod is not None else None
            return value.of(Graph) if value is not None else []
        self.touch(("b", ""))  # the answer depends on which checked files build graphs
        out: list[Graph] = []
        for path in self.graph_builders:
            mod = self.module_at(path)
            value = self.global_value(mod, graph_id) if mod is not None else None
            out += value.of(Graph) if value is not None else []
        return out

    def graph_entrypoint(self, fi: FunctionInfo) -> bool:
        """Whether a function is a graph of LangGraph's functional API (`@entrypoint(...)`):
        its `invoke` / `stream` / ... call it on their input."""
        known = self.graph_entrypoints.get(fi.key)
        if known is not None:
            self.touch_all(known[1])  # what resolving its decorators read
            return known[0]
        found = False
        rec = self.recording()
        try:
            if fi.cls is None and fi.node.decorator_list and _imports_graph_library(fi.module.source.tree):
                frame = Frame(self, fi.module, env=fi.module.globals)
                for d in fi.node.decorator_list:
                    made = frame.eval(d.func if isinstance(d, ast.Call) else d)
                    found = found or any(isinstance(t, Ext) and t.qualname in MODELS.graph_entrypoints
                                         for t in made.tags)
        finally:
            self.graph_entrypoints[fi.key] = (found, self.stop_recording(rec))
        return found

    def state_read(self, fi: FunctionInfo, key: str) -> Value | None:
        """`state[key]` in a node function: what the nodes sharing its state write there."""
        name = state_type(fi)
        if name is None:
            return None
        in_graph_module = _imports_graph_library(fi.module.source.tree)
        if not in_graph_module and not self._named_by_a_builder(fi):
            return None  # a typed dict parameter, not a graph's state
        writers = self.graph_writers.get((fi.module.name, name))
        if writers is None:
            self.graph_writers[(fi.module.name, name)] = []  # (asked again while they are found: none yet)
            writers = self.graph_writers[(fi.module.name, name)] = self.state_writers(fi.module, name)
        if not in_graph_module and fi not in writers:
            return None
        # one state for the nodes of one graph, whichever of their modules asks first
        scope = (name, tuple(sorted(w.key for w in writers)))
        state = self.graph_state.get(scope)
        if state is None:
            state = self._collect_state(writers, scope)
        elif scope in self.graph_state_collecting:
            self.touch(("s", scope))  # read while the writes are being collected: provisional
            if self.graph_state_reads is not None:
                self.graph_state_reads.add(key)
        stored = state.get(key)
        return Value(stored) if stored else None

    def _named_by_a_builder(self, fi: FunctionInfo) -> bool:
        """Whether a checked file that adds graph nodes spells `fi`'s name (cheap, from bytes)."""
        self.touch(("b", ""))  # the answer depends on which checked files build graphs
        named = self.graph_builder_words.get(fi.name)
        if named is None:
            word = fi.name.encode("utf-8")
            named = self.graph_builder_words[fi.name] = any(word in (self.input_bytes(path) or b"")
                                                            for path in self.graph_builders)
        return named

    def state_writers(self, mod: ModuleInfo, name: str) -> list[FunctionInfo]:
        """The node functions whose updates a node of `mod` taking state type `name` reads:
        the nodes of the graphs it belongs to - built in `mod`, or, for a module of nodes that
        builds none, in any checked file that adds one of its functions (`graph.py`
        assembling `nodes/*.py`); failing both, its module's own top-level functions on that
        state type. A function of the checked files, not of what else the run happened to
        load: two graphs in two modules on one state type do not see each other's writes,
        and the modules of one graph share one state."""
        assert mod.source.tree is not None
        graphs = tree_fact(mod.source.tree, _graph_nodes)
        out = self._nodes_named(mod, [n for nodes in graphs.values() for n in nodes], name)
        if not graphs:
            self.touch(("b", ""))  # the answer depends on which checked files build graphs
            for path in self.graph_builders:
                builder = self.module_at(path)
                if builder is None or builder is mod or builder.source.tree is None:
                    continue
                # a function of `mod` routing the builder's graphs reads their state too
                routing = self._nodes_named(builder, sorted(tree_fact(builder.source.tree, edge_functions)), name)
                for nodes in tree_fact(builder.source.tree, _graph_nodes).values():
                    graph = self._nodes_named(builder, list(nodes), name)
                    if any(w.module is mod for w in (*graph, *routing)):
                        out += [w for w in graph if w not in out]
        if not out and _imports_graph_library(mod.source.tree):
            out = self._nodes_named(mod, list(tree_fact(mod.source.tree, _typed_functions)), name)
        return out

    def graph_functions(self, mod: ModuleInfo, refs: list[str]) -> list[FunctionInfo]:
        """The functions that references in `mod`'s graph-building code name (`fan_out`,
        `routes.fan_out`, `self.reply`), wherever they are defined."""
        return self._nodes_named(mod, refs)

    def _nodes_named(self, mod: ModuleInfo, names: list[str], state: str | None = None) -> list[FunctionInfo]:
        """The functions `names` refer to in `mod` (defined there or imported; a partial's
        function), in that order; with `state`, only those taking that state type."""
        out: list[FunctionInfo] = []
        for _, callables in self._resolved(mod, names):
            for t in callables:
                w = self.functions.get(t.key if isinstance(t, Func) else min(f.key for f in t.func.of(Func)))
                if w is not None and w not in out and (state is None or state_type(w) == state):
                    out.append(w)
        return out

    def _graph_references(self, graph: Graph) -> tuple[ModuleInfo | None, list[str]]:
        """The module building `graph` and the references to what it adds (`_reference`):
        its nodes in the order they were added, then the functions routing the module's
        graphs (a `Send` they return runs its node)."""
        mod = self.find_module(graph.module)
        if mod is None or mod.source.tree is None:
            return None, []
        names = list(tree_fact(mod.source.tree, _graph_nodes).get((graph.line, graph.col), ()))
        names += sorted(tree_fact(mod.source.tree, edge_functions) - set(names))
        return mod, names

    def _resolved(self, mod: ModuleInfo, refs: list[str]) -> Iterator[tuple[Value, list[Func | Partial]]]:
        """Each reference's value (those that name something) and the project functions and
        partials of functions it holds, in order."""
        for ref in refs:
            value = self._referenced(mod, ref)
            if value is not None:
                yield value, _callables(value)

    def _referenced(self, mod: ModuleInfo, ref: str) -> Value | None:
        """The value a reference in `mod`'s graph-building code names (`_reference`)."""
        if ref.isidentifier():
            value = self.global_value(mod, ref)
        else:  # `nodes.intake`, `Agent.reply` (`self.reply`), `partial(...)`, `build>responder.run`
            func, _, text = ref.rpartition(">") if ">" in ref else ("", "", ref)
            env = self._names_in(mod, func) if func else mod.globals
            if env is None:
                return None
            expr = self.graph_references.get((mod.name, ref))
            if expr is None:
                expr = self.graph_references[(mod.name, ref)] = ast.parse(text, mode="eval").body
            value = Frame(self, mod, env=env if env is mod.globals else dict(env)).eval(expr)
        if value is not None and value.has(Imported):
            value = self.resolve_imported(value)
        return value

    def _names_in(self, mod: ModuleInfo, qualname: str) -> dict[str, Value] | None:
        """What a top-level function or method of `mod` has bound once its body has run
        (None: no such function): the variables its graph-building code names."""
        key = (mod.name, qualname)
        known = self.graph_scopes.get(key)
        if known is not None:
            self.touch_all(known[1])  # what running it read
            return known[0]
        self.graph_scopes[key] = ({}, NO_READS)  # while it runs: a graph it runs itself sees none of them
        env: dict[str, Value] | None = None
        rec = self.recording()
        try:
            self.global_value(mod, qualname.split(".", 1)[0])  # runs the definition
            fi = next((f for f in mod.functions if f.qualname == qualname and f.closure is None), None)
            if fi is not None:
                frame = self.bound_frame(fi)
                frame.env.update(self._passed_in(mod, fi))
                frame.run_block(fi.node.body)
                env = frame.env
        finally:
            self.graph_scopes[key] = (env, self.stop_recording(rec))
        return env

    def _passed_in(self, mod: ModuleInfo, fi: FunctionInfo) -> dict[str, Value]:
        """What the functions of `mod` calling `fi` pass it (`self._create_workflow(agents)`
        after `agents = self._initialize_agents()`), by parameter, read in their names: the
        objects a graph is built from are often made by its builder's caller."""
        passed: dict[str, Value] = {}
        params = fi.param_names[1:] if fi.is_method else fi.param_names
        for caller, call in tree_fact(mod.source.tree, _calls_by_name).get(fi.node.name, ()):
            on_self = isinstance(call.func, ast.Attribute)
            if caller == fi.qualname or on_self != (fi.cls is not None) \
                    or on_self and fi.cls is not None and not caller.startswith(fi.cls.qualname + "."):
                continue  # itself; a method is called on `self` by its class's methods, a function by name
            env = self._names_in(mod, caller) if caller else {}  # at the top: the module's globals
            if env is None:
                continue
            frame = Frame(self, mod, env=dict(env))
            bound = [*zip(params, call.args), *((k.arg, k.value) for k in call.keywords if k.arg in params)]
            for name, arg in bound:
                if isinstance(arg, ast.Starred):
                    break
                value = frame.eval(arg)
                if value.tags or value.fields:
                    passed[name] = join(passed[name], value) if name in passed else value
        return passed

    def _collect_state(self, writers: list[FunctionInfo], scope: tuple) -> dict[str, frozenset]:
        """Run the writers' bodies until what they write stops growing: each round reads
        the state the previous one wrote, so an update made from another node's update is
        found, whichever node the analysis met first."""
        state: dict[str, frozenset] = {}
        self.graph_state[scope] = state
        self.graph_state_collecting.add(scope)
        # a writer runs again only if it read a key the last round changed
        writes: dict[str, dict[str, frozenset]] = {}
        reads: dict[str, set[str]] = {}
        changed: set[str] | None = None  # None: the first round
        outer = self.graph_state_reads  # (another graph's writer may be running: its reads go on after)
        rec = self.recording()
        try:
            for _ in range(_STATE_ROUNDS):
                for w in writers:
                    if changed is not None and not (reads[w.key] & changed):
                        continue
                    self.graph_state_reads = reads[w.key] = set()
                    frame = self.bound_frame(w)
                    frame.run_block(w.node.body)
                    mine: dict[str, frozenset] = {}
                    for key, value in frame.ret.fields or ():
                        taints = strip_params(value).taints
                        if taints:
                            mine[key] = mine.get(key, frozenset()) | taints
                    writes[w.key] = mine
                written: dict[str, frozenset] = {}
                for w in writers:
                    for key, taints in writes[w.key].items():
                        written[key] = written.get(key, frozenset()) | taints
                changed = {k for k in written.keys() | state.keys() if written.get(k) != state.get(k)}
                state = self.graph_state[scope] = written
                if not changed:
                    break
        finally:
            self.graph_state_reads = outer
            self.stop_recording(rec)
            self.graph_state_collecting.discard(scope)
        # summaries worked out while the writes were incomplete are worked out again
        self.forget_summaries_reading(("s", scope))
        return state


_STATE_ROUNDS = 4  # an update made from another's update, three hops deep
GRAPH_CONFIG = "langgraph.json"  # a LangGraph Platform project's graphs, by id


def _graph_spec(config: Path, graph_id: str) -> tuple[Path, str] | None:
    """(file or module, variable) of `graph_id` in a `langgraph.json` ("./app/graph.py:graph"
    relative to it, or "app.graph:graph"); None without that file or entry. A file that does
    not read as one is no configuration: the ids are then looked for by name."""
    try:
        graphs = json.loads(config.read_text(encoding="utf-8")).get("graphs")
    except (OSError, ValueError, AttributeError):
        return None
    spec = graphs.get(graph_id) if isinstance(graphs, dict) else None
    if isinstance(spec, dict):  # {"path": "./app/graph.py:graph", ...}
        spec = spec.get("path")
    if not isinstance(spec, str) or ":" not in spec:
        return None
    where, _, name = spec.rpartition(":")
    if where.endswith(".py"):
        return config.parent / where, name
    return Path(where), name  # a module name


def _typed_functions(tree: ast.Module) -> tuple[str, ...]:
    """The module's top-level functions whose first parameter is annotated (candidate nodes)."""
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args.posonlyargs + node.args.args
            if args and args[0].annotation is not None:
                out.append(node.name)
    return tuple(out)


def node_functions(tree: ast.Module) -> dict[str, str]:
    """Node name -> the function a module adds under it (a reference, see `_reference`), for
    every graph the module builds (`add_node("draft", write_draft)`; `add_node(draft)` is
    named `draft`, `add_node(nodes.draft)` too)."""
    out: dict[str, str] = {}
    for node, scope in tree_fact(tree, _scoped):
        fn = _added_function(node, scope)
        if fn is None:
            continue
        assert isinstance(node, ast.Call)
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            out.setdefault(first.value, fn)
        elif fn.rsplit(">", 1)[-1].replace(".", "").isidentifier():  # named by its function
            out.setdefault(fn.rsplit(".", 1)[-1], fn)
    return out


def edge_functions(tree: ast.Module) -> frozenset[str]:
    """The functions a module routes a graph with (`add_conditional_edges("load", fan_out,
    ...)`, `routes.fan_out`), as references (`_reference`): where a `Send` to a node is made."""
    out = set()
    for node, scope in tree_fact(tree, _scoped):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("add_conditional_edges", "set_conditional_entry_point"):
            fn = next((k.value for k in node.keywords if k.arg == "path"), None)
            if fn is None and node.args:
                fn = node.args[1] if node.func.attr == "add_conditional_edges" and len(node.args) > 1 else node.args[0]
            ref = _reference(fn, scope)
            if ref is not None:
                out.add(ref)
    return frozenset(out)


def _graph_nodes(tree: ast.Module) -> dict[tuple[int, int], tuple[str, ...]]:
    """For each graph built in a module (`builder = StateGraph(State)`, by the position of the
    constructor call): the names of the functions added to it (`builder.add_node(fn)`,
    `builder.add_node("name", fn)`, `action=fn`, or chained: `StateGraph(State).add_node(fn)
    .add_node(...)`), wherever in the module it is built. A name means the graph it was
    last bound to in source order; a method of the graph bound to its own name
    (`graph = graph.compile()`, the common idiom) keeps it: the compiled app is that graph."""
    events: list[tuple[int, int, str, ast.AST, str]] = []  # (line, column, kind, node, function added), sorted below
    for node, scope in tree_fact(tree, _scoped):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
            events.append((node.lineno, node.col_offset, "bind", node, ""))
        elif (added := _added_function(node, scope)) is not None:
            events.append((node.lineno, node.col_offset, "add", node, added))
    builders: dict[str, tuple[int, int]] = {}
    out: dict[tuple[int, int], list[str]] = {}
    # an assignment comes before the calls in its value (same position: "add" > "bind")
    for _, _, kind, node, fn in sorted(events, key=lambda e: (e[0], e[1], e[2] == "add")):
        if kind == "bind":
            assert isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call)
            value = node.value
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if not isinstance(t, ast.Name):
                    continue
                func = value.func
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                        and func.value.id == t.id and t.id in builders:
                    continue  # `graph = graph.compile()`: still that graph
                builders[t.id] = (value.lineno, value.col_offset)
            continue
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        recv = node.func.value
        while isinstance(recv, ast.Call) and isinstance(recv.func, ast.Attribute):
            recv = recv.func.value  # a chain: `StateGraph(State).add_node(a).add_node(b)`
        if isinstance(recv, ast.Name) and recv.id in builders:
            graph = builders[recv.id]
        elif isinstance(recv, ast.Call):
            graph = (recv.lineno, recv.col_offset)  # built and filled in one expression
        else:
            continue
        names = out.setdefault(graph, [])
        if fn not in names:
            names.append(fn)
    return {k: tuple(v) for k, v in out.items()}


def _added_function(node: ast.AST, scope: _Scope) -> str | None:
    """The function a `builder.add_node(...)` call adds, as a reference (`_reference`):
    `add_node(fn)`, `add_node("name", fn)`, `action=fn` / `node=fn`; None for any other node."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_node"):
        return None
    fn = next((k.value for k in node.keywords if k.arg in ("action", "node")), None)
    if fn is None and node.args:
        fn = node.args[1] if len(node.args) > 1 else node.args[0]
    return _reference(fn, scope)


def _reference(expr: ast.AST | None, scope: _Scope) -> str | None:
    """A function named by a plain or dotted name (`intake`, `nodes.intake`), a method of
    the class the code is in (`self.reply` -> `Agent.reply`), a member of what a variable of
    the function holds (`responder.run`, `agents["writer"].run`: `build>responder.run`, read
    in the function's names), or what a call returns (`functools.partial(reply, llm=llm)`,
    a factory's closure `make_responder(llm)`, `Nodes(llm).responder()`), as written; None
    for anything else."""
    if isinstance(expr, ast.Call):
        if _call_head(expr) is None:
            return None
        names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        text = ast.unparse(expr)
        return _in_function(text, scope) if names & scope.local else text
    dotted = True
    parts: list[str] = []
    head = expr
    while isinstance(head, (ast.Attribute, ast.Subscript)):
        if isinstance(head, ast.Attribute):
            parts.append(head.attr)
        elif isinstance(head.slice, ast.Constant):  # `agents["writer"]`
            dotted = False
        else:
            return None
        head = head.value
    if not isinstance(head, ast.Name):
        return None
    if head.id in ("self", "cls") and parts and dotted and scope.cls is not None:
        return ".".join([scope.cls, *reversed(parts)])
    assert expr is not None
    text = ast.unparse(expr)
    return _in_function(text, scope) if head.id in scope.local else text


def _call_head(call: ast.Call) -> ast.Name | None:
    """The name a chain of calls, attributes and subscripts starts from (`Nodes` in
    `Nodes(llm).responder()`); None when it starts from anything else (a literal)."""
    head: ast.AST = call
    while isinstance(head, (ast.Call, ast.Attribute, ast.Subscript)):
        head = head.func if isinstance(head, ast.Call) else head.value
    return head if isinstance(head, ast.Name) else None


def _in_function(text: str, scope: _Scope) -> str:
    """A reference read in the names of the function it is written in (`build>responder.run`)."""
    return f"{scope.func}>{text}"


class _Scope(NamedTuple):
    """Where graph-building code lies: the top-level class, and the top-level function or
    method (its qualified name and the names bound in it)."""

    cls: str | None = None
    func: str | None = None
    local: frozenset[str] = frozenset()


def _scoped(tree: ast.Module) -> tuple[tuple[ast.AST, _Scope], ...]:
    """The calls and assignments of `tree` with their scope, in `ast.walk`'s order: what the
    facts on graph building (nodes, routing, builders' callers) look at, walked once."""
    return tuple((n, scope) for n, scope in _walk_in_scopes(tree) if isinstance(n, (ast.Call, ast.Assign, ast.AnnAssign)))


def _walk_in_scopes(tree: ast.Module) -> Iterator[tuple[ast.AST, _Scope]]:
    """Every node of `tree` (breadth first, as `ast.walk`) with its scope."""
    todo: deque[tuple[ast.AST, _Scope]] = deque([(tree, _Scope())])
    top = set(map(id, tree.body))
    while todo:
        node, scope = todo.popleft()
        yield node, scope
        if isinstance(node, ast.ClassDef) and id(node) in top:
            scope = _Scope(node.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and scope.func is None \
                and (id(node) in top or scope.cls is not None):
            scope = _Scope(scope.cls, f"{scope.cls}.{node.name}" if scope.cls else node.name, _bound_in(node))
        todo.extend((child, scope) for child in ast.iter_child_nodes(node))


def _bound_in(func: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The names a function binds: its parameters, what its body assigns, defines, imports."""
    a = func.args
    names = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, (a.vararg, a.kwarg)))}
    for n in walk_nodes(func):
        if isinstance(n, ast.Name) and type(n.ctx) is ast.Store:
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not func:
            names.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in n.names)
    return frozenset(names)


def runnable_node(value: Value) -> Value | None:
    """The LangChain runnables a node value holds (a prebuilt agent,
    `create_react_agent(llm, tools)`; a chain, `prompt | llm`; a model): LangGraph invokes
    such a node with the state. None if it holds none."""
    runnables = frozenset(t for t in value.tags if isinstance(t, LangChain) and t.method is None
                          and t.kind in RUNNABLE_KINDS)
    return Value(tags=runnables) if runnables else None


def _callables(value: Value) -> list[Func | Partial]:
    """The project functions and partials of functions a value holds, in a fixed order."""
    funcs = sorted(value.of(Func), key=lambda t: t.key)
    partials = sorted((p for p in value.of(Partial) if p.func.has(Func)), key=lambda p: p.ident)
    return [*funcs, *partials]


def _calls_by_name(tree: ast.Module) -> dict[str, list[tuple[str, ast.Call]]]:
    """Function name -> (qualified name of the top-level function or method calling it, ""
    at the module's top; the call), for calls by plain name (`build(agents)`,
    `app = build(Summariser())`) or on `self` (`self.build(agents)`)."""
    out: dict[str, list[tuple[str, ast.Call]]] = {}
    for node, scope in tree_fact(tree, _scoped):
        if not isinstance(node, ast.Call) or scope.func is None and scope.cls is not None:
            continue  # (a call in a class body but in no method)
        func = node.func
        if isinstance(func, ast.Name):
            out.setdefault(func.id, []).append((scope.func or "", node))
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            out.setdefault(func.attr, []).append((scope.func or "", node))
    return out
