"""The fault suite (tests/test_faults.py), long variants by default, as one table:
fault → accepted / applied once / lost / doubled.

    .venv/bin/python -m bench.faults            # 1,000 writes a burst (FAULTS_LONG=1)
    .venv/bin/python -m bench.faults --short    # the CI sizes (200 a burst)
    .venv/bin/python -m bench.faults -k redis   # extra arguments go to pytest

Every row must read lost 0, doubled 0 and applied once = accepted; pytest's verdict says whether
the other checks (nothing applied that was not accepted, checkpoints at the top, log order on
ordered replicas, no 500) held too.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("accepted", "applied_once", "lost", "doubled")


def run(pytest_args: list[str], long: bool) -> tuple[int, list[dict]]:
    with tempfile.TemporaryDirectory(prefix="shell-game-faults-") as tmp:
        report = Path(tmp) / "faults.jsonl"
        env = {**os.environ, "FAULTS_REPORT": str(report), "FAULTS_LONG": "1" if long else "0"}
        command = [sys.executable, "-m", "pytest", "tests/test_faults.py", "-p", "no:cacheprovider", "-q", *pytest_args]
        code = subprocess.run(command, cwd=ROOT, env=env).returncode
        rows = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    return code, rows


def table(rows: list[dict]) -> str:
    width = max([len("fault"), *(len(r["fault"]) for r in rows)])
    lines = [f"{'fault':<{width}} | accepted | applied once | lost | doubled | also"]
    lines.append("-" * len(lines[0]))
    for row in rows:
        also = ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("fault", *COLUMNS))
        lines.append(
            f"{row['fault']:<{width}} | {row['accepted']:>8} | {row['applied_once']:>12} | "
            f"{row['lost']:>4} | {row['doubled']:>7} | {also}"
        )
    return "\n".join(lines)


def main() -> None:
    args = sys.argv[1:]
    long = "--short" not in args
    code, rows = run([a for a in args if a != "--short"], long)
    print(f"\nFault suite ({'1,000' if long else '200'} writes a burst; 14 with the browsers):\n")
    print(table(rows) if rows else "no rows: see pytest's output above")
    print(f"\npytest: {'all checks held' if code == 0 else f'FAILED (exit {code})'}")
    sys.exit(code)


if __name__ == "__main__":
    main()
