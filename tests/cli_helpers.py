"""Running `convas` the way a user does, and making folders a user cannot write.

Shared by the hostile-input, fuzz and guarantee tests (imported by path: ``tests``
is not a package).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def convas_command() -> list[str]:
    """The installed `convas` script (what a user types), else ``python -m app.cli``."""
    script = Path(sys.executable).with_name("convas")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "app.cli"]


def convas(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real `convas` command in a child process and capture what it prints."""
    return subprocess.run(
        [*convas_command(), *(str(a) for a in args)],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def assert_no_crash(output: str) -> None:
    """No Python traceback, and not the CLI's last-resort line for one either."""
    assert "Traceback" not in output, output
    assert "internal error" not in output, output


def assert_clean_failure(done: subprocess.CompletedProcess[str], code: int) -> None:
    """Failed with ``code``, one error line at least, and never a Python traceback."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert_no_crash(done.stderr + done.stdout)
    assert "error:" in done.stderr, done.stderr


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[Path]:
    """Make ``folder`` (or a file) unwritable for this user, even for root (``chattr +i``)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], check=False).returncode:
        pytest.skip("running as root without chattr: cannot make a folder read-only")
    try:
        yield folder
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: to prove nothing changed."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
