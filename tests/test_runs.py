"""Kept runs: the run folder, stopping, crashing, resuming, and `convas runs`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from app.cli import main
from app.training.engine import train
from app.training.events import BatchEnd, Event
from app.training.run_folder import (
    RUNS_DIR_ENV,
    load_checkpoint,
    read_metrics,
    read_run,
)
from graph_io import Graph
from graph_io.training_config import TrainingConfig
from graph_io.yaml_io import load_graph, save_graph

ROOT = Path(__file__).resolve().parents[1]


def small_net(filters: int = 8) -> Graph:
    """A CNN for the 8x8 digits with Dropout, so resuming must restore the RNG too."""
    graph = Graph("small_net")
    graph.add_node("Input", "x", {"channels": 1, "height": 8, "width": 8})
    graph.add_node("Conv2D", "c1", {"filters": filters, "padding": "Same"}, ["x"])
    graph.add_node("MaxPool2D", "p1", {}, ["c1"])
    graph.add_node("Dropout", "drop", {"rate": 0.3}, ["p1"])
    graph.add_node("Flatten", "flat", {}, ["drop"])
    graph.add_node("Dense", "out", {"units": 10}, ["flat"])
    graph.training = {"dataset": "digits", "epochs": 2, "batch_size": 128, "lr": 0.01}
    return graph


CONFIG = TrainingConfig(epochs=3, batch_size=128, lr=0.01, seed=5)


def weights_equal(a: Path, b: Path) -> bool:
    x, y = load_file(a), load_file(b)
    return x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)


def stop_in_epoch(epoch: int, stop: threading.Event) -> Callable[[Event], None]:
    def on_event(event: Event) -> None:
        if isinstance(event, BatchEnd) and event.epoch == epoch:
            stop.set()

    return on_event


def test_a_stopped_run_resumes_to_the_same_weights_bit_for_bit(tmp_path: Path) -> None:
    whole = train(small_net(), CONFIG, out_dir=tmp_path / "whole")
    stop = threading.Event()
    stopped = train(
        small_net(),
        CONFIG,
        out_dir=tmp_path / "cut",
        stop=stop,
        on_event=stop_in_epoch(2, stop),
    )
    assert stopped.stopped
    info = read_run(tmp_path / "cut")
    assert (info.status, info.epochs_done) == ("stopped", 1)
    rows = read_metrics(tmp_path / "cut")
    assert [(r["epoch"], r["complete"]) for r in rows] == [(1, True), (2, False)]
    checkpoint = load_checkpoint(tmp_path / "cut" / "checkpoint.safetensors")
    assert checkpoint.epoch == 1

    resumed = train(small_net(), CONFIG, out_dir=tmp_path / "cut", resume=checkpoint)
    assert [e.epoch for e in resumed.epochs] == [2, 3]
    assert weights_equal(
        tmp_path / "whole" / "model.safetensors", tmp_path / "cut" / "model.safetensors"
    )
    assert whole.epochs[-1].train_loss == resumed.epochs[-1].train_loss
    rows = read_metrics(tmp_path / "cut")
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert all(r["complete"] for r in rows)
    keys = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
    assert [[r[k] for k in keys] for r in rows] == [
        [r[k] for k in keys] for r in read_metrics(tmp_path / "whole")
    ]
    info = read_run(tmp_path / "cut")
    assert (info.status, info.epochs_done) == ("finished", 3)
    assert len(info.raw["resumed"]) == 1


def test_a_crashed_run_keeps_its_finished_epochs(tmp_path: Path) -> None:
    def crash(event: Event) -> None:
        if isinstance(event, BatchEnd) and event.epoch == 2:
            raise RuntimeError("simulated power cut")

    with pytest.raises(RuntimeError):
        train(small_net(), CONFIG, out_dir=tmp_path, on_event=crash)
    info = read_run(tmp_path)
    assert info.status == "crashed"
    assert info.error == "simulated power cut"
    assert [r["epoch"] for r in read_metrics(tmp_path)] == [1]
    checkpoint = load_checkpoint(tmp_path / "checkpoint.safetensors")
    final = load_file(tmp_path / "model.safetensors")
    assert all(torch.equal(final[k], checkpoint.model[k]) for k in final)  # epoch 1's weights
    assert (tmp_path / "best.safetensors").is_file()
    assert load_graph(tmp_path / "graph.yaml").nodes.keys() == small_net().nodes.keys()
    env = json.loads((tmp_path / "environment.json").read_text())
    assert env["torch"] == torch.__version__
    assert env["device"] == "cpu"


def test_a_run_killed_without_warning_is_reported_as_crashed(tmp_path: Path) -> None:
    train(small_net(), CONFIG.model_copy(update={"epochs": 1}), out_dir=tmp_path)
    raw = json.loads((tmp_path / "run.json").read_text())
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    raw.update(status="running", pid=int(dead.stdout))
    (tmp_path / "run.json").write_text(json.dumps(raw))
    assert read_run(tmp_path).status == "crashed"


def write_graph(graph: Graph, path: Path) -> Path:
    save_graph(graph, path)
    return path


@pytest.fixture
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "runs"
    monkeypatch.setenv(RUNS_DIR_ENV, str(folder))
    return folder


def test_train_twice_list_show_diff_and_resume(
    tmp_path: Path, runs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a person does: two variants, compare them, continue the better one."""
    narrow = write_graph(small_net(4), tmp_path / "narrow.yaml")
    wide = write_graph(small_net(12), tmp_path / "wide.yaml")
    assert main(["train", str(narrow), "--epochs", "1", "--quiet"]) == 0
    assert main(["train", str(wide), "--epochs", "1", "--lr", "0.02", "--quiet"]) == 0
    capsys.readouterr()
    runs = sorted(runs_dir.iterdir())
    assert len(runs) == 2

    assert main(["runs"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "Run", "Date", "Graph", "Dataset", "Epochs", "Best", "val", "Duration", "Status",
    ]  # fmt: skip
    assert len(table) == 3
    assert all("small_net  digits" in line and line.endswith("finished") for line in table[1:])
    assert main(["runs", str(narrow), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 2  # both variants keep the graph's name
    assert {r["epochs_done"] for r in listed} == {1}
    assert all(0.1 < r["best_val_accuracy"] <= 1 for r in listed)

    first, second = runs
    assert main(["runs", "show", first.name]) == 0
    shown = capsys.readouterr().out
    assert "status    finished" in shown
    assert "epochs    1 of 1" in shown
    assert "lr=0.01" in shown or "lr=0.02" in shown
    assert "\n    1  " in shown  # the epoch table
    assert main(["runs", "show", str(second), "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["metrics"][0]["epoch"] == 1
    assert detail["environment"]["torch"] == torch.__version__

    assert main(["diff", str(first / "graph.yaml"), str(second / "graph.yaml")]) == 1
    out = capsys.readouterr().out
    assert "filters 4 -> 12" in out or "filters 12 -> 4" in out
    assert "training lr: " in out
    assert main(["runs", "compare", first.name, second.name]) == 0
    out = capsys.readouterr().out
    assert "setting lr: " in out
    assert "filters " in out
    assert "best_val_accuracy" in out
    assert main(["runs", "compare", first.name, second.name, "--json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert set(compared["settings"]) == {"lr"}
    assert compared["metrics"]["epochs_done"] == {"old": 1.0, "new": 1.0, "delta": 0.0}

    # Resume the narrow run to 2 epochs; it must match a run of 2 epochs from scratch.
    narrow_run = next(
        r for r in runs if load_graph(r / "graph.yaml").nodes["c1"].params["filters"] == 4
    )
    assert main(["train", "--resume", str(narrow_run), "--epochs", "2", "--quiet"]) == 0
    assert "resuming" in capsys.readouterr().out
    reference = tmp_path / "reference"
    assert main(["train", str(narrow), "--epochs", "2", "--quiet", "--out", str(reference)]) == 0
    assert weights_equal(narrow_run / "model.safetensors", reference / "model.safetensors")
    assert read_run(narrow_run).epochs_done == 2


def test_clear_errors_for_runs_and_resume(
    tmp_path: Path, runs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs"]) == 0
    assert "no runs in" in capsys.readouterr().out
    assert main(["runs", "show", "nothing"]) == 1
    assert "no run 'nothing'" in capsys.readouterr().err
    assert main(["runs", "show"]) == 2
    assert main(["train", "--resume", "nothing"]) == 2
    assert "no run 'nothing'" in capsys.readouterr().err
    assert main(["train", "--resume", "x", "--lr", "0.1"]) == 2
    assert "only --epochs may change (got --lr)" in capsys.readouterr().err
    assert main(["train"]) == 2
    assert "give a graph YAML file" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "run.json").write_text("{not json")
    assert main(["runs", "show", str(tmp_path / "bad")]) == 1
    assert "run.json: unreadable" in capsys.readouterr().err


def test_ctrl_c_stops_convas_train_and_keeps_the_run(tmp_path: Path) -> None:
    graph = write_graph(small_net(), tmp_path / "net.yaml")
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "train",
            str(graph),
            "--epochs",
            "500",
            "--out",
            str(out),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.safetensors").is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr  # kept, but stopped: a script must not go on
    assert "stopping after this batch" in stderr
    assert stdout.startswith("stopped: ")
    info = read_run(out)
    assert info.status == "stopped"
    assert info.epochs_done >= 1
    assert (out / "model.safetensors").is_file()
    assert load_checkpoint(out / "checkpoint.safetensors").epoch == info.epochs_done
