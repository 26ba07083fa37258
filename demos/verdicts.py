"""Each checked pane's verdict: its run's history judged by the independent checker (checker/),
off the request path (demos/tasks.py), kept in Redis with its diagram, and shown on the pane.

A demo declares what it checks (`Demo.checked`): per pane, a function from the run's recorded
operations (demos/history.py) to a `Judged`. The checker alone decides; the demo only says how
what its pane did and showed reads as a history."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string

from checker import diagram
from checker.verdict import OK, UNKNOWN, VIOLATION, Verdict
from showcase.redis_client import redis_client

from . import history, registry, signals

PENDING = "pending"
RECENT = "history:recent"  # the newest runs judged, for the curtain
KEEP_RECENT = 20
WORDS = {
    OK: ("✔", "holds"),
    VIOLATION: ("✖", "violated"),
    UNKNOWN: ("?", "unknown"),
    PENDING: ("…", "pending"),
}


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    operations: int  # what the pane did and showed: writes and reads, as recorded
    why: str = ""  # a violation in one sentence, in the pane's words


@dataclass(frozen=True)
class Checked:
    pane: str
    label: str  # what the pane is called on its page ("CP")
    promise: str  # what it is checked against, as a sentence ends: "linearizable"
    judge: Callable[[list[dict]], Judged]
    broken: str = ""  # and its negation, if not "not " + promise


def _key(slug: str) -> str:
    return f"history:{slug}:verdicts"


def _svg_key(slug: str, run: int, pane: str) -> str:
    return f"history:{slug}:svg:{run}:{pane}"


def judge(slug: str) -> dict[str, dict]:
    """Judge the demo's newest run, pane by pane; keep and announce the verdicts."""
    # Cleared first: an operation recorded while we judge schedules the next verdict.
    redis_client().delete(history.judge_flag(slug))
    demo = registry.get(slug)
    run = history.latest_run(slug)
    if demo is None or not demo.checked or run is None:
        return {}
    ops = history.operations(slug, run)
    started = min((op["i"] for op in ops), default=0.0)
    ops = [{**op, "i": op["i"] - started, "c": None if op["c"] is None else op["c"] - started} for op in ops]
    client = redis_client()
    results = {}
    for check in demo.checked:
        result = check.judge(ops)
        verdict = result.verdict
        summary = {
            "pane": check.pane,
            "label": check.label,
            "promise": check.promise,
            "broken": check.broken or f"not {check.promise}",
            "verdict": verdict.verdict,
            "ops": result.operations,
            "why": result.why or verdict.explanation,
            "run": run,
            "ms": round(verdict.ms, 1),
            "last_op": max((op["c"] or op["i"] for op in ops), default=0.0) + started,
        }
        if verdict.verdict == VIOLATION:
            title = f"{demo.title}: {check.label}, run {run}"
            client.set(_svg_key(slug, run, check.pane), diagram.svg(verdict, title), ex=history.KEEP_S)
        results[check.pane] = summary
    judged_at = time.time()
    for summary in results.values():
        summary["at"] = judged_at
    if _unchanged(latest(slug), results):
        return results  # nothing new to show: no push to every page
    with client.pipeline(transaction=False) as pipe:
        pipe.hset(_key(slug), mapping={pane: json.dumps(s) for pane, s in results.items()})
        pipe.expire(_key(slug), history.KEEP_S)
        pipe.lrem(RECENT, 0, f"{slug}:{run}")
        pipe.lpush(RECENT, f"{slug}:{run}")
        pipe.ltrim(RECENT, 0, KEEP_RECENT - 1)
        pipe.set(f"history:{slug}:run-verdicts:{run}", json.dumps(list(results.values())), ex=history.KEEP_S)
        pipe.execute()
    signals.announce(signals.judged, slug=slug)
    return results


def _unchanged(before: dict[str, dict], now: dict[str, dict]) -> bool:
    def shown(results):
        return {pane: (s["verdict"], s["ops"], s["why"], s["run"]) for pane, s in results.items()}

    return shown(before) == shown(now)


def latest(slug: str) -> dict[str, dict]:
    """The newest verdict of each checked pane of the demo, by pane."""
    raw = redis_client().hgetall(_key(slug))
    return {pane.decode(): json.loads(value) for pane, value in raw.items()}


def diagram_svg(slug: str, run: int, pane: str) -> str | None:
    svg = redis_client().get(_svg_key(slug, run, pane))
    return svg.decode() if svg else None


def recent(limit: int = 10) -> list[dict]:
    """The newest runs judged, newest first: demo, run and its panes' verdicts."""
    client = redis_client()
    runs = []
    for entry in client.lrange(RECENT, 0, limit - 1):
        slug, _, run = entry.decode().rpartition(":")
        saved = client.get(f"history:{slug}:run-verdicts:{run}")
        demo = registry.get(slug)
        if saved and demo:
            panes = [shown(slug, s) for s in json.loads(saved)]
            runs.append({"demo": demo, "run": int(run), "panes": panes, "at": max(p["at"] for p in panes)})
    return runs


def shown(slug: str, summary: dict | None, check: Checked | None = None) -> dict:
    """What a pane's verdict element shows: the verdict, a symbol and a word, the sentence."""
    if summary is None:
        summary = {"pane": check.pane, "label": check.label, "promise": check.promise, "verdict": PENDING, "ops": 0}
    verdict = summary["verdict"]
    symbol, word = WORDS[verdict]
    ops = f"{summary['ops']} operation{'' if summary['ops'] == 1 else 's'}"
    if verdict == OK:
        sentence = f"{ops} — {summary['promise']}"
    elif verdict == VIOLATION:
        sentence = f"{summary['broken']} — {summary['why']} ({ops} checked)"
    elif verdict == UNKNOWN:
        sentence = f"{ops} — unknown: {summary['why']}"
    else:
        sentence = "waiting for operations to check" if not summary["ops"] else f"{ops} — being checked"
    url = ""
    if verdict == VIOLATION:
        url = f"/demos/{slug}/verdicts/{summary['run']}/{summary['pane']}.svg"
    return {**summary, "slug": slug, "symbol": symbol, "word": word, "sentence": sentence, "diagram": url}


def panes(slug: str) -> list[dict]:
    """Every checked pane of the demo with what its verdict element shows now."""
    demo = registry.get(slug)
    if demo is None:
        return []
    saved = latest(slug)
    return [shown(slug, saved.get(check.pane), check) for check in demo.checked]


def fragment(slug: str, oob: bool = True) -> str:
    """Every checked pane's verdict element, swapped in by id: what a judge pushes."""
    return "".join(render_to_string("demos/_verdict.html", {"v": v, "oob": oob}) for v in panes(slug))
