"""The run folder: everything one training run leaves behind, written as it happens.

Every run — from ``convas train`` or the editor's Training dock — is kept in its own
folder, ``runs/NAME-TIME/`` by default. This module is the one place that knows the
layout (docs/format.md describes it for people and tools):

=========================  ====================================================
``run.json``               status (running/finished/stopped/crashed), dates,
                           epochs, best accuracy, duration — rewritten atomically
``graph.yaml``             the graph exactly as trained, with its ``training:``
``config.json``            every training setting (defaults included)
``environment.json``       torch, python, platform, device, threads
``summary.txt``            the model summary table (``convas summary``)
``normalization.json``     the input statistics evaluation must reuse
``metrics.jsonl``          one JSON object per epoch, appended as epochs end
``metrics.csv``            the same rows for spreadsheets
``best.safetensors``       weights of the epoch with the best validation accuracy
``model.safetensors``      the final weights
``checkpoint.safetensors`` the last finished epoch: model, optimizer, RNG and data
                           order state — what ``convas train --resume`` continues
=========================  ====================================================

Files are written when their content exists rather than at the end, so a run that
is stopped or crashes keeps every epoch it finished: the metrics, the best weights
and the checkpoint of its last finished epoch (which also becomes its final weights).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import platform
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from safetensors import SafetensorError

from app.training.data import PreparedData
from app.training.events import EpochEnd, Event, Log
from app.training.outputs import rescue_dir
from graph_io.atomic import write_atomic
from graph_io.file_names import safe_file_stem
from graph_io.model import Graph
from graph_io.shapes import infer
from graph_io.summary import format_table
from graph_io.training_config import TrainingConfig
from graph_io.yaml_io import dumps_graph
from nodes.errors import ConvasError

if TYPE_CHECKING:  # only writing and resuming runs need torch; listing them must not
    import torch

FORMAT = "convas-run-1"
STATUS_FILE = "run.json"
GRAPH_FILE = "graph.yaml"
CONFIG_FILE = "config.json"
ENVIRONMENT_FILE = "environment.json"
SUMMARY_FILE = "summary.txt"
NORMALIZATION_FILE = "normalization.json"
METRICS_FILE = "metrics.jsonl"
METRICS_CSV = "metrics.csv"
BEST_WEIGHTS = "best.safetensors"
FINAL_WEIGHTS = "model.safetensors"
CHECKPOINT_FILE = "checkpoint.safetensors"
RUNS_DIR_ENV = "CONVAS_RUNS_DIR"

Status = Literal["running", "finished", "stopped", "crashed"]
METRIC_FIELDS = [*EpochEnd.__dataclass_fields__, "complete"]


class RunError(ConvasError):
    """A run folder that cannot be read or resumed; the message names the file."""


class RunWriteError(RunError):
    """A run's files could be written neither to its folder nor to a rescue folder."""


def runs_root() -> Path:
    """Where runs go: ``$CONVAS_RUNS_DIR``, else ``runs/`` in the current folder."""
    return Path(os.environ.get(RUNS_DIR_ENV) or "runs")


def new_run_path(graph_name: str, root: Path | None = None) -> Path:
    """``ROOT/NAME-YYYYMMDD-HHMMSS``, with ``-2``, ``-3``… if that second is taken."""
    stem = safe_file_stem(graph_name)  # a graph file must not choose where Convas writes
    base = (root or runs_root()) / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _json(data: object) -> str:
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def environment(device: torch.device) -> dict[str, Any]:
    """What a run's numbers depend on besides the graph, its config and the data."""
    from importlib.metadata import PackageNotFoundError, version

    import torch

    try:
        convas = version("convas")
    except PackageNotFoundError:
        convas = "dev"
    return {
        "convas": convas,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "device": str(device),
        "device_name": (
            torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
        ),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
    }


# ---- checkpoints ----------------------------------------------------------------


@dataclass
class Checkpoint:
    """The state after a finished epoch: enough to continue as if never interrupted."""

    epoch: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]  # torch's Optimizer.state_dict() layout
    torch_rng: torch.Tensor  # the global CPU generator (dropout, augmentation)
    order_rng: torch.Tensor  # the generator that shuffles each epoch's batches
    elapsed_s: float
    best_accuracy: float | None


