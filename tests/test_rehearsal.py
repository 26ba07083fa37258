"""The rehearsal's judgement of Terry's readers, read by read: it must fail a reader that breaks
its guarantee even when every score lies in the allowed set the server sent along."""

from demos.catalog.baseball import rehearsal
from demos.catalog.baseball.game import GAME, eventual_scores, fmt, prefix_scores

FINAL = fmt(prefix_scores(len(GAME))[-1])
EVERY_SCORE = sorted(fmt(s) for s in eventual_scores(len(GAME)))


def read(score: str, written: int, at: float = 0.0) -> dict:
    """One read as baseball.js records it, allowed anything: only the rehearsal's own rule judges."""
    return {"score": score, "written": written, "at": at, "allowed": EVERY_SCORE}


def test_a_strong_read_behind_the_log_fails():
    ok, said = rehearsal.kept("strong", [read("0-1", 1), read("0-1", 2)], [], 3000, FINAL)
    assert not ok
    assert said == "read 0-1 with 2 runs written: not the whole game so far"


def test_a_monotonic_read_that_goes_back_fails():
    ok, _ = rehearsal.kept("monotonic-reads", [read("1-2", 3), read("0-1", 3)], [], 3000, FINAL)
    assert not ok


def test_a_read_my_writes_read_missing_a_run_answered_before_it_fails():
    runs = [100.0, 200.0]  # page times at which runs 1 and 2 were answered
    assert rehearsal.kept("read-my-writes", [read("1-1", 2, at=250.0)], runs, 3000, FINAL)[0]
    assert not rehearsal.kept("read-my-writes", [read("0-1", 2, at=250.0)], runs, 3000, FINAL)[0]
    # Started before run 2 was answered: it need not show it.
    assert rehearsal.kept("read-my-writes", [read("0-1", 2, at=150.0)], runs, 3000, FINAL)[0]


def test_a_bounded_read_staler_than_the_bound_fails():
    runs = [0.0, 100.0, 200.0]
    assert rehearsal.kept("bounded-staleness", [read("1-1", 3, at=3150.0)], runs, 3000, FINAL)[0]
    assert not rehearsal.kept("bounded-staleness", [read("0-1", 3, at=3150.0)], runs, 3000, FINAL)[0]


def test_a_consistent_prefix_read_of_a_score_the_game_never_had_fails():
    assert not rehearsal.kept("consistent-prefix", [read("1-0", 2)], [], 3000, FINAL)[0]


def test_eventual_may_show_a_score_the_game_never_had_and_the_report_says_so():
    ok, said, shown = rehearsal.kept("eventual", [read("1-0", 2), read(FINAL, 7)], [], 3000, FINAL)
    assert ok and shown
    assert said.endswith("showed 1-0, never the score")
    assert rehearsal.kept("eventual", [read("0-1", 1), read(FINAL, 7)], [], 3000, FINAL)[2] is False


def test_a_score_outside_what_the_page_allows_fails_and_so_does_never_ending():
    assert not rehearsal.kept("eventual", [{**read("1-0", 2), "allowed": ["0-0", "0-1"]}], [], 3000, FINAL)[0]
    ok, said = rehearsal.kept("strong", [read("0-1", 1)], [], 3000, "")
    assert not ok
    assert said == "never reached the final score: its last read was 0-1"
