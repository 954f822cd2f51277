"""`convas render` and the node painter: whole-graph pictures drawn headless."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui

from app.cli import main
from app.gui.node_painter import LOD_TEXT, SMALL_PX, NodePainter
from app.gui.render import ensure_gui_app
from graph_io.faces import NODE_HEIGHT, NODE_WIDTH, Face, faces
from graph_io.shapes import Status, infer
from graph_io.yaml_io import load_graph
from resources.themes import DARK, LIGHT

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(path: Path) -> list[str]:
    return [(e.text or "").strip() for e in ET.parse(path).iter(f"{SVG}text")]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_svg_carries_every_nodes_id_type_and_shape_as_text(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.svg"
    assert main(["render", str(path), "-o", str(out)]) == 0
    texts = svg_texts(out)
    graph = load_graph(path)
    for shown in faces(graph, infer(graph)).values():
        assert shown.node_id in texts
        assert shown.title in texts
        assert shown.shape in texts
    description = ET.parse(out).find(f"{SVG}desc")
    assert description is not None
    assert "b1_add: Add, 16×28×28" in (description.text or "") or path.stem != "resnet_mini"


def test_png_and_direction_and_theme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = str(ROOT / "examples" / "lenet5.yaml")
    tall, wide = tmp_path / "tb.png", tmp_path / "lr.png"
    assert main(["render", graph, "-o", str(tall)]) == 0
    assert main(["render", graph, "-o", str(wide), "--direction", "LR", "--theme", "dark"]) == 0
    assert "wrote" in capsys.readouterr().out
    ensure_gui_app()
    tb, lr = QtGui.QImage(str(tall)), QtGui.QImage(str(wide))
    assert tb.height() > tb.width()
    assert lr.width() > lr.height()
    assert tb.width() >= 2 * NODE_WIDTH  # drawn at 2 pixels per scene unit
    assert tb.pixelColor(2, 2) == QtGui.QColor(LIGHT.canvas)
    assert lr.pixelColor(2, 2) == QtGui.QColor(DARK.canvas)


def test_a_graph_with_errors_is_drawn_with_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    text = (ROOT / "examples" / "lenet5.yaml").read_text()
    broken.write_text(text.replace("kernel: 5", "kernel: 40", 1))
    out = tmp_path / "broken.svg"
    assert main(["render", str(broken), "-o", str(out)]) == 0
    assert "problem" in capsys.readouterr().out
    assert "!" in svg_texts(out)  # the error badge
    assert "?" in svg_texts(out)  # shapes downstream are unknown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.yaml", "-o", "x.svg"], "missing.yaml"),
        (["GRAPH", "-o", "x.jpg"], "must end in .svg or .png"),
        (["GRAPH", "-o", "no/such/dir/x.svg"], "does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_leaves_files_alone(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = str(ROOT / "examples" / "lenet5.yaml")
    args = [
        graph if a == "GRAPH" else str(tmp_path / a) if a.endswith(("svg", "jpg")) else a
        for a in args
    ]
    assert main(["render", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_an_unreadable_graph_keeps_the_previous_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "keep.svg"
    out.write_text("old picture")
    bad = tmp_path / "bad.yaml"
    bad.write_text("convas: 1\nnodes: 3\n")
    assert main(["render", str(bad), "-o", str(out)]) == 2
    assert "bad.yaml:2" in capsys.readouterr().err
    assert out.read_text() == "old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "keep.svg"]


def _face(status: Status = Status.OK) -> Face:
    return Face(
        "c1",
        "Conv2D",
        "Conv2D",
        "32 · 3×3 /2",
        "32×14×14",
        "896 params",
        "Convolution",
        status,
        "bad" if status is Status.ERROR else None,
    )


def _paint(face: Face, **kwargs: object) -> QtGui.QImage:
    ensure_gui_app()
    image = QtGui.QImage(280, 110, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("#000000"))
    painter = QtGui.QPainter(image)
    NodePainter(LIGHT).paint(
        painter, QtCore.QRectF(20, 20, NODE_WIDTH, NODE_HEIGHT), face, **kwargs
    )  # type: ignore[arg-type]
    painter.end()
    return image


def _colours(image: QtGui.QImage, box: QtCore.QRect) -> set[str]:
    return {
        image.pixelColor(x, y).name()
        for x in range(box.left(), box.right())
        for y in range(box.top(), box.bottom())
    }


def test_painter_draws_text_at_full_detail_and_a_plain_shape_when_zoomed_out() -> None:
    assert SMALL_PX >= 10  # every word on a face is at least 10 px at zoom 1
    inside = QtCore.QRect(60, 30, 150, 60)
    full = _colours(_paint(_face()), inside)
    assert len(full) > 5  # text, anti-aliased
    simple = _colours(_paint(_face(), lod=LOD_TEXT / 2), inside)
    assert simple == {LIGHT.category_colour("Convolution")}


def test_painter_marks_errors_selection_and_hover() -> None:
    corner = QtCore.QRect(228, 16, 14, 14)  # where the badge sits
    assert LIGHT.error in _colours(_paint(_face(Status.ERROR)), corner)
    assert LIGHT.error not in _colours(_paint(_face()), corner)
    edge = QtCore.QRect(100, 19, 20, 3)  # the top border
    assert LIGHT.accent in _colours(_paint(_face(), selected=True), edge)
    assert LIGHT.accent not in _colours(_paint(_face()), edge)
    body = QtCore.QRect(150, 60, 4, 4)
    assert LIGHT.hover in _colours(_paint(_face(), hovered=True), body)
