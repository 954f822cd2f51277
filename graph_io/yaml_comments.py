"""Comments in a graph file survive the editor: read with the graph, written back.

A graph file is meant to be read and edited by hand, so people write notes in it
(``# the stem, as in the paper``). The YAML parser drops comments, and saving from the
editor used to lose every one of them. Here they are collected from the text, tied to
what they annotate, carried by the graph (``Node.comments``, ``Graph.comments``) through
edits — a renamed, moved or undone node keeps its notes — and put back when saving:

* a comment line above a node entry (indented no deeper than its ``-``) goes above it
  again, as do comment lines above a top-level key (``name:``, ``training:``);
* a comment line inside a node entry (or the ``training:`` section) stays inside it,
  just under its first line;
* a comment at the end of a line stays at the end of the same key's line;
* comments after the last entry stay at the end of the file.

The file's own layout (flow or block style, spacing) is still written in the one
canonical form; only the words of the comments are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from yaml.nodes import MappingNode, Node, SequenceNode

END = "<end>"  # Graph.comments key for the comments after everything else
_KEY = re.compile(r"\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*:")


@dataclass
class Comments:
    """The comments of one node or top-level key (each ``"# text"``, as written)."""

    before: list[str] = field(default_factory=list)
    inside: list[str] = field(default_factory=list)
    inline: dict[str, str] = field(default_factory=dict)  # key of the line -> comment

    def __bool__(self) -> bool:
        return bool(self.before or self.inside or self.inline)


def _split_comment(line: str) -> tuple[str, str | None]:
    """``(code, comment)``: the comment starts at a ``#`` that follows a space (or opens
    the line) outside quotes."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index].rstrip(), line[index:].rstrip()
    return line, None


@dataclass(frozen=True)
class _Anchor:
    line: int  # 0-based line where the entry starts
    indent: int  # column of its first character (the "-" of a node entry)
    key: str  # node id, or top-level key name
    entry: bool  # a node entry (else a top-level key)


def _anchors(root: Node) -> list[_Anchor]:
    """Top-level keys and node entries, in the order they start in the text."""
    found: list[_Anchor] = []
    if not isinstance(root, MappingNode):
        return found
    for key, value in root.value:
        name = str(key.value)
        found.append(_Anchor(key.start_mark.line, key.start_mark.column, name, False))
        if name == "nodes" and isinstance(value, SequenceNode):
            for item in value.value:
                if not isinstance(item, MappingNode):
                    continue
                node_id = next((str(v.value) for k, v in item.value if k.value == "id"), None)
                if node_id is not None:
                    column = max(item.start_mark.column - 2, 0)  # the "-" before "id:"
                    found.append(_Anchor(item.start_mark.line, column, node_id, True))
    return sorted(found, key=lambda a: a.line)


def read_comments(text: str, root: Node | None) -> tuple[dict[str, Comments], dict[str, Comments]]:
    """``(per node id, per top-level key or END)`` comments of a parsed file."""
    if "#" not in text or root is None:
        return {}, {}
    starts = {a.line: a for a in _anchors(root)}
    by_node: dict[str, Comments] = {}
    by_top: dict[str, Comments] = {}

    def slot(anchor: _Anchor) -> Comments:
        return (by_node if anchor.entry else by_top).setdefault(anchor.key, Comments())

    lines = text.splitlines()
    pending: list[str] = []  # full-line comments waiting for the entry below them
    current: _Anchor | None = None
    last_key = ""
    for number, raw in enumerate(lines):
        if number in starts:
            current, last_key = starts[number], ""
            if pending:
                slot(current).before.extend(pending)
                pending = []
        code, comment = _split_comment(raw)
        if code.strip():
            key = _KEY.match(code)
            if key is not None:
                last_key = key.group(1)
        if comment is None:
            continue
        if code.strip():  # at the end of a line: the key it ends (a wrapped value's key)
            if current is not None:
                slot(current).inline[last_key] = comment
            continue
        column = len(raw) - len(raw.lstrip())
        if (
            current is not None
            and column > current.indent
            and not _introduces_next(lines, number, starts, column)
        ):
            slot(current).inside.append(comment.strip())
        else:
            pending.append(comment.strip())
    if pending:
        by_top.setdefault(END, Comments()).before.extend(pending)
    return by_node, by_top


def _introduces_next(
    lines: list[str], number: int, starts: dict[int, _Anchor], column: int
) -> bool:
    """Whether the next line with content starts an entry indented no deeper than the
    comment: then the comment introduces that entry rather than ending this one."""
    for later in range(number + 1, len(lines)):
        stripped = lines[later].strip()
        if not stripped or stripped.startswith("#"):
            continue
        anchor = starts.get(later)
        return anchor is not None and anchor.indent <= column
    return True


def write_comments(
    text: str, by_node: dict[str, Comments], by_top: dict[str, Comments], node_order: Sequence[str]
) -> str:
    """``text`` (written by ``dumps_graph``) with the comments put back in place."""
    if not by_node and not by_top:
        return text
    out: list[str] = []
    order = iter(node_order)
    current: Comments | None = None
    open_key: str | None = None  # a wrapped flow value: its comment goes where it closes
    depth = 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        key = _KEY.match(line)
        if stripped.startswith("- id:"):
            comments = by_node.get(next(order, ""))
            out.extend(indent + c for c in (comments.before if comments else []))
            out.append(_with_inline(line, comments, "id"))
            out.extend(indent + "  " + c for c in (comments.inside if comments else []))
            current, open_key, depth = comments, None, 0
            continue
        if key is not None and not indent:
            comments = by_top.get(key.group(1))
            out.extend(comments.before if comments else [])
            out.append(_with_inline(line, comments, key.group(1)))
            out.extend("  " + c for c in (comments.inside if comments else []))
            current, open_key, depth = comments, None, 0
            continue
        if current is not None and stripped:
            if open_key is None and key is not None:
                open_key = key.group(1)
            depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
            if depth <= 0 and open_key is not None:
                line = _with_inline(line, current, open_key)
                open_key, depth = None, 0
        out.append(line)
    end = by_top.get(END)
    if end:
        while out and not out[-1]:
            out.pop()
        out.extend(end.before)
        out.append("")
    return "\n".join(out)


def _with_inline(line: str, comments: Comments | None, key: str) -> str:
    if comments is None or key not in comments.inline:
        return line
    return f"{line}  {comments.inline[key]}"
