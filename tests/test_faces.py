"""Node faces: what each layer's node says, derived from the registry alone."""

from __future__ import annotations

import pytest

import nodes
from graph_io.faces import face, faces, params_line
from graph_io.model import Graph, Node
from graph_io.shapes import NodeResult, Status, infer
from nodes.spec import FaceShow, LayerSpec, ParamKind, ParamSpec, ParamValue

LAYERS = nodes.all_layers()


def node_of(layer: str, **params: ParamValue) -> Node:
    spec = nodes.get(layer)
    return Node(layer.lower(), layer, spec.resolve(params))


@pytest.mark.parametrize(
    ("layer", "params", "caption"),
    [
        (
            "Conv2D",
            {"filters": 32, "kernel": 3, "stride": 2, "padding": "Same", "activation": "ReLU"},
            "Conv2D 32 · 3×3 /2 · Same · ReLU",
        ),
        ("Conv2D", {"filters": 6, "kernel": [3, 5], "padding": 1}, "Conv2D 6 · 3×5 · pad 1 · ReLU"),
        ("MaxPool2D", {}, "MaxPool2D 2×2 /2"),
        ("AvgPool2D", {"kernel": 3, "stride": [1, 2]}, "AvgPool2D 3×3 /1×2"),
        ("Dense", {"units": 128, "activation": "ReLU"}, "Dense 128 · ReLU"),
        ("Dense", {"units": 10}, "Dense 10"),
        ("Dropout", {"rate": 0.25}, "Dropout 0.25"),
        ("BatchNorm2D", {}, "BatchNorm2D"),
        ("BatchNorm2D", {"momentum": 0.01}, "BatchNorm2D momentum 0.01"),
        ("Activation", {"function": "GELU"}, "Activation GELU"),
        ("Input", {"channels": 3}, "Input"),
    ],
)
def test_captions_read_like_a_person_describing_the_layer(
    layer: str, params: dict[str, ParamValue], caption: str
) -> None:
    assert face(node_of(layer, **params), None).caption == caption


def _other_value(spec: ParamSpec) -> ParamValue:
    """A valid value different from the default that is worth showing."""
    default = spec.default
    if spec.kind is ParamKind.BOOL:
        return not default
    if spec.kind is ParamKind.CHOICE:
        return next(c for c in spec.choices if c not in (default, "None"))
    if spec.kind is ParamKind.PADDING:
        return "Same" if default != "Same" else 1
    if spec.kind is ParamKind.FLOAT:
        low = spec.minimum if spec.minimum is not None else 0.0
        high = spec.maximum if spec.maximum is not None else low + 1.0
        return (low + high) / 3
    assert isinstance(default, int)
    if spec.kind is ParamKind.INT_PAIR:
        return [default + 1, default + 2]
    return default + 1


@pytest.mark.parametrize("spec", LAYERS, ids=lambda s: s.type)
def test_every_layer_has_a_face_that_shows_each_changed_parameter(spec: LayerSpec) -> None:
    node = Node("n", spec.type, spec.defaults())
    result = NodeResult("n", spec.type, Status.OK, shape=(3, 4, 5), params=1234)
    shown = face(node, result)
    assert (shown.title, shown.category, shown.type) == (spec.title, spec.category, spec.type)
    assert shown.shape == "3×4×5"
    assert shown.param_count == "1.2k params"
    assert shown.caption.startswith(spec.title)
    for word in ("None", "True", "False", "[", "{"):  # no raw Python on a face
        assert word not in shown.params
    baseline = params_line(node)
    for param in spec.params:
        if param.face is not None and param.face.show is FaceShow.NEVER:
            continue
        changed = Node("n", spec.type, {**node.params, param.name: _other_value(param)})
        assert params_line(changed) != baseline, f"{spec.type}.{param.name} is never shown"


def test_faces_of_a_broken_graph_carry_status_error_and_unknown_shapes() -> None:
    graph = Graph("g")
    graph.add_node("Input", "x", {"channels": 1, "height": 8, "width": 8})
    graph.add_node("Conv2D", "c1", {"filters": 4, "kernel": 40}, ["x"])
    graph.add_node("Flatten", "flat", {}, ["c1"])
    shown = faces(graph, infer(graph))
    assert list(shown) == ["x", "c1", "flat"]
    assert shown["x"].shape == "1×8×8"
    assert shown["x"].param_count == ""
    assert shown["c1"].status is Status.ERROR
    assert shown["c1"].error is not None
    assert "Kernel" in shown["c1"].error
    assert shown["c1"].shape == "?"
    assert shown["c1"].param_count == ""
    assert shown["flat"].status is Status.UNKNOWN
    assert shown["flat"].shape == "?"
    assert shown["c1"].error in shown["c1"].tooltip


def test_a_face_before_inference_is_unknown() -> None:
    shown = face(node_of("Conv2D"), None)
    assert shown.status is Status.UNKNOWN
    assert (shown.shape, shown.param_count, shown.error) == ("?", "", None)
