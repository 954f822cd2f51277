"""Architecture diff: matching by id and by structure, mirror images, and `convas diff`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cli import main
from graph_io.diff import GraphDiff, diff_graphs
from graph_io.ids import id_problem
from graph_io.model import Graph
from graph_io.yaml_io import load_graph, save_graph

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
GRAPHS = {path.stem: load_graph(path) for path in EXAMPLES}
NAMES = sorted(GRAPHS)
FAST = settings(deadline=None, max_examples=25)


def renamed_copy(graph: Graph, data: st.DataObject) -> tuple[Graph, dict[str, str]]:
    """A copy with a random subset of nodes given fresh random ids."""
    copy = graph.copy()
    chosen = data.draw(st.lists(st.sampled_from(list(graph.nodes)), unique=True))
    renames: dict[str, str] = {}
    for old in chosen:
        new = data.draw(
            st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(
                lambda n: id_problem(n) is None and n not in copy.nodes and n not in graph.nodes
            )
        )
        copy.rename_node(old, new)
        renames[old] = new
    return copy, renames


@FAST
@given(name=st.sampled_from(NAMES))
def test_a_graph_against_itself_is_empty(name: str) -> None:
    result = diff_graphs(GRAPHS[name], GRAPHS[name].copy())
    assert result.changes == []
    assert result.same
    assert result.matches == {n: n for n in GRAPHS[name].nodes}


@FAST
@given(name=st.sampled_from(NAMES), data=st.data())
def test_random_renames_are_reported_as_renames_only(name: str, data: st.DataObject) -> None:
    graph = GRAPHS[name]
    copy, renames = renamed_copy(graph, data)
    result = diff_graphs(graph, copy)
    assert {c.kind for c in result.changes} <= {"renamed"}
    assert {c.old_id: c.new_id for c in result.changes} == renames
    assert result.same
    assert result.new_params == result.old_params


def mutate(graph: Graph, data: st.DataObject) -> Graph:
    """Random edits a person makes: change params, drop nodes, insert layers, rename."""
    out, _ = renamed_copy(graph, data)
    for _ in range(data.draw(st.integers(0, 3))):
        op = data.draw(st.sampled_from(["param", "remove", "insert"]))
        node_id = data.draw(st.sampled_from(list(out.nodes)))
        node = out.nodes[node_id]
        if op == "param":
            numeric = [k for k, v in node.params.items() if type(v) is int and v >= 1]
            if numeric:
                key = data.draw(st.sampled_from(numeric))
                out.set_param(node_id, key, int(node.params[key]) + data.draw(st.integers(1, 4)))
        elif op == "remove" and node.type != "Input":
            out.remove_node(node_id)
        elif op == "insert":
            new = data.draw(st.sampled_from(["act_x", "drop_x", "act_y"]))
            if new not in out.nodes:
                kind = "Dropout" if new == "drop_x" else "Activation"
                for consumer in out.consumers()[node_id]:
                    inputs = out.nodes[consumer].inputs
                    inputs[inputs.index(node_id)] = new
                out.add_node(kind, new, {}, [node_id])
    return out


def mirrored(forward: GraphDiff, backward: GraphDiff) -> None:
    swap = {"added": "removed", "removed": "added", "changed": "changed", "renamed": "renamed"}
    assert backward.matches == {v: k for k, v in forward.matches.items()}
    assert {(c.kind, c.old_id, c.new_id) for c in backward.changes} == {
        (swap[c.kind], c.new_id, c.old_id) for c in forward.changes
    }
    by_pair = {(c.new_id, c.old_id): c for c in backward.changes}
    for change in forward.changes:
        twin = by_pair[(change.old_id, change.new_id)]
        assert twin.params == {k: (b, a) for k, (a, b) in change.params.items()}
        assert (twin.old_shape, twin.new_shape) == (change.new_shape, change.old_shape)
        assert twin.new_params - twin.old_params == change.old_params - change.new_params
        assert twin.new_macs - twin.old_macs == change.old_macs - change.new_macs
    assert backward.new_params - backward.old_params == forward.old_params - forward.new_params
    assert forward.same == backward.same


@FAST
@given(name=st.sampled_from(NAMES), data=st.data())
def test_diff_in_both_directions_are_mirror_images(name: str, data: st.DataObject) -> None:
    graph = GRAPHS[name]
    other = mutate(graph, data)
    mirrored(diff_graphs(graph, other), diff_graphs(other, graph))


def test_added_removed_changed_and_rewired_nodes_are_named() -> None:
    old = GRAPHS["lenet5"]
    new = old.copy()
    new.set_param("c1", "filters", 8)
    new.remove_node("f6")
    new.connect("f5", "output")
    new.add_node("Dropout", "drop", {"rate": 0.3}, ["s4"])
    new.nodes["flatten"].inputs = ["drop"]
    new.rename_node("c3", "conv3")
    result = diff_graphs(old, new)
    kinds = {c.id: c.kind for c in result.changes}
    assert kinds == {
        "c1": "changed",
        "s2": "changed",  # its output follows c1's filters
        "conv3": "changed",
        "f6": "removed",
        "drop": "added",
        "flatten": "changed",
        "output": "changed",
    }
    c1 = next(c for c in result.changes if c.id == "c1")
    assert c1.params == {"filters": (6, 8)}
    assert (c1.old_shape, c1.new_shape) == ((6, 28, 28), (8, 28, 28))
    assert c1.new_params - c1.old_params == 2 * (5 * 5 + 1)
    conv3 = next(c for c in result.changes if c.id == "conv3")
    assert conv3.old_id == "c3"
    assert conv3.params == {}  # only its input's channels and so its weights changed
    assert conv3.new_params - conv3.old_params == 2 * 16 * 5 * 5
    output = next(c for c in result.changes if c.id == "output")
    assert output.inputs == (("f6",), ("f5",))
    assert result.new_params - result.old_params == sum(
        c.new_params - c.old_params for c in result.changes
    )
    assert not result.same


def write(graph: Graph, path: Path) -> Path:
    save_graph(graph, path)
    return path


def test_convas_diff_exit_codes_text_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lenet = ROOT / "examples" / "lenet5.yaml"
    renamed = GRAPHS["lenet5"].copy()
    renamed.rename_node("c1", "first_conv")
    renamed.set_pos("c3", (5.0, 5.0))
    same = write(renamed, tmp_path / "same.yaml")
    assert main(["diff", str(lenet), str(same)]) == 0
    out = capsys.readouterr().out
    assert "renamed (same layer): c1 -> first_conv" in out
    assert "same model: 0 added, 0 removed, 0 changed, 1 renamed" in out

    wider = GRAPHS["lenet5"].copy()
    wider.set_param("f5", "units", 100)
    path = write(wider, tmp_path / "wider.yaml")
    assert main(["diff", str(lenet), str(path)]) == 1
    out = capsys.readouterr().out
    assert "~ Dense 'f5': units 120 -> 100; shape 120 -> 100; params -" in out
    assert "params 61,706 -> " in out
    assert main(["diff", str(lenet), str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["same"] is False
    assert [c["new_id"] for c in data["changed"]] == ["f5", "f6"]
    assert data["changed"][0]["params"] == {"units": {"old": 120, "new": 100}}
    assert data["totals"]["params_delta"] == data["totals"]["new_params"] - 61706

    broken = tmp_path / "broken.yaml"
    broken.write_text("convas: 1\nnodes: [\n")
    assert main(["diff", str(lenet), str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "broken.yaml" in err
    assert "Traceback" not in err
    assert main(["diff", str(lenet), str(tmp_path / "missing.yaml")]) == 2
