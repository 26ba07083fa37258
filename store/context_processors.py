from django.utils.functional import SimpleLazyObject

from .models import LagSettings


def lag(request) -> dict:
    """The lag settings, read only by a template that shows them (the header's lag badge, the
    control panel): a write's answer is a fragment without them, and skips the query."""
    return {"lag": SimpleLazyObject(LagSettings.load)}
