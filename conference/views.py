"""Conference mode: the presenter's control panel, the audience's join page and presenter mode."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from demos import curtain, history
from push import room as audience
from runs import recorder as runs
from store import data, lag
from store.models import LagSettings

from . import follow
from . import join as joining
from .forms import LagForm, replica_field
from .presets import BY_SLUG as PRESETS_BY_SLUG
from .presets import PRESETS


def staff_only(view):
    """Staff in; anyone else is sent to log in, and an htmx request is told to go there."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_active and request.user.is_staff:
            return view(request, *args, **kwargs)
        login = redirect_to_login(reverse("control"))
        if request.htmx:
            return HttpResponseClientRedirect(login.url)
        return login

    return wrapped


def _panel_context(form: LagForm | None = None, notice: str = "", failed: bool = False) -> dict:
    settings_now = LagSettings.load()
    form = form or LagForm()
    # Fine steps: the whole form posts on any change, so a value set elsewhere (a preset, the
    # CLI, the admin) must survive a slider round trip without snapping to a coarser step.
    sliders = [
        {"field": form["delay_ms"], "value": settings_now.delay_ms, "step": 1, "unit": "ms"},
        {"field": form["jitter_ms"], "value": settings_now.jitter_ms, "step": 1, "unit": "ms"},
        {"field": form["failure_rate"], "value": settings_now.failure_rate, "step": 0.01, "unit": "rate"},
    ]
    sliders += [
        {"field": form[replica_field(r.name)], "value": r.extra_lag_ms, "step": 1, "unit": "ms"} for r in form.replicas
    ]
    return {
        "form": form,
        "lag": settings_now,
        "sliders": sliders,
        "presets": [{"preset": p, "active": _is_active(p, settings_now, form.replicas)} for p in PRESETS],
        "notice": notice,
        "failed": failed,
        "lag_state": lag.fingerprint(),
    }


def _is_active(preset, settings_now: LagSettings, replicas) -> bool:
    extra = {r.name: r.extra_lag_ms for r in replicas}
    return all(getattr(settings_now, k) == v for k, v in preset.changes.items()) and all(
        extra.get(k) == v for k, v in preset.replica_lag.items()
    )


def _panel_response(request, form: LagForm | None = None, notice: str = "", status: int = 200):
    """htmx gets the panel to swap in; a plain POST is redirected back (or shown its errors)."""
    context = _panel_context(form, notice, failed=status >= 400)
    if request.htmx:
        return render(request, "conference/control.html#panel", context, status=status)
    if status < 400:
        messages.success(request, notice)
        return redirect("control", permanent=False)
    return render(request, "conference/control.html", context, status=status)


def _summary(settings_now: LagSettings) -> str:
    if settings_now.paused:
        return "Partition: writes are accepted and queue up until you heal."
    return (
        f"Lag {lag.format_ms(settings_now.delay_ms)} ± {lag.format_ms(settings_now.jitter_ms)}, "
        f"{settings_now.failure_rate * 100:.0f} % refused{', reordering' if settings_now.reorder else ''}."
    )


@require_GET
@staff_only
def control(request):
    data.ensure_replicas()
    return render(request, "conference/control.html", _panel_context())


@require_GET
@staff_only
def control_panel(request):
    """The panel alone, as it is now: open panels fetch it when the lag changed elsewhere."""
    return render(request, "conference/control.html#panel", _panel_context())


@require_POST
@staff_only
def control_lag(request):
    """Change any subset of the lag settings; a bad value refuses the whole change."""
    form = LagForm(request.POST)
    saved = form.save() if form.is_valid() else None
    if saved is None:
        return _panel_response(request, form, "Nothing changed.", status=400)
    # scenario.js names the scenario whose lag this is: its writes are a run of their own.
    if scenario := curtain.scenarios().get(request.POST.get("scenario", "")):
        runs.scenario_started(request.POST["scenario"], scenario.title)
        history.new_run(request.POST["scenario"])
    return _panel_response(request, notice=f"Saved. {_summary(saved)}")


@require_POST
@staff_only
def control_preset(request):
    preset = PRESETS_BY_SLUG.get(request.POST.get("preset", ""))
    if preset is None:
        return _panel_response(request, notice="Unknown preset. Nothing changed.", status=400)
    try:
        saved = lag.update(preset.changes, preset.replica_lag)
    except ValidationError as error:
        return _panel_response(request, notice=f"{' '.join(error.messages)} Nothing changed.", status=400)
    return _panel_response(request, notice=f"{preset.title}. {_summary(saved)}")


@require_POST
@staff_only
def control_reset(request):
    """Empty the log and the replicas, seed the examples again, and redraw every open page."""
    created = data.reset(curtain.examples())
    return _panel_response(request, notice=f"Demo data reset: {created} example items.")


@require_GET
def join(request):
    follow.join(request)
    url = joining.join_url(request)
    context = {
        "url": url,
        "qr": joining.qr_svg(url),
        "local_only": joining.is_local_only(url),
        "room": audience.badge(),
    }
    return render(request, "conference/join.html", context)


@require_GET
def room(request):
    """Who is in the room now (polled; pushed as well when it changes)."""
    return HttpResponse(audience.badge())


@require_POST
def presenter(request):
    """Presenter mode (large type, high contrast) on or off for this browser's session."""
    request.session["presenter"] = request.POST.get("on", "1") == "1"
    runs.presenting(request.session["presenter"])
    if not request.session["presenter"]:
        follow.stop(request)
    if request.htmx:
        return HttpResponse(status=204)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("index")
    return redirect(target)
