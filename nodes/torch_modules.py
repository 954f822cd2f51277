"""Small torch modules for layers torch has no single module for.

Imported only when a graph is compiled, so shape inference never loads torch.
"""

from __future__ import annotations

import torch
from torch import nn


class Add(nn.Module):
    """Element-wise sum of its inputs (a residual / skip connection).

    ``forward_code`` lets code export inline the operation instead of shipping
    this class: exported models need nothing but torch.
    """

    def forward_code(self, inputs: list[str]) -> str:
        return " + ".join(inputs)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        total = inputs[0]
        for tensor in inputs[1:]:
            total = total + tensor
        return total


class Multiply(nn.Module):
    """Element-wise product of its inputs, broadcasting size-1 axes (gates)."""

    def forward_code(self, inputs: list[str]) -> str:
        return " * ".join(inputs)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        product = inputs[0]
        for tensor in inputs[1:]:
            product = product * tensor
        return product


class Concat(nn.Module):
    """Stacks its inputs along the channel axis, in input order."""

    def forward_code(self, inputs: list[str]) -> str:
        return f"torch.cat([{', '.join(inputs)}], dim=1)"

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return torch.cat(inputs, dim=1)
