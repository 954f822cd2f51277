"""The training loop shared by the editor, the CLI and distributed runs.

Data lives in memory as tensors and batches are cut by index, so a step costs what a
hand-written PyTorch loop costs — no DataLoader workers, no per-sample Python. The
loop reports through ``on_event`` and checks a ``threading.Event`` after every batch,
so the GUI stays responsive and Stop takes effect within one batch.

Distributed training plugs in through ``TrainHooks`` instead of a second loop: it
wraps the model (DDP), shards each epoch's shuffled indices by rank, sums metrics
across ranks, and lets only the main rank write files.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from app.training.data import PreparedData, prepare_data
from app.training.device import resolve_device
from app.training.events import (
    BatchEnd,
    EpochEnd,
    Event,
    Log,
    RunEnd,
    RunFailed,
    TrainResult,
)
from app.training.hooks import TrainHooks
from app.training.memory_guard import MemoryGuardError, check_memory
from app.training.run_folder import Checkpoint, RunRecorder
from graph_io.compiler import compile_graph
from graph_io.model import Graph
from graph_io.shapes import infer
from graph_io.train_memory import bytes_text
from graph_io.training_config import TrainingConfig
from nodes.errors import ConvasError

EVENT_INTERVAL_S = 0.05


class TrainingError(ConvasError):
    """A run that cannot start or had to stop; the message says what to change."""


def check_output(graph: Graph, classes: int, dataset: str) -> None:
    """The last layer must produce one score per class, checked before any work."""
    report = infer(graph)
    if not report.ok:
        raise TrainingError("the graph is not valid: " + report.problems[0].message)
    shape = report.output_shape
    assert report.output is not None
    assert shape is not None
    node = graph.nodes[report.output]
    if len(shape) != 1:
        raise TrainingError(
            f"output of {node.type} '{node.id}' is a {len(shape)}-D tensor; a classifier "
            "ends with a vector — add Flatten (or GlobalAvgPool2D) and Dense"
        )
    if shape[0] != classes:
        fix = (
            f"set Units of Dense '{node.id}' to {classes}"
            if node.type == "Dense"
            else (f"end the graph with a Dense layer of {classes} units")
        )
        raise TrainingError(
            f"output of {node.type} '{node.id}' has {shape[0]} values but dataset "
            f"'{dataset}' has {classes} classes — {fix}"
        )


def ends_with_softmax(graph: Graph) -> bool:
    report = infer(graph)
    if report.output is None:
        return False
    params = graph.nodes[report.output].params
    return "Softmax" in (params.get("activation"), params.get("function"))


def make_optimizer(model: nn.Module, config: TrainingConfig) -> torch.optim.Optimizer:
    params = model.parameters()
    if config.optimizer == "SGD":
        return torch.optim.SGD(
            params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    if config.optimizer == "AdamW":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def loss_function(graph: Graph) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Cross-entropy on scores; a graph that already ends in Softmax gets NLL on its log.

    Both give the same gradient for the same probabilities, so users may keep Softmax
    in the graph for nicer predictions without breaking training.
    """
    if ends_with_softmax(graph):
        return lambda out, y: F.nll_loss(torch.log(out.clamp_min(1e-12)), y)
    return F.cross_entropy


def evaluate_split(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    batch: int = 512,
) -> tuple[float, float]:
    """(mean loss, accuracy) over a whole split, without gradients."""
    if len(y) == 0:
        return math.nan, math.nan
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(y), batch):
            out = model(x[start : start + batch])
            target = y[start : start + batch]
            total_loss += float(loss_fn(out, target)) * len(target)
            correct += int((out.argmax(1) == target).sum())
    model.train(was_training)
    return total_loss / len(y), correct / len(y)


def train(
    graph: Graph,
    config: TrainingConfig | None = None,
    *,
    on_event: Callable[[Event], None] | None = None,
    stop: threading.Event | None = None,
    out_dir: Path | None = None,
    hooks: TrainHooks | None = None,
    base_dir: Path | None = None,
    data: PreparedData | None = None,
    resume: Checkpoint | None = None,
) -> TrainResult:
    """Train ``graph`` as configured; raises ``TrainingError`` when it cannot start.

    A loss that becomes NaN or infinite ends the run with ``RunFailed`` and a
    ``TrainingError`` carrying the explanation. With ``out_dir`` the run is kept there
    as it happens (``app.training.run_folder``), including when it stops or fails.
    ``resume`` continues from a checkpoint of that folder: the epochs after it end
    with the same weights as a run that was never interrupted.
    """
    config = config or TrainingConfig.from_section(graph.training)
    hooks = hooks or TrainHooks()
    emit = on_event or (lambda event: None)
    stop = stop or threading.Event()
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    report = infer(graph)
    if not report.ok:  # before loading data, which an impossible Input could blow up
        raise TrainingError("the graph is not valid: " + report.problems[0].message)
    try:
        memory = check_memory(
            graph, config, device, base_dir=base_dir, data_loaded=data is not None
        )
    except MemoryGuardError as exc:
        raise TrainingError(str(exc)) from None
    data = data or prepare_data(graph, config, base_dir)
    if data.warning:
        emit(Log(data.warning))
    check_output(graph, data.train.num_classes, data.train.name)
    if ends_with_softmax(graph):
        emit(
            Log(
                "the last layer applies Softmax; training uses NLL on its log "
                "(equivalent to cross-entropy on the scores)"
            )
        )
    model = compile_graph(graph, seed=config.seed)
    if resume is not None:
        model.load_state_dict(resume.model)
    model = hooks.wrap_model(model.to(device))
    optimizer = make_optimizer(model, config)
    loss_fn = loss_function(graph)
    generator = torch.Generator().manual_seed(config.seed)
    first_epoch, earlier_s = 1, 0.0
    if resume is not None:
        optimizer.load_state_dict(resume.optimizer)
        torch.set_rng_state(resume.torch_rng)
        generator.set_state(resume.order_rng)
        first_epoch, earlier_s = resume.epoch + 1, resume.elapsed_s
    recorder = RunRecorder(out_dir, emit) if out_dir is not None and hooks.is_main else None
    if recorder is not None:
        recorder.start(graph, config, data, device, base_dir=base_dir, resumed=resume)
    try:
        return _loop(
            config,
            model,
            optimizer,
            loss_fn,
            data,
            device,
            generator,
            hooks,
            emit,
            stop,
            recorder,
            first_epoch,
            earlier_s,
            reporting=on_event is not None,
            eval_batch=memory.eval_batch_size(),
        )
    except BaseException as exc:
        if recorder is not None:
            interrupted = isinstance(exc, KeyboardInterrupt)
            recorder.finish(
                "stopped" if interrupted else "crashed", None, str(exc) or type(exc).__name__
            )
        if out_of_memory(exc):
            raise TrainingError(
                f"ran out of memory at batch size {config.batch_size} although the estimate, "
                f"{bytes_text(memory.total)}, fitted (other programs may have taken memory "
                f"meanwhile) — lower the batch size; torch said: {first_line(exc)}"
            ) from None
        raise


