"""`convas render`: the whole graph as an SVG or PNG picture, drawn like the editor.

Headless: with no display it draws offscreen. The picture is laid out afresh in
layers (top to bottom, or left to right with ``--direction LR``), so it is the same
whatever the file's canvas positions are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.commands import load_or_report


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("render", help="draw the graph as an SVG or PNG picture")
    parser.add_argument("file", help="graph YAML file")
    parser.add_argument("-o", "--output", required=True, help="picture to write (.svg or .png)")
    parser.add_argument(
        "--direction",
        choices=["TB", "LR"],
        default="TB",
        help="data flows top-bottom or left-right",
    )
    parser.add_argument("--theme", choices=["light", "dark"], default="light", help="colours")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.commands import output_problem, write_error_message

    problem = output_problem(args.output, inputs=[args.file])
    if problem is not None:
        print(f"error: cannot write {args.output}: {problem}", file=sys.stderr)
        return 2
    output = Path(args.output)
    if output.suffix.lower() not in (".svg", ".png"):
        print(f"error: {output.name}: the picture must end in .svg or .png", file=sys.stderr)
        return 2
    graph = load_or_report(args.file)
    if graph is None:
        return 2
    from graph_io.layout import Direction, layered_layout
    from graph_io.shapes import infer
    from resources.themes import theme

    layout = layered_layout(graph, Direction(args.direction))
    try:
        from app.gui.render import ensure_gui_app, write_picture
    except ImportError as exc:  # Qt's libraries missing on this machine
        print(f"error: cannot draw without Qt: {exc}", file=sys.stderr)
        return 1
    ensure_gui_app()
    try:
        write_picture(graph, layout, theme(args.theme), output)
    except OSError as exc:
        print(f"error: {write_error_message(exc, output)}", file=sys.stderr)
        return 2
    problems = len(infer(graph).problems)
    note = f" ({problems} problem(s), drawn on their nodes)" if problems else ""
    print(f"wrote {output}: {len(graph.nodes)} nodes{note}")
    if output.suffix.lower() == ".png":
        warn_if_unreadable(layout, output)
    return 0


READABLE_SCALE = 0.5
"""Below this, a face's smallest text (10 px at zoom 1) is under 5 px: unreadable."""


def warn_if_unreadable(layout: Any, output: Path) -> None:
    """A PNG is limited in size, so a very large graph is scaled down to fit; say so."""
    from app.gui.render import MAX_PNG_SIDE

    left, top, right, bottom = layout.bounds()
    side = max(right - left, bottom - top, 1.0)
    scale = MAX_PNG_SIDE / side
    if scale < READABLE_SCALE:
        print(
            f"note: the graph is {side:,.0f} px long, more than a PNG can hold at full size "
            f"({MAX_PNG_SIDE:,} px), so {output.name} is drawn at {scale:.1%} and its text "
            f"cannot be read; an SVG keeps every detail (-o {output.with_suffix('.svg').name})",
            file=sys.stderr,
        )
