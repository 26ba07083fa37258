"""Conference mode in every page: keyboard walk between demos, the presenter's scenario bar
and who is in the room."""

from urllib.parse import urlencode

from django import template
from django.template.loader import render_to_string
from django.urls import reverse

from demos import registry
from push import room, tickets

from .. import scenarios

register = template.Library()


def walk() -> list[str]:
    """The order the arrow keys walk: the index, the curtain, then the demos as catalogued."""
    return [reverse("index"), reverse("curtain"), *(reverse("demo", args=[d.slug]) for d in registry.demos())]


def neighbours(path: str) -> tuple[str | None, str | None]:
    pages = walk()
    if path not in pages:
        return None, None
    i = pages.index(path)
    return (pages[i - 1] if i > 0 else None), (pages[i + 1] if i + 1 < len(pages) else None)


@register.simple_tag(takes_context=True)
def presenter_head(context) -> str:
    request = context["request"]
    prev, next_ = neighbours(request.path)
    return render_to_string("conference/presenter.html#head", {"prev": prev, "next": next_}, request=request)


@register.simple_tag(takes_context=True)
def presenter_bar(context) -> str:
    """The scenario button, for staff only: a scenario changes the lag for the whole room."""
    request = context["request"]
    data = scenarios.for_path(request.path)
    if data is None or not request.user.is_staff:
        return ""
    return render_to_string("conference/presenter.html#bar", {"scenario": data, "data": data}, request=request)


@register.simple_tag(takes_context=True)
def room_badge(context) -> str:
    """The presenter's header shows who is in the room; the audience's does not, and the join
    page shows it large instead (one element per page: pushes swap it by its id)."""
    user, match = context.get("user"), context["request"].resolver_match
    if user is None or not user.is_staff or (match and match.url_name == "join"):
        return ""
    return room.badge()


@register.simple_tag(takes_context=True)
def staff_socket(context) -> str:
    """What a staff page's socket asks for besides the audience's: the room's badge, and the
    ticket that proves it is staff without a database read on connect (push/tickets.py)."""
    request = context["request"]
    user = context.get("user")
    if user is None or not user.is_staff or not request.session.session_key:
        return ""
    return "&" + urlencode({"g": "room", "staff": tickets.staff_ticket(request.session.session_key)})
