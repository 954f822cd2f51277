"""The graph document and everything that reads or writes it, with no Qt."""

from graph_io.errors import CompileError, FormatError, GraphError
from graph_io.model import Graph, Node
from graph_io.shapes import NodeResult, Problem, Report, Status, infer

__all__ = [
    "CompileError",
    "FormatError",
    "Graph",
    "GraphError",
    "Node",
    "NodeResult",
    "Problem",
    "Report",
    "Status",
    "infer",
]
