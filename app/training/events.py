"""What the training engine reports while it runs.

Small frozen dataclasses, so the CLI can print them and the GUI can pass them
across threads on a queue or signal without sharing mutable state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Log:
    """A message for the user (a warning or a note), not a metric."""

    message: str


@dataclass(frozen=True)
class BatchEnd:
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int
    loss: float
    accuracy: float  # running accuracy over the epoch so far
    samples_per_s: float
    eta_s: float


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    epochs: int
    train_loss: float
    train_accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    samples_per_s: float
    elapsed_s: float


@dataclass(frozen=True)
class RunEnd:
    result: TrainResult


@dataclass(frozen=True)
class RunFailed:
    message: str


@dataclass(frozen=True)
class TrainResult:
    """The outcome of a run; ``stopped`` is True when the user asked to stop early."""

    epochs: list[EpochEnd]
    wall_s: float
    samples_per_s: float
    stopped: bool = False
    batches_run: int = 0
    weights_checksum: float = 0.0
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)
    # The trained weights (CPU copies), so the editor can show kernels and
    # predictions without reading files back.
    state: dict[str, torch.Tensor] | None = field(default=None, repr=False, compare=False)

    @property
    def final_val_accuracy(self) -> float | None:
        return self.epochs[-1].val_accuracy if self.epochs else None

    @property
    def best_val_accuracy(self) -> float | None:
        values = [e.val_accuracy for e in self.epochs if e.val_accuracy is not None]
        return max(values) if values else None


Event = Log | BatchEnd | EpochEnd | RunEnd | RunFailed
