"""Click-to-feedback time of each pane of each demo at lag 3 s, read from the panes' own
counters in real Chromium.

    .venv/bin/python -m bench.feedback [rounds]
"""

import sys
import time
import uuid

from playwright.sync_api import sync_playwright

from bench.common import running_app, summary
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

DEMOS = ("optimistic", "read-your-writes", "pending", "push")


def feedback_ms(page, pane: str, timeout_s: float) -> float | None:
    """The pane's own 'click → feedback' counter, once it has one."""
    deadline = time.monotonic() + timeout_s
    counter = page.locator(f'[data-pane="{pane}"] [data-counter="feedback"]')
    while time.monotonic() < deadline:
        text = counter.inner_text()
        if text.endswith(" ms"):
            return float(text.removesuffix(" ms"))
        time.sleep(0.05)
    return None


def main(rounds: int = 3) -> None:
    with running_app() as app, sync_playwright() as playwright:
        app.lag(delay_ms=3000, jitter_ms=0, failure_rate=0, replica_lag="slow=0")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        results: dict[tuple[str, str], list[float]] = {}
        never: dict[tuple[str, str], int] = {}
        for slug in DEMOS:
            for _ in range(rounds):
                context = browser.new_context()
                page = context.new_page()
                page.goto(f"{app.url}/demos/{slug}/")
                page.wait_for_selector("body.is-live")
                page.fill("[data-write-form] input[type=text]", f"bench {uuid.uuid4().hex[:6]}")
                page.click("[data-write-form] button")
                if slug == "read-your-writes":
                    page.wait_for_url("**/demos/read-your-writes/")
                for pane in ("trick", "naive"):
                    value = feedback_ms(page, pane, 8)
                    if value is None:
                        never[(slug, pane)] = never.get((slug, pane), 0) + 1
                    else:
                        results.setdefault((slug, pane), []).append(value)
                context.close()
        browser.close()
        print("click → visible feedback at lag 3 s (the pane shows the written item)")
        for slug in DEMOS:
            for pane in ("naive", "trick"):
                line = summary(results.get((slug, pane), []))
                if never.get((slug, pane)):
                    line += f" · not shown within 8 s in {never[(slug, pane)]} of {rounds} (stale until reload)"
                print(f"  {slug:17} {pane:5}  {line}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
