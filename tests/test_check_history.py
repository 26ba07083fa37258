"""`manage.py check_history`: one line per file, --json, --svg, and the exit status (0 all
linearizable, 1 one is not or is unknown, 2 one cannot be read, with its line and why)."""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.management import call_command

HISTORIES = Path(__file__).parent / "data" / "histories"
OK = str(HISTORIES / "jepsen-etcd" / "etcd_005.log")
BAD = str(HISTORIES / "jepsen-etcd" / "etcd_000.log")


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        call_command("check_history", *args)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_a_linearizable_file_prints_one_line_and_exits_0(capsys):
    status, out, _ = run(capsys, "--model", "etcd", OK)
    assert status == 0
    assert re.fullmatch(rf"{re.escape(OK)}: linearizable \(79 operations, \d+ ms\)\n", out)


def test_a_violation_prints_what_cannot_be_ordered_and_exits_1(capsys):
    status, out, _ = run(capsys, "--model", "etcd", OK, BAD)
    assert status == 1
    first, second = out.splitlines()
    assert first.startswith(f"{OK}: linearizable")
    assert re.match(rf"{re.escape(BAD)}: not linearizable \(85 operations, \d+ ms\): read → 2 by process 11", second)


def test_json_lists_each_files_verdict(capsys):
    status, out, _ = run(
        capsys, "--model", "kv", "--json", *(str(HISTORIES / "kv" / n) for n in ("c01-ok.txt", "c01-bad.txt"))
    )
    results = json.loads(out)
    assert status == 1
    assert [(r["verdict"], r["operations"]) for r in results] == [("ok", 58), ("violation", 38)]
    assert all({"file", "verdict", "operations", "ms"} <= r.keys() and isinstance(r["ms"], int) for r in results)


def test_svg_writes_each_violations_diagram(capsys, tmp_path):
    status, out, _ = run(capsys, "--model", "etcd", "--svg", str(tmp_path / "diagrams"), OK, BAD)
    assert status == 1
    (drawing,) = (tmp_path / "diagrams").iterdir()
    assert drawing.name == "etcd_000.log.svg" and f"diagram: {drawing}" in out
    root = ET.fromstring(drawing.read_text())  # noqa: S314 (our own drawing)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and "✖ read → 2 (culprit)" in drawing.read_text()


def test_a_search_out_of_budget_is_unknown_and_exits_1(capsys):
    status, out, _ = run(capsys, "--model", "etcd", "--budget", "0", str(HISTORIES / "jepsen-etcd" / "etcd_002.log"))
    assert status == 1 and ": unknown (77 operations, " in out and "the budget of 0 s ran out" in out


def test_an_unreadable_file_exits_2_with_its_line_and_why(capsys, tmp_path):
    broken = tmp_path / "broken.log"
    broken.write_text("INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\t:read\t[1\n")
    status, out, err = run(capsys, "--model", "etcd", OK, str(broken), str(tmp_path / "missing.log"), BAD)
    assert status == 2
    assert f"{broken}:2: cannot read the value '[1'" in err
    assert f"{tmp_path / 'missing.log'}: cannot read it: No such file or directory" in err
    assert len(out.splitlines()) == 2  # the readable files are still checked


def test_a_model_that_lacks_an_operation_is_a_file_it_cannot_read(capsys):
    status, _, err = run(capsys, "--model", "register", BAD)
    assert status == 2 and re.search(r"etcd_000\.log:\d+: the register model has no cas", err)


def test_the_apps_json_lines_are_read_with_their_times(capsys, tmp_path):
    history = tmp_path / "seat.jsonl"
    events = [
        {"process": "s1", "type": "invoke", "f": "write", "key": "12A", "value": "taken", "time": 10.0},
        {"process": "s1", "type": "ok", "f": "write", "key": "12A", "value": "taken", "time": 10.2},
        {"process": "s2", "type": "invoke", "f": "read", "key": "12A", "value": None, "time": 11.4},
        {"process": "s2", "type": "ok", "f": "read", "key": "12A", "value": None, "time": 11.5},
    ]
    history.write_text("\n".join(json.dumps(e) for e in events))
    status, out, _ = run(capsys, "--model", "register", str(history))
    assert status == 1
    assert "[12A] read → nil by process s2, 11.400–11.500 s, cannot be placed" in out
    assert "last set by [12A] write 'taken', 10.000–10.200 s" in out
