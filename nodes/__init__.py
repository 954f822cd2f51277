"""The layer catalog: every layer type Convas knows, declared once.

Importing this package registers all layer families.
"""

from nodes import conv, core_layers, io_layers, merge, normalization, pooling, reshape
from nodes.errors import ConvasError, ParamError, ShapeError
from nodes.registry import all_layers, find, get, type_names, unknown_type_message
from nodes.spec import LayerSpec, ParamKind, ParamSpec, Shape

__all__ = [
    "ConvasError",
    "LayerSpec",
    "ParamError",
    "ParamKind",
    "ParamSpec",
    "Shape",
    "ShapeError",
    "all_layers",
    "conv",
    "core_layers",
    "find",
    "get",
    "io_layers",
    "merge",
    "normalization",
    "pooling",
    "reshape",
    "type_names",
    "unknown_type_message",
]
