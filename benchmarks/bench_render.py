"""`convas render` of the Mini ResNet template, and the layout it uses at scale.

Prints (a) in-process medians for resnet_mini: load + inference (the reference: what
`convas summary` does), layered layout, SVG and PNG drawing, with ratios to the
reference; (b) the whole `convas render` command as a user runs it (process start
included) next to `convas summary`; (c) the layered layout of 2,000- and
10,000-node graphs with skips, which the editor runs on opening unplaced files.
Target: a render of resnet_mini well under a second from the command line.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRAPH = ROOT / "examples" / "resnet_mini.yaml"
CONVAS = Path(sys.executable).with_name("convas")


def median_ms(action: Callable[[], object], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def in_process() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.gui.render import ensure_gui_app, png_bytes, svg_bytes
    from graph_io.layout import layered_layout
    from graph_io.shapes import infer
    from graph_io.yaml_io import load_graph
    from resources.themes import LIGHT

    ensure_gui_app()
    graph = load_graph(GRAPH)
    layout = layered_layout(graph)
    svg_bytes(graph, layout, LIGHT)  # warm fonts and icons
    reference = median_ms(lambda: infer(load_graph(GRAPH)))
    rows = [
        ("load + infer (reference)", reference),
        ("layered layout", median_ms(lambda: layered_layout(graph))),
        ("draw SVG", median_ms(lambda: svg_bytes(graph, layout, LIGHT))),
        ("draw PNG (2x)", median_ms(lambda: png_bytes(graph, layout, LIGHT))),
    ]
    print(f"resnet_mini ({len(graph.nodes)} nodes), in process, median of 7:")
    for name, ms in rows:
        print(f"  {name:<26} {ms:8.1f} ms  {ms / reference:6.1f}x reference")


def command_line() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

        def run(*args: str) -> Callable[[], object]:
            return lambda: subprocess.run(
                [str(CONVAS), *args], cwd=tmp, env=env, check=True, capture_output=True
            )

        summary = median_ms(run("summary", str(GRAPH)), 5)
        svg = median_ms(run("render", str(GRAPH), "-o", "net.svg"), 5)
        png = median_ms(run("render", str(GRAPH), "-o", "net.png"), 5)
    print("command line, process start included, median of 5:")
    print(f"  convas summary             {summary:8.0f} ms  (reference)")
    print(f"  convas render -o net.svg   {svg:8.0f} ms  {svg / summary:6.1f}x")
    print(f"  convas render -o net.png   {png:8.0f} ms  {png / summary:6.1f}x")


def large_layouts() -> None:
    from graph_io.layout import layered_layout
    from graph_io.model import Graph

    print("layered layout of residual chains (an Add with a 3-layer skip every 4 nodes):")
    for size in (2000, 10000):
        graph = Graph("big")
        graph.add_node("Input", "x")
        previous, block_start = "x", "x"
        for i in range(1, size):
            if i % 4 == 0:
                graph.add_node("Add", f"n{i}", inputs=[previous, block_start])
                block_start = f"n{i}"
            else:
                graph.add_node("Activation", f"n{i}", inputs=[previous])
            previous = f"n{i}"
        ms = median_ms(lambda graph=graph: layered_layout(graph), 3)
        print(f"  {size:>6} nodes  {ms:8.0f} ms")


if __name__ == "__main__":
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    in_process()
    command_line()
    large_layouts()
