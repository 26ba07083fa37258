"""A run as the replay engine (static/runs/replay.js) reads it: the demo's shape and the events."""

from demos import registry

from .models import Run
from .recorder import to_ms


def replay_data(run: Run) -> dict:
    demo = registry.get(run.demo)
    scenario = demo.scenario if demo else None
    replicas = sorted({e["r"] for e in run.events if "r" in e})
    # The replica the demo's page shows live; otherwise the first that settled anything.
    shown = demo.replica if demo and demo.replica in replicas else (replicas[0] if replicas else "")
    return {
        "id": run.pk,
        "kind": run.kind,
        "title": run.title,
        "seed": run.seed,
        "lag": run.lag,
        "started": to_ms(run.started_at),
        "ended": to_ms(run.ended_at),
        "demo": {
            "slug": run.demo,
            "title": demo.title if demo else run.demo,
            "panes": list(demo.panes) if demo else ["naive", "trick"],
            "naive": demo.naive if demo else "what the replica had applied",
            "trick": demo.trick if demo else "every accepted write, pending until applied",
            "replica": shown,
            "guide": list(getattr(scenario, "guide", ())),
        },
        "replicas": replicas,
        "events": run.events,
    }
