""" "Everyone, tap now": a room of phones each writes once, all within a couple of seconds.

.venv/bin/python -m bench.burst [--writes 500] [--spread 2] [--path /demos/push/]   (WEB_PROCESSES: 2, as make demo)
.venv/bin/python -m bench.burst --buy [--writes 500] [--spread 2]

--buy: "everyone, tap Buy now" on the conflicts demo, after a restock of its hoodies: each phone
buys one, in both shops at once (the naive shop checks its lagging replica, the trick decides in
the append). The trick sells exactly its stock: 202 for those phones, 409 "sold out" for the
rest; every phone that heard 202 has its purchase in the log once, and no phone that heard 409 has
one.

Each phone is a session of its own: it GETs the page first (its cookie and CSRF token, as a
phone would), then all the writes go out spread over `--spread` seconds. A write answered 429
is sent again, same key, after its Retry-After and some jitter, as the page's script does.
Printed: first answers by status (with their reasons), answer time p50/p95, accepted/s, then
lost and doubled writes, counted in the event log and on every replica once they settle.
"""

import argparse
import json
import os
import random
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from bench.common import percentile, running_app
from tests.live import HttpClient

GIVE_UP_S = 60  # per write, retries included


class Phone(HttpClient):
    def post_once(self, path: str, data: dict) -> tuple[int | str, dict, str]:
        try:
            return self.post(path, data)
        except OSError as error:  # no answer within HttpClient's 10 s, or the connection dropped
            return type(error).__name__, {}, ""


def reason(body: str) -> str:
    """The reason the page shows beside the control (its form's alert)."""
    match = re.search(r'role="alert"[^>]*>([^<]*)<', body)
    return " ".join(match.group(1).split()) if match else ""


BUY_PAGE, BUY = "/demos/conflicts/", "/demos/conflicts/buy/"


def trick_told(body: str) -> str:
    """What the trick shop told the buyer (conflicts/_told.html); else the form's alert (a 429's)."""
    match = re.search(r'id="told-buy-trick".*?<li[^>]*><strong>.*?</strong>:(.*?)</li>', body, re.S)
    return " ".join(match.group(1).split()) if match else reason(body)


def burst(app, writes: int, spread_s: float, page: str, phones: int = 0, path: str = "", why=reason) -> dict:
    """`writes` writes from `phones` sessions (default: one each), spread over `spread_s`, to
    `path` (default: the page's write endpoint)."""
    phones = [Phone(app.url) for _ in range(phones or writes)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda phone: phone.get(page), phones))
    path = path or page + "write/"
    run = uuid.uuid4().hex[:6]
    first: list[tuple[int | str, float, str]] = []
    final: dict[str, int | str] = {}
    accepted_at: list[float] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.5

    def tap(i: int) -> None:
        key, text = f"burst-{run}-{i}", f"tap {i}"
        time.sleep(max(0.0, start + spread_s * i / writes - time.monotonic()))
        deadline = time.monotonic() + GIVE_UP_S
        tries = 0
        while True:
            sent = time.monotonic()
            status, headers, body = phones[i % len(phones)].post_once(path, {"text": text, "key": key})
            took = time.monotonic() - sent
            with lock:
                if tries == 0:
                    first.append((status, took * 1000, why(body) if status != 202 else ""))
                if status == 202:
                    accepted_at.append(time.monotonic())
            tries += 1
            if status != 429 or time.monotonic() > deadline:
                final[key] = status
                return
            time.sleep(float(headers.get("Retry-After", 1)) * random.uniform(0.5, 1.5))  # noqa: S311

    with ThreadPoolExecutor(writes) as pool:
        list(pool.map(tap, range(writes)))
    accepted = [k for k, status in final.items() if status == 202]
    last = max(accepted_at, default=start)
    return {
        "writes": writes,
        "spread_s": spread_s,
        "first": first,
        "final": Counter(final.values()),
        "accepted_keys": accepted,
        "all_keys": list(final),
        "final_by_key": dict(final),
        "accepted_per_s": len(accepted_at) / max(last - start, 1e-9),
        "last_accept": last,
        "accept_s": last - start,
    }


