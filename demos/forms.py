"""What the demos' write endpoints accept, read by Django forms, and the one shape of a refusal.

Every write endpoint validates with a form from here; a refused write answers its status with
the message shown beside the control that sent it (`refusal`), and nothing is written. The
rules for a text and a key are the log's own (store/log.py), so a command the log would refuse
never reaches it.
"""

from django import forms
from django.http import HttpResponse
from django.template.loader import render_to_string

from store import log


class LogField(forms.CharField):
    """A field checked by one of the log's rules (`log.clean_text`, `log.clean_key`)."""

    def __init__(self, rule, **kwargs):
        self.rule = rule
        super().__init__(required=False, strip=False, **kwargs)

    def clean(self, value):
        try:
            return self.rule(self.to_python(value))  # the log's rule alone, in the log's words
        except log.CommandError as error:
            raise forms.ValidationError(str(error)) from error


def text_field() -> LogField:
    return LogField(log.clean_text)


def key_field() -> LogField:
    return LogField(log.clean_key)


class Form(forms.Form):
    def refusal(self) -> str:
        """The first thing to fix, in the words the page shows beside the control."""
        for errors in self.errors.values():
            return " ".join(errors)
        return ""


class WriteForm(Form):
    """The write form every demo shares (demos/_write_form.html): a text and its idempotency key."""

    text = text_field()
    key = key_field()


class KeyForm(Form):
    key = key_field()


def refusal(request, message: str, status: int, place: str) -> HttpResponse:
    """A refused write in the one shape every page shows: `status`, and `message` in the alert
    beside the control whose refusal slot is `place` (swapped in out of band, so a control whose
    answer swaps nothing else still shows it)."""
    html = render_to_string("demos/_refusal.html", {"place": place, "message": message}, request)
    return HttpResponse(html, status=status)
