"""Every bundled example is valid, canonical, and its analytic numbers match torch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from graph_io import infer
from graph_io.compiler import compile_graph
from graph_io.yaml_io import dumps_graph, load_graph

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


def test_all_required_examples_exist() -> None:
    assert {p.stem for p in EXAMPLES} >= {
        "lenet5",
        "mnist_cnn",
        "digits_cnn",
        "small_vgg",
        "resnet_mini",
        "mobilenet_v2_mini",
        "se_resnet_mini",
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_matches_torch(path: Path) -> None:
    graph = load_graph(path)
    report = infer(graph)
    assert report.ok, report.problems
    model = compile_graph(graph, seed=0).eval()
    inp = graph.nodes[report.order[0]].params
    with torch.inference_mode():
        out = model(torch.randn(2, inp["channels"], inp["height"], inp["width"]))
    assert tuple(out.shape[1:]) == report.output_shape
    assert sum(p.numel() for p in model.parameters()) == report.total_params
    assert all(n.pos is not None for n in graph.nodes.values())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_files_are_canonical(path: Path) -> None:
    assert dumps_graph(load_graph(path)) == path.read_text(encoding="utf-8")


def test_lenet5_is_the_classic() -> None:
    report = infer(load_graph(EXAMPLES[0].with_name("lenet5.yaml")))
    assert report.total_params == 61706
    assert report.output_shape == (10,)


def test_resnet_mini_has_skip_connections_and_batchnorm() -> None:
    graph = load_graph(EXAMPLES[0].with_name("resnet_mini.yaml"))
    types = [n.type for n in graph.nodes.values()]
    assert types.count("Add") == 2
    assert "BatchNorm2D" in types
    assert isinstance(compile_graph(graph), torch.fx.GraphModule)


def test_mobile_templates_use_the_blocks_they_are_named_after() -> None:
    """MobileNetV2: depthwise 3x3 between 1x1 convolutions, residual where shapes allow;
    SE-ResNet: every residual branch is scaled by a Cx1x1 sigmoid gate."""
    mobile = load_graph(EXAMPLES[0].with_name("mobilenet_v2_mini.yaml"))
    depthwise = [n for n in mobile.nodes.values() if n.type == "Conv2D" and n.params["depthwise"]]
    assert len(depthwise) >= 4
    assert any(n.type == "Add" for n in mobile.nodes.values())
    se = load_graph(EXAMPLES[0].with_name("se_resnet_mini.yaml"))
    report = infer(se)
    for node in (n for n in se.nodes.values() if n.type == "Multiply"):
        block, gate = (report.results[i].shape for i in node.inputs)
        assert gate is not None
        assert block is not None
        assert gate == (block[0], 1, 1)
    assert sum(n.type == "Multiply" for n in se.nodes.values()) == 3
