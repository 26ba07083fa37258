"""Terry's baseball game against the whole app: over many games at random lag, jitter, reorder
and partitions, every read of every reader lies in what its guarantee allows."""

import os
import random

import pytest

from bench import baseball

GAMES = int(os.environ.get("BASEBALL_GAMES", "20"))
# Each game runs until every reader has the final score: minutes in all on a busy machine.
pytestmark = pytest.mark.timeout(60 * GAMES + 300)


@pytest.fixture(scope="module")
def games(live):
    live.manage("seed", "--reset")
    rng = random.Random(9)
    played = [baseball.play(live, baseball.random_lag(rng)) for _ in range(GAMES)]
    live.lag(delay_ms=0, jitter_ms=0, failure_rate=0, heal=True, no_reorder=True, replica_lag="slow=0")
    return played


def test_every_read_of_every_reader_lies_in_what_its_guarantee_allows(games):
    problems = {i: baseball.violations(game) for i, game in enumerate(games)}
    assert {i: p for i, p in problems.items() if p} == {}
    assert all(len({r.guarantee for r in game.reads}) == 6 for game in games)


def test_the_eventual_reader_shows_a_score_that_never_existed(games):
    assert any(baseball.left_prefix(game) for game in games), baseball.table(games)


def test_only_the_eventual_reader_ever_leaves_the_games_scores(games):
    outside = {r.guarantee for game in games for r in game.reads if not r.in_prefix}
    assert outside <= {"eventual", "monotonic-reads", "read-my-writes"}
    assert {r.guarantee for g in games for r in g.reads if r.score not in baseball.PREFIX} <= {"eventual"}
