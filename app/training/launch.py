"""Start a distributed run with torch's launcher, and report a failure in one line.

``torch.distributed.run`` answers any failed worker with a ``ChildFailedError``
traceback and a page-long table, which buried the worker's own message ("error:
unknown dataset ...") under 40 lines. This wrapper runs the same launcher in
process, lets the workers print their own errors, and turns the launcher's failure
into one line naming the rank and exit code.

Run as ``python -m app.training.launch TORCHRUN-ARGS...`` (see ``launch_command``).
"""

from __future__ import annotations

import logging
import sys


def main(argv: list[str]) -> int:
    from torch.distributed import run as torchrun
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    # The launcher logs each failed worker at ERROR level before raising; the
    # summary below says the same once.
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)
    logging.getLogger("torch.distributed.run").setLevel(logging.ERROR)  # the OMP banner
    try:
        torchrun.run(torchrun.parse_args(argv))  # type: ignore[no-untyped-call]
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        code = failure.exitcode
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        print(
            f"error: distributed training failed: rank {rank} {how} (its own message, if "
            "any, is above)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
