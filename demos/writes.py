"""The one write path every page shares: rate limit, validate, append; and the write form."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from store import busy, log
from store.models import Event

from . import ratelimit
from .forms import WriteForm

BUSY_RETRY_AFTER_S = 2
CROWDED_RETRY_AFTER_S = 1
CROWDED = "Everyone is writing at once: yours is not written yet. Sending it again in a moment…"
BUSY = (
    "The database is busy right now and nothing was written. Try again in a moment: the same write can't count twice."
)


@dataclass(frozen=True)
class Outcome:
    event: Event | None = None
    error: str = ""
    status: int = 202
    retry_after: int | None = None


def accept(request, stream: str, kind: str = "item.added", extra: Callable[[str], dict] | None = None) -> Outcome:
    """Append the POSTed text to `stream` under the client's idempotency key. `extra(key)` adds
    what a demo's command carries beside its text (e.g. the session's last write it follows);
    it runs once the write is valid, and for the same key must add the same."""
    submitted_at = timezone.now()
    try:
        with busy.patience(settings.WRITE_BUSY_TIMEOUT_MS):
            if refused := ratelimit.check(request, new_session=not request.session.session_key):
                return Outcome(error=refused, status=429)
            form = WriteForm(request.POST)
            if not form.is_valid():
                return Outcome(error=form.refusal(), status=400)
            # A burst waits its turn in this process's group commit, in order, or is told 429.
            result = log.append(
                stream,
                form.cleaned_data["key"],
                {"text": form.cleaned_data["text"], **(extra(form.cleaned_data["key"]) if extra else {})},
                kind=kind,
                session_key=request.session.session_key,
                submitted_at=submitted_at,
                wait_s=settings.WRITE_ADMIT_WAIT_MS / 1000,
            )
    except log.Crowded:
        return Outcome(error=CROWDED, status=429, retry_after=CROWDED_RETRY_AFTER_S)
    except log.KeyConflict as error:
        return Outcome(error=str(error), status=409)
    except log.CommandError as error:
        return Outcome(error=str(error), status=400)
    except OperationalError as error:
        if not busy.is_busy(error):
            raise
        # The append's transaction never began: nothing of this write is in the log.
        return Outcome(error=BUSY, status=503, retry_after=BUSY_RETRY_AFTER_S)
    return Outcome(event=result.event)


def stamp(response: HttpResponse, outcome: Outcome) -> HttpResponse:
    """The headers that tell a client what became of its write."""
    if outcome.event:
        response["X-Event-Position"] = str(outcome.event.pk)
    if outcome.retry_after:
        response["Retry-After"] = str(outcome.retry_after)
    return response


def response(html: str, outcome: Outcome) -> HttpResponse:
    return stamp(HttpResponse(html, status=outcome.status), outcome)


def new_key() -> str:
    return uuid.uuid4().hex


def form_context(request, url_name: str, outcome: Outcome | None = None, **extra) -> dict:
    """Context for demos/_write_form.html: a fresh key after success, the same key after an error.

    A page that shows a form opens the session its writes will count against (demos/ratelimit.py).
    """
    if request is not None and not request.session.session_key:
        request.session.save()
    context = {"action": reverse(url_name), "htmx": True, "key": new_key(), **extra}
    if outcome is not None and outcome.error:
        context.update(error=outcome.error, text=request.POST.get("text", ""), key=request.POST.get("key") or new_key())
        if outcome.status == 429 and outcome.retry_after:  # crowded: the page sends it again itself
            context["retry_after"] = outcome.retry_after
    elif outcome is not None:
        context["accepted"] = outcome.event
    return context


def form_html(request, url_name: str, outcome: Outcome | None = None, **extra) -> str:
    """The write form (demos/_write_form.html) as it answers `outcome`."""
    return render_to_string("demos/_write_form.html", form_context(request, url_name, outcome, **extra), request)


def answer(request, url_name: str, outcome: Outcome, **extra) -> HttpResponse:
    """The answer to a write whose page swaps in the form alone: the form, with the write's status."""
    return response(form_html(request, url_name, outcome, **extra), outcome)
