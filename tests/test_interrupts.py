"""Ctrl+C, a full standard output and a vanished folder (found verifying issue 11).

A user who presses Ctrl+C, sends the output to a full disk or deletes the folder
they stand in gets one line saying what happened — never a Python traceback — and
files stay as the command promises. Each test runs the installed `convas` in a
child process and sends it real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cli_helpers import EXAMPLES, assert_no_crash, convas_command

from app.training.run_folder import load_checkpoint

LENET = EXAMPLES / "lenet5.yaml"


def start(*args: str | os.PathLike[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*convas_command(), *(str(a) for a in args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, process: subprocess.Popen[str], limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_ctrl_c_outside_training_ends_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(
        "import pathlib, time\n"
        "import torch.nn as nn\n"
        "pathlib.Path('loading').touch()\n"
        "time.sleep(60)  # a slow import: the user gives up\n"
        "Net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))\n"
    )
    process = start(
        "import-torch", "models.py:Net", "--input", "1x2x2", "-o", "net.yaml", cwd=tmp_path
    )
    wait_for(tmp_path / "loading", process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert_no_crash(stderr)
    assert (
        stderr.strip() == "error: interrupted (Ctrl+C); files are as they were before the command"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loading", "models.py"]


def test_a_second_ctrl_c_quits_training_at_once_and_keeps_the_finished_epochs(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    # batches of 1024 images take a few hundred ms: the second Ctrl+C lands in one
    process = start(
        "train", LENET, "--epochs", "50", "--batch-size", "1024", "--out", out, cwd=tmp_path
    )
    wait_for(out / "checkpoint.safetensors", process)
    process.send_signal(signal.SIGINT)
    time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert_no_crash(stderr)
    assert "error: interrupted (Ctrl+C); " in stderr
    assert f"{out} keeps the epochs that finished" in stderr
    status = json.loads((out / "run.json").read_text())
    assert status["status"] == "stopped"
    assert load_checkpoint(out / "checkpoint.safetensors").epoch >= 1


needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")


def onto_a_full_disk(*args: str | os.PathLike[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`convas ARGS > /dev/full`: every write to standard output fails with ENOSPC."""
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [*convas_command(), *(str(a) for a in args)],
            cwd=cwd, stdout=full, stderr=subprocess.PIPE, text=True, timeout=180, check=False,
        )  # fmt: skip


@needs_dev_full
@pytest.mark.parametrize("args", [["summary", str(LENET)], ["summary", str(LENET), "--json"]])
def test_output_to_a_full_disk_is_one_line(tmp_path: Path, args: list[str]) -> None:
    done = onto_a_full_disk(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert_no_crash(done.stderr)
    assert done.stderr == "error: cannot write the output: No space left on device\n"


@needs_dev_full
def test_training_with_its_output_on_a_full_disk_keeps_the_run(tmp_path: Path) -> None:
    graph = tmp_path / "net.yaml"
    graph.write_text(LENET.read_text().replace("epochs: 10", "epochs: 1\n  samples: 200"))
    done = onto_a_full_disk("train", graph, "--out", tmp_path / "run", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert_no_crash(done.stderr)
    assert done.stderr.endswith("error: cannot write the output: No space left on device\n")
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "finished"
    assert (tmp_path / "run" / "model.safetensors").is_file()


def test_a_deleted_current_folder_is_named(tmp_path: Path) -> None:
    gone = tmp_path / "gone"  # made, entered and removed by the shell, then convas runs
    done = subprocess.run(
        ["sh", "-c", 'mkdir "$1" && cd "$1" && rmdir "$1" && shift && exec "$@"', "sh",
         str(gone), *convas_command(), "validate", str(LENET)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert_no_crash(done.stderr)
    assert "the current folder no longer exists; cd to an existing folder" in done.stderr


def test_ctrl_c_swallowed_by_a_library_is_still_reported_as_an_interruption(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seen once under load: Ctrl+C during start-up, then a RecursionError from a
    half-imported module was reported as a bug in Convas."""
    import argparse

    import app.commands.validate
    from app.cli import main

    def swallowing(args: argparse.Namespace) -> int:
        try:
            os.kill(os.getpid(), signal.SIGINT)  # the user's Ctrl+C, mid-import
            time.sleep(5)
        except KeyboardInterrupt:
            pass  # a library that catches everything
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(app.commands.validate, "run", swallowing)
    assert main(["validate", str(LENET)]) == 130
    err = capsys.readouterr().err
    assert "error: interrupted (Ctrl+C)" in err
    assert "internal error" not in err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
