"""How good is a trained model, and where does it go wrong?"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from app.training.checkpoint import load_weights
from app.training.data import input_shape
from app.training.datasets import Dataset, Normalization, load_dataset
from graph_io.compiler import compile_graph
from graph_io.model import Graph
from graph_io.training_config import TrainingConfig


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
    confidence, predicted = probs.max(1)
    classes = len(dataset.classes)
    confusion = torch.zeros(classes, classes, dtype=torch.long)
    confusion.index_put_((dataset.y, predicted), torch.ones_like(predicted), accumulate=True)
    predictions = [
        Prediction(i, int(t), int(p), float(c))
        for i, (t, p, c) in enumerate(zip(dataset.y, predicted, confidence, strict=True))
    ]
    predictions.sort(key=lambda p: (p.correct, -p.confidence))
    return EvalResult(list(dataset.classes), confusion, predictions)


def evaluate(
    graph: Graph,
    weights: Path,
    config: TrainingConfig | None = None,
    dataset: Dataset | None = None,
) -> EvalResult:
    """Evaluate saved weights on a dataset (by default the graph's own training data).

    The normalisation saved beside the weights is reused so evaluation sees inputs
    exactly as training did.
    """
    config = config or TrainingConfig.from_section(graph.training)
    model = compile_graph(graph)
    model.load_state_dict(load_weights(graph, weights))
    if dataset is None:
        channels, height, width = input_shape(graph)
        dataset = load_dataset(
            config.dataset,
            channels=channels,
            height=height,
            width=width,
            seed=config.seed,
            path=config.path,
            size=config.samples,
        )
    stats = weights.with_name("normalization.json")
    if stats.is_file():
        normalization = Normalization.from_dict(json.loads(stats.read_text(encoding="utf-8")))
    else:
        normalization = Normalization.fit(dataset.x)
    normalized = Dataset(
        normalization.apply(dataset.x), dataset.y, dataset.classes, dataset.name, dataset.source
    )
    return predict(model, normalized)


def format_confusion(result: EvalResult) -> str:
    """A plain-text confusion matrix with per-class accuracy, for the terminal."""
    names = [c[:8] for c in result.classes]
    width = max(6, *(len(n) for n in names))
    lines = [
        "true \\ predicted".ljust(width + 2)
        + "".join(n.rjust(width + 1) for n in names)
        + "  accuracy"
    ]
    for name, row, acc in zip(
        names, result.confusion.tolist(), result.per_class_accuracy, strict=True
    ):
        lines.append(
            name.ljust(width + 2) + "".join(str(v).rjust(width + 1) for v in row) + f"  {acc:8.1%}"
        )
    return "\n".join(lines)
