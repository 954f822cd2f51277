"""Import a torch model as a Convas graph: trace it, recognise its layers, prove it.

``import_module`` traces an ``nn.Module`` with ``torch.fx``, runs the trace once to
learn every tensor's shape, turns each operation into its module form
(``graph_io.fx_ops``) and cuts the result into straight runs — operations that feed
exactly one other. The layers' own ``from_torch`` matchers cover each run greedily,
the longest match winning, so this module knows no layer type. Every problem is
gathered before one ``TorchImportError`` lists them all, each with where it is.

The graph is then compiled and given the module's weights by position (a node's
tensors are those of the modules it covers, in order), and it must compute the
module's outputs on a random batch: an import either reproduces the model or fails,
never produces a subtly different one.

The command line's ``MODULE:ATTR`` is resolved by ``graph_io.torch_target``. torch
is imported only inside functions, like the rest of ``graph_io``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import nodes as registry
from graph_io.errors import GraphError, TorchImportError
from graph_io.fx_ops import Op, UnsupportedOpError, as_op, draws_random, merge_chained_sums
from graph_io.ids import id_problem, unique_id
from graph_io.import_problems import (
    Problem,
    blamed_settings,
    one_line_repr,
    problem_at,
    problem_lines,
    settings_text,
    summary,
    where,
)
from graph_io.layout import apply_layout
from graph_io.model import Graph
from graph_io.shapes import infer
from graph_io.torch_target import one_line, snake_case
from nodes.geometry import fmt_shape
from nodes.spec import LayerSpec, ParamKind, ParamValue, Shape

if TYPE_CHECKING:
    import torch
    from torch import fx, nn

    from graph_io.fx_trace import TraceFailedError

__all__ = ["ImportResult", "TorchImportError", "import_module"]

TOLERANCE = 1e-5
"""Largest difference allowed between the module's and the graph's outputs (for
outputs up to 1 in magnitude; larger outputs are compared relative to their size)."""

INPUT_ID = "input"

RANDOM_IN_TRAINING = (
    "draws random numbers while training, as stochastic depth (drop path, drop "
    "connect) does; Convas has no such layer — it does nothing in evaluation, so "
    "build the model with its rate set to 0 to import it (the same weights and "
    "evaluation outputs)"
)
"""Why a random draw other than Dropout's is refused rather than imported as the
identity it is in evaluation: an import reproduces the model as it trains, too."""


@dataclass
class ImportResult:
    """The imported graph (laid out), the weights for its compiled model, and the
    largest output difference measured against the original module."""

    graph: Graph
    weights: dict[str, torch.Tensor]
    difference: float


# ---- the import --------------------------------------------------------------------


def import_module(
    module: nn.Module,
    input_shape: Sequence[int],
    *,
    name: str | None = None,
    label: str | None = None,
) -> ImportResult:
    """The Convas graph computing what ``module`` computes on CxHxW ``input_shape``.

    ``name`` is the graph's name (default: the class name in snake_case); ``label``
    names the model in messages. Raises ``TorchImportError`` listing every operation
    with no Convas layer, or when the graph's outputs differ from the module's. The
    module's training flags are left as they were.
    """
    from torch import fx, nn

    from graph_io.fx_trace import TraceFailedError, trace

    shape = tuple(int(d) for d in input_shape)
    label = label or type(module).__name__
    if fx.Tracer().is_leaf_module(module, ""):  # a bare nn.Conv2d would trace into F calls
        module = nn.Sequential(module)
    with _kept_training_flags(module):
        module.train()  # trace what training runs: F.dropout(x, p, self.training) included
        try:
            traced, values = trace(module, shape)
        except TraceFailedError as failure:
            raise TorchImportError(f"cannot import {label!r}: {_trace_failure(failure)}") from None
        inputs = [n for n in traced.graph.nodes if n.op == "placeholder" and not n.args]
        if len(inputs) > 1:  # parameters with a default value are left to it
            raise TorchImportError(
                f"cannot import {label!r}: forward() takes {len(inputs)} inputs "
                f"({', '.join(str(n.target) for n in inputs)}); a Convas graph has one"
            )
        module.eval()
        if not values:  # some step failed on the examples: run again to say which
            values = _record(traced, _batch(shape, 2, seed=0), label)
        importer = _Importer(module, traced, values, label)
        graph = importer.build(shape, name or snake_case(label))
        compiled, weights = importer.transfer(graph)
        difference = importer.verify(compiled, shape)
    return ImportResult(graph, weights, difference)


def _trace_failure(failure: TraceFailedError) -> str:
    """Why torch.fx could not trace the model, where, and what to change."""
    from torch.fx.proxy import TraceError

    from graph_io.import_problems import source_text

    text = "torch.fx cannot trace it"
    if failure.module:
        text += f" in module '{failure.module}' ({failure.module_type})"
    if failure.source is not None:
        text += f" at {source_text(*failure.source)}"
    text += f": {one_line(failure.error)}"
    if isinstance(failure.error, TraceError):
        text += (
            " — forward() must not branch on tensor values (or the batch size); "
            "compute such choices in __init__, or import the part of the model that "
            "has no such branch"
        )
    else:
        text += (
            " — forward() runs on torch.fx proxies: sizes (x.size(1), x.shape) are "
            "plain numbers, but tensor values and the batch size are not"
        )
    return text


@contextlib.contextmanager
def _kept_training_flags(module: nn.Module) -> Iterator[None]:
    flags = [(m, m.training) for m in module.modules()]
    try:
        yield
    finally:
        for m, flag in flags:
            m.training = flag


def _batch(shape: Shape, size: int, seed: int) -> torch.Tensor:
    import torch

    generator = torch.Generator().manual_seed(seed)
    return torch.randn(size, *shape, generator=generator)


def _record(traced: fx.GraphModule, batch: torch.Tensor, label: str) -> dict[fx.Node, Any]:
    """Every fx node's value when the traced module runs on ``batch``."""
    import torch
    from torch import fx

    values: dict[fx.Node, Any] = {}
    failed: list[fx.Node] = []

    class Recorder(fx.Interpreter):
        def run_node(self, n: fx.Node) -> Any:
            try:
                result = super().run_node(n)
            except Exception:
                failed.append(n)
                raise
            values[n] = result
            return result

    recorder = Recorder(traced)
    recorder.extra_traceback = False
    try:
        with torch.no_grad():
            recorder.run(batch)
    except Exception as exc:  # the user's forward(): report any failure with its place
        place = f" at {where(failed[0], traced)}" if failed else ""
        size = "x".join(str(d) for d in batch.shape[1:])
        raise TorchImportError(
            f"cannot import {label!r}: running it on a {size} input failed{place}: "
            f"{one_line(exc)} — check the input shape against the model"
        ) from None
    return values


