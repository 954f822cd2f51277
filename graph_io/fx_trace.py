"""Tracing a model for import: torch.fx with concrete sizes, source lines and blame.

``torch.fx.symbolic_trace`` runs ``forward()`` on proxies that know nothing about the
tensors they stand for. Code that computes with sizes then fails or stays symbolic:
``int(x.size(1) * ratio)`` raises (a proxy is no number), ``range(x.size(1) // g)``
cannot loop, and ``F.avg_pool2d(x, x.size(2))`` records the kernel as a computed
node that no layer can take. Shape propagation (``torch.fx.passes.shape_prop``) does
not help: it runs after tracing, so it cannot rescue a trace that already failed.

So the tracer here runs two small example batches (of different sizes) alongside the
trace and answers ``size()``, ``shape``, ``dim()`` and ``ndim`` with plain integers
whenever both examples agree. A Convas graph has a fixed CxHxW input, so channel and
spatial sizes are constants of the import anyway; the batch axis differs between the
examples and stays symbolic, so ``x.view(x.size(0), -1)`` still works for any batch.
Only sizes become constants — branching on tensor *values* still fails the trace.
The examples run without gradients, leaf modules in eval mode and on copies of
parameters and buffers, so tracing never changes the model (no BatchNorm statistics
move).

Each node also records the user's source line (the innermost frame outside torch)
and the tracer remembers the module whose ``forward()`` was running when a trace
fails, so messages can point at both.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import fx, nn
from torch.fx.node import map_aggregate

from graph_io.fx_patterns import channel_layer_norm_twin
from graph_io.import_problems import SOURCE

EXAMPLE_BATCHES = (1, 2)
"""Batch sizes of the two example inputs: small, and different so that the batch
axis can be told apart from the sizes that are constants of the input shape."""

_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
_OURS = os.path.dirname(os.path.abspath(__file__)) + os.sep  # graph_io: the importer


class TraceFailedError(Exception):
    """A trace that failed: the error, the module running and the user's line."""

    def __init__(
        self,
        error: BaseException,
        module: str | None,
        module_type: str | None,
        source: tuple[str, int] | None,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.module = module
        self.module_type = module_type
        self.source = source


def trace(module: nn.Module, shape: tuple[int, ...]) -> tuple[fx.GraphModule, dict[fx.Node, Any]]:
    """``module`` traced for CxHxW inputs of ``shape``, and every node's value on a
    batch of two (empty when some value could not be computed: the caller runs the
    graph itself to find out where). Raises ``TraceFailedError``."""
    examples = tuple(
        torch.randn(size, *shape, generator=torch.Generator().manual_seed(size))
        for size in EXAMPLE_BATCHES
    )
    tracer = SizedTracer((examples[0], examples[1]))
    try:
        graph = tracer.trace(module)
    except Exception as exc:  # the user's forward(): report any failure with its place
        path = tracer.failed_module
        kind = type(module.get_submodule(path)).__name__ if path else None
        raise TraceFailedError(exc, path, kind, user_frame(exc.__traceback__)) from None
    traced = fx.GraphModule(tracer.root, graph, type(module).__name__)
    values = tracer.values

    def value(arg: Any) -> Any:
        return values.get(arg, arg)

    for node in traced.graph.nodes:
        if node.op == "output":
            values[node] = map_aggregate(node.args[0], value)
        elif node not in values:
            return traced, {}
    return traced, values


def user_frame(tb: Any) -> tuple[str, int] | None:
    """The innermost traceback frame in the user's code (not torch's, not ours)."""
    found: tuple[str, int] | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if _is_user_file(filename):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _is_user_file(filename: str) -> bool:
    path = os.path.abspath(filename)
    return not (path.startswith((_TORCH_DIR, _OURS)) or filename.startswith("<"))


def _caller_source() -> tuple[str, int] | None:
    """The innermost frame on the current stack in the user's code."""
    frame = sys._getframe(1)
    while frame is not None:
        if _is_user_file(frame.f_code.co_filename):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return None


class SizedProxy(fx.Proxy):
    """A proxy that knows its value on two example batches, and so its sizes."""

    examples: tuple[Any, Any] | None = None

    def _sizes(self) -> list[int | None] | None:
        if self.examples is None:
            return None
        first, second = self.examples
        if not (isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor)):
            return None
        if first.dim() != second.dim():
            return None
        return [a if a == b else None for a, b in zip(first.shape, second.shape, strict=True)]

    def _symbolic(self, *args: Any) -> Any:
        return self.tracer.create_proxy("call_method", "size", (self, *args), {})

    def size(self, dim: Any = None) -> Any:
        sizes = self._sizes()
        if dim is None:
            if sizes is None:
                return self._symbolic()
            return tuple(s if s is not None else self._symbolic(i) for i, s in enumerate(sizes))
        if sizes is None or not isinstance(dim, int) or not -len(sizes) <= dim < len(sizes):
            return self._symbolic(dim)
        size = sizes[dim]
        return size if size is not None else self._symbolic(dim)

    @property
    def shape(self) -> Any:
        return self.size()

    def dim(self) -> Any:
        sizes = self._sizes()
        if sizes is None:
            return self.tracer.create_proxy("call_method", "dim", (self,), {})
        return len(sizes)

    @property
    def ndim(self) -> Any:
        return self.dim()


