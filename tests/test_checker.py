"""The history checker (checker/): linearizability of small hand-made histories, the meaning of
an unknown outcome, the explanation of a violation, reading the three formats, and every
published history held to its published verdict."""

import itertools
import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker import HistoryError, check, load, parse
from checker.diagram import svg
from checker.edn import Keyword, loads
from checker.models import INVALID, MODELS

HISTORIES = Path(__file__).parent / "data" / "histories"
ETCD_VERDICTS = dict(line.split() for line in (HISTORIES / "jepsen-etcd" / "VERDICTS").read_text().splitlines())


def events(*rows) -> list[str]:
    """JSON lines from (process, type, f, value[, key]) rows, one second apart."""
    lines = []
    for time, (process, kind, f, value, *key) in enumerate(rows):
        event = {"process": process, "type": kind, "f": f, "value": value, "time": float(time)}
        if key:
            event["key"] = key[0]
        lines.append(json.dumps(event))
    return lines


def verdict(model: str, *rows, **kwargs):
    return check(parse(events(*rows)), model, **kwargs)


def test_a_read_of_the_last_completed_write_is_linearizable():
    result = verdict(
        "register", (1, "invoke", "write", 1), (1, "ok", "write", 1), (2, "invoke", "read", None), (2, "ok", "read", 1)
    )
    assert result.verdict == "ok" and result.operations == 2


def test_a_read_of_the_initial_value_after_a_completed_write_is_not():
    result = verdict(
        "register",
        (1, "invoke", "write", 1),
        (1, "ok", "write", 1),
        (2, "invoke", "read", None),
        (2, "ok", "read", None),
    )
    assert result.verdict == "violation"
    assert "read → nil by process 2" in result.explanation and "the register holds 1" in result.explanation
    assert "last set by write 1" in result.explanation
    assert result.culprits == {1: "culprit", 0: "context"}


def test_a_read_concurrent_with_a_write_may_see_either_value():
    for seen in (None, 1):
        rows = [(1, "invoke", "write", 1), (2, "invoke", "read", None), (2, "ok", "read", seen), (1, "ok", "write", 1)]
        assert verdict("register", *rows).verdict == "ok", seen


def test_a_stale_read_after_two_writes_is_not_linearizable():
    rows = [(1, "invoke", "write", 1), (1, "ok", "write", 1), (1, "invoke", "write", 2), (1, "ok", "write", 2)]
    assert verdict("register", *rows, (2, "invoke", "read", None), (2, "ok", "read", 2)).verdict == "ok"
    assert verdict("register", *rows, (2, "invoke", "read", None), (2, "ok", "read", 1)).verdict == "violation"


def test_a_write_of_unknown_outcome_may_take_effect_late_or_never():
    timed_out = [(1, "invoke", "write", 1), (1, "info", "write", ":timed-out")]
    never = [(2, "invoke", "read", None), (2, "ok", "read", None)]
    late = [(3, "invoke", "read", None), (3, "ok", "read", 1)]
    assert verdict("register", *timed_out, *never).verdict == "ok"
    assert verdict("register", *timed_out, *late).verdict == "ok"
    assert verdict("register", *timed_out, *never, *late).verdict == "ok"
    # Once it has taken effect it stays: nil after 1 cannot be explained.
    assert verdict("register", *timed_out, *late, *never).verdict == "violation"


def test_an_operation_of_unknown_outcome_cannot_take_effect_before_its_invocation():
    rows = [(2, "invoke", "read", None), (2, "ok", "read", 1), (1, "invoke", "write", 1), (1, "info", "write", None)]
    assert verdict("register", *rows).verdict == "violation"


def test_an_invocation_never_completed_is_an_unknown_outcome():
    rows = [(1, "invoke", "write", 1), (2, "invoke", "read", None), (2, "ok", "read", 1)]
    history = parse(events(*rows))
    assert [op.status for op in history.ops] == ["info", "ok"] and history.ops[0].complete is None
    assert check(history, "register").verdict == "ok"


def test_a_failed_write_did_not_take_effect_and_a_failed_read_constrains_nothing():
    rows = [(1, "invoke", "write", 1), (1, "fail", "write", 1), (2, "invoke", "read", None)]
    assert verdict("register", *rows, (2, "fail", "read", ":timed-out")).verdict == "ok"
    assert verdict("register", *rows, (2, "ok", "read", 1)).verdict == "violation"


def test_a_compare_and_set_succeeds_only_from_its_expected_value():
    start = [(1, "invoke", "write", 1), (1, "ok", "write", 1)]
    assert verdict("cas-register", *start, (2, "invoke", "cas", [1, 2]), (2, "ok", "cas", [1, 2])).verdict == "ok"
    assert (
        verdict("cas-register", *start, (2, "invoke", "cas", [3, 2]), (2, "ok", "cas", [3, 2])).verdict == "violation"
    )


