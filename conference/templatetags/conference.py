"""Conference mode in every page: keyboard walk between demos, the presenter's scenario bar,
and the timeline section."""

from django import template
from django.template.loader import render_to_string
from django.urls import reverse

from demos import fragments
from demos.catalog import CURTAIN, DEMOS

from ..scenarios import BY_SLUG as SCENARIOS

register = template.Library()


def walk() -> list[str]:
    """The order the arrow keys walk: the index, the curtain, then the demos as catalogued."""
    return [reverse("index"), reverse("curtain"), *(reverse("demo", args=[d.slug]) for d in DEMOS)]


def neighbours(path: str) -> tuple[str | None, str | None]:
    pages = walk()
    if path not in pages:
        return None, None
    i = pages.index(path)
    return (pages[i - 1] if i > 0 else None), (pages[i + 1] if i + 1 < len(pages) else None)


def page_scenario(request):
    """The scenario of the page at this path: by path, since each demo may have its own view."""
    pages = {reverse("curtain"): CURTAIN, **{reverse("demo", args=[d.slug]): d.slug for d in DEMOS}}
    slug = pages.get(request.path)
    return SCENARIOS.get(slug) if slug else None


@register.simple_tag(takes_context=True)
def presenter_head(context) -> str:
    request = context["request"]
    prev, next_ = neighbours(request.path)
    return render_to_string("conference/presenter.html#head", {"prev": prev, "next": next_}, request=request)


@register.simple_tag(takes_context=True)
def presenter_bar(context) -> str:
    """The scenario button, for staff only: a scenario changes the lag for the whole room."""
    request = context["request"]
    scenario = page_scenario(request)
    if scenario is None or not request.user.is_staff:
        return ""
    return render_to_string(
        "conference/presenter.html#bar", {"scenario": scenario, "data": scenario.as_data()}, request=request
    )


@register.simple_tag
def timeline(stream: str | None = None, limit: int = 8) -> str:
    return fragments.timeline(stream, limit=limit)
