"""The history checker on every published history: its verdict beside the published one, and the
time to read and to check each (one core: the checker is single-threaded). Targets: each etcd
history under 1 s and all of them under 10 s; each key-value history under 5 s.

.venv/bin/python -m bench.histories [rounds]   (each history's best of `rounds`, default 3)
"""

import os
import sys
import time
from pathlib import Path

import checker

HISTORIES = Path(__file__).resolve().parent.parent / "tests" / "data" / "histories"
VERDICTS = {"linearizable": checker.OK, "not-linearizable": checker.VIOLATION}


def published() -> list[tuple[str, Path, str]]:
    """(model, file, verdict) for every history the tests hold the checker to."""
    etcd = HISTORIES / "jepsen-etcd"
    rows = [
        ("etcd", etcd / name, VERDICTS[word])
        for name, word in (line.split() for line in (etcd / "VERDICTS").read_text().splitlines())
    ]
    for path in sorted((HISTORIES / "kv").iterdir()):
        rows.append(("kv", path, checker.OK if path.stem.endswith("-ok") else checker.VIOLATION))
    return rows


def measure(model: str, path: Path, rounds: int) -> dict:
    best_read = best_check = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        history = checker.load(path)
        read = time.perf_counter()
        verdict = checker.check(history, model, budget=60)
        best_read = min(best_read, (read - started) * 1000)
        best_check = min(best_check, (time.perf_counter() - read) * 1000)
    return {"verdict": verdict.verdict, "operations": verdict.operations, "read": best_read, "check": best_check}


def main(rounds: int = 3) -> None:
    if hasattr(os, "sched_setaffinity"):  # one core, as the targets say
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    totals: dict[str, list[float]] = {}
    wrong = 0
    print(f"{'history':<18} {'model':<5} {'ops':>5} {'published':<10} {'checker':<10} {'read ms':>8} {'check ms':>9}")
    for model, path, expected in published():
        result = measure(model, path, rounds)
        wrong += result["verdict"] != expected
        totals.setdefault(model, []).append(result["read"] + result["check"])
        mark = "" if result["verdict"] == expected else "  WRONG"
        print(
            f"{path.name:<18} {model:<5} {result['operations']:>5} {expected:<10} {result['verdict']:<10} "
            f"{result['read']:>8.1f} {result['check']:>9.1f}{mark}"
        )
    for model, times in totals.items():
        print(f"{model}: {len(times)} histories, read and checked in {sum(times):.0f} ms, slowest {max(times):.0f} ms")
    print(f"verdicts: {len(published()) - wrong} of {len(published())} as published")
    if wrong:
        sys.exit(1)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
