from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        """Listen to the store, after push (INSTALLED_APPS order): a settle is recorded once pushed."""
        from store import signals

        from . import recorder

        for name in recorder.RECEIVERS:
            getattr(signals, name).connect(getattr(recorder, name), dispatch_uid=f"runs.{name}")
