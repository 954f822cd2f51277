"""Every layer type leaves Convas and comes back exactly: .py export, ONNX, import.

Each layer is placed, with settings away from its defaults, in a small graph built
the way a user would wire it (``CASES``). The exported PyTorch code and the ONNX file
must compute what the compiled model computes, and importing the compiled model must
give back a graph with the same outputs. A new layer type fails
``test_every_layer_type_has_a_case`` until it is added here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from test_export_py import assert_same_outputs, exported_model

import nodes
from graph_io import Graph, infer
from graph_io.compiler import compile_graph
from graph_io.export_onnx import OnnxExportError, export_onnx
from graph_io.import_torch import import_module

Wiring = list[tuple[str, str, dict[str, Any], list[str]]]
"""(type, id, params, inputs) after an Input node called 'input'."""

SHAPE = (4, 9, 8)

CASES: dict[str, dict[str, Wiring]] = {
    "Conv2D": {
        "grouped-dilated": [
            (
                "Conv2D",
                "conv",
                {
                    "filters": 6,
                    "kernel": [3, 2],
                    "stride": [2, 1],
                    "padding": "Same",
                    "dilation": [2, 3],
                    "groups": 2,
                    "activation": "LeakyReLU",
                    "negative_slope": 0.2,
                },
                ["input"],
            )
        ],
        "depthwise": [
            (
                "Conv2D",
                "dw",
                {"filters": 8, "depthwise": True, "padding": "Same", "activation": "Hardswish"},
                ["input"],
            ),
            (
                "Conv2D",
                "pw",
                {"filters": 5, "kernel": 1, "activation": "ELU", "alpha": 0.5},
                ["dw"],
            ),
        ],
    },
    "Multiply": {
        "squeeze-excite": [
            ("AdaptiveAvgPool2D", "squeeze", {}, ["input"]),
            ("Conv2D", "reduce", {"filters": 2, "kernel": 1, "activation": "SiLU"}, ["squeeze"]),
            ("Conv2D", "excite", {"filters": 4, "kernel": 1, "activation": "Sigmoid"}, ["reduce"]),
            ("Multiply", "scale", {}, ["input", "excite"]),
        ],
    },
    "AdaptiveAvgPool2D": {
        "even": [("AdaptiveAvgPool2D", "pool", {"output_size": [3, 2]}, ["input"])],
        "uneven": [("AdaptiveAvgPool2D", "pool", {"output_size": [4, 3]}, ["input"])],
    },
    "AdaptiveMaxPool2D": {
        "even": [("AdaptiveMaxPool2D", "pool", {"output_size": [9, 4]}, ["input"])],
        "uneven": [("AdaptiveMaxPool2D", "pool", {"output_size": [2, 3]}, ["input"])],
    },
    "ConvTranspose2D": {
        "grouped": [
            (
                "ConvTranspose2D",
                "up",
                {
                    "filters": 6,
                    "kernel": [3, 4],
                    "stride": 2,
                    "padding": [1, 0],
                    "output_padding": 1,
                    "dilation": [1, 2],
                    "groups": 2,
                    "activation": "GELU",
                },
                ["input"],
            )
        ],
    },
    "Upsample": {
        "nearest": [("Upsample", "up", {"scale": [2, 3]}, ["input"])],
        "bilinear-size": [
            (
                "Upsample",
                "up",
                {"by": "Size", "size": [13, 5], "mode": "bilinear", "align_corners": True},
                ["input"],
            )
        ],
    },
    "ZeroPad2D": {"uneven": [("ZeroPad2D", "pad", {"left": 0, "bottom": 2}, ["input"])]},
    "Slice": {
        "split-join": [
            ("Slice", "head", {"start": 0, "end": 1}, ["input"]),
            ("Slice", "tail", {"start": 1, "end": 4}, ["input"]),
            ("Conv2D", "branch", {"filters": 3, "kernel": 1}, ["tail"]),
            ("Concat", "join", {}, ["head", "branch"]),
            ("ChannelShuffle", "shuffle", {"groups": 2}, ["join"]),
        ]
    },
    "GroupNorm": {"groups": [("GroupNorm", "norm", {"groups": 2, "eps": 1e-3}, ["input"])]},
    "LayerNorm": {
        "image": [("LayerNorm", "norm", {"eps": 1e-4}, ["input"])],
        "channels": [
            ("Conv2D", "conv", {"filters": 6, "kernel": 1}, ["input"]),
            ("LayerNorm", "norm", {"over": "Channels", "eps": 1e-6}, ["conv"]),
        ],
        "vector": [
            ("Flatten", "flat", {}, ["input"]),
            ("LayerNorm", "norm", {}, ["flat"]),
        ],
    },
    "Activation": {
        name: [("Activation", "act", {"function": name}, ["input"])]
        for name in nodes.get("Activation").param("function").choices
        if name != "None"
    },
}


def build(wiring: Wiring) -> Graph:
    graph = Graph("layer_case")
    graph.add_node("Input", "input", dict(zip(("channels", "height", "width"), SHAPE, strict=True)))
    for type_name, nid, params, inputs in wiring:
        graph.add_node(type_name, nid, params, inputs)
    report = infer(graph)
    assert report.ok, [p.message for p in report.problems]
    return graph


PARAMS = [
    pytest.param(wiring, id=f"{layer}-{case}")
    for layer, cases in CASES.items()
    for case, wiring in cases.items()
]
ONNX_REFUSES = {"AdaptiveAvgPool2D-uneven", "AdaptiveMaxPool2D-uneven"}
"""torch's ONNX exporter only writes adaptive pools whose output size divides the input."""


