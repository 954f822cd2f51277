"""Fuzzing the `convas` command: mutated example graphs and random argument lists.

Hypothesis mutates the example YAML files (text edits and hostile values put at
random places in their structure) and draws argument lists from the commands'
own vocabulary plus hostile values, then runs the installed `convas` script — the
command a user types, in its own process — in a scratch folder. Every run must

* end within ``RUN_LIMIT_S`` (no hang),
* exit with a documented code (0 ok, 1 invalid or failed, 2 unreadable or usage)
  and print no traceback (nor the CLI's last-resort "internal error" line),
* leave every file that existed before untouched when it fails, say why it
  failed, and leave no temporary files behind.

A child process per run costs ~0.3 s (~2 s when the command needs torch), so the
default suite runs ``EXAMPLE_COUNT`` examples per test; ``CONVAS_FUZZ_EXAMPLES=N``
sets more for longer runs, whose figures are recorded in docs/guarantees.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml
from cli_helpers import EXAMPLES, assert_no_crash, convas_command, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLE_COUNT = int(os.environ.get("CONVAS_FUZZ_EXAMPLES", "10"))
RUN_LIMIT_S = 60
FUZZ = settings(
    max_examples=EXAMPLE_COUNT,
    deadline=None,
    derandomize="CONVAS_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SOURCES = sorted(EXAMPLES.glob("*.yaml"))
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in SOURCES}

HOSTILE_SCALARS = st.one_of(
    st.sampled_from(
        [
            None, True, 0, -1, 1, 3, 10**8, 2**63, -(2**63), 1e308, float("nan"),
            "", "None", "Same", "../../escaped", "/etc/passwd", "x" * 300, "Conv2D",
            "digits", "ReLU", "\x00", "é", "!!python/object", "[", "{a: 1}",
        ]
    ),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)  # fmt: skip
HOSTILE_VALUES = st.recursive(
    HOSTILE_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


LOG = os.environ.get("CONVAS_FUZZ_LOG")
"""A file to append one JSON line per run to (arguments, exit code, seconds): the
figures of a long run."""


def run_convas(args: list[str], folder: Path) -> tuple[int, str, str]:
    """Run `convas ARGS` in ``folder`` as a user would: the exit code, stdout, stderr."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [*convas_command(), *args],
            cwd=folder,
            capture_output=True,
            timeout=RUN_LIMIT_S,
            check=False,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"convas {args!r} gave no answer in {RUN_LIMIT_S} s") from None
    if LOG:
        seconds = time.perf_counter() - started
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"args": args, "code": done.returncode, "s": seconds}) + "\n")
    decode = lambda data: data.decode("utf-8", "replace")  # noqa: E731 - odd bytes allowed
    return done.returncode, decode(done.stdout), decode(done.stderr)


def check_run(args: list[str], folder: Path) -> None:
    """The fuzz oracle: bounded, documented exit code, files kept on failure."""
    before = snapshot(folder)
    code, out, err = run_convas(args, folder)
    assert code in (0, 1, 2), (args, code, err)
    assert_no_crash(out + err)
    after = snapshot(folder)
    leftovers = [name for name in after if "convas-tmp" in name or name.endswith(".tmp")]
    assert not leftovers, (args, leftovers)
    if code != 0:
        changed = [name for name, data in before.items() if after.get(name) != data]
        assert not changed, (args, code, err, changed)
        assert (out + err).strip(), (args, code)  # a failure always says why


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """An example file with a few text edits: cuts, duplicates, swaps, odd bytes."""
    text = draw(st.sampled_from(sorted(TEXTS.values())))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start, min(len(text), start + 40)))
        edit = draw(st.sampled_from(["cut", "duplicate", "insert", "replace", "truncate"]))
        if edit == "cut":
            text = text[:start] + text[end:]
        elif edit == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        elif edit == "insert":
            extra = draw(
                st.sampled_from(
                    [
                        "\t",
                        "&a ",
                        "*a",
                        "!!python/name:os.system ",
                        "\x00",
                        "- ",
                        ": ",
                        "{",
                        "]",
                        "\n  - id: x\n",
                        "#",
                    ]
                )
            )
            text = text[:start] + extra + text[start:]
        elif edit == "replace":
            text = text[:start] + draw(st.text(max_size=6)) + text[end:]
        else:
            text = text[:start]
    return text


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_structure(draw: st.DrawFn) -> str:
    """An example graph with hostile values put at random places in its structure."""
    data = yaml.safe_load(draw(st.sampled_from(sorted(TEXTS.values()))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)[1:]))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["set", "delete"]))
        if action == "delete" and isinstance(parent, dict | list):
            del parent[path[-1]]
            break  # later paths may be gone
        parent[path[-1]] = draw(HOSTILE_VALUES)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def graph_commands(name: str) -> st.SearchStrategy[list[str]]:
    return st.sampled_from(
        [
            ["validate", name],
            ["summary", name],
            ["summary", name, "--json", "--batch-size", "8"],
            ["export", name, "--to", "py", "-o", "existing.py"],
            ["diff", "other.yaml", name],
            ["render", name, "-o", "picture.svg"],
        ]
    )