def out_of_memory(exc: BaseException) -> bool:
    """An allocation failure from Python, torch's CPU allocator or CUDA."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(
        words in text for words in ("can't allocate memory", "out of memory", "not enough memory")
    )


def first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(exc).__name__


def _loop(
    config: TrainingConfig,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    data: PreparedData,
    device: torch.device,
    generator: torch.Generator,
    hooks: TrainHooks,
    emit: Callable[[Event], None],
    stop: threading.Event,
    recorder: RunRecorder | None,
    first_epoch: int,
    earlier_s: float,
    *,
    reporting: bool,
    eval_batch: int,
) -> TrainResult:
    """The epochs themselves; ``train`` set everything up and records failures."""
    x, y = data.train.x.to(device), data.train.y.to(device)
    vx, vy = data.val.x.to(device), data.val.y.to(device)
    batch_size = config.batch_size
    history: list[EpochEnd] = []
    started = time.perf_counter() - earlier_s
    seen_total = 0
    batches_run = 0
    stopped = False
    model.train()
    for epoch in range(first_epoch, config.epochs + 1):
        order = hooks.shard(torch.randperm(len(y), generator=generator)).to(device)
        batches = max(1, math.ceil(len(order) / batch_size))
        epoch_start = time.perf_counter()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        seen = 0
        last_emit = 0.0
        for index in range(batches):
            chunk = order[index * batch_size : (index + 1) * batch_size]
            xb, yb = x[chunk], y[chunk]
            out = model(xb)
            loss = loss_fn(out, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            value = loss.detach().item()
            if not math.isfinite(value):
                message = (
                    f"loss became {'NaN' if math.isnan(value) else 'infinite'} at epoch "
                    f"{epoch}, batch {index + 1} — lower the learning rate (now {config.lr:g})"
                    ", add BatchNorm2D, or check the data for invalid values"
                )
                emit(RunFailed(message))
                raise TrainingError(message)
            loss_sum += loss.detach() * len(yb)
            correct += (out.detach().argmax(1) == yb).sum()
            seen += len(yb)
            batches_run += 1
            now = time.perf_counter()
            last = index + 1 == batches
            if reporting and (last or now - last_emit >= EVENT_INTERVAL_S):
                last_emit = now
                rate = (seen_total + seen) / max(now - started - earlier_s, 1e-9)
                remaining = (config.epochs - epoch) * len(order) + len(order) - seen
                emit(
                    BatchEnd(
                        epoch,
                        config.epochs,
                        index + 1,
                        batches,
                        value,
                        int(correct) / seen,
                        rate,
                        remaining / max(rate, 1e-9),
                    )
                )
            if stop.is_set():
                stopped = True
                break
        seen_total += seen
        totals = hooks.reduce_sum(
            torch.stack(
                [loss_sum.float(), correct.float(), torch.tensor(float(seen), device=device)]
            )
        )
        train_loss, train_acc = float(totals[0] / totals[2]), float(totals[1] / totals[2])
        val_loss, val_acc = evaluate_split(model, vx, vy, loss_fn, eval_batch)
        elapsed = time.perf_counter() - epoch_start
        record = EpochEnd(
            epoch,
            config.epochs,
            train_loss,
            train_acc,
            None if math.isnan(val_loss) else val_loss,
            None if math.isnan(val_acc) else val_acc,
            float(totals[2]) / max(elapsed, 1e-9),
            time.perf_counter() - started,
        )
        history.append(record)
        if recorder is not None:
            recorder.epoch_end(
                record,
                complete=not stopped,
                model=hooks.unwrap(model),
                optimizer=optimizer,
                order=generator,
            )
        emit(record)
        if stopped:
            emit(Log(f"stopped by request during epoch {epoch}"))
            break
    wall = time.perf_counter() - started
    rate = seen_total * hooks.world_size / max(wall - earlier_s, 1e-9)
    plain = hooks.unwrap(model)
    files: list[Path] = []
    out_dir = None if recorder is None else recorder.path
    if recorder is not None:
        files = recorder.finish("stopped" if stopped else "finished", plain)
    checksum = float(
        sum(p.detach().double().sum() * (i + 1) for i, p in enumerate(plain.parameters()))
    )
    state = {k: v.detach().to("cpu", copy=True) for k, v in plain.state_dict().items()}
    result = TrainResult(history, wall, rate, stopped, batches_run, checksum, out_dir, files, state)
    emit(RunEnd(result))
    return result
