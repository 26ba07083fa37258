"""The game of Terry's paper and the scores it can be read as: plain data, no database."""

# The paper's game, in its order: (team, its runs after this write). Final: visitors 2, home 5.
GAME = (("home", 1), ("visitors", 1), ("home", 2), ("home", 3), ("visitors", 2), ("home", 4), ("home", 5))
BOUND_MS = 3000  # bounded staleness: every write older than this is visible
GUARANTEES = {
    "strong": ("Strong consistency", "the umpire"),
    "eventual": ("Eventual consistency", "the stat watcher"),
    "consistent-prefix": ("Consistent prefix", "the radio reporter"),
    "bounded-staleness": ("Bounded staleness", "never more than the bound behind"),
    "monotonic-reads": ("Monotonic reads", "never goes back"),
    "read-my-writes": ("Read my writes", "the scorekeeper"),
}

Score = tuple[int, int]  # (visitors, home)


def fmt(score: Score) -> str:
    return f"{score[0]}-{score[1]}"


def score_of(runs: list[tuple[int, str, int]]) -> Score:
    """(position, team, runs) writes: the last write per team by log position wins."""
    latest = {"visitors": (0, 0), "home": (0, 0)}
    for position, team, value in runs:
        latest[team] = max(latest[team], (position, value))
    return latest["visitors"][1], latest["home"][1]


def prefix_scores(n: int) -> list[Score]:
    """The scores the game really went through after 0, 1, … n writes."""
    return [score_of([(i, team, runs) for i, (team, runs) in enumerate(GAME[:k])]) for k in range(n + 1)]


def eventual_scores(n: int) -> set[Score]:
    """Any visitors' value written so far with any home value written so far (0 included)."""
    values = {team: {0} | {runs for t, runs in GAME[:n] if t == team} for team in ("visitors", "home")}
    return {(v, h) for v in values["visitors"] for h in values["home"]}


def key(game: str, index: int) -> str:
    return f"bb-{game}-{index}"
