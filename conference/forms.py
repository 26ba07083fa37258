"""The control panel's lag form: a partial change, so a slider, a switch or a scenario can each
post just what it sets. Ranges come from the model; `store.lag.update` checks them again."""

from django import forms
from django.core.exceptions import ValidationError

from store import lag
from store.models import MAX_DELAY_MS, MAX_EXTRA_LAG_MS, MAX_JITTER_MS, Replica


def _on_off(value: str) -> bool:
    return value == "1"


def replica_field(name: str) -> str:
    return f"replica_{name}"


class LagForm(forms.Form):
    delay_ms = forms.IntegerField(label="Delay", required=False, min_value=0, max_value=MAX_DELAY_MS)
    jitter_ms = forms.IntegerField(label="Jitter", required=False, min_value=0, max_value=MAX_JITTER_MS)
    failure_rate = forms.FloatField(label="Failure rate", required=False, min_value=0.0, max_value=1.0)
    # "1" or "0"; absent means unchanged (a checkbox posts a hidden "0" before its "1").
    paused = forms.TypedChoiceField(
        required=False, choices=[("1", "pause"), ("0", "heal")], coerce=_on_off, empty_value=None
    )
    reorder = forms.TypedChoiceField(
        required=False, choices=[("1", "on"), ("0", "off")], coerce=_on_off, empty_value=None
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.replicas = list(Replica.objects.all())
        for replica in self.replicas:
            self.fields[replica_field(replica.name)] = forms.IntegerField(
                label=f"Extra lag of “{replica.name}”", required=False, min_value=0, max_value=MAX_EXTRA_LAG_MS
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and not self.changes() and not self.replica_lag():
            raise ValidationError("Nothing to change.")
        return cleaned

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in lag.FIELDS
            if name in self.fields and self.cleaned_data.get(name) is not None
        }

    def replica_lag(self) -> dict[str, int]:
        values = {r.name: self.cleaned_data.get(replica_field(r.name)) for r in self.replicas}
        return {name: value for name, value in values.items() if value is not None}

    def save(self):
        """Apply the change through `store.lag.update`; its refusal becomes a form error."""
        try:
            return lag.update(self.changes(), self.replica_lag())
        except ValidationError as error:
            for name, messages in getattr(error, "message_dict", {None: error.messages}).items():
                field = name if name in self.fields else replica_field(name or "")
                self.add_error(field if field in self.fields else None, messages)
            return None
