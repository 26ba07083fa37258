"""The size of an exported run: a 5-minute run on the optimistic demo recorded through the
recorder (a write every second from 4 sessions, each applied by 4 replicas and pushed, a
partition for 30 s, a lag change, a restart), persisted and exported as one file.

    .venv/bin/python -m bench.run_export [--minutes 5] [--writes-per-s 1]
"""

import argparse
import os
import tempfile
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--writes-per-s", type=float, default=1)
    args = parser.parse_args()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from runs import recorder
    from runs.models import Run
    from showcase.stack import Stack
    from store import lag

    with tempfile.TemporaryDirectory() as tmp:
        redis = Stack(log_dir=Path(tmp))
        redis.start_redis()
        settings.REDIS_URL = redis.redis_url
        settings.DATABASES["default"]["NAME"] = f"{tmp}/bench.sqlite3"
        call_command("migrate", verbosity=0)
        from store.data import ensure_replicas

        ensure_replicas()
        settings_now = lag.describe()
        t0 = recorder.now_ms() - int(args.minutes * 60_000)
        writes = int(args.minutes * 60 * args.writes_per_s)
        entries = []
        for i in range(writes):
            t = t0 + int(i * 1000 / args.writes_per_s)
            key = f"{i:08x}-4b1e-4f7a-9c1d-{i:012x}"
            text = f"Comment number {i} from the back row"
            entries.append(
                {
                    "t": t,
                    "k": "accepted",
                    "s": "optimistic",
                    "pos": i + 1,
                    "key": key,
                    "text": text,
                    "session": f"{i % 4:08x}",
                }
            )
            for j, replica in enumerate(("fast", "medium", "slow", "arrival")):
                state = "rejected" if i % 10 == 3 else "applied"
                entry = {"t": t + 1000 + j * 500, "k": state, "s": "optimistic", "pos": i + 1, "key": key, "r": replica}
                if state == "rejected":
                    entry["reason"] = "out of stock"
                entries.append(entry)
                if replica == "fast":
                    entries.append({"t": t + 1001, "k": "pushed", "s": "optimistic", "pos": i + 1, "r": replica})
            entries.append({"t": t + 1200, "k": "seen", "s": "optimistic"})
        middle = t0 + int(args.minutes * 30_000)
        entries.append({"t": middle, "k": "lag", "lag": {**settings_now, "paused": True}})
        entries.append({"t": middle + 30_000, "k": "lag", "lag": settings_now})
        entries.append({"t": middle + 60_000, "k": "restart", "process": "web", "exit": "SIGKILL"})
        recorder.record(*entries)
        recorder.flush()
        run = Run.objects.order_by("-started_at").first()
        out = f"{tmp}/run.html"
        call_command("export_run", str(run.pk), "-o", out)
        size = os.path.getsize(out)
        print(
            f"{args.minutes:g}-minute run, {run.writes} writes, {len(run.events)} events: {size / 1e6:.2f} MB exported"
        )


if __name__ == "__main__":
    main()
