"""What a piece of analysis read (modules, functions, files looked for), for the cache's
dependencies and for a unit's hits: a graph, not a copied set.

A summary that uses another summary reads everything that one read. Copying those items
into every user made each use cost the size of the callee's whole reach, and a package's
core (LiteLLM: thousands of functions) was copied into every summary above it, once per
use. Here a `Reads` holds its own items and points at the `Reads` it used; a unit
flattens its graph once, at the end. The items that can make a summary stale
(PROVISIONAL_KINDS) are kept flat on every node, as they are looked up by summary.
"""

from __future__ import annotations

from typing import Iterable

# Markers a summary touches when it read what was still being collected: a module's globals
# ("p"), the stores into a module's globals ("g"), a graph's state ("s").
PROVISIONAL_KINDS = frozenset(("p", "g", "s"))


class Reads:
    """Items read (`("m", module)`, `("f", function key)`, `("x", module looked for)`, ...)
    and the `Reads` of what was used along the way. Immutable once made; a graph without
    cycles (a node only points at nodes made before it)."""

    __slots__ = ("items", "parts", "provisional")

    def __init__(self, items: frozenset, parts: tuple[Reads, ...], provisional: frozenset) -> None:
        self.items = items
        self.parts = parts
        self.provisional = provisional  # the PROVISIONAL_KINDS items here and in every part

    @staticmethod
    def of(recorded: Iterable) -> Reads:
        """The node of one recording: a set of items and `Reads`."""
        items: list[tuple] = []
        parts: list[Reads] = []
        for x in recorded:
            if type(x) is Reads:
                parts.append(x)
            else:
                items.append(x)
        if not parts and not items:
            return NO_READS
        provisional = frozenset(i for i in items if i[0] in PROVISIONAL_KINDS)
        for p in parts:
            if p.provisional:
                provisional = provisional | p.provisional
        return Reads(frozenset(items), tuple(parts), provisional)

    def __or__(self, other: Reads) -> Reads:
        if other is NO_READS or other is self:
            return self
        if self is NO_READS:
            return other
        return Reads(frozenset(), (self, other), self.provisional | other.provisional)

    def flat(self) -> frozenset:
        """Every item read, through every part."""
        return flatten((self,))


def flatten(recorded: Iterable) -> frozenset:
    """Every item of a recording (items and `Reads`), each node visited once."""
    out: set = set()
    seen: set[int] = set()
    stack: list[Reads] = []
    for x in recorded:
        if type(x) is Reads:
            stack.append(x)
        else:
            out.add(x)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.update(node.items)
        stack.extend(p for p in node.parts if id(p) not in seen)
    return frozenset(out)


NO_READS = Reads(frozenset(), (), frozenset())
