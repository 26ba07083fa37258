"""Named lag settings the presenter switches between with one click."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    slug: str
    title: str
    blurb: str
    changes: dict = field(default_factory=dict)
    replica_lag: dict = field(default_factory=dict)


PRESETS = (
    Preset(
        "lan",
        "LAN",
        "almost instant: the shell game is easy",
        {"delay_ms": 50, "jitter_ms": 20, "failure_rate": 0.0, "reorder": False, "paused": False},
        {"slow": 100},
    ),
    Preset(
        "realistic",
        "Realistic",
        "a busy cloud: about a second, sometimes a no",
        {"delay_ms": 1000, "jitter_ms": 500, "failure_rate": 0.05, "reorder": False, "paused": False},
        {"slow": 2000},
    ),
    Preset(
        "bad-wifi",
        "Bad Wi-Fi",
        "seconds of lag, out of order, one in six refused",
        {"delay_ms": 3000, "jitter_ms": 2500, "failure_rate": 0.15, "reorder": True, "paused": False},
        {"slow": 5000},
    ),
    # Only the switch: writes queue up with whatever lag was set, and flow on heal.
    Preset("partition", "Partition", "the replicas are cut off: writes queue up", {"paused": True}),
)
BY_SLUG = {preset.slug: preset for preset in PRESETS}
