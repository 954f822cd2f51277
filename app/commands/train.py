"""`convas train`: train a graph file headless, with a live progress bar.

With ``--nproc`` (and optionally ``--nnodes/--node-rank/--master``) the same run is
handed to torch's own launcher for data-parallel training on torch.distributed.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodes.errors import ConvasError

if TYPE_CHECKING:
    from app.training.events import TrainResult
    from graph_io.model import Graph
    from graph_io.training_config import TrainingConfig

OVERRIDES = ("dataset", "epochs", "batch_size", "lr", "optimizer", "device", "seed")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `convas train` and each distributed worker."""
    parser.add_argument("file", nargs="?", help="graph YAML file (not with --resume)")
    parser.add_argument("--dataset", help="digits, shapes, or a path (folder, .npz, IDX)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int, dest="batch_size", help="batch size per process")
    parser.add_argument("--lr", type=float)
    parser.add_argument("--optimizer", choices=["SGD", "Adam", "AdamW"])
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--seed", type=int)
    parser.add_argument("--out", help="output folder (default runs/NAME-TIME)")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the weights of an earlier run in --out (refused otherwise)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--resume",
        metavar="RUN",
        help="continue RUN (a run folder or its name in runs/) from its last finished epoch; "
        "only --epochs may change",
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a graph on a dataset",
        description="Train FILE; flags override the file's training: section.",
    )
    add_arguments(parser)
    group = parser.add_argument_group("distributed (torch.distributed, data parallel)")
    group.add_argument("--nproc", type=int, default=0, help="processes on this machine")
    group.add_argument("--nnodes", type=int, default=1, help="machines in the run")
    group.add_argument("--node-rank", type=int, default=0, dest="node_rank")
    group.add_argument("--master", help="ADDR:PORT of node 0 (multi-node runs)")
    parser.set_defaults(run=run)


def config_from_args(
    graph: Graph, args: argparse.Namespace, names: tuple[str, ...]
) -> TrainingConfig:
    from pydantic import ValidationError

    from graph_io.training_config import TrainingConfig

    section: dict[str, Any] = dict(graph.training or {})
    for name in names:
        value = getattr(args, name)
        if value is not None:
            section[name] = value
            if name == "dataset":
                section.pop("path", None)
    try:
        return TrainingConfig.from_section(section)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "training"
        given = section.get(name)
        where = f"--{name.replace('_', '-')}" if getattr(args, name, None) is not None else None
        where = where or f"{args.file}: training.{name}"
        reason = first["msg"].lower()
        if isinstance(given, float) and not math.isfinite(given):
            reason = "must be a finite number"
        raise ConvasError(f"{where}: {reason}, got {given!r}") from None


def from_cwd(dataset: str) -> str:
    """A ``--dataset`` typed in a shell names a path from the current folder.

    Paths *inside* a graph file are relative to that file (``dataset_location``); a
    path given on the command line must not be looked up there first, or a file of
    the same name beside the graph silently wins. Built-in names stay as they are.
    """
    if dataset in ("digits", "shapes") or Path(dataset).is_absolute():
        return dataset
    return str(Path(dataset).absolute())


def default_out(graph_name: str) -> str:
    """``runs/NAME-TIME`` (see ``run_folder.new_run_path``: the name is sanitised)."""
    from app.training.run_folder import new_run_path

    return str(new_run_path(graph_name))


def check_distributed_args(args: argparse.Namespace) -> str | None:
    """What is wrong with --nproc/--nnodes/--node-rank/--master, before launching."""
    if args.nproc < 0:
        return f"--nproc must be 1 or more processes, got {args.nproc}"
    if args.nnodes < 1:
        return f"--nnodes must be 1 or more machines, got {args.nnodes}"
    if not 0 <= args.node_rank < args.nnodes:
        return f"--node-rank must be between 0 and {args.nnodes - 1} (--nnodes {args.nnodes})"
    if args.nnodes > 1 and not args.master:
        return "a run on several machines needs --master ADDR:PORT of node 0"
    if args.master:
        host, _, port = args.master.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            return f"--master must be ADDR:PORT, e.g. 10.0.0.1:29500, got {args.master!r}"
    return None


