"""The Convas application: CLI, editor and training runner."""

import os

# torch's CPU kernels run on an OpenMP team as wide as the machine, whose threads by
# default spin while they wait for each other. When another program holds a core (a
# browser, a build, a second run), the thread the team waits for is not running and
# every training step waits out scheduler slices: digits_cnn trained 8x slower on a
# busy 2-core machine (benchmarks/bench_busy_machine.py). Waiting threads that sleep
# cost little when the machine is idle. Set before any module imports torch; a policy
# the user set wins, and CONVAS_KEEP_OMP_WAIT_POLICY=1 leaves OpenMP's own default.
if not os.environ.get("CONVAS_KEEP_OMP_WAIT_POLICY"):
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