def prepare(folder: Path, text: str | None = None) -> None:
    """A scratch project: a graph file (maybe mutated) and an earlier export."""
    for path in folder.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    (folder / "existing.py").write_text("# an earlier export\n")
    (folder / "other.yaml").write_text(TEXTS["lenet5.yaml"], encoding="utf-8")
    if text is not None:
        (folder / "net.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")


@FUZZ
@given(text=mutated_text(), data=st.data())
def test_mutated_files_never_crash_or_hang(
    tmp_path_factory: Any, text: str, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("fuzz-text", numbered=True)
    prepare(folder, text)
    check_run(data.draw(graph_commands("net.yaml")), folder)


@FUZZ
@given(text=mutated_structure(), data=st.data())
def test_hostile_values_never_crash_or_hang(
    tmp_path_factory: Any, text: str, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("fuzz-values", numbered=True)
    prepare(folder, text)
    check_run(data.draw(graph_commands("net.yaml")), folder)


WORDS = st.sampled_from(
    [
        "summary", "validate", "new", "export", "evaluate", "import-torch", "train",
        "render", "diff", "runs", "show", "compare", "--dir", "picture.svg", "other.yaml",
        "--json", "--batch-size", "--optimizer", "--template", "--list", "--force", "--to",
        "py", "onnx", "-o", "--weights", "--dataset", "--input", "--weights-out", "--nproc",
        "--nnodes", "--epochs", "--out", "--overwrite", "--help", "--version",
        "net.yaml", "existing.py", "missing.yaml", ".", "/", "/dev/null", "../x.yaml",
        "-1", "0", "2", "1x8x8", "0x0x0", "lenet5", "digits", "x:y", "models.py:Net",
        "", "--", "-", "é", "a b", "x\ny", "out/", "../../x",
    ]
)  # fmt: skip


def can_be_an_argument(text: str) -> bool:
    """What a shell can pass: no NUL byte, and encodable as a file name."""
    if "\x00" in text:
        return False
    try:
        os.fsencode(text)
    except UnicodeError:
        return False
    return True


ARGUMENTS = st.lists(st.one_of(WORDS, st.text(max_size=8).filter(can_be_an_argument)), max_size=7)


def safe_for_a_unit_test(args: list[str]) -> bool:
    """Leave out what would legitimately run for long: training and the editor."""
    if not args or "train" in args:
        return False
    first = next((a for a in args if not a.startswith("-")), "")
    commands = {"summary", "validate", "new", "export", "evaluate", "import-torch"}
    return first in commands | {"render", "diff", "runs"}


@FUZZ
@given(args=ARGUMENTS)
def test_random_arguments_get_documented_exit_codes(tmp_path_factory: Any, args: list[str]) -> None:
    if not safe_for_a_unit_test(args):
        args = ["validate", *args]
    folder = tmp_path_factory.mktemp("fuzz-args", numbered=True)
    prepare(folder, TEXTS["lenet5.yaml"])
    check_run(args, folder)
