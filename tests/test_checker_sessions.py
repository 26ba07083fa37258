"""Terry's session guarantees, consistent prefix and bounded staleness, each over a hand-made
history that keeps it and one that breaks it; the violation names the read and the write it missed."""

import json
import xml.etree.ElementTree as ET

import pytest

from checker import HistoryError
from checker.diagram import svg
from checker.sessions import GUARANTEES, check, load, operations


def write(session, name, start, end, position=None):
    return {"session": session, "kind": "write", "write": name, "position": position, "invoke": start, "complete": end}


def read(session, seen, start, end):
    return {"session": session, "kind": "read", "seen": seen, "invoke": start, "complete": end}


def verdict(guarantee, *rows, bound=None):
    return check(operations(list(rows)), guarantee, bound)


def test_read_your_writes():
    mine = write("alice", "w1", 0, 1)
    assert verdict("read-your-writes", mine, read("alice", ["w1"], 2, 3)).verdict == "ok"
    assert verdict("read-your-writes", mine, read("bob", [], 2, 3)).verdict == "ok"  # not his write
    assert verdict("read-your-writes", mine, read("alice", [], 0.5, 3)).verdict == "ok"  # not earlier
    broken = verdict("read-your-writes", mine, read("alice", [], 2, 3))
    assert broken.verdict == "violation"
    assert broken.culprits == {1: "culprit", 0: "missed"}
    assert broken.explanation == (
        "read-your-writes: read [] in session alice, 2.000–3.000 s misses write w1 in session alice, "
        "0.000–1.000 s: its own session's earlier write is missing"
    )


def test_monotonic_reads():
    rows = [write("bob", "w1", 0, 1), read("alice", ["w1"], 2, 3)]
    assert verdict("monotonic-reads", *rows, read("alice", ["w1"], 4, 5)).verdict == "ok"
    assert verdict("monotonic-reads", *rows, read("carol", [], 4, 5)).verdict == "ok"
    broken = verdict("monotonic-reads", *rows, read("alice", [], 4, 5))
    assert broken.culprits == {1: "context", 0: "missed", 2: "culprit"}
    assert "an earlier read of its session reflected this write" in broken.explanation


def test_monotonic_writes():
    rows = [write("alice", "w1", 0, 1), write("alice", "w2", 2, 3)]
    for seen in (["w1", "w2"], ["w1"], []):
        assert verdict("monotonic-writes", *rows, read("bob", seen, 4, 5)).verdict == "ok", seen
    broken = verdict("monotonic-writes", *rows, read("bob", ["w2"], 4, 5))
    assert broken.verdict == "violation" and broken.culprits == {1: "context", 0: "missed", 2: "culprit"}
    assert "it reflects w2, a later write of the same session" in broken.explanation
    # Writes that overlapped are not ordered.
    overlapping = [write("alice", "w1", 0, 3), write("alice", "w2", 2, 3)]
    assert verdict("monotonic-writes", *overlapping, read("bob", ["w2"], 4, 5)).verdict == "ok"


def test_writes_follow_reads():
    rows = [write("alice", "w1", 0, 1), read("bob", ["w1"], 2, 3), write("bob", "w2", 4, 5)]
    assert verdict("writes-follow-reads", *rows, read("carol", ["w1", "w2"], 6, 7)).verdict == "ok"
    broken = verdict("writes-follow-reads", *rows, read("carol", ["w2"], 6, 7))
    assert broken.culprits == {2: "context", 1: "context", 0: "missed", 3: "culprit"}
    assert "written by a session that had read this write" in broken.explanation


def test_consistent_prefix():
    rows = [write("a", "w1", 0, 1, 1), write("b", "w2", 0, 1, 2), write("c", "w3", 0, 1, 3)]
    for seen in ([], ["w1"], ["w1", "w2"], ["w1", "w2", "w3"]):
        assert verdict("consistent-prefix", *rows, read("d", seen, 2, 3)).verdict == "ok", seen
    gap = verdict("consistent-prefix", *rows, read("d", ["w1", "w3"], 2, 3))
    assert gap.culprits == {1: "missed", 3: "culprit"} and "later writes without this earlier one" in gap.explanation
    swapped = verdict("consistent-prefix", *rows, read("d", ["w2", "w1"], 2, 3))
    assert (
        swapped.culprits == {0: "missed", 3: "culprit"}
        and "it shows w2 before this earlier write" in swapped.explanation
    )


def test_bounded_staleness():
    rows = [write("a", "w1", 0, 1)]
    assert verdict("bounded-staleness", *rows, read("b", [], 1.5, 2), bound=1).verdict == "ok"
    assert verdict("bounded-staleness", *rows, read("b", ["w1"], 3, 4), bound=1).verdict == "ok"
    stale = verdict("bounded-staleness", *rows, read("b", [], 3, 4), bound=1)
    assert (
        stale.verdict == "violation"
        and "it completed 2.000 s before the read, beyond the bound of 1 s" in stale.explanation
    )
    with pytest.raises(ValueError, match="needs a bound"):
        verdict("bounded-staleness", *rows)


@pytest.mark.parametrize("guarantee", sorted(GUARANTEES))
def test_no_guarantee_requires_a_write_never_answered_nor_judges_a_read_never_answered(guarantee):
    rows = [
        write("a", "w1", 0, None, 1),
        read("a", [], 2, 3),
        read("b", ["w2"], 2, None),
        write("b", "w2", 0, 1.8, None),
    ]
    assert verdict(guarantee, *rows, bound=0.5).verdict == "ok"


def test_every_broken_read_is_counted_and_the_first_is_named():
    rows = [write("a", "w1", 0, 1), read("a", [], 5, 6), read("a", [], 2, 3)]
    broken = verdict("read-your-writes", *rows)
    assert "(2 reads break it)" in broken.explanation and "2.000–3.000 s" in broken.explanation


def test_session_histories_are_read_from_json_lines():
    lines = [json.dumps(write("s1", "w1", 1.25, 1.31, 7)), "", json.dumps(read("s2", ["w1"], 1.4, 1.42))]
    ops = load(lines)
    assert [(op.kind, op.session, op.position, op.seen, op.line) for op in ops] == [
        ("write", "s1", 7, (), 1),
        ("read", "s2", None, ("w1",), 3),
    ]
    with pytest.raises(HistoryError, match="not JSON") as error:
        load([lines[0], "{"])
    assert error.value.line == 2
    with pytest.raises(HistoryError, match="read a write nobody made: w9"):
        load([json.dumps(read("s2", ["w9"], 1, 2))])


def test_the_diagram_of_a_session_violation_marks_the_read_and_the_write_it_missed():
    broken = verdict("read-your-writes", write("<alice>", "w&1", 0, 1), read("<alice>", [], 2, 3))
    drawing = svg(broken, "sessions")
    ET.fromstring(drawing)  # noqa: S314 (our own drawing)
    assert "✖ read [] (culprit)" in drawing and "◆ write w&amp;1 (missed)" in drawing
    assert "&lt;alice&gt;" in drawing and "<alice>" not in drawing
