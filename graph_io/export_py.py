"""Export a graph as standalone PyTorch source code.

The generated module needs only torch (and safetensors to load shipped weights):
nothing from Convas, so a model never stays locked in the app. Its layers carry the
node ids as names and its ``state_dict`` keys equal those of the compiled Convas
model, so weights trained in Convas load into it unchanged.

No layer has a code template. The code is read off the modules each layer's builder
returns (``graph_io.module_code``), parameter-free join modules inline their
``forward_code`` (``a + b``, ``torch.cat``), and a module with weights that is a
``torch.nn`` module called between tensor methods says so with ``code_form`` (a
channels-first LayerNorm: ``self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)``),
so a new layer type exports with no change here.
"""

from __future__ import annotations

import json
import keyword
import re
from typing import TYPE_CHECKING

from graph_io.compiler import build_modules, class_name
from graph_io.errors import CompileError
from graph_io.model import Graph
from graph_io.module_code import ExportError, module_code, probe_inputs
from graph_io.shapes import Report, infer

if TYPE_CHECKING:
    from torch import nn

__all__ = ["ExportError", "export_code"]

# Names forward() reads besides its own locals. graph_io.ids reserves them as ids; a
# graph built around that check still exports, the variable renamed (never the layer).
_GLOBALS = frozenset({"torch", "nn", "F", "self"})
_LINE = 100


def export_code(graph: Graph, *, weights_path: str | None = None) -> str:
    """The source of a module defining the graph as an ``nn.Module`` subclass.

    ``weights_path`` (relative to the generated file, usually a file name beside
    it) adds ``load_model()``, which returns the model with those safetensors
    weights. Raises ``CompileError`` for an invalid graph and ``ExportError`` for a
    layer whose modules have no code form.
    """
    import torch

    report = infer(graph)
    if not report.ok:
        raise CompileError([p.message for p in report.problems])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # the modules are rebuilt only to be read, never used
        modules = build_modules(graph, report)
    variables = _variable_names(graph)
    layers, forward = _body(graph, report, modules, variables)
    cls = class_name(graph.name)
    in_shape = report.results[report.order[0]].shape or ()
    out_shape = report.output_shape or ()
    lines = _docstring(graph, report, cls, weights_path)
    if any("OrderedDict" in line for line in layers):
        lines.append("from collections import OrderedDict")
    if weights_path is not None:
        lines.append("from pathlib import Path")
    lines += ["", "import torch", "from torch import nn", "", ""]
    lines += [
        f"class {cls}(nn.Module):",
        f'    """The {_text(graph.name)} graph; each layer is named after its node."""',
        "",
        "    def __init__(self) -> None:",
        "        super().__init__()",
        *layers,
        "",
        f"    def forward(self, {variables[report.order[0]]}: torch.Tensor) -> torch.Tensor:",
        *forward,
        "",
    ]
    if weights_path is not None:
        lines += [
            "",
            f"WEIGHTS = Path(__file__).resolve().parent / {json.dumps(weights_path)}",
            "",
            "",
            f"def load_model() -> {cls}:",
            '    """The model with the weights saved beside this file, ready for inference."""',
            "    from safetensors.torch import load_file",
            "",
            f"    model = {cls}()",
            "    model.load_state_dict(load_file(WEIGHTS))",
            "    return model.eval()",
            "",
        ]
    make = "load_model()" if weights_path is not None else f"{cls}().eval()"
    batch_in = ", ".join(str(d) for d in (2, *in_shape))
    batch_out = ", ".join(str(d) for d in (2, *out_shape))
    lines += [
        "",
        'if __name__ == "__main__":',
        f"    model = {make}",
        f"    sample = torch.randn({batch_in})",
        "    with torch.inference_mode():",
        f"        print(model(sample).shape)  # torch.Size([{batch_out}])",
        "",
    ]
    return "\n".join(lines)


def _docstring(graph: Graph, report: Report, cls: str, weights_path: str | None) -> list[str]:
    in_shape = report.results[report.order[0]].shape or ()
    out_shape = report.output_shape or ()
    needs = (
        "Needs torch, and safetensors for load_model(), which reads the trained weights."
        if weights_path is not None
        else "Needs only torch."
    )
    return [
        f'"""{cls}: exported by Convas from the graph "{_text(graph.name)}".',
        "",
        f"Input:  N x {' x '.join(str(d) for d in in_shape)} (batch x channels x height x width)",
        f"Output: N x {' x '.join(str(d) for d in out_shape)}",
        f"Parameters: {report.total_params:,}",
        "",
        needs,
        "Layers are named after the graph's nodes, so a state_dict saved by Convas loads",
        "unchanged.",
        '"""',
        "",
    ]


def _body(
    graph: Graph, report: Report, modules: dict[str, nn.Module], variables: dict[str, str]
) -> tuple[list[str], list[str]]:
    """The ``__init__`` lines creating the layers and the ``forward`` lines using them."""
    import torch

    layers: list[str] = []
    forward: list[str] = []
    last = report.order[-1]
    for nid in report.order[1:]:
        module = modules[nid]
        args = [variables[s] for s in graph.nodes[nid].inputs]
        inline = getattr(module, "forward_code", None)
        if callable(inline) and not any(True for _ in module.state_dict()):
            expression = str(inline(args))
            forward.append(_assign(variables[nid], expression, nid == last))
            continue
        probes = probe_inputs(report.results[nid].input_shapes)
        call = "{call}({x})"
        form = getattr(module, "code_form", None)
        if callable(form):  # a torch.nn module called between tensor methods
            module, prepare, call = form()
            probes = tuple(prepare(probe) for probe in probes)
        with torch.no_grad():
            code = module_code(module, probes, f"{graph.nodes[nid].type} '{nid}'", "        ")
        layers.append(_fit(f"        self.{nid} = ", code))
        expression = call.format(call=f"self.{nid}", x=", ".join(args))
        forward.append(_assign(variables[nid], expression, nid == last))
    return layers, forward


def _assign(variable: str, expression: str, last: bool) -> str:
    return f"        return {expression}" if last else f"        {variable} = {expression}"


def _fit(prefix: str, code: str) -> str:
    """``prefix + code``; a call too long for one line gets its arguments wrapped."""
    line = prefix + code
    if "\n" in code or len(line) <= _LINE or not code.endswith(")"):
        return line
    head, _, args = code.partition("(")
    indent = " " * (len(prefix) - len(prefix.lstrip()) + 4)
    return f"{prefix}{head}(\n{indent}{args[:-1]},\n{indent[:-4]})"


def _variable_names(graph: Graph) -> dict[str, str]:
    """A local variable name per node: its id in snake_case, never hiding a name in use.

    Layer attributes keep the exact ids (they are the ``state_dict`` keys); only the
    variables in ``forward`` follow PEP 8, so the file passes the usual linters.
    """
    taken = set(graph.nodes) | _GLOBALS
    names: dict[str, str] = {}
    for nid in graph.nodes:
        name = _snake(nid)
        if name != nid or name in _GLOBALS or keyword.iskeyword(name):
            if name in taken or keyword.iskeyword(name):
                name += "_"
            while name in taken:
                name += "_"
            taken.add(name)
        names[nid] = name
    return names


def _snake(name: str) -> str:
    """'OrderedDict' -> 'ordered_dict', 'WEIGHTS' -> 'weights', 'conv1' -> 'conv1'."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return spaced.lower()


def _text(name: str) -> str:
    """A graph name made safe to sit inside a docstring or string literal."""
    return json.dumps(name)[1:-1].replace('"', "'")
