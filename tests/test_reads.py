"""What a piece of analysis read, as a graph (analysis/reads.py): a summary points at the
reads of the summaries it used, and an entry flattens its own round by round."""

from __future__ import annotations

from gdpr_lint.analysis.reads import NO_READS, Reached, Reads, by_kind


def _core() -> Reads:
    # a package's core: a module and the summaries of two of its functions, one using the other
    inner = Reads.of([("m", "shop.db"), ("f", "shop.db.load_customer")] + [("m", f"shop.m{i}") for i in range(80)])
    return Reads.of([inner, ("f", "shop.db.find"), ("p", "shop.db")])


def test_an_entry_takes_in_only_what_it_did_not_reach_before() -> None:
    core = _core()
    rec: set = {core, ("m", "shop.app")}
    reached = Reached()
    first = reached.add(rec)
    assert ("f", "shop.db.load_customer") in first and ("m", "shop.app") in first
    # a later round reaches the core again through another summary, and one new function
    rec |= {Reads.of([core, ("f", "shop.app.reply")]), ("f", "shop.app.draft")}
    second = reached.add(rec)
    assert second == {("f", "shop.app.reply"), ("f", "shop.app.draft")}
    assert reached.add(rec) == set()  # nothing new: nothing returned
    assert reached.items == first | second
    assert sorted(by_kind(reached.items)["f"]) == ["shop.app.draft", "shop.app.reply", "shop.db.find",
                                                   "shop.db.load_customer"]


def test_provisional_markers_are_kept_on_every_node_that_reaches_them() -> None:
    core = _core()
    user = Reads.of([core, ("f", "shop.app.reply")])
    assert user.provisional == {("p", "shop.db")}
    assert Reads.of([("f", "shop.app.reply")]).provisional == frozenset()
    assert Reads.of([]) is NO_READS and (user | NO_READS) is user


def test_the_summaries_with_sinks_or_hits_are_indexed_as_they_are_kept_and_forgotten(tmp_path) -> None:
    # a unit finds its helpers and hits among these few, not among every summary it used
    from gdpr_lint.analysis.program.project import Project
    from gdpr_lint.analysis.summaries import Hit, ParamSink, Summary
    from gdpr_lint.analysis.values import Par, Src
    from gdpr_lint.analysis.vocabulary import default_vocabulary
    from gdpr_lint.model import FlowStep

    project = Project(default_vocabulary(), roots=[tmp_path], cwd=tmp_path)
    step = FlowStep("app.py", 3, 5, "`customer.email` (email)")
    sink = ParamSink("app:site:3", "content", "input", Par(0, "note"))
    hit = Hit("app:site:3", "content", "input", Src("customer.email", "email", "high", step), "app:f:1")
    provisional = Reads.of([("p", "app.settings")])
    project.keep_summary("app:send:1", Summary(sinks=[sink]))
    project.keep_summary("app:greet:5", Summary(hits=[hit], deps=provisional))
    project.keep_summary("app:plain:9", Summary())
    project.keep_summary("app:both:12", Summary(sinks=[sink], hits=[hit], deps=provisional))
    assert (project.sink_keys, project.hit_keys) == ({"app:send:1", "app:both:12"}, {"app:greet:5", "app:both:12"})
    project.keep_summary("app:send:1", Summary())  # worked out again, without its sink
    project.forget_summaries_reading(("p", "app.settings"))
    assert (project.sink_keys, project.hit_keys) == (set(), set())
    assert set(project.summaries) == {"app:send:1", "app:plain:9"}


def test_a_summary_that_mostly_passes_on_what_others_read_adds_no_level() -> None:
    # `send` reads one module and uses the core; `reply` uses `send`. Walking `reply` visits
    # the core's node directly: `send`'s few items are copied in with its link to the core.
    core = _core()
    send = Reads.of([core, ("m", "shop.mail"), ("f", "shop.mail.send")])
    reply = Reads.of([send, ("f", "shop.app.reply")])
    assert reply.parts == core.parts and ("f", "shop.mail.send") in reply.items
    assert reply.provisional == {("p", "shop.db")}
    reached = Reached()
    reached.add({reply})
    assert sorted(by_kind(reached.items)["f"]) == ["shop.app.reply", "shop.db.find", "shop.db.load_customer",
                                                   "shop.mail.send"]
    # a part with many items of its own is still pointed at, not copied
    big = Reads.of([("m", f"shop.m{i}") for i in range(100)])
    assert Reads.of([big, ("f", "shop.app.reply")]).parts == (big,)
