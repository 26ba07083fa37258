"""Bytes a demo page receives over its socket for each write someone else makes in its stream,
in real Chromium: at a phone's width (an audience member: no timeline) and a laptop's (the
stream's timeline too, whose share is shown apart). Everything the socket gets counts: items,
patches, redraws, room and lag badges.

.venv/bin/python -m bench.page_bytes [writes]
"""

import os
import sys
import time

import django
from playwright.sync_api import sync_playwright

from bench.common import running_app
from demos import registry
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

WIDTHS = {"phone": (375, 740), "laptop": (1280, 800)}
QUIET_S = 1.5  # no frame for this long: the writes' pushes are all in
TIMELINE = '<template data-patch="timeline:'  # a timeline's frames (push/patch.py)


def measure(app, writes: int = 10) -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")
    django.setup()  # the registry: the demos declare themselves as their apps load
    app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, replica_lag="slow=0")
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for demo in registry.live():
            row = {"demo": demo.slug}
            for label, (width, height) in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                frames: list[tuple[float, int, bool]] = []  # (when, bytes, a timeline's)
                page.on(
                    "websocket",
                    lambda ws, frames=frames: ws.on(
                        "framereceived",
                        lambda payload: frames.append(
                            (time.monotonic(), len(str(payload).encode()), str(payload).startswith(TIMELINE))
                        ),
                    ),
                )
                page.goto(f"{app.url}/demos/{demo.slug}/")
                page.wait_for_selector("body.is-live")
                settle(page, frames)
                before = len(frames)
                client = app.client()
                for i in range(writes):
                    client.write(f"{demo.slug} bytes {i}", demo.stream)
                    page.wait_for_timeout(250)  # a write every quarter second, as a busy room
                settle(page, frames)
                mine = frames[before:]
                row[label] = (sum(n for _, n, _ in mine) / writes, len(mine) / writes)
                row[f"{label} timeline"] = sum(n for _, n, timeline in mine if timeline) / writes
                context.close()
            rows.append(row)
        browser.close()
    return rows


def settle(page, frames, deadline_s: float = 20) -> None:
    """Until the socket has been quiet for QUIET_S (or the deadline)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        page.wait_for_timeout(200)
        last = frames[-1][0] if frames else started
        if time.monotonic() - last >= QUIET_S:
            return


def report(rows: list[dict]) -> str:
    lines = [
        "| demo page | phone: bytes / frames per write | laptop: bytes / frames per write | laptop: timeline |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        phone, laptop = row["phone"], row["laptop"]
        lines.append(
            f"| {row['demo']} | {phone[0]:.0f} B / {phone[1]:.1f} | {laptop[0]:.0f} B / {laptop[1]:.1f} "
            f"| {row['laptop timeline']:.0f} B |"
        )
    return "\n".join(lines)


def main(writes: int = 10) -> None:
    with running_app() as app:
        print(report(measure(app, writes)))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