@dataclass
class _Match:
    """One Convas node: the layer, its params and the traced operations it covers."""

    spec: LayerSpec
    params: dict[str, Any]
    steps: list[fx.Node]
    sources: list[fx.Node]
    node_id: str = ""


class _Importer:
    def __init__(
        self, module: nn.Module, traced: fx.GraphModule, values: dict[fx.Node, Any], label: str
    ) -> None:
        self.module = module
        self.traced = traced
        self.values = values
        self.label = label
        self.ops: dict[fx.Node, Op] = {}
        self.alias: dict[fx.Node, fx.Node] = {}  # pass-through operation -> its input
        self.position = {node: index for index, node in enumerate(traced.graph.nodes)}
        self.problems: list[Problem] = []
        self.problem_nodes: list[fx.Node | None] = []  # the operation of each problem
        self.matches: list[_Match] = []
        self.input: fx.Node | None = None

    # ---- problems ---------------------------------------------------------------------
    def problem(self, node: fx.Node, text: str, settings: Sequence[str] = ()) -> None:
        position = self.position.get(node, -1)
        self.problems.append(problem_at(node, self.traced, text, position, settings))
        self.problem_nodes.append(node)

    def raise_problems(self) -> None:
        if not self.problems:
            return
        lines = problem_lines(self.problems)
        count = len(self.problems)
        noun = "1 operation has" if count == 1 else f"{count} operations have"
        head = f"cannot import {self.label!r}: {noun} no Convas layer"
        if len(lines) < count or count > 3:  # repeats were folded: say what and where
            head += f" — {summary(self.problems)}"
        raise TorchImportError(head, lines)

    def fail(self, text: str) -> TorchImportError:
        return TorchImportError(f"cannot import {self.label!r}: {text}")

    # ---- tracing to matches -------------------------------------------------------------
    def build(self, shape: Shape, name: str) -> Graph:
        """The graph, every problem raised at once."""
        result = self.output()
        self.convert(result)
        output = self.resolve(result)
        if output.op == "placeholder":
            raise self.fail("forward() returns its input unchanged; there is nothing to import")
        for chain in self.chains(output):  # also with problems, to list every one
            self.cover(chain)
        self.raise_problems()
        self.matches.sort(key=lambda m: self.position[m.steps[0]])
        self.name_nodes()
        graph = self.graph(shape, name)
        self.raise_problems()
        self.check(graph)
        self.raise_problems()
        apply_layout(graph)
        return graph

    def output(self) -> fx.Node:
        from torch import fx

        node = next(n for n in self.traced.graph.nodes if n.op == "output")
        result = node.args[0]
        if not isinstance(result, fx.Node) or not self.is_tensor(result):
            kind = type(self.values.get(node, result)).__name__
            raise self.fail(f"forward() returns a {kind}; a Convas graph has one output tensor")
        return result

    def is_tensor(self, node: fx.Node) -> bool:
        import torch

        return isinstance(self.values.get(node), torch.Tensor)

    def convert(self, result: fx.Node) -> None:
        """Module forms for every operation the output depends on (only those)."""
        stack, seen = [result], set()
        placeholders: list[fx.Node] = []
        random: list[fx.Node] = []
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node.op == "placeholder":
                placeholders.append(node)
                continue
            if node.op == "get_attr":
                self.problem(node, "Convas layers hold their own weights; use a torch.nn layer")
                continue
            if draws_random(node):  # its inputs only say what to draw: look no further
                self.problem(node, RANDOM_IN_TRAINING)
                random.append(node)
                continue
            try:
                op = as_op(node, self.traced, self.values)
            except UnsupportedOpError as exc:
                self.problem(node, str(exc))  # and look further up for more problems
                stack.extend(n for n in node.all_input_nodes if _holds_tensor(self.values.get(n)))
                continue
            if op.module is None:
                if not op.inputs:
                    self.problem(node, "has no tensor input")
                    continue
                self.alias[node] = op.inputs[0]
            self.ops[node] = op
            stack.extend(op.inputs)
        self.forget_random_fallout(random)
        self.ops = dict(sorted(self.ops.items(), key=lambda item: self.position[item[0]]))
        merge_chained_sums(self.ops)
        placeholders.sort(key=lambda n: self.position[n])
        if not placeholders:
            self.raise_problems()
            raise self.fail("its output does not depend on its input")
        if len(placeholders) > 1:
            names = ", ".join(str(p.target) for p in placeholders)
            raise self.fail(
                f"forward() uses {len(placeholders)} inputs ({names}); a Convas graph has one"
            )
        self.input = placeholders[0]

    def forget_random_fallout(self, random: list[fx.Node]) -> None:
        """Keep one problem per random draw, not one per step of its arithmetic.

        Stochastic depth is written as a draw, then ``x / keep * mask``: the division
        and the shape of ``mask`` are refused too, but only because of the draw. The
        operations of the same module that use the draw, or only feed operations that
        do, are its fallout; their problems are dropped, the draw's stays.
        """
        if not random:
            return
        fallout: set[fx.Node] = set()
        for draw in random:
            scope = _scope_path(draw)
            within = [n for n in self.traced.graph.nodes if _scope_path(n) == scope]
            tainted = {draw}
            for node in within:  # trace order: users come after what they use
                if any(source in tainted for source in node.all_input_nodes):
                    tainted.add(node)
            changed = True
            while changed:  # ...and what only feeds them
                changed = False
                for node in within:
                    if node not in tainted and node.users and set(node.users) <= tainted:
                        tainted.add(node)
                        changed = True
            fallout |= tainted - {draw}
        kept = [
            (problem, node)
            for problem, node in zip(self.problems, self.problem_nodes, strict=True)
            if node not in fallout
        ]
        self.problems = [problem for problem, _ in kept]
        self.problem_nodes = [node for _, node in kept]

    def resolve(self, node: fx.Node) -> fx.Node:
        while node in self.alias:
            node = self.alias[node]
        return node

    def sources(self, node: fx.Node) -> list[fx.Node]:
        return [self.resolve(source) for source in self.ops[node].inputs]

    def shape_of(self, node: fx.Node) -> Shape:
        return tuple(int(d) for d in self.values[node].shape[1:])

    def chains(self, output: fx.Node) -> list[list[fx.Node]]:
        """Straight runs of operations, each feeding only the next, in trace order."""
        order = [n for n in self.traced.graph.nodes if n in self.ops and n not in self.alias]
        consumers: dict[fx.Node, int] = {output: 1}
        for node in order:
            for source in self.sources(node):
                consumers[source] = consumers.get(source, 0) + 1
        chains: list[list[fx.Node]] = []
        open_ends: dict[fx.Node, list[fx.Node]] = {}
        for node in order:
            sources = self.sources(node)
            if len(sources) == 1 and sources[0] in open_ends and consumers[sources[0]] == 1:
                chain = open_ends.pop(sources[0])
                chain.append(node)
            else:
                chain = [node]
                chains.append(chain)
            open_ends[node] = chain
        return chains

    def cover(self, chain: list[fx.Node]) -> None:
        """Match the chain from its start, each time with the layer covering most."""
        index = 0
        while index < len(chain):
            head = chain[index]
            sources = self.sources(head)
            if not sources or not all(self.is_tensor(s) for s in sources):
                self.problem(head, "has no tensor input")
                index += 1
                continue
            rest = chain[index:]
            modules = [self.ops[n].module for n in rest]
            shape = self.shape_of(sources[0])
            # A node stays within one torch container when it can, so a Convas graph's
            # own exported code (Conv2D and a separate Activation) comes back unchanged.
            limit = _scope_limit(rest)
            found = _best_match(modules[:limit], shape)
            if found is None and limit < len(rest):
                found = _best_match(modules, shape)
            if found is None:
                reason, blamed = _no_layer_reason(modules, shape)
                if head.op != "call_module" and modules[0] is not None:
                    if not blamed:
                        reason += f" (it computes {one_line_repr(modules[0])})"
                    elif not _call_names_module(head, modules[0]):
                        # a pattern's result (permute ... permute): say what it computes
                        reason = f"{type(modules[0]).__name__} with {reason}"
                self.problem(head, reason, blamed)
                index += 1
                continue
            spec, count, params = found
            wiring = _wiring_problem(spec, sources)
            if wiring is not None:
                self.problem(head, wiring)
            else:
                self.matches.append(_Match(spec, params, rest[:count], sources))
            index += count

    # ---- the graph --------------------------------------------------------------------
    def name_nodes(self) -> None:
        """Ids from the torch module names where they name the node, else type_n."""
        taken = {INPUT_ID}
        scopes: dict[str, int] = {}  # how many nodes each module's forward() made
        for match in self.matches:
            for scope in {_scope_path(step) for step in match.steps}:
                for k in range(1, len(scope.split(".")) + 1):
                    prefix = ".".join(scope.split(".")[:k])
                    scopes[prefix] = scopes.get(prefix, 0) + 1
        for match in self.matches:
            wanted = self.module_name(match, scopes)
            if wanted is None:
                continue
            node_id, k = wanted, 2
            while node_id in taken:
                node_id, k = f"{wanted}_{k}", k + 1
            match.node_id = node_id
            taken.add(node_id)
        for match in self.matches:
            if not match.node_id:
                match.node_id = unique_id(taken, match.spec.type)
                taken.add(match.node_id)

    def module_name(self, match: _Match, scopes: dict[str, int]) -> str | None:
        """'conv1' for module conv1, 'stem' for stem.pad + stem.conv; None for '0'.

        A node made of function calls is named after the module whose forward()
        made them when that module made no other node and none of its layers
        became one — a ``ShuffleBlock``, Convas's own exported ``Multiply`` module,
        or a block permuting around its ``nn.LayerNorm`` (a pattern that took the
        layer in).
        """
        paths = [str(n.target) for n in match.steps if n.op == "call_module"]
        if not paths:
            owners = {_scope_path(step) for step in match.steps}
            owner = owners.pop() if len(owners) == 1 else ""
            if not owner or scopes.get(owner) != 1 or owner.split(".")[-1].isdigit():
                return None
            if self.layers_called_in(owner):
                return None
            candidate = owner.replace(".", "_")
            return candidate if id_problem(candidate) is None else None
        split = [p.split(".") for p in paths]
        common: list[str] = []
        for parts in zip(*split, strict=False):
            if len(set(parts)) != 1:
                break
            common.append(parts[0])
        best: list[str] | None = None
        for k in range(len(common), 0, -1):
            if not self.only_covers(".".join(common[:k]), set(paths)):
                break
            best = common[:k]
        if best is None or best[-1].isdigit():  # nn.Sequential's 0, 1, 2: name by type
            return None
        candidate = "_".join(best)
        return candidate if id_problem(candidate) is None else None

    def layers_called_in(self, owner: str) -> bool:
        """True when a module inside ``owner`` is called and became (part of) a node."""
        inside = owner + "."
        return any(
            node.op == "call_module" and str(node.target).startswith(inside) and node in self.ops
            for node in self.traced.graph.nodes
        )

    def only_covers(self, prefix: str, covered: set[str]) -> bool:
        """True when every module under ``prefix`` is (inside) one the node covers.

        Identity modules compute nothing and are ignored.
        """
        from torch import nn

        try:
            container = self.module.get_submodule(prefix)
        except AttributeError:
            return False
        for name, module in container.named_modules():
            if isinstance(module, nn.Identity):
                continue
            path = f"{prefix}.{name}" if name else prefix
            if not any(
                path == c or path.startswith(c + ".") or c.startswith(path + ".") for c in covered
            ):
                return False
        return True

    def graph(self, shape: Shape, name: str) -> Graph:
        graph = Graph(name=name)
        source = next((s for s in registry.all_layers() if s.is_source and s.from_torch), None)
        found = source.from_torch([], shape) if source and source.from_torch else None
        if source is None or found is None:
            raise self.fail(f"the input {fmt_shape(shape)} is not a CxHxW image shape")
        assert self.input is not None
        try:
            graph.add_node(source.type, INPUT_ID, found[1])
        except GraphError as exc:
            raise self.fail(f"input {fmt_shape(shape)}: {exc}") from None
        node_of = {self.input: INPUT_ID}
        for match in self.matches:
            inputs = [node_of.get(s, "") for s in match.sources]
            try:
                graph.add_node(match.spec.type, match.node_id, match.params, inputs)
            except GraphError as exc:
                self.problem(match.steps[0], str(exc))
            node_of[match.steps[-1]] = match.node_id
        return graph

    def check(self, graph: Graph) -> None:
        """Shape inference must accept the graph and agree with torch on every shape."""
        heads = {m.node_id: m.steps[0] for m in self.matches}
        report = infer(graph)
        for found in report.problems:
            head = heads.get(found.node or "")
            if head is None:
                self.problems.append(Problem(-1, "the graph", "", found.message))
                self.problem_nodes.append(None)
            else:
                self.problem(head, found.message)
        for match in self.matches:
            result = report.results.get(match.node_id)
            torch_shape = self.shape_of(match.steps[-1])
            if result is not None and result.shape is not None and result.shape != torch_shape:
                self.problem(
                    match.steps[0],
                    f"Convas {match.spec.type} '{match.node_id}' would output "
                    f"{fmt_shape(result.shape)} but torch gives {fmt_shape(torch_shape)}",
                )

    # ---- weights and proof ------------------------------------------------------------
    def transfer(self, graph: Graph) -> tuple[nn.Module, dict[str, torch.Tensor]]:
        """The compiled graph holding the module's weights, and its state_dict."""
        from graph_io.compiler import compile_graph

        compiled = compile_graph(graph, seed=0)
        state: dict[str, torch.Tensor] = {}
        for match in self.matches:
            target = compiled.get_submodule(match.node_id).state_dict()
            source = [
                tensor
                for node in match.steps
                for tensor in _module(self.ops[node]).state_dict().values()
            ]
            if [tuple(t.shape) for t in source] != [tuple(t.shape) for t in target.values()]:
                self.problem(
                    match.steps[0],
                    f"its weights {_shapes(source)} do not fit Convas {match.spec.type} "
                    f"'{match.node_id}' {_shapes(list(target.values()))}",
                )
                continue
            for (key, expected), tensor in zip(target.items(), source, strict=True):
                state[f"{match.node_id}.{key}"] = (
                    tensor.detach().to(device="cpu", dtype=expected.dtype).clone()
                )
        self.raise_problems()
        compiled.load_state_dict(state)
        compiled.eval()
        return compiled, state

    def verify(self, compiled: nn.Module, shape: Shape) -> float:
        """The largest output difference on a random batch; raises when too large."""
        import torch

        batch = _batch(shape, 2, seed=1)
        with torch.no_grad():
            expected = self.module(batch)
            got = compiled(batch)
        if not isinstance(expected, torch.Tensor) or expected.shape != got.shape:
            raise self.fail(
                "the graph's output shape differs from the module's "
                f"({tuple(got.shape)} vs {tuple(getattr(expected, 'shape', ()))})"
            )
        difference = float((expected.float() - got).abs().max())
        scale = max(1.0, float(expected.abs().max()))
        if not difference <= TOLERANCE * scale:  # also refuses NaN
            raise self.fail(
                f"the graph computes different outputs than the module (largest difference "
                f"{difference:.3g}){self.first_difference(compiled, batch)} — a step may "
                "modify tensors in place or depend on more than its settings"
            )
        return difference

    def first_difference(self, compiled: nn.Module, batch: torch.Tensor) -> str:
        import torch

        outputs: dict[str, Any] = {}
        handles = [
            compiled.get_submodule(m.node_id).register_forward_hook(
                lambda _module, _inputs, output, nid=m.node_id: outputs.__setitem__(nid, output)
            )
            for m in self.matches
        ]
        try:
            with torch.no_grad():
                compiled(batch)
        finally:
            for handle in handles:
                handle.remove()
        try:
            values = _record(self.traced, batch, self.label)
        except TorchImportError:
            return ""
        for match in self.matches:
            want, got = values.get(match.steps[-1]), outputs.get(match.node_id)
            if (
                not isinstance(want, torch.Tensor)
                or not isinstance(got, torch.Tensor)
                or want.shape != got.shape
                or not torch.allclose(want.float(), got, atol=TOLERANCE, rtol=TOLERANCE)
            ):
                place = where(match.steps[0], self.traced)
                return f", first at {match.spec.type} '{match.node_id}' from {place}"
        return ""