def checkpoint_bytes(
    epoch: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    order: torch.Generator,
    elapsed_s: float,
    best_accuracy: float | None,
) -> bytes:
    """A safetensors file: tensors as tensors, everything else as JSON metadata."""
    import torch
    from safetensors.torch import save as save_tensors

    tensors = {f"model.{k}": v.detach().to("cpu") for k, v in model.state_dict().items()}
    state = optimizer.state_dict()
    plain: dict[str, dict[str, Any]] = {}
    for index, values in state["state"].items():
        plain[str(index)] = {}
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{name}"] = value.detach().to("cpu")
            else:
                plain[str(index)][name] = value
    tensors["rng.torch"] = torch.get_rng_state()
    tensors["rng.order"] = order.get_state()
    metadata = {
        "format": "convas-checkpoint-1",
        "epoch": str(epoch),
        "elapsed_s": repr(elapsed_s),
        "best_accuracy": json.dumps(best_accuracy),
        "optimizer": json.dumps({"state": plain, "param_groups": state["param_groups"]}),
    }
    return save_tensors({k: v.contiguous() for k, v in tensors.items()}, metadata=metadata)


def load_checkpoint(path: Path) -> Checkpoint:
    """Read a checkpoint written by ``checkpoint_bytes``; ``RunError`` names the problem."""
    from safetensors.torch import load as load_tensors

    try:
        raw = path.read_bytes()
        tensors = load_tensors(raw)
        metadata = _safetensors_metadata(raw)
        epoch = int(metadata["epoch"])
        optimizer_meta = json.loads(metadata["optimizer"])
        elapsed = float(metadata["elapsed_s"])
        best = json.loads(metadata["best_accuracy"])
    except FileNotFoundError:
        raise RunError(
            f"{path}: no checkpoint — the run did not finish an epoch, so there is nothing "
            "to resume; start it again with convas train"
        ) from None
    except (OSError, SafetensorError, KeyError, ValueError) as exc:
        raise RunError(f"{path}: not a Convas checkpoint ({exc})") from None
    state: dict[int, dict[str, Any]] = {
        int(i): dict(values) for i, values in optimizer_meta["state"].items()
    }
    model: dict[str, torch.Tensor] = {}
    for key, tensor in tensors.items():
        group, _, rest = key.partition(".")
        if group == "model":
            model[rest] = tensor
        elif group == "optimizer":
            index, _, name = rest.partition(".")
            state.setdefault(int(index), {})[name] = tensor
    return Checkpoint(
        epoch,
        model,
        {"state": state, "param_groups": optimizer_meta["param_groups"]},
        tensors["rng.torch"],
        tensors["rng.order"],
        elapsed,
        best,
    )


