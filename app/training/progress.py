"""A terminal progress bar for training runs (tqdm), fed by engine events."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

from app.training.events import BatchEnd, EpochEnd, Event, Log, RunFailed


class ProgressPrinter:
    """One bar per run: epoch, batch, loss, accuracy and ETA; a line per epoch."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.bar: Any = None

    def __call__(self, event: Event) -> None:
        if not self.enabled:
            return
        if isinstance(event, BatchEnd):
            total = event.batches * event.epochs
            if self.bar is None:
                self.bar = tqdm(
                    total=total, file=self.stream, unit="batch", dynamic_ncols=True, leave=False
                )
            self.bar.n = (event.epoch - 1) * event.batches + event.batch
            self.bar.set_description(f"epoch {event.epoch}/{event.epochs}", refresh=False)
            self.bar.set_postfix(
                loss=f"{event.loss:.4f}", acc=f"{event.accuracy:.1%}", refresh=False
            )
            self.bar.refresh()
        elif isinstance(event, EpochEnd):
            val = (
                f"  val loss {event.val_loss:.4f}  val acc {event.val_accuracy:.1%}"
                if event.val_accuracy is not None and event.val_loss is not None
                else ""
            )
            self.write(
                f"epoch {event.epoch}/{event.epochs}  loss {event.train_loss:.4f}  "
                f"acc {event.train_accuracy:.1%}{val}  {event.samples_per_s:,.0f} samples/s"
            )
        elif isinstance(event, RunFailed):
            # The engine raises TrainingError with the same message right after, and the
            # command prints that one line; here the bar only makes way for it.
            self.close()
        elif isinstance(event, Log):
            self.write("note: " + event.message)

    def write(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
