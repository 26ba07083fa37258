"""CAP's panes as histories for the checker: each side a key-value map, one key per write.

A write puts its text under its key; a read of a side's list is a get of every key it could
have shown: the text of each one it showed, "" (the initial value) for each one it did not. A
list is cut at its length, so a read says nothing of writes older than the oldest it showed;
a write not yet invoked when the read was answered it could not show, and says nothing either."""

from checker import check
from checker.history import History, Op
from demos.verdicts import Judged


def history(ops: list[dict], pane: str) -> tuple[History, int]:
    """The pane's history, and how many operations the pane did and showed."""
    mine = [op for op in ops if op["p"] == pane]
    writes = {op["k"]: op for op in mine if op["f"] == "w"}
    made: list[Op] = []
    for op in writes.values():
        if op["st"] != "fail":  # refused: it took no effect
            made.append(_op(op, "put", op["k"], op["v"], None))
    for op in mine:
        if op["f"] != "r":
            continue
        seen = set(op["seen"])
        for key, write in writes.items():
            if write["st"] == "fail" and key not in seen:
                continue
            covered = write["pos"] is None or write["pos"] >= op["floor"]
            if key in seen or (covered and write["i"] <= op["c"]):
                made.append(_op(op, "get", key, None, write["v"] if key in seen else ""))
    made.sort(key=lambda o: o.invoke)
    numbered = tuple(Op(n, *(getattr(o, name) for name in Op.__slots__[1:])) for n, o in enumerate(made))
    return History(numbered, len(numbered), "s"), len(mine)


def _op(op: dict, f: str, key: str, value, output) -> Op:
    status = "ok" if op["f"] == "r" else op["st"]
    # The key shortened for the diagram's labels: eight hex digits still tell a run's writes apart.
    return Op(0, op["s"], f, key[:8], value, output, status, op["i"], op["c"], 0, None)


def judge(pane: str):
    def judged(ops: list[dict]) -> Judged:
        built, count = history(ops, pane)
        verdict = check(built, "kv", budget=5.0)
        return Judged(verdict, count, _why(verdict))

    return judged


def _why(verdict) -> str:
    """'Seat 12A' read as missing 1.2 s after it was acknowledged, when that is what it was."""
    roles = {role: op for op in verdict.shown if (role := verdict.culprits.get(op.id))}
    read, write = roles.get("culprit"), roles.get("context")
    if read is None or write is None or read.f != "get" or write.f != "put" or write.complete is None:
        return verdict.explanation
    if read.output == "" and read.invoke >= write.complete:
        after = read.invoke - write.complete
        where = "pushed to every page" if read.process == "push" else f"by session {read.process}"
        return f"“{write.value}” read as missing {after:.1f} s after it was acknowledged ({where})"
    return verdict.explanation
