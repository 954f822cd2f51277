"""Two kept runs side by side: their graph diff, settings diff and metric deltas.

Qt-free, so ``convas runs compare`` and the editor's Compare With… a run show the
same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.training.run_folder import GRAPH_FILE, RunInfo, load_settings, read_metrics, read_run
from graph_io.diff import GraphDiff, diff_graphs
from graph_io.yaml_io import load_graph

METRICS = (
    "best_val_accuracy",
    "final_val_accuracy",
    "final_train_loss",
    "epochs_done",
    "duration_s",
)


METRIC_LABELS = {
    "best_val_accuracy": "best validation accuracy",
    "final_val_accuracy": "final validation accuracy",
    "final_train_loss": "final training loss",
    "epochs_done": "epochs",
    "duration_s": "duration",
}


# Digits and unit of the metrics that are not accuracies (a loss: 4 digits, no unit).
NUMBER_FORMATS = {"epochs_done": (0, ""), "duration_s": (1, " s")}


def _number(key: str, value: float, sign: str) -> str:
    digits, unit = NUMBER_FORMATS.get(key, (4, ""))
    return f"{value:{sign}.{digits}f}{unit}"


def metric_text(key: str, value: float | None) -> str:
    """One metric as a person reads it: accuracy in %, duration in s, epochs whole."""
    if value is None:
        return "-"
    return f"{value:.1%}" if "accuracy" in key else _number(key, value, "")


def delta_text(key: str, old: float | None, new: float | None) -> str:
    """How far ``new`` is from ``old``: accuracy in percentage points, the rest in its unit."""
    if old is None or new is None:
        return "-"
    delta = new - old
    return f"{delta * 100:+.1f} pp" if "accuracy" in key else _number(key, delta, "+")


@dataclass(frozen=True)
class RunComparison:
    old: RunInfo
    new: RunInfo
    graph: GraphDiff
    settings: dict[str, tuple[Any, Any]]  # training settings that differ: (old, new)
    metrics: dict[str, tuple[float | None, float | None]]  # every entry of METRICS

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old.name,
            "new": self.new.name,
            "graph": self.graph.to_dict(),
            "settings": {k: {"old": a, "new": b} for k, (a, b) in self.settings.items()},
            "metrics": {
                k: {"old": a, "new": b, "delta": None if a is None or b is None else b - a}
                for k, (a, b) in self.metrics.items()
            },
        }


def _metrics(run: RunInfo) -> dict[str, float | None]:
    rows = read_metrics(run.path)
    return {
        "best_val_accuracy": run.best_val_accuracy,
        "final_val_accuracy": run.final_val_accuracy,
        "final_train_loss": rows[-1]["train_loss"] if rows else None,
        "epochs_done": float(run.epochs_done),
        "duration_s": run.duration_s,
    }


def compare_runs(old: Path, new: Path) -> RunComparison:
    """Compare run folders ``old`` and ``new``; ``ConvasError`` names what is unreadable."""
    old_run, new_run = read_run(old), read_run(new)
    graph = diff_graphs(load_graph(old / GRAPH_FILE), load_graph(new / GRAPH_FILE))
    old_settings = load_settings(old)[0].model_dump()
    new_settings = load_settings(new)[0].model_dump()
    settings = {
        k: (old_settings.get(k), new_settings.get(k))
        for k in old_settings
        if old_settings.get(k) != new_settings.get(k)
    }
    a, b = _metrics(old_run), _metrics(new_run)
    return RunComparison(old_run, new_run, graph, settings, {k: (a[k], b[k]) for k in METRICS})
