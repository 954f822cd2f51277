"""Undo/redo history: one entry per user gesture, and the saved mark.

Like Qt's ``QUndoStack``, but Qt-free: consecutive commands with the same merge key
(a spin box stepped five times, a field typed into) fold into one entry unless the
history was *sealed* in between (the user moved on: selected another node, saved);
``saved_at`` remembers the depth at the last save so undoing back to it clears the
unsaved mark, and redoing away from it sets it again.
"""

from __future__ import annotations

from graph_io.editing.commands import Command


class History:
    def __init__(self) -> None:
        self.done: list[Command] = []
        self.undone: list[Command] = []
        self.saved_at: int | None = 0
        self._sealed = True

    def push(self, command: Command) -> None:
        """Record an applied command, merging it into the last one when it continues it."""
        key = command.merge_key()
        top = self.done[-1] if self.done else None
        if (
            key is not None
            and top is not None
            and not self._sealed
            and top.merge_key() == key
            and self.saved_at != len(self.done)
        ):
            top.absorb(command)
        else:
            if self.saved_at is not None and self.saved_at > len(self.done):
                self.saved_at = None  # the saved state was undone and is now unreachable
            self.done.append(command)
        self.undone.clear()
        self._sealed = False

    def seal(self) -> None:
        """The next command starts a new step, even if it could merge."""
        self._sealed = True

    def take_undo(self) -> Command | None:
        if not self.done:
            return None
        command = self.done.pop()
        self.undone.append(command)
        self._sealed = True
        return command

    def take_redo(self) -> Command | None:
        if not self.undone:
            return None
        command = self.undone.pop()
        self.done.append(command)
        self._sealed = True
        return command

    def mark_saved(self) -> None:
        self.saved_at = len(self.done)
        self._sealed = True

    @property
    def dirty(self) -> bool:
        return self.saved_at != len(self.done)

    @property
    def undo_label(self) -> str:
        return self.done[-1].label if self.done else ""

    @property
    def redo_label(self) -> str:
        return self.undone[-1].label if self.undone else ""
