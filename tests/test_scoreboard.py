"""Unit tests of the baseball readers: the paper's score sets, and each read through the real projector."""

from datetime import timedelta

import pytest
from django.utils import timezone

from demos.catalog.baseball import scoreboard
from store import log, projector
from store.data import ensure_replicas

pytestmark = pytest.mark.django_db(transaction=True)
GAME = "g1"


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


def play(upto: int, session_key: str = "scorekeeper") -> list[int]:
    positions = []
    for index, (team, runs) in enumerate(scoreboard.GAME[:upto]):
        payload = {"game": GAME, "index": index, "team": team, "runs": runs, "text": f"{team} {runs}"}
        event = log.append(scoreboard.STREAM, scoreboard.key(GAME, index), payload, session_key=session_key).event
        positions.append(event.pk)
    return positions


def test_the_game_goes_through_the_papers_eight_scores():
    scores = [scoreboard.fmt(s) for s in scoreboard.prefix_scores(7)]
    assert scores == ["0-0", "0-1", "1-1", "1-2", "1-3", "2-3", "2-4", "2-5"]


def test_eventual_allows_any_mix_of_values_written():
    assert len(scoreboard.eventual_scores(7)) == 3 * 6
    assert (2, 1) in scoreboard.eventual_scores(7) and (2, 1) not in scoreboard.prefix_scores(7)


def test_eventual_can_read_a_score_that_never_existed_and_consistent_prefix_cannot():
    positions = play(7)
    for position in (positions[0], positions[4]):  # home 1 and visitors 2 overtake the rest
        projector.apply("arrival", position)
    eventual = scoreboard.read("eventual", GAME)
    assert eventual.score == (2, 1) and not eventual.in_prefix and eventual.score in eventual.allowed
    prefix = scoreboard.read("consistent-prefix", GAME)
    assert prefix.score == (0, 1) and prefix.in_prefix


def test_strong_reads_the_whole_game_from_the_log():
    play(7)
    reading = scoreboard.read("strong", GAME)
    assert reading.score == (2, 5) and reading.allowed == {(2, 5)}


def test_read_my_writes_sees_the_scorekeepers_writes_but_not_for_someone_else():
    play(5)
    assert scoreboard.read("read-my-writes", GAME, session_key="scorekeeper").score == (2, 3)
    other = scoreboard.read("read-my-writes", GAME, session_key="fan")
    assert other.score == (0, 0) and other.score in other.allowed


def test_monotonic_reads_never_returns_below_the_position_seen():
    positions = play(4)
    projector.apply("fast", positions[3])
    projector.apply("medium", positions[1])
    first = scoreboard.read("monotonic-reads", GAME, seen=0, turn=0)
    assert first.source == "fast" and first.score == (1, 3)
    for turn in (1, 2):
        again = scoreboard.read("monotonic-reads", GAME, seen=first.seen, turn=turn)
        assert again.score == (1, 3) and again.score in again.allowed


def test_bounded_staleness_reads_the_log_once_a_write_is_older_than_the_bound():
    play(7)
    reading = scoreboard.read("bounded-staleness", GAME, now=timezone.now() + timedelta(seconds=10))
    assert reading.source == scoreboard.LEADER and reading.score == (2, 5) and reading.allowed == {(2, 5)}
    fresh = scoreboard.read("bounded-staleness", GAME)
    assert fresh.source == "slow" and fresh.score == (0, 0) and fresh.score in fresh.allowed
