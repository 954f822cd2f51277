"""Comments written by hand in a graph file survive loading, editing and saving."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from graph_io.editing import Document, RemoveNodes, Rename, SetParam
from graph_io.yaml_io import dumps_graph, loads_graph

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

ANNOTATED = """\
# LeNet-5 as in LeCun et al. 1998 — kept here for the lecture on Monday
convas: 1
name: lenet5  # the classic
# settings I tried last week
training:
  epochs: 5  # 20 overfits
  # batch 128 ran out of memory on the lab machines
  batch_size: 64
nodes:
  - id: input
    type: Input
    params: {channels: 1, height: 32, width: 32}

  # the first convolution: 6 feature maps
  - id: c1
    type: Conv2D
    # Tanh, not ReLU: the paper's choice
    params: {filters: 6, kernel: 5, activation: Tanh}  # try 8 filters next
    inputs: [input]  # straight from the image

  - id: s2  # subsampling
    type: AvgPool2D
    inputs: [c1]
# end of the graph — the output layers are in part 2
"""


def test_comments_come_back_where_they_were_after_a_save() -> None:
    text = dumps_graph(loads_graph(ANNOTATED))
    lines = text.splitlines()
    assert lines[0] == "# LeNet-5 as in LeCun et al. 1998 — kept here for the lecture on Monday"
    assert "name: lenet5  # the classic" in lines
    assert "  epochs: 5  # 20 overfits" in lines
    assert "  # batch 128 ran out of memory on the lab machines" in lines
    c1 = lines.index("  - id: c1")
    assert lines[c1 - 1] == "  # the first convolution: 6 feature maps"
    assert lines[c1 + 1] == "    # Tanh, not ReLU: the paper's choice"
    assert any(line.endswith("}  # try 8 filters next") for line in lines[c1 : c1 + 5])
    assert "    inputs: [input]  # straight from the image" in lines
    assert "  - id: s2  # subsampling" in lines
    assert lines[-1] == "# end of the graph — the output layers are in part 2"
    assert text.count("#") == ANNOTATED.count("#")
    assert dumps_graph(loads_graph(text)) == text  # stable from then on


def test_a_node_keeps_its_notes_through_rename_edit_delete_and_undo() -> None:
    doc = Document(loads_graph(ANNOTATED))
    doc.execute(Rename("c1", "conv1"))
    doc.execute(SetParam("conv1", "filters", 8))
    text = dumps_graph(doc.graph)
    assert "  # the first convolution: 6 feature maps\n  - id: conv1" in text
    assert "# try 8 filters next" in text
    doc.execute(RemoveNodes(["conv1"]))
    assert "the first convolution" not in dumps_graph(doc.graph)
    doc.undo()
    assert "  # the first convolution: 6 feature maps\n  - id: conv1" in dumps_graph(doc.graph)


def test_a_hash_inside_a_quoted_value_is_not_a_comment() -> None:
    text = ANNOTATED.replace("name: lenet5  # the classic", "name: 'net #2'  # second try")
    saved = dumps_graph(loads_graph(text))
    assert loads_graph(saved).name == "net #2"
    assert "# second try" in saved


def test_files_without_comments_are_written_as_before() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert dumps_graph(loads_graph(text)) == dumps_graph(
            loads_graph(dumps_graph(loads_graph(text)))
        )


_WORDS = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="\r\n"
    ),
    max_size=30,
).map(lambda s: ("# " + s).rstrip())


@settings(deadline=None, max_examples=int(os.environ.get("CONVAS_COMMENT_EXAMPLES", "40")))
@given(data=st.data())
def test_any_comment_anywhere_in_an_example_survives_a_round_trip(data: st.DataObject) -> None:
    """A comment line put between any two lines of an example file, or at the end of
    any line that holds a key, is in the saved file, and the graph is unchanged."""
    path = data.draw(st.sampled_from(sorted(EXAMPLES.glob("*.yaml"))))
    original = loads_graph(path.read_text(encoding="utf-8"))
    lines = dumps_graph(original).splitlines()
    comment = data.draw(_WORDS)
    at = data.draw(st.integers(0, len(lines)))
    if data.draw(st.booleans()) and at < len(lines) and ":" in lines[at]:
        lines[at] = f"{lines[at]}  {comment}"
    else:
        indent = data.draw(st.sampled_from(["", "  ", "    "]))
        lines.insert(at, indent + comment)
    text = "\n".join(lines) + "\n"
    graph = loads_graph(text)
    saved = dumps_graph(graph)
    assert comment in saved
    assert dumps_graph(loads_graph(saved)) == saved
    assert graph == original