def settle(app, r: dict, timeout_s: float = 60) -> dict:
    """Wait for every accepted write to be applied everywhere; count lost and doubled."""
    keys = r["all_keys"]
    marks = ",".join("?" * len(keys))
    events = dict(app.query(f"SELECT key, id FROM store_event WHERE key IN ({marks})", tuple(keys)))  # noqa: S608
    ids = tuple(events.values()) or (0,)
    id_marks = ",".join("?" * len(ids))
    expected = app.query(f"SELECT count(*) FROM store_delivery WHERE event_id IN ({id_marks})", ids)[0][0]  # noqa: S608
    applied_sql = (
        f"SELECT count(*), count(DISTINCT replica_id || '-' || event_id) FROM store_delivery "  # noqa: S608
        f"WHERE state != 'queued' AND event_id IN ({id_marks})"
    )
    deadline = time.monotonic() + timeout_s
    while (rows := app.query(applied_sql, ids)[0])[0] < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    settled_after = time.monotonic() - r["last_accept"]
    time.sleep(1)  # a late second apply would show by now
    rows, distinct = app.query(applied_sql, ids)[0]
    return {
        "lost": len([k for k in r["accepted_keys"] if k not in events]),
        "in_log_not_accepted": len([k for k in events if k not in r["accepted_keys"]]),
        "deliveries": expected,
        "settled": rows,
        "doubled": rows - distinct,
        "settled_after_s": settled_after,
    }


def settle_buys(app, r: dict, stock: int) -> dict:
    """The trick shop's purchases of this burst (key "<phone's key>-t0", conflicts/oversell.py):
    one in the log for each phone told 202, none for a phone told anything else, at most `stock`."""
    told = r["final_by_key"]
    keys = [f"{key}-t0" for key in told]
    marks = ",".join("?" * len(keys))
    rows = app.query(f"SELECT key, count(*) FROM store_event WHERE key IN ({marks}) GROUP BY key", tuple(keys))  # noqa: S608
    bought = {key.removesuffix("-t0"): n for key, n in rows}
    return {
        "sold": sum(bought.values()),
        "stock": stock,
        "lost": sum(1 for key, status in told.items() if status == 202 and key not in bought),
        "sold_without_202": sum(1 for key in bought if told[key] != 202),
        "doubled": sum(n - 1 for n in bought.values()),
    }


def answers(r: dict, head: str, after_retries: str, settled: str) -> str:
    """The report's lines: the first answers by status, their times, what the retries came to,
    what settled, and the commonest reasons for a refusal."""
    statuses = Counter(status for status, _, _ in r["first"])
    times = [ms for _, ms, _ in r["first"]]
    reasons = Counter(f"{status} {why}" for status, _, why in r["first"] if status != 202 and why)
    lines = [
        f"{head}: first answers " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items(), key=str)),
        f"  answer time p50 {percentile(times, 50):.0f} ms · p95 {percentile(times, 95):.0f} ms"
        f" · max {max(times, default=0):.0f} ms",
        "  after retrying 429s as the page does: "
        + ", ".join(f"{status}: {n}" for status, n in sorted(r["final"].items(), key=str))
        + after_retries,
        f"  {settled}",
    ]
    lines += [f"  {n} x {why}" for why, n in reasons.most_common(5)]
    return "\n".join(lines)


def report_buys(r: dict, s: dict) -> str:
    return answers(
        r,
        f"{r['writes']} phones each tap Buy once, sent over {r['spread_s']:.0f} s, {s['stock']} hoodies",
        "",
        f"the trick sold {s['sold']} of {s['stock']}; told 202 but not in the log {s['lost']}, "
        f"in the log but not told 202 {s['sold_without_202']}, doubled {s['doubled']}",
    )


def report(r: dict, s: dict) -> str:
    return answers(
        r,
        f"{r['writes']} phones, one write each, sent over {r['spread_s']:.0f} s",
        f"; {len(r['accepted_keys'])} accepted in {r['accept_s']:.1f} s ({r['accepted_per_s']:.0f} accepted/s)",
        f"lost {s['lost']}, in the log but never answered 202 {s['in_log_not_accepted']}, doubled {s['doubled']}; "
        f"{s['settled']} of {s['deliveries']} deliveries settled, "
        f"the last {s['settled_after_s']:.1f} s after the last 202",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--spread", type=float, default=2.0)
    parser.add_argument("--path", default="/demos/push/")
    parser.add_argument("--buy", action="store_true", help="the conflicts demo's Buy, after a restock")
    args = parser.parse_args()
    with running_app(WEB_PROCESSES=os.environ.get("WEB_PROCESSES") or "2") as app:  # as make demo runs it
        app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, replica_lag="slow=0")
        if args.buy:
            stock = restock(app)
            r = burst(app, args.writes, args.spread, BUY_PAGE, path=BUY, why=trick_told)
            print(report_buys(r, settle_buys(app, r, stock)))
        else:
            r = burst(app, args.writes, args.spread, args.path)
            print(report(r, settle(app, r)))


def restock(app) -> int:
    """The presenter's Restock on the conflicts demo; its stock."""
    presenter = Phone(app.url)
    presenter.get(BUY_PAGE)
    status, _, body = presenter.post(BUY_PAGE + "restock/", {})
    assert status == 202, (status, body)
    (payload,) = app.query("SELECT payload FROM store_event WHERE kind = 'stock.restocked' ORDER BY id DESC LIMIT 1")[0]
    return json.loads(payload)["stock"]


if __name__ == "__main__":
    main()
