"""Careless and hostile output names given to `convas` (found verifying issue 11).

Every command that writes checks its outputs before any work: a name that is
empty or names a folder, a FIFO or a device (replacing ``/dev/null`` as root would
break the system), a read-only file, or one of the command's own inputs is refused
in one line, and nothing on disk changes. Each test runs the installed `convas`
on real files.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import EXAMPLES, assert_clean_failure, convas, snapshot, unwritable

LENET = EXAMPLES / "lenet5.yaml"
MODEL = """
import torch.nn as nn
Net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with a graph, its trained-looking weights and an earlier export."""
    shutil.copy(LENET, tmp_path / "net.yaml")
    (tmp_path / "model.py").write_text("# an earlier export\n")
    return tmp_path


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from app.training.checkpoint import save_weights
    from graph_io.compiler import compile_graph
    from graph_io.yaml_io import load_graph

    path = tmp_path_factory.mktemp("weights") / "w.safetensors"
    save_weights(compile_graph(load_graph(LENET)).state_dict(), path)
    return path


def refused(project: Path, *args: str | os.PathLike[str]) -> str:
    """Run `convas ARGS` in ``project``; it must fail with 2 and change nothing."""
    before = snapshot(project)
    done = convas(*args, cwd=project)
    assert_clean_failure(done, 2)
    assert snapshot(project) == before
    return done.stderr


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "the name is empty"),
        (".", "it names a folder"),
        ("out/", "it names a folder; give a file name inside it"),
    ],
)
@pytest.mark.parametrize("command", ["new", "export", "import-torch", "render"])
def test_a_name_that_is_no_file_name_is_refused(
    project: Path, command: str, name: str, reason: str
) -> None:
    (project / "models.py").write_text(MODEL)
    args = {
        "new": ["new", name],
        "export": ["export", "net.yaml", "--to", "py", "-o", name],
        "import-torch": ["import-torch", "models.py:Net", "--input", "1x2x2", "-o", name],
        "render": ["render", "net.yaml", "-o", name],
    }[command]
    if (command, name) == ("new", ""):
        reason = "give the file to write"
    assert reason in refused(project, *args)
    assert not (project / "out").exists()  # `out/` did not become a file named out


def test_export_never_replaces_a_fifo(project: Path) -> None:
    os.mkfifo(project / "pipe.py")
    stderr = refused(project, "export", "net.yaml", "--to", "py", "-o", "pipe.py")
    assert "it is a named pipe (FIFO), not a regular file" in stderr
    assert stat.S_ISFIFO((project / "pipe.py").stat().st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_export_never_replaces_a_device(project: Path) -> None:
    # a copy of /dev/null in the test folder: as root, `-o /dev/null` would have
    # replaced the system's own with a regular file
    os.mknod(project / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    stderr = refused(project, "export", "net.yaml", "--to", "py", "-o", "null")
    assert "it is a device, not a regular file" in stderr
    assert stat.S_ISCHR((project / "null").stat().st_mode)


def test_render_never_replaces_a_fifo(project: Path) -> None:
    os.mkfifo(project / "pipe.svg")
    assert "named pipe (FIFO)" in refused(project, "render", "net.yaml", "-o", "pipe.svg")


def test_export_onto_the_graph_it_exports_is_refused(project: Path) -> None:
    stderr = refused(project, "export", "net.yaml", "--to", "py", "-o", "net.yaml")
    assert "cannot write net.yaml: it is the input net.yaml" in stderr


def test_export_through_a_link_onto_the_graph_is_refused(project: Path) -> None:
    (project / "link.py").symlink_to(project / "net.yaml")
    stderr = refused(project, "export", "net.yaml", "--to", "py", "-o", "link.py")
    assert "it is the input net.yaml" in stderr


def test_import_onto_the_model_source_is_refused(project: Path) -> None:
    (project / "models.py").write_text(MODEL)
    stderr = refused(
        project, "import-torch", "models.py:Net", "--input", "1x2x2", "-o", "models.py"
    )
    assert "it is the input models.py; writing there would destroy it" in stderr


def test_export_over_a_read_only_file_is_refused_like_new(project: Path) -> None:
    with unwritable(project / "model.py"):
        stderr = refused(project, "export", "net.yaml", "--to", "py", "-o", "model.py")
    assert "the file is read-only — make it writable (chmod u+w)" in stderr


def test_a_weights_file_in_the_way_is_named_before_any_work(project: Path, weights: Path) -> None:
    (project / "model.safetensors").mkdir()
    stderr = refused(
        project, "export", "net.yaml", "--to", "py", "-o", "model.py", "--weights", weights
    )
    assert "cannot write model.safetensors: it is a folder" in stderr


def test_export_through_a_link_puts_the_weights_beside_the_code(
    project: Path, weights: Path
) -> None:
    """The generated load_model() looks beside the file it really is in."""
    (project / "out").mkdir()
    (project / "out" / "model.py").write_text("# old\n")
    (project / "model.py").unlink()
    (project / "model.py").symlink_to(project / "out" / "model.py")
    done = convas(
        "export", "net.yaml", "--to", "py", "-o", "model.py", "--weights", weights, cwd=project
    )
    assert done.returncode == 0, done.stderr
    assert (project / "model.py").is_symlink()
    assert (project / "out" / "model.safetensors").is_file()
    assert not (project / "model.safetensors").exists()
    run = "import model; print(type(model.load_model()).__name__)"
    loaded = subprocess.run(
        [sys.executable, "-c", run], cwd=project, capture_output=True, text=True, check=False
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "Lenet5"


def test_export_may_resave_the_weights_it_reads(project: Path, weights: Path) -> None:
    """`-o w.py --weights w.safetensors` rewrites the same tensors: not refused."""
    shutil.copy(weights, project / "w.safetensors")
    done = convas(
        "export", "net.yaml", "--to", "py", "-o", "w.py", "--weights", "w.safetensors",
        cwd=project,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (project / "w.py").is_file()
