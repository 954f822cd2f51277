"""How good is a trained model, and where does it go wrong?"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from app.training.checkpoint import load_weights
from app.training.data import dataset_location, input_shape
from app.training.datasets import Dataset, Normalization, load_dataset
from graph_io.compiler import compile_graph
from graph_io.model import Graph
from graph_io.shapes import infer
from graph_io.training_config import TrainingConfig
from nodes.errors import ConvasError


@dataclass(frozen=True)
class Prediction:
    index: int
    true: int
    predicted: int
    confidence: float

    @property
    def correct(self) -> bool:
        return self.true == self.predicted


@dataclass
class EvalResult:
    classes: list[str]
    confusion: torch.Tensor  # [true, predicted] counts
    predictions: list[Prediction]  # misclassified first, most confident mistakes first
    nonfinite: int = 0  # samples whose outputs held NaN or inf (their "prediction" is noise)

    @property
    def accuracy(self) -> float:
        total = int(self.confusion.sum())
        return float(self.confusion.diag().sum()) / total if total else float("nan")

    @property
    def per_class_accuracy(self) -> list[float]:
        rows = self.confusion.sum(dim=1).clamp_min(1)
        return (self.confusion.diag().float() / rows.float()).tolist()


def predict(model: torch.nn.Module, dataset: Dataset, batch: int = 512) -> EvalResult:
    model.eval()
    probabilities = []
    with torch.inference_mode():
        for start in range(0, len(dataset), batch):
            out = model(dataset.x[start : start + batch])
            if not torch.allclose(out.sum(1), torch.ones(len(out)), atol=1e-3):
                out = out.softmax(1)
            probabilities.append(out)
    probs = torch.cat(probabilities) if probabilities else torch.zeros(0, dataset.num_classes)
    nonfinite = int((~torch.isfinite(probs)).any(1).sum())
    confidence, predicted = probs.max(1)
    classes = len(dataset.classes)
    confusion = torch.zeros(classes, classes, dtype=torch.long)
    confusion.index_put_((dataset.y, predicted), torch.ones_like(predicted), accumulate=True)
    predictions = [
        Prediction(i, int(t), int(p), float(c))
        for i, (t, p, c) in enumerate(zip(dataset.y, predicted, confidence, strict=True))
    ]
    predictions.sort(key=lambda p: (p.correct, -p.confidence))
    return EvalResult(list(dataset.classes), confusion, predictions, nonfinite)


class EvaluationError(ConvasError):
    """Weights and a dataset that cannot be compared; the message says which to change."""


def evaluate(
    graph: Graph,
    weights: Path,
    config: TrainingConfig | None = None,
    dataset: Dataset | None = None,
    base_dir: Path | None = None,
) -> EvalResult:
    """Evaluate saved weights on a dataset (by default the graph's own training data).

    The normalisation saved beside the weights is reused so evaluation sees inputs
    exactly as training did. Relative dataset paths are resolved from ``base_dir``
    (the graph file's folder) exactly as training resolves them.
    """
    config = config or TrainingConfig.from_section(graph.training)
    model = compile_graph(graph)
    model.load_state_dict(load_weights(graph, weights))
    if dataset is None:
        channels, height, width = input_shape(graph)
        spec, path = dataset_location(config, base_dir)
        dataset = load_dataset(
            spec,
            channels=channels,
            height=height,
            width=width,
            seed=config.seed,
            path=path,
            size=config.samples,
        )
    check_classes(graph, dataset)
    normalization = _normalization(weights, dataset)
    normalized = Dataset(
        normalization.apply(dataset.x), dataset.y, dataset.classes, dataset.name, dataset.source
    )
    return predict(model, normalized)


def check_classes(graph: Graph, dataset: Dataset) -> None:
    """The model's outputs and the dataset's classes must be the same classes."""
    shape = infer(graph).output_shape
    outputs = shape[0] if shape is not None and len(shape) == 1 else None
    if outputs is not None and outputs != dataset.num_classes:
        raise EvaluationError(
            f"the model has {outputs} outputs but dataset '{dataset.name}' has "
            f"{dataset.num_classes} classes ({', '.join(dataset.classes[:12])}) — evaluate on "
            f"the dataset the weights were trained on, or one with the same {outputs} classes"
        )


def _normalization(weights: Path, dataset: Dataset) -> Normalization:
    stats = weights.with_name("normalization.json")
    if not stats.is_file():
        return Normalization.fit(dataset.x)
    try:
        values = json.loads(stats.read_text(encoding="utf-8"))
        return Normalization.from_dict(values)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise EvaluationError(
            f"{stats}: cannot read the normalisation saved with the weights ({exc}); "
            "restore it from the run folder or delete it to refit on this dataset"
        ) from None


def format_confusion(result: EvalResult) -> str:
    """A plain-text confusion matrix with per-class accuracy, for the terminal."""
    names = [c[:8] for c in result.classes]
    width = max(6, *(len(n) for n in names))
    corner = "true \\ predicted"
    first = max(len(corner), *(len(n) for n in names)) + 2
    lines = [corner.ljust(first) + "".join(n.rjust(width + 1) for n in names) + "  accuracy"]
    for name, row, acc in zip(
        names, result.confusion.tolist(), result.per_class_accuracy, strict=True
    ):
        lines.append(
            name.ljust(first) + "".join(str(v).rjust(width + 1) for v in row) + f"  {acc:8.1%}"
        )
    return "\n".join(lines)
