"""The anomaly on cue: how often each naive pane shows its anomaly when its scenario runs at its
own lag preset (as `R` on stage sets it). Runs `manage.py rehearse --at-preset --json` against
the whole app in real Chromium, `--runs` times, each at another seed, and prints per demo how many
runs showed the naive pane's anomaly and how many kept every promise.

    .venv/bin/python -m bench.anomaly [--runs 10] [--demo SLUG ...] [--all] [--no-seed]

By default the two demos whose anomaly takes reordering or lags far enough apart: monotonic reads
and consistent prefix (`--all`: every demo with a scenario, about 5 minutes a run).
"""

import argparse
import json
import time
from collections import Counter

from bench.common import running_app

CRACKING = ["monotonic-reads", "consistent-prefix"]
# The pane whose anomaly is the point of each demo (CAP's is the AP side's stale read; Terry's
# game's the eventual reader's score that never was).
NAIVE = {"cap": "ap", "baseball": "eventual"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--demo", action="append", default=[], metavar="SLUG")
    parser.add_argument("--all", action="store_true", help="every demo with a scenario")
    parser.add_argument("--seed", type=int, default=1, help="the first run's seed; each run the next")
    parser.add_argument("--no-seed", action="store_true", help="draw delays at random, as on stage without one")
    args = parser.parse_args()
    demos = [] if args.all else (args.demo or CRACKING)
    shown, kept = Counter(), Counter()
    with running_app() as app:
        app.manage("seed", "--reset")
        for run in range(args.runs):
            started = time.monotonic()
            seed = [] if args.no_seed else ["--seed", str(args.seed + run)]
            try:
                out = app.manage(
                    "rehearse",
                    "--url",
                    app.url,
                    "--at-preset",
                    "--json",
                    *seed,
                    *[a for d in demos for a in ("--demo", d)],
                )
            except RuntimeError as error:  # a broken promise exits non-zero; its objects are printed first
                out = str(error)
            rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            for slug in dict.fromkeys(row["demo"] for row in rows):
                panes = [row for row in rows if row["demo"] == slug]
                kept[slug] += all(row["ok"] for row in panes)
                shown[slug] += any(row["anomaly_shown"] for row in panes if row["pane"] == NAIVE.get(slug, "naive"))
            print(f"run {run + 1}/{args.runs}: {time.monotonic() - started:.0f} s", flush=True)
    at = "unseeded" if args.no_seed else f"seeds {args.seed}..{args.seed + args.runs - 1}"
    print(f"\nAt each scenario's own lag preset, {args.runs} runs, {at}:")
    for slug in kept:
        pane = NAIVE.get(slug, "naive")
        print(
            f"  {slug:<20} {pane} anomaly shown {shown[slug]}/{args.runs} · every promise kept {kept[slug]}/{args.runs}"
        )


if __name__ == "__main__":
    main()
