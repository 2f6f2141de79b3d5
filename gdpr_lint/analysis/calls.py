"""Calls: dispatch of a call to a request (the surfaces), a project function (its
summary), a class (its constructor), a partial, or an outside callable.

A part of the interpreter: `Frame` (analysis/frame.py) combines them.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from gdpr_lint.analysis import protection
from gdpr_lint.analysis.program.symbols import ClassInfo, FunctionInfo
from gdpr_lint.analysis.values import (
    MISSES,
    LangChain,
    Protected,
    Res,
    SANITIZED,
    Src,
    Graph,
    EMPTY,
    Flag,
    Cls,
    Ext,
    Func,
    Obj,
    Par,
    Partial,
    Person,
    Red,
    Runs,
    Value,
    join,
    join_all,
    merge_labels,
    redacted,
)
from gdpr_lint.analysis.models import library_models
from gdpr_lint.model import FlowStep
from gdpr_lint.surfaces import registry as surfaces

MODELS = library_models()


class Calls:

    # ------------------------------------------------------------------ calls

    def e_Call(self, node: ast.Call) -> Value:
        recv = None
        if isinstance(node.func, ast.Attribute):
            recv = self.eval(node.func.value)
            fval = self.attribute(recv, node.func.attr, node.func)
        else:
            fval = self.eval(node.func)
        args = [self.eval(a) for a in node.args]
        kwargs: list[tuple[str | None, Value, ast.AST]] = [(k.arg, self.eval(k.value), k.value) for k in node.keywords]
        return self.call(node, fval, recv, args, kwargs)

    def call(self, node: ast.Call, fval: Value, recv: Value | None, args: list[Value],
             kwargs: list[tuple[str | None, Value, ast.AST]]) -> Value:
        ctx = self.ctx
        site = ctx.detect_request(self, node, fval, args, kwargs)
        if site is not None:
            return site
        if recv is not None and isinstance(node.func, ast.Attribute) and recv.has(Graph):
            return self.graph_call(recv, node, args, kwargs)
        if recv is not None and isinstance(node.func, ast.Attribute) and node.func.attr in MODELS.graph_runs:
            # a functional-API graph (`@entrypoint() def workflow(note)`): `workflow.invoke(x)` calls it
            entries = [fi for t in recv.of(Func) if (fi := ctx.functions.get(t.key)) is not None
                       and ctx.graph_entrypoint(fi)]
            if entries:
                given = self.graph_input(node, args, kwargs)
                return join_all([self.apply(fi, _positional_input(node), [given], [], None) for fi in entries])
        results: list[Value] = []
        handled = False
        for t in fval.tags:
            if isinstance(t, Ext):
                r = self.call_external(t.qualname, node, args, kwargs, recv)
                if r is not None:
                    results.append(r)
                    handled = True
            elif isinstance(t, Func):
                fi = ctx.functions.get(t.key)
                if fi is not None:
                    qn = f"{fi.module.name}.{fi.qualname}"
                    san = ctx.sanitizers
                    if qn in san.content or qn in san.identity or qn in san.protect \
                            or qn in ctx.extra_sanitizers or fi.name in ctx.extra_sanitizers:
                        # a known sanitizer whose source is part of the analysed project (the
                        # runtime analysed from its own repository, a vendored copy), or a project
                        # function configured in `sanitizers = [...]`
                        results.append(self.call_external(qn, node, args, kwargs, recv) or EMPTY)
                    elif (via := ctx.scrubber(fi)) is not None:
                        # the project's own redaction function (analysis/scrubbers.py): what it
                        # returns is redacted; what it does on the way (a request) still counts
                        returned = self.apply(fi, node, args, kwargs, t.bound_self)
                        results.append(Value(self.redact(returned.taints, via, node), frozenset({Flag(SANITIZED)})))
                    else:
                        results.append(self.apply(fi, node, args, kwargs, t.bound_self))
                    handled = True
            elif isinstance(t, Cls):
                ci = ctx.classes.get(t.key)
                if ci is not None:
                    results.append(self.instantiate(ci, node, args, kwargs))
                    handled = True
            elif isinstance(t, Runs) and (fi := ctx.functions.get(t.key)) is not None:
                # a tool run with a mapping of its arguments (those the model chose: unknown here)
                given = args[0] if args else EMPTY
                named = [(k, v, node.args[0]) for k, v in given.fields or ()] if node.args else []
                results.append(self.apply(fi, node, [], named, None))
                handled = True
            elif isinstance(t, Obj) and (ci := ctx.classes.get(t.cls)) is not None \
                    and (method := ctx.class_method(ci, "__call__")) is not None:
                # calling a project object runs its __call__ (a callable wrapper around a model)
                results.append(self.apply(method, node, args, kwargs, Value(fval.taints, frozenset({t}))))
                handled = True
            elif isinstance(t, Partial):
                if t.args or t.kwargs:
                    # the bound arguments go first; they stand at this call (their own nodes
                    # may be in another module)
                    full = _standing_at(node, [node.func] * len(t.args) + list(node.args),
                                        [ast.keyword(arg=k, value=node.func) for k, _ in t.kwargs] + list(node.keywords))
                    results.append(self.call(full, t.func, None, list(t.args) + args,
                                             [(k, v, node.func) for k, v in t.kwargs] + kwargs))
                else:
                    results.append(self.call(node, t.func, None, args, kwargs))
                handled = True
            else:
                other = surfaces.call_member(self, t, node, args, kwargs)  # client.with_options(...), model.bind_tools(...)
                if other is not None:
                    results.append(other)
                    handled = True
        if handled:
            return join_all(results)
        # An unknown callable or a method on data: the result carries the inputs.
        return self.generic_call(node, recv, args, kwargs)

    def graph_call(self, recv: Value, node: ast.Call, args: list[Value], kwargs) -> Value:
        """A method of a LangGraph graph: running it (`app.invoke({"note": ...})`) calls each
        node function added to it with the input as its state; building it (`compile()`,
        `add_node(...)`) gives the same graph. The result is the final state: the input and
        what the nodes return."""
        assert isinstance(node.func, ast.Attribute)
        graphs = sorted(recv.of(Graph), key=lambda g: (g.module, g.line, g.col))
        if node.func.attr not in MODELS.graph_runs:
            return Value(tags=frozenset(graphs))
        return self.run_graphs(graphs, node, self.graph_input(node, args, kwargs))

    def graph_input(self, node: ast.Call, args: list[Value], kwargs) -> Value:
        """What a graph run (`invoke`, `stream`, `batch`, ...) is given: its first argument or
        `input=`; one element of a batch's list."""
        assert isinstance(node.func, ast.Attribute)
        given = args[0] if args else next((v for k, v, _ in kwargs if k == "input"), EMPTY)
        return self.element(given) if node.func.attr in MODELS.graph_batches else given

    def run_graphs(self, graphs: list[Graph], node: ast.Call, state: Value) -> Value:
        """Each graph run on `state`: its node functions called with it as their state."""
        # one pass in the order the nodes were added: a node sees the input and the updates
        # of the nodes added before it (`summarise` writes `summary`, `reply` sends it)
        node = _positional_input(node)
        for graph in graphs:
            for callee in self.ctx.graph_nodes(graph):
                if callee.has(LangChain):
                    update = self.invoke_node(node, callee, state)
                else:
                    update = self.call(node, callee, None, [state], [])
                if update.fields is not None:
                    state = join(state, update)
        return state

    def invoke_node(self, node: ast.Call, runnable: Value, state: Value) -> Value:
        """A LangChain runnable added as a graph's node (a prebuilt agent, a chain) is
        invoked by LangGraph with the state. The request has no call in the project's code:
        it is reported at the graph's run, which --fix leaves (`ran_by`; the finding's help
        says how to protect it by hand)."""
        if not isinstance(node.func, ast.Attribute):
            return EMPTY
        made = _standing_at(node, node.args[:1], [])
        made.ran_by = "LangGraph"  # type: ignore[attr-defined]
        names = sorted({t.qualname.rsplit(".", 1)[-1] for t in runnable.of(LangChain)})
        state = state.extend(self.step(made, f"the state the graph invokes its node with (a LangChain "
                                             f"`{'`/`'.join(names)}`)"))
        return self.call(made, self.attribute(runnable, "invoke", node.func), runnable, [state], [])

    def redacted_inputs(self, via: str, node: ast.Call, args: list[Value], kwargs) -> frozenset:
        """What a sanitizer was given, marked as redacted by it (`known=` only names values)."""
        vals = [self.materialise(a, n) for a, n in zip(args, node.args)]
        vals += [self.materialise(v, n) for k, v, n in kwargs if k != "known"]
        if via in self.ctx.sanitizers.runtime_steps:
            via = protection.via(via, protection.handed_over(node, self.ctx.vocab))
        return self.redact(join_all(vals).taints, via, node)

    def redact(self, labels, via: str, node: ast.AST) -> frozenset:
        """`redacted`, with a step on the data a project scrubber's patterns miss (it passes)."""
        out = redacted(labels, via)
        if MISSES not in via:
            return out
        name = via.partition(MISSES)[0].rsplit(".", 1)[-1]
        step = self.step(node, f"passed through `{name}()`, whose patterns do not match it")
        return frozenset(lab if isinstance(lab, Red) else lab.extend(step) for lab in out)

    def instantiate(self, ci: ClassInfo, node: ast.Call, args, kwargs) -> Value:
        self_value = Value(tags=frozenset({Obj(ci.key)} | ({Person(self.text(node.func))} if ci.person else set())))
        init = self.ctx.class_method(ci, "__init__")
        if init is not None:
            self.apply(init, node, args, kwargs, self_value)
            # a client or model the constructor is given and keeps (`self.llm = llm`) stays
            # with this object, for its methods to send through (Functions.stored_parameters)
            stored = self.ctx.stored_parameters(init)
            if stored:
                mapping = self.ctx.bind_arguments(init, node, args, kwargs, self_value)
                held = tuple((attr, Value(tags=mapping[i].tags)) for i, attrs in stored for attr in attrs
                             if i in mapping and is_receiver(mapping[i]))
                if held:
                    return Value(self_value.taints, self_value.tags, held)
            return self_value
        # generated constructor (dataclass, attrs, Pydantic, NamedTuple): arguments become fields
        fields: dict[str, Value] = {}
        for name, value in zip(ci.field_order, args):
            fields[name] = value
        for k, v, _ in kwargs:
            if k is not None:
                fields[k] = v
        taints = join_all(v.plain() for v in list(fields.values()) + [v for k, v, _ in kwargs if k is None]).taints
        return Value(taints, self_value.tags, tuple(fields.items()) if fields else None)

    def hand_over(self, lab, fi: FunctionInfo, node: ast.Call):
        """Data that entered in the callee through one of its parameters (`patient.name` in
        `handover_prompt(patient)`), expressed in the caller's scope (`p.name` for
        `handover_prompt(p)`), so `--fix` can hand it to the runtime as a known value here."""
        if not (isinstance(lab, Src) and lab.known and lab.scope == fi.key) or self.comprehension_depth:
            return lab
        head = lab.known.split(".", 1)[0].split("[", 1)[0]
        if head not in fi.param_names:
            return lab
        index = fi.param_names.index(head)
        arg: ast.AST | None = None
        if fi.is_method and index == 0:
            arg = node.func.value if isinstance(node.func, ast.Attribute) else None
        else:
            pos = index - (1 if fi.is_method and isinstance(node.func, ast.Attribute) else 0)
            if 0 <= pos < len(node.args) and not any(isinstance(a, ast.Starred) for a in node.args[:pos + 1]):
                arg = node.args[pos]
            else:
                arg = next((k.value for k in node.keywords if k.arg == head), None)
        if arg is None or not plain_reference(arg):
            return lab
        return replace(lab, known=self.text(arg) + lab.known[len(head):], scope=self.scope)

    def forwarded_keywords(self, fi: FunctionInfo, ps, arg: Value | None) -> list | None:
        """(request parameter, kind, value) of the keywords a caller passed into a helper's
        `**kwargs` that the helper passes on as `**` to a request (`user=` is an identifier,
        `messages=` content, `temperature=` neither); None when that is not the case here."""
        a = fi.node.args
        ep = self.ctx.sites[ps.site].endpoint
        if ps.param != "**" or a.kwarg is None or fi.param_names[ps.par.index] != a.kwarg.arg \
                or arg is None or arg.fields is None or ep is None:
            return None
        out = []
        for key, value in arg.fields:
            kind = _forwarded_kind(ep, key)
            if kind is not None:
                out.append((key, kind, value))
        return out

    def apply(self, fi: FunctionInfo, node: ast.Call, args: list[Value], kwargs, bound_self: Value | None) -> Value:
        """Apply a project function's summary at this call."""
        ctx = self.ctx
        mapping = ctx.bind_arguments(fi, node, args, kwargs, bound_self)
        callables = {i: Value(tags=mapping[i].tags) for i in ctx.called_parameters(fi)
                     if i in mapping and any(isinstance(t, CALLABLE_TAGS) for t in mapping[i].tags)}
        # a client or model handed to a helper that sends through it (`ask(llm, q)`: `llm.invoke(q)`),
        # or held by the object whose method it is (`self.llm.invoke(q)`)
        for i in ctx.receiver_parameters(fi):
            held = handed_receiver(mapping[i]) if i in mapping and i not in callables else None
            if held is not None:
                callables[i] = held
        summ = ctx.specialised_summary(fi, callables) if callables else ctx.summary(fi)
        name = fi.qualname
        for h in summ.hits if callables else ():
            # what the helper sends through the callable it was given, from its own data
            self.emit(h.site, h.kind, h.param, h.label, h.scope, h.via)

        def arg_labels(i: int, par: Par) -> list:
            arg = mapping.get(i)
            if arg is None:
                return []
            if par.key is not None:
                # the function reads one item: of a dict whose items are known, that item alone
                # (the frame's own subscript rule, e_Subscript)
                item = arg.field(par.key)
                if item is not None:
                    arg = item
            if not arg.taints:
                return []
            step = self.step(node, f"passed to `{name}()` as `{fi.param_names[i]}`")
            return [lab.extend(step, *par.path) for lab in arg.taints]

        def substitute(lab) -> list:
            if isinstance(lab, Par):
                return arg_labels(lab.index, lab)
            if isinstance(lab, Red) and isinstance(lab.inner, Par):
                return list(self.redact(arg_labels(lab.inner.index, lab.inner), lab.via, node))
            return [lab]

        here: list[FlowStep] = []  # the step of returned data, made once a label needs it (few calls return any)

        def returned(taints) -> list:
            out: list = []
            for lab in taints:
                if isinstance(lab, Par) or isinstance(lab, Red) and isinstance(lab.inner, Par):
                    out.extend(substitute(lab))
                else:
                    if not here:
                        here.append(self.step(node, f"returned by the call of `{name}()`"))
                    out.append(self.hand_over(lab, fi, node).extend(here[0]))
            return out

        ret_taints = returned(summ.ret.taints)
        for ps in summ.sinks:
            keywords = self.forwarded_keywords(fi, ps, mapping.get(ps.par.index))
            if keywords is not None:
                # `**kwargs` passed on to the request: each keyword is the request parameter it names
                step = self.step(node, f"passed to `{name}()` as `**{fi.param_names[ps.par.index]}`")
                for key, kind, value in keywords:
                    for lab in value.taints:
                        self.emit(ps.site, kind, key, lab.extend(step, *ps.par.path), ctx.sites[ps.site].function_key,
                                  ps.via)
                continue
            for lab in arg_labels(ps.par.index, ps.par):
                self.emit(ps.site, ps.kind, ps.param, lab, ctx.sites[ps.site].function_key, ps.via)
        for i, added in summ.mutations.items():
            if i == 0 and bound_self is not None and fi.is_method and isinstance(node.func, ast.Attribute) \
                    and fi.name != "__init__":
                # the method stored what it was given on `self`: the receiver carries it now
                sub: list = []
                for lab in added.taints:
                    sub.extend(substitute(lab))
                if sub:
                    self.update_target(node.func.value, Value(merge_labels(sub)), node)
                continue
            if i < len(node.args) and (i - (1 if bound_self is not None and fi.is_method else 0)) >= 0:
                pos = i - (1 if bound_self is not None and fi.is_method else 0)
                if pos < len(node.args):
                    sub = []
                    for lab in added.taints:
                        sub.extend(substitute(lab))
                    self.update_target(node.args[pos], Value(merge_labels(sub)), node)
        tags = set(summ.ret.tags)
        if bound_self is not None and fi.name == "__init__":
            tags = set()
        partials = [t for t in tags if isinstance(t, Partial) and (t.args or t.kwargs)]
        if partials:
            # a factory's `partial(reply, llm=llm)` sends through the model this caller passed
            def rebound(v: Value) -> Value:
                """A value the partial binds as this caller sees it: for a parameter, what the
                caller passed, its objects included."""
                pars = [p for p in v.pars() if p.key is None and p.index in mapping]
                if not pars:
                    return v
                return join_all([Value(merge_labels(returned(v.taints)), v.tags), *(mapping[p.index] for p in pars)])

            for t in partials:
                tags.discard(t)
                tags.add(Partial(rebound(t.func), t.ident + self.site_of(node), tuple(rebound(a) for a in t.args),
                                 tuple((k, rebound(v)) for k, v in t.kwargs)))
        symbolic = summ.ret.pars() or any(isinstance(t, Red) and isinstance(t.inner, Par) for t in summ.ret.taints)
        fields = summ.ret.fields
        if symbolic and fields is not None:
            # a dict built from the arguments (`{"summary": f"Notes: {state['note']}"}`) keeps its
            # items, each with what the caller passed for it
            fields = tuple((k, Value(merge_labels(returned(v.taints)), v.tags, v.fields if not v.pars() else None))
                           for k, v in fields)
        return Value(merge_labels(ret_taints), frozenset(tags), fields)


