"""Start the editor, or say in one line why not and fall back to the summary."""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def main(path: str | None = None) -> int:
    if not has_display():
        from app.cli import main as cli_main

        print(
            "convas: no display available (DISPLAY is not set) — printing the summary "
            "instead; run under a desktop session or Xvfb to open the editor"
        )
        return cli_main(["summary", path]) if path else 0
    from PySide6 import QtWidgets

    from app.gui.main_window import MainWindow

    application = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    application.setApplicationName("Convas")
    window = MainWindow()
    if path:
        window.open_file(path, ask=False)
    else:
        window.new_graph()
    from app.gui.ready_probe import attach_if_asked

    attach_if_asked(window.viewer.viewport())  # start-up benchmark: say when drawn and idle
    window.show()
    from app.gui.autosave import attach

    attach(window)  # autosave, and offer to restore what a crashed session kept
    return int(application.exec())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
