"""Editor latency: one parameter edit on a 100-node chain, and opening 500 nodes.

(a) Change Filters of the first Conv2D of a 100-node chain the way the panel does
(an undoable property change) and wait until every downstream label is updated;
median over repeats (target <= 16 ms, one frame at 60 Hz).
(b) Open a 500-node graph file: parse, build the canvas, infer, draw the labels
(target <= 2 s).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtWidgets

from app.gui.main_window import MainWindow
from graph_io import Graph
from graph_io.yaml_io import save_graph


def chain(length: int) -> Graph:
    graph = Graph(f"chain{length}")
    graph.add_node("Input", "input", {"channels": 3, "height": 64, "width": 64}, [], (0, 0))
    previous = "input"
    for index in range(length - 1):
        layer = ("Conv2D", "BatchNorm2D", "Activation")[index % 3]
        params = (
            {"filters": 16, "padding": "Same", "activation": "None"} if layer == "Conv2D" else {}
        )
        node_id = f"n{index}"
        graph.add_node(layer, node_id, params, [previous], ((index + 1) * 200, 0))
        previous = node_id
    return graph


def main() -> None:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "c100.yaml", Path(tmp) / "c500.yaml"
        save_graph(chain(100), small)
        save_graph(chain(500), big)
        window = MainWindow()
        window.open_file(small, ask=False)
        after = "n1"  # the BatchNorm right after the edited Conv2D shows the new width
        times = []
        for repeat in range(30):
            filters = 8 + repeat % 2 * 8
            start = time.perf_counter()
            window.canvas.set_param("n0", "filters", filters)
            app.processEvents()
            assert window.canvas.face_text(after).startswith(f"{filters}×64×64")
            times.append((time.perf_counter() - start) * 1000)
        print(
            f"edit first Conv2D of a 100-node chain: median {statistics.median(times):.1f} ms, "
            f"max {max(times):.1f} ms (target <= 16 ms)"
        )
        opened = []
        for _ in range(3):
            fresh = MainWindow()
            start = time.perf_counter()
            fresh.open_file(big, ask=False)
            app.processEvents()
            opened.append(time.perf_counter() - start)
            assert len(fresh.graph.nodes) == 500
            fresh.canvas._muted = True
            fresh.deleteLater()
        window.canvas._muted = True
        print(f"open a 500-node graph: median {statistics.median(opened):.2f} s (target <= 2 s)")


if __name__ == "__main__":
    main()
