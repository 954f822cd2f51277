"""Refuse a training run that cannot fit in memory, before anything is allocated.

The estimate comes from ``graph_io.train_memory`` (analytic, per node); the memory
available is what the operating system can still give (``MemAvailable`` in
/proc/meminfo, or the free device memory on CUDA). A run whose estimate exceeds it
stops with the largest contributors and what to change, instead of an allocator
traceback minutes later.

The module imports no torch: ``precheck`` can refuse a CPU run before the 1-2 s
torch import, and only the CUDA query loads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from graph_io.memory_advice import Budget, advice
from graph_io.model import Graph
from graph_io.shapes import infer
from graph_io.train_memory import MemoryEstimate, estimate
from graph_io.training_config import TrainingConfig
from nodes.errors import ConvasError

if TYPE_CHECKING:
    import torch

LIMIT_ENV = "CONVAS_MEMORY_LIMIT"
"""Bytes to treat as available instead of asking the system (e.g. a container quota)."""

GPU_TRACES = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/kfd")
"""Files an NVIDIA or AMD (ROCm) driver creates: without them torch sees no GPU."""


class MemoryGuardError(ConvasError):
    """The run would need more memory than is available; the message says what to change."""


def available_bytes(kind: str, device: torch.device | None = None) -> int | None:
    """Free memory for a run on a device of ``kind`` (cpu, cuda, mps), or None when it
    cannot be known."""
    override = os.environ.get(LIMIT_ENV)
    if override and override.isdigit():
        return int(override)
    if kind == "cuda":
        import torch

        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    if kind != "cpu":
        return None
    return ram_available()


def ram_available() -> int | None:
    """RAM the system can give without swapping: MemAvailable (Linux), else the free
    physical pages."""
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


def check_memory(
    graph: Graph,
    config: TrainingConfig,
    device: torch.device | str,
    *,
    base_dir: Path | None = None,
    data_loaded: bool = False,
) -> MemoryEstimate:
    """Raise ``MemoryGuardError`` when training cannot fit; else the step's estimate.

    Until the data is loaded (``data_loaded`` False) the training images count too:
    they stay in RAM for the whole run, and converting them needs about twice their
    size. On a GPU they are in RAM while the step is in device memory: two budgets.
    """
    kind = device if isinstance(device, str) else device.type
    report = infer(graph)
    memory = estimate(
        graph,
        config.batch_size,
        config.optimizer,
        momentum=config.momentum,
        report=report,
        device=kind,
    )
    available = available_bytes(kind, None if isinstance(device, str) else device)
    images = 0 if data_loaded else dataset_images(graph, config, base_dir)
    if kind == "cuda":
        ram = ram_available()
        if ram is not None and images and not Budget(ram, "RAM", images).fits(graph, 0):
            raise MemoryGuardError(advice(memory, Budget(ram, "RAM", images), graph, report))
        budget = Budget(available, "free GPU memory") if available is not None else None
    else:
        budget = Budget(available, "RAM", images) if available is not None else None
    if budget is not None and not budget.fits(graph, memory.total):
        raise MemoryGuardError(advice(memory, budget, graph, report))
    return memory


def precheck(
    graph: Graph, config: TrainingConfig, base_dir: Path | None = None
) -> MemoryEstimate | None:
    """The same check before torch is imported, when the run will surely use the CPU.

    ``auto`` means the CPU on a machine without a GPU driver; with one, the check
    waits for torch to say which device and how much of it is free (``check_memory``).
    Returns the estimate when it checked, None when it could not yet.
    """
    if config.device == "cpu" or (config.device == "auto" and not gpu_possible()):
        return check_memory(graph, config, "cpu", base_dir=base_dir)
    return None


def dataset_images(graph: Graph, config: TrainingConfig, base_dir: Path | None) -> int:
    """How many training images loading will hold in RAM (0 when unknown)."""
    from app.training.data import dataset_location
    from app.training.datasets.load import sample_count

    try:
        spec, path = dataset_location(config, base_dir)
        return sample_count(spec, path, config.samples) or 0
    except ConvasError:  # loading will say what is wrong with the data
        return 0


def gpu_possible() -> bool:
    """Whether a CUDA/ROCm driver is installed (torch may then pick a GPU)."""
    return any(Path(trace).exists() for trace in GPU_TRACES)
