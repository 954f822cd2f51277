"""The training engine on real data: determinism, stopping, failures, learning."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from app.training.engine import TrainingError, train
from app.training.evaluate import evaluate, format_confusion
from app.training.events import BatchEnd, EpochEnd, Event, Log, RunEnd, RunFailed
from graph_io import Graph
from graph_io.training_config import TrainingConfig
from graph_io.yaml_io import load_graph


def tiny_cnn(units: int = 10, softmax: bool = False) -> Graph:
    graph = Graph("tiny")
    graph.add_node("Input", "x", {"channels": 1, "height": 8, "width": 8})
    graph.add_node("Conv2D", "c1", {"filters": 8, "padding": "Same"}, ["x"])
    graph.add_node("MaxPool2D", "p1", {}, ["c1"])
    graph.add_node("Flatten", "flat", {}, ["p1"])
    graph.add_node(
        "Dense", "out", {"units": units, "activation": "Softmax" if softmax else "None"}, ["flat"]
    )
    return graph


FAST = TrainingConfig(epochs=2, batch_size=64, lr=0.01, seed=3)


def test_same_seed_gives_same_metrics_and_weights(tmp_path: Path) -> None:
    first = train(tiny_cnn(), FAST, out_dir=tmp_path / "a")
    second = train(tiny_cnn(), FAST, out_dir=tmp_path / "b")
    other = train(tiny_cnn(), FAST.model_copy(update={"seed": 4}))
    assert [e.train_loss for e in first.epochs] == [e.train_loss for e in second.epochs]
    assert first.epochs[-1].val_accuracy == second.epochs[-1].val_accuracy
    assert [e.train_loss for e in first.epochs] != [e.train_loss for e in other.epochs]
    a = load_file(tmp_path / "a" / "model.safetensors")
    b = load_file(tmp_path / "b" / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_training_learns_digits_and_writes_outputs(tmp_path: Path) -> None:
    events: list[Event] = []
    result = train(
        tiny_cnn(), FAST.model_copy(update={"epochs": 4}), on_event=events.append, out_dir=tmp_path
    )
    assert result.best_val_accuracy is not None
    assert result.best_val_accuracy > 0.85  # chance is 0.10
    assert {p.name for p in result.files} == {
        "model.safetensors",
        "best.safetensors",
        "checkpoint.safetensors",
        "graph.yaml",
        "config.json",
        "metrics.csv",
        "metrics.jsonl",
        "normalization.json",
        "summary.txt",
        "environment.json",
        "run.json",
    }
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4]
    assert load_graph(tmp_path / "graph.yaml").training == {"epochs": 4, "lr": 0.01, "seed": 3}
    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert batches
    assert batches[-1].batch == batches[-1].batches
    assert isinstance(events[-1], RunEnd)
    assert sum(isinstance(e, EpochEnd) for e in events) == 4

    evaluation = evaluate(
        tiny_cnn(), tmp_path / "model.safetensors", FAST.model_copy(update={"epochs": 4})
    )
    assert evaluation.accuracy > 0.85
    assert evaluation.confusion.sum() == 1797
    first = evaluation.predictions[0]
    assert not first.correct  # mistakes are listed first
    assert "accuracy" in format_confusion(evaluation)


def test_stop_is_honoured_within_one_batch() -> None:
    stop = threading.Event()
    seen: list[BatchEnd] = []

    def on_event(event: Event) -> None:
        if isinstance(event, BatchEnd):
            seen.append(event)
            stop.set()

    config = FAST.model_copy(update={"epochs": 50, "batch_size": 8})
    result = train(tiny_cnn(), config, on_event=on_event, stop=stop)
    assert result.stopped
    assert len(result.epochs) == 1
    assert len(seen) == 1  # no batch ran after the one that asked to stop
    assert result.batches_run == seen[0].batch


def test_nan_loss_stops_with_advice() -> None:
    events: list[Event] = []
    config = FAST.model_copy(update={"lr": 90.0, "optimizer": "SGD", "epochs": 20})
    with pytest.raises(TrainingError, match="lower the learning rate \\(now 90\\)"):
        train(tiny_cnn(), config, on_event=events.append)
    assert isinstance(events[-1], RunFailed)


def test_output_size_must_match_classes_before_training() -> None:
    with pytest.raises(TrainingError) as info:
        train(tiny_cnn(units=12), FAST)
    assert str(info.value) == (
        "output of Dense 'out' has 12 values but dataset 'digits' has 10 classes — "
        "set Units of Dense 'out' to 10"
    )


def test_softmax_output_still_trains_and_is_explained() -> None:
    events: list[Event] = []
    result = train(tiny_cnn(softmax=True), FAST, on_event=events.append)
    assert any(isinstance(e, Log) and "Softmax" in e.message for e in events)
    assert result.epochs[-1].val_accuracy is not None
    assert result.epochs[-1].val_accuracy > 0.5


def test_input_shape_differing_from_dataset_is_reported() -> None:
    graph = tiny_cnn()
    graph.set_param("x", "height", 12)
    graph.set_param("x", "width", 12)
    events: list[Event] = []
    train(graph, FAST.model_copy(update={"epochs": 1}), on_event=events.append)
    notes = [e.message for e in events if isinstance(e, Log)]
    assert any("1x12x12" in n and "1x8x8" in n for n in notes)


def test_invalid_graph_refuses_to_train() -> None:
    graph = tiny_cnn()
    graph.nodes["flat"].inputs = []
    with pytest.raises(TrainingError, match="Flatten 'flat': input is not connected"):
        train(graph, FAST)


def test_stopped_run_still_reports_metrics() -> None:
    stop = threading.Event()
    stop.set()
    result = train(tiny_cnn(), FAST, stop=stop)
    assert result.stopped
    assert torch.isfinite(torch.tensor(result.epochs[0].train_loss))
