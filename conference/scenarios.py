"""Scripted scenarios, one per demo and one for the curtain: a lag to set and texts to write.

The presenter starts one with a click (or replays it with "r"); static/showcase/presenter.js
posts `lag` to the control panel, then writes each text through the page's write form.
"""

from dataclasses import asdict, dataclass, field

from demos.catalog import CURTAIN


@dataclass(frozen=True)
class Scenario:
    slug: str  # a demo's slug, or "curtain"
    title: str
    texts: tuple[str, ...]
    # Form fields of the control panel's lag form; booleans go as "1"/"0".
    lag: dict = field(default_factory=dict)
    pause_ms: int = 700

    def as_data(self) -> dict:
        data = asdict(self)
        data["lag"] = {k: int(v) if isinstance(v, bool) else v for k, v in self.lag.items()}
        return data


def _lag(delay_ms: int, slow_ms: int = 2000, *, jitter_ms: int = 0, failure_rate: float = 0.0, reorder=False):
    return {
        "delay_ms": delay_ms,
        "jitter_ms": jitter_ms,
        "failure_rate": failure_rate,
        "reorder": reorder,
        "paused": False,
        "replica_slow": slow_ms,
    }


SCENARIOS = (
    Scenario(
        CURTAIN,
        "Three writes at lag 3 s: watch them travel",
        ("Hello, back row!", "Is this thing on?", "Eventually, everything arrives"),
        _lag(3000),
    ),
    Scenario(
        "optimistic",
        "Add three to-dos at lag 3 s, one in five refused",
        ("Buy more coffee", "Rehearse the demo", "Charge the clicker"),
        _lag(3000, failure_rate=0.2),
    ),
    Scenario(
        "read-your-writes",
        "Post three comments at lag 3 s",
        ("Where is my comment?", "Posting again, just in case", "Oh, there it is"),
        _lag(3000),
    ),
    Scenario(
        "pending",
        "Place two orders at lag 4 s, one in four refused",
        ("Order: 2 tickets", "Order: 1 hoodie"),
        _lag(4000, failure_rate=0.25),
        pause_ms=1200,
    ),
    Scenario(
        "push",
        "Announce three things at lag 2 s",
        ("Lunch is served", "Slides are online", "Last talk in 10 minutes"),
        _lag(2000),
    ),
    Scenario(
        "monotonic-reads",
        "Three comments with the slow replica 5 s behind",
        ("First comment", "Second comment", "Third comment"),
        _lag(500, 5000),
    ),
    Scenario(
        "consistent-prefix",
        "Question then answer, with jitter and reordering",
        ("Q: Where is the coffee?", "A: Room B, next to the stage", "Q: Thanks! Any milk?"),
        _lag(1500, jitter_ms=1500, reorder=True),
        pause_ms=400,
    ),
    Scenario(
        "conflicts",
        "Two quick edits at lag 2 s",
        ("Title: Shell Game", "Title: The Shell Game"),
        _lag(2000),
        pause_ms=300,
    ),
    Scenario(
        "business-process",
        "Book three tickets at lag 3 s, three in ten refused",
        ("Ticket for Ada", "Ticket for Grace", "Ticket for Linus"),
        _lag(3000, failure_rate=0.3),
    ),
)
BY_SLUG = {scenario.slug: scenario for scenario in SCENARIOS}
