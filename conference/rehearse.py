"""The rehearsal: every live demo's scenario in the talk's order, at the current lag (or each at
its scenario's own, as `R` on stage sets it), in real Chromium against the running app, and a
report per demo of whether each pane kept the promise its explanation makes and showed the
anomaly it is about (the checks are in demos/catalog/<name>/rehearsal.py). `manage.py rehearse`
runs it."""

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from playwright.sync_api import sync_playwright

from demos import registry, rehearsal
from store import lag
from store.models import LagSettings, Replica

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# On top of the longest lag: a laptop on stage (or a test machine) may be busy.
MARGIN_MS = 8000
VIEWPORT = {"width": 1280, "height": 720}


@dataclass
class Report:
    demo: registry.Demo
    verdicts: list[rehearsal.Verdict]
    seconds: float

    @property
    def ok(self) -> bool:
        return bool(self.verdicts) and all(v.ok for v in self.verdicts)

    def panes(self) -> list[dict]:
        """One summary per pane, in the order the check judged them: `--json`'s objects."""
        names = list(dict.fromkeys(v.pane for v in self.verdicts))
        return [
            {
                "demo": self.demo.slug,
                "pane": name,
                "ok": all(v.ok for v in self.verdicts if v.pane == name),
                "anomaly_shown": rehearsal.anomaly_shown(self.verdicts, name),
            }
            for name in names
        ]


def lag_now() -> tuple[LagSettings, dict[str, int]]:
    return LagSettings.load(), {r.name: r.extra_lag_ms for r in Replica.objects.all()}


def describe(settings_now: LagSettings, extra: dict[str, int]) -> str:
    replicas = ", ".join(f"“{name}” +{lag.format_ms(ms)}" for name, ms in extra.items())
    return (
        f"lag {lag.format_ms(settings_now.delay_ms)} ± {lag.format_ms(settings_now.jitter_ms)}, "
        f"{settings_now.failure_rate * 100:.0f} % refused{', reordering' if settings_now.reorder else ''}; "
        f"replicas {replicas}"
    )


def stage_for(demo: registry.Demo, page, open_page, settings_now: LagSettings, extra: dict[str, int]):
    replica_extra = extra.get(demo.replica or "", 0)
    worst = (
        settings_now.delay_ms
        + settings_now.jitter_ms * (2 if settings_now.reorder else 1)
        + max(extra.values(), default=0)
    )
    stamp = time.strftime("%H:%M:%S")
    return rehearsal.Stage(
        page=page,
        texts=tuple(f"{text} ({stamp})" for text in demo.scenario.texts),
        delay_ms=settings_now.delay_ms + replica_extra,
        bound_ms=worst + MARGIN_MS,
        lag_ms=settings_now.delay_ms,
        open_page=open_page,
    )


def preset(scenario) -> tuple[dict, dict[str, int]]:
    """The scenario's lag as the control panel takes it from `R`: (settings, replicas' extra lag).
    Never a partition: nothing would apply (the CAP demo's partition half is its browser test's)."""
    changes = {k: v for k, v in scenario.lag.items() if not k.startswith("replica_")}
    replicas = {k.removeprefix("replica_"): v for k, v in scenario.lag.items() if k.startswith("replica_")}
    return {**changes, "paused": False}, replicas


@contextlib.contextmanager
def lag_kept(seed: int | None) -> Iterator[None]:
    """Draw jitter from `seed` (if given) while rehearsing; the lag as it was afterwards."""
    before = lag.describe()
    replicas = before.pop("replicas")
    if seed is not None:
        lag.update({"seed": seed})
    try:
        yield
    finally:
        lag.update(before, replicas)


def rehearse(
    url: str,
    slugs: list[str] | None = None,
    out: Callable[[str], None] = print,
    seed: int | None = None,
    at_preset: bool = False,
) -> list[Report]:
    """Run each demo's scenario and check; print a line per promise as it goes. With `seed`,
    every delay is drawn from it; `at_preset`, each demo runs at its scenario's lag."""
    demos = [d for d in registry.live() if d.scenario and (not slugs or d.slug in slugs)]
    reports = []
    with lag_kept(seed):
        settings_now, extra = lag_now()
        at = "each scenario's own lag" if at_preset else describe(settings_now, extra)
        out(f"Rehearsal of {len(demos)} demos against {url} at {at}{f', seed {seed}' if seed is not None else ''}")
        for demo in demos:
            if at_preset:
                lag.update(*preset(demo.scenario))
                settings_now, extra = lag_now()
                out("")
                out(f"      at {describe(settings_now, extra)}")
            # A browser of its own per demo; the database only outside it (Playwright's sync API
            # runs an event loop, in which Django refuses queries).
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    reports.append(rehearse_one(browser, url, demo, settings_now, extra, out))
                finally:
                    browser.close()
    broken = [r for r in reports if not r.ok]
    out("")
    out(f"{len(reports) - len(broken)} of {len(reports)} demos kept every promise.")
    return reports


def rehearse_one(browser, url: str, demo: registry.Demo, settings_now, extra, out) -> Report:
    contexts, errors = [], []

    def open_page(path_or_url: str):
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path_or_url if "://" in path_or_url else url.rstrip("/") + path_or_url)
        page.wait_for_selector("body.is-live")
        return page

    started = time.monotonic()
    check = demo.rehearsal or rehearsal.generic
    try:
        page = open_page(f"/demos/{demo.slug}/")
        stage = stage_for(demo, page, open_page, settings_now, extra)
        verdicts = list(check(stage))
    except Exception as error:  # noqa: BLE001 - a broken page is a finding, not a crash of the rehearsal
        verdicts = [rehearsal.Verdict("page", False, f"stopped: {type(error).__name__}: {str(error)[:300]}")]
    finally:
        for context in contexts:
            context.close()
    verdicts += [rehearsal.Verdict("page", False, f"script error: {e}") for e in errors]
    report = Report(demo, verdicts, time.monotonic() - started)
    out("")
    name = "own check" if demo.rehearsal else "generic check"
    out(
        f"{'PASS' if report.ok else 'FAIL'}  {demo.order:>3} {demo.title} ({demo.slug}, {name}, {report.seconds:.0f} s)"
    )
    width = max([6, *(len(v.pane) for v in verdicts)])
    for verdict in verdicts:
        shown = {True: " [anomaly shown]", False: " [no anomaly]", None: ""}[verdict.anomaly]
        out(f"      {'ok ' if verdict.ok else 'BAD'}  {verdict.pane:<{width}} {verdict.said}{shown}")
    return report
