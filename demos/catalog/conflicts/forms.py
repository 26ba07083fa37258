"""What the conflicts page's controls send: buyers, an edit (or a race of edits), the choice after a 409."""

from django import forms

from demos.forms import Form, key_field
from store import log

from .lost_update import EDITORS
from .oversell import MAX_BUYERS


class BuyForm(Form):
    """Conflicts: one name, or several separated by commas, buy at once."""

    key = key_field()
    text = forms.CharField(required=False)

    def clean_text(self) -> list[str]:
        names = [" ".join(n.split())[:30] for n in self.cleaned_data["text"].split(",")]
        names = [log.clean_text(n) for n in names if n]
        if not names:
            raise forms.ValidationError("Who buys? One name, or several separated by commas.")
        if len(names) > MAX_BUYERS:
            raise forms.ValidationError(f"At most {MAX_BUYERS} buyers at once.")
        return names


class EditForm(Form):
    """Conflicts: one text saves the note in both panes; as many texts as editors race."""

    key = key_field()
    base_naive = forms.IntegerField(required=False, min_value=0)
    base_trick = forms.IntegerField(required=False, min_value=0)

    def __init__(self, data):
        super().__init__(data)
        self.editors = len(EDITORS)
        self.texts = data.getlist("text")

    def clean(self):
        cleaned = super().clean()
        if len(self.texts) not in (1, self.editors):
            raise forms.ValidationError(f"Send one text, or {self.editors} to race.")
        try:
            cleaned["texts"] = [log.clean_text(t) for t in self.texts]
        except log.CommandError as error:
            raise forms.ValidationError(str(error)) from error
        cleaned["bases"] = {p: cleaned.get(f"base_{p}") or 0 for p in ("naive", "trick")}
        return cleaned


class ResolveForm(Form):
    """Conflicts: the choice after a 409: keep mine, keep theirs, or the merge."""

    choice = forms.ChoiceField(choices=[("mine", "mine"), ("theirs", "theirs"), ("merge", "merge")])
    key = key_field()
    base = forms.IntegerField(min_value=0, required=False)
    editor = forms.CharField(required=False)
    mine = forms.CharField(required=False, strip=False)
    merged = forms.CharField(required=False, strip=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("choice") in ("mine", "merge"):
            if cleaned.get("base") is None:
                raise forms.ValidationError("Which version did you start from? Nothing was saved.")
            try:
                cleaned["text"] = log.clean_text(cleaned.get("mine" if cleaned["choice"] == "mine" else "merged", ""))
            except log.CommandError as error:
                raise forms.ValidationError(str(error)) from error
        cleaned["editor"] = " ".join((cleaned.get("editor") or "").split())[:30] or "You"
        return cleaned
