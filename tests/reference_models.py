"""Compact re-writes of well-known CIFAR-10 and MNIST reference models, for import tests.

Each follows the block structure and forward() style of the widely copied
implementations people import (the pytorch-cifar collection and the PyTorch MNIST
example): functional calls, ``x * w`` gates, ``x.size()`` arithmetic, channel slices
and view/permute channel shuffles included, because that is what the importer has
to read. The code is written here for the tests; nothing is vendored. Every model
takes an optional ``scale`` for its widths so a test can also try a smaller copy.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - the name every torch model uses
from torch import nn

Tensor = torch.Tensor


def _bn_conv(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]


# ---- MobileNet (v1): depthwise 3x3 + pointwise 1x1 --------------------------------------


class DepthwiseSeparable(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1, self.bn1 = _bn_conv(cin, cin, 3, stride, groups=cin)
        self.conv2, self.bn2 = _bn_conv(cin, cout, 1)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)))


class MobileNet(nn.Module):
    PLAN: Sequence[int | tuple[int, int]] = (
        64,
        (128, 2),
        128,
        (256, 2),
        256,
        (512, 2),
        512,
        512,
        512,
        512,
        512,
        (1024, 2),
        1024,
    )

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        width = int(32 * scale)
        self.conv1, self.bn1 = _bn_conv(3, width, 3)
        blocks: list[nn.Module] = []
        for entry in self.PLAN:
            cout, stride = entry if isinstance(entry, tuple) else (entry, 1)
            blocks.append(DepthwiseSeparable(width, int(cout * scale), stride))
            width = int(cout * scale)
        self.layers = nn.Sequential(*blocks)
        self.linear = nn.Linear(width, 10)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.avg_pool2d(out, 2)
        out = out.view(out.size(0), -1)
        result: Tensor = self.linear(out)
        return result


# ---- MobileNetV2: inverted residuals ---------------------------------------------------


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, expansion: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        mid = expansion * cin
        self.conv1, self.bn1 = _bn_conv(cin, mid, 1)
        self.conv2, self.bn2 = _bn_conv(mid, mid, 3, stride, groups=mid)
        self.conv3, self.bn3 = _bn_conv(mid, cout, 1)
        self.shortcut = nn.Sequential()
        if stride == 1 and cin != cout:
            self.shortcut = nn.Sequential(*_bn_conv(cin, cout, 1))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return out + self.shortcut(x) if self.stride == 1 else out


class MobileNetV2(nn.Module):
    # (expansion, out channels, blocks, stride): the CIFAR variant keeps 32x32 longer
    PLAN = (
        (1, 16, 1, 1),
        (6, 24, 2, 1),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    )

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        width = int(32 * scale)
        self.conv1, self.bn1 = _bn_conv(3, width, 3)
        blocks: list[nn.Module] = []
        for expansion, cout, count, stride in self.PLAN:
            for index in range(count):
                blocks.append(
                    InvertedResidual(
                        width, int(cout * scale), expansion, stride if index == 0 else 1
                    )
                )
                width = int(cout * scale)
        self.layers = nn.Sequential(*blocks)
        self.conv2, self.bn2 = _bn_conv(width, int(1280 * scale), 1)
        self.linear = nn.Linear(int(1280 * scale), 10)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.relu(self.bn2(self.conv2(out)))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        result: Tensor = self.linear(out)
        return result


# ---- ShuffleNet (v1) and ShuffleNetV2 ---------------------------------------------------


class Shuffle(nn.Module):
    """Channel shuffle written out as view, permute and reshape."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.size()
        g = self.groups
        return x.view(n, g, c // g, h, w).permute(0, 2, 1, 3, 4).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, groups: int) -> None:
        super().__init__()
        self.stride = stride
        mid = cout // 4
        first = 1 if cin == 24 else groups  # the stem's 24 channels are not grouped
        self.conv1, self.bn1 = _bn_conv(cin, mid, 1, groups=first)
        self.shuffle1 = Shuffle(first)
        self.conv2, self.bn2 = _bn_conv(mid, mid, 3, stride, groups=mid)
        self.conv3, self.bn3 = _bn_conv(mid, cout, 1, groups=groups)
        self.shortcut = nn.Sequential()
        if stride == 2:
            self.shortcut = nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.shuffle1(out)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        res = self.shortcut(x)
        return F.relu(torch.cat([out, res], 1)) if self.stride == 2 else F.relu(out + res)


class ShuffleNet(nn.Module):
    def __init__(self, groups: int = 2, scale: float = 1.0, blocks: Sequence[int] = (4, 8, 4)):
        super().__init__()
        widths = {2: (200, 400, 800), 3: (240, 480, 960)}[groups]
        self.conv1, self.bn1 = _bn_conv(3, 24, 1)
        self.in_planes = 24
        self.layer1 = self._stage(int(widths[0] * scale) // 4 * 4, blocks[0], groups)
        self.layer2 = self._stage(int(widths[1] * scale) // 4 * 4, blocks[1], groups)
        self.layer3 = self._stage(int(widths[2] * scale) // 4 * 4, blocks[2], groups)
        self.linear = nn.Linear(self.in_planes, 10)

    def _stage(self, cout: int, count: int, groups: int) -> nn.Sequential:
        units = []
        for index in range(count):
            joined = self.in_planes if index == 0 else 0  # concatenated shortcut
            units.append(ShuffleUnit(self.in_planes, cout - joined, 2 if index == 0 else 1, groups))
            self.in_planes = cout
        return nn.Sequential(*units)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        result: Tensor = self.linear(out)
        return result


class HalfSplit(nn.Module):
    def __init__(self, ratio: float) -> None:
        super().__init__()
        self.ratio = ratio

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        c = int(x.size(1) * self.ratio)
        return x[:, :c, :, :], x[:, c:, :, :]


class ShuffleV2Unit(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.split = HalfSplit(0.5)
        half = channels // 2
        self.conv1, self.bn1 = _bn_conv(half, half, 1)
        self.conv2, self.bn2 = _bn_conv(half, half, 3, groups=half)
        self.conv3, self.bn3 = _bn_conv(half, half, 1)
        self.shuffle = Shuffle(2)

    def forward(self, x: Tensor) -> Tensor:
        x1, x2 = self.split(x)
        out = F.relu(self.bn1(self.conv1(x2)))
        out = self.bn2(self.conv2(out))
        out = F.relu(self.bn3(self.conv3(out)))
        return self.shuffle(torch.cat([x1, out], 1))


class ShuffleV2Down(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        mid = cout // 2
        self.conv1, self.bn1 = _bn_conv(cin, cin, 3, 2, groups=cin)
        self.conv2, self.bn2 = _bn_conv(cin, mid, 1)
        self.conv3, self.bn3 = _bn_conv(cin, mid, 1)
        self.conv4, self.bn4 = _bn_conv(mid, mid, 3, 2, groups=mid)
        self.conv5, self.bn5 = _bn_conv(mid, mid, 1)
        self.shuffle = Shuffle(2)

    def forward(self, x: Tensor) -> Tensor:
        left = self.bn1(self.conv1(x))
        left = F.relu(self.bn2(self.conv2(left)))
        right = F.relu(self.bn3(self.conv3(x)))
        right = self.bn4(self.conv4(right))
        right = F.relu(self.bn5(self.conv5(right)))
        return self.shuffle(torch.cat([left, right], 1))


class ShuffleNetV2(nn.Module):
    def __init__(
        self, widths: Sequence[int] = (48, 96, 192, 1024), blocks: Sequence[int] = (3, 7, 3)
    ) -> None:
        super().__init__()
        self.conv1, self.bn1 = _bn_conv(3, 24, 3)
        self.in_planes = 24
        self.layer1 = self._stage(widths[0], blocks[0])
        self.layer2 = self._stage(widths[1], blocks[1])
        self.layer3 = self._stage(widths[2], blocks[2])
        self.conv2, self.bn2 = _bn_conv(widths[2], widths[3], 1)
        self.linear = nn.Linear(widths[3], 10)

    def _stage(self, cout: int, count: int) -> nn.Sequential:
        units: list[nn.Module] = [ShuffleV2Down(self.in_planes, cout)]
        units += [ShuffleV2Unit(cout) for _ in range(count)]
        self.in_planes = cout
        return nn.Sequential(*units)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        result: Tensor = self.linear(out)
        return result


# ---- SENet-18: pre-activation blocks with squeeze-and-excitation -------------------------


class PreActSE(nn.Module):
    def __init__(self, cin: int, planes: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False))
        self.fc1 = nn.Conv2d(planes, planes // 16, 1)  # SE written with 1x1 convolutions
        self.fc2 = nn.Conv2d(planes // 16, planes, 1)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if hasattr(self, "shortcut") else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        w = F.avg_pool2d(out, out.size(2))  # squeeze: the kernel is the whole map
        w = F.relu(self.fc1(w))
        w = F.sigmoid(self.fc2(w))
        out = out * w  # excitation
        out += shortcut
        return out


class SENet18(nn.Module):
    def __init__(self, scale: float = 1.0, blocks: Sequence[int] = (2, 2, 2, 2)) -> None:
        super().__init__()
        self.in_planes = int(64 * scale)
        self.conv1, self.bn1 = _bn_conv(3, self.in_planes, 3)
        self.layer1 = self._stage(int(64 * scale), blocks[0], 1)
        self.layer2 = self._stage(int(128 * scale), blocks[1], 2)
        self.layer3 = self._stage(int(256 * scale), blocks[2], 2)
        self.layer4 = self._stage(int(512 * scale), blocks[3], 2)
        self.linear = nn.Linear(self.in_planes, 10)

    def _stage(self, planes: int, count: int, stride: int) -> nn.Sequential:
        units = []
        for index in range(count):
            units.append(PreActSE(self.in_planes, planes, stride if index == 0 else 1))
            self.in_planes = planes
        return nn.Sequential(*units)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        result: Tensor = self.linear(out)
        return result


# ---- EfficientNet-B0: MBConv with swish and SE -------------------------------------------


def swish(x: Tensor) -> Tensor:
    return x * x.sigmoid()


def drop_connect(x: Tensor, rate: float) -> Tensor:
    """Stochastic depth: drops whole samples' residual branches while training."""
    keep = 1.0 - rate
    mask = torch.empty([x.shape[0], 1, 1, 1], dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x / keep * mask


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, squeezed: int, act: Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        self.act = act
        self.se1 = nn.Conv2d(channels, squeezed, 1)
        self.se2 = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        out = F.adaptive_avg_pool2d(x, (1, 1))
        out = self.act(self.se1(out))
        out = self.se2(out).sigmoid()
        return x * out


class MBConv(nn.Module):
    def __init__(
        self, cin: int, cout: int, kernel: int, stride: int, expansion: int, drop_rate: float
    ) -> None:
        super().__init__()
        self.expansion = expansion
        self.drop_rate = drop_rate
        mid = expansion * cin
        self.conv1, self.bn1 = _bn_conv(cin, mid, 1)
        self.conv2, self.bn2 = _bn_conv(mid, mid, kernel, stride, groups=mid)
        self.se = SqueezeExcite(mid, int(cin * 0.25), swish)
        self.conv3, self.bn3 = _bn_conv(mid, cout, 1)
        self.has_skip = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        out = x if self.expansion == 1 else swish(self.bn1(self.conv1(x)))
        out = swish(self.bn2(self.conv2(out)))
        out = self.se(out)
        out = self.bn3(self.conv3(out))
        if self.has_skip:
            if self.training and self.drop_rate > 0:
                out = drop_connect(out, self.drop_rate)
            out = out + x
        return out


class EfficientNetB0(nn.Module):
    # (expansion, out channels, blocks, kernel, stride)
    PLAN = (
        (1, 16, 1, 3, 1),
        (6, 24, 2, 3, 2),
        (6, 40, 2, 5, 2),
        (6, 80, 3, 3, 2),
        (6, 112, 3, 5, 1),
        (6, 192, 4, 5, 2),
        (6, 320, 1, 3, 1),
    )

    def __init__(self, scale: float = 1.0, drop_connect_rate: float = 0.0) -> None:
        super().__init__()
        width = int(32 * scale)
        self.conv1, self.bn1 = _bn_conv(3, width, 3)
        blocks = []
        for expansion, cout, count, kernel, stride in self.PLAN:
            for index in range(count):
                blocks.append(
                    MBConv(
                        width,
                        int(cout * scale),
                        kernel,
                        stride if index == 0 else 1,
                        expansion,
                        drop_connect_rate,
                    )
                )
                width = int(cout * scale)
        self.layers = nn.Sequential(*blocks)
        self.linear = nn.Linear(width, 10)
        self.dropout_rate = 0.2

    def forward(self, x: Tensor) -> Tensor:
        out = swish(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.adaptive_avg_pool2d(out, 1)
        out = out.view(out.size(0), -1)
        if self.training and self.dropout_rate > 0:
            out = F.dropout(out, p=self.dropout_rate)
        result: Tensor = self.linear(out)
        return result


# ---- RegNetX / RegNetY: grouped bottlenecks, optional SE --------------------------------


class RegNetBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, group_width: int, se_ratio: float):
        super().__init__()
        self.conv1, self.bn1 = _bn_conv(cin, cout, 1)
        self.conv2, self.bn2 = _bn_conv(cout, cout, 3, stride, groups=cout // group_width)
        self.with_se = se_ratio > 0
        if self.with_se:
            self.se = SqueezeExcite(cout, round(cin * se_ratio), F.relu)
        self.conv3, self.bn3 = _bn_conv(cout, cout, 1)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(*_bn_conv(cin, cout, 1, stride))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        if self.with_se:
            out = self.se(out)
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return F.relu(out)


class RegNet(nn.Module):
    def __init__(
        self, depths: Sequence[int], widths: Sequence[int], group_width: int, se_ratio: float
    ) -> None:
        super().__init__()
        self.conv1, self.bn1 = _bn_conv(3, 64, 3)
        self.in_planes = 64
        stages = [
            self._stage(d, w, s, group_width, se_ratio)
            for d, w, s in zip(depths, widths, (1, 1, 2, 2), strict=True)
        ]
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.linear = nn.Linear(widths[-1], 10)

    def _stage(
        self, depth: int, width: int, stride: int, group_width: int, se_ratio: float
    ) -> nn.Sequential:
        blocks = []
        for index in range(depth):
            blocks.append(
                RegNetBlock(
                    self.in_planes, width, stride if index == 0 else 1, group_width, se_ratio
                )
            )
            self.in_planes = width
        return nn.Sequential(*blocks)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, (1, 1))
        out = out.view(out.size(0), -1)
        result: Tensor = self.linear(out)
        return result


def regnetx_200mf() -> RegNet:
    return RegNet((1, 1, 4, 7), (24, 56, 152, 368), group_width=8, se_ratio=0)


def regnety_400mf() -> RegNet:
    return RegNet((1, 2, 7, 12), (32, 64, 160, 384), group_width=16, se_ratio=0.25)


# ---- ResNeXt29: grouped 3x3 bottlenecks ---------------------------------------------------


class ResNeXtBlock(nn.Module):
    def __init__(self, cin: int, cardinality: int, width: int, stride: int) -> None:
        super().__init__()
        group_width = cardinality * width
        self.conv1, self.bn1 = _bn_conv(cin, group_width, 1)
        self.conv2, self.bn2 = _bn_conv(group_width, group_width, 3, stride, groups=cardinality)
        self.conv3, self.bn3 = _bn_conv(group_width, 2 * group_width, 1)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != 2 * group_width:
            self.shortcut = nn.Sequential(*_bn_conv(cin, 2 * group_width, 1, stride))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNeXt29(nn.Module):
    def __init__(self, cardinality: int = 2, width: int = 64, blocks: int = 3) -> None:
        super().__init__()
        self.conv1, self.bn1 = _bn_conv(3, 64, 1)
        self.in_planes = 64
        stages = []
        for stride in (1, 2, 2):
            units = []
            for index in range(blocks):
                units.append(
                    ResNeXtBlock(self.in_planes, cardinality, width, stride if index == 0 else 1)
                )
                self.in_planes = 2 * cardinality * width
            stages.append(nn.Sequential(*units))
            width *= 2
        self.layer1, self.layer2, self.layer3 = stages
        self.linear = nn.Linear(self.in_planes, 10)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.avg_pool2d(out, 8)
        out = out.view(out.size(0), -1)
        result: Tensor = self.linear(out)
        return result


# ---- DPN-26: dual paths (a residual part and a densely growing part) ----------------------


class DualPath(nn.Module):
    def __init__(self, last: int, mid: int, out: int, dense: int, stride: int, first: bool):
        super().__init__()
        self.out_planes = out
        self.conv1, self.bn1 = _bn_conv(last, mid, 1)
        self.conv2, self.bn2 = _bn_conv(mid, mid, 3, stride, groups=32)
        self.conv3, self.bn3 = _bn_conv(mid, out + dense, 1)
        self.shortcut = nn.Sequential()
        if first:
            self.shortcut = nn.Sequential(*_bn_conv(last, out + dense, 1, stride))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        x = self.shortcut(x)
        d = self.out_planes
        out = torch.cat([x[:, :d, :, :] + out[:, :d, :, :], x[:, d:, :, :], out[:, d:, :, :]], 1)
        return F.relu(out)


class DPN26(nn.Module):
    def __init__(self, scale: int = 1) -> None:
        super().__init__()
        mids = [m // scale for m in (96, 192, 384, 768)]
        outs = [o // scale for o in (256, 512, 1024, 2048)]
        dense = [d // scale for d in (16, 32, 24, 128)]
        self.conv1, self.bn1 = _bn_conv(3, 64, 3)
        self.last_planes = 64
        stages = [
            self._stage(m, o, d, s)
            for m, o, d, s in zip(mids, outs, dense, (1, 2, 2, 2), strict=True)
        ]
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.linear = nn.Linear(self.last_planes, 10)

    def _stage(self, mid: int, out: int, dense: int, stride: int) -> nn.Sequential:
        units = []
        for index in range(2):
            units.append(
                DualPath(self.last_planes, mid, out, dense, stride if index == 0 else 1, index == 0)
            )
            self.last_planes = out + (index + 2) * dense
        return nn.Sequential(*units)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        result: Tensor = self.linear(out)
        return result


# ---- PNASNet A and B: cells of separable convolutions and pooling ------------------------


class SepConv(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, bias=False, groups=cin)
        self.bn1 = nn.BatchNorm2d(cout)

    def forward(self, x: Tensor) -> Tensor:
        result: Tensor = self.bn1(self.conv1(x))
        return result


class CellA(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.stride = stride
        self.sep_conv1 = SepConv(cin, cout, 7, stride)
        if stride == 2:
            self.conv1, self.bn1 = _bn_conv(cin, cout, 1)

    def forward(self, x: Tensor) -> Tensor:
        y1 = self.sep_conv1(x)
        y2 = F.max_pool2d(x, kernel_size=3, stride=self.stride, padding=1)
        if self.stride == 2:
            y2 = self.bn1(self.conv1(y2))
        return F.relu(y1 + y2)


class CellB(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.stride = stride
        self.sep_conv1 = SepConv(cin, cout, 7, stride)
        self.sep_conv2 = SepConv(cin, cout, 3, stride)
        self.sep_conv3 = SepConv(cin, cout, 5, stride)
        if stride == 2:
            self.conv1, self.bn1 = _bn_conv(cin, cout, 1)
        self.conv2, self.bn2 = _bn_conv(2 * cout, cout, 1)

    def forward(self, x: Tensor) -> Tensor:
        y1 = self.sep_conv1(x)
        y2 = self.sep_conv2(x)
        y3 = F.max_pool2d(x, kernel_size=3, stride=self.stride, padding=1)
        if self.stride == 2:
            y3 = self.bn1(self.conv1(y3))
        y4 = self.sep_conv3(x)
        joined = torch.cat([F.relu(y1 + y2), F.relu(y3 + y4)], 1)
        return F.relu(self.bn2(self.conv2(joined)))


class PNASNet(nn.Module):
    def __init__(self, cell: Any, planes: int, cells: int = 6) -> None:
        super().__init__()
        self.cell = cell
        self.in_planes = planes
        self.conv1, self.bn1 = _bn_conv(3, planes, 3)
        self.layer1 = self._cells(planes, cells)
        self.layer2 = self._down(planes * 2)
        self.layer3 = self._cells(planes * 2, cells)
        self.layer4 = self._down(planes * 4)
        self.layer5 = self._cells(planes * 4, cells)
        self.linear = nn.Linear(planes * 4, 10)

    def _cells(self, planes: int, count: int) -> nn.Sequential:
        units = []
        for _ in range(count):
            units.append(self.cell(self.in_planes, planes, stride=1))
            self.in_planes = planes
        return nn.Sequential(*units)

    def _down(self, planes: int) -> nn.Module:
        unit: nn.Module = self.cell(self.in_planes, planes, stride=2)
        self.in_planes = planes
        return unit

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer5(self.layer4(self.layer3(self.layer2(self.layer1(out)))))
        out = F.avg_pool2d(out, 8)
        result: Tensor = self.linear(out.view(out.size(0), -1))
        return result


def pnasnet_a() -> PNASNet:
    return PNASNet(CellA, 44)


def pnasnet_b() -> PNASNet:
    return PNASNet(CellB, 32)


# ---- the PyTorch MNIST example -------------------------------------------------------------


class MnistNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


# ---- ConvNeXt-style: channels-first LayerNorm, 7x7 depthwise, GELU, mean pooling ----------


class ConvNeXtLayerNorm(nn.Module):
    """ConvNeXt's own LayerNorm class, with its two data formats."""

    def __init__(self, channels: int, eps: float = 1e-6, data_format: str = "channels_last"):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps
        self.data_format = data_format
        self.normalized_shape = (channels,)

    def forward(self, x: Tensor) -> Tensor:
        if self.data_format == "channels_last":
            return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ConvNeXtBlock(nn.Module):
    """Depthwise 7x7, LayerNorm over channels, inverted bottleneck, residual.

    The original applies its two pointwise layers as nn.Linear on channels-last
    tensors; here they are the equivalent 1x1 convolutions, as CIFAR ports often do.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = ConvNeXtLayerNorm(dim, data_format="channels_first")
        self.pwconv1 = nn.Conv2d(dim, 4 * dim, 1)
        self.act = nn.GELU()
        self.pwconv2 = nn.Conv2d(4 * dim, dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.pwconv2(self.act(self.pwconv1(self.norm(self.dwconv(x)))))
        return x + out


class ConvNeXtMini(nn.Module):
    def __init__(self, dims: Sequence[int] = (32, 64, 128), depths: Sequence[int] = (1, 1, 2)):
        super().__init__()
        self.downsample_layers = nn.ModuleList(
            [
                nn.Sequential(
                    nn.Conv2d(3, dims[0], kernel_size=2, stride=2),
                    ConvNeXtLayerNorm(dims[0], data_format="channels_first"),
                )
            ]
        )
        for cin, cout in itertools.pairwise(dims):
            self.downsample_layers.append(
                nn.Sequential(
                    ConvNeXtLayerNorm(cin, data_format="channels_first"),
                    nn.Conv2d(cin, cout, kernel_size=2, stride=2),
                )
            )
        self.stages = nn.ModuleList(
            nn.Sequential(*(ConvNeXtBlock(dim) for _ in range(depth)))
            for dim, depth in zip(dims, depths, strict=True)
        )
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], 10)

    def forward(self, x: Tensor) -> Tensor:
        for down, stage in zip(self.downsample_layers, self.stages, strict=True):
            x = stage(down(x))
        result: Tensor = self.head(self.norm(x.mean([-2, -1])))
        return result