class SizedTracer(fx.Tracer):
    """``fx.Tracer`` whose proxies carry example values (see the module docstring)."""

    def __init__(self, examples: tuple[torch.Tensor, torch.Tensor]) -> None:
        super().__init__()
        self.examples = examples
        self.failed_module: str | None = None
        self._inputs = 0
        self._running = False  # computing examples: torch's tracing patches step aside
        self.values: dict[fx.Node, Any] = {}  # each node's value on the second example
        self._twins: dict[nn.Module, bool] = {}  # is_leaf_module's verdicts on own modules

    def proxy(self, node: fx.Node) -> fx.Proxy:
        return SizedProxy(node, self)

    def create_node(self, *args: Any, **kwargs: Any) -> fx.Node:
        node = super().create_node(*args, **kwargs)
        source = _caller_source()
        if source is not None:
            node.meta[SOURCE] = source
        return node

    def create_proxy(
        self,
        kind: str,
        target: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: str | None = None,
        type_expr: Any | None = None,
        proxy_factory_fn: Callable[[fx.Node], fx.Proxy] | None = None,
    ) -> fx.Proxy:
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr, proxy_factory_fn)
        if isinstance(proxy, SizedProxy):
            proxy.examples = self._examples(kind, target, args, kwargs)
            if proxy.examples is not None:
                self.values[proxy.node] = proxy.examples[1]
        return proxy

    def call_module(
        self,
        m: nn.Module,
        forward: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        if self._running:  # a leaf module's own submodules, on example tensors
            return forward(*args, **kwargs)
        try:
            return super().call_module(m, forward, args, kwargs)
        except Exception:
            if self.failed_module is None:  # the innermost module sees it first
                self.failed_module = self.path_of_module(m)
            raise

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        """torch.nn's modules, and a model's own modules that compute what a Convas
        layer does in a way no matcher follows step by step (``fx_patterns``)."""
        if super().is_leaf_module(m, module_qualified_name):
            return True
        if m not in self._twins:
            running, self._running = self._running, True  # the probe runs on real tensors
            try:
                self._twins[m] = channel_layer_norm_twin(m) is not None
            finally:
                self._running = running
        return self._twins[m]

    def getattr(self, attr: str, attr_val: Any, parameter_proxy_cache: dict[str, Any]) -> Any:
        if self._running:  # a parameter read by a leaf module running on examples
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)

    def _examples(
        self, kind: str, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Any, Any] | None:
        if kind == "placeholder":
            self._inputs += 1
            return self.examples if self._inputs == 1 else None
        if kind == "get_attr":
            running, self._running = self._running, True  # no get_attr node for the read
            try:
                value = _fetch(self.root, str(target))
            finally:
                self._running = running
            return (value, value) if value is not None else None
        found: list[Any] = []
        self._running = True
        try:
            for index in (0, 1):
                call_args = _concrete(args, index)
                call_kwargs = _concrete(kwargs, index)
                with torch.no_grad():
                    found.append(self._run(kind, target, call_args, call_kwargs))
        except Exception:  # unknown value: sizes of this result stay symbolic
            return None
        finally:
            self._running = False
        return found[0], found[1]

    def _run(self, kind: str, target: Any, args: Any, kwargs: Any) -> Any:
        if kind == "call_module":
            module = self.root.get_submodule(str(target))
            with _eval_mode(module):
                return module(*args, **kwargs)
        if kind == "call_method":
            return getattr(args[0], str(target))(*args[1:], **kwargs)
        if kind == "call_function":
            return target(*args, **kwargs)
        raise _UnknownValueError


class _UnknownValueError(Exception):
    """An argument whose example value is not known."""


def _concrete(value: Any, index: int) -> Any:
    def replace(item: Any) -> Any:
        if isinstance(item, SizedProxy):
            if item.examples is None:
                raise _UnknownValueError
            return item.examples[index]
        if isinstance(item, fx.proxy.Attribute):
            return getattr(replace(item.root), item.attr)
        if isinstance(item, fx.Proxy):
            raise _UnknownValueError
        return item

    return map_aggregate(value, replace)


def _fetch(root: nn.Module, target: str) -> Any:
    """A copy of the parameter or buffer ``target``: examples never touch the model."""
    value: Any = root
    try:
        for part in target.split("."):
            value = getattr(value, part)
    except AttributeError:
        return None
    return value.detach().clone() if isinstance(value, torch.Tensor) else value


@contextlib.contextmanager
def _eval_mode(module: nn.Module) -> Iterator[None]:
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, flag in flags:
            m.training = flag
