"""Scripted scenarios by page path: each demo declares its own (demos/registry.py), the
curtain has one too. The presenter starts one with a click, or replays it with "r"."""

from django.urls import reverse

from demos import curtain


def for_path(path: str) -> dict | None:
    """The scenario of the page at `path`, as data for scenario.js, or None."""
    pages = {reverse("curtain"): curtain.STREAM, **{reverse("demo", args=[s]): s for s in curtain.scenarios()}}
    slug = pages.get(path)
    if slug is None:
        return None
    scenario = curtain.scenarios().get(slug)
    return scenario.as_data(slug) if scenario else None
