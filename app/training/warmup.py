"""Pay torch's and scikit-learn's one-time start-up costs before the first run.

The editor starts without torch (importing it takes 1.5–2 s); this warm-up is also
what imports it, in the background, and ``torch_ready`` tells views that need torch
(the kernel view) whether they can use it without freezing the window.

The first optimizer step imports large parts of torch lazily, and the digits set
imports scikit-learn; loading their C extensions holds the GIL for 100–200 ms at a
time. In the editor that would freeze the window during a training thread's first
second, so the editor runs this on a background thread right after start-up and
training waits for it to finish instead of paying the cost mid-run.
"""

from __future__ import annotations

import sys
import threading

_done = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def warm_up() -> None:
    """Import and exercise what a training run uses (a few hundred ms, once)."""
    import sklearn.datasets  # noqa: F401 - imported for its side effect
    import torch
    from torch.nn import functional as F  # noqa: N812

    from app.training.engine import make_optimizer
    from graph_io.training_config import TrainingConfig

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.LazyLinear(3)
    )
    x, y = torch.zeros(2, 1, 5, 5), torch.zeros(2, dtype=torch.long)
    model(x)  # materialise the lazy layer
    for optimizer in ("SGD", "Adam", "AdamW"):
        opt = make_optimizer(model, TrainingConfig.from_section({"optimizer": optimizer}))
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
    with torch.inference_mode():
        model.eval()(x)
    _done.set()


def start_background_warm_up() -> None:
    """Start ``warm_up`` once on a daemon thread; later calls do nothing."""
    global _thread
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=_safe_warm_up, name="convas-warm-up", daemon=True)
            _thread.start()


def _safe_warm_up() -> None:
    try:
        warm_up()
    except Exception:
        pass
    finally:
        _done.set()  # a failed warm-up must never block training


def wait_until_warm(timeout: float | None = None) -> bool:
    """Block until a started warm-up is done (immediately if none was started)."""
    if _thread is None:
        return True
    return _done.wait(timeout)


def torch_ready() -> bool:
    """True when using torch on the calling thread costs no import: the warm-up has
    finished, or torch was imported with no warm-up under way (the command line,
    tests). While the warm-up is importing it, the caller should try again later
    rather than wait for the import lock."""
    if _thread is not None:
        return _done.is_set()
    return "torch" in sys.modules
