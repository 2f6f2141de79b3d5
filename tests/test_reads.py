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
