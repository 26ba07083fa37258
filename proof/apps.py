from django.apps import AppConfig


class ProofConfig(AppConfig):
    """The checker's front door in the app: `manage.py check_history`."""

    name = "proof"
