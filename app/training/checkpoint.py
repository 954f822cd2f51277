"""Weights on disk: safetensors only, checked against the graph before use.

safetensors holds raw tensors and a JSON header, so loading a file can never run
code (unlike pickle). Mismatches are reported per layer, because "size mismatch for
c1.conv.weight" means little to someone who drew node c1 on a canvas.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from safetensors import SafetensorError

from graph_io.compiler import compile_graph
from graph_io.model import Graph
from nodes.errors import ConvasError

if TYPE_CHECKING:  # imported on use: the editor imports this module at start-up
    import torch


class WeightsError(ConvasError):
    """A weights file that cannot be used with this graph."""


def save_weights(
    state: Mapping[str, torch.Tensor], path: Path, metadata: dict[str, str] | None = None
) -> None:
    """Write ``state`` as safetensors; a failed write raises ``OSError`` (disk full...).

    The bytes are written by Python rather than by safetensors' own file writer,
    which reports a full disk as a ``SafetensorError`` that callers could not tell
    from a bad tensor.
    """
    from safetensors.torch import save

    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state.items()}
    data = save(tensors, metadata=metadata or {})
    with open(path, "wb") as handle:
        handle.write(data)


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    file = Path(path)
    if file.exists() and not file.is_file():  # a folder, FIFO or device
        raise WeightsError(f"{file}: not a regular file; give a .safetensors weights file")
    if not file.is_file():
        raise WeightsError(f"{file}: weights file not found")
    from safetensors.torch import load_file

    try:
        return load_file(str(file))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(
            f"{file}: not a safetensors weights file ({exc}); Convas never loads pickled "
            "checkpoints — save weights with Convas or safetensors"
        ) from None


def _describe(graph: Graph, key: str) -> str:
    node_id = key.split(".", 1)[0]
    node = graph.nodes.get(node_id)
    return f"{node.type} '{node_id}'" if node else f"'{node_id}'"


def _shape(tensor: torch.Tensor) -> str:
    return "x".join(str(d) for d in tensor.shape) or "scalar"


def check_weights(graph: Graph, weights: Mapping[str, torch.Tensor], source: str) -> None:
    """Raise ``WeightsError`` naming each layer whose weights do not fit the graph."""
    expected = compile_graph(graph).state_dict()
    problems: list[str] = []
    for key, tensor in expected.items():
        if key not in weights:
            problems.append(f"no weights for {_describe(graph, key)} ({key})")
        elif weights[key].shape != tensor.shape:
            problems.append(
                f"weights for {_describe(graph, key)} have shape {_shape(weights[key])} but the "
                f"graph expects {_shape(tensor)} ({key})"
            )
    for key in weights:
        if key not in expected:
            problems.append(f"unexpected weights {key} for {_describe(graph, key)}")
    if problems:
        hint = " — the file was trained on a different graph"
        raise WeightsError(f"{source}: " + "; ".join(problems[:6]) + hint)


def load_weights(graph: Graph, path: str | Path) -> dict[str, torch.Tensor]:
    weights = read_weights(path)
    check_weights(graph, weights, str(path))
    return weights


def load_into(model: torch.nn.Module, graph: Graph, path: str | Path) -> None:
    model.load_state_dict(load_weights(graph, path))