def _call_names_module(node: fx.Node, module: nn.Module) -> bool:
    """True when the call's own name says what ``module`` is (``flatten``: Flatten)."""
    target = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
    return str(target).strip("_").replace("_", "").lower() == type(module).__name__.lower()


def _holds_tensor(value: Any) -> bool:
    """True for a tensor or a tuple/list holding one (an LSTM's output, not a size)."""
    import torch

    if isinstance(value, list | tuple):
        return any(_holds_tensor(item) for item in value)
    return isinstance(value, torch.Tensor)


def _module(op: Op) -> nn.Module:
    assert op.module is not None  # pass-through operations never reach a match
    return op.module


def _shapes(tensors: Sequence[torch.Tensor]) -> str:
    return "[" + ", ".join(fmt_shape(tuple(t.shape)) for t in tensors) + "]"


def _scope_path(node: fx.Node) -> str:
    """The path of the innermost module whose forward() made ``node`` ('' at the top)."""
    stack = node.meta.get("nn_module_stack") or {}
    return str(list(stack.values())[-1][0]) if stack else ""


def _scope(node: fx.Node) -> str | None:
    """The container path of a module call ('' at the top); None for function calls."""
    return str(node.target).rpartition(".")[0] if node.op == "call_module" else None


def _scope_limit(steps: Sequence[fx.Node]) -> int:
    """How many of ``steps`` stay in the container of the first module call."""
    scope: str | None = None
    for index, node in enumerate(steps):
        current = _scope(node)
        if current is None:
            continue
        if scope is None:
            scope = current
        elif current != scope:
            return index
    return len(steps)


