"""Recursive cycles among function summaries, found while the summaries are worked out.

Summaries are computed on demand, depth first: a call of a function whose summary is not
known yet runs its body, which asks for the summaries of what it calls. A call back into a
summary still being worked out (recursion, direct or through other functions) cannot wait
for it and gets an assumption instead (every parameter flows to the result). What the other
functions of the cycle conclude from that depends on where the cycle was entered: kept as
they are, a project that serves many units (one per worker process) would answer a unit
according to the units its process analysed before it, and a request reached only through
the cycle's other members would be missed from the member entered first.

So the summaries of a cycle are not kept as they are first worked out. This is Tarjan's
algorithm on the calls as the depth-first computation meets them: each summary entered gets
an index; one that reaches back to a summary still open takes the lower index; one that
finishes with its own index is the root of a strongly connected group, whose members are
the summaries entered after it and not yet assigned. A group of several functions is then
solved on its own (`Functions._solve_cycle`): from nothing known, each member in the order
of their keys, again while a member it read has changed since, so the answer is the same
whichever member a unit reached first, and it holds what passes round the recursion. A
function that calls only itself is entered at one place and keeps its first summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gdpr_lint.analysis.summaries import Summary


@dataclass
class Solution:
    """A group being solved: its members' current summaries and their versions (a member's
    grows by one each time its summary changes), the versions the member being worked out
    read, and the summaries of other functions worked out meanwhile that used a member's
    (kept only if no member changed after)."""

    current: dict[str, Summary]
    base: int  # the depth of the summary stack when the solving started
    version: dict[str, int] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    used_by: set[str] = field(default_factory=set)
    this_round: dict[str, Summary] = field(default_factory=dict)


@dataclass
class SummaryCycles:
    index: dict[str, int] = field(default_factory=dict)  # key -> order entered (open or waiting)
    low: dict[str, int] = field(default_factory=dict)  # key -> lowest index it reaches back to
    open: list[str] = field(default_factory=list)  # the summaries being worked out, innermost last
    waiting: list[str] = field(default_factory=list)  # entered, not yet assigned to a group (Tarjan's stack)
    pending: dict[str, Summary] = field(default_factory=dict)  # finished members waiting for their root
    entries: dict[str, tuple] = field(default_factory=dict)  # key -> (function, bindings) while entered
    solution: Solution | None = None  # the group being solved, if any
    counter: int = 0

    def enter(self, key: str, entry: tuple) -> None:
        self.entries[key] = entry
        self.index[key] = self.low[key] = self.counter
        self.counter += 1
        self.open.append(key)
        self.waiting.append(key)

    def reached(self, key: str) -> None:
        """The summary being worked out called `key`, open or waiting: both are in one cycle."""
        if not self.open:
            return
        caller = self.open[-1]
        self.low[caller] = min(self.low[caller], self.index[key])

    def leave(self, key: str) -> list[str] | None:
        """`key` is finished: None when it is a member of a cycle whose root is still open,
        else its group (itself alone when it calls no summary still open); the group's
        bookkeeping is forgotten here, its members' summaries are left in `pending`."""
        popped = self.open.pop()
        assert popped == key
        if self.open:
            caller = self.open[-1]
            self.low[caller] = min(self.low[caller], self.low[key])
        if self.low[key] < self.index[key]:
            return None
        at = self.waiting.index(key)
        group = self.waiting[at:]
        del self.waiting[at:]
        for member in group:
            del self.index[member]
            del self.low[member]
        return group

    def used_solution(self) -> None:
        """A summary open inside the solving (not a member: those are not open) used a
        member's current summary: it, and those open around it, hold for this round only."""
        if self.solution is not None:
            self.solution.used_by.update(self.open[self.solution.base:])

    def reset(self) -> None:
        """Forget everything (a unit was abandoned halfway, at its time limit)."""
        self.__init__()  # type: ignore[misc]
