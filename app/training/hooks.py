"""Extension points of the training loop, with single-process defaults.

Distributed training overrides these instead of copying the loop, so a fix to the
loop reaches every way of running it.
"""

from __future__ import annotations

import torch
from torch import nn


class TrainHooks:
    """Single process: the model as is, all indices, metrics unchanged, rank 0 writes."""

    rank = 0
    world_size = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap_model(self, model: nn.Module) -> nn.Module:
        return model

    def unwrap(self, model: nn.Module) -> nn.Module:
        inner = getattr(model, "module", None)
        return inner if isinstance(inner, nn.Module) else model

    def shard(self, order: torch.Tensor) -> torch.Tensor:
        """The part of an epoch's shuffled indices this process trains on."""
        return order

    def reduce_sum(self, values: torch.Tensor) -> torch.Tensor:
        """Sum of ``values`` over all processes (identity for one process)."""
        return values
