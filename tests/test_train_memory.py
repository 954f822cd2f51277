"""The training-memory estimate: its rules against autograd, `convas summary`, and the
guard in `convas train` (CPU and, with torch's answer faked, CUDA)."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from cli_helpers import EXAMPLES, ROOT, assert_clean_failure, convas
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch.nn import functional as F  # noqa: N812

from app.training.memory_guard import MemoryGuardError, check_memory
from graph_io.compiler import compile_graph
from graph_io.memory_advice import Budget
from graph_io.model import Graph
from graph_io.shapes import infer
from graph_io.train_memory import EVAL_BATCH, estimate
from graph_io.training_config import TrainingConfig
from graph_io.yaml_io import load_graph, loads_graph

LENET = EXAMPLES / "lenet5.yaml"
BATCH = 4

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
SIXTEEN_GB = str(16 * 2**30)


# ---- the rules against what autograd really keeps ----------------------------------


def saved_by_autograd(graph: Graph, batch: int) -> int:
    """Bytes of the distinct tensors autograd saves in one forward pass and loss,
    leaving out the weights, buffers and the input batch (counted apart)."""
    report = infer(graph)
    model = compile_graph(graph)
    model.train()
    x = torch.rand(batch, *report.results[report.order[0]].shape)  # type: ignore[misc]
    target = torch.zeros(batch, dtype=torch.long)
    own = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers(), x]}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in own:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        F.cross_entropy(model(x), target)
    return sum(saved.values())


def statistics_allowance(graph: Graph, batch: int) -> int:
    """What the estimate leaves out on purpose: the per-channel or per-sample mean and
    deviation a normalisation saves, and the loss's targets."""
    report = infer(graph)
    allowance = 8 * batch + 8
    for node in graph.nodes.values():
        if node.type in ("BatchNorm2D", "GroupNorm", "LayerNorm"):
            channels, height, width = report.results[node.id].input_shapes[0]
            allowance += 8 * batch * (channels + height * width)
    return allowance


ACTIVATIONS = ["None", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Hardswish", "Sigmoid", "Tanh"]


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    """A valid chain of image layers with branches (Add, Concat, Multiply), views
    (Slice, Flatten), padding and every kind of activation, ending in Dense."""
    graph = Graph(name="random")
    channels = draw(st.integers(1, 4))
    size = draw(st.integers(8, 16))
    graph.add_node("Input", "input", {"channels": channels, "height": size, "width": size})
    last = "input"
    for index in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(
                [
                    "Conv2D",
                    "Pool",
                    "Norm",
                    "Dropout",
                    "Activation",
                    "Reshape",
                    "Add",
                    "Concat",
                    "Multiply",
                    "Adaptive",
                ]
            )
        )
        nid = f"n{index}"
        act = draw(st.sampled_from(ACTIVATIONS))
        if kind == "Conv2D":
            params = {
                "filters": draw(st.integers(1, 6)),
                "kernel": draw(st.integers(1, 3)),
                "stride": draw(st.integers(1, 2)),
                "padding": draw(st.sampled_from(["None", "Same", 1])),
                "depthwise": False,
                "activation": act,
            }
            graph.add_node("Conv2D", nid, params, [last])
        elif kind == "Pool":
            pool = draw(st.sampled_from(["MaxPool2D", "AvgPool2D"]))
            padding = draw(st.sampled_from(["None", "Same"]))
            graph.add_node(pool, nid, {"kernel": 2, "padding": padding}, [last])
        elif kind == "Norm":
            norm = draw(st.sampled_from(["BatchNorm2D", "GroupNorm", "LayerNorm", "LayerNorm2"]))
            params = {"groups": 1} if norm == "GroupNorm" else {}
            if norm.startswith("LayerNorm"):
                params = {"over": "Channels" if norm == "LayerNorm2" else "Sample"}
                norm = "LayerNorm"
            graph.add_node(norm, nid, params, [last])
        elif kind == "Dropout":
            graph.add_node("Dropout", nid, {"rate": draw(st.sampled_from([0.0, 0.3]))}, [last])
        elif kind == "Activation":
            graph.add_node("Activation", nid, {"function": act}, [last])
        elif kind == "Reshape":
            layer = draw(st.sampled_from(["Upsample", "ZeroPad2D", "Slice", "ChannelShuffle"]))
            params: dict[str, Any] = {"end": 1} if layer == "Slice" else {}
            if layer == "ChannelShuffle":
                params = {"groups": 1}
            graph.add_node(layer, nid, params, [last])
        elif kind == "Adaptive":
            layer = draw(st.sampled_from(["AdaptiveAvgPool2D", "AdaptiveMaxPool2D"]))
            graph.add_node(layer, nid, {"output_size": draw(st.sampled_from([1, 2]))}, [last])
        else:  # a branch that joins again
            side = f"{nid}_side"
            if kind == "Multiply":
                graph.add_node("Activation", side, {"function": "Sigmoid"}, [last])
            else:
                filters = 2 if kind == "Concat" else None
                params = {"kernel": 3, "padding": "Same", "activation": act}
                report = infer(graph)
                shape = report.results[last].shape
                assume(shape is not None and len(shape) == 3)
                assert shape is not None
                params["filters"] = filters or shape[0]
                graph.add_node("Conv2D", side, params, [last])
            inputs = [last, side] if draw(st.booleans()) else [side, last]
            graph.add_node(kind, nid, {}, inputs)
        report = infer(graph)
        assume(report.ok)
        last = nid
    graph.add_node("Flatten", "flat", {}, [last])
    graph.add_node(
        "Dense", "out", {"units": 3, "activation": draw(st.sampled_from(ACTIVATIONS))}, ["flat"]
    )
    assume(infer(graph).ok)
    return graph


