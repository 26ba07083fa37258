"""A scripted scenario: a lag to set and texts to write, replayed by the presenter (key R).

static/showcase/scenario.js posts `lag` to the control panel, then writes each text through
the page's write form.
"""

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Scenario:
    title: str
    texts: tuple[str, ...]
    # Form fields of the control panel's lag form; booleans go as "1"/"0".
    lag: dict = field(default_factory=dict)
    pause_ms: int = 700
    # "Try this": one short line per step (what to press, what to watch), on the page and in replays.
    guide: tuple[str, ...] = ()

    def as_data(self, slug: str) -> dict:
        data = {"slug": slug, **asdict(self)}
        data["lag"] = {k: int(v) if isinstance(v, bool) else v for k, v in self.lag.items()}
        return data


def lag(delay_ms: int, slow_ms: int = 2000, *, jitter_ms: int = 0, failure_rate: float = 0.0, reorder=False) -> dict:
    return {
        "delay_ms": delay_ms,
        "jitter_ms": jitter_ms,
        "failure_rate": failure_rate,
        "reorder": reorder,
        "paused": False,
        "replica_slow": slow_ms,
    }
