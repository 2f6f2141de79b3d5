"""What a piece of analysis read (modules, functions, files looked for), for the cache's
dependencies and for a unit's hits: a graph, not a copied set.

A summary that uses another summary reads everything that one read. Copying those items
into every user made each use cost the size of the callee's whole reach, and a package's
core (LiteLLM: thousands of functions) was copied into every summary above it, once per
use. Here a `Reads` holds its own items and points at the `Reads` it used; a unit
flattens its graph (`Reached`), visiting each node once. The items that can make a summary stale
(PROVISIONAL_KINDS) are kept flat on every node, as they are looked up by summary.
"""

from __future__ import annotations

from typing import Iterable

# Markers a summary touches when it read what was still being collected: a module's globals
# ("p"), the stores into a module's globals ("g"), a graph's state ("s").
PROVISIONAL_KINDS = frozenset(("p", "g", "s"))
# A node holding at most this many items and parts together is copied into the nodes that
# use it (its items, and links to its parts): a summary that mostly passes on what others
# read adds no level to walk. Visits, not items, are what a unit's flattening costs: on
# LiteLLM, copying only nodes without parts left each unit 1,450 nodes to visit, this 450.
INLINE_SIZE = 64
# One object per distinct item: a set meets the same item in many nodes, and finds it by
# identity before comparing (a tuple's hash is not kept; its strings' are).
_ITEMS: dict[tuple, tuple] = {}
_NONE: frozenset = frozenset()  # one empty set for every node without provisional items


class Reads:
    """Items read (`("m", module)`, `("f", function key)`, `("x", module looked for)`, ...)
    and the `Reads` of what was used along the way. Immutable once made; a graph without
    cycles (a node only points at nodes made before it)."""

    __slots__ = ("items", "parts", "provisional")

    def __init__(self, items: tuple, parts: tuple[Reads, ...], provisional: frozenset) -> None:
        self.items = items  # each once; a tuple, as nothing looks an item up in one node (a set is 3x larger)
        self.parts = parts
        self.provisional = provisional  # the PROVISIONAL_KINDS items here and in every part

    @staticmethod
    def of(recorded: Iterable) -> Reads:
        """The node of one recording: a set of items and `Reads`. A small part is copied in
        rather than pointed at (INLINE_SIZE): a unit's graph then has a node per summary
        that reaches much, not per summary."""
        items: list[tuple] = []
        parts: list[Reads] = []
        copied = False
        for x in recorded:
            if type(x) is not Reads:
                items.append(_ITEMS.setdefault(x, x))
            elif len(x.items) + len(x.parts) <= INLINE_SIZE:
                items.extend(x.items)
                if x.parts:
                    parts.extend(x.parts)
                    copied = True
            else:
                parts.append(x)
        if not parts and not items:
            return NO_READS
        own = tuple(dict.fromkeys(items)) if len(items) > 1 else tuple(items)
        provisional = frozenset(i for i in own if i[0] in PROVISIONAL_KINDS) or _NONE
        for p in parts:
            if p.provisional:
                provisional = provisional | p.provisional
        # parts copied in with a part may be pointed at already
        return Reads(own, tuple(dict.fromkeys(parts)) if copied else tuple(parts), provisional)

    def __or__(self, other: Reads) -> Reads:
        if other is NO_READS or other is self:
            return self
        if self is NO_READS:
            return other
        return Reads.of((self, other))


class Reached:
    """The items of a recording that grows (an entry's, between its rounds), flattened as
    it grows: each node is visited once however often this is asked. Level by level, with
    set operations, as a unit's graph holds the summaries of a package's whole core."""

    def __init__(self) -> None:
        self.items: set = set()
        self._seen: set[Reads] = set()

    def add(self, recorded: Iterable) -> set:
        """Take in what `recorded` holds now; returns the items not reached before."""
        frontier: set[Reads] = set()
        found: set = set()
        for x in recorded:
            if type(x) is Reads:
                frontier.add(x)
            else:
                found.add(x)
        frontier -= self._seen
        while frontier:
            self._seen |= frontier
            parts: set[Reads] = set()
            for node in frontier:
                found.update(node.items)
                parts.update(node.parts)
            frontier = parts - self._seen
        found -= self.items
        self.items |= found
        return found


def by_kind(items: Iterable[tuple]) -> dict[str, list[str]]:
    """Items grouped by their kind ("m" -> module names, "f" -> function keys, ...)."""
    out: dict[str, list[str]] = {}
    for kind, name in items:
        group = out.get(kind)
        if group is None:
            group = out[kind] = []
        group.append(name)
    return out


NO_READS = Reads((), (), _NONE)


def forget_items() -> None:
    """Let go of the items kept for sharing (a process dropping what it holds)."""
    _ITEMS.clear()
