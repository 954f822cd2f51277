"""Small torch modules for layers torch has no single module for.

Imported only when a graph is compiled, so shape inference never loads torch.
"""

from __future__ import annotations

from collections.abc import Callable

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


class ChannelSlice(nn.Module):
    """Channels ``start`` to ``end`` (excluded) of its input: ``x[:, start:end]``."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__()
        self.start = start
        self.end = end

    def forward_code(self, inputs: list[str]) -> str:
        return f"{inputs[0]}[:, {self.start}:{self.end}]"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.start : self.end]


class ChannelShuffle(nn.Module):
    """ShuffleNet's shuffle: channels regrouped so each group sees every other group.

    torch's own ``nn.ChannelShuffle`` computes the same but has no ONNX export; this
    one is written with reshapes every exporter knows.
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward_code(self, inputs: list[str]) -> str:
        x = inputs[0]
        grouped = f"{x}.reshape({x}.shape[0], {self.groups}, -1, *{x}.shape[2:])"
        return f"{grouped}.transpose(1, 2).flatten(1, 2)"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], self.groups, -1, *x.shape[2:]).transpose(1, 2).flatten(1, 2)


class ChannelLayerNorm(nn.LayerNorm):
    """``nn.LayerNorm(C)`` over the channels at each position of an NxCxHxW tensor.

    torch's LayerNorm normalises the last axes, so channels-first models (ConvNeXt)
    permute to NxHxWxC and back around it; this does the same. Being an
    ``nn.LayerNorm``, its weights have the same names and shapes, and code export
    writes it as one (``code_form``) called between the two permutes.
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        """``normalized_shape`` is the channel count, named as nn.LayerNorm names it so
        that import messages can rebuild the module with other settings."""
        super().__init__(normalized_shape, eps, elementwise_affine, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    def code_form(self) -> tuple[nn.Module, Callable[[torch.Tensor], torch.Tensor], str]:
        """(torch.nn module to write, what it receives, how forward() calls it).

        The module shares this one's weights; ``{call}`` and ``{x}`` in the call are
        the attribute and the input variable.
        """
        plain = nn.LayerNorm(self.normalized_shape, eps=self.eps)
        plain.weight, plain.bias = self.weight, self.bias
        return (
            plain,
            lambda x: x.permute(0, 2, 3, 1),
            "{call}({x}.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)",
        )