@settings(deadline=None, max_examples=40, derandomize=True, suppress_health_check=list(HealthCheck))
@given(graphs())
def test_kept_activations_are_what_autograd_saves(graph: Graph) -> None:
    kept = estimate(graph, BATCH).activations
    saved = saved_by_autograd(graph, BATCH)
    assert abs(saved - kept) <= statistics_allowance(graph, BATCH), (saved, kept)


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_kept_activations_of_every_template_are_what_autograd_saves(name: str) -> None:
    graph = load_graph(EXAMPLES / f"{name}.yaml")
    kept = estimate(graph, BATCH).activations
    saved = saved_by_autograd(graph, BATCH)
    assert abs(saved - kept) <= statistics_allowance(graph, BATCH), (saved, kept)


def test_activations_grow_with_the_batch_and_state_with_the_optimizer() -> None:
    graph = load_graph(LENET)
    small, large = estimate(graph, 32, "Adam"), estimate(graph, 64, "Adam")
    assert large.activations == 2 * small.activations
    assert large.weights == small.weights
    assert estimate(graph, 32, "SGD").optimizer_state == small.weights
    assert estimate(graph, 32, "SGD", momentum=0).optimizer_state == 0
    assert estimate(graph, 32, "AdamW").optimizer_state == 2 * small.weights
    with pytest.raises(ValueError, match="batch size"):
        estimate(graph, 0)


def test_evaluation_batch_never_needs_more_than_the_training_step() -> None:
    huge = loads_graph(HUGE)
    assert estimate(huge, 1).eval_batch_size() == 1  # not 512 samples of 16 GB each
    small = estimate(load_graph(LENET), 32)
    assert 32 <= small.eval_batch_size() <= EVAL_BATCH
    memory = estimate(load_graph(EXAMPLES / "resnet_mini.yaml"), 64)
    room = memory.total - memory.state
    assert memory.eval_batch_size() * memory.inference_per_sample <= room


