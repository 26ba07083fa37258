"""Start the whole app on a temporary database for a benchmark, and summarise timings."""

import contextlib
import statistics
import tempfile
from pathlib import Path

from tests.live import LiveApp, start_live

# The shipped sweeper, not the tests' hurried one: with a 1.5 s grace, any backlog longer than
# that is swept up and sent again every half second, and the duplicates become the backlog.
SHIPPED_SWEEPER = {"SWEEP_GRACE_MS": "10000", "SWEEP_EVERY_S": "2"}
# Every benchmark client writes from 127.0.0.1: the per-address limit (a venue's NAT, 60 writes a
# second) would measure itself, not the server. The per-session limit stays.
ONE_ADDRESS = {"RATELIMIT_ADDRESS_WRITES": "1000000"}


@contextlib.contextmanager
def running_app(supervised: bool = False, stage: bool = False, **env: str):
    with tempfile.TemporaryDirectory(prefix="shell-game-bench-") as root:
        env = {**SHIPPED_SWEEPER, **ONE_ADDRESS, **env}
        app: LiveApp = start_live(Path(root), supervised=supervised, stage=stage, **env)
        try:
            yield app
        finally:
            app.stack.stop()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0 for no samples."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def summary(values: list[float], unit: str = "ms") -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"n={len(values)} min {ordered[0]:.0f} {unit} · median {statistics.median(ordered):.0f} {unit}"
        f" · p95 {p95:.0f} {unit} · max {ordered[-1]:.0f} {unit}"
    )
