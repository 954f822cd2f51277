"""The convas command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main

ROOT = Path(__file__).resolve().parents[1]
LENET = ROOT / "examples" / "lenet5.yaml"


def test_summary_json_reports_lenet_totals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(LENET), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_params"] == 61706
    assert data["output_shape"] == [10]
    assert data["errors"] == []
    first = data["nodes"][1]
    assert first == {
        "id": "c1",
        "type": "Conv2D",
        "output_shape": [6, 28, 28],
        "params": 156,
        "macs": 117600,
        "error": None,
    }


def test_summary_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(LENET)]) == 0
    out = capsys.readouterr().out
    assert "c3       Conv2D     16x10x10       2,416  240,000" in out
    assert "Total params: 61,706" in out


def broken(tmp_path: Path) -> Path:
    text = LENET.read_text().replace("filters: 16, kernel: 5", "filters: 16, kernel: 15")
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path


def test_validate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(LENET)]) == 0
    assert "valid — 9 nodes, 61,706 params, output 10" in capsys.readouterr().out
    assert main(["validate", str(broken(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert (
        "Conv2D 'c3': kernel 15x15 is larger than its input 14x14 — reduce Kernel or use "
        "Padding Same [parameter: kernel]"
    ) in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("convas: 1\nnodes: 3\n")
    assert main(["validate", str(bad)]) == 2
    assert "bad.yaml:2: nodes: input should be a valid list, got 3" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert main(["validate"]) == 2


def test_new_writes_a_template_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "net.yaml"
    assert main(["new", "--template", "resnet_mini", str(out)]) == 0
    assert out.read_text() == (ROOT / "examples" / "resnet_mini.yaml").read_text()
    assert main(["new", "--template", "resnet_mini", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["new", "--template", "nope", str(tmp_path / "x.yaml")]) == 2
    assert "known: digits_cnn, lenet5" in capsys.readouterr().err
    assert main(["new", "--list"]) == 0


def test_train_and_evaluate_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = ROOT / "examples" / "digits_cnn.yaml"
    out = tmp_path / "run"
    assert main(["train", str(graph), "--epochs", "1", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "done: 1 epochs" in printed
    assert "wrote" in printed
    assert (out / "model.safetensors").is_file()
    assert main(["evaluate", str(graph), "--weights", str(out / "model.safetensors")]) == 0
    printed = capsys.readouterr().out
    assert "accuracy" in printed
    assert "true \\ predicted" in printed
    assert main(["train", str(graph), "--lr", "-1", "--out", str(out)]) == 2


def test_console_script_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "convas"
    done = subprocess.run(
        [str(script), "summary", str(LENET), "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total_params"] == 61706
    version = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=False
    )
    assert version.stdout.startswith("convas ")


def test_editor_without_display_falls_back_to_summary(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.launch", str(LENET)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    first, rest = done.stdout.split("\n", 1)
    assert first.startswith("convas: no display available")
    assert "Total params: 61,706" in rest


def _convas_into_closed_pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `convas` with its output going to a pipe nobody reads (``... | head`` gone)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            cwd=cwd,
            timeout=120,
        )
    finally:
        os.close(write_end)


def test_train_piped_into_a_closed_reader_exits_quietly(tmp_path: Path) -> None:
    graph = ROOT / "examples" / "digits_cnn.yaml"
    out = tmp_path / "run"
    done = _convas_into_closed_pipe(
        "train", str(graph), "--epochs", "1", "--out", str(out), cwd=ROOT
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "BrokenPipeError" not in done.stderr
    assert "epoch 1/1" in done.stderr  # the run itself went on and finished
    assert (out / "model.safetensors").is_file()
    assert json.loads((out / "run.json").read_text())["status"] == "finished"


def test_summary_piped_into_a_closed_reader_exits_quietly(tmp_path: Path) -> None:
    done = _convas_into_closed_pipe("summary", str(LENET), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, "")


def test_nan_loss_is_reported_once(tmp_path: Path) -> None:
    graph = ROOT / "examples" / "digits_cnn.yaml"
    command = ["train", str(graph), "--optimizer", "SGD", "--lr", "100", "--epochs", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *command, "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("loss became NaN") == 1, done.stderr
    last = done.stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("error: loss became NaN at epoch 1"), last
