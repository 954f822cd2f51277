"""Editing a graph: the document, its typed commands, undo history and change events.

Qt-free. The editor (and anything else that edits) changes a graph only through
``Document.execute(command)``; every view follows the ``Change`` events it emits.
"""

from graph_io.editing.change import Change
from graph_io.editing.commands import (
    AddNodes,
    Command,
    Compound,
    Connect,
    Disconnect,
    Move,
    RemoveNodes,
    Rename,
    SetParam,
    SetTraining,
)
from graph_io.editing.document import Document, Update
from graph_io.editing.fragment import fragment_of, paste_nodes
from graph_io.editing.reconnect import delete_and_reconnect

__all__ = [
    "AddNodes",
    "Change",
    "Command",
    "Compound",
    "Connect",
    "Disconnect",
    "Document",
    "Move",
    "RemoveNodes",
    "Rename",
    "SetParam",
    "SetTraining",
    "Update",
    "delete_and_reconnect",
    "fragment_of",
    "paste_nodes",
]
