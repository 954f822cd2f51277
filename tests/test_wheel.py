"""An installed wheel works like the checkout: templates, resources and the CLI.

Builds the wheel from this checkout, installs it (without dependencies) into a fresh
virtual environment that borrows torch, Qt and friends from the test's own
environment through a path entry — not its ``.pth`` files, so the checkout's editable
install stays invisible — and runs ``convas`` from an unrelated folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installed_elsewhere_has_templates_and_draws(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    source = tmp_path / "source"  # a clean copy: no stale build/ from earlier runs
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".*", "build", "dist", "*.egg-info", "__pycache__", "runs", "docs", "benchmarks"
        ),
    )
    dist = tmp_path / "dist"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            dist,
            source,
        ],
        tmp_path,
        env,
    )
    wheel = next(dist.glob("convas-*.whl"))
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, env)
    python = venv / "bin" / "python"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            wheel,
        ],
        tmp_path,
        env,
    )
    site = run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, env
    ).strip()
    # the dependencies, without running this environment's .pth files (editable convas)
    (Path(site) / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = run(
        [python, "-c", "import app, resources; print(app.__file__, resources.__file__)"], work, env
    )
    assert str(ROOT) not in where
    convas = venv / "bin" / "convas"
    listed = run([convas, "new", "--list"], work, env)
    assert "resnet_mini" in listed
    run([convas, "new", "--template", "resnet_mini", "net.yaml"], work, env)
    assert "b2_add" in run([convas, "summary", "net.yaml"], work, env)
    run([convas, "render", "net.yaml", "-o", "net.svg"], work, env)
    assert "b2_proj_bn" in (work / "net.svg").read_text()
    icons = run(
        [python, "-c", "import resources; print(len(resources.icon_svg('Merge')))"], work, env
    )
    assert int(icons) > 100
