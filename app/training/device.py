"""Pick the torch device a run uses."""

from __future__ import annotations

import torch

from nodes.errors import ConvasError


def resolve_device(name: str) -> torch.device:
    """``auto`` means the fastest available: CUDA, then Apple's MPS, then the CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConvasError("device 'cuda' was requested but no CUDA GPU is available; use auto")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConvasError("device 'mps' was requested but MPS is not available; use auto")
    return torch.device(name)
