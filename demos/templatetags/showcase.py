from django import template
from django.template.loader import render_to_string

from demos import fragments, verdicts
from demos.seen import token
from store.lag import format_ms

register = template.Library()


@register.filter
def ms(value: int) -> str:
    return format_ms(int(value))


@register.filter
def percent(value: float) -> str:
    return f"{value * 100:.0f} %"


@register.filter
def seen_token(key: str) -> str:
    """Proof, for the "seen" beacon, that the server rendered this write settled to a browser."""
    return token(key)


@register.simple_tag
def timeline(stream: str | None = None, limit: int = 8) -> str:
    """The timeline of `stream` (every stream: None), as demos/fragments.py draws it."""
    return fragments.timeline(stream, limit=limit)


@register.simple_tag
def verdict(slug: str, pane: str) -> str:
    """The pane's verdict from the history checker, as demos/verdicts.py keeps it."""
    shown = [v for v in verdicts.panes(slug) if v["pane"] == pane]
    return render_to_string("demos/_verdict.html", {"v": shown[0]}) if shown else ""
