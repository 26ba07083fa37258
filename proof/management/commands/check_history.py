"""Check recorded histories for linearizability with the independent checker (`checker/`)."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

import checker
from checker.diagram import svg

WORDS = {checker.OK: "linearizable", checker.VIOLATION: "not linearizable", checker.UNKNOWN: "unknown"}


class Command(BaseCommand):
    help = (
        "Check each history FILE (Jepsen's log lines or EDN maps, or the app's JSON lines) for "
        "linearizability. Exit 0 when every file is linearizable, 1 when one is not or is unknown, "
        "2 when one cannot be read."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--model", required=True, choices=sorted(checker.MODELS))
        parser.add_argument("--json", action="store_true", help="print a JSON list instead of lines")
        parser.add_argument("--svg", metavar="DIR", help="write each violation's space-time diagram here")
        parser.add_argument("--budget", type=float, default=10.0, help="seconds per file before 'unknown'")

    def handle(self, *args, **options) -> None:
        results, unreadable, failed = [], False, False
        for name in options["files"]:
            try:
                verdict = checker.check(checker.load(name), options["model"], options["budget"])
            except OSError as error:
                unreadable = True
                self.stderr.write(f"{name}: cannot read it: {error.strerror or error}")
                results.append({"file": name, "verdict": "unreadable", "why": str(error.strerror or error)})
                continue
            except checker.HistoryError as error:
                unreadable = True
                self.stderr.write(f"{name}:{error.line}: {error.why}")
                results.append({"file": name, "verdict": "unreadable", "line": error.line, "why": error.why})
                continue
            failed |= not verdict.ok
            result = {
                "file": name,
                "verdict": verdict.verdict,
                "operations": verdict.operations,
                "ms": round(verdict.ms),
            }
            if verdict.explanation:
                result["explanation"] = verdict.explanation
            if options["svg"] and verdict.verdict == checker.VIOLATION:
                result["svg"] = str(self._draw(Path(options["svg"]), name, verdict))
            results.append(result)
            if not options["json"]:
                self.stdout.write(_line(result))
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=1, ensure_ascii=False))
        sys.exit(2 if unreadable else 1 if failed else 0)

    def _draw(self, directory: Path, name: str, verdict) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / (Path(name).name + ".svg")
        path.write_text(svg(verdict, Path(name).name), encoding="utf-8")
        return path


def _line(result: dict) -> str:
    line = f"{result['file']}: {WORDS[result['verdict']]} ({result['operations']} operations, {result['ms']} ms)"
    if "explanation" in result:
        line += f": {result['explanation']}"
    if "svg" in result:
        line += f"\n  diagram: {result['svg']}"
    return line
