from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from showcase.celery import app as celery_app

from . import fragments, writes
from .catalog import BY_SLUG, CURTAIN, DEMOS, STREAMS
from .forms import new_key


@require_GET
def index(request):
    return render(request, "demos/index.html", {"demos": DEMOS})


@require_GET
def curtain(request):
    context = {**fragments.curtain_context(), "key": new_key(), "stream": CURTAIN}
    return render(request, "demos/curtain.html", context)


@require_GET
def demo(request, slug: str):
    """Demos not built yet; the built ones have their own routes in demos/urls.py."""
    if slug not in BY_SLUG:
        raise Http404("No such demo.")
    return render(request, "demos/coming_soon.html", {"demo": BY_SLUG[slug]})


@require_POST
def write(request, stream: str):
    """Append one item to `stream`'s part of the log: 202 with the event's position."""
    if stream not in STREAMS:
        raise Http404("No such stream.")
    outcome = writes.accept(request, stream)
    if outcome.error:
        context = {"stream": stream, "text": request.POST.get("text", ""), "error": outcome.error}
        return _write_form(request, context, status=outcome.status)
    response = _write_form(request, {"stream": stream, "accepted": outcome.event}, status=202)
    response["X-Event-Position"] = str(outcome.event.pk)
    return response


def _write_form(request, context: dict, status: int) -> HttpResponse:
    context.setdefault("key", new_key() if status == 202 else request.POST.get("key") or new_key())
    if request.htmx:
        return render(request, "demos/curtain.html#write-form", context, status=status)
    return render(request, "demos/curtain.html", {**fragments.curtain_context(), **context}, status=status)


@require_GET
def healthz(request):
    checks = {"database": _check_database(), "redis": _check_redis(), "worker": _check_worker()}
    status = 200 if all(v == "ok" for v in checks.values()) else 503
    return JsonResponse(checks, status=status)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure is "not ok", with its reason
        return f"error: {error}"


def _check_redis() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.client.ping()
        return "ok"
    except Exception as error:  # noqa: BLE001
        return f"error: {error}"


def _check_worker() -> str:
    try:
        replies = celery_app.control.ping(timeout=0.5)
        return "ok" if replies else "error: no worker answered"
    except Exception as error:  # noqa: BLE001
        return f"error: {error}"
