"""Issue 11: what a hostile or careless user did to `convas`, each case re-enacted.

Every test runs the real command (in a child process where a hang or a traceback is
the failure, in-process where it trains) on real files, and checks the exit code,
the message and that files which should not change did not.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import (
    EXAMPLES,
    ROOT,
    assert_clean_failure,
    convas,
    convas_command,
    snapshot,
    unwritable,
)

from app.cli import main
from graph_io.atomic_files import leftover_temp_files

LENET = EXAMPLES / "lenet5.yaml"
DIGITS = EXAMPLES / "digits_cnn.yaml"


def chain(count: int) -> str:
    lines = ["convas: 1", "name: chain", "nodes:"]
    lines.append("  - {id: n0, type: Input, params: {channels: 1, height: 8, width: 8}}")
    lines += [f"  - {{id: n{i}, type: Dropout, inputs: [n{i - 1}]}}" for i in range(1, count)]
    return "\n".join(lines) + "\n"


# ---- 1. summary on large graphs --------------------------------------------------------


def test_summary_of_a_5000_node_graph_lists_every_node(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(chain(5000))
    done = convas("summary", path, "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [n["id"] for n in data["nodes"]] == [f"n{i}" for i in range(5000)]


def test_a_file_with_too_many_nodes_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(chain(100_002))
    done = convas("validate", path)
    assert_clean_failure(done, 2)
    assert "holds about 100,002 nodes; graph files are limited to 100,000 nodes" in done.stderr


# ---- 2. train: check --out first, never lose a run -------------------------------------


def small_run_args(tmp_path: Path) -> list[str]:
    return [str(DIGITS), "--epochs", "1", "--quiet"]


def test_train_refuses_an_out_that_is_a_file_before_training(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.write_text("keep me")
    done = convas("train", *small_run_args(tmp_path), "--out", out)
    assert_clean_failure(done, 2)
    assert f"--out {out} is a file, not a folder" in done.stderr
    assert "epoch" not in done.stderr  # refused before training
    assert out.read_text() == "keep me"


def test_train_refuses_an_unwritable_out_before_training(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    with unwritable(locked):
        done = convas("train", *small_run_args(tmp_path), "--out", locked / "run")
    assert_clean_failure(done, 2)
    assert "choose another --out" in done.stderr
    assert not (locked / "run").exists()


def test_a_second_run_into_the_same_out_keeps_the_first_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["train", *small_run_args(tmp_path), "--out", str(out)]) == 0
    first = (out / "model.safetensors").read_bytes()
    capsys.readouterr()
    assert main(["train", *small_run_args(tmp_path), "--out", str(out), "--seed", "3"]) == 2
    err = capsys.readouterr().err
    assert "already holds the weights of an earlier run" in err
    assert "add --overwrite" in err
    assert (out / "model.safetensors").read_bytes() == first
    args = ["train", *small_run_args(tmp_path), "--out", str(out), "--seed", "3", "--overwrite"]
    assert main(args) == 0
    assert (out / "model.safetensors").read_bytes() != first
    assert leftover_temp_files(out / "model.safetensors") == []


def test_a_finished_run_that_cannot_be_written_is_rescued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from app.training.engine import train
    from app.training.events import Event, Log
    from graph_io.training_config import TrainingConfig
    from graph_io.yaml_io import load_graph

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the rescue goes there, not /tmp
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    notes: list[str] = []

    def on_event(event: Event) -> None:
        if isinstance(event, Log):
            notes.append(event.message)

    graph = load_graph(DIGITS)
    config = TrainingConfig.from_section({"epochs": 1})
    result = train(graph, config, out_dir=blocker / "run", on_event=on_event)
    assert result.out_dir is not None
    assert result.out_dir != blocker / "run"
    assert (result.out_dir / "model.safetensors").is_file()
    assert any(f"saved it to {result.out_dir} instead" in n for n in notes)


# ---- 3. export: all files or none ------------------------------------------------------


def test_export_with_blocked_weights_path_keeps_the_old_code(tmp_path: Path) -> None:
    from app.training.checkpoint import save_weights
    from graph_io.compiler import compile_graph
    from graph_io.yaml_io import load_graph

    weights = tmp_path / "w.safetensors"
    save_weights(compile_graph(load_graph(LENET)).state_dict(), weights)
    code = tmp_path / "model.py"
    code.write_text("# the previous export\n")
    (tmp_path / "model.safetensors").mkdir()  # the weights cannot be written there
    done = convas("export", LENET, "--to", "py", "-o", code, "--weights", weights)
    assert_clean_failure(done, 2)
    # refused before any work, naming the blocked file rather than the code file
    assert f"cannot write {tmp_path / 'model.safetensors'}: it is a folder" in done.stderr
    assert code.read_text() == "# the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.py",
        "model.safetensors",
        "w.safetensors",
    ]


def test_export_on_a_full_disk_keeps_the_old_file(tmp_path: Path) -> None:
    from app.training.checkpoint import save_weights
    from graph_io.compiler import compile_graph
    from graph_io.yaml_io import load_graph

    weights = tmp_path / "w.safetensors"
    save_weights(compile_graph(load_graph(LENET)).state_dict(), weights)
    code = tmp_path / "model.py"
    code.write_text("# the previous export\n")
    limit = 64 * 1024  # like `ulimit -f 64`: the weights (240 kB) do not fit

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "export",
            str(LENET),
            "--to",
            "py",
            "-o",
            str(code),
            "--weights",
            str(weights),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=small_disk,
    )
    assert_clean_failure(done, 2)
    # the code was written to its temporary file; the weights were not: nothing moved
    assert f"cannot write {tmp_path / 'model.safetensors'}: File too large" in done.stderr
    assert "the disk is full or a file-size limit applies" in done.stderr
    assert code.read_text() == "# the previous export\n"
    assert not (tmp_path / "model.safetensors").exists()
    assert leftover_temp_files(code) == []


# ---- 4. a graph's name never chooses a path --------------------------------------------


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute"])
def test_train_keeps_runs_inside_runs_whatever_the_graph_is_named(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONVAS_RUNS_DIR")  # the default runs/ folder is what is tested
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    graph = work / "net.yaml"
    graph.write_text(DIGITS.read_text().replace("name: digits_cnn", f"name: {name!r}"))
    before = set(tmp_path.rglob("*"))
    # the default runs folder, not the one the test suite points CONVAS_RUNS_DIR at
    done = convas("train", graph, "--epochs", "1", "--quiet", cwd=work, env={"CONVAS_RUNS_DIR": ""})
    assert done.returncode == 0, done.stderr
    created = set(tmp_path.rglob("*")) - before
    assert created
    assert all(work / "runs" in [p, *p.parents] for p in created)
    (run,) = (work / "runs").iterdir()
    assert run.name.startswith(("escaped-", "tmp_absolute-"))


# ---- 5. saves keep the file's mode and follow symlinks ---------------------------------


def test_overwriting_keeps_permissions_and_follows_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    real.chmod(0o644)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    done = convas("new", "--template", "lenet5", "--force", link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink()
    assert link.resolve() == real
    assert real.read_text() == LENET.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o644


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    out = tmp_path / "net.yaml"
    done = convas("new", out)
    assert done.returncode == 0, done.stderr
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask


def test_leftovers_of_a_killed_save_are_removed_by_the_next_save(tmp_path: Path) -> None:
    out = tmp_path / "net.yaml"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    pid = int(dead.stdout)  # that process has ended
    leftover = tmp_path / f".net.yaml.{pid}-0badc0de.convas-tmp"
    leftover.write_text("half a graph")
    assert leftover_temp_files(out) == [leftover]
    done = convas("new", "--force", out)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml"]


def test_a_save_killed_with_sigkill_leaves_the_old_file_and_a_findable_temp(
    tmp_path: Path,
) -> None:
    out = tmp_path / "net.yaml"
    out.write_text(LENET.read_text())
    script = (
        "import os, signal, sys\n"
        "from graph_io import atomic_files\n"
        "from graph_io.yaml_io import load_graph, save_graph\n"
        "real = atomic_files._move_all\n"
        "def die(*args):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "atomic_files._move_all = die\n"
        f"save_graph(load_graph({str(DIGITS)!r}), {str(out)!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=False, timeout=60)
    assert done.returncode == -9
    assert out.read_text() == LENET.read_text()
    (leftover,) = leftover_temp_files(out)
    assert leftover.name.startswith(".net.yaml.")
    assert leftover.name.endswith(".convas-tmp")
    assert convas("new", "--force", out).returncode == 0
    assert leftover_temp_files(out) == []
    assert not leftover.exists()


# ---- 6. runners-up ---------------------------------------------------------------------


def test_a_huge_padding_is_an_error_naming_node_param_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "pad.yaml"
    path.write_text(
        LENET.read_text().replace("stride: 1, padding: None", "stride: 1, padding: 100000000", 1)
    )
    done = convas("validate", path)
    assert done.returncode == 1
    assert "Conv2D 'c1':" in done.stdout
    assert "padding 100000000 is far larger than its 32x32 input" in done.stdout
    assert "[parameter: padding]" in done.stdout


def test_validate_refuses_a_fifo_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    done = convas("validate", fifo, timeout=60)
    assert_clean_failure(done, 2)
    assert "named pipe (FIFO), not a regular file" in done.stderr


def test_validate_refuses_dev_zero_without_reading_it(tmp_path: Path) -> None:
    done = convas("validate", "/dev/zero", timeout=60)
    assert_clean_failure(done, 2)
    assert "character device, not a regular file" in done.stderr


def test_new_into_a_missing_folder_says_so(tmp_path: Path) -> None:
    done = convas("new", tmp_path / "missing" / "net.yaml")
    assert_clean_failure(done, 2)
    assert "does not exist — create it first" in done.stderr


def test_new_into_a_read_only_folder_says_so(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    with unwritable(locked):
        done = convas("new", locked / "net.yaml")
    assert_clean_failure(done, 2)
    assert f"cannot write {locked / 'net.yaml'}" in done.stderr
    assert list(locked.iterdir()) == []


MODEL = """
import torch.nn as nn
Net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
"""


def test_import_with_unwritable_weights_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    locked = tmp_path / "locked"
    locked.mkdir()
    with unwritable(locked):
        done = convas(
            "import-torch", "models.py:Net", "--input", "1x2x2", "-o", "net.yaml",
            "--weights-out", locked / "w.safetensors", cwd=tmp_path,
        )  # fmt: skip
    assert_clean_failure(done, 2)
    assert not (tmp_path / "net.yaml").exists()


def test_import_target_calling_sys_exit_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL + "import sys\nsys.exit(0)\n")
    done = convas(
        "import-torch", "models.py:Net", "--input", "1x2x2", "-o", "net.yaml", cwd=tmp_path
    )
    assert_clean_failure(done, 2)
    assert "called sys.exit(0)" in done.stderr
    assert not (tmp_path / "net.yaml").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--nproc", "-1"], "--nproc must be 1 or more processes, got -1"),
        (["--nnodes", "0"], "--nnodes must be 1 or more machines, got 0"),
        (["--nnodes", "2"], "needs --master ADDR:PORT"),
        (["--nproc", "1", "--master", "nohost"], "--master must be ADDR:PORT"),
    ],
)
def test_bad_distributed_flags_are_usage_errors(flags: list[str], message: str) -> None:
    done = convas("train", DIGITS, *flags)
    assert_clean_failure(done, 2)
    assert message in done.stderr


@pytest.mark.slow
def test_a_failing_distributed_run_shows_the_real_error(tmp_path: Path) -> None:
    done = convas(
        "train", DIGITS, "--nproc", "2", "--dataset", str(tmp_path / "nothere"),
        "--out", tmp_path / "run", "--epochs", "1", timeout=180,
    )  # fmt: skip
    assert_clean_failure(done, 1)
    assert "unknown dataset" in done.stderr
    assert "ChildFailedError" not in done.stderr
    assert "rank 0 exited with code 1" in done.stderr
    assert not (tmp_path / "run").exists()


def write_npz(path: Path, labels: list[int], per_class: int = 30) -> None:
    rng = np.random.default_rng(0)
    y = np.repeat(np.array(labels), per_class)
    x = (rng.random((len(y), 8, 8)) * 255).astype(np.uint8)
    np.savez(path, x=x, y=y)


@pytest.fixture(scope="module")
def three_class_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A graph beside its .npz data (labels 0, 15, 200), trained from another folder."""
    folder = tmp_path_factory.mktemp("project")
    write_npz(folder / "data.npz", [0, 15, 200])
    text = DIGITS.read_text().replace("units: 10", "units: 3")
    text = text.split("training:")[0] + "training:\n  dataset: data.npz\n  epochs: 1\n"
    (folder / "net.yaml").write_text(text)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    done = convas("train", folder / "net.yaml", "--out", folder / "run", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    return folder, elsewhere, done.stderr


def test_renumbered_labels_are_announced(three_class_run: tuple[Path, Path, str]) -> None:
    _, _, stderr = three_class_run
    assert "labels {0, 15, 200} are not 0..2; they were renumbered 0..2" in stderr


def test_evaluate_resolves_the_dataset_like_train(three_class_run: tuple[Path, Path, str]) -> None:
    folder, elsewhere, _ = three_class_run
    done = convas(
        "evaluate", folder / "net.yaml", "--weights", folder / "run" / "model.safetensors",
        cwd=elsewhere,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "on 90 samples" in done.stdout


def test_evaluate_on_fewer_classes_than_the_model_is_a_clear_error(
    three_class_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    folder, _, _ = three_class_run
    write_npz(tmp_path / "two.npz", [0, 1])
    done = convas(
        "evaluate", folder / "net.yaml", "--weights", folder / "run" / "model.safetensors",
        "--dataset", tmp_path / "two.npz",
    )  # fmt: skip
    assert_clean_failure(done, 1)
    assert "the model has 3 outputs but dataset 'two' has 2 classes" in done.stderr


def test_a_text_file_named_npz_is_not_called_pickled(tmp_path: Path) -> None:
    fake = tmp_path / "data.npz"
    fake.write_text("hello")
    done = convas("train", DIGITS, "--dataset", fake, "--out", tmp_path / "run", "--quiet")
    assert_clean_failure(done, 2)
    assert "is not a .npz archive (5 bytes, not a zip file)" in done.stderr
    assert "pickled" not in done.stderr
    assert not (tmp_path / "run").exists()


def test_a_nul_character_in_an_argument_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # found by the fuzz suite: open() raises ValueError on such a name
    assert main(["validate", "net\x00.yaml"]) == 2
    assert "contains a NUL character" in capsys.readouterr().err


# ---- 7. found when the issue was verified end to end -----------------------------------


def small_lenet(folder: Path, extra: str = "") -> Path:
    """LeNet-5 on 200 digits for one epoch: a run of a few seconds."""
    graph = folder / "net.yaml"
    graph.write_text(LENET.read_text().replace("epochs: 10", "epochs: 1\n  samples: 200" + extra))
    return graph


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("-1", "--seed: input should be greater than or equal to 0, got -1"),
        (str(2**64), f"--seed: input should be less than or equal to {2**63 - 1}"),
    ],
)
def test_a_seed_torch_or_numpy_cannot_take_is_a_usage_error(
    tmp_path: Path, seed: str, message: str
) -> None:
    done = convas("train", small_lenet(tmp_path), "--seed", seed, "--out", tmp_path / "run")
    assert_clean_failure(done, 2)
    assert message in done.stderr
    assert not (tmp_path / "run").exists()


def test_a_nan_learning_rate_is_called_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", str(small_lenet(tmp_path)), "--lr", "nan"]) == 2
    assert "error: --lr: must be a finite number, got nan" in capsys.readouterr().err


@pytest.mark.parametrize("folder", ["out", "."])
def test_train_never_overwrites_files_of_the_same_name_in_out(tmp_path: Path, folder: str) -> None:
    graph = small_lenet(tmp_path)
    out = tmp_path / folder
    out.mkdir(exist_ok=True)
    (out / "metrics.csv").write_text("my own numbers\n")
    (out / "summary.txt").write_text("my notes\n")
    before = snapshot(tmp_path)
    done = convas("train", graph, "--out", out, "--quiet", cwd=tmp_path)
    assert_clean_failure(done, 2)
    assert "already holds files a run writes (metrics.csv, summary.txt)" in done.stderr
    assert "add --overwrite" in done.stderr
    assert snapshot(tmp_path) == before


def test_train_into_a_broken_link_names_the_link(tmp_path: Path) -> None:
    (tmp_path / "run").symlink_to(tmp_path / "nowhere" / "x")
    done = convas("train", small_lenet(tmp_path), "--out", tmp_path / "run")
    assert_clean_failure(done, 2)
    assert "is a link to" in done.stderr
    assert "which does not exist" in done.stderr


def test_a_run_that_cannot_be_written_anywhere_ends_in_one_line(tmp_path: Path) -> None:
    """Under `ulimit -f 300` the checkpoint fits neither in --out nor in the rescue."""
    limit = 300 * 1024

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = tmp_path / "run"
    done = subprocess.run(
        [*convas_command(), "train", str(small_lenet(tmp_path)), "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=180, check=False, preexec_fn=small_disk,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # its rescue attempt goes there
    )  # fmt: skip
    assert_clean_failure(done, 2)
    assert "cannot write the run's files: File too large" in done.stderr
    assert f"what was written before that is in {out}" in done.stderr
    assert (out / "metrics.jsonl").read_text()  # the finished epoch's metrics are kept


def test_resume_checks_the_run_folder_before_training(
    three_class_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    folder, _, _ = three_class_run
    copy = tmp_path / "run"
    shutil.copytree(folder / "run", copy)
    before = snapshot(copy)
    with unwritable(copy):
        done = convas("train", "--resume", copy, "--epochs", "2")
    assert_clean_failure(done, 2)
    assert f"cannot write to {copy}" in done.stderr
    assert "resuming" not in done.stdout  # refused before training started
    assert snapshot(copy) == before


def test_runs_names_a_runs_folder_it_cannot_use(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    done = convas("runs", cwd=tmp_path, env={"CONVAS_RUNS_DIR": str(tmp_path / "afile")})
    assert_clean_failure(done, 2)
    assert "afile is not a folder; give the runs folder with --dir DIR" in done.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_runs_names_an_unreadable_runs_folder(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir(mode=0o000)
    try:
        done = convas("runs", "--dir", runs)
    finally:
        runs.chmod(0o755)
    assert_clean_failure(done, 2)
    assert f"cannot read the runs folder {runs}: Permission denied" in done.stderr


def test_runs_says_which_run_it_left_out(
    three_class_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    folder, _, _ = three_class_run
    shutil.copytree(folder / "run", tmp_path / "good")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("[]")
    done = convas("runs", "--dir", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "good" in done.stdout
    assert f"note: left out {tmp_path / 'broken' / 'run.json'}: not a Convas run file" in (
        done.stderr
    )


def test_evaluate_reads_a_dataset_typed_on_the_command_line_from_the_current_folder(
    three_class_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    """A data.npz beside the graph must not silently win over ./data.npz."""
    folder, _, _ = three_class_run
    write_npz(tmp_path / "data.npz", [0, 1])  # same name as the graph's, two classes
    done = convas(
        "evaluate", folder / "net.yaml", "--weights", folder / "run" / "model.safetensors",
        "--dataset", "data.npz", cwd=tmp_path,
    )  # fmt: skip
    assert_clean_failure(done, 1)
    assert "the model has 3 outputs but dataset 'data' has 2 classes" in done.stderr


def test_evaluate_says_when_the_weights_give_nan(
    three_class_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    from safetensors.torch import load_file, save_file

    folder, _, _ = three_class_run
    state = load_file(folder / "run" / "model.safetensors")
    broken = {
        k: v.clone().fill_(float("nan")) if v.is_floating_point() else v for k, v in state.items()
    }
    save_file(broken, tmp_path / "nan.safetensors")
    done = convas("evaluate", folder / "net.yaml", "--weights", tmp_path / "nan.safetensors")
    assert done.returncode == 0, done.stderr
    assert "the model's outputs were NaN or infinite for 90 of 90 samples" in done.stderr
    table = done.stdout.splitlines()[1:]
    assert len({len(line) for line in table}) == 1, table  # the columns line up


def test_a_dataset_holding_nan_is_named_without_numpy_warnings(tmp_path: Path) -> None:
    x = np.full((20, 8, 8), np.nan, dtype=np.float32)
    np.savez(tmp_path / "nan.npz", x=x, y=np.arange(20) % 10)
    done = convas("train", DIGITS, "--dataset", tmp_path / "nan.npz", "--out", tmp_path / "r")
    assert_clean_failure(done, 2)
    assert "1,280 of 1,280 pixel values are NaN or infinite" in done.stderr
    assert "RuntimeWarning" not in done.stderr


def test_an_npz_declaring_a_huge_array_is_called_corrupt(tmp_path: Path) -> None:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000, 1, 8, 8), }"
    member = b"\x93NUMPY\x01\x00" + len(header.ljust(117) + "\n").to_bytes(2, "little")
    member += (header.ljust(117) + "\n").encode()
    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as archive:
        archive.writestr("x.npy", member)
        archive.writestr("y.npy", member)
    done = convas("train", DIGITS, "--dataset", tmp_path / "lie.npz", "--out", tmp_path / "r")
    assert_clean_failure(done, 2)
    assert "is truncated or corrupt: its array 'x' declares shape 100000000x1x8x8" in done.stderr


def test_a_shapes_dataset_too_big_for_memory_is_refused_before_drawing(tmp_path: Path) -> None:
    graph = small_lenet(tmp_path).read_text().replace("samples: 200", "samples: 100000")
    (tmp_path / "net.yaml").write_text(graph.replace("dataset: digits", "dataset: shapes"))
    done = convas(
        "train", tmp_path / "net.yaml", "--out", tmp_path / "r",
        env={"CONVAS_MEMORY_LIMIT": str(200 * 2**20)}, timeout=60,
    )  # fmt: skip
    assert_clean_failure(done, 1)  # the memory guard: it counts the data set too
    assert "for the data set, but only 200.0 MB of RAM is available" in done.stderr
    assert "train on at most" in done.stderr
    assert "images (training: samples)" in done.stderr


def test_import_refuses_an_input_the_graph_could_not_hold(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    done = convas(
        "import-torch", "models.py:Net", "--input", "1x99999x99999", "-o", "net.yaml",
        cwd=tmp_path,
    )  # fmt: skip
    assert_clean_failure(done, 2)
    assert "--input 1x99999x99999: height must be an integer between 1 and 8192" in done.stderr


def test_a_position_that_is_not_a_number_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(LENET.read_text().replace("pos: [0, 132]", "pos: [.nan, .inf]", 1))
    done = convas("validate", path)
    assert_clean_failure(done, 2)
    assert "net.yaml:13: nodes[1].pos[0]: input should be a finite number, got nan" in (done.stderr)


def test_a_star_in_a_comment_keeps_the_fast_reader_and_an_alias_is_still_refused(
    tmp_path: Path,
) -> None:
    """Any `*` used to send a whole file to the pure-Python parser: a minute for 10 MB."""
    from graph_io.errors import FormatError
    from graph_io.yaml_io import loads_graph

    text = chain(3).replace("name: chain", "name: chain  # 5 * 3 = 15, & more")
    assert len(loads_graph(text).nodes) == 3
    aliased = text + "  - {id: n3, type: Dropout, inputs: [n2], params: &p {rate: 0.1}}\n"
    aliased += "  - {id: n4, type: Dropout, inputs: [n3], params: *p}\n"
    with pytest.raises(FormatError, match=r"<string>:7: YAML anchors \(&name\) are not allowed"):
        loads_graph(aliased)


def test_a_gzip_bomb_named_like_mnist_is_refused_without_unpacking_it(tmp_path: Path) -> None:
    """3 MB of gzip unpacked to 3 GB in memory before the size check (6.5 GB resident)."""
    import gzip
    import struct

    with gzip.open(tmp_path / "t-images-idx3-ubyte.gz", "wb", compresslevel=1) as images:
        images.write(struct.pack(">IIII", 2051, 10, 8, 8))
        for _ in range(16):
            images.write(bytes(1 << 24))  # 256 MB of zeros after a 640-byte promise
    with gzip.open(tmp_path / "t-labels-idx1-ubyte.gz", "wb") as labels:
        labels.write(struct.pack(">II", 2049, 10) + bytes(range(10)))
    done = convas(
        "train", DIGITS, "--dataset", tmp_path / "t-images-idx3-ubyte.gz", "--out", tmp_path / "r"
    )
    assert_clean_failure(done, 2)
    assert "has extra bytes: its header promises 10x8x8 = 640 bytes of data but more follow" in (
        done.stderr
    )


def test_a_png_too_large_to_read_says_so(tmp_path: Path) -> None:
    """A 400-node chain fits a 16,384 px PNG only at a scale where no text is legible."""
    (tmp_path / "long.yaml").write_text(chain(400))
    done = convas("render", tmp_path / "long.yaml", "-o", tmp_path / "long.png")
    assert done.returncode == 0, done.stderr
    assert "so long.png is drawn at" in done.stderr
    assert "an SVG keeps every detail (-o long.svg)" in done.stderr
    small = convas("render", LENET, "-o", tmp_path / "lenet.png")
    assert (small.returncode, small.stderr) == (0, "")
