"""The one page of the push layer: a patched region whole, for a page that missed a patch."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from . import regions


@require_GET
def region(request, name: str):
    """The region `name` as it is now, numbered (push/patch.py): what static/showcase/patch.js
    starts again from when a patch does not apply to what it shows, or merges into a live list
    that missed an item."""
    try:
        region = regions.Region.parse(name)
    except ValueError:
        raise Http404("No such region.") from None
    if region.live:
        html = regions.live_snapshot(region.arg)
    elif region.patched:
        html = regions.patch_snapshot(region)
    else:
        raise Http404("No such region.")
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return response
