from django.apps import AppConfig


class DemosConfig(AppConfig):
    name = "demos"

    def ready(self) -> None:
        from store import signals

        from . import history, registry

        registry.discover()
        # The log was emptied: histories and verdicts start again with the next operation.
        signals.reset.connect(history.reset, dispatch_uid="demos.history.reset")
