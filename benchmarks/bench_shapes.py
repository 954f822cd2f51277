"""Analytic shape inference vs torchinfo.summary on the same models.

Prints, per model, the median time of a full re-inference in Convas, the median time
of torchinfo's summary (which runs a real forward pass), their ratio, and whether
both agree on the parameter count. Targets: the 300-layer chain re-infers in
<= 2 ms, and Convas is >= 50x faster than torchinfo on every model.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable

import torch
import torchinfo

from graph_io import Graph, infer
from graph_io.compiler import compile_graph


def lenet5() -> Graph:
    g = Graph("lenet5")
    g.add_node("Input", "input", {"channels": 1, "height": 32, "width": 32})
    g.add_node("Conv2D", "c1", {"filters": 6, "kernel": 5, "activation": "Tanh"}, ["input"])
    g.add_node("AvgPool2D", "s2", {}, ["c1"])
    g.add_node("Conv2D", "c3", {"filters": 16, "kernel": 5, "activation": "Tanh"}, ["s2"])
    g.add_node("AvgPool2D", "s4", {}, ["c3"])
    g.add_node("Flatten", "flat", {}, ["s4"])
    g.add_node("Dense", "f5", {"units": 120, "activation": "Tanh"}, ["flat"])
    g.add_node("Dense", "f6", {"units": 84, "activation": "Tanh"}, ["f5"])
    g.add_node("Dense", "out", {"units": 10}, ["f6"])
    return g


def vgg16() -> Graph:
    g = Graph("vgg16")
    g.add_node("Input", "input", {"channels": 3, "height": 224, "width": 224})
    previous = "input"
    for block, (width, repeats) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]):
        for index in range(repeats):
            node = f"conv{block + 1}_{index + 1}"
            g.add_node("Conv2D", node, {"filters": width, "padding": "Same"}, [previous])
            previous = node
        g.add_node("MaxPool2D", f"pool{block + 1}", {}, [previous])
        previous = f"pool{block + 1}"
    g.add_node("Flatten", "flat", {}, [previous])
    g.add_node("Dense", "fc6", {"units": 4096, "activation": "ReLU"}, ["flat"])
    g.add_node("Dense", "fc7", {"units": 4096, "activation": "ReLU"}, ["fc6"])
    g.add_node("Dense", "fc8", {"units": 1000}, ["fc7"])
    return g


def chain300() -> Graph:
    g = Graph("chain300")
    g.add_node("Input", "input", {"channels": 16, "height": 32, "width": 32})
    previous = "input"
    for k in range(100):
        g.add_node(
            "Conv2D",
            f"conv{k}",
            {"filters": 16, "padding": "Same", "activation": "None", "bias": False},
            [previous],
        )
        g.add_node("BatchNorm2D", f"bn{k}", {}, [f"conv{k}"])
        g.add_node("Activation", f"relu{k}", {"function": "ReLU"}, [f"bn{k}"])
        previous = f"relu{k}"
    return g


def median_ms(action: Callable[[], object], repeats: int) -> float:
    action()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    torch.set_num_threads(2)
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} torch threads, python {platform.python_version()}, "
        f"torch {torch.__version__}"
    )
    print(
        f"{'model':<10} {'layers':>6} {'convas ms':>10} {'torchinfo ms':>13} {'ratio':>8} "
        f"{'params':>12}  agree"
    )
    for build, repeats in ((lenet5, 15), (vgg16, 3), (chain300, 5)):
        graph = build()
        model = compile_graph(graph, seed=0).eval()
        report = infer(graph)
        inp = graph.nodes["input"].params
        shape = (1, inp["channels"], inp["height"], inp["width"])
        convas = median_ms(lambda g=graph: infer(g), 200)
        stats = torchinfo.summary(model, input_size=shape, verbose=0)
        reference = median_ms(
            lambda m=model, s=shape: torchinfo.summary(m, input_size=s, verbose=0), repeats
        )
        agree = "OK" if stats.total_params == report.total_params else "MISMATCH"
        print(
            f"{graph.name:<10} {len(graph.nodes):>6} {convas:>10.3f} {reference:>13.1f} "
            f"{reference / convas:>7.0f}x {report.total_params:>12,}  {agree}"
        )


if __name__ == "__main__":
    main()