# ---- convas summary and convas train ----------------------------------------------


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
    assert memory["total_bytes"] == (
        sum(n["total_bytes"] for n in nodes)
        + memory["input_batch_bytes"]
        + memory["backward_bytes"]
        + memory["allocator_slack_bytes"]
    )
    # 61,706 float32 weights, as many gradients and two Adam moments each
    assert memory["weights_bytes"] == 61706 * 4
    assert memory["optimizer_bytes"] == 2 * 61706 * 4
    assert memory["input_batch_bytes"] == 64 * 32 * 32 * 4


def test_summary_refuses_a_batch_size_below_one() -> None:
    assert_clean_failure(convas("summary", LENET, "--batch-size", "0"), 2)


def test_train_refuses_the_issue_graph_before_allocating(tmp_path: Path) -> None:
    """3×2048×2048 into 1,024 filters: one line naming the layer and what fits."""
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    limit = {"CONVAS_MEMORY_LIMIT": SIXTEEN_GB}
    done = convas("train", path, "--out", tmp_path / "run", env=limit, timeout=60)
    assert_clean_failure(done, 1)
    message = done.stderr
    assert "training needs about 1.5 TB at batch size 32 plus 84.2 GB for the data set" in message
    assert "only 16.0 GB of RAM is available" in message
    assert "Conv2D 'conv' 513.5 GB (activations kept for the backward pass)" in message
    assert "Even batch size 1 (48.1 GB) does not fit" in message
    assert not (tmp_path / "run").exists()
    # The Input it proposes does fit, with its data, at batch size 1.
    side = re.search(r"make Input 'input' at most 3×(\d+)×(\d+)", message)
    assert side is not None, message
    smaller = loads_graph(HUGE.replace("2048", side.group(1)))
    budget = Budget(int(SIXTEEN_GB), "RAM", 1797)
    assert budget.fits(smaller, estimate(smaller, 1).total)
    bigger = loads_graph(HUGE.replace("2048", str(int(side.group(1)) + 1)))
    assert not budget.fits(bigger, estimate(bigger, 1).total)


def test_train_refuses_the_issue_graph_without_loading_torch(tmp_path: Path) -> None:
    """The refusal comes before torch's multi-second import: with torch made
    unimportable, `convas train` still gives its one-line answer."""
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    code = (
        "import sys; sys.modules['torch'] = None; from app.cli import main; "
        f"sys.exit(main(['train', {str(path)!r}, '--out', {str(tmp_path / 'run')!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "CONVAS_MEMORY_LIMIT": SIXTEEN_GB},
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: training needs about 1.5 TB"), done.stderr
    assert not (tmp_path / "run").exists()


def test_the_batch_size_the_guard_suggests_fits(tmp_path: Path) -> None:
    limit = {"CONVAS_MEMORY_LIMIT": str(40 * 2**20)}  # pretend 40 MB are free
    args = ["train", LENET, "--epochs", "1", "--batch-size", "512", "--quiet"]
    done = convas(*args, "--out", tmp_path / "a", env=limit)
    assert_clean_failure(done, 1)
    suggested = re.search(r"Lower the batch size to (\d+) or less", done.stderr)
    assert suggested is not None, done.stderr
    args[-2] = suggested.group(1)
    done = convas(*args, "--out", tmp_path / "b", env=limit)
    assert done.returncode == 0, done.stderr


def test_a_data_set_too_big_for_ram_is_refused_with_how_many_images_fit(tmp_path: Path) -> None:
    path = tmp_path / "wide.yaml"
    path.write_text(
        HUGE.replace("filters: 1024", "filters: 4").replace("batch_size: 32", "batch_size: 1")
    )
    done = convas("train", path, "--out", tmp_path / "run", env={"CONVAS_MEMORY_LIMIT": SIXTEEN_GB})
    assert_clean_failure(done, 1)
    assert "the data set 84.2 GB (1,797 images of 3×2048×2048)" in done.stderr
    fewer = re.search(r"train on at most ([\d,]+) images \(training: samples\)", done.stderr)
    assert fewer is not None, done.stderr
    count = int(fewer.group(1).replace(",", ""))
    graph = loads_graph(path.read_text())
    step = estimate(graph, 1).total
    assert Budget(int(SIXTEEN_GB), "RAM", count).fits(graph, step)
    assert not Budget(int(SIXTEEN_GB), "RAM", count + 1).fits(graph, step)


def test_refusing_on_the_cpu_needs_no_torch(tmp_path: Path) -> None:
    """The guard can run before the 1-2 s torch import (``precheck``)."""
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    script = (
        "import sys\n"
        "from app.training.memory_guard import MemoryGuardError, precheck\n"
        "from graph_io.training_config import TrainingConfig\n"
        "from graph_io.yaml_io import load_graph\n"
        f"graph = load_graph({str(path)!r})\n"
        "try:\n"
        "    precheck(graph, TrainingConfig(device='cpu', batch_size=32))\n"
        "except MemoryGuardError as exc:\n"
        "    print('refused:', exc)\n"
        "print('torch' in sys.modules, 'numpy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "refused: training needs about 1.5 TB" in done.stdout
    assert done.stdout.strip().endswith("False False"), done.stdout


def test_running_out_of_memory_anyway_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """When something else takes the memory the guard counted on, the allocator's
    failure becomes the same kind of message (here: an address-space limit of 5 GB
    while the guard is told 64 GB are free)."""
    path = tmp_path / "mid.yaml"
    path.write_text(
        HUGE.replace("2048", "256")
        .replace("channels: 3", "channels: 1")
        .replace("filters: 1024", "filters: 256")
        .replace("units: 10", "units: 4")
        .replace("dataset: digits, batch_size: 32", "dataset: shapes, samples: 200, batch_size: 64")
    )

    def limit_address_space() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (5 * 2**30, 5 * 2**30))

    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "train", str(path), "--out", str(tmp_path / "r")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "CONVAS_MEMORY_LIMIT": str(64 * 2**30)},
        preexec_fn=limit_address_space,
        timeout=300,
        check=False,
    )
    assert_clean_failure(done, 1)
    assert "ran out of memory at batch size 64" in done.stderr
    assert "lower the batch size" in done.stderr