# Values a helper may be handed to call: a request method, a protected one, a partial, a
# project function, an outside function (`litellm.completion`)
CALLABLE_TAGS = (Res, LangChain, Protected, Partial, Func, Ext)
# Values a helper may be handed to send a request through: a client or resource, a model
RECEIVER_TAGS = (Res, LangChain, Protected)


def is_receiver(v: Value) -> bool:
    """A client, resource or model: what a request can be sent through."""
    return any(isinstance(t, RECEIVER_TAGS) for t in v.tags)


def handed_receiver(v: Value) -> Value | None:
    """What a helper needs to know of an argument it calls methods on: the client or model
    it is (its tags), or for a project object the clients and models it holds (fields from
    its constructor's arguments, `Provider(ChatOpenAI())`); None when it is neither."""
    if is_receiver(v):
        return Value(tags=v.tags)
    if v.fields and v.has(Obj):
        held = tuple((k, Value(tags=f.tags)) for k, f in v.fields if is_receiver(f))
        if held:
            return Value(tags=v.tags, fields=held)
    return None


def _forwarded_kind(ep, key: str) -> str | None:
    if key in ep.identity:
        return "identity"
    if key in ep.content or "*" in ep.content:
        return "content"
    return None


def plain_reference(node: ast.AST | None) -> bool:
    """A name or attribute chain (`patient`, `self.customer`): safe to evaluate again at the
    call (no call, no subscript that could change)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _positional_input(node: ast.Call) -> ast.Call:
    """A graph run's call as one with its input in first place: arguments are bound by their
    nodes, and the input may be a keyword (`app.invoke(input={...})`); it stands at the call."""
    return node if node.args else _standing_at(node, [node.func], [])


def _standing_at(node: ast.Call, args: list[ast.expr], keywords: list[ast.keyword]) -> ast.Call:
    """A call made up at `node`'s place, with these argument nodes (values bound elsewhere -
    a partial's, a graph's input - stand at the call that passes them)."""
    full = ast.Call(func=node.func, args=args, keywords=keywords)
    ast.copy_location(full, node)
    full.end_lineno, full.end_col_offset = node.end_lineno, node.end_col_offset
    if hasattr(node, "ran_by"):
        full.ran_by = node.ran_by  # type: ignore[attr-defined]
    return full
