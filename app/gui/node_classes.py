"""NodeGraphQt node classes, generated from the layer registry.

There is no hand-written class per layer: each ``LayerSpec`` becomes a ``BaseNode``
subclass with an input port (several inputs for Add/Concat) and an output port,
drawn by ``FaceNodeItem``.
Parameters live in the document, not in NodeGraphQt properties, so the scene holds
nothing that could disagree with the file.
"""

from __future__ import annotations

from typing import Any

from NodeGraphQt import BaseNode

import nodes
from app.gui.node_item import FaceNodeItem
from nodes.spec import LayerSpec

IDENTIFIER = "convas"
INPUT_PORT = "in"
OUTPUT_PORT = "out"


def _make(spec: LayerSpec) -> type[BaseNode]:
    def init(self: BaseNode) -> None:
        BaseNode.__init__(self, FaceNodeItem)
        if not spec.is_source:
            self.add_input(INPUT_PORT, multi_input=spec.takes_many_inputs, display_name=False)
        self.add_output(OUTPUT_PORT, multi_output=True, display_name=False)

    return type(
        spec.type,
        (BaseNode,),
        {
            "__identifier__": IDENTIFIER,
            "NODE_NAME": spec.title,
            "LAYER_TYPE": spec.type,
            "__init__": init,
        },
    )


NODE_CLASSES: dict[str, type[BaseNode]] = {s.type: _make(s) for s in nodes.all_layers()}


def node_type_key(layer_type: str) -> str:
    """The NodeGraphQt type string used by ``create_node``."""
    return f"{IDENTIFIER}.{layer_type}"


def layer_type(node: Any) -> str:
    return str(node.LAYER_TYPE)