def test_every_layer_type_has_a_case() -> None:
    used = {t for cases in CASES.values() for wiring in cases.values() for t, *_ in wiring}
    # Layers in the examples already go through every export test.
    examples = {"Input", "Dense", "Flatten", "MaxPool2D", "AvgPool2D", "BatchNorm2D"}
    examples |= {"Dropout", "GlobalAvgPool2D", "Add", "Concat"}
    assert set(nodes.type_names()) <= used | examples, "add a case for the new layer"


@pytest.mark.parametrize("wiring", PARAMS)
def test_python_export_computes_the_same(wiring: Wiring, tmp_path: Path) -> None:
    graph = build(wiring)
    reference = compile_graph(graph, seed=4)
    assert_same_outputs(graph, exported_model(graph, tmp_path / "case.py"), reference)


@pytest.mark.parametrize("wiring", PARAMS)
def test_onnx_export_computes_the_same(
    wiring: Wiring, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    ort = pytest.importorskip("onnxruntime", reason="ONNX export needs the convas[onnx] extra")
    graph = build(wiring)
    reference = compile_graph(graph, seed=4).eval()
    file = tmp_path / "case.onnx"
    if request.node.callspec.id in ONNX_REFUSES:
        type_name, nid = wiring[0][:2]
        with pytest.raises(OnnxExportError, match=f"cannot express {type_name} '{nid}'"):
            export_onnx(graph, file, weights=reference.state_dict())
        assert not file.exists()
        return
    export_onnx(graph, file, weights=reference.state_dict())
    session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        x = torch.randn(batch, *SHAPE)
        (got,) = session.run(None, {"input": x.numpy()})
        with torch.inference_mode():
            expected = reference(x).numpy()
        assert got.shape == expected.shape
        assert abs(got - expected).max() <= 1e-4


@pytest.mark.parametrize("wiring", PARAMS)
def test_import_gives_back_the_same_graph(wiring: Wiring) -> None:
    graph = build(wiring)
    model = compile_graph(graph, seed=4).eval()
    result = import_module(model, SHAPE, label="case")

    # Ids may differ (code export inlines x * gate and x[:, a:b]); layers and settings not.
    def described(g: Graph) -> list[str]:
        return sorted(f"{n.type} {sorted(n.params.items())}" for n in g.nodes.values())

    assert described(result.graph) == described(graph)
    rebuilt = compile_graph(result.graph).eval()
    rebuilt.load_state_dict(result.weights)
    x = torch.randn(3, *SHAPE)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x))
