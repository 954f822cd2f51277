"""Refuse a training run that cannot fit in memory, before anything is allocated.

The estimate comes from ``graph_io.train_memory`` (analytic, per node); the memory
available is what the operating system can still give (``MemAvailable`` in
/proc/meminfo, or the free device memory on CUDA). A run whose estimate exceeds it
stops with the largest contributors and the batch size that would fit, instead of
an allocator traceback minutes later.
"""

from __future__ import annotations

import os

import torch

from graph_io.model import Graph
from graph_io.train_memory import MemoryEstimate, advice, estimate
from graph_io.training_config import TrainingConfig
from nodes.errors import ConvasError

LIMIT_ENV = "CONVAS_MEMORY_LIMIT"
"""Bytes to treat as available instead of asking the system (e.g. a container quota)."""


class MemoryGuardError(ConvasError):
    """The run would need more memory than is available; the message says what to change."""


def available_bytes(device: torch.device) -> int | None:
    """Free memory for a run on ``device``, or None when it cannot be known."""
    override = os.environ.get(LIMIT_ENV)
    if override and override.isdigit():
        return int(override)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type != "cpu":
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(graph: Graph, config: TrainingConfig, device: torch.device) -> MemoryEstimate:
    """Raise ``MemoryGuardError`` when a training step cannot fit; else the estimate."""
    memory = estimate(graph, config.batch_size, config.optimizer, momentum=config.momentum)
    available = available_bytes(device)
    if available is not None and memory.total > available:
        where = "free GPU memory" if device.type == "cuda" else "available RAM"
        raise MemoryGuardError(advice(memory, available, graph).replace("available", where, 1))
    return memory
