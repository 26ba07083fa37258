"""Pages that are not one demo: the index, the coming-soon page, the generic write endpoint
and the "seen" beacon. The health check is showcase/health.py."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from store import trace

from . import curtain, fragments, registry, seen, verdicts, writes


@require_GET
def index(request):
    return render(request, "demos/index.html", {"demos": registry.demos()})


@require_GET
def demo(request, slug: str):
    """Demos not built yet; the built ones are routed to their own module first."""
    demo = registry.get(slug)
    if demo is None:
        raise Http404("No such demo.")
    return render(request, "demos/coming_soon.html", {"demo": demo})


@require_GET
def verdict_diagram(request, slug: str, run: int, pane: str):
    """A violation's space-time diagram (checker.diagram escapes every text), as an image only."""
    svg = verdicts.diagram_svg(slug, run, pane)
    if svg is None:
        raise Http404("No such diagram: no violation, or the run is too old.")
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["Content-Disposition"] = f'inline; filename="{slug}-{run}-{pane}.svg"'
    return response


def streams() -> set[str]:
    return {curtain.STREAM, *(d.stream for d in registry.demos())}


@require_POST
def write(request, stream: str):
    """Append one item to `stream`'s part of the log: 202 with the event's position."""
    if stream not in streams():
        raise Http404("No such stream.")
    outcome = writes.accept(request, stream)
    form = curtain.form_context(stream=stream, action=f"/write/{stream}/")
    if outcome.error:
        form.update(text=request.POST.get("text", ""), error=outcome.error, key=request.POST.get("key") or form["key"])
    else:
        form["accepted"] = outcome.event
    if request.htmx:
        response = render(request, "demos/curtain.html#write-form", form, status=outcome.status)
    else:
        response = render(request, "demos/curtain.html", {**fragments.curtain_context(), **form}, status=outcome.status)
    return writes.stamp(response, outcome)


@require_POST
def seen_beacon(request):
    """A browser rendered these settled items: keep the first time anyone did.

    Strict: every item must carry the token the server rendered with it (demos/seen.py), and
    there are at most seen.MAX_KEYS, else 400 and nothing is stored.
    """
    try:
        keys = seen.keys_of(request.POST.getlist("seen"))
    except seen.BadReport as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    trace.mark_seen(keys)
    return HttpResponse(status=204)
