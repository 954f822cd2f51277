"""Get the dataset a graph trains on, shaped to its Input node."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.training.datasets import (
    Dataset,
    Normalization,
    check_input_shape,
    load_dataset,
    natural_shape,
)
from graph_io.model import Graph
from graph_io.training_config import TrainingConfig
from nodes.errors import ConvasError


@dataclass
class PreparedData:
    train: Dataset
    val: Dataset
    normalization: Normalization
    warning: str | None


def input_shape(graph: Graph) -> tuple[int, int, int]:
    for node in graph.nodes.values():
        if node.type == "Input":
            p = node.params
            return int(p["channels"]), int(p["height"]), int(p["width"])  # type: ignore[arg-type]
    raise ConvasError("the graph has no Input node")


def dataset_location(config: TrainingConfig, base_dir: Path | None) -> tuple[str, str | None]:
    """Relative paths in a graph file are relative to that file, not to the cwd."""
    spec, path = config.dataset, config.path
    if base_dir is not None:
        if path and not Path(path).is_absolute():
            path = str(base_dir / path)
        elif not path and spec not in ("digits", "shapes") and not Path(spec).is_absolute():
            candidate = base_dir / spec
            if candidate.exists():
                spec = str(candidate)
    return spec, path


def prepare_data(graph: Graph, config: TrainingConfig, base_dir: Path | None) -> PreparedData:
    channels, height, width = input_shape(graph)
    spec, path = dataset_location(config, base_dir)
    warning = None
    try:
        natural = natural_shape(spec, path, request=(channels, height, width))
        warning = check_input_shape(spec, natural, (channels, height, width))
    except ConvasError:
        warning = None  # load_dataset below reports the real problem with the data
    try:
        data = load_dataset(
            spec,
            channels=channels,
            height=height,
            width=width,
            seed=config.seed,
            path=path,
            size=config.samples,
        )
    except (RuntimeError, MemoryError) as exc:
        if not isinstance(exc, MemoryError) and "allocate" not in str(exc):
            raise
        raise ConvasError(
            f"the dataset as {channels}x{height}x{width} images does not fit in memory — use a "
            "smaller Input shape, or fewer images (training: samples)"
        ) from None
    if data.notes:
        warning = "; ".join([*data.notes, *([warning] if warning else [])])
    train, val = data.split(config.val_fraction, seed=config.seed)
    normalization = Normalization.fit(train.x)
    train.x = normalization.apply(train.x)
    val.x = normalization.apply(val.x)
    return PreparedData(train, val, normalization, warning)
