"""The demos, each declared once in its own module under `demos/catalog/`.

Like Django's admin derives its pages from one `ModelAdmin`, everything else derives from a
`Demo`: the index and the presenter's keys (in `order`), the routes (`urls`, mounted under
`/demos/<slug>/`), what is pushed after a replica applies (`pushed`, `pushed_to_session`), the
seed examples, the scripted scenario and its rehearsal check. `discover()` imports every module of the catalog.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from .code import Snippet
from .groups import stream_group, timeline_group
from .scenario import Scenario

CATALOG = "demos.catalog"


@dataclass(frozen=True)
class Markup:
    """Where a demo page's parts are, for checks that drive it in a browser. The defaults are
    DESIGN's markup contract; a page of another shape (a button that plays a game, readers
    named by their guarantee) says so here."""

    write: str = "[data-write-form]"  # a form with a text field and a button, or one button
    pane: str = "data-pane"  # the attribute whose value is one of the demo's `panes`
    item: str = "[data-item-id]"  # an entry of the list a pane shows first
    lead: str = "trick"  # the pane a phone shows first


@dataclass(frozen=True)
class Demo:
    slug: str
    title: str
    naive: str  # what the naive pane does, in a few words
    trick: str  # what the trick pane does
    order: int  # place in the talk's arc: index, presenter keys
    replica: str | None = None  # the replica whose applies its page shows live
    urls: tuple = ()  # URL patterns under /demos/<slug>/; the page itself at ""
    # The live list, as `replica` holds it now: what a page gets on (re)connect (None: nothing live).
    pushed: Callable[[], str] | None = None
    # The id of that list's element: each write `replica` settles is pushed alone, into it.
    live_list: str = ""
    # Without a live list: push what changed in `pushed()` since its last drawing, not all of it
    # (push/patch.py). For pages whose answers don't redraw the same elements unchecked.
    patched: bool = False
    # HTML for the writer's own pages only: (event, replica name) -> HTML or "".
    pushed_to_session: Callable[..., str] | None = None
    # HTML for the starter's own pages after a business process of theirs moved on: (process) -> HTML.
    progressed: Callable[..., str] | None = None
    examples: tuple[str, ...] = ()  # seeded into the demo's stream of the log
    # False: the page shows only what its own controls write (baseball's game), nothing seeded.
    seeded: bool = True
    scenario: Scenario | None = None
    snippets: Callable[[], list[Snippet]] = field(default=lambda: [])  # the trick's key code
    script: str = ""  # the trick's browser half, a path under static/
    panes: tuple[str, ...] = ("naive", "trick")
    markup: Markup = Markup()
    # Checks, in a real browser, that each pane keeps its promise (demos/rehearsal.py); None: generic.
    rehearsal: Callable[..., list] | None = None
    # The panes the history checker judges, each against its promise (demos/verdicts.py Checked).
    checked: tuple = ()

    @property
    def ready(self) -> bool:
        return bool(self.urls)

    @property
    def stream(self) -> str:
        return self.slug

    @property
    def group(self) -> str:
        return stream_group(self.stream)

    @property
    def timeline_group(self) -> str:
        return timeline_group(self.stream)


_demos: dict[str, Demo] = {}


def register(demo: Demo) -> Demo:
    if demo.slug in _demos and _demos[demo.slug] != demo:
        raise ValueError(f"two demos are called {demo.slug!r}")
    _demos[demo.slug] = demo
    return demo


def discover() -> None:
    """Import every module of the catalog; each registers its demo."""
    package = importlib.import_module(CATALOG)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{CATALOG}.{module.name}")


def demos() -> list[Demo]:
    """Every demo in the talk's order."""
    return sorted(_demos.values(), key=lambda d: (d.order, d.slug))


def get(slug: str) -> Demo | None:
    return _demos.get(slug)


def live() -> list[Demo]:
    return [d for d in demos() if d.ready]
