"""Saving and loading: stable, atomic, lossless; random input never escapes FormatError."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nodes
from graph_io import Graph
from graph_io.errors import FormatError
from graph_io.yaml_io import dumps_graph, load_graph, loads_graph, save_graph

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(
    deadline=None, max_examples=150, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def as_data(graph: Graph) -> list[tuple[Any, ...]]:
    return [(n.id, n.type, n.params, n.inputs, n.pos) for n in graph.nodes.values()]


def test_round_trip_is_stable_and_byte_identical(tmp_path: Path) -> None:
    graph = load_graph(ROOT / "examples" / "resnet_mini.yaml")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    save_graph(graph, first)
    again = load_graph(first)
    save_graph(again, second)
    assert as_data(again) == as_data(graph)
    assert again.training == graph.training
    assert first.read_bytes() == second.read_bytes()


def test_omitted_params_take_defaults_and_are_written_out() -> None:
    graph = loads_graph("convas: 1\nnodes:\n  - {id: c, type: Conv2D}\n")
    assert graph.nodes["c"].params == nodes.get("Conv2D").defaults()
    assert "params: {filters: 32, kernel: 3, stride: 1, padding: None" in dumps_graph(graph)


def test_layer_norm_writes_over_only_when_it_is_channels() -> None:
    """Files written before LayerNorm had ``over`` read and write the same."""
    text = "convas: 1\nnodes:\n  - {id: n, type: LayerNorm, params: {eps: 0.001}}\n"
    graph = loads_graph(text)
    assert graph.nodes["n"].params == {"over": "Sample", "eps": 0.001}
    assert "params: {eps: 0.001}" in dumps_graph(graph)
    channels = loads_graph(text.replace("{eps:", "{over: channels, eps:"))
    assert "params: {over: Channels, eps: 0.001}" in dumps_graph(channels)
    with pytest.raises(FormatError, match="over: must be one of Sample, Channels, got 'pixel'"):
        loads_graph(text.replace("{eps: 0.001}", "{over: pixel}"))


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "g.yaml"
    target.write_text("old contents")
    graph = load_graph(ROOT / "examples" / "lenet5.yaml")
    graph.training = {"epochs": object()}  # cannot be written: the old file must survive
    with pytest.raises(yaml.YAMLError):
        save_graph(graph, target)
    assert target.read_text() == "old contents"
    assert os.listdir(tmp_path) == ["g.yaml"]
    graph.training = None
    save_graph(graph, target)
    assert os.listdir(tmp_path) == ["g.yaml"]
    assert load_graph(target).name == "lenet5"


def test_positions_and_canonical_values_round_trip() -> None:
    graph = Graph("p")
    graph.add_node("Input", "x", {}, [], (10.25, -3.0))
    graph.add_node("Conv2D", "c", {"kernel": [3, 5], "padding": "same"}, ["x"], (200, 0))
    again = loads_graph(dumps_graph(graph))
    assert again.nodes["x"].pos == (10.2, -3)
    assert again.nodes["c"].params["kernel"] == [3, 5]
    assert again.nodes["c"].params["padding"] == "Same"


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    graph = Graph(draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)))
    graph.add_node(
        "Input",
        "input",
        {"channels": draw(st.integers(1, 4))},
        [],
        (0, 0) if draw(st.booleans()) else None,
    )
    ids = ["input"]
    for index in range(draw(st.integers(0, 8))):
        spec = draw(st.sampled_from([s for s in nodes.all_layers() if not s.is_source]))
        params = {}
        for p in spec.params:
            if draw(st.booleans()):
                if p.kind == "int":
                    params[p.name] = draw(st.integers(int(p.minimum or 0), 64))
                elif p.kind == "choice":
                    params[p.name] = draw(st.sampled_from(p.choices))
                elif p.kind == "bool":
                    params[p.name] = draw(st.booleans())
        count = 2 if spec.takes_many_inputs else 1
        inputs = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=count, unique=True))
        node_id = f"n{index}"
        graph.add_node(
            spec.type,
            node_id,
            params,
            inputs,
            (draw(st.integers(-500, 500)), draw(st.integers(-500, 500))),
        )
        ids.append(node_id)
    return graph


@FUZZ
@given(graphs())
def test_random_graphs_round_trip(graph: Graph) -> None:
    text = dumps_graph(graph)
    again = loads_graph(text)
    assert as_data(again) == as_data(graph)
    assert dumps_graph(again) == text


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_format_error(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        loads_graph(data, "fuzz.yaml")


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["convas", "name", "nodes", "training", "x"]), yaml_values, max_size=4
    ),
    st.lists(
        st.dictionaries(
            st.sampled_from(["id", "type", "params", "inputs", "pos", "y"]),
            yaml_values | st.sampled_from(nodes.type_names()),
            max_size=6,
        ),
        max_size=4,
    ),
)
def test_random_documents_only_raise_format_error(
    top: dict[str, Any], entries: list[dict[str, Any]]
) -> None:
    document = {"convas": 1, **top}
    if "nodes" not in top:
        document["nodes"] = entries
    with contextlib.suppress(FormatError):
        loads_graph(yaml.safe_dump(document), "fuzz.yaml")
