"""Read and write graph files (YAML format v1).

Reading never constructs objects or runs code (PyYAML's safe loader, with aliases
refused so an "alias bomb" cannot expand), and every failure is one ``FormatError``
saying ``file:line: field: reason``. Writing is atomic and byte-stable so files
diff cleanly in version control.
"""

from __future__ import annotations

import os
import stat
from typing import Any

import yaml
from pydantic import ValidationError

import nodes as registry
from graph_io.atomic_files import atomic_write
from graph_io.document import FORMAT_VERSION, GraphDocument
from graph_io.errors import FormatError, GraphError
from graph_io.model import Graph
from graph_io.yaml_comments import read_comments, write_comments
from graph_io.yaml_errors import describe_validation_error, field_path, line_of
from graph_io.yaml_strict import MAX_BYTES, compose_strict, gc_paused
from nodes.errors import ParamError
from nodes.spec import unknown_param_message


def load_graph(path: str | os.PathLike[str]) -> Graph:
    """Read a graph file; raises ``FormatError`` naming the file, line and field."""
    return loads_graph(read_limited(path), filename=str(path))


def read_limited(path: str | os.PathLike[str], limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or a ``FormatError``.

    A FIFO would block the reader forever and ``/dev/zero`` never ends, so anything
    that is not a regular file is refused from its ``stat`` before it is opened, and
    the read itself stops after ``limit`` bytes in case the file grows meanwhile.
    """
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FormatError("file not found", file=name) from None
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror})", file=name) from None
    except ValueError:  # a NUL character in the name
        raise FormatError("not a valid file name", file=repr(name)) from None
    if stat.S_ISDIR(info.st_mode):
        raise FormatError("is a folder, not a graph file", file=name)
    if not stat.S_ISREG(info.st_mode):
        raise FormatError(
            f"is a {_file_kind(info.st_mode)}, not a regular file; save the graph to a file",
            file=name,
        )
    if info.st_size > limit:
        raise FormatError(
            f"file is {info.st_size / 1e6:.1f} MB; graph files are limited to {limit // 10**6} MB",
            file=name,
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since stat
                raise FormatError("is not a regular file", file=name)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror})", file=name) from None
    if len(data) > limit:
        raise FormatError(f"file grew past {limit // 10**6} MB while being read", file=name)
    return data


def _file_kind(mode: int) -> str:
    kinds = {
        stat.S_ISFIFO: "named pipe (FIFO)",
        stat.S_ISCHR: "character device",
        stat.S_ISBLK: "block device",
        stat.S_ISSOCK: "socket",
    }
    return next((kind for test, kind in kinds.items() if test(mode)), "special file")


def loads_graph(text: str | bytes, filename: str = "<string>") -> Graph:
    """Parse graph text; the same checks and messages as ``load_graph``."""
    with gc_paused():  # building 100k nodes allocates millions of objects: see gc_paused
        return _loads_graph(text, filename)


def _loads_graph(text: str | bytes, filename: str) -> Graph:
    root, data = compose_strict(text, filename)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise FormatError(
            f"the file is {kind}; a graph file is a mapping starting with 'convas: 1'",
            file=filename,
            line=line_of(root, ()),
        )
    version = data.get("convas")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise FormatError(
            f"written by a newer Convas (format {version}); this version reads format "
            f"{FORMAT_VERSION} — upgrade Convas",
            file=filename,
            line=line_of(root, ("convas",)),
            field="convas",
        )
    try:
        document = GraphDocument.model_validate(data)
    except ValidationError as exc:
        loc, reason = describe_validation_error(exc, data)
        raise FormatError(
            reason, file=filename, line=line_of(root, loc), field=field_path(loc)
        ) from None
    if document.convas != FORMAT_VERSION:
        raise FormatError(
            f"unsupported format version {document.convas}; this version reads format "
            f"{FORMAT_VERSION}",
            file=filename,
            line=line_of(root, ("convas",)),
            field="convas",
        )
    graph = _build_graph(document, data, root, filename)
    source = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
    by_node, graph.comments = read_comments(source, root)
    for node_id, comments in by_node.items():
        if node_id in graph.nodes:
            graph.nodes[node_id].comments = comments
    return graph


def _build_graph(document: GraphDocument, data: dict[str, Any], root: Any, filename: str) -> Graph:
    def fail(reason: str, loc: tuple[str | int, ...]) -> FormatError:
        return FormatError(reason, file=filename, line=line_of(root, loc), field=field_path(loc))

    training = data.get("training")
    graph = Graph(name=document.name, training=dict(training) if training else None)
    if document.training is not None:
        given = set(training or {})
        graph.training = {k: v for k, v in document.training.model_dump().items() if k in given}
    first_line: dict[str, tuple[int, int | None]] = {}
    for index, entry in enumerate(document.nodes):
        spec = registry.find(entry.type)
        if spec is None:
            raise fail(registry.unknown_type_message(entry.type), ("nodes", index, "type"))
        if entry.id in first_line:
            earlier, earlier_line = first_line[entry.id]
            where = f" (line {earlier_line})" if earlier_line else ""
            raise fail(
                f"duplicate id {entry.id!r}: nodes[{earlier}]{where} already uses it — "
                "ids must be unique",
                ("nodes", index, "id"),
            )
        first_line[entry.id] = (index, line_of(root, ("nodes", index, "id")))
        for name, value in entry.params.items():
            if not spec.has_param(name):
                raise fail(unknown_param_message(spec, name), ("nodes", index, "params", name))
            try:
                spec.param(name).coerce(value)
            except ParamError as exc:
                raise fail(exc.message, ("nodes", index, "params", name)) from None
        try:
            pos = (entry.pos[0], entry.pos[1]) if entry.pos else None
            graph.add_node(entry.type, entry.id, entry.params, entry.inputs, pos)
        except GraphError as exc:
            raise fail(str(exc), ("nodes", index, "id")) from None
    _check_wiring(graph, fail)
    return graph


def _check_wiring(graph: Graph, fail: Any) -> None:
    """Dangling inputs and cycles make a file unreadable, not just an invalid model."""
    positions = {nid: i for i, nid in enumerate(graph.nodes)}
    for nid, node in graph.nodes.items():
        seen: set[str] = set()
        for k, source in enumerate(node.inputs):
            if source not in graph.nodes:
                raise fail(f"no node with id {source!r}", ("nodes", positions[nid], "inputs", k))
            if source in seen:
                raise fail(f"{source!r} is listed twice", ("nodes", positions[nid], "inputs", k))
            seen.add(source)
    from graph_io.shapes import _cycle_through, topological_order

    placed = set(topological_order(graph))
    for nid in graph.nodes:
        if nid not in placed:
            path = _cycle_through(graph, nid)
            if path is not None:
                loop = " -> ".join([*path, path[0]])
                raise fail(
                    f"the connections form a cycle {loop}; data must flow one way",
                    ("nodes", positions[nid], "inputs"),
                )


# ---- writing --------------------------------------------------------------------


class _Flow(list[Any]):
    """A list written on one line: inputs, pos, kernel pairs."""


class _FlowMap(dict[str, Any]):
    """A mapping written on one line: a node's params."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # indent list items under their key


_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_Dumper.add_representer(
    _FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)


def to_document(graph: Graph) -> dict[str, Any]:
    """The plain data written to disk, params in the registry's declared order.

    Optional params (``ParamSpec.optional``) are left out while at their default.
    """
    entries: list[dict[str, Any]] = []
    for node in graph.nodes.values():
        spec = registry.get(node.type)
        entry: dict[str, Any] = {"id": node.id, "type": node.type}
        written = [p for p in spec.params if not (p.optional and node.params[p.name] == p.default)]
        if written:
            entry["params"] = _FlowMap(
                (p.name, _Flow(v) if isinstance(v := node.params[p.name], list) else v)
                for p in written
            )
        if node.inputs:
            entry["inputs"] = _Flow(node.inputs)
        if node.pos is not None:
            entry["pos"] = _Flow(_coordinate(c) for c in node.pos)
        entries.append(entry)
    document: dict[str, Any] = {"convas": FORMAT_VERSION, "name": graph.name, "nodes": entries}
    if graph.training:
        document["training"] = dict(graph.training)
    return document


def _coordinate(value: float) -> int | float:
    rounded = round(float(value), 1)
    return int(rounded) if rounded.is_integer() else rounded


def dumps_graph(graph: Graph) -> str:
    """The file text: stable, so saving twice gives identical bytes."""
    text = yaml.dump(
        to_document(graph),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
        indent=2,
    )
    # A blank line between nodes makes long graphs easy to scan.
    text = text.replace("\n  - id:", "\n\n  - id:").replace("nodes:\n\n", "nodes:\n", 1)
    by_node = {i: n.comments for i, n in graph.nodes.items() if n.comments}
    return write_comments(text, by_node, graph.comments, list(graph.nodes))


def save_graph(graph: Graph, path: str | os.PathLike[str]) -> None:
    """Write atomically: a crash leaves either the old file or the new one, never half.

    The file keeps its permissions, a symlink keeps pointing at the (updated) file,
    and temporary files left by a killed save are removed (see ``atomic_files``).
    """
    atomic_write(path, dumps_graph(graph))
