"""Weights files: round trip, clear mismatches, and never unpickling."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from app.training.checkpoint import WeightsError, load_into, load_weights, save_weights
from graph_io import Graph
from graph_io.compiler import compile_graph


def net(filters: int = 6) -> Graph:
    graph = Graph("net")
    graph.add_node("Input", "x", {"channels": 1, "height": 12, "width": 12})
    graph.add_node("Conv2D", "c1", {"filters": filters, "kernel": 5}, ["x"])
    graph.add_node("GlobalAvgPool2D", "gap", {}, ["c1"])
    graph.add_node("Dense", "out", {"units": 3}, ["gap"])
    return graph


def test_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = compile_graph(net(), seed=1).eval()
    path = tmp_path / "w.safetensors"
    save_weights(model.state_dict(), path)
    restored = compile_graph(net(), seed=2).eval()
    load_into(restored, net(), path)
    x = torch.randn(4, 1, 12, 12)
    assert torch.equal(model(x), restored(x))


def test_shape_mismatch_names_the_layer(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_weights(compile_graph(net(16)).state_dict(), path)
    with pytest.raises(WeightsError) as info:
        load_weights(net(6), path)
    message = str(info.value)
    assert "weights for Conv2D 'c1' have shape 16x1x5x5 but the graph expects 6x1x5x5" in message
    assert "trained on a different graph" in message


def test_missing_and_unexpected_keys_are_named(tmp_path: Path) -> None:
    state = compile_graph(net()).state_dict()
    state.pop("out.linear.bias")
    state["extra.weight"] = torch.zeros(2)
    path = tmp_path / "w.safetensors"
    save_weights(state, path)
    with pytest.raises(WeightsError) as info:
        load_weights(net(), path)
    assert "no weights for Dense 'out' (out.linear.bias)" in str(info.value)
    assert "unexpected weights extra.weight" in str(info.value)


def test_pickle_is_refused_without_being_loaded(tmp_path: Path) -> None:
    marker = tmp_path / "executed"

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (marker.write_text, ("pwned",))

    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(WeightsError, match="not a safetensors weights file"):
        load_weights(net(), path)
    assert not marker.exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="weights file not found"):
        load_weights(net(), tmp_path / "nope.safetensors")
