"""What each pane did and showed, recorded per run of a demo for the history checker (checker/).

One operation is one JSON object, recorded when it completes (so a request pays one Redis round
trip, a Lua script: no database transaction), with both its times in the server's clock (epoch
seconds). Its fields: "p" the pane, "s" the session (a short hash; "push" for what was pushed to
every page), "f" "w" (a write) or "r" (a read), "i" and "c" invocation and completion ("c" null:
never answered), "st" a write's outcome ("ok", "fail": it did not take effect, "info": unknown),
and what the demo needs to rebuild the history: a write's "k" key, "v" value and "pos" position;
a read's "seen" (the keys it showed, oldest first) and "floor" (the lowest position it covered:
a list cut at its length shows nothing about older writes). See each demo's history.py.

A run is the demo's operations from the first to a pause of `IDLE_S` (as runs/ cuts its runs),
or until a reset or a scenario starts a new one. The first operation after a quiet moment also
schedules the verdict (demos/tasks.py judge), debounced: at most one waits per demo.
"""

from __future__ import annotations

import json
import logging
import time

import redis
from celery import current_app

from showcase.redis_client import redis_client
from store.log import session_ref

logger = logging.getLogger(__name__)

IDLE_S = 60
KEEP_S = 6 * 3600  # a run's operations, verdicts and diagrams
MAX_OPS = 20_000  # a run longer keeps its newest operations
JUDGE_TASK = "demos.tasks.judge"
DEBOUNCE_S = 0.25  # a verdict waits this long for the operations that come with the last one

# KEYS: the demo's current-run key, its run counter, its judge flag. ARGV: idle ms, keep s,
# max ops, flag ms, then the operations. Returns {run, 1 if this call should schedule a judge}.
_RECORD = """
local run = redis.call('GET', KEYS[1])
if not run then
  run = tostring(redis.call('INCR', KEYS[2]))
end
redis.call('SET', KEYS[1], run, 'PX', ARGV[1])
local ops = KEYS[1] .. ':' .. run
for i = 5, #ARGV do redis.call('RPUSH', ops, ARGV[i]) end
redis.call('LTRIM', ops, -tonumber(ARGV[3]), -1)
redis.call('EXPIRE', ops, ARGV[2])
if redis.call('SET', KEYS[3], run, 'NX', 'PX', ARGV[4]) then return {run, 1} end
return {run, 0}
"""


def _run_key(slug: str) -> str:
    return f"history:{slug}:run"


def _ops_key(slug: str, run: int) -> str:
    return f"{_run_key(slug)}:{run}"


def judge_flag(slug: str) -> str:
    return f"history:{slug}:judging"


def now() -> float:
    return time.time()


def record(slug: str, *ops: dict) -> int | None:
    """Append `ops` to the demo's current run; schedule its verdict. Never fails a request: the
    run it went into, or None when Redis would not take it."""
    if not ops:
        return None
    client = redis_client()
    keys = (_run_key(slug), f"history:{slug}:runs", judge_flag(slug))
    lines = [json.dumps(op, separators=(",", ":")) for op in ops]
    try:
        run, schedule = client.eval(_RECORD, 3, *keys, IDLE_S * 1000, KEEP_S, MAX_OPS, 5000, *lines)
    except redis.RedisError:
        logger.warning("history of %s not recorded", slug, exc_info=True)
        return None
    if schedule:
        try:
            current_app.send_task(JUDGE_TASK, (slug,), countdown=DEBOUNCE_S)
        except Exception:  # a verdict must never fail the write it is about
            logger.warning("verdict of %s not scheduled", slug, exc_info=True)
            client.delete(judge_flag(slug))
    return int(run)


def current_run(slug: str) -> int | None:
    run = redis_client().get(_run_key(slug))
    return int(run) if run else None


def latest_run(slug: str) -> int | None:
    """The demo's newest run, open or not."""
    run = redis_client().get(f"history:{slug}:runs")
    return int(run) if run else None


def operations(slug: str, run: int) -> list[dict]:
    return [json.loads(line) for line in redis_client().lrange(_ops_key(slug, run), 0, -1)]


def new_run(*slugs: str) -> None:
    """The next operation of each demo starts a run (a reset, a scenario)."""
    if slugs:
        redis_client().delete(*(_run_key(slug) for slug in slugs))


def who(session_key: str | None) -> str:
    """A session as the history names it: a short hash of the log's own (never the key itself)."""
    return session_ref(session_key)[:8] or "anon"


def reset(**kwargs) -> None:
    """After a reset (store.signals.reset): every demo starts a run, with no verdict shown."""
    client = redis_client()
    stale = [*client.scan_iter(match="history:*:run"), *client.scan_iter(match="history:*:verdicts")]
    if stale:
        client.delete(*stale)


def write(pane: str, session: str, invoke: float, key: str, value: str, position: int | None, status="ok", **extra):
    """A write by `session` (`who`), answered now: ok (acknowledged), fail (refused: it took no
    effect), info (unknown)."""
    done = None if status == "info" else now()
    return {"p": pane, "s": session, "f": "w", "i": invoke, "c": done, "st": status, "k": key, "v": value,
            "pos": position, **extra}  # fmt: skip


def read(pane: str, session: str, invoke: float, seen: list[str], floor: int = 0, **extra) -> dict:
    """A read, answered now, that showed `seen` (keys, oldest first) and covered positions from `floor`."""
    return {"p": pane, "s": session, "f": "r", "i": invoke, "c": now(), "seen": seen, "floor": floor, **extra}
