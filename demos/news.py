"""News for pages whose panes read on their own: a marker pushed when a write of the stream is
applied, so a page reads again then, instead of polling while nothing changes."""

from django.template.loader import render_to_string

from store.models import Event


def newest(stream: str) -> int:
    return Event.objects.filter(stream=stream).order_by("-id").values_list("id", flat=True).first() or 0


def marker(stream: str, oob: bool = False) -> str:
    """The marker a page holds and a push replaces: the stream's newest position."""
    return render_to_string("demos/_news.html", {"stream": stream, "newest": newest(stream), "oob": oob})
