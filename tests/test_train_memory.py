"""The training-memory estimate: shown by `convas summary`, enforced by `convas train`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_helpers import EXAMPLES, assert_clean_failure, convas

from graph_io.train_memory import estimate
from graph_io.yaml_io import load_graph

LENET = EXAMPLES / "lenet5.yaml"

HUGE = """convas: 1
name: huge
nodes:
  - {id: input, type: Input, params: {channels: 3, height: 2048, width: 2048}}
  - {id: conv, type: Conv2D, params: {filters: 1024, kernel: 3, padding: Same, activation: ReLU},
     inputs: [input]}
  - {id: gap, type: GlobalAvgPool2D, inputs: [conv]}
  - {id: out, type: Dense, params: {units: 10}, inputs: [gap]}
training: {dataset: digits, batch_size: 32}
"""


def test_summary_shows_the_training_memory_table() -> None:
    done = convas("summary", LENET, "--batch-size", "256", "--optimizer", "SGD")
    assert done.returncode == 0, done.stderr
    assert "Training memory at batch size 256 (SGD, float32):" in done.stdout
    assert re.search(r"^  c1 +\S+ KB +4\.6 MB +4\.6 MB$", done.stdout, re.MULTILINE), done.stdout
    assert "estimated peak:" in done.stdout


def test_summary_json_parts_add_up_to_the_total() -> None:
    done = convas("summary", LENET, "--json", "--batch-size", "64")
    assert done.returncode == 0, done.stderr
    memory = json.loads(done.stdout)["training_memory"]
    nodes = memory["nodes"].values()
    assert memory["optimizer"] == "Adam"  # lenet5.yaml names none: the default
    assert (
        memory["total_bytes"]
        == sum(n["total_bytes"] for n in nodes)
        + memory["input_batch_bytes"]
        + memory["backward_bytes"]
    )
    # 61,706 float32 weights, as many gradients and two Adam moments each
    assert memory["weights_bytes"] == 61706 * 4
    assert memory["optimizer_bytes"] == 2 * 61706 * 4
    assert memory["input_batch_bytes"] == 64 * 32 * 32 * 4


def test_summary_refuses_a_batch_size_below_one() -> None:
    assert_clean_failure(convas("summary", LENET, "--batch-size", "0"), 2)


def test_activations_grow_with_the_batch_and_state_with_the_optimizer() -> None:
    graph = load_graph(LENET)
    small, large = estimate(graph, 32, "Adam"), estimate(graph, 64, "Adam")
    assert large.activations == 2 * small.activations
    assert large.weights == small.weights
    assert estimate(graph, 32, "SGD").optimizer_state == small.weights
    assert estimate(graph, 32, "SGD", momentum=0).optimizer_state == 0
    with pytest.raises(ValueError, match="batch size"):
        estimate(graph, 0)


def test_train_refuses_a_model_that_cannot_fit_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    done = convas("train", path, "--out", tmp_path / "run", timeout=60)
    assert_clean_failure(done, 1)
    assert "training needs about 1.5 TB at batch size 32" in done.stderr
    assert "Conv2D 'conv'" in done.stderr
    assert "even one sample needs" in done.stderr
    assert not (tmp_path / "run").exists()


def test_the_batch_size_the_guard_suggests_fits(tmp_path: Path) -> None:
    limit = {"CONVAS_MEMORY_LIMIT": str(8 * 2**20)}  # pretend 8 MB are free
    args = ["train", LENET, "--epochs", "1", "--batch-size", "512", "--quiet"]
    done = convas(*args, "--out", tmp_path / "a", env=limit)
    assert_clean_failure(done, 1)
    suggested = re.search(r"lower the batch size to (\d+) or less", done.stderr)
    assert suggested is not None, done.stderr
    args[-2] = suggested.group(1)
    done = convas(*args, "--out", tmp_path / "b", env=limit)
    assert done.returncode == 0, done.stderr
