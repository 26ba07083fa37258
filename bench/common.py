"""Start the whole app on a temporary database for a benchmark, and summarise timings."""

import contextlib
import statistics
import tempfile
from pathlib import Path

from tests.live import LiveApp, start_live


@contextlib.contextmanager
def running_app(supervised: bool = False, **env: str):
    with tempfile.TemporaryDirectory(prefix="shell-game-bench-") as root:
        app: LiveApp = start_live(Path(root), supervised=supervised, **env)
        try:
            yield app
        finally:
            app.stack.stop()


def summary(values: list[float], unit: str = "ms") -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"n={len(values)} min {ordered[0]:.0f} {unit} · median {statistics.median(ordered):.0f} {unit}"
        f" · p95 {p95:.0f} {unit} · max {ordered[-1]:.0f} {unit}"
    )