def _safetensors_metadata(raw: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file (its header is 8 bytes of length + JSON)."""
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + size])
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict):
        raise ValueError("header has no metadata")
    return {str(k): str(v) for k, v in metadata.items()}


# ---- writing a run --------------------------------------------------------------


class RunRecorder:
    """Writes one run folder while the engine trains (main process only).

    ``start`` writes what is known before training, ``epoch_end`` appends metrics
    and saves the best weights and a checkpoint, ``finish`` writes the final weights
    and the status. Each file is replaced atomically, so a kill at any moment leaves
    the previous complete version. If the folder cannot be written (it vanished, the
    disk filled up), the run moves to a fresh folder in the system's temporary
    directory with what it already wrote, and says where: a run is never lost.
    """

    def __init__(self, path: Path, emit: Callable[[Event], None] | None = None) -> None:
        self.path = self.original = path
        self.emit = emit or (lambda event: None)
        self.info: dict[str, Any] = {"graph": path.name}
        self.best: float | None = None
        self.rescued = False

    def start(
        self,
        graph: Graph,
        config: TrainingConfig,
        data: PreparedData,
        device: torch.device,
        *,
        base_dir: Path | None,
        resumed: Checkpoint | None = None,
    ) -> None:
        self.info["graph"] = graph.name
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._rescue(exc)
        if resumed is None:  # with --overwrite: no weights of an earlier run stay behind
            for name in (FINAL_WEIGHTS, BEST_WEIGHTS, CHECKPOINT_FILE):
                (self.path / name).unlink(missing_ok=True)
        trained = graph.copy()
        trained.training = config.model_dump(exclude_defaults=True) or None
        settings = {
            "format": FORMAT,
            "training": config.model_dump(),
            "base_dir": str(base_dir.resolve()) if base_dir is not None else None,
        }
        self._write(CONFIG_FILE, _json(settings))
        self._write(ENVIRONMENT_FILE, _json(environment(device)))
        previous = self._read_info() if resumed is not None else {}
        if resumed is None:
            self._write(GRAPH_FILE, dumps_graph(trained))
            self._write(SUMMARY_FILE, format_table(graph, infer(graph)) + "\n")
            normalization = {**data.normalization.to_dict(), "classes": data.train.classes}
            self._write(NORMALIZATION_FILE, _json(normalization))
            self._write(METRICS_FILE, "")
        else:
            self.best = resumed.best_accuracy
            kept = [row for row in read_metrics(self.path) if row["epoch"] <= resumed.epoch]
            self._write(METRICS_FILE, "".join(json.dumps(row) + "\n" for row in kept))
        self.info = {
            "format": FORMAT,
            "status": "running",
            "graph": graph.name,
            "dataset": config.dataset if config.path is None else f"{config.dataset}:{config.path}",
            "started": previous.get("started", _now()),
            "updated": _now(),
            "ended": None,
            "epochs": config.epochs,
            "epochs_done": resumed.epoch if resumed is not None else 0,
            "best_val_accuracy": previous.get("best_val_accuracy"),
            "best_epoch": previous.get("best_epoch"),
            "final_val_accuracy": previous.get("final_val_accuracy"),
            "duration_s": resumed.elapsed_s if resumed is not None else 0.0,
            "resumed": [*previous.get("resumed", []), _now()] if resumed is not None else [],
            "error": None,
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
        self._write_metrics_csv()
        self._write_info()

    def epoch_end(
        self,
        record: EpochEnd,
        *,
        complete: bool,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        order: torch.Generator,
    ) -> None:
        row = {**asdict(record), "complete": complete}
        self._with_rescue(lambda: self._append(METRICS_FILE, json.dumps(row) + "\n"))
        self._write_metrics_csv()
        score = record.val_accuracy if record.val_accuracy is not None else record.train_accuracy
        if self.best is None or score > self.best:
            self.best = score
            self.info["best_epoch"] = record.epoch
            self._write(BEST_WEIGHTS, _weights_bytes(model.state_dict(), self.info["graph"]))
        if record.val_accuracy is not None:
            best = self.info.get("best_val_accuracy")
            self.info["best_val_accuracy"] = max(record.val_accuracy, best or 0.0)
        self.info["final_val_accuracy"] = record.val_accuracy
        self.info["duration_s"] = record.elapsed_s
        if complete:
            self.info["epochs_done"] = record.epoch
            self._write(
                CHECKPOINT_FILE,
                checkpoint_bytes(
                    record.epoch, model, optimizer, order, record.elapsed_s, self.best
                ),
            )
        self.info["updated"] = _now()
        self._write_info()

    def finish(
        self, status: Status, model: torch.nn.Module | None, error: str | None = None
    ) -> list[Path]:
        """Final weights (``model``, or the last checkpoint's when None) and the status."""
        state: Mapping[str, torch.Tensor] | None = model.state_dict() if model is not None else None
        if state is None and (self.path / CHECKPOINT_FILE).is_file():
            state = load_checkpoint(self.path / CHECKPOINT_FILE).model
        if state is not None:
            self._write(FINAL_WEIGHTS, _weights_bytes(state, self.info["graph"]))
        self.info.update(status=status, ended=_now(), updated=_now(), error=error)
        self._write_info()
        return [self.path / name for name in run_files() if (self.path / name).is_file()]

    # ---- helpers
    def _write(self, name: str, data: str | bytes) -> None:
        self._with_rescue(lambda: write_atomic(self.path / name, data))

    def _append(self, name: str, text: str) -> None:
        with (self.path / name).open("a", encoding="utf-8") as handle:
            handle.write(text)

    def _with_rescue(self, write: Callable[[], None]) -> None:
        """Run ``write``; if it fails, rescue the run once and try there."""
        try:
            write()
        except OSError as exc:
            self._rescue(exc)
            try:
                write()
            except OSError as again:
                raise self._cannot_write(again) from None

    def _cannot_write(self, exc: OSError) -> RunWriteError:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            reason += " (the disk is full or a file-size limit applies)"
        places = f"{self.original} nor in {self.path}" if self.rescued else str(self.original)
        return RunWriteError(
            f"cannot write the run's files: {reason} — not in {places}; what was written "
            f"before that is in {self.original}"
        )

    def _rescue(self, exc: OSError) -> None:
        """Move on to a fresh temporary folder, taking along what was written so far."""
        if self.rescued:
            raise self._cannot_write(exc)
        try:
            rescue = rescue_dir(str(self.info.get("graph", "run")))
        except OSError:
            raise self._cannot_write(exc) from None
        for name in run_files():
            try:
                (rescue / name).write_bytes((self.path / name).read_bytes())
            except OSError:
                continue
        self.emit(
            Log(
                f"cannot write the run to {self.path} ({exc.strerror or exc}); saved it to "
                f"{rescue} instead — move it where you want it"
            )
        )
        self.path, self.rescued = rescue, True

    def _write_info(self) -> None:
        self._write(STATUS_FILE, _json(self.info))

    def _read_info(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / STATUS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_metrics_csv(self) -> None:
        table = io.StringIO(newline="")
        writer = csv.DictWriter(table, fieldnames=METRIC_FIELDS)
        writer.writeheader()
        writer.writerows(read_metrics(self.path))
        self._write(METRICS_CSV, table.getvalue())


def run_files() -> tuple[str, ...]:
    """Every file a run folder can hold, in the order people look for them."""
    return (
        FINAL_WEIGHTS,
        BEST_WEIGHTS,
        CHECKPOINT_FILE,
        GRAPH_FILE,
        CONFIG_FILE,
        METRICS_FILE,
        METRICS_CSV,
        NORMALIZATION_FILE,
        SUMMARY_FILE,
        ENVIRONMENT_FILE,
        STATUS_FILE,
    )


def _weights_bytes(state: Mapping[str, torch.Tensor], graph_name: str) -> bytes:
    from safetensors.torch import save as save_tensors

    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state.items()}
    return save_tensors(tensors, metadata={"format": "convas-weights-1", "graph": graph_name})


# ---- reading runs ---------------------------------------------------------------


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The rows of ``metrics.jsonl``; a half-written last line (a kill) is skipped."""
    try:
        text = (path / METRICS_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunError(f"{path / METRICS_FILE}: cannot read ({exc.strerror or exc})") from None
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


@dataclass(frozen=True)
class RunInfo:
    """One run as ``convas runs`` and the Runs dock list it."""

    path: Path
    status: str
    graph: str
    dataset: str
    started: str
    ended: str | None
    epochs: int
    epochs_done: int
    best_val_accuracy: float | None
    final_val_accuracy: float | None
    duration_s: float
    error: str | None
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.name,
            "path": str(self.path),
            "status": self.status,
            "graph": self.graph,
            "dataset": self.dataset,
            "started": self.started,
            "ended": self.ended,
            "epochs": self.epochs,
            "epochs_done": self.epochs_done,
            "best_val_accuracy": self.best_val_accuracy,
            "final_val_accuracy": self.final_val_accuracy,
            "duration_s": self.duration_s,
            "error": self.error,
        }


def _alive_elsewhere(raw: Mapping[str, Any]) -> bool:
    """Is the process that last wrote this running run still alive (on this host)?"""
    pid, host = raw.get("pid"), raw.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return True  # cannot tell from here: trust the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def read_run(path: Path) -> RunInfo:
    """The run in folder ``path``; ``RunError`` when it is not a readable run folder.

    A run whose file still says *running* but whose process on this machine is gone
    was killed without a chance to say so: it is reported as *crashed*.
    """
    file = path / STATUS_FILE
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{path}: not a run folder (no {STATUS_FILE})") from None
    except (OSError, ValueError) as exc:
        raise RunError(f"{file}: unreadable ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise RunError(f"{file}: not a Convas run file (expected format {FORMAT})")
    status = str(raw.get("status", "crashed"))
    if status == "running" and not _alive_elsewhere(raw):
        status = "crashed"
    try:
        return RunInfo(
            path,
            status,
            str(raw["graph"]),
            str(raw.get("dataset", "?")),
            str(raw.get("started", "")),
            raw.get("ended"),
            int(raw.get("epochs", 0)),
            int(raw.get("epochs_done", 0)),
            raw.get("best_val_accuracy"),
            raw.get("final_val_accuracy"),
            float(raw.get("duration_s") or 0.0),
            raw.get("error"),
            raw,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RunError(f"{file}: missing or wrong field ({exc})") from None


def list_runs(
    root: Path | None = None, graph: str | None = None, skipped: list[str] | None = None
) -> list[RunInfo]:
    """Every readable run under ``root`` (newest first), optionally of one graph name.

    Folders holding a ``run.json`` that cannot be read are left out; with ``skipped``
    their problems are added to it, so that a broken run is not silently invisible.
    A runs folder that cannot be listed gives no runs (the CLI says why first).
    """
    folder = root or runs_root()
    if not folder.is_dir():
        return []
    try:
        children = list(folder.iterdir())
    except OSError:
        return []
    runs = []
    for child in children:
        if not (child / STATUS_FILE).is_file():
            continue
        try:
            info = read_run(child)
        except RunError as exc:
            if skipped is not None:
                skipped.append(str(exc))
            continue
        if graph is None or info.graph == graph:
            runs.append(info)
    runs.sort(key=lambda r: (r.started, r.name), reverse=True)
    return runs


def find_run(name: str, root: Path | None = None) -> Path:
    """A run given as a folder path, or by its folder name inside the runs folder."""
    direct = Path(name)
    if (direct / STATUS_FILE).is_file():
        return direct
    folder = root or runs_root()
    candidate = folder / name
    if (candidate / STATUS_FILE).is_file():
        return candidate
    matches = sorted(p for p in folder.glob(f"{name}*") if (p / STATUS_FILE).is_file())
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(p.name for p in matches[:5])
        raise RunError(f"{name!r} matches {len(matches)} runs ({listed}); give the full name")
    raise RunError(
        f"no run {name!r} (looked for a folder with {STATUS_FILE} at {direct} and in "
        f"{folder}) — `convas runs` lists the runs"
    )


def load_settings(path: Path) -> tuple[TrainingConfig, Path | None]:
    """The training config a run used, and the folder its dataset paths are relative to."""
    file = path / CONFIG_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        config = TrainingConfig.from_section(data["training"])
    except FileNotFoundError:
        raise RunError(f"{path}: not a run folder (no {CONFIG_FILE})") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(f"{file}: unreadable training settings ({exc})") from None
    base = data.get("base_dir")
    return config, Path(base) if isinstance(base, str) else None


@dataclass(frozen=True)
class ResumePlan:
    """What continuing a run needs: its graph, settings, data folder and checkpoint."""

    path: Path
    graph: Graph
    config: TrainingConfig
    base_dir: Path | None
    checkpoint: Checkpoint


def plan_resume(path: Path, epochs: int | None = None) -> ResumePlan:
    """Check that the run in ``path`` can continue (optionally to ``epochs``) and load it.

    ``RunError`` says why not: still running, no finished epoch, or nothing left to do.
    """
    from graph_io.yaml_io import load_graph

    info = read_run(path)
    if info.status == "running":
        raise RunError(f"{path} is still running (process {info.raw.get('pid')})")
    config, base_dir = load_settings(path)
    if epochs is not None:
        config = TrainingConfig.from_section({**config.model_dump(), "epochs": epochs})
    graph = load_graph(path / GRAPH_FILE)
    checkpoint = load_checkpoint(path / CHECKPOINT_FILE)
    if checkpoint.epoch >= config.epochs:
        raise RunError(
            f"{path.name} already finished epoch {checkpoint.epoch} of {config.epochs}; "
            f"train it further with more epochs (e.g. --epochs {checkpoint.epoch + 5})"
        )
    return ResumePlan(path, graph, config, base_dir, checkpoint)


__all__ = [
    "Checkpoint",
    "ResumePlan",
    "RunError",
    "RunInfo",
    "RunRecorder",
    "find_run",
    "list_runs",
    "load_checkpoint",
    "new_run_path",
    "plan_resume",
    "read_metrics",
    "read_run",
    "run_files",
    "runs_root",
]
