from django.apps import AppConfig


class DemosConfig(AppConfig):
    name = "demos"

    def ready(self) -> None:
        from . import registry

        registry.discover()
