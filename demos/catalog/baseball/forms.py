"""What the baseball page's script sends: the `index`-th run of `game`."""

from django import forms

from demos.forms import Form

from .game import GAME

UNKNOWN = "Unknown game or write."


class RunForm(Form):
    game = forms.RegexField(regex=r"^[A-Za-z0-9]{1,32}$", error_messages={"invalid": UNKNOWN, "required": UNKNOWN})
    index = forms.IntegerField(
        min_value=0,
        max_value=len(GAME) - 1,
        error_messages={"invalid": UNKNOWN, "required": UNKNOWN, "min_value": UNKNOWN, "max_value": UNKNOWN},
    )
