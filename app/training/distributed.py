"""Data-parallel training on torch.distributed, launched by torch's own launcher.

``convas train FILE --nproc N`` re-runs this module under ``torch.distributed.run``
(torchrun, through ``app.training.launch``), which starts N processes per node and
sets RANK / WORLD_SIZE / MASTER_ADDR. Each process runs the ordinary engine loop
with ``DistributedHooks``: the model is wrapped in DistributedDataParallel, each
epoch's shuffled indices are split between ranks, metrics are summed across ranks,
and only rank 0 prints and writes files. At the end the ranks compare checksums of
their weights, so a run proves that what rank 0 wrote is what every rank holds.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from app.training.hooks import TrainHooks


class DistributedHooks(TrainHooks):
    def __init__(self) -> None:
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))

    def wrap_model(self, model: nn.Module) -> nn.Module:
        if next(model.parameters()).is_cuda:
            return nn.parallel.DistributedDataParallel(model, device_ids=[self.local_rank])
        return nn.parallel.DistributedDataParallel(model)

    def shard(self, order: torch.Tensor) -> torch.Tensor:
        """Every rank gets the same number of samples, so all take the same steps."""
        usable = len(order) - len(order) % self.world_size
        return order[self.rank : usable : self.world_size]

    def reduce_sum(self, values: torch.Tensor) -> torch.Tensor:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return values


def launch_command(args: argparse.Namespace, passthrough: list[str]) -> list[str]:
    """The torch.distributed.run command line for ``convas train --nproc``."""
    command = [
        sys.executable,
        "-m",
        "app.training.launch",  # torch.distributed.run with a one-line failure report
        f"--nproc-per-node={args.nproc}",
        f"--nnodes={args.nnodes}",
        f"--node-rank={args.node_rank}",
    ]
    if args.master:
        host, _, port = args.master.rpartition(":")
        command += [f"--master-addr={host}", f"--master-port={port}"]
    elif args.nnodes == 1:
        command += ["--standalone"]  # torchrun picks a free local port
    return [*command, "-m", "app.training.distributed", *passthrough]


def main(argv: list[str] | None = None) -> int:
    """Entry point of one worker process (started by torch.distributed.run)."""
    from app.commands.train import OVERRIDES, add_arguments, config_from_args
    from app.training.engine import TrainingError, train
    from app.training.progress import ProgressPrinter
    from graph_io.yaml_io import load_graph
    from nodes.errors import ConvasError

    parser = argparse.ArgumentParser(prog="convas-train-worker")
    add_arguments(parser)
    args = parser.parse_args(argv)
    backend = "nccl" if torch.cuda.is_available() and args.device != "cpu" else "gloo"
    dist.init_process_group(backend)
    hooks = DistributedHooks()
    if backend == "nccl":
        torch.cuda.set_device(hooks.local_rank)
    try:
        graph = load_graph(args.file)
        config = config_from_args(graph, args, OVERRIDES)
        printer = ProgressPrinter(enabled=hooks.is_main and not args.quiet)
        out = Path(args.out) if args.out else None
        result = train(
            graph,
            config,
            on_event=printer,
            out_dir=out,
            hooks=hooks,
            base_dir=Path(args.file).resolve().parent,
        )
        printer.close()
        model_sum = torch.tensor([result.weights_checksum], dtype=torch.float64)
        gathered = [torch.zeros(1, dtype=torch.float64) for _ in range(hooks.world_size)]
        dist.all_gather(gathered, model_sum)
        if hooks.is_main:
            same = all(torch.equal(g, gathered[0]) for g in gathered)
            print(
                f"{hooks.world_size} ranks: weights "
                f"{'identical' if same else 'DIFFER'} (checksum {gathered[0].item():.6f}); "
                f"{result.samples_per_s:,.0f} samples/s in {result.wall_s:.1f} s"
            )
            final = result.final_val_accuracy
            if final is not None:
                print(f"val accuracy {final:.1%}")
            for file in result.files:
                print(f"  wrote {file}")
            if not same:
                return 1
        return 0
    except (TrainingError, ConvasError) as exc:
        if hooks.is_main:  # every rank meets the same problem: say it once
            print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or a broken environment: name the rank, no traceback
        print(f"error: rank {hooks.rank}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if sys.exc_info()[0] is None:
            dist.barrier()  # leave together: no rank tears down while a peer still talks
        dist.destroy_process_group()


def exit_now(code: int) -> None:
    """Leave without running C++ static destructors.

    After ``destroy_process_group`` a gloo worker can still abort in torch's own
    teardown ("terminate called without an active exception", exit -6) in about one
    run in eight on this machine, which torchrun reports as a failed run although
    every file was written. All work is done and closed by now, so the streams are
    flushed and the process ends at once.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
