"""One module per `convas` subcommand, each exposing ``register(subparsers)``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from nodes.errors import ConvasError

if TYPE_CHECKING:
    from graph_io.model import Graph


def load_or_report(path: str) -> Graph | None:
    """The graph in ``path``, or None after printing why it cannot be read (exit 2)."""
    from graph_io.yaml_io import load_graph

    try:
        return load_graph(path)
    except ConvasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
