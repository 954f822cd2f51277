"""Render the editor with a graph to a PNG (offscreen), for the README."""

from __future__ import annotations

import os
import sys


def main(graph: str, out: str) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    from app.gui.main_window import MainWindow

    application = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = MainWindow()
    window.resize(1600, 1000)
    window.open_file(graph, ask=False)
    window.show()
    for _ in range(5):
        application.processEvents()
    window.fit()
    node = next(iter(window.graph.nodes))
    for candidate in window.graph.nodes:
        if window.graph.nodes[candidate].type == "Conv2D":
            node = candidate
            break
    window.select(node)
    for _ in range(5):
        application.processEvents()
    window.grab().save(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
