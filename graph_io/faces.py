"""What a node's face says, in a person's words, derived from the layer registry.

The canvas, the minimap and ``convas render`` all draw the same ``Face``; building it
here keeps the GUI free of per-layer code and lets the text be tested without Qt.
A parameter's part of the key line follows the rule for its kind (numbers, pairs,
choices and padding always; floats and booleans only when changed from the default)
unless its ``ParamSpec.face`` hint says otherwise, so a new layer gets a sensible
face without touching this module: ``Conv2D 32 · 3×3 /2 · Same · ReLU``,
``MaxPool2D 2×2 /2``, ``Dense 128 · ReLU``.
"""

from __future__ import annotations

from dataclasses import dataclass

import nodes as registry
from graph_io.model import Graph, Node
from graph_io.shapes import NodeResult, Report, Status
from graph_io.summary import count_text, shape_text
from nodes.spec import FaceHint, FaceShow, ParamKind, ParamSpec, ParamValue

NODE_WIDTH = 220.0
NODE_HEIGHT = 76.0
"""A node's size in scene units: at zoom 1 its smallest text is 10 px tall (see
``app.gui.node_painter``), and layouts space nodes by it."""

SEPARATOR = " · "
_ALWAYS_BY_KIND = {ParamKind.INT, ParamKind.INT_PAIR, ParamKind.CHOICE, ParamKind.PADDING}


@dataclass(frozen=True, slots=True)
class Face:
    """Everything a node shows, as text, plus the state that picks its colours."""

    node_id: str
    type: str
    title: str
    params: str  # the key-parameter line, "" when the defaults say it all
    shape: str  # the output shape, "?" when unknown
    param_count: str  # "18.5k params", "" for a layer without weights
    category: str
    status: Status
    error: str | None = None

    @property
    def caption(self) -> str:
        """Type and key parameters on one line: ``Conv2D 32 · 3×3 /2 · Same · ReLU``."""
        return f"{self.title} {self.params}" if self.params else self.title

    @property
    def tooltip(self) -> str:
        """The node in full, for a hover: caption, shape, parameters and any error."""
        lines = [f"{self.node_id}: {self.caption}", f"output {self.shape}"]
        if self.param_count:
            lines.append(self.param_count)
        if self.error:
            lines.append(self.error)
        return "\n".join(lines)


def value_text(spec: ParamSpec, value: ParamValue) -> str:
    """A parameter value in a person's words: ``3×3``, ``Same``, ``pad 1``, ``0.5``."""
    if spec.kind is ParamKind.INT_PAIR:
        height, width = value if isinstance(value, list) else (value, value)
        return f"{height}×{width}"
    if spec.kind is ParamKind.PADDING and isinstance(value, int):
        return f"pad {value}"
    if spec.kind is ParamKind.BOOL:
        return spec.label if value else f"no {spec.label.lower()}"
    if spec.kind is ParamKind.FLOAT and isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _is_neutral(spec: ParamSpec, value: ParamValue, hint: FaceHint) -> bool:
    """Values that say nothing: a hint's ``hide`` list, no activation, no padding."""
    if value in hint.hide:
        return True
    if spec.kind is ParamKind.CHOICE:
        return value == "None"
    return spec.kind is ParamKind.PADDING and value in ("None", 0)


def param_part(spec: ParamSpec, value: ParamValue) -> str:
    """This parameter's part of the key line, or "" when the face leaves it off."""
    hint = spec.face or FaceHint()
    show = hint.show or (FaceShow.ALWAYS if spec.kind in _ALWAYS_BY_KIND else FaceShow.CHANGED)
    if show is FaceShow.NEVER or (show is FaceShow.CHANGED and value == spec.default):
        return ""
    if _is_neutral(spec, value, hint):
        return ""
    fmt = hint.fmt or ("{label} {value}" if spec.kind is ParamKind.FLOAT else "{value}")
    text = value_text(spec, value)
    short = str(value) if isinstance(value, int) and spec.kind is ParamKind.INT_PAIR else text
    return fmt.format(value=text, short=short, label=spec.label.lower())


def params_line(node: Node) -> str:
    """The key-parameter line of ``node``, from its layer's ``ParamSpec``s in order."""
    line = ""
    for spec in registry.get(node.type).params:
        part = param_part(spec, node.params.get(spec.name, spec.default))
        if not part:
            continue
        attach = spec.face is not None and spec.face.attach
        line += part if attach or not line else SEPARATOR + part
    return line.strip()


def face(node: Node, result: NodeResult | None) -> Face:
    """The face of ``node`` given its inference ``result`` (None before inference)."""
    spec = registry.get(node.type)
    status = result.status if result is not None else Status.UNKNOWN
    shape = result.shape if result is not None else None
    count = result.params if result is not None and status is Status.OK else 0
    return Face(
        node_id=node.id,
        type=node.type,
        title=spec.title,
        params=params_line(node),
        shape=shape_text(shape),
        param_count=f"{count_text(count)} params" if count else "",
        category=spec.category,
        status=status,
        error=result.error if result is not None else None,
    )


def faces(graph: Graph, report: Report) -> dict[str, Face]:
    """Every node's face, in document order."""
    return {nid: face(node, report.results.get(nid)) for nid, node in graph.nodes.items()}
