"""The document: the one graph an editor shows, the only way to change it, and its events.

Everything that edits (canvas gestures, the parameter panel, the Training dock's
one-click fixes, auto-layout) builds a ``Command`` and calls ``execute``; undo and
redo replay the same commands backwards and forwards. After each of these the
document re-infers what the edit affected (``graph_io.incremental``) and tells its
subscribers, once, what changed: views update only the items named. Nothing here
knows about Qt, so the whole editing model is tested without a window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from graph_io.editing.change import Change
from graph_io.editing.commands import Command
from graph_io.editing.history import History
from graph_io.incremental import reinfer
from graph_io.model import Graph
from graph_io.shapes import Report, infer


@dataclass(frozen=True)
class Update:
    """What subscribers receive: the edit's change, the new report, and the ids whose
    inference result changed (faces to redraw, even far downstream of the edit)."""

    change: Change
    report: Report
    results: frozenset[str]


Listener = Callable[[Update], None]


class Document:
    def __init__(self, graph: Graph | None = None, path: Path | None = None) -> None:
        self.graph = graph if graph is not None else Graph()
        self.path = path
        self.history = History()
        self.report: Report = infer(self.graph)
        self._listeners: list[Listener] = []

    # ---- observing -------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after every change; returns the function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, change: Change, results: set[str]) -> None:
        update = Update(change, self.report, frozenset(results))
        for listener in list(self._listeners):
            listener(update)

    def _changed(self, change: Change) -> None:
        self.report, results = reinfer(self.graph, self.report, change)
        self._emit(change, results)

    # ---- editing ----------------------------------------------------------------------
    def execute(self, command: Command) -> Change:
        """Apply ``command`` as one undoable step; a refused command raises and changes
        nothing. A command that changes nothing (a value set to what it was) is not
        recorded."""
        change = command.apply(self.graph)
        if command.no_op:
            return Change()
        self.history.push(command)
        self._changed(change)
        return change

    def undo(self) -> Change | None:
        command = self.history.take_undo()
        if command is None:
            return None
        change = command.revert(self.graph)
        self._changed(change)
        return change

    def redo(self) -> Change | None:
        command = self.history.take_redo()
        if command is None:
            return None
        change = command.apply(self.graph)
        self._changed(change)
        return change

    def seal(self) -> None:
        """The user moved on: the next edit is a new undo step even if it could merge."""
        self.history.seal()

    # ---- the file -------------------------------------------------------------------
    def replace(self, graph: Graph, path: Path | None = None, *, dirty: bool = False) -> None:
        """A new document (open, new, template, import): history starts afresh.

        ``dirty`` marks a document that exists nowhere on disk yet (an import), so
        closing it asks to save.
        """
        self.graph = graph
        self.path = path
        self.history = History()
        if dirty:
            self.history.saved_at = None
        self.report = infer(graph)
        self._emit(Change(replaced=True), set(graph.nodes))

    def mark_saved(self, path: Path | None = None) -> None:
        if path is not None:
            self.path = path
        self.history.mark_saved()
        self._emit(Change(), set())

    @property
    def dirty(self) -> bool:
        return self.history.dirty

    @property
    def can_undo(self) -> bool:
        return bool(self.history.done)

    @property
    def can_redo(self) -> bool:
        return bool(self.history.undone)
