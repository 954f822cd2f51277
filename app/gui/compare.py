"""View → Compare With…: what the canvas draws to show how the open graph differs.

The diff itself is Qt-free (``graph_io.diff``); this module turns one into marks
keyed by the ids of the open graph — added, changed and renamed nodes — plus
*ghosts*: the reference's removed nodes, with their positions there, for the canvas
to draw faded where they used to be. Each mark carries the colour to draw it in and
a tooltip that says what changed, so the canvas needs no knowledge of diffs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PySide6 import QtGui

from app.training.run_folder import GRAPH_FILE
from graph_io.diff import GraphDiff, NodeChange, describe_change, diff_graphs
from graph_io.model import Graph
from graph_io.shapes import Report
from graph_io.yaml_io import load_graph

GHOST_OPACITY = 0.35


class Mark(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    RENAMED = "renamed"


# Colour-blind-safe (Okabe–Ito) hues, legible on the light and the dark theme.
MARK_COLORS = {
    Mark.ADDED: "#009E73",
    Mark.REMOVED: "#D55E00",
    Mark.CHANGED: "#E69F00",
    Mark.RENAMED: "#56B4E9",
}


def mark_color(mark: Mark) -> QtGui.QColor:
    return QtGui.QColor(MARK_COLORS[mark])


@dataclass(frozen=True)
class NodeMark:
    """How to mark one node of the open graph."""

    node_id: str
    mark: Mark
    tooltip: str
    badge: str = ""  # the few words drawn on the canvas: "changed: kernel 3→5"

    @property
    def color(self) -> QtGui.QColor:
        return mark_color(self.mark)


@dataclass(frozen=True)
class Ghost:
    """A node only the reference has, to draw faded at its old position."""

    node_id: str
    type: str
    pos: tuple[float, float] | None
    inputs: tuple[str, ...]  # its inputs, in the open graph's ids where matched
    tooltip: str
    opacity: float = GHOST_OPACITY

    @property
    def color(self) -> QtGui.QColor:
        return mark_color(Mark.REMOVED)


@dataclass(frozen=True)
class CompareMarks:
    """Everything the canvas draws for one comparison, and a one-line summary."""

    marks: dict[str, NodeMark]
    ghosts: list[Ghost]
    diff: GraphDiff
    summary: str


def _short(value: object) -> str:
    return "×".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def badge_text(change: NodeChange) -> str:
    """What a node's badge says: its kind, and for a changed node the first thing that
    changed (``changed: kernel 3→5 +1``); the tooltip has the whole story."""
    if change.kind == "added":
        return "added"
    if change.kind == "removed":
        return "removed"
    if change.kind == "renamed":
        return f"renamed from {change.old_id}"
    what = [f"{k} {_short(a)}→{_short(b)}" for k, (a, b) in change.params.items()]
    if change.old_type is not None:
        what.insert(0, f"type {change.old_type}→{change.type}")
    if change.inputs is not None:
        what.append("inputs")
    if not what and change.old_shape != change.new_shape:
        what.append(f"shape {_short(change.old_shape)}→{_short(change.new_shape)}")
    more = f" +{len(what) - 1}" if len(what) > 1 else ""
    return "changed" + (f": {what[0]}{more}" if what else "")


def compare_marks(
    reference: Graph,
    current: Graph,
    reference_name: str = "",
    reports: tuple[Report, Report] | None = None,
) -> CompareMarks:
    """Marks on ``current`` (the open graph) for how it differs from ``reference``;
    ``reports``: both graphs' inference reports, if known (see ``diff_graphs``)."""
    result = diff_graphs(reference, current, reports)
    marks: dict[str, NodeMark] = {}
    ghosts: list[Ghost] = []
    for change in result.changes:
        text = describe_change(change)
        if change.kind == "removed":
            node = reference.nodes[str(change.old_id)]
            wiring = change.inputs[0] if change.inputs is not None else ()
            ghosts.append(Ghost(node.id, node.type, node.pos, wiring, text))
        else:
            node_id = str(change.new_id)
            marks[node_id] = NodeMark(node_id, Mark(change.kind), text, badge_text(change))
    counts = {kind: len(result.of_kind(kind)) for kind in ("added", "removed", "changed")}
    against = f" from {reference_name}" if reference_name else ""
    if result.same:
        summary = f"Same model as {reference_name or 'the reference'}"
        if result.renames():
            summary += f" ({len(result.renames())} renamed)"
    else:
        params = result.new_params - result.old_params
        summary = (
            f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed"
            f"{against} · params {params:+,}"
        )
    return CompareMarks(marks, ghosts, result, summary)


def reference_graph(path: Path) -> Graph:
    """A graph file, or a run folder (its ``graph.yaml``): what Compare With… accepts.

    Raises ``ConvasError`` (file, line and field) when it cannot be read.
    """
    if path.is_dir():
        path = path / GRAPH_FILE
    return load_graph(path)


def compare_with(path: Path, current: Graph) -> CompareMarks:
    """Compare the open graph with a file or a run: the one call the window makes."""
    return compare_marks(reference_graph(path), current, path.name)
