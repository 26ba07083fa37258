"""Type on the projector: each demo in presenter mode, in Chromium at a projector's size, and the
smallest text drawn in its demo area (SVG text at its scaled size), plus the smallest of what
carries the point (items' texts, scores, counts, verdicts, the lag badge).

.venv/bin/python -m bench.fonts [WIDTHxHEIGHT ...]   (default 1280x720)
"""

import os
import secrets
import sys

import django

from bench.common import running_app
from demos import registry
from tests.a11y import MINIMUM_PX, Smallest, log_in_as_presenter, point_sizes, smallest, text_sizes
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

USER = "fonts-bench"


def measure(app, browser, width: int, height: int) -> list[tuple[str, Smallest, int, float | None]]:
    password = secrets.token_urlsafe(12)
    app.stack.manage("ensure_admin", "--username", USER, stdin=password + "\n")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    log_in_as_presenter(page, app.url, USER, password)
    rows = []
    for demo in registry.live():
        page.goto(f"{app.url}/demos/{demo.slug}/")
        page.wait_for_selector("body.presenter.is-live")
        points = [p["size"] for p in point_sizes(page)]
        sizes = text_sizes(page)
        under = sum(1 for s in sizes if s["size"] < MINIMUM_PX)
        rows.append((demo.slug, smallest(sizes), under, min(points) if points else None))
    context.close()
    return rows


def main(sizes: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")
    django.setup()  # the registry: the demos declare themselves as their apps load

    with running_app() as app, sync_playwright() as playwright:
        app.manage("seed", "--reset")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size in sizes:
            width, height = (int(n) for n in size.split("x"))
            print(f"\npresenter mode at {width}x{height}: smallest text in the demo area, smallest point carrier")
            print(f"{'page':20} {'smallest':>9} {'nodes':>6} {'<20px':>6} {'point':>7}  smallest texts")
            for slug, low, under, point in measure(app, browser, width, height):
                point_text = f"{point:.1f}" if point else "-"
                examples = "; ".join(low.examples)
                print(f"{slug:20} {low.size:>7.1f}px {low.count:>6} {under:>6} {point_text:>7}  {examples}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:] or ["1280x720"])