def _matchers() -> list[LayerSpec]:
    return [s for s in registry.all_layers() if not s.is_source and s.from_torch is not None]


def _best_match(
    modules: Sequence[nn.Module | None], shape: Shape
) -> tuple[LayerSpec, int, dict[str, Any]] | None:
    """The layer covering the most of ``modules`` from their start (first on ties).

    An operation's module may be an ``nn.Sequential`` of several steps (``x.mean((2,
    3))`` is ``AdaptiveAvgPool2d(1)`` then ``Flatten``): matchers see its steps, and a
    match counts only when it ends where an operation ends. The count returned is in
    operations.
    """
    chain: list[nn.Module] = []
    ends: dict[int, int] = {}  # modules in ``chain`` -> operations they make up
    for index, module in enumerate(m for m in modules if m is not None):
        chain.extend(_steps(module))
        ends[len(chain)] = index + 1
    best: tuple[LayerSpec, int, dict[str, Any]] | None = None
    for spec in _matchers():
        assert spec.from_torch is not None
        try:
            found = spec.from_torch(chain, shape)
        except Exception:  # a matcher meeting a module it never imagined: no match
            found = None
        if found is None or found[0] not in ends:
            continue
        count, params = ends[found[0]], found[1]
        if best is None or count > best[1]:
            best = (spec, count, dict(params))
    return best


