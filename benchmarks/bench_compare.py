"""What View → Compare With… costs per edit while a comparison is shown.

The overlay compares the open graph with the reference again after every edit that
is not a plain move (``app/gui/compare_overlay.py``), once per turn of the event
loop. This prints, for chains of 100, 500 and 1,000 nodes, the median time of the
comparison (``compare_marks``: matching, per-node comparison, marks) for a variant
with one changed parameter and for one with every tenth node renamed, the time of the
overlay's whole redraw on an offscreen canvas (comparison plus scene items), and as
the reference a full shape inference of the same graph (an edit re-infers only what
is downstream of it). The reports of both graphs are known already (the reference's
is made once, the document keeps the open graph's), so neither is timed. Target: the
redraw at 500 nodes within one 60 Hz frame (≤ 16 ms) for the usual edit.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from graph_io import Graph, infer

SIZES = (100, 500, 1000)


def chain(count: int) -> Graph:
    """An Input, then Conv2D and Dropout in turn, laid out left to right."""
    graph = Graph("chain")
    graph.add_node("Input", "input", {"channels": 8, "height": 16, "width": 16}, pos=(0, 0))
    previous = "input"
    for index in range(1, count):
        node_id = f"n{index}"
        if index % 2:
            graph.add_node("Conv2D", node_id, {"filters": 8, "padding": "Same"}, [previous])
        else:
            graph.add_node("Dropout", node_id, {"rate": 0.1}, [previous])
        graph.nodes[node_id].pos = (index * 260.0, 0.0)
        previous = node_id
    return graph


def median_ms(action: Callable[[], object], repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def row(count: int, app: Any) -> str:
    """One line of the table: the timings for a chain of ``count`` nodes."""
    from app.gui.compare import compare_marks
    from app.gui.main_window import MainWindow

    reference = chain(count)
    changed = reference.copy()
    changed.nodes["n1"].params["filters"] = 16
    renamed = changed.copy()
    for index in range(2, count, 10):
        renamed.rename_node(f"n{index}", f"r{index}")
    infer_ms = median_ms(lambda: infer(changed))
    # The overlay infers the reference once and the document keeps the open graph's
    # report up to date: neither inference is part of a redraw.
    old = infer(reference)
    one, many = (old, infer(changed)), (old, infer(renamed))
    one_ms = median_ms(lambda: compare_marks(reference, changed, reports=one))
    renamed_ms = median_ms(lambda: compare_marks(reference, renamed, reports=many))
    window = MainWindow()
    window.document.replace(changed)
    app.processEvents()
    window.comparison.show(reference, "reference")
    redraw_ms = median_ms(window.comparison._redraw)
    window.comparison.close()
    window.close()
    window.deleteLater()
    app.processEvents()
    return (
        f"{count:>6}{infer_ms:>8.1f}ms{one_ms:>8.1f}ms{renamed_ms:>11.1f}ms"
        f"{redraw_ms:>8.1f}ms{redraw_ms / infer_ms:>7.0f}×"
    )


def main() -> int:
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"{'nodes':>6}{'infer':>10}{'1 change':>10}{'10% renamed':>13}{'redraw':>10}{'ratio':>8}")
    for count in SIZES:
        print(row(count, app))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
