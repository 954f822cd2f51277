"""Ctrl+C and SIGTERM as a polite stop for headless training.

The first signal sets the run's stop event: the engine finishes its current batch,
records the epoch and writes the run folder with status *stopped*, exactly like the
editor's Stop button. A second Ctrl+C falls back to Python's KeyboardInterrupt for
someone who really wants out (the run folder then still says *stopped* and keeps
the last finished epoch).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM set ``stop`` once; handlers are restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        print(
            "\nstopping after this batch (the run keeps its finished epochs); "
            "Ctrl+C again to quit at once",
            file=sys.stderr,
        )

    for sig in previous:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
