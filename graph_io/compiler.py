"""Turn a valid graph into a real torch module.

A chain becomes ``nn.Sequential`` whose children are named after the node ids, so
``print(model)`` reads like the graph. Anything with branches becomes a
``torch.fx.GraphModule``: torch generates readable ``forward`` code for it, and it
runs at the speed of hand-written PyTorch because there is no interpreter loop.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import nodes as registry
from graph_io.errors import CompileError
from graph_io.model import Graph
from graph_io.shapes import Report, infer

if TYPE_CHECKING:
    from torch import nn


def is_chain(graph: Graph, report: Report) -> bool:
    """True when the nodes form one path Input -> ... -> output with no branches."""
    consumers = graph.consumers()
    return all(
        len(graph.nodes[nid].inputs) <= 1 and len(consumers[nid]) <= 1 for nid in report.order
    )


def build_modules(graph: Graph, report: Report) -> OrderedDict[str, nn.Module]:
    """One torch module per non-Input node, in topological order."""
    modules: OrderedDict[str, nn.Module] = OrderedDict()
    for nid in report.order:
        node = graph.nodes[nid]
        spec = registry.get(node.type)
        if spec.is_source:
            continue
        modules[nid] = spec.build(node.params, report.results[nid].input_shapes)
    return modules


def compile_graph(graph: Graph, *, seed: int | None = None) -> nn.Module:
    """Compile ``graph``; raises ``CompileError`` listing every problem if invalid.

    With ``seed`` the initial weights are reproducible and the global RNG is left as
    it was, so compiling never disturbs the caller's randomness.
    """
    import torch

    report = infer(graph)
    if not report.ok:
        raise CompileError([p.message for p in report.problems])
    if seed is None:
        return _assemble(graph, report)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _assemble(graph, report)


def _assemble(graph: Graph, report: Report) -> nn.Module:
    from torch import nn

    modules = build_modules(graph, report)
    if is_chain(graph, report):
        return nn.Sequential(modules)
    return _fx_module(graph, report, modules)


def _fx_module(graph: Graph, report: Report, modules: OrderedDict[str, nn.Module]) -> nn.Module:
    from torch import fx, nn

    root = nn.Module()
    for name, module in modules.items():
        root.add_module(name, module)
    fx_graph = fx.Graph()
    values: dict[str, Any] = {}
    for nid in report.order:
        node = graph.nodes[nid]
        if nid not in modules:
            values[nid] = fx_graph.placeholder(nid)
        else:
            args = tuple(values[source] for source in node.inputs)
            values[nid] = fx_graph.call_module(nid, args)
    assert report.output is not None  # a valid report has exactly one output
    fx_graph.output(values[report.output])
    fx_graph.lint()
    return fx.GraphModule(root, fx_graph, class_name=class_name(graph.name))


def class_name(name: str) -> str:
    """A CamelCase Python class name from a graph name: 'resnet_mini' -> 'ResnetMini'."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    text = "".join(w[:1].upper() + w[1:] for w in words) or "Model"
    return text if text[0].isalpha() else f"Model{text}"
