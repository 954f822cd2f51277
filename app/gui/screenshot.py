"""Render the editor with a graph to a PNG (offscreen), for the README.

With ``--train N`` the graph is first trained for N epochs in the Training dock, so
the picture shows live curves, the results and the first Conv2D's kernels.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("graph")
    parser.add_argument("out")
    parser.add_argument("--train", type=int, default=0, metavar="EPOCHS")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from app.gui.main_window import MainWindow

    application = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = MainWindow()
    window.resize(1700, 1050)
    window.open_file(args.graph, ask=False)
    window.show()
    for _ in range(5):
        application.processEvents()
    window.show_graph()  # as opening does: readable, around the Input if it must
    convs = [n for n, node in window.graph.nodes.items() if node.type == "Conv2D"]
    window.select(convs[0] if convs else next(iter(window.graph.nodes)))
    if args.train:
        window.training.form.set_value("epochs", args.train)
        loop = QtCore.QEventLoop()

        def stopped(running: bool) -> None:
            if not running:
                loop.quit()

        window.training.running_changed.connect(stopped)
        window.start_training()
        loop.exec()
        window.kernels_dock.raise_()
        window.conv_view.update_view()  # the trained kernels now, not after the settle timer
    for _ in range(10):
        application.processEvents()
    window.grab().save(args.out)
    print(f"wrote {args.out}")
    window.training.form.set_section(window.graph.training)  # no unsaved-changes prompt
    return 0


if __name__ == "__main__":
    sys.exit(main())