def test_a_failed_compare_and_set_says_the_value_was_not_its_expected_one():
    start = [(1, "invoke", "write", 1), (1, "ok", "write", 1)]
    assert verdict("etcd", *start, (2, "invoke", "cas", [3, 2]), (2, "fail", "cas", [3, 2])).verdict == "ok"
    failed = verdict("etcd", *start, (2, "invoke", "cas", [1, 2]), (2, "fail", "cas", [1, 2]))
    assert failed.verdict == "violation" and "cas 1→2 failed" in failed.explanation


def test_a_compare_and_set_of_unknown_outcome_either_happened_or_did_not():
    start = [(1, "invoke", "write", 1), (1, "ok", "write", 1), (2, "invoke", "cas", [1, 2]), (2, "info", "cas", None)]
    for seen in (1, 2):
        assert verdict("etcd", *start, (3, "invoke", "read", None), (3, "ok", "read", seen)).verdict == "ok"
    assert verdict("etcd", *start, (3, "invoke", "read", None), (3, "ok", "read", 3)).verdict == "violation"


def test_the_register_model_has_no_compare_and_set():
    with pytest.raises(HistoryError, match="the register model has no cas") as error:
        verdict("register", (1, "invoke", "cas", [1, 2]), (1, "ok", "cas", [1, 2]))
    assert error.value.line == 1


def test_keys_of_a_map_are_independent_and_appends_concatenate():
    rows = [
        (1, "invoke", "put", "x", "a"), (1, "ok", "put", "x", "a"),
        (1, "invoke", "append", "y", "a"), (1, "ok", "append", "y", "a"),
        (2, "invoke", "get", None, "b"), (2, "ok", "get", "", "b"),
    ]  # fmt: skip
    assert verdict("kv", *rows, (2, "invoke", "get", None, "a"), (2, "ok", "get", "xy", "a")).verdict == "ok"
    wrong = verdict("kv", *rows, (2, "invoke", "get", None, "a"), (2, "ok", "get", "yx", "a"))
    assert wrong.verdict == "violation"
    assert "[a] get → 'yx'" in wrong.explanation and "the key holds 'xy'" in wrong.explanation


def test_a_search_out_of_time_is_unknown():
    result = check(load(HISTORIES / "jepsen-etcd" / "etcd_002.log"), "etcd", budget=0)
    assert result.verdict == "unknown" and "budget" in result.explanation


def test_a_violation_names_its_operations_with_their_lines():
    result = check(load(HISTORIES / "jepsen-etcd" / "etcd_000.log"), "etcd")
    assert result.explanation.startswith("read → 2 by process 11, lines 85–86, cannot be placed")
    assert "culprit" in result.culprits.values()
    assert all(op.id in {o.id for o in result.shown} for op in result.shown if op.id in result.culprits)


@pytest.mark.parametrize("name", sorted(ETCD_VERDICTS))
def test_every_jepsen_etcd_history_gets_its_published_verdict(name):
    expected = {"linearizable": "ok", "not-linearizable": "violation"}[ETCD_VERDICTS[name]]
    assert check(load(HISTORIES / "jepsen-etcd" / name), "etcd").verdict == expected


@pytest.mark.parametrize("name", sorted(p.name for p in (HISTORIES / "kv").iterdir()))
def test_every_porcupine_key_value_history_gets_its_published_verdict(name):
    expected = "ok" if name.endswith("-ok.txt") else "violation"
    assert check(load(HISTORIES / "kv" / name), "kv").verdict == expected


def test_the_published_histories_are_all_there():
    assert len(ETCD_VERDICTS) == 20 and len(list((HISTORIES / "kv").iterdir())) == 6
    assert (HISTORIES / "README.md").exists() and (HISTORIES / "LICENSE-porcupine.md").exists()


def test_jepsen_log_lines_are_read_and_other_output_ignored():
    history = parse(
        [
            "2015-01-01 INFO  jepsen.core - starting",
            "INFO  jepsen.util - 2\t:invoke\t:cas\t[1 4]",
            "INFO  jepsen.util - :nemesis\t:info\t:start\tnil",
            "INFO  jepsen.util - 2\t:fail\t:cas\t[1 4]",
        ]
    )
    (op,) = history.ops
    assert (op.process, op.f, op.value, op.output, op.line, op.end_line) == ("2", "cas", (1, 4), False, 2, 4)
    assert history.clock == "line"


def test_edn_maps_are_read():
    history = parse(
        [
            '{:process 9, :type :invoke, :f :append, :key "0", :value "x \\"9\\" y"}',
            '{:process 9 :type :ok :f :append :key "0" :value nil}',
        ]
    )
    (op,) = history.ops
    assert (op.key, op.value, op.status) == ("0", 'x "9" y', "ok")
    assert loads("#{1 [2 :a] (nil true)}") == frozenset({1, (2, Keyword("a")), (None, True)})


