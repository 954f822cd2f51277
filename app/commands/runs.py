"""`convas runs`: the kept training runs, and one run in detail.

``convas runs [GRAPH]`` lists the runs in the runs folder (newest first), optionally
of one graph — given by name or as its YAML file; ``convas runs show RUN`` prints
one run: its status, settings, environment, files and metrics per epoch;
``convas runs compare A B`` puts two runs side by side (graph diff, settings, metrics).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodes.errors import ConvasError

if TYPE_CHECKING:
    from app.training.run_folder import RunInfo


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "runs",
        help="list kept training runs, or show one",
        description="List the runs in the runs folder (runs/, or $CONVAS_RUNS_DIR), newest "
        "first: `convas runs [GRAPH]`. Show one run: `convas runs show RUN`. Two side by "
        "side: `convas runs compare RUN_A RUN_B`.",
    )
    parser.add_argument(
        "target",
        nargs="*",
        metavar="GRAPH | show RUN | compare A B",
        help="a graph name or YAML file to list only its runs; or `show` and a run",
    )
    parser.add_argument("--dir", type=Path, help="runs folder (default runs/)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    target: list[str] = args.target
    try:
        if target and target[0] == "show":
            if len(target) != 2:
                raise UsageError("usage: convas runs show RUN (a run folder or its name)")
            return show(target[1], args)
        if target and target[0] == "compare":
            if len(target) != 3:
                raise UsageError("usage: convas runs compare RUN_A RUN_B")
            return compare(target[1], target[2], args)
        if len(target) > 1:
            raise UsageError("give at most one graph (a name or YAML file), or: show RUN")
        return list_(target[0] if target else None, args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


class UsageError(ConvasError):
    """The command line is wrong, or a folder it names cannot be read (exit 2)."""


def graph_name(target: str) -> str:
    """A graph given as a YAML file means the graph named inside it."""
    from graph_io.yaml_io import load_graph

    if target.lower().endswith((".yaml", ".yml")):
        if not Path(target).is_file():
            raise UsageError(f"{target}: no such graph file")
        return load_graph(target).name
    return target


def list_(target: str | None, args: argparse.Namespace) -> int:
    from app.training.run_folder import list_runs, runs_root

    root = args.dir or runs_root()
    name = graph_name(target) if target else None
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is not a folder; give the runs folder with --dir DIR")
    try:
        if root.exists():
            os.listdir(root)
    except OSError as exc:
        raise UsageError(f"cannot read the runs folder {root}: {exc.strerror or exc}") from None
    skipped: list[str] = []
    runs = list_runs(root, name, skipped)
    for problem in skipped:
        print(f"note: left out {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps([r.to_dict() for r in runs], indent=2))
        return 0
    if not runs:
        which = f" of graph {name!r}" if name else ""
        print(f"no runs{which} in {root} — `convas train GRAPH.yaml` keeps one there")
        return 0
    print(format_runs(runs))
    return 0


def _accuracy(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


def format_runs(runs: list[RunInfo]) -> str:
    """The table of ``convas runs``: one run per line."""
    rows = [("Run", "Date", "Graph", "Dataset", "Epochs", "Best val", "Duration", "Status")]
    for r in runs:
        rows.append(
            (
                r.name,
                r.started[:16].replace("T", " "),
                r.graph,
                r.dataset,
                f"{r.epochs_done}/{r.epochs}",
                _accuracy(r.best_val_accuracy),
                _duration(r.duration_s),
                r.status,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {4, 5, 6}
    return "\n".join(
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def show(name: str, args: argparse.Namespace) -> int:
    from app.training.run_folder import (
        CONFIG_FILE,
        ENVIRONMENT_FILE,
        find_run,
        read_metrics,
        read_run,
        run_files,
        runs_root,
    )

    path = find_run(name, args.dir or runs_root())
    info = read_run(path)
    metrics = read_metrics(path)
    settings = _read_json(path / CONFIG_FILE)
    env = _read_json(path / ENVIRONMENT_FILE)
    files = [f for f in run_files() if (path / f).is_file()]
    if args.json:
        data = {
            **info.to_dict(),
            "training": settings.get("training"),
            "environment": env,
            "files": files,
            "metrics": metrics,
        }
        print(json.dumps(data, indent=2))
        return 0
    lines = [
        f"run       {path}",
        f"status    {info.status}" + (f" — {info.error}" if info.error else ""),
        f"graph     {info.graph}",
        f"dataset   {info.dataset}",
        f"started   {info.started}" + (f", ended {info.ended}" if info.ended else ""),
        f"epochs    {info.epochs_done} of {info.epochs} in {_duration(info.duration_s)}",
        f"accuracy  best {_accuracy(info.best_val_accuracy)} (epoch "
        f"{info.raw.get('best_epoch', '-')}), final {_accuracy(info.final_val_accuracy)}",
    ]
    training = settings.get("training") or {}
    if training:
        lines.append("settings  " + ", ".join(f"{k}={v}" for k, v in training.items()))
    if env:
        lines.append(
            f"env       torch {env.get('torch')}, python {env.get('python')}, "
            f"{env.get('device')}, {env.get('platform')}"
        )
    lines.append("files     " + ", ".join(files))
    if metrics:
        lines.append("")
        lines.append("epoch  train loss  train acc  val loss  val acc")
        for row in metrics:
            val_loss = row.get("val_loss")
            lines.append(
                f"{row['epoch']:>5}  {row['train_loss']:>10.4f}  {row['train_accuracy']:>9.1%}"
                f"  {'-' if val_loss is None else f'{val_loss:.4f}':>8}"
                f"  {_accuracy(row.get('val_accuracy')):>7}"
                + ("" if row.get("complete", True) else "  (stopped mid-epoch)")
            )
    print("\n".join(lines))
    return 0


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def compare(first: str, second: str, args: argparse.Namespace) -> int:
    from app.training.run_compare import compare_runs, delta_text, metric_text
    from app.training.run_folder import find_run, runs_root
    from graph_io.diff import format_diff

    root = args.dir or runs_root()
    old, new = find_run(first, root), find_run(second, root)
    result = compare_runs(old, new)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    lines = [format_diff(result.graph, str(old / "graph.yaml"), str(new / "graph.yaml")), ""]
    for key, (a, b) in result.settings.items():
        lines.append(f"setting {key}: {a} -> {b}")
    lines.append(f"{'metric':<20}{old.name:>28}{new.name:>28}{'delta':>12}")
    for key, (a, b) in result.metrics.items():
        lines.append(
            f"{key:<20}{metric_text(key, a):>28}{metric_text(key, b):>28}"
            f"{delta_text(key, a, b):>12}"
        )
    print("\n".join(lines))
    return 0
