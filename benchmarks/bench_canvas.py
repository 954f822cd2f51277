"""Opening large graphs and panning/zooming them, in a shown window, painting counted.

Graphs of residual blocks (Conv2D → BatchNorm2D → Activation → Conv2D → BatchNorm2D
→ Add with the block's input → Activation), laid out top to bottom, of about 2,000
and 10,000 nodes. For each: the time from ``open_file`` to an idle, drawn window
(parse, document, scene items, first paint), then frame times of pans (the view
moved by a third of its size) and zooms (×1.25 steps in and out) with a synchronous
repaint of the canvas viewport, at the readable zoom (1.0, where one edits) and at
the overview zoom that shows the whole graph (level of detail: plain shapes).
Targets (issue 9): open 2,000 nodes ≤ 2 s and 10,000 ≤ 10 s; a frame ≤ 16 ms at
2,000 and ≤ 33 ms at 10,000. The reference in the same run is one repaint of an
empty canvas of the same size (what Qt costs with nothing to draw).

Usage: python benchmarks/bench_canvas.py [NODES ...]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets

from app.gui.main_window import MainWindow
from app.training.warmup import start_background_warm_up, wait_until_warm
from graph_io import Graph
from graph_io.layout import apply_layout
from graph_io.yaml_io import save_graph

FRAMES = 24


def residual_graph(nodes: int) -> Graph:
    """A residual network of about ``nodes`` nodes, laid out top to bottom."""
    graph = Graph(f"residual{nodes}")
    graph.add_node("Input", "input", {"channels": 16, "height": 32, "width": 32})
    previous, block = "input", 0
    while len(graph.nodes) + 7 <= nodes:
        b = f"b{block}_"
        conv = {"filters": 16, "padding": "Same", "activation": "None"}
        graph.add_node("Conv2D", b + "conv1", conv, [previous])
        graph.add_node("BatchNorm2D", b + "bn1", {}, [b + "conv1"])
        graph.add_node("Activation", b + "act1", {}, [b + "bn1"])
        graph.add_node("Conv2D", b + "conv2", conv, [b + "act1"])
        graph.add_node("BatchNorm2D", b + "bn2", {}, [b + "conv2"])
        graph.add_node("Add", b + "add", {}, [b + "bn2", previous])
        graph.add_node("Activation", b + "out", {}, [b + "add"])
        previous, block = b + "out", block + 1
    apply_layout(graph)
    return graph


def repaint_ms(viewport: QtWidgets.QWidget) -> float:
    begin = time.perf_counter()
    viewport.repaint()
    return (time.perf_counter() - begin) * 1000


def frames(app: QtWidgets.QApplication, window: MainWindow) -> tuple[float, float]:
    """Median pan and zoom frame times at the current zoom."""
    viewer = window.viewer
    viewport = viewer.viewport()
    pans, zooms = [], []
    for step in range(FRAMES):
        seen = viewer.mapToScene(viewport.rect()).boundingRect()
        direction = 1 if (step // 6) % 2 == 0 else -1
        seen.translate(0, direction * seen.height() / 3)
        viewer.set_scene_rect([seen.x(), seen.y(), seen.width(), seen.height()])
        app.processEvents()
        pans.append(repaint_ms(viewport))
    for step in range(FRAMES):
        factor = 1.25 if (step // 4) % 2 == 0 else 0.8
        viewer.scale(factor, factor)
        app.processEvents()
        zooms.append(repaint_ms(viewport))
    return statistics.median(pans), statistics.median(zooms)


def measure(app: QtWidgets.QApplication, path: Path, nodes: int) -> None:
    window = MainWindow()
    window.resize(1500, 950)
    window.show()
    app.processEvents()
    # The window imports torch in the background 2 s after it opens; that import holds
    # the GIL in bursts. Measure opening apart from it (it is timed in bench_startup).
    start_background_warm_up()
    wait_until_warm(timeout=120)
    empty = statistics.median(repaint_ms(window.viewer.viewport()) for _ in range(10))
    begin = time.perf_counter()
    window.open_file(path, ask=False)
    app.processEvents()
    window.viewer.viewport().repaint()
    opened = time.perf_counter() - begin
    readable = frames(app, window)
    window.fit()  # the whole graph: the overview zoom, plain shapes
    app.processEvents()
    zoom = window.viewer.transform().m11()
    overview = frames(app, window)
    print(
        f"{len(window.graph.nodes):>6} nodes: open {opened:5.2f} s | frame at zoom 1: pan "
        f"{readable[0]:5.1f} ms, zoom {readable[1]:5.1f} ms | whole graph (zoom {zoom:.3f}): "
        f"pan {overview[0]:5.1f} ms, zoom {overview[1]:5.1f} ms | empty canvas {empty:4.1f} ms"
    )
    window.document.mark_saved()
    window.close()
    window.deleteLater()
    app.processEvents()


def main() -> None:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    assert isinstance(app, QtWidgets.QApplication)
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 10000]
    print(
        f"platform {app.platformName()}; load average {os.getloadavg()[0]:.1f}; targets: "
        "open <= 2 s (2,000) / 10 s (10,000), frame <= 16 ms (2,000) / 33 ms (10,000)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in sizes:
            path = Path(tmp) / f"residual{nodes}.yaml"
            save_graph(residual_graph(nodes), path)
            measure(app, path, nodes)
    QtCore.QTimer.singleShot(0, app.quit)


if __name__ == "__main__":
    main()
