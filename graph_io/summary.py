"""The model summary: a torchinfo-like table for people, a JSON dict for tools.

Both read an inference ``Report``; neither runs torch. The GUI reuses the number
and shape formatting so the canvas, the table and the terminal agree.
"""

from __future__ import annotations

from typing import Any

from graph_io.model import Graph
from graph_io.shapes import Report
from nodes.spec import Shape


def shape_text(shape: Shape | None, sep: str = "×") -> str:
    return "?" if shape is None else sep.join(str(d) for d in shape)


def count_text(count: int) -> str:
    """61706 -> '61.7k', 138357544 -> '138.4M': short enough for a node's face."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= limit:
            return f"{count / limit:.1f}{suffix}"
    return str(count)


def memory_text(num_bytes: int) -> str:
    return f"{num_bytes / 2**20:.2f} MB"


def summary_dict(graph: Graph, report: Report) -> dict[str, Any]:
    """The JSON of ``convas summary --json``; shapes exclude the batch dimension."""
    return {
        "name": graph.name,
        "nodes": [
            {
                "id": r.id,
                "type": r.type,
                "output_shape": list(r.shape) if r.shape is not None else None,
                "params": r.params,
                "macs": r.macs,
                "error": r.error,
            }
            for r in report.results.values()
        ],
        "output_shape": list(report.output_shape) if report.output_shape else None,
        "total_params": report.total_params,
        "total_macs": report.total_macs,
        "total_memory_bytes": report.total_memory,
        "errors": [p.message for p in report.problems],
    }


def format_table(graph: Graph, report: Report) -> str:
    """The text table of ``convas summary``: one row per node in data-flow order."""
    placed = set(report.order)  # a set: a list made this quadratic (100k nodes took minutes)
    order = report.order + [nid for nid in report.results if nid not in placed]
    rows = [("Node", "Type", "Output shape", "Params", "MACs")]
    for nid in order:
        r = report.results[nid]
        shape = shape_text(r.shape, "x") if r.status != "error" else "error"
        rows.append((nid, r.type, shape, f"{r.params:,}", f"{r.macs:,}"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    rule = "=" * (sum(widths) + 8)

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(
            cell.ljust(w) if i < 3 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )

    out = [rule, f"{graph.name}", rule, line(rows[0]), "-" * len(rule)]
    out += [line(row) for row in rows[1:]]
    out += [
        rule,
        f"Total params: {report.total_params:,}",
        f"Total MACs: {report.total_macs:,}",
        f"Activation memory (batch 1, float32): {memory_text(report.total_memory)}",
        f"Output shape: {shape_text(report.output_shape, 'x')}",
        rule,
    ]
    if report.problems:
        out.append(f"{len(report.problems)} problem(s):")
        out += [f"  - {p.message}" for p in report.problems]
    return "\n".join(out)
