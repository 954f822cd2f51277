"""Broken and hostile graph files: each fails fast with one clear FormatError."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_io.errors import FormatError
from graph_io.yaml_io import load_graph, loads_graph

GOOD = """\
convas: 1
name: net
nodes:
  - id: input
    type: Input
    params: {channels: 1, height: 28, width: 28}
  - id: c1
    type: Conv2D
    params: {filters: 6, kernel: 5}
    inputs: [input]
  - id: flat
    type: Flatten
    inputs: [c1]
"""

CASES = [
    (
        "negative filters",
        GOOD.replace("filters: 6", "filters: -4"),
        "net.yaml:9: nodes[1].params.filters: must be an integer between 1 and 65536, got -4",
    ),
    (
        "string filters",
        GOOD.replace("filters: 6", "filters: six"),
        "net.yaml:9: nodes[1].params.filters: must be an integer between 1 and 65536, got 'six'",
    ),
    (
        "typo param",
        GOOD.replace("filters: 6", "filter: 6"),
        "nodes[1].params.filter: unknown parameter 'filter' for Conv2D; did you mean 'filters'?",
    ),
    (
        "unknown type",
        GOOD.replace("type: Flatten", "type: Flaten"),
        "net.yaml:12: nodes[2].type: unknown layer type 'Flaten'; did you mean 'Flatten'? known "
        "types: Activation, ",
    ),
    (
        "newer version",
        GOOD.replace("convas: 1", "convas: 7"),
        "net.yaml:1: convas: written by a newer Convas (format 7); this version reads format 1",
    ),
    ("missing version", GOOD.replace("convas: 1\n", ""), "convas: is required"),
    (
        "dangling input",
        GOOD.replace("inputs: [c1]", "inputs: [c9]"),
        "net.yaml:13: nodes[2].inputs[0]: no node with id 'c9'",
    ),
    (
        "duplicate id",
        GOOD.replace("id: flat", "id: c1"),
        "net.yaml:11: nodes[2].id: duplicate id 'c1': nodes[1] (line 7) already uses it",
    ),
    (
        "cycle",
        GOOD.replace("inputs: [input]", "inputs: [flat]").replace(
            "params: {channels: 1, height: 28, width: 28}", "params: {channels: 1}"
        ),
        "the connections form a cycle",
    ),
    (
        "bad id",
        GOOD.replace("id: flat", "id: 2flat"),
        "nodes[2].id: id '2flat' must start with a letter",
    ),
    (
        "reserved id",
        GOOD.replace("id: flat", "id: forward"),
        "nodes[2].id: id 'forward' is reserved by Python or torch",
    ),
    (
        "params is a list",
        GOOD.replace("params: {filters: 6, kernel: 5}", "params: [6, 5]"),
        "net.yaml:9: nodes[1].params: input should be a valid dictionary, got [6, 5]",
    ),
    (
        "id is a number",
        GOOD.replace("id: flat", "id: 12"),
        "net.yaml:11: nodes[2].id: input should be a valid string, got 12",
    ),
    (
        "nodes is a mapping",
        "convas: 1\nnodes: {a: 1}\n",
        "net.yaml:2: nodes: input should be a valid list",
    ),
    (
        "unknown top-level field",
        GOOD + "author: me\n",
        "net.yaml:14: author: unknown field 'author'; known: convas, name, nodes, training",
    ),
    (
        "training typo",
        GOOD + "training: {epoch: 3}\n",
        "net.yaml:14: training.epoch: unknown field 'epoch'; did you mean 'epochs'?",
    ),
    (
        "training bad lr",
        GOOD + "training: {lr: 0}\n",
        "net.yaml:14: training.lr: input should be greater than 0, got 0",
    ),
    ("empty", "", "net.yaml: the file is empty"),
    ("only comments", "# nothing\n", "net.yaml: the file is empty"),
    ("top-level list", "- 1\n- 2\n", "net.yaml:1: the file is a list"),
    ("scalar", "hello\n", "net.yaml:1: the file is a str"),
    (
        "duplicate key",
        GOOD.replace("    inputs: [input]", "    inputs: [input]\n    inputs: [c1]"),
        "net.yaml:11: key 'inputs' appears twice in the same mapping (first on line 10)",
    ),
    (
        "python tag",
        "convas: 1\nname: !!python/object/apply:os.system ['echo hi']\n",
        "custom YAML tags",
    ),
    ("alias", "convas: 1\nx: &a [1]\ny: *a\n", "net.yaml:2: YAML anchors (&name) are not allowed"),
    ("tab indentation", "convas: 1\nnodes:\n\t- id: x\n", "net.yaml:3: invalid YAML"),
    ("unclosed flow", "convas: 1\nnodes: [\n", "invalid YAML"),
    ("non-string key", "convas: 1\n3: x\n", "net.yaml:2: keys must be text, got 3"),
    (
        "pos wrong length",
        GOOD.replace("inputs: [c1]", "inputs: [c1]\n    pos: [1, 2, 3]"),
        "nodes[2].pos: list should have at most 2 items",
    ),
    (
        "padding word",
        GOOD.replace("kernel: 5}", "kernel: 5, padding: valid}"),
        "nodes[1].params.padding: must be None, Same or an integer >= 0, got 'valid'",
    ),
    (
        "activation unknown",
        GOOD.replace("kernel: 5}", "kernel: 5, activation: relu6}"),
        "nodes[1].params.activation: must be one of None, ReLU",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in CASES], ids=[name for name, _, _ in CASES]
)
def test_broken_file_names_file_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(FormatError) as info:
        loads_graph(text, "net.yaml")
    assert expected in str(info.value)


def test_billion_laughs_fails_fast() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    with pytest.raises(FormatError, match="anchors"):
        loads_graph(bomb, "bomb.yaml")


def test_deep_nesting_fails_fast() -> None:
    with pytest.raises(FormatError, match="nesting deeper than 32 levels"):
        loads_graph("a: " + "[" * 5000 + "]" * 5000, "deep.yaml")


def test_non_utf8_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"convas: 1\nname: caf\xe9\n")
    with pytest.raises(FormatError) as info:
        load_graph(path)
    assert str(info.value) == (f"{path}:2: not UTF-8 text (byte 0xe9); save the file as UTF-8")


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 10**6)
    with pytest.raises(FormatError, match=r"file is 50\.0 MB; graph files are limited to 10 MB"):
        load_graph(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"missing\.yaml: file not found"):
        load_graph(tmp_path / "missing.yaml")
    with pytest.raises(FormatError, match="is a folder"):
        load_graph(tmp_path)
