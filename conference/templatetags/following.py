"""The follow bar in every page's header: for a phone that follows, that it does and a way out;
for one that left, the way back; for staff, where the projector announces its page."""

from django import template
from django.template.loader import render_to_string

from ..follow import following

register = template.Library()


@register.simple_tag(takes_context=True)
def follow_bar(context) -> str:
    request = context["request"]
    user = context.get("user")
    state = None if user is not None and user.is_staff else following(request)
    return render_to_string(
        "conference/follow.html", {"following": state, "staff": bool(user and user.is_staff)}, request=request
    )
