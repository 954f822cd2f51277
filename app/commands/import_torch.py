"""`convas import-torch`: turn an existing PyTorch nn.Module into a graph file.

Exit codes: 0 written, 1 the model cannot be imported (every unsupported operation
is listed), 2 a bad argument, a file or module that cannot be loaded, or an output
that cannot be written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from app.commands import output_problem, write_error_message
from nodes.errors import ConvasError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import-torch",
        help="turn a PyTorch nn.Module into a graph YAML file",
        description="Trace a PyTorch model with torch.fx and write the equivalent Convas "
        "graph. The model may be an nn.Sequential or a module with + (Add), * (Multiply) "
        "and torch.cat(..., dim=1) (Concat) joins, channel slices and shuffles, made of "
        "layers Convas has (as modules or functional calls). The graph is "
        "checked numerically against the model before anything is written; with "
        "--weights-out the model's weights are saved for the graph too.",
    )
    parser.add_argument(
        "target",
        metavar="MODULE:ATTR",
        help="MODULE is a module name or a .py file; ATTR an nn.Module instance, an "
        "nn.Module subclass (created with no arguments) or a function returning a model",
    )
    parser.add_argument(
        "--input", required=True, metavar="CxHxW", help="shape of one input sample, e.g. 1x28x28"
    )
    parser.add_argument("-o", "--output", required=True, help="graph YAML to write")
    parser.add_argument(
        "--weights-out",
        metavar="W.safetensors",
        help="also save the model's weights for the graph (safetensors)",
    )
    parser.add_argument("--name", help="the graph's name (default: ATTR in snake_case)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_io.torch_target import parse_shape

    if args.name is not None and not 1 <= len(args.name) <= 200:
        print("error: --name must have 1 to 200 characters", file=sys.stderr)
        return 2
    try:
        shape = parse_shape(args.input)
    except ConvasError as exc:
        print(f"error: --input: {exc}", file=sys.stderr)
        return 2
    problem = _input_problem(shape)
    if problem is not None:
        print(f"error: --input {args.input}: {problem}", file=sys.stderr)
        return 2
    outputs = [args.output] + ([args.weights_out] if args.weights_out is not None else [])
    if args.weights_out is not None and _same_file(args.output, args.weights_out):
        print("error: -o and --weights-out name the same file; give two files", file=sys.stderr)
        return 2
    for output in outputs:
        problem = output_problem(output, inputs=_source_files(args.target))
        if problem is not None:  # before running the user's code and tracing
            print(f"error: cannot write {output}: {problem}", file=sys.stderr)
            return 2
    args.output = Path(args.output)
    if args.weights_out is not None:
        args.weights_out = Path(args.weights_out)
    from graph_io.import_torch import import_module  # torch: after the quick checks
    from graph_io.torch_target import load_target, snake_case

    try:
        model, label = load_target(args.target)
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        print(_exit_message(args.target, exc, "loading it"), file=sys.stderr)
        return 2
    try:
        result = import_module(model, shape, name=args.name or snake_case(label), label=label)
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:
        print(_exit_message(args.target, exc, "running the model"), file=sys.stderr)
        return 1
    except (MemoryError, RuntimeError) as exc:
        if not isinstance(exc, MemoryError) and "allocate" not in str(exc):
            raise
        print(
            f"error: not enough memory to run {args.target} on a {args.input} input; "
            "import it with a smaller --input (the graph's Input can be changed afterwards)",
            file=sys.stderr,
        )
        return 1
    written = _write(result.graph, result.weights, args)
    if written is None:
        return 2
    print(
        f"wrote {' and '.join(str(p) for p in written)}: {len(result.graph.nodes)} nodes; "
        f"outputs match the model (largest difference {result.difference:.2g})"
    )
    return 0


def _input_problem(shape: tuple[int, ...]) -> str | None:
    """The graph's Input node must hold the shape: same limits, checked before tracing."""
    import nodes as registry
    from nodes.errors import ParamError

    spec = registry.get("Input")
    for name, value in zip(("channels", "height", "width"), shape, strict=True):
        try:
            spec.param(name).coerce(value)
        except ParamError as exc:
            return f"{name} {exc.message}"
    return None


def _source_files(target: str) -> list[Path]:
    """The model's own file when MODULE is a path: an output must never replace it."""
    source = target.rpartition(":")[0]
    return [Path(source)] if source.endswith(".py") else []


def _same_file(first: str, second: str) -> bool:
    return Path(os.path.abspath(first)) == Path(os.path.abspath(second))


def _exit_message(target: str, exc: SystemExit, during: str) -> str:
    """A model file that calls sys.exit() must not make the import look successful."""
    return (
        f"error: {target} called sys.exit({exc.code!r}) while {during}, so nothing was "
        'imported or written; move script code under `if __name__ == "__main__":`'
    )


def _write(graph: Any, weights: Any, args: argparse.Namespace) -> list[Path] | None:
    """The graph and its weights move into place together, or neither does."""
    from app.training.checkpoint import save_weights
    from graph_io.atomic_files import staged_files, writing
    from graph_io.yaml_io import dumps_graph

    targets: list[Path] = [args.output]
    if args.weights_out is not None:
        targets.append(args.weights_out)
    try:
        with staged_files(*targets) as temps:
            with writing(targets[0]):
                temps[0].write_text(dumps_graph(graph), encoding="utf-8")
            if args.weights_out is not None:
                with writing(targets[1]):
                    save_weights(weights, temps[1], {"source": args.target})
    except OSError as exc:
        print(f"error: {write_error_message(exc, targets[0])}", file=sys.stderr)
        return None
    return targets