@pytest.mark.parametrize(
    ("lines", "line", "why"),
    [
        (['{"process": 1, "type": "invoke", "f": "read", "time": 0}', '{"process": 2,'], 2, "not JSON"),
        (["{:process 1, :type :invoke, :f :read"], 1, "never closed"),
        (["INFO  jepsen.util - 1\t:ok\t:read\t3"], 1, "never invoked"),
        (["INFO  jepsen.util - 1\t:invoke\t:cas\t5"], 1, "a cas wants"),
        (
            ["INFO  jepsen.util - 1\t:invoke\t:read\tnil", "INFO  jepsen.util - 1\t:invoke\t:read\tnil"],
            2,
            "invokes again",
        ),
        (["INFO  jepsen.util - 1\t:invoke\t:read\tnil", "INFO  jepsen.util - 1\t:ok\t:write\t3"], 2, "completes write"),
        (["INFO  jepsen.util - 1\t:launch\t:read\tnil"], 1, "none of invoke"),
        (["just a log"], 1, "no operations"),
    ],
)
def test_an_unreadable_history_says_which_line_and_why(lines, line, why):
    with pytest.raises(HistoryError, match=why) as error:
        parse(lines)
    assert error.value.line == line


def test_a_file_that_is_not_text_says_where(tmp_path):
    path = tmp_path / "binary.log"
    path.write_bytes(b"INFO  jepsen.util - 1\t:invoke\t:read\tnil\n\xff\xfe\n")
    with pytest.raises(HistoryError, match="not UTF-8") as error:
        load(path)
    assert error.value.line == 2


def test_the_diagram_marks_the_culprits_and_escapes_every_text():
    rows = [
        ("<b>", "invoke", "write", "<script>x</script>"), ("<b>", "ok", "write", "<script>x</script>"),
        (2, "invoke", "read", None), (2, "ok", "read", "&amp;"),
    ]  # fmt: skip
    result = verdict("register", *rows)
    drawing = svg(result, 'a "file" <name>')
    ET.fromstring(drawing)  # noqa: S314 (our own drawing) well-formed: nothing unescaped broke it
    assert "<script>" not in drawing and "&lt;script&gt;" in drawing and "&amp;amp;" in drawing
    assert "&lt;b&gt;" in drawing  # the lane
    assert "✖ read → &#x27;&amp;amp;&#x27; (culprit)" in drawing and 'fill="url(#hatch)"' in drawing
    assert "● write" in drawing and "(context)" in drawing


def brute_force(history, model) -> bool:
    """Linearizable by definition: some order of the operations, leaving out any of unknown
    outcome, that keeps real-time order and that the model explains."""
    ops = history.ops
    unknown = [op for op in ops if op.status == "info"]
    for leave_out in itertools.product((False, True), repeat=len(unknown)):
        left_out = {op.id for op, out in zip(unknown, leave_out, strict=True) if out}
        chosen = [op for op in ops if op.id not in left_out]
        for order in itertools.permutations(chosen):
            if any(later.end < earlier.invoke for i, earlier in enumerate(order) for later in order[i + 1 :]):
                continue
            state = MODELS[model].init
            for op in order:
                state = MODELS[model].step(op)(state)
                if state is INVALID:
                    break
            else:
                return True
    return False


def random_history(rng: random.Random) -> list[str]:
    rows = []
    for process in range(rng.randint(2, 5)):
        f = rng.choice(["write", "read", "cas"])
        start = rng.randint(0, 6)
        value = rng.randint(0, 2) if f == "write" else [rng.randint(0, 2), rng.randint(0, 2)] if f == "cas" else None
        kind = rng.choice(["ok", "fail", "info"]) if f == "cas" else rng.choice(["ok", "ok", "info"])
        returned = rng.choice([None, 0, 1, 2]) if f == "read" else value
        rows.append((start, 0, {"process": process, "type": "invoke", "f": f, "value": value, "time": start}))
        end = start + rng.randint(0, 5)
        rows.append((end, 1, {"process": process, "type": kind, "f": f, "value": returned, "time": end}))
    return [json.dumps(event) for *_, event in sorted(rows, key=lambda row: row[:2])]


def test_the_search_agrees_with_trying_every_order_on_random_small_histories():
    rng = random.Random(23)
    verdicts = []
    for _ in range(400):
        history = parse(random_history(rng))
        expected = "ok" if brute_force(history, "cas-register") else "violation"
        assert check(history, "cas-register").verdict == expected, history
        verdicts.append(expected)
    assert 50 < verdicts.count("ok") < 350  # both kinds were tried