def run(args: argparse.Namespace) -> int:
    from app.training.memory_guard import MemoryGuardError, precheck
    from app.training.outputs import OutputError, prepare_out_dir, remove_created
    from graph_io.yaml_io import load_graph

    problem = check_distributed_args(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.resume:
        return resume(args)
    if not args.file:
        print("error: give a graph YAML file to train, or --resume RUN", file=sys.stderr)
        return 2
    if args.dataset is not None:
        args.dataset = from_cwd(args.dataset)
    try:
        graph = load_graph(args.file)
        config = config_from_args(graph, args, OVERRIDES)
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:  # before torch loads (seconds): a run that cannot fit is refused at once
        precheck(graph, config, Path(args.file).resolve().parent)
    except MemoryGuardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from app.training.engine import TrainingError, train
    from app.training.interrupt import stop_on_signals
    from app.training.progress import ProgressPrinter

    out = Path(args.out or default_out(graph.name))
    try:
        created = prepare_out_dir(out, overwrite=args.overwrite)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.nproc or args.nnodes > 1:
        code = launch_distributed(args, str(out))
        if code != 0:
            remove_created(created)
        return code
    printer = ProgressPrinter(enabled=not args.quiet)
    stop = threading.Event()
    try:
        with stop_on_signals(stop):
            result = train(
                graph,
                config,
                on_event=printer,
                stop=stop,
                out_dir=out,
                base_dir=Path(args.file).resolve().parent,
            )
    except ConvasError as exc:
        printer.close()
        remove_created(created)
        print(f"error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, TrainingError) else 2
    except KeyboardInterrupt:  # the second Ctrl+C: quit now, the run keeps its epochs
        printer.close()
        remove_created(created)
        return interrupted(out)
    except BaseException:
        remove_created(created)  # only folders still empty: nothing of a run is lost
        raise
    printer.close()
    return print_result(result, out)


def interrupted(out: Path) -> int:
    """After a second Ctrl+C: say what was kept instead of printing a traceback."""
    from app.cli import INTERRUPTED
    from app.training.run_folder import CHECKPOINT_FILE

    if (out / CHECKPOINT_FILE).is_file():
        where = f"; {out} keeps the epochs that finished (`convas train --resume {out}` goes on)"
    elif out.is_dir() and any(out.iterdir()):
        where = f"; no epoch had finished ({out} holds the run's settings)"
    else:
        where = ""
    print(f"\nerror: interrupted (Ctrl+C){where}", file=sys.stderr)
    return INTERRUPTED


def print_result(result: TrainResult, out: Path) -> int:
    """One line on how the run went and the files it wrote; 1 if it had to be rescued,
    130 (as for Ctrl+C) if it was stopped before its last epoch."""
    best, final = result.best_val_accuracy, result.final_val_accuracy
    accuracy = (
        f"val accuracy {final:.1%} (best {best:.1%})"
        if final is not None and best is not None
        else "no validation split"
    )
    state = "stopped" if result.stopped else "done"
    print(
        f"{state}: {epoch_span(result)} in {result.wall_s:.1f} s, "
        f"{result.samples_per_s:,.0f} samples/s, {accuracy}"
    )
    for file in result.files:
        print(f"  wrote {file}")
    if result.out_dir is not None and result.out_dir != out:
        print(
            f"error: could not write the run to {out}; it was saved to {result.out_dir} "
            "instead (see the note above)",
            file=sys.stderr,
        )
        return 1
    if result.stopped:  # kept, but not finished: `train && export` must not go on
        from app.cli import INTERRUPTED

        return INTERRUPTED
    return 0


def epoch_span(result: TrainResult) -> str:
    """``3 epochs``, or ``epochs 4-6`` for a resumed run (its earlier epochs ran before)."""
    if result.epochs and result.epochs[0].epoch > 1:
        return f"epochs {result.epochs[0].epoch}-{result.epochs[-1].epoch}"
    return f"{len(result.epochs)} epochs"


def resume(args: argparse.Namespace) -> int:
    """``convas train --resume RUN``: continue a kept run from its last finished epoch."""
    from app.training.engine import TrainingError, train
    from app.training.interrupt import stop_on_signals
    from app.training.outputs import probe_writable
    from app.training.progress import ProgressPrinter
    from app.training.run_folder import find_run, plan_resume

    flags = [f"--{n.replace('_', '-')}" for n in OVERRIDES if getattr(args, n) is not None]
    flags = [f for f in flags if f != "--epochs"]
    flags += ["--out"] * bool(args.out) + ["--nproc"] * bool(args.nproc or args.nnodes > 1)
    if args.file or flags:
        given = args.file or ", ".join(flags)
        print(
            f"error: --resume continues a run with its own graph and settings; only --epochs "
            f"may change (got {given})",
            file=sys.stderr,
        )
        return 2
    try:
        plan = plan_resume(find_run(args.resume), args.epochs)
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path, checkpoint, config = plan.path, plan.checkpoint, plan.config
    try:
        probe_writable(path)  # before training, not after: see app.training.outputs
    except OSError as exc:
        print(
            f"error: cannot write to {path}: {exc.strerror or exc} — the resumed epochs would "
            "have nowhere to go; make the folder writable, or copy the run to a writable "
            "place and resume the copy",
            file=sys.stderr,
        )
        return 2
    print(f"resuming {path} after epoch {checkpoint.epoch} of {config.epochs}")
    printer = ProgressPrinter(enabled=not args.quiet)
    stop = threading.Event()
    try:
        with stop_on_signals(stop):
            result = train(
                plan.graph,
                config,
                on_event=printer,
                stop=stop,
                out_dir=path,
                base_dir=plan.base_dir,
                resume=checkpoint,
            )
    except ConvasError as exc:
        printer.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, TrainingError) else 2
    except KeyboardInterrupt:
        printer.close()
        return interrupted(path)
    printer.close()
    return print_result(result, path)


def launch_distributed(args: argparse.Namespace, out: str) -> int:
    from app.training.distributed import launch_command

    passthrough = [args.file, "--out", out]
    for name in OVERRIDES:
        value = getattr(args, name)
        if value is not None:
            passthrough += [f"--{name.replace('_', '-')}", str(value)]
    if args.quiet:
        passthrough.append("--quiet")
    args.nproc = args.nproc or 1
    return subprocess.call(launch_command(args, passthrough))