# ---- CUDA: free device memory, with torch's answer faked ---------------------------


def test_on_cuda_the_step_is_checked_against_free_device_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[object] = []

    def mem_get_info(device: object = None) -> tuple[int, int]:
        asked.append(device)
        return 2 * 2**30, 24 * 2**30  # 2 GB free of 24

    monkeypatch.setattr(torch.cuda, "mem_get_info", mem_get_info)
    monkeypatch.delenv("CONVAS_MEMORY_LIMIT", raising=False)
    graph = load_graph(EXAMPLES / "small_vgg.yaml")
    device = torch.device("cuda", 0)
    config = TrainingConfig(batch_size=4096, device="cuda")
    with pytest.raises(MemoryGuardError) as refused:
        check_memory(graph, config, device)
    message = str(refused.value)
    assert "only 2.0 GB of free GPU memory is available" in message
    assert "Lower the batch size to" in message
    assert asked
    assert all(d == device for d in asked)
    fits = int(re.search(r"Lower the batch size to (\d+)", message).group(1))  # type: ignore[union-attr]
    memory = check_memory(graph, config.model_copy(update={"batch_size": fits}), device)
    assert memory.slack == 0  # CUDA's caching allocator: no glibc heap slack
    assert memory.total <= 2 * 2**30


def test_on_cuda_the_data_set_is_checked_against_ram(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (80 * 2**30, 80 * 2**30))
    monkeypatch.setattr("app.training.memory_guard.ram_available", lambda: 8 * 2**30)
    monkeypatch.delenv("CONVAS_MEMORY_LIMIT", raising=False)
    graph = loads_graph(HUGE.replace("filters: 1024", "filters: 4"))
    config = TrainingConfig(batch_size=1, device="cuda", dataset="digits")
    with pytest.raises(MemoryGuardError, match=r"only 8\.0 GB of RAM is available"):
        check_memory(graph, config, torch.device("cuda"))
    assert check_memory(graph, config, torch.device("cuda"), data_loaded=True).total < 2**30
