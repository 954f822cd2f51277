"""A YAML reader that refuses what a graph file never needs.

Graph files are small, flat and plain. Refusing aliases, deep nesting, duplicate
keys, tags and huge inputs up front turns every hostile or broken file into one
clear ``FormatError`` instead of a hang, a memory blow-up or a silent overwrite.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

from graph_io.errors import FormatError

MAX_BYTES = 10 * 10**6
MAX_DEPTH = 32


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
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise FormatError(
                    f"keys must be text, got {key!r}",
                    file=self.filename,
                    line=key_node.start_mark.line + 1,
                )
            if key in seen:
                raise FormatError(
                    f"key {key!r} appears twice in the same mapping (first on line {seen[key]})",
                    file=self.filename,
                    line=key_node.start_mark.line + 1,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


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


def compose_strict(text: str | bytes, filename: str) -> tuple[Node | None, Any]:
    """The node tree (for line numbers) and the plain data of one YAML document."""
    source = decode(text, filename)
    if len(source) > MAX_BYTES:
        raise FormatError(f"larger than {MAX_BYTES // 10**6} MB", file=filename)
    if not source.strip():
        raise FormatError("the file is empty; a graph file starts with 'convas: 1'", file=filename)
    try:
        loader = _StrictLoader(source, filename)
    except yaml.reader.ReaderError as exc:
        raise _bad_character(exc, source, filename) from None
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except FormatError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
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
