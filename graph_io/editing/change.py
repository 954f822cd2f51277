"""What an edit changed, so each view updates just that (and nothing else)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """The node ids an edit touched, by kind.

    ``renamed`` keeps its order: a view applies the (old, new) pairs one after the
    other. ``wiring`` names the nodes whose input list changed (the targets of added
    or removed edges). ``replaced`` means a new document: redraw everything.
    """

    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    renamed: tuple[tuple[str, str], ...] = ()
    params: frozenset[str] = frozenset()
    wiring: frozenset[str] = frozenset()
    moved: frozenset[str] = frozenset()
    training: bool = False
    replaced: bool = False

    @property
    def empty(self) -> bool:
        return self == Change()

    @property
    def structural(self) -> bool:
        """True when the set of nodes or edges changed (the order must be recomputed)."""
        return bool(self.added or self.removed or self.renamed or self.wiring or self.replaced)

    def then(self, later: Change) -> Change:
        """This change followed by ``later``, as one change (ids as they end up)."""
        renames = dict(later.renamed)

        def follow(ids: frozenset[str]) -> frozenset[str]:
            return frozenset(renames.get(i, i) for i in ids) - later.removed

        return Change(
            added=follow(self.added) | later.added,
            removed=self.removed | (later.removed - self.added),
            renamed=self.renamed + later.renamed,
            params=follow(self.params) | later.params,
            wiring=follow(self.wiring) | later.wiring,
            moved=follow(self.moved) | later.moved,
            training=self.training or later.training,
            replaced=self.replaced or later.replaced,
        )
