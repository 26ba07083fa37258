import uuid

from django.urls import reverse


def new_key() -> str:
    return uuid.uuid4().hex


def form_context(request, url_name: str, outcome=None, **extra) -> dict:
    """Context for demos/_write_form.html: a fresh key after success, the same key after an error."""
    context = {"action": reverse(url_name), "htmx": True, "key": new_key(), **extra}
    if outcome is not None and outcome.error:
        context.update(error=outcome.error, text=request.POST.get("text", ""), key=request.POST.get("key") or new_key())
    elif outcome is not None:
        context["accepted"] = outcome.event
    return context