def _steps(module: nn.Module) -> list[nn.Module]:
    """The modules one operation stands for: a Sequential's children, else itself."""
    from torch import nn

    children = list(module.children()) if type(module) is nn.Sequential else []
    return children or [module]


def _wiring_problem(spec: LayerSpec, sources: list[fx.Node]) -> str | None:
    count = len(sources)
    if len(set(sources)) != count:
        return f"uses the same tensor twice; a Convas {spec.type} takes each input once"
    if count < spec.min_inputs:
        return f"has {count} input(s) but a Convas {spec.type} needs at least {spec.min_inputs}"
    if spec.max_inputs is not None and count > spec.max_inputs:
        return f"takes {count} tensors but a Convas {spec.type} takes {spec.max_inputs}"
    return None


def _no_layer_reason(modules: Sequence[nn.Module | None], shape: Shape) -> tuple[str, list[str]]:
    """Why no layer matches ``modules[0]``, naming the settings to blame if it has some."""
    module = modules[0]
    if module is None or type(module) not in _built_types():
        return "has no Convas layer", []

    def accepted(candidate: nn.Module) -> bool:
        return _best_match([candidate, *modules[1:]], shape) is not None

    blamed = blamed_settings(module, accepted)
    if not blamed:
        return "no Convas layer has these settings", []
    return settings_text(blamed), [name for name, _ in blamed]


@functools.cache
def _built_types() -> frozenset[type]:
    """The torch module classes Convas layers build (for "unsupported settings")."""
    from torch import nn

    found: set[type] = set()
    for spec in _matchers():
        for params in _param_variants(spec):
            for shape in ((4, 8, 8), (4,)):
                try:
                    built = spec.build(params, [shape] * max(spec.min_inputs, 1))
                except Exception:  # a variant that does not build for this shape
                    continue
                found.update(type(m) for m in built.modules())
    return frozenset(found - {nn.Sequential, nn.Identity})


def _param_variants(spec: LayerSpec) -> list[dict[str, ParamValue]]:
    variants = [spec.defaults()]
    for param in spec.params:
        values: list[ParamValue] = []
        if param.kind is ParamKind.CHOICE:
            values = list(param.choices)
        elif param.kind is ParamKind.PADDING:
            values = ["Same"]
        variants += [{**spec.defaults(), param.name: value} for value in values]
    return variants
