"""The compiler: readable torch modules, reproducible weights, clear refusals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch
from torch import fx, nn

import nodes
from graph_io import CompileError, Graph
from graph_io.compiler import class_name, compile_graph
from graph_io.ids import RESERVED

ROOT = Path(__file__).resolve().parents[1]


def chain() -> Graph:
    graph = Graph("tiny_net")
    graph.add_node("Input", "image", {"channels": 1, "height": 8, "width": 8})
    graph.add_node("Conv2D", "conv1", {"filters": 4, "padding": "Same"}, ["image"])
    graph.add_node("MaxPool2D", "pool1", {}, ["conv1"])
    graph.add_node("Flatten", "flat", {}, ["pool1"])
    graph.add_node("Dense", "logits", {"units": 3}, ["flat"])
    return graph


def residual() -> Graph:
    graph = chain()
    graph.add_node("Conv2D", "conv2", {"filters": 4, "padding": "Same"}, ["pool1"])
    graph.add_node("Add", "skip", {}, ["pool1", "conv2"])
    graph.nodes["flat"].inputs = ["skip"]
    return graph


def test_chain_compiles_to_sequential_named_after_nodes() -> None:
    model = compile_graph(chain())
    assert isinstance(model, nn.Sequential)
    assert [name for name, _ in model.named_children()] == ["conv1", "pool1", "flat", "logits"]
    text = str(model)
    assert "(conv1): Sequential" in text
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 3)


def test_branches_compile_to_readable_fx_module() -> None:
    model = compile_graph(residual())
    assert isinstance(model, fx.GraphModule)
    assert type(model).__name__ == "TinyNet"
    code = model.code
    assert "skip = self.skip(pool1, conv2)" in code
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 3)


def test_seed_makes_weights_reproducible_and_keeps_global_rng() -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = compile_graph(residual(), seed=7).state_dict()
    assert torch.equal(torch.random.get_rng_state(), before)
    second = compile_graph(residual(), seed=7).state_dict()
    other = compile_graph(residual(), seed=8).state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert any(not torch.equal(first[k], other[k]) for k in first if k.endswith("weight"))


def test_invalid_graph_lists_every_problem() -> None:
    graph = chain()
    graph.nodes["logits"].inputs = ["pool1"]
    graph.remove_node("flat")
    graph.add_node("Dense", "orphan", {}, [])
    with pytest.raises(CompileError) as info:
        compile_graph(graph)
    text = str(info.value)
    assert "Dense 'logits': needs a vector" in text
    assert "Dense 'orphan': input is not connected" in text


def test_reserved_ids_cover_every_nn_module_attribute() -> None:
    public = {n for n in dir(nn.Module) if not n.startswith("_")}
    public |= {n for n in dir(fx.GraphModule) if not n.startswith("_")}
    assert public <= RESERVED


def test_class_name_is_a_python_identifier() -> None:
    for name in ("resnet_mini", "my net 2", "3d-thing", ""):
        assert class_name(name).isidentifier()


def test_core_never_imports_qt() -> None:
    forbidden = ("PySide6", "NodeGraphQt", "pyqtgraph", "shiboken6")
    folders = [
        ROOT / "nodes",
        ROOT / "graph_io",
        ROOT / "app" / "training",
        ROOT / "app" / "commands",
        ROOT / "resources",
    ]
    files = [p for folder in folders if folder.exists() for p in folder.rglob("*.py")]
    files += [p for p in (ROOT / "app" / "cli.py",) if p.exists()]
    assert len(files) > 10
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


def test_registry_declarations_are_complete() -> None:
    from nodes.registry import CATEGORY_ORDER

    for spec in nodes.all_layers():
        assert spec.title, spec.type
        assert spec.summary, spec.type
        assert spec.doc.strip(), spec.type
        assert spec.category in CATEGORY_ORDER
        for param in spec.params:
            assert param.help, f"{spec.type}.{param.name} has no help"
            assert param.label in spec.doc, f"{spec.type} doc never explains {param.label}"
            assert param.coerce(param.default) == param.default
