"""A YAML reader that refuses what a graph file never needs.

Graph files are small, flat and plain. Refusing aliases, deep nesting, duplicate
keys, tags and huge inputs up front turns every hostile or broken file into one
clear ``FormatError`` instead of a hang, a memory blow-up or a silent overwrite.

Files are parsed by libyaml, PyYAML's C parser, and then walked once for depth and
keys: the pure-Python parser needs ~1 ms per node, which made a 100,000-node file
take minutes. A text that could hold an anchor or alias (an ``&`` or ``*``
anywhere) is first read as libyaml events to refuse those with their line; tags
are refused when their values are built. ``_StrictLoader``, the pure-Python
equivalent, is used only where libyaml is missing.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from graph_io.errors import FormatError

MAX_BYTES = 10 * 10**6
MAX_DEPTH = 32
MAX_NODES = 100_000
"""The most nodes a graph file may hold (also enforced by the document schema)."""

_NODE_ENTRY = re.compile(r"(?:^|[\s{,])id\s*:", re.MULTILINE)
_ANCHOR_CHARACTERS = ("&", "*")
_CLoader: type[Any] | None = getattr(yaml, "CSafeLoader", None)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that tracks depth and refuses aliases and duplicate keys."""

    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self.depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise FormatError(
                "YAML aliases (*name) are not allowed in graph files",
                file=self.filename,
                line=event.start_mark.line + 1,
            )
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if getattr(event, "anchor", None):
            raise FormatError(
                "YAML anchors (&name) are not allowed in graph files",
                file=self.filename,
                line=event.start_mark.line + 1,
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormatError(
                f"nesting deeper than {MAX_DEPTH} levels; graph files are flat",
                file=self.filename,
                line=event.start_mark.line + 1,
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        _check_keys(self, node, self.filename)
        return super().construct_mapping(node, deep=deep)


def _check_keys(constructor: Any, node: MappingNode, filename: str) -> None:
    """Keys are text and unique: a repeated key would silently drop the first value."""
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = constructor.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise FormatError(
                f"keys must be text, got {key!r}", file=filename, line=key_node.start_mark.line + 1
            )
        if key in seen:
            raise FormatError(
                f"key {key!r} appears twice in the same mapping (first on line {seen[key]})",
                file=filename,
                line=key_node.start_mark.line + 1,
            )
        seen[key] = key_node.start_mark.line + 1


if _CLoader is not None:

    class _FastLoader(_CLoader):  # type: ignore[misc, valid-type]
        """libyaml's parser and composer with the same key checks as ``_StrictLoader``."""

        def __init__(self, stream: str, filename: str) -> None:
            super().__init__(stream)
            self.filename = filename
            self.scalar_tags: dict[tuple[str, Any], str] = {}

        def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
            """Cache a scalar's tag: most values in a graph file repeat ("3", "Same")."""
            if kind is not ScalarNode:
                return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
            key = (value, implicit)
            tag = self.scalar_tags.get(key)
            if tag is None:
                tag = self.scalar_tags[key] = super().resolve(kind, value, implicit)
            return tag

        def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
            _check_keys(self, node, filename=self.filename)
            return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


def _plain_data(root: Node, loader: Any, filename: str) -> Any:
    """The document's data, built without recursion and depth-checked on the way.

    PyYAML's constructor costs ~4 Python calls per value through generators; graph
    files are plain mappings, lists and scalars, so this builds them directly and
    hands only non-text scalars (numbers, booleans, null) to the constructor. Keys
    are checked as ``_StrictLoader`` checks them: text, and never twice.
    """
    construct = loader.construct_object
    made: dict[int, Any] = {}
    stack: list[tuple[Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if depth > MAX_DEPTH:
            raise FormatError(
                f"nesting deeper than {MAX_DEPTH} levels; graph files are flat",
                file=filename,
                line=node.start_mark.line + 1,
            )
        if isinstance(node, MappingNode) and node.tag == _MAP_TAG:
            if not children_done:
                stack.append((node, depth, True))
                stack.extend((value, depth + 1, False) for _, value in node.value)
                continue
            mapping: dict[str, Any] = {}
            lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                key = key_node.value if key_node.tag == _STR_TAG else construct(key_node)
                if not isinstance(key, str):
                    raise FormatError(f"keys must be text, got {key!r}", file=filename, line=line)
                if key in lines:
                    raise FormatError(
                        f"key {key!r} appears twice in the same mapping (first on line "
                        f"{lines[key]})",
                        file=filename,
                        line=line,
                    )
                lines[key] = line
                mapping[key] = made.pop(id(value_node))
            made[id(node)] = mapping
        elif isinstance(node, SequenceNode) and node.tag == _SEQ_TAG:
            if not children_done:
                stack.append((node, depth, True))
                stack.extend((item, depth + 1, False) for item in node.value)
                continue
            made[id(node)] = [made.pop(id(item)) for item in node.value]
        elif node.tag == _STR_TAG:
            made[id(node)] = node.value
        else:
            made[id(node)] = construct(node, deep=True)
    return made[id(root)]


def _refuse_anchors(source: str, filename: str) -> None:
    """Refuse the first anchor or alias, found in libyaml's event stream.

    libyaml's composer resolves aliases silently, so a text that could hold one is
    first read as events (about as fast as composing it: a hostile 10 MB file is
    refused in seconds, not the minute the pure-Python parser needs). A ``*`` or
    ``&`` in a comment or a quoted string is no anchor and costs only this pass.
    """
    assert _CLoader is not None
    events = _CLoader(source)
    try:
        while events.check_event():
            event = events.get_event()
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, yaml.AliasEvent):
                raise FormatError(
                    "YAML aliases (*name) are not allowed in graph files", file=filename, line=line
                )
            if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                raise FormatError(
                    "YAML anchors (&name) are not allowed in graph files", file=filename, line=line
                )
    finally:
        events.dispose()


def check_node_count(source: str, filename: str) -> None:
    """Refuse a file with far too many nodes before spending seconds parsing it.

    Counts ``id:`` keys textually, which can only over-count (an ``id:`` inside a
    string); the schema checks the exact count after parsing.
    """
    count = len(_NODE_ENTRY.findall(source))
    if count > MAX_NODES:
        raise FormatError(
            f"holds about {count:,} nodes; graph files are limited to {MAX_NODES:,} nodes — "
            "split the model or generate it with fewer, larger layers",
            file=filename,
        )


def decode(text: str | bytes, filename: str) -> str:
    if isinstance(text, str):
        return text
    if len(text) > MAX_BYTES:
        raise FormatError(f"larger than {MAX_BYTES // 10**6} MB", file=filename)
    try:
        return text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = text[: exc.start].count(b"\n") + 1
        raise FormatError(
            f"not UTF-8 text (byte 0x{text[exc.start]:02x}); save the file as UTF-8",
            file=filename,
            line=line,
        ) from None


def _bad_character(exc: yaml.reader.ReaderError, source: str, filename: str) -> FormatError:
    line = source[: exc.position].count("\n") + 1
    return FormatError(
        f"invalid character (code {exc.character}) — graph files are plain text",
        file=filename,
        line=line,
    )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small objects are made.

    Parsing creates no reference cycles worth collecting, yet every few hundred
    allocations would trigger a collection that walks all the nodes made so far:
    that made parsing 4× slower on a 20,000-node file and worse on larger ones.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compose_strict(text: str | bytes, filename: str) -> tuple[Node | None, Any]:
    """The node tree (for line numbers) and the plain data of one YAML document."""
    with gc_paused():
        return _compose(text, filename)


def _compose(text: str | bytes, filename: str) -> tuple[Node | None, Any]:
    source = decode(text, filename)
    if len(source) > MAX_BYTES:
        raise FormatError(f"larger than {MAX_BYTES // 10**6} MB", file=filename)
    if not source.strip():
        raise FormatError("the file is empty; a graph file starts with 'convas: 1'", file=filename)
    check_node_count(source, filename)
    fast = _CLoader is not None
    try:
        loader = _FastLoader(source, filename) if fast else _StrictLoader(source, filename)
    except yaml.reader.ReaderError as exc:
        raise _bad_character(exc, source, filename) from None
    try:
        if fast and any(c in source for c in _ANCHOR_CHARACTERS):
            _refuse_anchors(source, filename)
        root = loader.get_single_node()
        if root is None:
            data = None
        elif fast:
            data = _plain_data(root, loader, filename)
        else:
            data = loader.construct_document(root)
    except FormatError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if "maximum nesting depth" in reason:  # libyaml's own limit, met before ours
            reason = f"nesting deeper than {MAX_DEPTH} levels; graph files are flat"
            raise FormatError(reason, file=filename, line=mark.line + 1 if mark else None) from None
        if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in reason:
            reason = "custom YAML tags (!!python/..., !tag) are not allowed: " + reason
        raise FormatError(
            f"invalid YAML: {reason}", file=filename, line=mark.line + 1 if mark else None
        ) from None
    except yaml.reader.ReaderError as exc:
        raise _bad_character(exc, source, filename) from None
    except yaml.YAMLError as exc:
        raise FormatError(f"invalid YAML: {exc}", file=filename) from None
    except RecursionError:
        raise FormatError("nesting too deep", file=filename) from None
    finally:
        loader.dispose()
    return root, data
